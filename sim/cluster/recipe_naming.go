package cluster

import (
	"errors"
	"strconv"
	"time"

	"zoosim/histories"
	"zoosim/recipes"
)

// WorkloadNaming runs recipes.Service: the group's clients register as instances of one service
// (the group's directory), each under a name and an endpoint new for every registration
// ("p<slot>-<client>-<n>", "host-<slot>.<client>.<n>:7000"), watch it (Next, which returns at its
// next change or when the wait times out), resolve it now and then as an application does when
// it needs an endpoint (Resolve, answered from the cache while the watch has not fired),
// deregister now and then, and lose their sessions right after registering (loseSession). Each session runs as long as it lives; once the
// workloads stop, a live session settles (recipes.Service.Settle) and records what it resolves
// then.
//
// Steps: "registered" when Register returned and "deregistered" before Deregister deletes the node
// (Node: the node, Value: the endpoint); "resolved" each time Next or Resolve gave an answer other
// than the last one recorded (Token: the answer's zxid, the directory's pzxid; Value: the endpoints as
// "name=endpoint" joined by ","); at the end "synced" (Token: the zxid the settle's sync was
// answered at) and then "settled" (Token and Value as for "resolved"), judged by
// models.CheckNaming.
const WorkloadNaming WorkloadKind = "naming"

// The naming workload's steps (histories.RecipeEvent.Step).
const (
	StepNamingRegistered   = "registered"
	StepNamingDeregistered = "deregistered"
	StepNamingResolved     = "resolved"
	StepNamingSynced       = "synced"
	StepNamingSettled      = "settled"
)

func init() {
	registerRecipe(&recipeDriver{kind: WorkloadNaming, recipe: histories.RecipeNaming, step: namingStep})
}

// namingClient is a naming client's state for its session.
type namingClient struct {
	svc *recipes.Service
	// registrations counts the session's registrations, for new names; address is the
	// endpoint of the current one.
	registrations int
	address       string
	// recorded is the answer last recorded, and whether there is one.
	recorded    recipes.Resolution
	hasRecorded bool
}

// namingStep runs the worker's session: register, resolve, deregister, until the session is lost
// or the workloads stop; then it settles.
func namingStep(wk *worker) {
	nc, _ := wk.recipe.(*namingClient)
	if nc == nil {
		nc = &namingClient{svc: recipes.NewService(wk.sess, wk.recipeDir())}
		nc.svc.Flaws = wk.r.sc.RecipeFlaws
		wk.recipe = nc
	}
	svc := nc.svc
	dir := svc.Dir()
	for !wk.r.stopping {
		if svc.Node() == "" && wk.rnd.IntN(2) == 0 {
			nc.registrations++
			id := strconv.Itoa(wk.slot) + "-" + strconv.Itoa(wk.vals.client) + "-" + strconv.Itoa(nc.registrations)
			address := "host-" + strconv.Itoa(wk.slot) + "." + strconv.Itoa(wk.vals.client) + "." + strconv.Itoa(nc.registrations) + ":7000"
			wk.beginRecipe("naming register " + dir)
			node, err := svc.Register(wk.cancel, "p"+id, address)
			wk.end()
			if err != nil {
				if errors.Is(err, recipes.ErrCanceled) {
					break
				}
				namingError(wk, dir, err)
				return
			}
			nc.address = address
			wk.recipeStep(StepNamingRegistered, dir, node, 0, address)
			if wk.loseSession() {
				return
			}
		}
		// Watch for a while: Next returns at the service's next change, or the wait times out.
		wait := recipes.WithTimeout(wk.sess, namingWait(wk))
		wk.beginRecipe("naming watch " + dir)
		res, err := svc.Next(wait)
		wk.end()
		wait.Cancel()
		if err != nil && !errors.Is(err, recipes.ErrTimeout) {
			namingError(wk, dir, err)
			return
		}
		if err == nil {
			namingRecord(wk, nc, StepNamingResolved, res)
		}
		// An application resolves when it needs an endpoint: from the cache while the watch
		// has not fired.
		if wk.rnd.IntN(3) == 0 {
			wk.beginRecipe("naming resolve " + dir)
			res, err := svc.Resolve(wk.cancel)
			wk.end()
			if err != nil {
				if errors.Is(err, recipes.ErrCanceled) {
					break
				}
				namingError(wk, dir, err)
				return
			}
			namingRecord(wk, nc, StepNamingResolved, res)
		}
		if node := svc.Node(); node != "" && wk.rnd.IntN(8) == 0 {
			wk.recipeStep(StepNamingDeregistered, dir, node, 0, nc.address)
			wk.beginRecipe("naming deregister " + dir)
			err := svc.Deregister()
			wk.end()
			if err != nil {
				namingError(wk, dir, err)
				return
			}
		}
	}
	wk.beginRecipe("naming settle " + dir)
	res, synced, err := svc.Settle(nil)
	wk.end()
	if err != nil {
		namingError(wk, dir, err)
		return
	}
	wk.recipeStep(StepNamingSynced, dir, "", int64(synced), "")
	wk.recipeStep(StepNamingSettled, dir, "", int64(res.Zxid), res.String())
}

// namingRecord records an answer, unless it is the one last recorded.
func namingRecord(wk *worker, nc *namingClient, step string, res recipes.Resolution) {
	if nc.hasRecorded && res.Zxid == nc.recorded.Zxid && res.String() == nc.recorded.String() {
		return
	}
	nc.recorded, nc.hasRecorded = res, true
	wk.recipeStep(step, nc.svc.Dir(), "", int64(res.Zxid), res.String())
}

// namingWait is how long one watch waits for a change: one to four think times.
func namingWait(wk *worker) time.Duration {
	t := max(int64(wk.r.sc.Workload.Think), int64(time.Millisecond))
	return time.Duration(wk.rnd.Between(t, 4*t))
}

// namingError records a recipe call's failure, unless it is the session's end or the workloads'
// stop, which are expected.
func namingError(wk *worker, dir string, err error) {
	if !errors.Is(err, recipes.ErrSessionEnded) && !errors.Is(err, recipes.ErrCanceled) {
		wk.recipeStep("error", dir, "", 0, err.Error())
	}
}
