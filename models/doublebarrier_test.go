package models

import (
	"strconv"
	"strings"
	"testing"

	"zoosim/histories"
	"zoosim/tree"
)

// doubleBarrierRound builds a round of three processes (0, 1, 2) that entered and passed: their
// nodes at 10-12 ms, the ready node at 13 ms, the passes at 14-16 ms. It returns the ready
// node's zxid.
func doubleBarrierRound(b *recipeHistory) tree.Zxid {
	for p := range 3 {
		barrierEnter(b, histories.Time(10+p)*ms, p)
	}
	ready := barrierCreate(b, 13*ms, barrierTestDir+"/ready", barrierTestSession(2), false, "")
	for p := range 3 {
		b.step(histories.Time(14+p)*ms, doubleBarrierStep(p, "passed", ready))
	}
	return ready
}

func doubleBarrierStep(p int, step string, ready tree.Zxid) histories.RecipeEvent {
	value := ""
	if step == "passed" {
		value = strconv.FormatInt(int64(ready), 10)
	}
	return barrierTestStep(histories.RecipeDoubleBarrier, p, step, value)
}

// doubleBarrierLeave records process p's leaving at a time, and commits its delete 1 ms later.
func doubleBarrierLeave(b *recipeHistory, at histories.Time, p int) {
	b.step(at, doubleBarrierStep(p, "leaving", 0))
	barrierDelete(b, at+ms, barrierTestNode(p), barrierTestSession(p))
}

func TestDoubleBarriersPassesTogether(t *testing.T) {
	b := newRecipeHistory()
	doubleBarrierRound(b)
	doubleBarrierLeave(b, 20*ms, 1)
	doubleBarrierLeave(b, 22*ms, 2)
	b.step(23*ms, doubleBarrierStep(0, "leaving", 0))
	barrierDelete(b, 24*ms, barrierTestNode(0), barrierTestSession(0))
	for p := range 3 {
		b.step(histories.Time(25+p)*ms, doubleBarrierStep(p, "left", 0))
	}
	v := CheckDoubleBarriers(b.finish(40*ms), DoubleBarrierOptions{})
	if v.Status != Pass || !strings.Contains(v.Summary, "3 passes and 3 leaves") {
		t.Fatalf("a round that enters and leaves together: %s", v.String())
	}
}

// TestDoubleBarriersCatchesEarlyLeave plants what FlawDoubleBarrierLeaveEarly does: a process
// returns from Leave while the others still compute.
func TestDoubleBarriersCatchesEarlyLeave(t *testing.T) {
	b := newRecipeHistory()
	doubleBarrierRound(b)
	doubleBarrierLeave(b, 20*ms, 1)
	b.step(22*ms, doubleBarrierStep(1, "left", 0))
	doubleBarrierLeave(b, 30*ms, 0)
	doubleBarrierLeave(b, 30*ms, 2)
	v := CheckDoubleBarriers(b.finish(40*ms), DoubleBarrierOptions{})
	if v.Status != Fail || v.Total != 2 || !strings.Contains(v.Summary, "had not begun to leave") {
		t.Fatalf("a leave before two others began to leave: %s", v.String())
	}
}

// TestDoubleBarriersCatchesEarlyEntry: the entry half is judged as a barrier's.
func TestDoubleBarriersCatchesEarlyEntry(t *testing.T) {
	b := newRecipeHistory()
	barrierEnter(b, 10*ms, 0)
	barrierEnter(b, 11*ms, 1)
	ready := barrierCreate(b, 12*ms, barrierTestDir+"/ready", barrierTestSession(1), false, "")
	b.step(13*ms, doubleBarrierStep(0, "passed", ready))
	v := CheckDoubleBarriers(b.finish(40*ms), DoubleBarrierOptions{})
	if v.Status != Fail {
		t.Fatalf("a pass with two of three present: %s", v.String())
	}
}

// TestDoubleBarriersSessionEndReleases: a process whose session ended (paused inside the
// barrier) is not waited for after its end was committed, but is before.
func TestDoubleBarriersSessionEndReleases(t *testing.T) {
	for _, tc := range []struct {
		closeAt histories.Time
		want    Status
	}{{closeAt: 25 * ms, want: Pass}, {closeAt: 27 * ms, want: Fail}} {
		b := newRecipeHistory()
		doubleBarrierRound(b)
		doubleBarrierLeave(b, 20*ms, 1)
		doubleBarrierLeave(b, 21*ms, 0)
		barrierClose(b, tc.closeAt, barrierTestSession(2), barrierTestNode(2))
		b.step(26*ms, doubleBarrierStep(0, "left", 0))
		v := CheckDoubleBarriers(b.finish(40*ms), DoubleBarrierOptions{})
		if v.Status != tc.want {
			t.Errorf("session 2's end committed at %s, a leave at 26ms: %s, want %s", FormatTime(tc.closeAt), v.String(), tc.want)
		}
	}
}

// TestDoubleBarriersLateArrivalNotOwed: a process whose node was created after the ready node
// passed at once; the others may be gone before it leaves. A process whose node came before
// the ready node but that never passed (its Enter failed) is not owed either.
func TestDoubleBarriersLateArrivalNotOwed(t *testing.T) {
	b := newRecipeHistory()
	barrierEnter(b, 9*ms, 4) // never passes: its Enter was cancelled and deleted the node
	ready := doubleBarrierRound(b)
	barrierDelete(b, 18*ms, barrierTestNode(4), barrierTestSession(4))
	barrierEnter(b, 19*ms, 3)
	b.step(20*ms, doubleBarrierStep(3, "passed", ready))
	for p := range 3 {
		doubleBarrierLeave(b, histories.Time(21+2*p)*ms, p)
	}
	b.step(30*ms, doubleBarrierStep(0, "left", 0))
	doubleBarrierLeave(b, 35*ms, 3)
	v := CheckDoubleBarriers(b.finish(40*ms), DoubleBarrierOptions{})
	if v.Status != Pass {
		t.Fatalf("a late arrival still inside, a failed entrant: %s", v.String())
	}
}
