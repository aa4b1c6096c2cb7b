package models

import (
	"strings"
	"testing"

	"zoosim/histories"
	"zoosim/tree"
)

const ms = histories.Time(1e6)

// recipeHistory builds a history of recipe steps; expire, when set, commits the end of a
// session at a time (a closeSession txn applied by server 0).
type recipeHistory struct {
	rec  *histories.Recorder
	zxid tree.Zxid
}

func newRecipeHistory() *recipeHistory {
	return &recipeHistory{rec: histories.NewRecorder(histories.Header{Seed: 1}, 1, 0, nil), zxid: 0x100000000}
}

func (b *recipeHistory) step(at histories.Time, e histories.RecipeEvent) { b.rec.Recipe(at, e) }

func (b *recipeHistory) expire(at histories.Time, s tree.SessionID) {
	b.zxid++
	b.rec.Apply(at, 0, 1, &tree.Txn{Header: tree.Header{Session: s, Zxid: b.zxid}, Type: tree.OpCloseSession})
}

func (b *recipeHistory) finish(end histories.Time) *histories.History {
	return b.rec.Finish(end, 0, 0, nil)
}

func lockStep(process int, session tree.SessionID, step string, token int64) histories.RecipeEvent {
	return histories.RecipeEvent{Process: process, Session: session, Recipe: histories.RecipeLock, Step: step,
		Name: "/l", Node: "/l/lock-" + string(rune('a'+process)), Token: token}
}

func TestLocksPassesSequentialHolds(t *testing.T) {
	b := newRecipeHistory()
	b.step(10*ms, lockStep(1, 0x11, "acquired", 5))
	b.step(20*ms, lockStep(1, 0x11, "released", 5))
	b.step(21*ms, lockStep(2, 0x12, "acquired", 7))
	b.step(30*ms, lockStep(2, 0x12, "released", 7))
	v := CheckLocks(b.finish(40*ms), LockOptions{})
	if v.Status != Pass || !strings.Contains(v.Summary, "2 holds of 1 locks") {
		t.Fatalf("two sequential holds: %s", v.String())
	}
}

// TestLocksCatchesOverlap plants the fault a lock that skips the predecessor check makes: a
// second holder while the first still holds with a live session.
func TestLocksCatchesOverlap(t *testing.T) {
	b := newRecipeHistory()
	b.step(10*ms, lockStep(1, 0x11, "acquired", 5))
	b.step(15*ms, lockStep(2, 0x12, "acquired", 7))
	b.step(20*ms, lockStep(1, 0x11, "released", 5))
	b.step(30*ms, lockStep(2, 0x12, "released", 7))
	v := CheckLocks(b.finish(40*ms), LockOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "still held it") {
		t.Fatalf("overlapping holds: %s", v.String())
	}
}

// TestLocksCatchesTokenGoingBack plants fencing tokens that do not increase.
func TestLocksCatchesTokenGoingBack(t *testing.T) {
	b := newRecipeHistory()
	b.step(10*ms, lockStep(1, 0x11, "acquired", 9))
	b.step(20*ms, lockStep(1, 0x11, "released", 9))
	b.step(21*ms, lockStep(2, 0x12, "acquired", 7))
	b.step(30*ms, lockStep(2, 0x12, "released", 7))
	v := CheckLocks(b.finish(40*ms), LockOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "fencing token 7") {
		t.Fatalf("token going back: %s", v.String())
	}
}

// TestLocksSessionEndCutsHold: a holder whose session expired still believes it holds (it was
// paused), and another takes the lock after the expiry committed: no violation, since mutual
// exclusion is owed only among live sessions. The same takeover before the expiry committed is
// one.
func TestLocksSessionEndCutsHold(t *testing.T) {
	for _, tc := range []struct {
		expireAt histories.Time
		want     Status
	}{{expireAt: 14 * ms, want: Pass}, {expireAt: 16 * ms, want: Fail}} {
		b := newRecipeHistory()
		b.step(10*ms, lockStep(1, 0x11, "acquired", 5))
		b.expire(tc.expireAt, 0x11)
		b.step(15*ms, lockStep(2, 0x12, "acquired", 7))
		b.step(20*ms, lockStep(2, 0x12, "released", 7))
		b.step(30*ms, lockStep(1, 0x11, "released", 5)) // the paused holder lets go late
		v := CheckLocks(b.finish(40*ms), LockOptions{})
		if v.Status != tc.want {
			t.Errorf("expiry committed at %s, takeover at 15ms: %s, want %s", FormatTime(tc.expireAt), v.String(), tc.want)
		}
	}
}

// TestLocksStaleHoldIsNotJudged: a hold that begins after its session ended (read from a
// server behind the expiry) is counted, not judged.
func TestLocksStaleHoldIsNotJudged(t *testing.T) {
	b := newRecipeHistory()
	b.step(10*ms, lockStep(2, 0x12, "acquired", 7))
	b.expire(11*ms, 0x11)
	b.step(12*ms, lockStep(1, 0x11, "acquired", 5))
	b.step(20*ms, lockStep(2, 0x12, "released", 7))
	v := CheckLocks(b.finish(40*ms), LockOptions{})
	if v.Status != Pass || v.Metrics[2].Value != 1 {
		t.Fatalf("stale hold: %s %+v", v.String(), v.Metrics)
	}
}
