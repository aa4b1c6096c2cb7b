package cluster

import (
	"strconv"

	"zoosim/histories"
	"zoosim/recipes"
)

// WorkloadDoubleBarrier runs recipes.DoubleBarrier in rounds, as WorkloadBarrier does (round k
// on <group dir>/r<k>, N = barrierParties of the group's clients): each client joins, waits to
// pass, works for a think time, then leaves, and goes on to the next round once every node of
// the round is gone. A client's session may be lost right after it joined or while it works
// (loseSession): the others' Leave then waits until the lost session's end is committed. It
// records "entered" and "passed" as the barrier workload does, "leaving" just before Leave
// (from then on it may delete its node), and "left" when Leave returned
// (models.CheckDoubleBarriers).
const WorkloadDoubleBarrier WorkloadKind = "double-barrier"

// The double barrier workload's steps beyond StepBarrierEntered and StepBarrierPassed.
const (
	StepDoubleBarrierLeaving = "leaving"
	StepDoubleBarrierLeft    = "left"
)

func init() {
	registerRecipe(&recipeDriver{kind: WorkloadDoubleBarrier, recipe: histories.RecipeDoubleBarrier, step: doubleBarrierStep})
}

func doubleBarrierStep(wk *worker) {
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
	b := recipes.NewDoubleBarrier(wk.sess, dir, barrierPartiesOf(wk))
	b.Flaws = wk.r.sc.RecipeFlaws
	parties := int64(b.Parties())
	wk.beginRecipe("double barrier join " + dir)
	err := b.Join(wk.cancel)
	wk.end()
	if err != nil {
		barrierError(wk, dir, err)
		return
	}
	wk.recipeStep(StepBarrierEntered, dir, b.Node(), parties, "")
	if doubleBarrierLose(wk) {
		return
	}
	wk.beginRecipe("double barrier await " + dir)
	zxid, err := b.Await(wk.cancel)
	wk.end()
	if err != nil {
		barrierError(wk, dir, err)
		return
	}
	wk.recipeStep(StepBarrierPassed, dir, b.Node(), parties, strconv.FormatInt(zxid, 10))
	if doubleBarrierLose(wk) {
		return
	}
	wk.hold()
	wk.recipeStep(StepDoubleBarrierLeaving, dir, b.Node(), parties, "")
	node := b.Node()
	wk.beginRecipe("double barrier leave " + dir)
	err = b.Leave(wk.cancel)
	wk.end()
	if err != nil {
		barrierError(wk, dir, err)
		return
	}
	wk.recipeStep(StepDoubleBarrierLeft, dir, node, parties, "")
	st.round++
}

// doubleBarrierLose calls loseSession in one round of doubleBarrierLossRounds only. Every client
// of a round waits in Leave for a lost session to end (up to its timeout and two ticks, 8 s by
// default), so at loseSession's own odds most rounds of eight clients would be such a wait, and
// a run would see few rounds.
func doubleBarrierLose(wk *worker) bool {
	return wk.rnd.IntN(doubleBarrierLossRounds) == 0 && wk.loseSession()
}

// doubleBarrierLossRounds thins out the double barrier's session losses (doubleBarrierLose).
const doubleBarrierLossRounds = 4
