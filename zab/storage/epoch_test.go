package storage_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"zoosim/zab/storage"
)

// epochDisk is a disk whose log ends in epoch 2, with the given epoch files.
func epochDisk(t *testing.T, files map[string]string) *memFS {
	t.Helper()
	fs := newMemFS()
	s := freshStore(t, fs, storage.Options{})
	s.SetAcceptedEpoch(2)
	s.SetCurrentEpoch(2)
	s.Append(records(zx(1, 1), zx(2, 1))...)
	syncNow(t, fs, s)
	for name, contents := range files {
		if contents == "" {
			_ = fs.Remove(name)
		} else {
			fs.put(name, []byte(contents))
		}
	}
	return fs
}

func TestEpochFilesRoundTrip(t *testing.T) {
	fs := epochDisk(t, nil)
	s, rec := crashOpen(t, fs, storage.Options{})
	if rec.AcceptedEpoch != 2 || rec.CurrentEpoch != 2 || s.AcceptedEpoch() != 2 || s.CurrentEpoch() != 2 {
		t.Fatalf("epochs %d %d", rec.AcceptedEpoch, rec.CurrentEpoch)
	}
	if b, _ := fs.ReadFile("currentEpoch"); string(b) != "2\n" {
		t.Fatalf("currentEpoch holds %q", b)
	}
	s.SetAcceptedEpoch(3)
	_, rec = crashOpen(t, fs, storage.Options{})
	if rec.AcceptedEpoch != 2 {
		t.Fatalf("an unsynced acceptedEpoch survived: %d", rec.AcceptedEpoch)
	}
}

func TestMissingEpochFilesDefaultToTheLastZxidsEpochAndAreWritten(t *testing.T) {
	fs := epochDisk(t, map[string]string{"acceptedEpoch": "", "currentEpoch": ""})
	s, rec := crashOpen(t, fs, storage.Options{})
	if rec.AcceptedEpoch != 2 || rec.CurrentEpoch != 2 {
		t.Fatalf("defaults %d %d, want the epoch of %#x", rec.AcceptedEpoch, rec.CurrentEpoch, rec.LastZxid)
	}
	syncNow(t, fs, s)
	for _, f := range []string{"acceptedEpoch", "currentEpoch"} {
		if b, _ := fs.ReadFile(f); string(b) != "2\n" {
			t.Fatalf("%s holds %q after the first Sync", f, b)
		}
	}
}

func TestCurrentEpochBehindTheLog(t *testing.T) {
	// The ZOOKEEPER-1653 crash: the log reached epoch 2, currentEpoch still says 1.
	for _, tc := range []struct {
		name, tmp string
		want      string // error text, or "" when currentEpoch.tmp saves the day
	}{
		{"no tmp", "", "currentEpoch is 1 but the last zxid 0x200000001 is in epoch 2, and no currentEpoch.tmp"},
		{"torn tmp", "2", `currentEpoch.tmp holds "2", not a number and a newline`},
		{"tmp also behind", "1\n", "currentEpoch.tmp holds 1, also behind"},
		{"tmp", "2\n", ""},
		{"tmp ahead", "3\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := epochDisk(t, map[string]string{"currentEpoch": "1\n", "acceptedEpoch": "3\n", "currentEpoch.tmp": tc.tmp})
			before := fs.List()
			s, rec, err := storage.Open(fs, storage.Options{})
			if tc.want != "" {
				if !errors.Is(err, storage.ErrEpochBehind) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Open: %v; want ErrEpochBehind saying %q", err, tc.want)
				}
				if s != nil || rec == nil || rec.LastZxid != zx(2, 1) {
					t.Fatalf("store %v, recovered %+v", s, rec)
				}
				if !slices.Equal(fs.List(), before) {
					t.Fatalf("a refused Open changed the files: %q", fs.List())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tc.tmp[:1]
			if got := rec.CurrentEpoch; got != int64(want[0]-'0') {
				t.Fatalf("currentEpoch %d, want %s from the tmp", got, want)
			}
			wantRepairs(t, rec, "currentEpoch: holds 1, behind the last zxid's epoch 2: replaced by currentEpoch.tmp, which holds "+want+" (ZOOKEEPER-4269)")
			if b, _ := fs.ReadFile("currentEpoch"); string(b) != tc.tmp {
				t.Fatalf("currentEpoch holds %q", b)
			}
			wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(zx(1, 1)))
		})
	}
}

