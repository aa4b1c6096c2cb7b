package storage_test

import (
	"slices"
	"strings"
	"testing"

	"zoosim/zab/storage"
)

// Offsets in a log file of records(1, 2, 3, 4): a 20-byte header, then 16 bytes of framing
// plus the payload per record (payload(z) is 8 bytes plus z%7).
const (
	off2   = 20 + 25
	off3   = off2 + 26
	off4   = off3 + 27
	endOf4 = off4 + 28
)

func oneLog(t *testing.T, zs ...uint64) *memFS {
	t.Helper()
	fs := newMemFS()
	s := freshStore(t, fs, storage.Options{})
	s.Append(records(zs...)...)
	syncNow(t, fs, s)
	return fs
}

func TestTornTailIsTruncatedAndTheRepairIsIdempotent(t *testing.T) {
	fs := oneLog(t, 1, 2, 3, 4)
	b, _ := fs.ReadFile(logF(1))
	if len(b) != endOf4 {
		t.Fatalf("log is %d bytes, the test's offsets expect %d", len(b), endOf4)
	}
	fs.put(logF(1), b[:endOf4-3]) // the last record lost its last 3 bytes
	want := "log.0000000000000001: truncated torn tail at offset 98 (25 bytes, the record there claims 28)"
	for range 2 { // a crash before the repair is durable finds the same damage
		_, rec := crashOpen(t, fs, storage.Options{})
		wantZxids(t, rec.Records, []uint64{1, 2, 3})
		wantRepairs(t, rec, want)
	}
	s, _ := mustOpen(t, fs, storage.Options{})
	syncNow(t, fs, s)
	_, rec := crashOpen(t, fs, storage.Options{})
	wantZxids(t, rec.Records, []uint64{1, 2, 3})
	wantRepairs(t, rec)
	if b, _ := fs.ReadFile(logF(1)); len(b) != off4 {
		t.Fatalf("repaired log is %d bytes, want %d", len(b), off4)
	}
}

func TestTornRecordHeaderIsTruncated(t *testing.T) {
	fs := oneLog(t, 1, 2)
	b, _ := fs.ReadFile(logF(1))
	fs.put(logF(1), append(b, 7, 0, 0)) // 3 bytes of a record header
	_, rec := crashOpen(t, fs, storage.Options{})
	wantZxids(t, rec.Records, []uint64{1, 2})
	wantRepairs(t, rec, "log.0000000000000001: truncated torn tail at offset 71 (3 bytes)")
}

func TestDamagedRecordInTheMiddleCutsItsFileAndDropsLaterFiles(t *testing.T) {
	fs := newMemFS()
	opts := storage.Options{LogFileBytes: 70}
	s := freshStore(t, fs, opts)
	s.Append(records(span(1, 9)...)...)
	syncNow(t, fs, s)
	logs := fs.List()[2:]
	if len(logs) < 3 || logs[0] != logF(1) || logs[1] != logF(3) {
		t.Fatalf("files %q: the test expects log.1 to hold records 1 and 2", logs)
	}
	fs.damage(logF(1), off2+20, []byte{0xff}) // a payload byte of record 2
	_, rec := crashOpen(t, fs, opts)
	wantZxids(t, rec.Records, []uint64{1})
	want := []string{
		"log.0000000000000001: truncated damaged record at offset 45 and all after it (26 bytes): checksum mismatch",
		"log.0000000000000003: follows zxid 0x2 but the history before it ends at 0x1: a gap, removed",
	}
	for _, name := range logs[2:] {
		want = append(want, name+": after the gap at log.0000000000000003, removed")
	}
	wantRepairs(t, rec, want...)
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1))
}

func TestRecordsOutOfOrderOrMisnamedAreCut(t *testing.T) {
	fs := oneLog(t, 1, 2)
	b, _ := fs.ReadFile(logF(1))
	other := oneLog(t, 2, 3)
	b2, _ := other.ReadFile(logF(2))
	// log.1 followed by a copy of record 2 (valid checksum, zxid 2 again), then record 3.
	fs.put(logF(1), append(slices.Clone(b), b2[20:]...))
	_, rec := crashOpen(t, fs, storage.Options{})
	wantZxids(t, rec.Records, []uint64{1, 2})
	wantRepairs(t, rec, "log.0000000000000001: truncated record at offset 71 and all after it (53 bytes): its zxid 0x2 does not follow 0x2")

	fs = newMemFS()
	fs.put(logF(5), b) // holds records 1 and 2 under the name of 5
	_, rec = crashOpen(t, fs, storage.Options{})
	wantZxids(t, rec.Records, nil)
	wantRepairs(t, rec, "log.0000000000000005: first record and all after it (51 bytes): its zxid 0x1 is not the name's, leaving no record: removed")
}

