package sim

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
)

// The trace is the run's fingerprint. Every event the kernel handles is folded into a rolling
// 64-bit hash, so that two runs of one seed can be compared in one number (the determinism test
// does exactly that), and every event can be printed as one line for a person replaying the run.
// Lines are formatted only when a sink is set; the hash never depends on whether one is.

// recordKind says what happened; it is part of the hash, so its values must not be reordered.
type recordKind uint8

const (
	recTimer recordKind = iota + 1
	recSend
	recDeliver
	recDrop
	recDial
	recAccept
	recConnected
	recRefused
	recBroken
	recClosed
	recWrite
	recSync
	recSynced
	recCrash
	recRestart
	recPause
	recResume
	recProcStart
	recProcWake
	recProcExit
	recFault
	recLog
	recBoot
	recDiskFault
)

var recordNames = [...]string{
	recTimer: "timer", recSend: "send", recDeliver: "deliver", recDrop: "drop", recDial: "dial",
	recAccept: "accept", recConnected: "connected", recRefused: "refused", recBroken: "broken",
	recClosed: "closed", recWrite: "write", recSync: "sync", recSynced: "synced", recCrash: "crash",
	recRestart: "restart", recPause: "pause", recResume: "resume", recProcStart: "proc-start",
	recProcWake: "proc-wake", recProcExit: "proc-exit", recFault: "fault", recLog: "log",
	recBoot: "boot", recDiskFault: "disk-fault",
}

func (k recordKind) String() string {
	if int(k) < len(recordNames) && recordNames[k] != "" {
		return recordNames[k]
	}
	return "record(" + strconv.Itoa(int(k)) + ")"
}

// record is one traced event. The numbers are hashed; text is hashed too, but only the kinds that
// carry their meaning in it (faults, logs) set it on the hot path; the rest use label, which is
// printed and not hashed (a timer's label is implied by its id).
type record struct {
	kind recordKind
	// node is where the event happens; peer is the other node of a network event.
	node, peer *Node
	a, b, c    uint64
	text       string
	label      string
}

// tracer folds records into the hash and, when a sink is set, prints them.
type tracer struct {
	hash   uint64
	events uint64
	sink   io.Writer
	line   []byte
}

// mix folds one word into a rolling hash: xor, multiply by an odd constant, fold the high half
// down. Cheap enough for every event, and any change of one word changes everything after it.
func mix(h, x uint64) uint64 {
	h ^= x
	h *= 0x9fb21c651e98df25
	return h ^ h>>32
}

// hashBytes hashes a message payload or a disk write, eight bytes at a time: each full word of
// p, little-endian, then the last len(p)%8 bytes as one more word (zero when there are none).
func hashBytes(p []byte) uint64 {
	n := len(p)
	h := uint64(n) ^ 0x2545f4914f6cdd1d
	if n < 8 {
		return mix(h, shortTail(p))
	}
	i := 0
	for ; i <= n-16; i += 16 { // two words a turn: half the loop's own instructions
		h = mix(h, binary.LittleEndian.Uint64(p[i:]))
		h = mix(h, binary.LittleEndian.Uint64(p[i+8:]))
	}
	if i <= n-8 {
		h = mix(h, binary.LittleEndian.Uint64(p[i:]))
	}
	// The tail is the top n%8 bytes of the last eight: one load instead of a loop over bytes.
	// When n%8 is 0 the shift is 64, which in Go gives 0, the empty tail.
	return mix(h, binary.LittleEndian.Uint64(p[n-8:])>>(64-8*(n%8)))
}

// shortTail returns the bytes of p, fewer than eight, as a little-endian word: the tail of a
// hashBytes input too short to read the tail as the top of its last eight bytes. It reads two
// words that overlap (or, below four bytes, the first, middle and last byte) instead of looping;
// a byte read twice lands in the same place both times.
func shortTail(p []byte) uint64 {
	switch n := len(p); {
	case n >= 4:
		return uint64(binary.LittleEndian.Uint32(p)) | uint64(binary.LittleEndian.Uint32(p[n-4:]))<<(8*(n-4))
	case n > 0:
		return uint64(p[0]) | uint64(p[n>>1])<<(8*(n>>1)) | uint64(p[n-1])<<(8*(n-1))
	}
	return 0
}

