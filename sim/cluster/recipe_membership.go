package cluster

import (
	"errors"
	"strconv"
	"time"

	"zoosim/histories"
	"zoosim/recipes"
)

// WorkloadMembership runs recipes.Group: the group's clients join one group (the group's
// directory) under their slot's name ("p<slot>", the same for every session of the slot, so a
// new session waits for its predecessor's node to go), watch its members with Next, leave now
// and then, and lose their sessions right after joining (loseSession). Each session runs as long as
// it lives; once the workloads stop, a live session settles (recipes.Group.Settle) and records
// what it holds then.
//
// Steps: "joined" when Join returned and "left" before Leave deletes the node (Node: the member
// node, Value: the name); "view" each time Next returned a listing (Token: the view's zxid, the
// directory's pzxid; Value: the members joined by ","); at the end "synced" (Token: the zxid the
// settle's sync was answered at) and then "settled" (Token and Value as for a view), judged by
// models.CheckMembership.
const WorkloadMembership WorkloadKind = "membership"

// The membership workload's steps (histories.RecipeEvent.Step).
const (
	StepMembershipJoined  = "joined"
	StepMembershipLeft    = "left"
	StepMembershipView    = "view"
	StepMembershipSynced  = "synced"
	StepMembershipSettled = "settled"
)

func init() {
	registerRecipe(&recipeDriver{kind: WorkloadMembership, recipe: histories.RecipeMembership, step: membershipStep})
}

// membershipStep runs the worker's session: join, watch, leave, until the session is lost or the
// workloads stop; then it settles.
func membershipStep(wk *worker) {
	g, _ := wk.recipe.(*recipes.Group)
	if g == nil {
		g = recipes.NewGroup(wk.sess, wk.recipeDir())
		g.Flaws = wk.r.sc.RecipeFlaws
		wk.recipe = g
	}
	dir := g.Dir()
	name := "p" + strconv.Itoa(wk.slot)
	for !wk.r.stopping {
		if g.Node() == "" && wk.rnd.IntN(3) != 0 {
			wk.beginRecipe("membership join " + dir)
			node, err := g.Join(wk.cancel, name, []byte("c"+strconv.Itoa(wk.vals.client)))
			wk.end()
			if err != nil {
				if errors.Is(err, recipes.ErrCanceled) {
					break
				}
				membershipError(wk, dir, err)
				return
			}
			wk.recipeStep(StepMembershipJoined, dir, node, 0, name)
			if wk.loseSession() {
				return
			}
		}
		// Watch for a while: Next returns at the group's next change, or the wait times out.
		wait := recipes.WithTimeout(wk.sess, membershipWait(wk))
		wk.beginRecipe("membership watch " + dir)
		v, err := g.Next(wait)
		wk.end()
		wait.Cancel()
		switch {
		case err == nil:
			wk.recipeStep(StepMembershipView, dir, "", int64(v.Zxid), v.String())
		case errors.Is(err, recipes.ErrTimeout):
		default:
			membershipError(wk, dir, err)
			return
		}
		if node := g.Node(); node != "" && wk.rnd.IntN(6) == 0 {
			wk.recipeStep(StepMembershipLeft, dir, node, 0, name)
			wk.beginRecipe("membership leave " + dir)
			err := g.Leave()
			wk.end()
			if err != nil {
				membershipError(wk, dir, err)
				return
			}
		}
	}
	wk.beginRecipe("membership settle " + dir)
	v, synced, err := g.Settle(nil)
	wk.end()
	if err != nil {
		membershipError(wk, dir, err)
		return
	}
	wk.recipeStep(StepMembershipSynced, dir, "", int64(synced), "")
	wk.recipeStep(StepMembershipSettled, dir, "", int64(v.Zxid), v.String())
}

// membershipWait is how long one watch waits for a change: one to four think times.
func membershipWait(wk *worker) time.Duration {
	t := max(int64(wk.r.sc.Workload.Think), int64(time.Millisecond))
	return time.Duration(wk.rnd.Between(t, 4*t))
}

// membershipError records a recipe call's failure, unless it is the session's end or the
// workloads' stop, which are expected.
func membershipError(wk *worker, dir string, err error) {
	if !errors.Is(err, recipes.ErrSessionEnded) && !errors.Is(err, recipes.ErrCanceled) {
		wk.recipeStep("error", dir, "", 0, err.Error())
	}
}