func TestLogFilesWithoutRecordsAreRemoved(t *testing.T) {
	fs := oneLog(t, 1, 2)
	fs.put(logF(3), storage.LogHeader(2))   // a header only: the crash came before the first record
	fs.put(logF(4), nil)                    // created, nothing written
	fs.put(logF(5), []byte("ZSLG garbage")) // a torn header
	_, rec := crashOpen(t, fs, storage.Options{})
	wantZxids(t, rec.Records, []uint64{1, 2})
	wantRepairs(t, rec,
		"log.0000000000000003: holds no record, removed",
		"log.0000000000000004: torn header (0 of 20 bytes), removed",
		"log.0000000000000005: torn header (12 of 20 bytes), removed")
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1))
}

func TestStrayTmpFilesAreRemovedAndOtherFilesLeftAlone(t *testing.T) {
	fs := oneLog(t, 1)
	fs.put("snapshot.0000000000000001.tmp", []byte("half a snapshot"))
	fs.put("acceptedEpoch.tmp", []byte("3"))
	fs.put("currentEpoch.tmp", []byte("2\n"))
	fs.put("notes.txt", []byte("not ours"))
	fs.put("log.1", []byte("not ours either: not 16 hex digits"))
	_, rec := crashOpen(t, fs, storage.Options{})
	wantZxids(t, rec.Records, []uint64{1})
	wantRepairs(t, rec,
		"snapshot.0000000000000001.tmp: unfinished snapshot (a crash came before its rename), removed",
		"acceptedEpoch.tmp: unfinished epoch write (a crash came before its rename), removed",
		"currentEpoch.tmp: unfinished epoch write (a crash came before its rename), removed")
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1), "log.1", "notes.txt")
}

func TestSnapshotBecomesVisibleAtSyncAndRollsTheLog(t *testing.T) {
	fs := newMemFS()
	s := freshStore(t, fs, storage.Options{})
	s.Append(records(1, 2, 3)...)
	s.SaveSnapshot(2, []byte("state at 2"))
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1), snapF(2)+".tmp")
	s.Append(records(4)...)
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1), logF(4), snapF(2)+".tmp")

	// A crash before the Sync: no snapshot, and its tmp is removed.
	_, rec := crashOpen(t, fs, storage.Options{})
	if rec.Snapshot != nil {
		t.Fatalf("recovered snapshot %q before its Sync", rec.Snapshot)
	}

	fs = newMemFS()
	s = freshStore(t, fs, storage.Options{})
	s.Append(records(1, 2, 3)...)
	s.SaveSnapshot(2, []byte("state at 2"))
	s.Append(records(4)...)
	syncNow(t, fs, s)
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1), logF(4), snapF(2))
	_, rec = crashOpen(t, fs, storage.Options{})
	if rec.SnapshotZxid != 2 || string(rec.Snapshot) != "state at 2" {
		t.Fatalf("recovered snapshot %d %q", rec.SnapshotZxid, rec.Snapshot)
	}
	wantZxids(t, rec.Records, []uint64{3, 4}) // a log whose first records are older than the snapshot
	if rec.LastZxid != 4 {
		t.Fatalf("LastZxid %d", rec.LastZxid)
	}
}

func TestSnapshotPastTheLog(t *testing.T) {
	// A SNAP sync (B4) installs a snapshot newer than anything logged; the records after it
	// follow the snapshot, not the log.
	fs := newMemFS()
	s := freshStore(t, fs, storage.Options{})
	s.Append(records(1, 2)...)
	s.SetAcceptedEpoch(1)
	s.SetCurrentEpoch(1)
	syncNow(t, fs, s)
	s.SaveSnapshot(zx(1, 9), []byte("leader state"))
	if s.LastZxid() != zx(1, 9) {
		t.Fatalf("LastZxid %#x after a snapshot past the log", s.LastZxid())
	}
	s.Append(records(zx(1, 10))...)
	syncNow(t, fs, s)
	s, rec := crashOpen(t, fs, storage.Options{})
	if rec.SnapshotZxid != zx(1, 9) || rec.LastZxid != zx(1, 10) {
		t.Fatalf("recovered snapshot %#x last %#x", rec.SnapshotZxid, rec.LastZxid)
	}
	wantZxids(t, rec.Records, []uint64{zx(1, 10)})

	// Without the snapshot, the file after it follows a gap: recovery stops before it.
	if err := fs.Remove(snapF(zx(1, 9))); err != nil {
		t.Fatal(err)
	}
	_, rec = crashOpen(t, fs, storage.Options{})
	wantZxids(t, rec.Records, []uint64{1, 2})
	wantRepairs(t, rec, "log.000000010000000a: follows zxid 0x100000009 but the history before it ends at 0x2: a gap, removed")
	_ = s
}

