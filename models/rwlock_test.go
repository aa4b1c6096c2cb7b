package models

import (
	"strings"
	"testing"

	"zoosim/histories"
	"zoosim/tree"
)

func rwlockStep(process int, session tree.SessionID, step string, token int64) histories.RecipeEvent {
	kind := "read-"
	if strings.HasPrefix(step, "write") {
		kind = "write-"
	}
	return histories.RecipeEvent{Process: process, Session: session, Recipe: histories.RecipeRWLock, Step: step,
		Name: "/rw", Node: "/rw/" + kind + string(rune('a'+process)), Token: token}
}

// TestRWLocksPassesSharedReadersAndLoneWriters: two readers overlap, then a writer holds alone,
// then a reader and another writer follow: a correct history.
func TestRWLocksPassesSharedReadersAndLoneWriters(t *testing.T) {
	b := newRecipeHistory()
	b.step(10*ms, rwlockStep(1, 0x11, "read-acquired", 3))
	b.step(12*ms, rwlockStep(2, 0x12, "read-acquired", 4))
	b.step(20*ms, rwlockStep(1, 0x11, "read-released", 3))
	b.step(22*ms, rwlockStep(2, 0x12, "read-released", 4))
	b.step(23*ms, rwlockStep(3, 0x13, "write-acquired", 5))
	b.step(30*ms, rwlockStep(3, 0x13, "write-released", 5))
	b.step(31*ms, rwlockStep(1, 0x11, "read-acquired", 6))
	b.step(35*ms, rwlockStep(1, 0x11, "read-released", 6))
	b.step(36*ms, rwlockStep(2, 0x12, "write-acquired", 8))
	b.step(40*ms, rwlockStep(2, 0x12, "write-released", 8))
	v := CheckRWLocks(b.finish(50*ms), RWLockOptions{})
	if v.Status != Pass || !strings.Contains(v.Summary, "3 read and 2 write holds of 1 locks") {
		t.Fatalf("a correct history: %s", v.String())
	}
	if v.Metrics[2].Value != 2 {
		t.Fatalf("most readers at once = %v, want 2", v.Metrics[2].Value)
	}
}

// TestRWLocksCatchesReaderDuringWriter plants what a reader that ignores the write nodes before
// it does: it holds while a writer holds, whichever began first.
func TestRWLocksCatchesReaderDuringWriter(t *testing.T) {
	for _, readerFirst := range []bool{false, true} {
		b := newRecipeHistory()
		r, w := 10*ms, 12*ms
		if !readerFirst {
			r, w = w, r
		}
		b.step(r, rwlockStep(1, 0x11, "read-acquired", 3))
		b.step(w, rwlockStep(2, 0x12, "write-acquired", 5))
		b.step(20*ms, rwlockStep(1, 0x11, "read-released", 3))
		b.step(21*ms, rwlockStep(2, 0x12, "write-released", 5))
		v := CheckRWLocks(b.finish(50*ms), RWLockOptions{})
		if v.Status != Fail || !strings.Contains(v.Summary, "held at once") {
			t.Fatalf("reader first %v: %s", readerFirst, v.String())
		}
	}
}

// TestRWLocksCatchesTwoWriters plants two writers at once.
func TestRWLocksCatchesTwoWriters(t *testing.T) {
	b := newRecipeHistory()
	b.step(10*ms, rwlockStep(1, 0x11, "write-acquired", 3))
	b.step(12*ms, rwlockStep(2, 0x12, "write-acquired", 5))
	b.step(20*ms, rwlockStep(1, 0x11, "write-released", 3))
	b.step(21*ms, rwlockStep(2, 0x12, "write-released", 5))
	v := CheckRWLocks(b.finish(50*ms), RWLockOptions{})
	if v.Status != Fail || v.Total != 1 || !strings.Contains(v.Summary, "still held") {
		t.Fatalf("two writers: %s", v.String())
	}
}

// TestRWLocksCatchesWriteTokenGoingBack plants write tokens that do not increase.
func TestRWLocksCatchesWriteTokenGoingBack(t *testing.T) {
	b := newRecipeHistory()
	b.step(10*ms, rwlockStep(1, 0x11, "write-acquired", 9))
	b.step(20*ms, rwlockStep(1, 0x11, "write-released", 9))
	b.step(21*ms, rwlockStep(2, 0x12, "write-acquired", 7))
	b.step(30*ms, rwlockStep(2, 0x12, "write-released", 7))
	v := CheckRWLocks(b.finish(40*ms), RWLockOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "write token 7") {
		t.Fatalf("token going back: %s", v.String())
	}
}

// TestRWLocksSessionEndCutsHold: a reader whose session expired still believes it holds (it was
// paused) when a writer takes the lock after the expiry committed: no violation. The same
// takeover before the expiry committed is one.
func TestRWLocksSessionEndCutsHold(t *testing.T) {
	for _, tc := range []struct {
		expireAt histories.Time
		want     Status
	}{{expireAt: 14 * ms, want: Pass}, {expireAt: 16 * ms, want: Fail}} {
		b := newRecipeHistory()
		b.step(10*ms, rwlockStep(1, 0x11, "read-acquired", 5))
		b.expire(tc.expireAt, 0x11)
		b.step(15*ms, rwlockStep(2, 0x12, "write-acquired", 7))
		b.step(20*ms, rwlockStep(2, 0x12, "write-released", 7))
		b.step(30*ms, rwlockStep(1, 0x11, "read-released", 5))
		v := CheckRWLocks(b.finish(40*ms), RWLockOptions{})
		if v.Status != tc.want {
			t.Errorf("expiry committed at %s, writer at 15ms: %s, want %s", FormatTime(tc.expireAt), v.String(), tc.want)
		}
	}
}

// TestRWLocksIgnoresOtherRecipes: lock steps of another recipe are not the read-write lock's.
func TestRWLocksIgnoresOtherRecipes(t *testing.T) {
	b := newRecipeHistory()
	b.step(10*ms, lockStep(1, 0x11, "acquired", 5))
	v := CheckRWLocks(b.finish(40*ms), RWLockOptions{})
	if v.Status != Pass || !strings.Contains(v.Summary, "nothing to check") {
		t.Fatalf("no rwlock steps: %s", v.String())
	}
}
