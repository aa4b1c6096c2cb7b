package storage_test

import (
	"slices"
	"strings"
	"testing"

	"zoosim/zab/storage"
)

// FuzzOpen feeds arbitrary bytes as two log files, a snapshot and the currentEpoch file, with or
// without a truncation marker. Open must never panic; when it succeeds, what it recovered must
// have increasing zxids, recovering the repaired disk again must give the same, and the store
// must carry on: a record appended and synced after recovery must be recovered next time.
func FuzzOpen(f *testing.F) {
	log1 := storage.LogHeader(0)
	for _, z := range []uint64{1, 2, 3, 4} {
		log1 = append(log1, storage.EncodeRecord(storage.Record{Zxid: z, Payload: payload(z)})...)
	}
	log2 := storage.LogHeader(4)
	for _, z := range []uint64{5, 6} {
		log2 = append(log2, storage.EncodeRecord(storage.Record{Zxid: z, Payload: payload(z)})...)
	}
	snap := storage.EncodeSnapshot(3, []byte("state at 3"))
	f.Add(log1, log2, snap, []byte("0\n"), false)
	f.Add(log1, log2, snap, []byte("0\n"), true)
	f.Add(log1[:len(log1)-5], log2, snap, []byte("1\n"), false)
	f.Add(log1, log2[:30], snap[:20], []byte(""), false)
	f.Add(log1, []byte{}, []byte("ZSSN"), []byte("x"), true)
	damaged := slices.Clone(log1)
	damaged[50] ^= 1
	f.Add(damaged, log2, snap, []byte("0\n"), false)
	f.Fuzz(func(t *testing.T, l1, l2, sn, epoch []byte, marker bool) {
		fs := newMemFS()
		fs.put("log.0000000000000001", l1)
		if len(l2) > 0 {
			fs.put("log.0000000000000005", l2)
		}
		if len(sn) > 0 {
			fs.put("snapshot.0000000000000003", sn)
		}
		if len(epoch) > 0 {
			fs.put("currentEpoch", epoch)
		}
		if marker {
			fs.put("truncate.0000000000000004", nil)
		}
		s, rec, err := storage.Open(fs, storage.Options{LogFileBytes: 64})
		if err != nil {
			if s != nil {
				t.Fatalf("Open failed (%v) and returned a store", err)
			}
			return
		}
		checkStructure(t, rec)

		// Crash right after Open: whether its repairs reached the disk (keep) or not (lose), the
		// next recovery gives the same; once they did, there is nothing left to repair.
		for _, keep := range []bool{false, true} {
			again := cloneFS(fs)
			again.crash(tornUnsynced, false, func(n int) int {
				if keep {
					return n - 1
				}
				return 0
			})
			_, rec2, err := storage.Open(again, storage.Options{LogFileBytes: 64})
			if err != nil {
				t.Fatalf("Open of the repaired disk: %v", err)
			}
			if !sameRecovery(rec, rec2) {
				t.Fatalf("recovering the repaired disk gave %+v, then %+v", rec, rec2)
			}
			for _, line := range rec2.Repairs {
				if keep && (strings.HasPrefix(line, "log.") || strings.HasPrefix(line, "snapshot.")) {
					t.Fatalf("repair %q of a disk already repaired", line)
				}
			}
		}

		next := rec.LastZxid + 1
		s.Append(storage.Record{Zxid: next, Payload: []byte("after recovery")})
		s.Sync(nil)
		fs.complete(-1)
		fs.crash(tornUnsynced, true, func(n int) int { return n / 2 })
		_, rec3, err := storage.Open(fs, storage.Options{LogFileBytes: 64})
		if err != nil {
			t.Fatalf("Open after appending to the recovered store: %v", err)
		}
		checkStructure(t, rec3)
		if rec3.LastZxid != next || string(rec3.Records[len(rec3.Records)-1].Payload) != "after recovery" {
			t.Fatalf("the synced record %#x was not recovered: %+v", next, rec3)
		}
	})
}

func checkStructure(t *testing.T, rec *storage.Recovered) {
	t.Helper()
	last := rec.SnapshotZxid
	for _, r := range rec.Records {
		if r.Zxid <= last {
			t.Fatalf("recovered zxid %#x after %#x", r.Zxid, last)
		}
		last = r.Zxid
	}
	if rec.LastZxid != last {
		t.Fatalf("LastZxid %#x, the records end at %#x", rec.LastZxid, last)
	}
	if rec.Snapshot == nil && rec.SnapshotZxid != 0 {
		t.Fatalf("snapshot zxid %#x without a snapshot", rec.SnapshotZxid)
	}
}

func sameRecovery(a, b *storage.Recovered) bool {
	if a.SnapshotZxid != b.SnapshotZxid || string(a.Snapshot) != string(b.Snapshot) || a.LastZxid != b.LastZxid ||
		a.AcceptedEpoch != b.AcceptedEpoch || a.CurrentEpoch != b.CurrentEpoch || len(a.Records) != len(b.Records) {
		return false
	}
	for i := range a.Records {
		if a.Records[i].Zxid != b.Records[i].Zxid || string(a.Records[i].Payload) != string(b.Records[i].Payload) {
			return false
		}
	}
	return true
}
