package sim

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// ErrNoFile is returned for a file the disk does not have.
var ErrNoFile = errors.New("sim: no such file")

// Disk is a node's disk. It outlives crashes: writes land in a volatile cache at once and become
// durable only when an fsync that covers them completes, after Options.Disk.FsyncLatency. A crash
// keeps the durable state and, depending on Options.Disk.Crash, loses the rest or keeps a torn
// prefix of it.
//
// Creating, renaming and removing files take effect durably at once, like a journaling file
// system that commits metadata synchronously; only file contents have the write/fsync split.
type Disk struct {
	node *Node
	// rand draws fsync latencies and the shape of crash damage; it is the disk's own stream.
	rand *Rand
	// files by name; iterated only in sorted order.
	files    map[string]*fileData
	writeSeq uint64
	// syncs are the fsyncs in progress, in completion order.
	// Invariant: syncEv is armed exactly when syncs[syncHead:] is not empty.
	syncs    []syncOp
	syncHead int
	syncEv   event
	syncSeq  uint64
	// lastSyncAt keeps completions in order: a later fsync never completes first.
	lastSyncAt Time
	// loseSyncs is the number of coming fsyncs that will lie (an injected fault).
	loseSyncs int
	// corruptNextCrash makes the next crash land the write in flight as garbage.
	corruptNextCrash bool
}

type fileData struct {
	name string
	// data is what reads see.
	data content
	// durable is what survives a crash, once durableApart is set. Until then it is empty, and
	// what survives is data's first durableLen bytes: a file that is only ever appended to (a
	// txn log, the usual case) is then kept once rather than twice, and an fsync moves
	// durableLen instead of copying the bytes it covers.
	// Invariant: when durableApart is false, every pending write is an append, back to back
	// from durableLen to data's end (pending[0].off == durableLen, each next one starting where
	// the one before ended), no write was lost (lostWrites is false), and durable is empty. The
	// first write that is not such an append, a lost fsync or a crash sets durableApart, with
	// durable the copy of data's first durableLen bytes (separateDurable); a crash clears it
	// again once data is what survived.
	durable      content
	durableApart bool
	durableLen   int64
	// pending are the writes made since durable was last brought up to date, oldest first.
	// Invariant: applying pending to durable, in order, gives data, except for writes that a
	// lost fsync dropped (they stay in data until the next crash and never reach durable).
	pending []pendingWrite
	// arena holds the bytes of the pending writes, back to back, so that a write costs a copy
	// into it rather than an allocation of its own.
	// Invariant: pending's byte ranges lie in arena in order, and arena is empty when pending is.
	arena []byte
	// lostWrites is set when a lost fsync dropped writes that data still shows.
	lostWrites bool
	// lastWrite is the sequence number of the file's latest write on this disk.
	lastWrite uint64
}

// pendingWrite is one write or truncation not yet durable.
type pendingWrite struct {
	seq uint64
	off int64
	// start and end delimit the written bytes in the file's arena (empty for a truncation).
	start, end int
	truncate   bool // truncate (or extend with zeros) to off
}

// arenaKeep is the largest arena a file keeps for reuse once its writes are durable; a bigger one
// (a snapshot written in one go) goes to the collector rather than doubling the file's memory.
const arenaKeep = 256 << 10

// separateDurable gives the durable contents their own copy (see fileData.durable).
func (f *fileData) separateDurable() {
	if !f.durableApart {
		f.durable = f.data.prefix(f.durableLen)
		f.durableApart, f.durableLen = true, 0
	}
}

// durableIsData makes what survived a crash (durable, with nothing pending) the contents reads
// see, kept once again.
func (f *fileData) durableIsData() {
	f.data, f.durable = f.durable, content{}
	f.durableApart, f.durableLen = false, f.data.size
}

// bytes returns the bytes of a pending write; they stay valid until the write leaves pending.
func (f *fileData) bytes(pw pendingWrite) []byte { return f.arena[pw.start:pw.end] }

