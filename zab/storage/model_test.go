package storage_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"zoosim/zab/storage"
)

// TestStoreAgainstModel drives a Store on the fake disk with random Appends, Syncs, fsync
// completions, snapshots (including ones past the log, as a SNAP sync installs), truncations,
// epoch changes, purges and crashes (losing or tearing unsynced writes, with or without a
// garbage tail), and checks every recovery against a model of what was acknowledged:
//
//   - Open never fails: a crash and a corrupt tail only make damage that recovery repairs;
//   - the recovered history (snapshot contents, then records) is a prefix of the history the
//     store held when it crashed: nothing truncated comes back, nothing is reordered;
//   - it includes everything acknowledged: every record, snapshot and epoch whose Sync's done
//     ran, minus what a later TruncateAfter dropped (TruncateAfter is durable at once);
//   - recovering the recovered disk again gives the same history (repairs are idempotent).
func TestStoreAgainstModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) { newMachine(t, false).run(t) })
}

// TestStoreOnALyingDisk adds lost fsyncs (the disk acknowledges and persists nothing), which
// void every durability promise. What must still hold: Open never panics, recovers a history
// with increasing zxids made of records that were written, and is idempotent; it may refuse to
// start only because of damaged epoch files.
func TestStoreOnALyingDisk(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) { newMachine(t, true).run(t) })
}

// item is one step of the history a store holds: a record, or the snapshot a SNAP sync
// installed past the log (jump), whose contents the store never saw as records.
type item struct {
	zxid uint64
	id   uint64 // unique per record or jump: a re-saved snapshot is not the one a Sync covered
	jump bool
}

type capture struct {
	hist       []item
	acc, cur   int64
	issuedDone *bool
}

type machine struct {
	fs    *memFS
	s     *storage.Store
	opts  storage.Options
	lying bool

	// hist is the history the store holds now; hist[:acked] is durable.
	hist  []item
	acked int
	// written holds every record id ever appended, by zxid, for the lying disk's checks.
	written map[uint64][]uint64
	nextID  uint64
	// epochs set, and durable (acknowledged).
	accSet, curSet, accDur, curDur int64
	// syncs are captures of the Syncs in flight.
	syncs  []capture
	purged bool
}

func newMachine(t *rapid.T, lying bool) *machine {
	m := &machine{
		fs:      newMemFS(),
		opts:    storage.Options{LogFileBytes: rapid.Int64Range(40, 400).Draw(t, "logFileBytes")},
		lying:   lying,
		written: map[uint64][]uint64{},
	}
	s, _, err := storage.Open(m.fs, m.opts)
	if err != nil {
		t.Fatal(err)
	}
	m.s = s
	s.Sync(nil)
	m.fs.complete(-1)
	return m
}

func (m *machine) run(t *rapid.T) {
	actions := map[string]func(*rapid.T){
		"append":   m.append,
		"sync":     m.sync,
		"complete": m.complete,
		"snapshot": m.snapshot,
		"truncate": m.truncate,
		"accepted": m.setAccepted,
		"current":  m.setCurrent,
		"purge":    m.purge,
		"crash":    m.crash,
		"":         m.check,
	}
	if m.lying {
		actions["loseSync"] = func(*rapid.T) { m.fs.loseSyncs++ }
	}
	t.Repeat(actions)
}

func (m *machine) lastZxid() uint64 {
	if n := len(m.hist); n > 0 {
		return m.hist[n-1].zxid
	}
	return 0
}

// nextZxid draws a zxid after the last one, in an epoch no newer than the durable currentEpoch
// (the server's rule: currentEpoch is persisted before txns of its epoch are logged, B4).
func (m *machine) nextZxid(t *rapid.T) uint64 {
	last := m.lastZxid()
	if e := uint64(m.curDur); e > last>>32 && rapid.Bool().Draw(t, "newEpoch") {
		return e<<32 | rapid.Uint64Range(0, 2).Draw(t, "counter")
	}
	return last + rapid.Uint64Range(1, 3).Draw(t, "step")
}

func recordPayload(id uint64) []byte {
	b := binary.LittleEndian.AppendUint64(nil, id)
	return append(b, strings.Repeat("p", int(id%23))...)
}

