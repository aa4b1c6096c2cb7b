package storage_test

import (
	"slices"
	"strings"
	"testing"

	"zoosim/zab/storage"
)

func TestSyncedRecordsSurviveACrashAndUnsyncedOnesDoNot(t *testing.T) {
	fs := newMemFS()
	_, rec := mustOpen(t, fs, storage.Options{})
	if rec.LastZxid != 0 || len(rec.Records) != 0 || rec.Snapshot != nil || len(rec.Repairs) != 0 {
		t.Fatalf("empty disk recovered %+v", rec)
	}
	s := freshStore(t, fs, storage.Options{})
	s.Append(records(1, 2, 3)...)
	syncNow(t, fs, s)
	s.Append(records(4, 5)...)
	if s.LastZxid() != 5 {
		t.Fatalf("LastZxid %d", s.LastZxid())
	}
	_, rec = crashOpen(t, fs, storage.Options{})
	wantZxids(t, rec.Records, []uint64{1, 2, 3})
	wantFiles(t, fs, "acceptedEpoch", "currentEpoch", logF(1))
}

func TestAppendStartsANewFileAfterOpenAndPastLogFileBytes(t *testing.T) {
	fs := newMemFS()
	opts := storage.Options{LogFileBytes: 100}
	s := freshStore(t, fs, opts)
	// One call whose records straddle several files: each file is cut once it reaches 100 bytes.
	s.Append(records(span(1, 8)...)...)
	syncNow(t, fs, s)
	files := fs.List()[2:]
	if len(files) < 3 {
		t.Fatalf("files %q: want the records spread over several files", files)
	}
	for _, name := range files {
		b, _ := fs.ReadFile(name)
		if len(b) > 100+16+16 {
			t.Errorf("%s has %d bytes: more than one record past LogFileBytes", name, len(b))
		}
	}
	s, rec := crashOpen(t, fs, opts)
	wantZxids(t, rec.Records, span(1, 8))
	s.Append(records(9)...)
	syncNow(t, fs, s)
	if got := fs.List(); got[len(got)-1] != logF(9) {
		t.Fatalf("after Open the next append went to %q, want a new file %s", got, logF(9))
	}
	_, rec = crashOpen(t, fs, opts)
	wantZxids(t, rec.Records, span(1, 9))
}

func TestAppendPanicsOnZxidsThatDoNotIncrease(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*storage.Store)
		next  uint64
	}{
		{"equal", func(s *storage.Store) { s.Append(records(5)...) }, 5},
		{"lower", func(s *storage.Store) { s.Append(records(5)...) }, 4},
		{"zero", func(s *storage.Store) {}, 0},
		{"within one call", func(s *storage.Store) {}, 0},
		{"not past a snapshot", func(s *storage.Store) { s.SaveSnapshot(10, nil) }, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := mustOpen(t, newMemFS(), storage.Options{})
			tc.setup(s)
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "zxids must increase") {
					t.Fatalf("recovered %v, want a panic about increasing zxids", r)
				}
			}()
			if tc.name == "within one call" {
				s.Append(records(3, 3)...)
			}
			s.Append(records(tc.next)...)
		})
	}
}

func TestSyncsCompleteInOrderAndCoverOnlyWhatCameBefore(t *testing.T) {
	fs := newMemFS()
	s := freshStore(t, fs, storage.Options{})
	var order []int
	s.Append(records(1)...)
	s.Sync(func(error) { order = append(order, 1) })
	s.Append(records(2)...)
	s.Sync(func(error) { order = append(order, 2) })
	s.Sync(func(error) { order = append(order, 3) }) // nothing new: waits behind the others
	fs.complete(1)
	if !slices.Equal(order, []int{1}) {
		t.Fatalf("after one fsync, dones %v", order)
	}
	_, rec := crashOpen(t, fs, storage.Options{})
	wantZxids(t, rec.Records, []uint64{1})

	fs = newMemFS()
	s = freshStore(t, fs, storage.Options{})
	order = nil
	s.Append(records(1)...)
	s.Sync(func(error) { order = append(order, 1) })
	s.Append(records(2)...)
	s.Sync(func(error) { order = append(order, 2) })
	s.Sync(func(error) { order = append(order, 3) })
	fs.complete(-1)
	if !slices.Equal(order, []int{1, 2, 3}) {
		t.Fatalf("dones ran in order %v", order)
	}
}

func TestSyncWithNothingToDoStillCompletesLater(t *testing.T) {
	fs := newMemFS()
	s := freshStore(t, fs, storage.Options{})
	called := false
	s.Sync(func(error) { called = true }) // no log file, nothing written: nothing to fsync
	if !called {
		t.Fatal("Sync on an empty disk did not call done")
	}
	s.Append(records(1)...)
	syncNow(t, fs, s)
	called = false
	s.Sync(func(error) { called = true })
	if called {
		t.Fatal("done ran inside Sync although a log file exists to fsync")
	}
	fs.complete(-1)
	if !called {
		t.Fatal("done never ran")
	}
}

func TestDoneMaySyncAgain(t *testing.T) {
	fs := newMemFS()
	s := freshStore(t, fs, storage.Options{})
	var order []string
	s.Append(records(1)...)
	s.Sync(func(error) {
		order = append(order, "first")
		s.Append(records(4)...)
		s.Sync(func(error) { order = append(order, "nested") })
	})
	s.Append(records(3)...)
	s.Sync(func(error) { order = append(order, "second") })
	fs.complete(-1)
	if !slices.Equal(order, []string{"first", "second", "nested"}) {
		t.Fatalf("dones ran in order %v", order)
	}
}

// failFS fails every fsync after the first ok ones.
type failFS struct {
	*memFS
	ok int
}

func (f *failFS) Sync(name string, done func(error)) {
	if f.ok > 0 {
		f.ok--
		f.memFS.Sync(name, done)
		return
	}
	f.memFS.Sync(name, func(error) { done(errIO) })
}

var errIO = errorString("EIO")

type errorString string

func (e errorString) Error() string { return string(e) }

func TestFailedFsyncFailsThatSyncAndEveryLaterOne(t *testing.T) {
	fs := &failFS{memFS: newMemFS(), ok: 1 << 30}
	s, _ := mustOpen(t, fs, storage.Options{})
	s.Sync(nil)
	fs.complete(-1)
	fs.ok = 1
	var errs []error
	s.Append(records(1)...)
	s.Sync(func(err error) { errs = append(errs, err) })
	s.Append(records(2)...)
	s.SetCurrentEpoch(1)
	s.Sync(func(err error) { errs = append(errs, err) })
	s.Append(records(3)...)
	s.Sync(func(err error) { errs = append(errs, err) })
	fs.complete(-1)
	if len(errs) != 3 || errs[0] != nil || errs[1] == nil || errs[2] == nil {
		t.Fatalf("dones got %v; want nil, then ErrSync twice", errs)
	}
	if !strings.Contains(errs[1].Error(), "storage: fsync failed") || !strings.Contains(errs[1].Error(), "EIO") {
		t.Fatalf("error %q does not say what failed", errs[1])
	}
	if b, _ := fs.ReadFile("currentEpoch"); string(b) != "0\n" {
		t.Fatalf("currentEpoch holds %q: renamed although its fsync failed", b)
	}
}