func TestAcceptedEpochBelowCurrentEpochIsRefused(t *testing.T) {
	// The ZOOKEEPER-2307 state.
	fs := epochDisk(t, map[string]string{"acceptedEpoch": "2\n", "currentEpoch": "3\n"})
	_, rec, err := storage.Open(fs, storage.Options{})
	if !errors.Is(err, storage.ErrEpochOrder) || !strings.Contains(err.Error(), "acceptedEpoch is 2, currentEpoch is 3") {
		t.Fatalf("Open: %v", err)
	}
	if rec == nil || rec.AcceptedEpoch != 2 || rec.CurrentEpoch != 3 {
		t.Fatalf("recovered %+v", rec)
	}
	// A missing acceptedEpoch defaults to the log's epoch, which is below currentEpoch too.
	fs = epochDisk(t, map[string]string{"acceptedEpoch": "", "currentEpoch": "3\n"})
	if _, _, err := storage.Open(fs, storage.Options{}); !errors.Is(err, storage.ErrEpochOrder) {
		t.Fatalf("Open: %v", err)
	}
}

func TestDamagedEpochFileIsRefused(t *testing.T) {
	for _, contents := range []string{"x\n", "\n", "12", "-1\n", "99999999999999999999\n"} {
		fs := epochDisk(t, map[string]string{"acceptedEpoch": contents})
		_, _, err := storage.Open(fs, storage.Options{})
		if !errors.Is(err, storage.ErrEpochFile) || !strings.Contains(err.Error(), "acceptedEpoch holds") {
			t.Fatalf("acceptedEpoch %q: Open: %v", contents, err)
		}
	}
}

func TestEpochSetWhileItsRenameIsInFlightWaitsForIt(t *testing.T) {
	fs := newMemFS()
	s := freshStore(t, fs, storage.Options{})
	s.SetAcceptedEpoch(1)
	var done []int
	s.Sync(func(error) { done = append(done, 1) })
	s.SetAcceptedEpoch(2) // must not touch acceptedEpoch.tmp: the first Sync is about to rename it
	if b, _ := fs.ReadFile("acceptedEpoch.tmp"); string(b) != "1\n" {
		t.Fatalf("acceptedEpoch.tmp holds %q while its rename is in flight", b)
	}
	s.Sync(func(error) { done = append(done, 2) })
	s.SetAcceptedEpoch(3) // waits too; covered by the second Sync, which writes the newest value
	s.Sync(func(error) { done = append(done, 3) })
	if s.AcceptedEpoch() != 3 {
		t.Fatalf("AcceptedEpoch %d", s.AcceptedEpoch())
	}

	// Complete one fsync at a time and crash at every point: the recovered epoch is always a
	// value that was set, never older than the last acknowledged one, and never damage.
	for step := 0; ; step++ {
		c := cloneFS(fs)
		c.crash(tornUnsynced, false, func(n int) int { return n - 1 })
		_, rec := mustOpen(t, c, storage.Options{})
		acked := int64(len(done))
		if rec.AcceptedEpoch < acked || rec.AcceptedEpoch > 3 {
			t.Fatalf("step %d: recovered acceptedEpoch %d after dones %v", step, rec.AcceptedEpoch, done)
		}
		if fs.complete(1) == 0 {
			break
		}
	}
	if !slices.Equal(done, []int{1, 2, 3}) {
		t.Fatalf("dones %v", done)
	}
	if b, _ := fs.ReadFile("acceptedEpoch"); string(b) != "3\n" {
		t.Fatalf("acceptedEpoch holds %q", b)
	}
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch")
}

func TestNegativeEpochPanics(t *testing.T) {
	s, _ := mustOpen(t, newMemFS(), storage.Options{})
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	s.SetCurrentEpoch(-1)
}