func (m *machine) append(t *rapid.T) {
	n := rapid.IntRange(1, 6).Draw(t, "n")
	var recs []storage.Record
	for range n {
		z := m.nextZxid(t)
		if z == 0 {
			z = 1
		}
		m.nextID++
		m.hist = append(m.hist, item{zxid: z, id: m.nextID})
		m.written[z] = append(m.written[z], m.nextID)
		recs = append(recs, storage.Record{Zxid: z, Payload: recordPayload(m.nextID)})
	}
	m.s.Append(recs...)
}

func (m *machine) sync(t *rapid.T) {
	c := capture{hist: slices.Clone(m.hist), acc: m.accSet, cur: m.curSet}
	m.syncs = append(m.syncs, c)
	m.s.Sync(func(err error) {
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
		done := m.syncs[0]
		m.syncs = m.syncs[1:]
		m.acked = max(m.acked, commonPrefix(done.hist, m.hist))
		m.accDur = max(m.accDur, done.acc)
		m.curDur = max(m.curDur, done.cur)
	})
}

func commonPrefix(a, b []item) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func (m *machine) complete(t *rapid.T) {
	m.fs.complete(rapid.IntRange(1, 4).Draw(t, "fsyncs"))
}

// snapshotData encodes the history a snapshot at z holds.
func (m *machine) snapshotData(z uint64) []byte {
	var b []byte
	for _, it := range m.hist {
		if it.zxid > z {
			break
		}
		b = binary.LittleEndian.AppendUint64(b, it.zxid)
		b = binary.LittleEndian.AppendUint64(b, it.id)
		if it.jump {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	return b
}

func decodeSnapshotData(b []byte) []item {
	var out []item
	for ; len(b) >= 17; b = b[17:] {
		out = append(out, item{zxid: binary.LittleEndian.Uint64(b), id: binary.LittleEndian.Uint64(b[8:]), jump: b[16] == 1})
	}
	return out
}

func (m *machine) snapshot(t *rapid.T) {
	// At a zxid of the history, or past it as a SNAP sync's snapshot.
	if len(m.hist) == 0 || rapid.IntRange(0, 3).Draw(t, "jump") == 0 {
		z := m.nextZxid(t)
		m.nextID++
		m.hist = append(m.hist, item{zxid: z, id: m.nextID, jump: true})
		m.s.SaveSnapshot(z, m.snapshotData(z))
		return
	}
	z := m.hist[rapid.IntRange(0, len(m.hist)-1).Draw(t, "at")].zxid
	m.s.SaveSnapshot(z, m.snapshotData(z))
}

func (m *machine) truncate(t *rapid.T) {
	z := uint64(0)
	if len(m.hist) > 0 && rapid.IntRange(0, 5).Draw(t, "toZero") > 0 {
		z = m.hist[rapid.IntRange(0, len(m.hist)-1).Draw(t, "after")].zxid
		z -= rapid.Uint64Range(0, min(z, 1)).Draw(t, "between") // sometimes between two zxids
	}
	before := m.s.LastZxid()
	if err := m.s.TruncateAfter(z); err != nil {
		jumps := slices.ContainsFunc(m.hist, func(it item) bool { return it.jump })
		// Only a purge, a snapshot past the log, or a lying disk that lost a log under a snapshot
		// leave a history the store cannot rebuild.
		if !errors.Is(err, storage.ErrTruncateTooFar) || !(m.purged || jumps || m.lying) {
			t.Fatalf("TruncateAfter(%#x): %v", z, err)
		}
		if m.s.LastZxid() != before {
			t.Fatalf("a failed TruncateAfter moved LastZxid from %#x to %#x", before, m.s.LastZxid())
		}
		return
	}
	i := 0
	for i < len(m.hist) && m.hist[i].zxid <= z {
		i++
	}
	m.hist = m.hist[:i]
	m.acked = min(m.acked, i)
	if z == 0 {
		m.purged = false
	}
}

func (m *machine) setAccepted(t *rapid.T) {
	m.accSet++
	m.s.SetAcceptedEpoch(m.accSet)
}

// setCurrent sets currentEpoch to a value not above the durable acceptedEpoch (the server's
// rule, B1: acceptedEpoch >= currentEpoch).
func (m *machine) setCurrent(t *rapid.T) {
	if m.curSet >= m.accDur {
		return
	}
	m.curSet = rapid.Int64Range(m.curSet+1, m.accDur).Draw(t, "epoch")
	m.s.SetCurrentEpoch(m.curSet)
}

func (m *machine) purge(t *rapid.T) {
	if removed := m.s.Purge(rapid.IntRange(1, 3).Draw(t, "retain")); len(removed) > 0 {
		m.purged = true
	}
}

func (m *machine) crash(t *rapid.T) {
	mode := loseUnsynced
	if rapid.Bool().Draw(t, "torn") {
		mode = tornUnsynced
	}
	corrupt := rapid.IntRange(0, 3).Draw(t, "corrupt") == 0
	rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "crashSeed"), 0))
	m.fs.crash(mode, corrupt, rng.IntN)
	m.syncs = nil

	s, rec, err := storage.Open(m.fs, m.opts)
	if err != nil && m.lying && (errors.Is(err, storage.ErrEpochFile) || errors.Is(err, storage.ErrEpochBehind) || errors.Is(err, storage.ErrEpochOrder)) {
		// A lost fsync of an epoch file: an operator would remove the epoch files.
		for _, f := range []string{"acceptedEpoch", "currentEpoch", "acceptedEpoch.tmp", "currentEpoch.tmp"} {
			_ = m.fs.Remove(f)
		}
		s, rec, err = storage.Open(m.fs, m.opts)
	}
	if err != nil {
		t.Fatalf("Open after a crash: %v", err)
	}
	full := recoveredHistory(t, rec)
	if m.lying {
		for _, it := range full {
			if !it.jump && !slices.Contains(m.written[it.zxid], it.id) {
				t.Fatalf("recovered record %#x/%d that was never written", it.zxid, it.id)
			}
		}
	} else {
		if !slices.Equal(full, m.hist[:min(len(full), len(m.hist))]) || len(full) > len(m.hist) {
			t.Fatalf("recovered history %v is not a prefix of the history held %v\nrepairs: %q", full, m.hist, rec.Repairs)
		}
		if len(full) < m.acked {
			t.Fatalf("recovered %d steps of history, %d were acknowledged: lost %v\nrepairs: %q", len(full), m.acked, m.hist[len(full):m.acked], rec.Repairs)
		}
		if rec.AcceptedEpoch < m.accDur || rec.AcceptedEpoch > m.accSet || rec.CurrentEpoch < m.curDur || rec.CurrentEpoch > m.curSet {
			t.Fatalf("recovered epochs %d/%d; acknowledged %d/%d, set %d/%d", rec.AcceptedEpoch, rec.CurrentEpoch, m.accDur, m.curDur, m.accSet, m.curSet)
		}
	}
	// Recovering again, before anything is durable, gives the same.
	c := cloneFS(m.fs)
	c.crash(tornUnsynced, true, rng.IntN)
	_, again, err := storage.Open(c, m.opts)
	if err != nil {
		t.Fatalf("Open after a crash right after Open: %v", err)
	}
	if got := recoveredHistory(t, again); !slices.Equal(got, full) {
		t.Fatalf("a second recovery gave %v, the first %v\nrepairs: %q then %q", got, full, rec.Repairs, again.Repairs)
	}
	m.s = s
	m.hist, m.acked = full, len(full)
	m.accSet, m.accDur, m.curSet, m.curDur = rec.AcceptedEpoch, rec.AcceptedEpoch, rec.CurrentEpoch, rec.CurrentEpoch
}