// apply applies a pending write to c.
func (f *fileData) apply(c *content, pw pendingWrite) {
	if pw.truncate {
		c.truncate(pw.off)
		return
	}
	c.write(pw.off, f.bytes(pw))
}

// dropPending forgets the oldest n pending writes (durable now, or lost) and reclaims their
// bytes in the arena: all of it once pending is empty, or by moving the rest down once the bytes
// given up outweigh those still pending, so that a file always being written while its fsyncs
// complete does not grow its arena forever. Each pending byte moves at most once per time the
// arena's dead part outgrows it, so the moves cost no more than the copies into the arena did.
func (f *fileData) dropPending(n int) {
	f.pending = slices.Delete(f.pending, 0, n)
	if len(f.pending) == 0 {
		if cap(f.arena) > arenaKeep {
			f.arena = nil
		} else {
			f.arena = f.arena[:0]
		}
		return
	}
	head := f.pending[0].start
	if head == 0 || head < len(f.arena)-head {
		return
	}
	f.arena = f.arena[:copy(f.arena, f.arena[head:])]
	for i := range f.pending {
		f.pending[i].start -= head
		f.pending[i].end -= head
	}
}

type syncOp struct {
	at   Time
	id   uint64
	file *fileData
	// upTo is the newest write the fsync covers: every pending write of file with seq <= upTo.
	upTo uint64
	done func(error)
}

func newDisk(n *Node) *Disk {
	d := &Disk{node: n, rand: n.w.root.Fork("disk/" + n.name), files: map[string]*fileData{}}
	d.syncEv.owner = n
	d.syncEv.index = -1
	d.syncEv.fire = d.completeSync
	return d
}

// File is an open file of the node's current incarnation. After a crash the handle is dead:
// writes through it are ignored and its fsyncs never complete; the rebooted software opens the
// file again.
type File struct {
	d           *Disk
	f           *fileData
	incarnation uint32
}

// Open opens the named file, creating it empty if it does not exist.
func (d *Disk) Open(name string) *File {
	f, ok := d.files[name]
	if !ok {
		f = &fileData{name: name}
		d.files[name] = f
	}
	return &File{d: d, f: f, incarnation: d.node.incarnation}
}

// Exists reports whether the named file exists.
func (d *Disk) Exists(name string) bool { _, ok := d.files[name]; return ok }

// List returns the names of every file, sorted.
func (d *Disk) List() []string { return slices.Sorted(maps.Keys(d.files)) }

// ReadFile returns a copy of the named file's current contents (what a read sees now; after a
// crash, what survived it).
func (d *Disk) ReadFile(name string) ([]byte, error) {
	f, ok := d.files[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s on %s", ErrNoFile, name, d.node.name)
	}
	return f.data.bytes(), nil
}

// Remove deletes the named file. Open handles keep working on the orphaned contents.
func (d *Disk) Remove(name string) error {
	if _, ok := d.files[name]; !ok {
		return fmt.Errorf("%w: %s on %s", ErrNoFile, name, d.node.name)
	}
	delete(d.files, name)
	return nil
}

// Rename atomically gives file from the name to, replacing any file called to: the usual way to
// replace a small file (an epoch, a snapshot) all at once. Write and fsync the new file first.
func (d *Disk) Rename(from, to string) error {
	f, ok := d.files[from]
	if !ok {
		return fmt.Errorf("%w: %s on %s", ErrNoFile, from, d.node.name)
	}
	delete(d.files, from)
	f.name = to
	d.files[to] = f
	return nil
}

// Wipe loses every file on the disk, as replacing a failed disk does. It is meant for a crashed
// node, before its restart: the rebooted server starts empty, which is how an operator's mistake or
// a disk replacement can make a replicated system forget acknowledged data.
func (d *Disk) Wipe() {
	names := d.List()
	d.files = map[string]*fileData{}
	d.node.w.record(&record{kind: recDiskFault, node: d.node, a: uint64(len(names)), text: fmt.Sprintf("wipe %d files", len(names))})
}

