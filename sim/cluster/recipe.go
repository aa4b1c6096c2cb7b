package cluster

import (
	"slices"
	"strconv"
	"time"

	"zoosim/histories"
	"zoosim/sim"
)

// This file holds what the recipe workloads share: the registry of recipe drivers, the layout of
// their directories, and the recording of recipe steps (histories.RecipeEvent). Each recipe's
// driver lives in its own file (recipe_lock.go...) and registers itself.
//
// A recipe workload is a client slot that runs one of package recipes' coordination recipes in
// a loop, as an application would (take the lock, work, release it), and records each step the
// recipe's checker in models needs. The recipes issue ordinary client ops, so every other
// checker judges them as well.

// recipeDriver runs one recipe as a workload kind.
type recipeDriver struct {
	kind WorkloadKind
	// recipe is the recipe's name in the history (histories.Recipe...).
	recipe string
	// step runs one round of the recipe (acquire, hold, release); it may block. It returns
	// early when the worker's Cancel is cancelled (the workloads stop) or the session ended
	// (the worker then carries on with a new session).
	step func(wk *worker)
}

// recipeDrivers are the registered drivers by kind; filled when the package initializes.
var recipeDrivers = map[WorkloadKind]*recipeDriver{}

// registerRecipe adds a driver; called from the init of the driver's file.
func registerRecipe(d *recipeDriver) {
	if _, dup := recipeDrivers[d.kind]; dup {
		panic("cluster: recipe workload " + string(d.kind) + " registered twice")
	}
	recipeDrivers[d.kind] = d
}

// recipeDriverOf returns the driver of a recipe kind, nil for the other kinds.
func recipeDriverOf(k WorkloadKind) *recipeDriver { return recipeDrivers[k] }

// RecipeKinds lists the recipe workload kinds, sorted by name.
func RecipeKinds() []WorkloadKind {
	kinds := make([]WorkloadKind, 0, len(recipeDrivers))
	for k := range recipeDrivers {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}

// recipeRoot is the directory under which every recipe workload works: /recipes/<kind>/g<group>.
const recipeRoot = "/recipes"

// recipeDirs adds the recipe workloads' directories to the layout's skeleton: one directory per
// group of each recipe kind, so that each group contends on one lock, one election, one queue.
func (l *layout) recipeDirs(groups func(WorkloadKind) int) {
	first := true
	for _, k := range RecipeKinds() {
		n := groups(k)
		if n == 0 {
			continue
		}
		if first {
			l.skeleton = append(l.skeleton, recipeRoot)
			first = false
		}
		dir := recipeRoot + "/" + string(k)
		l.skeleton = append(l.skeleton, dir)
		for g := range n {
			l.skeleton = append(l.skeleton, dir+"/g"+strconv.Itoa(g))
		}
	}
}

// recipeDir is the directory the worker's group of its recipe kind works in.
func (wk *worker) recipeDir() string {
	return recipeRoot + "/" + string(wk.kind) + "/g" + strconv.Itoa(wk.group)
}

// recipeStep records a step of the worker's recipe (see histories.RecipeEvent for the fields).
func (wk *worker) recipeStep(step, name, node string, token int64, value string) {
	if wk.r.rec == nil {
		return
	}
	wk.r.rec.Recipe(wk.r.now(), histories.RecipeEvent{Process: wk.slot, Client: wk.vals.client, Session: wk.cl.SessionID(),
		Recipe: recipeDriverOf(wk.kind).recipe, Step: step, Name: name, Node: node, Token: token, Value: value})
}

// beginRecipe marks a blocking recipe call in flight, as begin marks an op: the liveness phase
// waits for it to end (the workloads' stop cancels the calls that wait for others).
func (wk *worker) beginRecipe(what string) {
	wk.r.outstanding++
	wk.inOp, wk.opWhat, wk.opSince = true, what, wk.r.w.Now()
}

// hold sleeps for a think time drawn from the worker's stream: the time an application spends
// with a lock or a task, at least 1 ms.
func (wk *worker) hold() {
	t := max(int64(wk.r.sc.Workload.Think), int64(time.Millisecond))
	wk.proc.Sleep(sim.Duration(wk.rnd.Between(t/2, 3*t/2)))
}

// stopWorkloads tells the workloads to issue no new op and cancels the recipe calls under way.
func (r *runner) stopWorkloads() {
	r.stopping = true
	for _, wk := range r.workers {
		wk.cancel.Cancel()
	}
}

// loseSession ends the worker's session, in one round of recipeLossOdds, in one of the ways applications lose theirs: a clean close; before every fault is
// healed, also a crash of the client's node (the session is left to expire; the slot carries
// on with a new process) or a pause past the session timeout (a long garbage-collection pause:
// the process resumes believing what it believed before). A recipe driver calls it where losing
// the session tests the recipe most, such as while holding a lock. It reports whether the
// session is gone: the driver then stops its round.
func (wk *worker) loseSession() bool {
	if wk.rnd.IntN(recipeLossOdds) != 0 {
		return false
	}
	switch n := wk.rnd.IntN(20); {
	case n < 10 || wk.r.healed:
		wk.closeSession()
		wk.renewClient()
		return true
	case n < 15:
		wk.kill()
		return true
	default:
		wk.freeze()
		return false
	}
}

// recipeLossOdds makes loseSession end one round in this many.
const recipeLossOdds = 12

// RecipeScenario is the preset for the recipe workloads: SweepScenario's ensemble and faults,
// eight clients per recipe kind (one group each, contending on one lock, one queue, one
// election), and a session timeout of 4 s, the least the default tick allows, so that sessions
// lost to crashes and pauses expire within the run and the recipes face expiry, not only
// faults of the servers.
func RecipeScenario(kinds ...WorkloadKind) Scenario {
	sc := SweepScenario()
	sc.Clients = 8 * len(kinds)
	sc.SessionTimeout = Duration(4 * time.Second)
	sc.Workload.Mix = Mix{}
	for _, k := range kinds {
		sc.Workload.Mix[k] = 1
	}
	return sc
}
