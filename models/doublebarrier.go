package models

import (
	"fmt"
	"slices"
	"strconv"

	"zoosim/histories"
	"zoosim/tree"
)

// CheckerDoubleBarriers is the name of CheckDoubleBarriers's verdicts.
const CheckerDoubleBarriers = "double-barriers"

// DoubleBarrierOptions tune CheckDoubleBarriers.
type DoubleBarrierOptions struct {
	// Recipe is the recipe whose steps are judged (histories.RecipeDoubleBarrier when empty).
	Recipe string
}

// The double barrier's steps, as the workload records them (sim/cluster): "passed" carries the
// ready node's czxid in its Value, "leaving" is recorded just before Leave, "left" when it
// returned.
const (
	doubleBarrierPassed  = "passed"
	doubleBarrierLeaving = "leaving"
	doubleBarrierLeft    = "left"
)

// CheckDoubleBarriers judges the double barrier (recipes.DoubleBarrier; issue 7):
//
//   - entering: nobody passes before N entered, as CheckBarriers judges it;
//   - leaving: nobody returns from Leave before every process that entered the round before
//     the ready node, and passed, has begun to leave ("leaving") or its session ended (the
//     commit of its close).
//
// Who must be waited for is decided in zxid order, not by the clock: a process whose node was
// created after the ready node arrived late, passed at once, and may find the others gone
// already, so it is not owed a wait; and a leaver reads the directory at a state at least as new
// as the ready node it saw (a session's reads never go back), so a node created before the ready
// node is either in its listing or was deleted before, by its owner's Leave (after its
// "leaving" step) or by its session's end. A process that never passed (its Enter failed and
// deleted its node) did not enter and is owed nothing.
func CheckDoubleBarriers(h *histories.History, opts DoubleBarrierOptions) Verdict {
	if opts.Recipe == "" {
		opts.Recipe = histories.RecipeDoubleBarrier
	}
	var vs violations
	passes, dirs := barrierCheckPasses(h, opts.Recipe, doubleBarrierPassed, &vs)
	leaves, skipped := doubleBarrierCheckLeaves(h, opts.Recipe, &vs)
	v := vs.verdict(CheckerDoubleBarriers, fmt.Sprintf("%d passes and %d leaves of %d double barriers: none entered before N were present, none left before the others began to leave",
		passes, leaves, dirs))
	if passes == 0 {
		v.Summary = "no double barrier was passed: nothing to check"
	}
	v.Metrics = []Metric{{Name: "passes", Value: float64(passes)}, {Name: "leaves", Value: float64(leaves)},
		{Name: "barriers", Value: float64(dirs)}, {Name: "leaves without a ready zxid (not judged)", Value: float64(skipped)}}
	return v
}

// doubleBarrierKey names one session's part in one barrier.
type doubleBarrierKey struct {
	dir     string
	session tree.SessionID
}

// doubleBarrierCheckLeaves checks every "left" step; it returns how many it judged and how many
// it could not (no "passed" step with the ready node's czxid for that session).
func doubleBarrierCheckLeaves(h *histories.History, recipe string, vs *violations) (leaves, skipped int) {
	steps := recipeSteps(h, recipe)
	ends := sessionEnds(h)
	ready := map[doubleBarrierKey]tree.Zxid{}
	passed := map[doubleBarrierKey]bool{}
	leaving := map[doubleBarrierKey]histories.Time{}
	dirs := map[string]bool{}
	for _, e := range steps {
		k := doubleBarrierKey{e.Name, e.Session}
		switch e.Step {
		case doubleBarrierPassed:
			passed[k] = true
			if z, err := strconv.ParseInt(e.Value, 10, 64); err == nil && z > 0 {
				ready[k] = tree.Zxid(z)
			}
		case doubleBarrierLeaving:
			if _, ok := leaving[k]; !ok {
				leaving[k] = e.Time
			}
		case doubleBarrierLeft:
			dirs[e.Name] = true
		}
	}
	nodes := barrierNodes(h, dirs)
	for _, e := range steps {
		if e.Step != doubleBarrierLeft {
			continue
		}
		r, ok := ready[doubleBarrierKey{e.Name, e.Session}]
		if !ok {
			skipped++
			continue
		}
		leaves++
		var owed []tree.SessionID
		for _, n := range nodes[e.Name] {
			if !n.ephemeral || n.session == e.Session || n.czxid >= r || slices.Contains(owed, n.session) {
				continue
			}
			k := doubleBarrierKey{e.Name, n.session}
			if !passed[k] {
				continue
			}
			owed = append(owed, n.session)
			if t, ok := leaving[k]; ok && t <= e.Time {
				continue
			}
			if sessionEnd(ends, n.session) <= e.Time {
				continue
			}
			vs.addf(e.Time, nil, "double barrier %s: process %d (session %s) left while session %s, which entered before the ready node (%s) and passed, had not begun to leave and was alive",
				e.Name, e.Process, e.Session, n.session, n.path)
		}
	}
	return leaves, skipped
}