// LoseNextSyncs makes the next k fsyncs on this disk report success without persisting anything.
func (d *Disk) LoseNextSyncs(k int) {
	d.loseSyncs += k
	d.node.w.record(&record{kind: recDiskFault, node: d.node, a: uint64(k), text: fmt.Sprintf("lose next %d fsyncs", k)})
}

// CorruptNextCrash makes the next crash land the write in flight as garbage.
func (d *Disk) CorruptNextCrash() {
	d.corruptNextCrash = true
	d.node.w.record(&record{kind: recDiskFault, node: d.node, text: "corrupt tail at next crash"})
}

// Name returns the file's current name.
func (f *File) Name() string { return f.f.name }

// Size returns the file's current size.
func (f *File) Size() int64 { return f.f.data.size }

// ReadAt reads from the file's current contents, like io.ReaderAt.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("sim: read %s at negative offset %d", f.f.name, off)
	}
	return f.f.data.readAt(p, off)
}

// Contents returns a copy of the file's current contents.
func (f *File) Contents() []byte { return f.f.data.bytes() }

// live reports whether the handle belongs to the running incarnation.
func (f *File) live() bool {
	n := f.d.node
	return n.up && f.incarnation == n.incarnation
}

// Append writes p at the end of the file.
func (f *File) Append(p []byte) { f.WriteAt(p, f.f.data.size) }

// WriteAt writes p at offset off, extending the file with zeros if off is past its end. The
// write is visible to reads at once and durable after the next completed fsync of the file.
// The disk keeps its own copy of p.
func (f *File) WriteAt(p []byte, off int64) {
	if off < 0 {
		panic(fmt.Sprintf("sim: write %s at negative offset %d", f.f.name, off))
	}
	f.pend(pendingWrite{off: off}, p)
}

// Truncate cuts the file to size, or extends it with zeros.
func (f *File) Truncate(size int64) {
	if size < 0 {
		panic(fmt.Sprintf("sim: truncate %s to negative size %d", f.f.name, size))
	}
	f.pend(pendingWrite{off: size, truncate: true}, nil)
}

// pend applies a write of p (or a truncation) to what reads see and queues it for the next fsync.
// Writes through the handle of a crashed incarnation go nowhere.
func (f *File) pend(pw pendingWrite, p []byte) {
	if !f.live() {
		return
	}
	d := f.d
	fd := f.f
	if !fd.durableApart && (pw.truncate || pw.off != fd.data.size) {
		fd.separateDurable() // not an append: the durable contents are no longer data's prefix
	}
	d.writeSeq++
	pw.seq = d.writeSeq
	pw.start = len(fd.arena)
	fd.arena = append(fd.arena, p...)
	pw.end = len(fd.arena)
	fd.pending = append(fd.pending, pw)
	fd.apply(&fd.data, pw)
	fd.lastWrite = d.writeSeq
	r := record{kind: recWrite, node: d.node, label: fd.name, a: hashBytes(p), b: uint64(pw.off), c: uint64(len(p))}
	if pw.truncate {
		r.text = "truncate"
	}
	d.node.w.record(&r)
}

// Sync starts an fsync of the file covering every write made so far; done is called when it
// completes (on the node's event loop, unless the node crashes first). A done error is reserved
// for future disk-error faults; today fsyncs either complete or lie (LostFsync).
func (f *File) Sync(done func(error)) {
	if !f.live() {
		return
	}
	d := f.d
	w := d.node.w
	d.syncSeq++
	at := w.now.Add(w.opts.Disk.FsyncLatency.Sample(d.rand)).Max(d.lastSyncAt)
	d.lastSyncAt = at
	d.syncs, d.syncHead = appendLive(d.syncs, d.syncHead, syncOp{at: at, id: d.syncSeq, file: f.f, upTo: d.writeSeq, done: done})
	w.record(&record{kind: recSync, node: d.node, label: f.f.name, a: d.syncSeq})
	if d.syncEv.state == idle {
		w.schedule(&d.syncEv, d.syncs[d.syncHead].at)
	}
}

