package storage

import (
	"fmt"
	"slices"

	"zoosim/internal/fifo"
)

// DefaultLogFileBytes is the size past which Append starts a new log file when
// Options.LogFileBytes is 0 (ZooKeeper preallocates 64 MiB log files).
const DefaultLogFileBytes = 64 << 20

// Options shape a Store.
type Options struct {
	// LogFileBytes: Append starts a new log file once the current one is at least this long;
	// 0 means DefaultLogFileBytes.
	LogFileBytes int64
}

// Store is one server's durable state on its disk. It is not safe for concurrent use; in the
// simulation everything runs on the node's event loop.
//
// Its methods change the disk at once; Sync makes the changes durable and reports when they are.
// A Store belongs to one incarnation of a server: after a crash, drop it and Open the disk again.
type Store struct {
	fs   FS
	opts Options

	// logs are the log files, oldest first.
	// Invariant: logs[i].last < logs[i+1].first, and logs[i+1].prev >= logs[i].last.
	logs []*logFile
	// cur is the file Append writes to. Open, SaveSnapshot and TruncateAfter clear it, so the
	// next Append starts a new file (ZooKeeper rolls its log at each snapshot and restart).
	// Invariant: cur == nil || cur == logs[len(logs)-1].
	cur *logFile
	// snaps are the zxids of the snapshots under their final names that the store believes
	// valid (Open verified the newest; the store wrote the others), ascending.
	snaps []uint64
	// pendingSnaps are snapshots not yet renamed to their final names, by zxid ascending.
	pendingSnaps []*atomicFile
	// accepted and current are the epoch files; acceptedEpoch and currentEpoch the values last set.
	accepted, current           *atomicFile
	acceptedEpoch, currentEpoch int64
	// lastZxid is the newest zxid the store holds.
	// Invariant: lastZxid == max(last record, snaps, pendingSnaps).
	lastZxid uint64

	// dirty are the files written since the last Sync, in the order they were first written.
	dirty []string
	// markers are the truncation markers on disk and the batch that removes each.
	// Invariant: a marker's owner is nil until a Sync is issued after its truncation.
	markers []marker
	// batches are the Syncs issued and not yet reported, oldest first.
	batches  fifo.Queue[*batch]
	draining bool
	// spareBatches and spareFsyncs are completed batches and fsync calls kept for reuse: a
	// server syncs after nearly every input, and these would otherwise be allocated each time.
	// Invariant: nothing else refers to a spare (no atomic file, marker or queued batch).
	spareBatches []*batch
	spareFsyncs  []*fsyncCall
	// err is the first fsync or file system failure; once set, every Sync reports it.
	err error

	buf []byte
}

type marker struct {
	zxid  uint64
	owner *batch
}

// LastZxid returns the newest zxid the store holds: its last record, or a newer snapshot.
func (s *Store) LastZxid() uint64 { return s.lastZxid }

// AcceptedEpoch returns the acceptedEpoch last set (or recovered).
func (s *Store) AcceptedEpoch() int64 { return s.acceptedEpoch }

// CurrentEpoch returns the currentEpoch last set (or recovered).
func (s *Store) CurrentEpoch() int64 { return s.currentEpoch }

// Append adds records to the txn log. They are readable at once and durable when the next Sync
// completes. It starts a new log file when there is no current one or when the current one has
// reached Options.LogFileBytes; a file therefore exceeds that size by at most one record.
//
// Zxids must increase and exceed LastZxid; anything else is a bug in the caller, and panics.
func (s *Store) Append(recs ...Record) {
	last := s.lastZxid
	for _, r := range recs {
		if r.Zxid <= last {
			panic(fmt.Sprintf("storage: Append of zxid %s after %s: zxids must increase", hexZxid(r.Zxid), hexZxid(last)))
		}
		last = r.Zxid
	}
	for i := 0; i < len(recs); {
		if s.cur == nil || s.cur.size >= s.opts.LogFileBytes {
			s.startLog(recs[i].Zxid)
		}
		f := s.cur
		b := s.buf[:0]
		if f.size == 0 {
			b = appendLogHeader(b, f.prev)
		}
		// Every file gets at least one record, however small LogFileBytes is.
		for one := true; i < len(recs) && (one || f.size+int64(len(b)) < s.opts.LogFileBytes); i, one = i+1, false {
			r := recs[i]
			b = appendRecord(b, r)
			f.last, s.lastZxid = r.Zxid, r.Zxid
		}
		s.fs.Append(f.name, b)
		f.size += int64(len(b))
		s.markDirty(f.name)
		s.buf = b
	}
}

// startLog makes a new, empty current log file for records from first on; Append writes its
// header with the first records.
func (s *Store) startLog(first uint64) {
	f := &logFile{name: logName(first), first: first, prev: s.lastZxid, last: first}
	s.logs = append(s.logs, f)
	s.cur = f
}

func (s *Store) markDirty(name string) {
	if !slices.Contains(s.dirty, name) {
		s.dirty = append(s.dirty, name)
	}
}

// remove deletes a file the store owns; it is no longer dirty.
func (s *Store) remove(name string) {
	if i := slices.Index(s.dirty, name); i >= 0 {
		s.dirty = slices.Delete(s.dirty, i, i+1)
	}
	if err := s.fs.Remove(name); err != nil {
		s.fail(fmt.Errorf("%w: remove %s: %w", ErrFS, name, err))
	}
}

func (s *Store) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// recomputeLastZxid restores lastZxid's invariant after something was removed.
func (s *Store) recomputeLastZxid() {
	z := uint64(0)
	if n := len(s.logs); n > 0 {
		z = s.logs[n-1].last
	}
	if n := len(s.snaps); n > 0 {
		z = max(z, s.snaps[n-1])
	}
	for _, a := range s.pendingSnaps {
		z = max(z, a.zxid)
	}
	s.lastZxid = z
}
