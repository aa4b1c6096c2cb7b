package cluster

import (
	"errors"
	"strconv"
	"time"

	"zoosim/histories"
	"zoosim/recipes"
)

// WorkloadMasterWorker runs the master-worker recipe (recipes.Master, recipes.Worker,
// recipes.Submitter) on the group's directory. Each client takes a role by its position in its
// group (masterWorkerRole): of every eight, two are candidates for master, four are workers and
// two submit tasks.
//
//   - A candidate campaigns; once master (records "elected", Node its candidate node, Token its
//     czxid) it leads for one to four periods of five to twenty-five think times, then resigns
//     (records "resigned" before it deletes its node) or, one term in three, loses its session
//     (loseSession: the backup must take over from the tree). A master that learns it lost the
//     mastership records "lost". Sessions are also lost right after an election.
//   - A worker registers under a name unique to its session ("w<slot>-c<client>"; records
//     "registered", Node the name), then takes its tasks one by one: "executing" (Node the task,
//     Value the worker's name) when Next returned it, a think time of work (hold), then Complete:
//     "completed", or "task-lost" when the task was taken away. Sessions are lost between the
//     work and Complete, where it tests the recipe most: the master must move the task to a live
//     worker, and a worker whose session ended unknown to it executes a task twice.
//   - A submitter submits a task ("submitted", Node the task, Value its data "t<slot>.<client>.<n>")
//     and waits up to masterWorkerPatience for it to be done ("done", Value the worker), then
//     thinks and submits the next.
//
// Every role goes on through the cooldown, so tasks are completed once every fault is healed;
// the workloads' stop cancels the blocking calls (a master's lead period and a submitter's wait
// end on their own timeouts, within a second). models.CheckMasterWorker judges the steps with the
// committed log.
const WorkloadMasterWorker WorkloadKind = "master-worker"

// The master-worker workload's steps (histories.RecipeEvent.Step).
const (
	StepMWElected    = "elected"
	StepMWResigned   = "resigned"
	StepMWLost       = "lost"
	StepMWRegistered = "registered"
	StepMWExecuting  = "executing"
	StepMWCompleted  = "completed"
	StepMWTaskLost   = "task-lost"
	StepMWSubmitted  = "submitted"
	StepMWDone       = "done"
)

// masterWorkerPatience bounds a submitter's wait for its task.
const masterWorkerPatience = time.Second

func init() {
	registerRecipe(&recipeDriver{kind: WorkloadMasterWorker, recipe: histories.RecipeMasterWorker, step: masterWorkerStep})
}

// The master-worker roles.
type masterWorkerRoleKind uint8

const (
	mwRoleMaster masterWorkerRoleKind = iota
	mwRoleWorker
	mwRoleSubmitter
)

// masterWorkerRoles gives the role of each position in a group, cyclically: a group of three
// already has every role.
var masterWorkerRoles = [...]masterWorkerRoleKind{mwRoleMaster, mwRoleWorker, mwRoleSubmitter, mwRoleWorker,
	mwRoleMaster, mwRoleWorker, mwRoleSubmitter, mwRoleWorker}

// masterWorkerRole is the worker's role, from its position among its group's clients.
func masterWorkerRole(wk *worker) masterWorkerRoleKind {
	pos := 0
	for slot, k := range wk.r.lay.kinds[:wk.slot] {
		if k == wk.kind && wk.r.lay.group[slot] == wk.group {
			pos++
		}
	}
	return masterWorkerRoles[pos%len(masterWorkerRoles)]
}

func masterWorkerStep(wk *worker) {
	switch masterWorkerRole(wk) {
	case mwRoleMaster:
		masterStep(wk)
	case mwRoleWorker:
		taskWorkerStep(wk)
	default:
		submitterStep(wk)
	}
}

// masterWorkerFailed records a call that failed for another reason than the session's end or
// the workloads' stop.
func masterWorkerFailed(wk *worker, dir string, err error) {
	if !errors.Is(err, recipes.ErrSessionEnded) && !errors.Is(err, recipes.ErrCanceled) {
		wk.recipeStep("error", dir, "", 0, err.Error())
	}
}

