package storage_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"zoosim/zab/storage"
)

// zx makes a zxid from an epoch and a counter (zookeeper.md B1).
func zx(epoch, counter uint64) uint64 { return epoch<<32 | counter }

// payload is a record's deterministic contents, so a recovered record can be checked by zxid.
func payload(z uint64) []byte {
	return []byte(fmt.Sprintf("txn %#x %s", z, strings.Repeat("x", int(z%7))))
}

func records(zs ...uint64) []storage.Record {
	out := make([]storage.Record, len(zs))
	for i, z := range zs {
		out[i] = storage.Record{Zxid: z, Payload: payload(z)}
	}
	return out
}

func span(from, to uint64) []uint64 {
	var zs []uint64
	for z := from; z <= to; z++ {
		zs = append(zs, z)
	}
	return zs
}

func zxidsOf(rs []storage.Record) []uint64 {
	zs := make([]uint64, len(rs))
	for i, r := range rs {
		zs[i] = r.Zxid
	}
	return zs
}

func mustOpen(t *testing.T, fs storage.FS, opts storage.Options) (*storage.Store, *storage.Recovered) {
	t.Helper()
	s, rec, err := storage.Open(fs, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	checkRecovered(t, rec)
	return s, rec
}

// checkRecovered checks what every recovery must give: increasing zxids after the snapshot,
// payloads as written, LastZxid consistent.
func checkRecovered(t *testing.T, rec *storage.Recovered) {
	t.Helper()
	last := rec.SnapshotZxid
	for _, r := range rec.Records {
		if r.Zxid <= last {
			t.Fatalf("recovered zxid %#x after %#x", r.Zxid, last)
		}
		if !bytes.Equal(r.Payload, payload(r.Zxid)) {
			t.Fatalf("recovered record %#x holds %q", r.Zxid, r.Payload)
		}
		last = r.Zxid
	}
	if rec.LastZxid != last {
		t.Fatalf("LastZxid %#x, want %#x", rec.LastZxid, last)
	}
}

// syncNow issues a Sync, completes every fsync and checks done ran once, without error.
func syncNow(t *testing.T, fs *memFS, s *storage.Store) {
	t.Helper()
	calls := 0
	s.Sync(func(err error) {
		calls++
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
	})
	fs.complete(-1)
	if calls != 1 {
		t.Fatalf("Sync's done ran %d times", calls)
	}
}

// crashOpen crashes the fake disk, losing unsynced writes, and opens it again.
func crashOpen(t *testing.T, fs *memFS, opts storage.Options) (*storage.Store, *storage.Recovered) {
	t.Helper()
	fs.crash(loseUnsynced, false, nil)
	return mustOpen(t, fs, opts)
}

func wantZxids(t *testing.T, got []storage.Record, want []uint64) {
	t.Helper()
	if g := zxidsOf(got); !slices.Equal(g, want) {
		t.Fatalf("records %x, want %x", g, want)
	}
}

func wantFiles(t *testing.T, fs *memFS, want ...string) {
	t.Helper()
	if got := fs.List(); !slices.Equal(got, want) {
		t.Fatalf("files %q, want %q", got, want)
	}
}

func wantRepairs(t *testing.T, rec *storage.Recovered, want ...string) {
	t.Helper()
	if !slices.Equal(rec.Repairs, want) {
		t.Fatalf("repairs:\n  %s\nwant:\n  %s", strings.Join(rec.Repairs, "\n  "), strings.Join(want, "\n  "))
	}
}

func logF(z uint64) string  { return fmt.Sprintf("log.%016x", z) }
func snapF(z uint64) string { return fmt.Sprintf("snapshot.%016x", z) }

// freshStore opens an empty disk and syncs the default epoch files Open writes, so a test
// starts from a quiet disk.
func freshStore(t *testing.T, fs *memFS, opts storage.Options) *storage.Store {
	t.Helper()
	s, _ := mustOpen(t, fs, opts)
	syncNow(t, fs, s)
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch")
	return s
}
