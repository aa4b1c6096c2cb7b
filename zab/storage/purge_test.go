package storage_test

import (
	"slices"
	"testing"

	"zoosim/zab/storage"
)

func TestPurgeKeepsTheNewestSnapshotsAndTheLogsAfterTheOldestKept(t *testing.T) {
	fs := newMemFS()
	opts := storage.Options{LogFileBytes: 70}
	s := freshStore(t, fs, opts)
	if removed := s.Purge(3); removed != nil {
		t.Fatalf("purge without snapshots removed %q", removed)
	}
	s.Append(records(1, 2, 3)...) // log.1 {1,2}, log.3 {3}
	s.SaveSnapshot(2, []byte("at 2"))
	s.Append(records(4, 5, 6)...) // log.4 {4,5}, log.6 {6}
	s.SaveSnapshot(5, []byte("at 5"))
	s.Append(records(7)...) // log.7
	s.SaveSnapshot(7, []byte("at 7"))
	if removed := s.Purge(1); removed != nil {
		t.Fatalf("snapshots not yet renamed were purged against: %q", removed)
	}
	syncNow(t, fs, s)
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1), logF(3), logF(4), logF(6), logF(7), snapF(2), snapF(5), snapF(7))

	// Keep snapshots 5 and 7: log.6 and later may hold txns after 5.
	removed := s.Purge(2)
	if want := []string{snapF(2), logF(1), logF(3), logF(4)}; !slices.Equal(removed, want) {
		t.Fatalf("purged %q, want %q", removed, want)
	}
	// Keep snapshot 7 only: log.7 starts right after it; the last file always stays.
	removed = s.Purge(1)
	if want := []string{snapF(5), logF(6)}; !slices.Equal(removed, want) {
		t.Fatalf("purged %q, want %q", removed, want)
	}
	_, rec := crashOpen(t, fs, opts)
	if rec.SnapshotZxid != 7 || len(rec.Records) != 0 || rec.LastZxid != 7 {
		t.Fatalf("recovered %+v", rec)
	}
	wantRepairs(t, rec)
}

func TestPurgePanicsBelowOne(t *testing.T) {
	s, _ := mustOpen(t, newMemFS(), storage.Options{})
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	s.Purge(0)
}
