package storage_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"zoosim/zab/storage"
)

// firstDraw is a crash draw that keeps nothing of the unsynced writes: the worst case for a
// truncation that is not yet fsynced.
func firstDraw(int) int { return 0 }

func TestTruncateIsDurableWhenItReturns(t *testing.T) {
	fs := newMemFS()
	s := freshStore(t, fs, storage.Options{})
	s.Append(records(span(1, 10)...)...)
	syncNow(t, fs, s)
	if err := s.TruncateAfter(5); err != nil {
		t.Fatal(err)
	}
	if s.LastZxid() != 5 {
		t.Fatalf("LastZxid %d after TruncateAfter(5)", s.LastZxid())
	}
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1), "truncate.0000000000000005")
	// The crash keeps nothing unsynced, the cut included: the marker still drops 6..10.
	fs.crash(tornUnsynced, false, firstDraw)
	if b, _ := fs.ReadFile(logF(1)); len(b) < 100 {
		t.Fatalf("the test expects the crash to undo the cut; the log has %d bytes", len(b))
	}
	s, rec := mustOpen(t, fs, storage.Options{})
	wantZxids(t, rec.Records, span(1, 5))
	wantRepairs(t, rec, "log.0000000000000001: truncated 5 records after zxid 0x5 (truncation marker truncate.0000000000000005)")
	// The marker stays until a Sync made the repeated cut durable.
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1), "truncate.0000000000000005")
	s.Append(records(6, 7)...)
	syncNow(t, fs, s)
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1), logF(6))
	_, rec = crashOpen(t, fs, storage.Options{})
	wantZxids(t, rec.Records, span(1, 7))
	wantRepairs(t, rec)
}

func TestTruncateAcrossFilesAndAppendAfterIt(t *testing.T) {
	fs := newMemFS()
	opts := storage.Options{LogFileBytes: 70} // two records per file
	s := freshStore(t, fs, opts)
	s.Append(records(span(1, 8)...)...)
	syncNow(t, fs, s)
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1), logF(3), logF(5), logF(7))
	if err := s.TruncateAfter(3); err != nil {
		t.Fatal(err)
	}
	// log.3 is cut after 3; log.5 and log.7 go at once; appends go to a new file.
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1), logF(3), "truncate.0000000000000003")
	s.Append(records(5, 6)...)
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1), logF(3), logF(5), "truncate.0000000000000003")
	// Unsynced: the crash may keep any prefix of the writes of each file, but never 4 or the old 5.
	for draw := range 3 {
		c := cloneFS(fs)
		c.crash(tornUnsynced, false, func(n int) int { return min(draw, n-1) })
		_, rec := mustOpen(t, c, opts)
		got := zxidsOf(rec.Records)
		if !slices.Equal(got[:3], []uint64{1, 2, 3}) || len(got) > 5 || slices.Contains(got, 4) {
			t.Fatalf("draw %d: recovered %v", draw, got)
		}
	}
	syncNow(t, fs, s)
	_, rec := crashOpen(t, fs, opts)
	wantZxids(t, rec.Records, []uint64{1, 2, 3, 5, 6})
	wantRepairs(t, rec)

	// A cut exactly at a file boundary removes whole files and needs no marker.
	s, _ = mustOpen(t, fs, opts)
	if err := s.TruncateAfter(2); err != nil {
		t.Fatal(err)
	}
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1))
}

func cloneFS(m *memFS) *memFS {
	c := newMemFS()
	c.seq = m.seq
	for name, f := range m.files {
		g := *f
		g.data, g.durable = slices.Clone(f.data), slices.Clone(f.durable)
		g.pending = slices.Clone(f.pending)
		c.files[name] = &g
	}
	return c
}

