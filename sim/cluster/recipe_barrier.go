package cluster

import (
	"errors"
	"strconv"
	"strings"

	"zoosim/histories"
	"zoosim/recipes"
)

// WorkloadBarrier runs recipes.Barrier in rounds: round k of a group is the barrier on
// <group dir>/r<k>, for barrierParties of the group's clients. Each client joins the round it is
// in, waits to pass, works for a think time, exits and goes on to the next round; a client with a
// new session starts at the group's newest round. Since N is smaller than the group, a client
// whose session is lost while it waits (loseSession, right after it joined) does not hold a
// round up for good: its node counts until its session ends, and the next arrivals complete the
// round. It records "entered" once the client's node exists (Node: the node), and "passed" when
// Await returned (Value: the ready node's czxid); Token is N in both (models.CheckBarriers).
const WorkloadBarrier WorkloadKind = "barrier"

// The barrier workloads' steps (histories.RecipeEvent.Step), shared by the double barrier.
const (
	StepBarrierEntered = "entered"
	StepBarrierPassed  = "passed"
)

// barrierParties is N, the processes a barrier round waits for, when the group has more
// clients: three of eight, so rounds go on while some sessions are lost.
const barrierParties = 3

func init() {
	registerRecipe(&recipeDriver{kind: WorkloadBarrier, recipe: histories.RecipeBarrier, step: barrierStep})
}

// barrierRound is a barrier client's state for its session: the round it is in.
type barrierRound struct{ round int }

func barrierStep(wk *worker) {
	st, _ := wk.recipe.(*barrierRound)
	if st == nil {
		round, ok := barrierNewestRound(wk)
		if !ok {
			return
		}
		st = &barrierRound{round: round}
		wk.recipe = st
	}
	dir := barrierRoundDir(wk, st.round)
	b := recipes.NewBarrier(wk.sess, dir, barrierPartiesOf(wk))
	b.Flaws = wk.r.sc.RecipeFlaws
	wk.beginRecipe("barrier join " + dir)
	err := b.Join(wk.cancel)
	wk.end()
	if err != nil {
		barrierError(wk, dir, err)
		return
	}
	wk.recipeStep(StepBarrierEntered, dir, b.Node(), int64(b.Parties()), "")
	if wk.loseSession() {
		return
	}
	wk.beginRecipe("barrier await " + dir)
	zxid, err := b.Await(wk.cancel)
	wk.end()
	if err != nil {
		barrierError(wk, dir, err)
		return
	}
	wk.recipeStep(StepBarrierPassed, dir, b.Node(), int64(b.Parties()), strconv.FormatInt(zxid, 10))
	wk.hold()
	wk.beginRecipe("barrier exit " + dir)
	_ = b.Exit()
	wk.end()
	st.round++
}

// barrierError records a recipe call's failure, unless it is the session's end or the
// workloads' stop, which are expected.
func barrierError(wk *worker, dir string, err error) {
	if !errors.Is(err, recipes.ErrSessionEnded) && !errors.Is(err, recipes.ErrCanceled) {
		wk.recipeStep("error", dir, "", 0, err.Error())
	}
}

// barrierPartiesOf is N for the worker's group: barrierParties, or the whole group when it is
// smaller.
func barrierPartiesOf(wk *worker) int {
	members := 0
	for slot, k := range wk.r.lay.kinds {
		if k == wk.kind && wk.r.lay.group[slot] == wk.group {
			members++
		}
	}
	return max(1, min(barrierParties, members))
}

// barrierRoundDir is the directory of round k of the worker's group.
func barrierRoundDir(wk *worker, k int) string { return wk.recipeDir() + "/r" + strconv.Itoa(k) }

// barrierNewestRound returns the highest round number in the worker's group directory (1 when
// there is none yet); ok is false when the listing failed (the step ends, the next retries).
func barrierNewestRound(wk *worker) (int, bool) {
	kids, err := wk.getChildren(wk.recipeDir(), nil)
	if err != nil {
		return 0, false
	}
	newest := 1
	for _, k := range kids {
		if n, err := strconv.Atoi(strings.TrimPrefix(k, "r")); err == nil && strings.HasPrefix(k, "r") {
			newest = max(newest, n)
		}
	}
	return newest, true
}