// recoveredHistory is the history a recovery gives: the snapshot's, then the records after it.
func recoveredHistory(t *rapid.T, rec *storage.Recovered) []item {
	var full []item
	if rec.Snapshot != nil {
		full = decodeSnapshotData(rec.Snapshot)
		if n := len(full); n == 0 || full[n-1].zxid != rec.SnapshotZxid {
			t.Fatalf("snapshot %#x holds %v", rec.SnapshotZxid, full)
		}
	}
	last := rec.SnapshotZxid
	for _, r := range rec.Records {
		if r.Zxid <= last {
			t.Fatalf("recovered record %#x after %#x", r.Zxid, last)
		}
		last = r.Zxid
		full = append(full, item{zxid: r.Zxid, id: binary.LittleEndian.Uint64(r.Payload)})
	}
	if rec.LastZxid != last {
		t.Fatalf("LastZxid %#x, the history ends at %#x", rec.LastZxid, last)
	}
	return full
}

func (m *machine) check(t *rapid.T) {
	if got, want := m.s.LastZxid(), m.lastZxid(); got != want {
		t.Fatalf("LastZxid %#x, the model's %#x", got, want)
	}
}

func (it item) String() string {
	if it.jump {
		return fmt.Sprintf("snap%#x", it.zxid)
	}
	return fmt.Sprintf("%#x/%d", it.zxid, it.id)
}