func TestTruncateRemovesNewerSnapshotsIncludingOnesInFlight(t *testing.T) {
	fs := newMemFS()
	s := freshStore(t, fs, storage.Options{})
	s.Append(records(1, 2, 3)...)
	s.SaveSnapshot(2, []byte("at 2"))
	s.Append(records(4, 5)...)
	s.SaveSnapshot(4, []byte("at 4"))
	syncNow(t, fs, s)
	s.Append(records(6)...)
	s.SaveSnapshot(6, []byte("at 6"))
	var errs []error
	s.Sync(func(err error) { errs = append(errs, err) }) // the rename of snapshot 6 waits on this
	if err := s.TruncateAfter(3); err != nil {
		t.Fatal(err)
	}
	fs.complete(-1)
	if len(errs) != 1 || errs[0] != nil {
		t.Fatalf("Sync reported %v", errs)
	}
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1), snapF(2))
	if s.LastZxid() != 3 {
		t.Fatalf("LastZxid %d", s.LastZxid())
	}
	_, rec := crashOpen(t, fs, storage.Options{})
	if rec.SnapshotZxid != 2 {
		t.Fatalf("recovered snapshot %d", rec.SnapshotZxid)
	}
	wantZxids(t, rec.Records, []uint64{3})
}

func TestTruncateAgainAtAMarkerAnEarlierSyncIsAboutToRemove(t *testing.T) {
	// Open found the marker truncate.5 with records 4 and 5 lost: the store is at 3. Records 4
	// to 7 are appended and synced, then cut after 5 again while that Sync is in flight. The Sync
	// does not cover the new cut, so the marker must outlive it.
	fs := newMemFS()
	s := freshStore(t, fs, storage.Options{})
	s.Append(records(1, 2, 3)...)
	syncNow(t, fs, s)
	fs.put("truncate.0000000000000005", nil)
	s, _ = crashOpen(t, fs, storage.Options{})
	s.Append(records(4, 5, 6, 7)...)
	s.Sync(nil) // fsyncs log.4 with 4..7, then would remove the marker
	if err := s.TruncateAfter(5); err != nil {
		t.Fatal(err)
	}
	fs.complete(-1)
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1), logF(4), "truncate.0000000000000005")
	fs.crash(tornUnsynced, false, firstDraw) // the cut of log.4 is lost
	_, rec := mustOpen(t, fs, storage.Options{})
	wantZxids(t, rec.Records, span(1, 5))
}

func TestTruncateNoOpsAndLimits(t *testing.T) {
	fs := newMemFS()
	s := freshStore(t, fs, storage.Options{LogFileBytes: 70})
	s.Append(records(span(1, 6)...)...)
	syncNow(t, fs, s)
	for _, z := range []uint64{6, 7} {
		if err := s.TruncateAfter(z); err != nil || s.LastZxid() != 6 {
			t.Fatalf("TruncateAfter(%d) at the end: %v, LastZxid %d", z, err, s.LastZxid())
		}
	}
	s.SaveSnapshot(4, []byte("at 4"))
	syncNow(t, fs, s)
	if removed := s.Purge(1); !slices.Equal(removed, []string{logF(1), logF(3)}) {
		t.Fatalf("purged %q", removed)
	}
	// Records 1 to 4 went with log.1 and log.3: the state at 3 cannot be rebuilt.
	before := fs.List()
	err := s.TruncateAfter(3)
	if !errors.Is(err, storage.ErrTruncateTooFar) || !strings.Contains(err.Error(), "the state at 0x3 needs the snapshot at 0x0") {
		t.Fatalf("TruncateAfter(3) after the purge: %v", err)
	}
	if !slices.Equal(fs.List(), before) || s.LastZxid() != 6 {
		t.Fatalf("a failed TruncateAfter changed files %q or LastZxid %d", fs.List(), s.LastZxid())
	}
	// At the retained snapshot or after it, it works.
	for _, z := range []uint64{5, 4} {
		if err := s.TruncateAfter(z); err != nil || s.LastZxid() != z {
			t.Fatalf("TruncateAfter(%d): %v, LastZxid %d", z, err, s.LastZxid())
		}
	}
	// Truncating everything always works: the empty state needs no history.
	if err := s.TruncateAfter(0); err != nil || s.LastZxid() != 0 {
		t.Fatalf("TruncateAfter(0): %v, LastZxid %d", err, s.LastZxid())
	}
	syncNow(t, fs, s)
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch")
}
