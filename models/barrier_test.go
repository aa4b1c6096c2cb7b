package models

import (
	"strings"
	"testing"

	"zoosim/histories"
	"zoosim/tree"
)

// barrierCreate commits the create of path at a time (applied by server 0) and returns its
// zxid; ephemeral makes session its owner.
func barrierCreate(b *recipeHistory, at histories.Time, path string, session tree.SessionID, ephemeral bool, data string) tree.Zxid {
	b.zxid++
	x := &tree.Txn{Header: tree.Header{Session: session, Zxid: b.zxid}, Type: tree.OpCreate, Path: path, Data: []byte(data)}
	if ephemeral {
		x.EphemeralOwner = int64(session)
	}
	b.rec.Apply(at, 0, 1, x)
	return b.zxid
}

// barrierDelete commits session's delete of path at a time.
func barrierDelete(b *recipeHistory, at histories.Time, path string, session tree.SessionID) {
	b.zxid++
	b.rec.Apply(at, 0, 1, &tree.Txn{Header: tree.Header{Session: session, Zxid: b.zxid}, Type: tree.OpDelete, Path: path})
}

// barrierClose commits the end of session at a time, deleting its ephemerals paths.
func barrierClose(b *recipeHistory, at histories.Time, session tree.SessionID, paths ...string) {
	b.zxid++
	b.rec.Apply(at, 0, 1, &tree.Txn{Header: tree.Header{Session: session, Zxid: b.zxid}, Type: tree.OpCloseSession, Paths: paths})
}

const barrierTestDir = "/b/r1"

// barrierTestNode is the node of process p (session 0x10+p) in barrierTestDir.
func barrierTestNode(p int) string { return barrierTestDir + "/b-" + string(rune('a'+p)) }

func barrierTestSession(p int) tree.SessionID { return tree.SessionID(0x10 + p) }

// barrierTestStep is a step of process p in barrierTestDir, N = 3.
func barrierTestStep(recipe string, p int, step, value string) histories.RecipeEvent {
	return histories.RecipeEvent{Process: p, Session: barrierTestSession(p), Recipe: recipe, Step: step,
		Name: barrierTestDir, Node: barrierTestNode(p), Token: 3, Value: value}
}

// barrierEnter commits process p's node at a time.
func barrierEnter(b *recipeHistory, at histories.Time, p int) tree.Zxid {
	return barrierCreate(b, at, barrierTestNode(p), barrierTestSession(p), true, "")
}

func TestBarriersPassesWhenNPresent(t *testing.T) {
	b := newRecipeHistory()
	for p := range 3 {
		barrierEnter(b, histories.Time(10+p)*ms, p)
		b.step(histories.Time(11+p)*ms, barrierTestStep(histories.RecipeBarrier, p, "entered", ""))
	}
	barrierCreate(b, 14*ms, barrierTestDir+"/ready", barrierTestSession(2), false, "")
	for p := range 3 {
		b.step(histories.Time(15+p)*ms, barrierTestStep(histories.RecipeBarrier, p, "passed", ""))
	}
	v := CheckBarriers(b.finish(40*ms), BarrierOptions{})
	if v.Status != Pass || !strings.Contains(v.Summary, "3 passes of 1 barriers") {
		t.Fatalf("three present, then three passes: %s", v.String())
	}
}

// TestBarriersCatchesPassAtNMinusOne plants what FlawBarrierPassEarly does: two of three
// present, and both pass.
func TestBarriersCatchesPassAtNMinusOne(t *testing.T) {
	b := newRecipeHistory()
	barrierEnter(b, 10*ms, 0)
	barrierEnter(b, 11*ms, 1)
	b.step(12*ms, barrierTestStep(histories.RecipeBarrier, 0, "passed", ""))
	barrierEnter(b, 13*ms, 2) // the third comes after the pass
	v := CheckBarriers(b.finish(40*ms), BarrierOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "while 2 sessions had nodes there together") {
		t.Fatalf("a pass with two of three present: %s", v.String())
	}
}