func TestDamagedSnapshotFallsBackToTheNextOlderOne(t *testing.T) {
	fs := newMemFS()
	s := freshStore(t, fs, storage.Options{})
	s.Append(records(1, 2, 3)...)
	s.SaveSnapshot(3, []byte("at 3"))
	s.Append(records(4, 5, 6)...)
	s.SaveSnapshot(6, []byte("at 6"))
	s.Append(records(7)...)
	syncNow(t, fs, s)
	b, _ := fs.ReadFile(snapF(6))
	fs.damage(snapF(6), len(b)-1, []byte{'X'})
	_, rec := crashOpen(t, fs, storage.Options{})
	if rec.SnapshotZxid != 3 || string(rec.Snapshot) != "at 3" {
		t.Fatalf("fell back to snapshot %d %q", rec.SnapshotZxid, rec.Snapshot)
	}
	wantZxids(t, rec.Records, []uint64{4, 5, 6, 7})
	wantRepairs(t, rec, "snapshot.0000000000000006: damaged (checksum mismatch), skipped and removed")

	for _, tc := range []struct{ name, contents, problem string }{
		{"empty", "", "torn header (0 of 28 bytes)"},
		{"cut short", "ZSSN\x01\x00\x00\x00\x06\x00\x00\x00\x00\x00\x00\x00\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00at", "holds 2 data bytes, its header says 9"},
		{"not a snapshot", "ZSLG and more bytes than a header has", `not a snapshot (magic "ZSLG")`},
	} {
		fs.put(snapF(6), []byte(tc.contents))
		_, rec := crashOpen(t, fs, storage.Options{})
		if rec.SnapshotZxid != 3 {
			t.Fatalf("%s: recovered snapshot %d", tc.name, rec.SnapshotZxid)
		}
		wantRepairs(t, rec, "snapshot.0000000000000006: damaged ("+tc.problem+"), skipped and removed")
	}
	// A valid snapshot under another snapshot's name.
	b3, _ := fs.ReadFile(snapF(3))
	fs.put(snapF(6), b3)
	_, rec = crashOpen(t, fs, storage.Options{})
	wantRepairs(t, rec, "snapshot.0000000000000006: damaged (holds the snapshot at 0x3, not the name's), skipped and removed")
}

func TestEveryDamagedSnapshotWithPurgedLogsRecoversTheEmptyState(t *testing.T) {
	fs := newMemFS()
	s := freshStore(t, fs, storage.Options{LogFileBytes: 60})
	s.Append(records(1, 2, 3)...)
	s.SaveSnapshot(3, []byte("at 3"))
	s.Append(records(4, 5)...)
	syncNow(t, fs, s)
	if removed := s.Purge(1); !slices.Equal(removed, []string{logF(1), logF(3)}) {
		t.Fatalf("purged %q", removed)
	}
	fs.put(snapF(3), []byte("bad"))
	_, rec := crashOpen(t, fs, storage.Options{})
	if rec.Snapshot != nil || len(rec.Records) != 0 || rec.LastZxid != 0 {
		t.Fatalf("recovered %+v, want the empty state: the log left follows a purged history", rec)
	}
	if len(rec.Repairs) != 2 || !strings.Contains(rec.Repairs[1], "a gap, removed") {
		t.Fatalf("repairs %q", rec.Repairs)
	}
}

func TestRecoveryTrustsALaterFileOverATruncationALostFsyncUndid(t *testing.T) {
	fs := newMemFS()
	opts := storage.Options{LogFileBytes: 1000}
	s := freshStore(t, fs, opts)
	s.Append(records(span(1, 10)...)...)
	syncNow(t, fs, s)
	if err := s.TruncateAfter(5); err != nil {
		t.Fatal(err)
	}
	s.Append(records(7, 8)...)
	fs.loseSyncs = 1 // the fsync of the cut lies; the marker goes with the Sync
	syncNow(t, fs, s)
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1), logF(7))
	_, rec := crashOpen(t, fs, opts)
	wantZxids(t, rec.Records, []uint64{1, 2, 3, 4, 5, 7, 8})
	wantRepairs(t, rec, "log.0000000000000001: truncated 5 records after zxid 0x5: superseded by log.0000000000000007, which follows it")
}