func (d *Disk) completeSync() {
	op := d.syncs[d.syncHead]
	d.syncs[d.syncHead] = syncOp{}
	d.syncHead++
	if d.syncHead == len(d.syncs) {
		d.syncs, d.syncHead = d.syncs[:0], 0
	} else {
		d.node.w.schedule(&d.syncEv, d.syncs[d.syncHead].at.Max(d.node.w.now))
	}
	w := d.node.w
	f := op.file
	covered := 0
	for covered < len(f.pending) && f.pending[covered].seq <= op.upTo {
		covered++
	}
	lost := d.loseSyncs > 0 || d.rand.Chance(w.opts.Disk.LostFsync)
	if lost {
		if d.loseSyncs > 0 {
			d.loseSyncs--
		}
		if covered > 0 {
			f.separateDurable() // data keeps the lost writes; durable never gets them
			f.lostWrites = true
		}
		w.record(&record{kind: recDiskFault, node: d.node, a: op.id, text: fmt.Sprintf("fsync #%d of %s lost %d writes", op.id, f.name, covered)})
	} else if !f.durableApart {
		if covered > 0 {
			last := f.pending[covered-1]
			f.durableLen = last.off + int64(last.end-last.start)
		}
	} else {
		for _, pw := range f.pending[:covered] {
			f.apply(&f.durable, pw)
		}
	}
	f.dropPending(covered)
	w.record(&record{kind: recSynced, node: d.node, label: f.name, a: op.id})
	if op.done != nil {
		op.done(nil)
	}
}

// crash applies the crash model: fsyncs in progress are lost, durable contents survive, unsynced
// writes are lost or torn, and the write in flight may land as garbage.
func (d *Disk) crash() {
	w := d.node.w
	d.node.w.unschedule(&d.syncEv)
	d.syncs, d.syncHead = nil, 0
	d.lastSyncAt = 0
	opts := w.opts.Disk
	corrupt := d.corruptNextCrash || d.rand.Chance(opts.CorruptTail)
	d.corruptNextCrash = false
	var victim *fileData
	if corrupt {
		for _, name := range d.List() {
			f := d.files[name]
			if len(f.pending) > 0 && (victim == nil || f.lastWrite > victim.lastWrite) {
				victim = f
			}
		}
	}
	for _, name := range d.List() {
		f := d.files[name]
		if len(f.pending) == 0 {
			if f.lostWrites {
				f.durableIsData()
				f.lostWrites = false
				w.record(&record{kind: recDiskFault, node: d.node, text: name + " lost the writes of its lost fsyncs"})
			}
			continue
		}
		f.separateDurable()
		kept, torn := 0, false
		if opts.Crash == TornUnsynced {
			kept = d.rand.IntN(len(f.pending) + 1)
			for _, pw := range f.pending[:kept] {
				f.apply(&f.durable, pw)
			}
			if kept < len(f.pending) && !f.pending[kept].truncate && len(f.bytes(f.pending[kept])) > 1 {
				pw := f.pending[kept]
				pw.end = pw.start + 1 + d.rand.IntN(pw.end-pw.start-1) // 1 to len-1 bytes land
				f.apply(&f.durable, pw)
				torn = true
			}
		}
		note := fmt.Sprintf("%s kept %d of %d unsynced writes", name, kept, len(f.pending))
		if torn {
			note += ", the next one torn"
		}
		if f == victim {
			last := f.pending[len(f.pending)-1]
			if n := last.end - last.start; !last.truncate && n > 0 {
				garbage := make([]byte, 1+d.rand.IntN(n))
				for i := range garbage {
					garbage[i] = byte(d.rand.Uint64())
				}
				f.durable.write(last.off, garbage)
				note += fmt.Sprintf(", %dB of garbage at %d", len(garbage), last.off)
			}
		}
		f.dropPending(len(f.pending))
		f.lostWrites = false
		f.durableIsData()
		w.record(&record{kind: recDiskFault, node: d.node, text: note})
	}
}