func hashString(s string) uint64 {
	h := uint64(len(s)) ^ 0x9e3779b97f4a7c15
	for i := 0; i < len(s); i++ {
		h = mix(h, uint64(s[i]))
	}
	return h
}

// record folds r into the trace hash and prints it if a sink is set. It takes r by pointer: a
// record is ten words, more than the register ABI passes, so by value every call (one per traced
// event) copied the caller's literal once more into the argument area. r does not escape, so the
// callers' literals stay on their stacks.
func (w *World) record(r *record) {
	t := &w.trace
	t.events++
	h := mix(t.hash, uint64(w.now))
	h = mix(h, uint64(r.kind))
	if r.node != nil {
		h = mix(h, uint64(r.node.id)+1)
	}
	if r.peer != nil {
		h = mix(h, uint64(r.peer.id)+1<<32)
	}
	h = mix(h, r.a)
	h = mix(h, r.b)
	h = mix(h, r.c)
	if r.text != "" {
		h = mix(h, hashString(r.text))
	}
	t.hash = h
	if t.sink != nil {
		t.line = append(t.line[:0], w.now.String()...)
		t.line = append(t.line, ' ')
		if r.node != nil {
			t.line = append(t.line, r.node.name...)
		} else {
			t.line = append(t.line, "--"...)
		}
		t.line = append(t.line, ' ')
		t.line = append(t.line, w.describe(*r)...)
		t.line = append(t.line, '\n')
		_, _ = t.sink.Write(t.line)
	}
}

// describe renders a record's details; the time and node are printed before it.
func (w *World) describe(r record) string {
	switch r.kind {
	case recTimer:
		return fmt.Sprintf("timer %s #%d", r.label, r.a)
	case recSend, recDeliver, recDrop, recDial, recAccept, recConnected, recRefused, recBroken, recClosed:
		arrow := "->"
		if r.kind != recSend && r.kind != recDial && r.kind != recDrop {
			arrow = "<-"
		}
		s := fmt.Sprintf("%s c%d %s%s", r.kind, r.a, arrow, r.peer)
		if r.kind == recSend || r.kind == recDeliver || r.kind == recDrop {
			s += fmt.Sprintf(" %dB", r.b)
		}
		if r.text != "" {
			s += " (" + r.text + ")"
		}
		return s
	case recWrite:
		if r.text == "truncate" {
			return fmt.Sprintf("truncate %s to %d", r.label, r.b)
		}
		return fmt.Sprintf("write %s @%d %dB", r.label, r.b, r.c)
	case recSync:
		return fmt.Sprintf("sync %s #%d", r.label, r.a)
	case recSynced:
		return fmt.Sprintf("synced %s #%d", r.label, r.a)
	case recProcStart, recProcWake, recProcExit:
		return fmt.Sprintf("%s %s #%d", r.kind, r.label, r.a)
	case recBoot, recRestart:
		return fmt.Sprintf("%s #%d", r.kind, r.a)
	case recResume:
		return fmt.Sprintf("resume (%d deferred)", r.a)
	case recCrash, recPause:
		return r.kind.String()
	case recFault, recDiskFault:
		return r.kind.String() + " " + r.text
	case recLog:
		return r.text
	}
	return fmt.Sprintf("%s %d %d %d %s %s", r.kind, r.a, r.b, r.c, r.label, r.text)
}

// TraceHash returns the rolling hash of every event handled so far. Two runs with the same seed,
// options and code have the same hash after the same number of events.
func (w *World) TraceHash() uint64 { return w.trace.hash }

// Events returns how many events have been traced so far.
func (w *World) Events() uint64 { return w.trace.events }

// TraceTo prints every later event as one line to sink, after a first line with the seed and
// options (Header). A nil sink stops printing; the hash goes on either way.
func (w *World) TraceTo(sink io.Writer) {
	w.trace.sink = sink
	if sink != nil {
		_, _ = io.WriteString(sink, w.Header()+"\n")
	}
}

// Header returns the line a run prints first: the seed and every option, enough to replay it.
func (w *World) Header() string {
	return "sim " + w.opts.String()
}

// Logf adds a line of the world's own (a harness note, a phase change) to the trace.
func (w *World) Logf(format string, args ...any) {
	w.record(&record{kind: recLog, text: fmt.Sprintf(format, args...)})
}