func masterStep(wk *worker) {
	m, _ := wk.recipe.(*recipes.Master)
	if m == nil {
		m = recipes.NewMaster(wk.sess, wk.recipeDir())
		m.Flaws = wk.r.sc.RecipeFlaws
		wk.recipe = m
	}
	if !m.IsMaster() {
		wk.beginRecipe("master campaign " + m.Dir())
		token, err := m.Campaign(wk.cancel)
		wk.end()
		if err != nil {
			masterWorkerFailed(wk, m.Dir(), err)
			return
		}
		wk.recipeStep(StepMWElected, m.Dir(), m.Node(), token, "")
		if wk.rnd.IntN(4) == 0 && wk.loseSession() {
			return
		}
	}
	token, node := m.Token(), m.Node()
	think := max(int64(wk.r.sc.Workload.Think), int64(time.Millisecond))
	for range 1 + wk.rnd.IntN(4) {
		wk.beginRecipe("master lead " + m.Dir())
		err := m.Lead(recipes.WithTimeout(wk.sess, time.Duration(wk.rnd.Between(5*think, 25*think))))
		wk.end()
		if !errors.Is(err, recipes.ErrTimeout) {
			wk.recipeStep(StepMWLost, m.Dir(), node, token, err.Error())
			wk.beginRecipe("master resign " + m.Dir())
			_ = m.Resign()
			wk.end()
			return
		}
		if wk.r.stopping {
			break
		}
	}
	if !wk.r.stopping && wk.rnd.IntN(3) == 0 && wk.loseSession() {
		return
	}
	wk.recipeStep(StepMWResigned, m.Dir(), node, token, "")
	wk.beginRecipe("master resign " + m.Dir())
	_ = m.Resign()
	wk.end()
}

func taskWorkerStep(wk *worker) {
	w, _ := wk.recipe.(*recipes.Worker)
	if w == nil {
		w = recipes.NewWorker(wk.sess, wk.recipeDir(), "w"+strconv.Itoa(wk.slot)+"-c"+strconv.Itoa(wk.vals.client))
		w.Flaws = wk.r.sc.RecipeFlaws
		wk.recipe = w
	}
	if !w.Registered() {
		wk.beginRecipe("worker register " + w.Dir())
		err := w.Register(wk.cancel)
		wk.end()
		if err != nil {
			masterWorkerFailed(wk, w.Dir(), err)
			return
		}
		wk.recipeStep(StepMWRegistered, w.Dir(), w.Name(), 0, "")
	}
	wk.beginRecipe("worker next " + w.Dir())
	t, err := w.Next(wk.cancel)
	wk.end()
	if err != nil {
		masterWorkerFailed(wk, w.Dir(), err)
		return
	}
	wk.recipeStep(StepMWExecuting, w.Dir(), t.Name, t.Seq, w.Name())
	wk.hold()
	if wk.loseSession() {
		return
	}
	wk.beginRecipe("worker complete " + w.Dir())
	err = w.Complete(wk.cancel, t)
	wk.end()
	switch {
	case err == nil:
		wk.recipeStep(StepMWCompleted, w.Dir(), t.Name, t.Seq, w.Name())
	case errors.Is(err, recipes.ErrTaskLost):
		wk.recipeStep(StepMWTaskLost, w.Dir(), t.Name, t.Seq, err.Error())
	default:
		masterWorkerFailed(wk, w.Dir(), err)
	}
}

func submitterStep(wk *worker) {
	sb, _ := wk.recipe.(*recipes.Submitter)
	if sb == nil {
		sb = recipes.NewSubmitter(wk.sess, wk.recipeDir())
		wk.recipe = sb
	}
	wk.vals.n++
	data := "t" + strconv.Itoa(wk.slot) + "." + strconv.Itoa(wk.vals.client) + "." + strconv.Itoa(wk.vals.n)
	wk.beginRecipe("submit " + sb.Dir())
	task, err := sb.Submit(wk.cancel, []byte(data))
	wk.end()
	if err != nil {
		masterWorkerFailed(wk, sb.Dir(), err)
		return
	}
	seq, _ := strconv.ParseInt(task[max(0, len(task)-10):], 10, 64)
	wk.recipeStep(StepMWSubmitted, sb.Dir(), task, seq, data)
	wk.beginRecipe("submitter wait " + sb.Dir())
	by, err := sb.WaitDone(recipes.WithTimeout(wk.sess, masterWorkerPatience), task)
	wk.end()
	if err == nil {
		wk.recipeStep(StepMWDone, sb.Dir(), task, seq, by)
	}
	if wk.loseSession() {
		return
	}
	wk.hold()
}

// MasterWorkerScenario is RecipeScenario for the master-worker workload with a cooldown of
// 10 s: once every fault is healed, the sessions that crashed or paused clients left behind
// expire (a session timeout and up to two ticks) and the masters and workers go on, so the
// liveness phase holds calm time in which every task is owed its completion
// (models.CheckMasterWorker). The recipe's flaws are caught on it.
func MasterWorkerScenario() Scenario {
	sc := RecipeScenario(WorkloadMasterWorker)
	sc.Cooldown = Duration(10 * time.Second)
	return sc
}