// TestBarriersJudgesNodesNotSteps: the third process's create committed before the pass, but
// its reply came late (its "entered" step is after the others passed), and a fourth process's
// session ended before it recorded anything, though its node was counted: both are fine. Judging
// by the steps would fail this correct run.
func TestBarriersJudgesNodesNotSteps(t *testing.T) {
	b := newRecipeHistory()
	barrierEnter(b, 10*ms, 0)
	barrierEnter(b, 11*ms, 1)
	barrierEnter(b, 12*ms, 2)
	barrierCreate(b, 14*ms, barrierTestDir+"/ready", barrierTestSession(1), false, "")
	barrierClose(b, 15*ms, barrierTestSession(2), barrierTestNode(2))
	b.step(16*ms, barrierTestStep(histories.RecipeBarrier, 0, "passed", ""))
	b.step(17*ms, barrierTestStep(histories.RecipeBarrier, 1, "passed", ""))
	b.step(30*ms, barrierTestStep(histories.RecipeBarrier, 3, "entered", "")) // never created: a late reply's step alone
	v := CheckBarriers(b.finish(40*ms), BarrierOptions{})
	if v.Status != Pass {
		t.Fatalf("three nodes together before the passes, one session gone since: %s", v.String())
	}
}

// TestBarriersNeedsNodesTogether: three sessions had nodes, but never three at once (the first
// session ended before the third node was created), so a pass is a violation.
func TestBarriersNeedsNodesTogether(t *testing.T) {
	b := newRecipeHistory()
	barrierEnter(b, 10*ms, 0)
	barrierEnter(b, 11*ms, 1)
	barrierClose(b, 12*ms, barrierTestSession(0), barrierTestNode(0))
	barrierEnter(b, 13*ms, 2)
	b.step(20*ms, barrierTestStep(histories.RecipeBarrier, 1, "passed", ""))
	v := CheckBarriers(b.finish(40*ms), BarrierOptions{})
	if v.Status != Fail {
		t.Fatalf("three sessions, never three at once: %s", v.String())
	}
}

// TestBarriersCountsSessionsNotNodes: two nodes of one session (a create repeated after a lost
// connection) and one of another are two sessions, not three.
func TestBarriersCountsSessionsNotNodes(t *testing.T) {
	b := newRecipeHistory()
	barrierEnter(b, 10*ms, 0)
	barrierCreate(b, 11*ms, barrierTestNode(0)+"-again", barrierTestSession(0), true, "")
	barrierEnter(b, 12*ms, 1)
	b.step(20*ms, barrierTestStep(histories.RecipeBarrier, 1, "passed", ""))
	v := CheckBarriers(b.finish(40*ms), BarrierOptions{})
	if v.Status != Fail {
		t.Fatalf("three nodes of two sessions: %s", v.String())
	}
}

// TestBarriersTieCountsAsPresent: a node whose delete committed at the instant another's create
// did counts with it, so a tie never makes a violation.
func TestBarriersTieCountsAsPresent(t *testing.T) {
	b := newRecipeHistory()
	barrierEnter(b, 10*ms, 0)
	barrierEnter(b, 11*ms, 1)
	barrierClose(b, 12*ms, barrierTestSession(0), barrierTestNode(0))
	barrierEnter(b, 12*ms, 2)
	b.step(20*ms, barrierTestStep(histories.RecipeBarrier, 1, "passed", ""))
	v := CheckBarriers(b.finish(40*ms), BarrierOptions{})
	if v.Status != Pass {
		t.Fatalf("a delete and a create at the same instant: %s", v.String())
	}
}

// TestBarriersLaterNodesDoNotCount: nodes created after the pass do not make it right.
func TestBarriersLaterNodesDoNotCount(t *testing.T) {
	b := newRecipeHistory()
	barrierEnter(b, 10*ms, 0)
	b.step(11*ms, barrierTestStep(histories.RecipeBarrier, 0, "passed", ""))
	barrierEnter(b, 12*ms, 1)
	barrierEnter(b, 13*ms, 2)
	v := CheckBarriers(b.finish(40*ms), BarrierOptions{})
	if v.Status != Fail {
		t.Fatalf("a pass before the others came: %s", v.String())
	}
}
