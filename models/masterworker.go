package models

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"zoosim/histories"
	"zoosim/tree"
)

// CheckerMasterWorker is the name of CheckMasterWorker's verdicts.
const CheckerMasterWorker = "master-worker"

// The master-worker steps, as sim/cluster's master-worker workload records them: Name is the
// application's directory; "elected" carries the candidate node and the token, "registered"
// the worker's name in Node, "executing" and "completed" the task in Node and the worker's name
// in Value, "submitted" the task in Node.
const (
	mwElected    = "elected"
	mwResigned   = "resigned"
	mwLost       = "lost"
	mwExecuting  = "executing"
	mwCompleted  = "completed"
	mwSubmitted  = "submitted"
	mwRegistered = "registered"
)

// MasterWorkerOptions tune CheckMasterWorker. Zero durations take the defaults below.
type MasterWorkerOptions struct {
	// Recipe is the recipe whose steps are judged (histories.RecipeMasterWorker when empty).
	Recipe string
	// Stop is when the workloads stopped (the end of the cooldown: the masters and workers stop
	// working then, so nothing is owed after it); zero means the end of the run.
	Stop histories.Time
	// ReassignBound is how long a task may stay assigned to a worker whose registration is gone
	// while a live master serves in a calm ensemble.
	ReassignBound time.Duration
	// CompleteBound is how long a task may wait, without a break, while progress is owed to it
	// (see CheckMasterWorker) before it is done.
	CompleteBound time.Duration
	// Settle is how long after the last disturbance (a fault's end, a serving leader's return,
	// a client's pause) clients get to reconnect before anything is owed.
	Settle time.Duration
}

// DefaultMasterWorkerReassignBound is MasterWorkerOptions.ReassignBound's default. In a calm
// ensemble a move is the registration's deletion, one watch event and one pass of the master
// (a few listings and one multi per task): milliseconds (the largest sum in 1000 correct runs
// was 0.14 s). A second still catches a master that never moves the task.
const DefaultMasterWorkerReassignBound = time.Second

// DefaultMasterWorkerCompleteBound is MasterWorkerOptions.CompleteBound's default: a task's
// assignment and execution take a pass of the master and a think time of work, behind the few
// tasks queued at the same worker (the submitters wait for their tasks); the largest sum in 1000
// correct runs was 0.46 s.
const DefaultMasterWorkerCompleteBound = 2 * time.Second

// DefaultMasterWorkerSettle is MasterWorkerOptions.Settle's default, the election checker's
// (DefaultElectionSettle): enough for a client cut off by a fault to find a serving server.
const DefaultMasterWorkerSettle = 4 * time.Second

// CheckMasterWorker judges the master-worker recipe (recipes.Master, recipes.Worker; issue 7)
// against the committed log (h.Log without the tentative txns no established leader kept, as
// CheckZxidOrder reads it; a txn commits at its first apply), where each task is a node created
// in <dir>/tasks, each assignment a node <dir>/assign/<worker>/<task>, each completion a node
// <dir>/status/<task>, and each worker's registration an ephemeral <dir>/workers/<worker>:
//
//   - one place at a time: after every txn a task is in at most one of <dir>/tasks and the
//     assignment directories, and in none once done; a task is assigned to a worker only while
//     the worker is registered (the recipe's multis guarantee both);
//   - a worker executes only a task assigned to it (the assignment was committed before its
//     "executing" step, and its registration is the worker's session's), and says it completed
//     a task only if its status names it;
//   - no task stays assigned to a worker whose registration is gone (its session ended) for
//     more than ReassignBound of time in which a live master served;
//   - every task is assigned and completed while a master and a worker live: no task goes
//     without being done for more than CompleteBound of time in which progress was owed to it.
//     Progress is owed in calm time (below) before Stop: to a waiting task while a live master
//     and a live worker exist; to a task assigned to a live worker while that worker's client
//     is up; to a task assigned to a gone worker while a live master exists. A master lives from
//     its "elected" step to its "resigned" or "lost" step or its session's end, a worker from
//     its registration's commit to its deletion (the session's end); either counts as live only
//     while its client is not killed (until the session ends), paused (until Settle after the
//     process wakes) or closing its session (from the close request to the session's end: a
//     close sent while disconnected leaves the session to expire).
//
// Calm time excludes every fault but a client's kill or pause, every stretch without a serving
// leader (liveOutages), and Settle after each of those: a partition can hold everything up until
// it heals, and a master or a worker may need a while to reconnect afterwards. Owed time adds up
// across breaks (a master's handover to the next, a fault): in each owed stretch the recipe
// makes progress within milliseconds (a watch event, a pass of the master, a think time of
// work), so a task that waits through many short terms is caught as surely as one that waits
// through a long one, and the bounds leave a wide margin over the largest sums that correct runs
// show (see the metrics reassign_owed_max and complete_owed_max).
//
// Tasks executed twice (by two sessions) are counted, not judged: a worker whose session ended
// without its knowing goes on with a task that the master has moved (the ZooKeeper book says as
// much of this pattern).
func CheckMasterWorker(h *histories.History, opts MasterWorkerOptions) Verdict {
	if opts.Recipe == "" {
		opts.Recipe = histories.RecipeMasterWorker
	}
	if opts.ReassignBound <= 0 {
		opts.ReassignBound = DefaultMasterWorkerReassignBound
	}
	if opts.CompleteBound <= 0 {
		opts.CompleteBound = DefaultMasterWorkerCompleteBound
	}
	if opts.Settle <= 0 {
		opts.Settle = DefaultMasterWorkerSettle
	}
	stop := h.Header.End
	if opts.Stop > 0 && opts.Stop < stop {
		stop = opts.Stop
	}
	steps := recipeSteps(h, opts.Recipe)
	var dirs []string
	for _, e := range steps {
		if !slices.Contains(dirs, e.Name) {
			dirs = append(dirs, e.Name)
		}
	}
	slices.Sort(dirs)
	var vs violations
	apps := mwApps(h, dirs, &vs)
	j := newMWJudge(h, steps, opts, stop)

	var st mwStats
	for _, d := range dirs {
		app := apps[d]
		mwCheckSteps(app, steps, &vs, &st)
		j.judge(app, &vs, &st)
	}
	v := vs.verdict(CheckerMasterWorker, fmt.Sprintf("%d tasks submitted, %d completed, %d executed twice, %d moved from gone workers, %d master terms: each in one place, executed only by its assignee, moved within %s and completed within %s of owed time",
		st.tasks, st.completed, st.twice, st.moved, j.terms, opts.ReassignBound, opts.CompleteBound))
	if st.tasks == 0 {
		v.Summary = "no task was submitted: nothing to check"
	}
	v.Metrics = []Metric{{Name: "tasks submitted", Value: float64(st.tasks)},
		{Name: "submits acknowledged", Value: float64(st.acked)},
		{Name: "tasks completed", Value: float64(st.completed)},
		{Name: "tasks left at the stop", Value: float64(st.left)},
		{Name: "tasks executed twice", Value: float64(st.twice)},
		{Name: "tasks moved from gone workers", Value: float64(st.moved)},
		{Name: "master terms", Value: float64(j.terms)},
		{Name: "reassign_owed_max", Value: liveSecs(st.reassignMax), Unit: "s"},
		{Name: "complete_owed_max", Value: liveSecs(st.completeMax), Unit: "s"}}
	return v
}

// mwStats are what the verdict counts.
type mwStats struct {
	tasks, acked, completed, left, twice, moved int
	reassignMax, completeMax                    histories.Time
}

// mwApp is one master-worker application (a directory) as the committed log tells it.
type mwApp struct {
	dir string
	// workers are the registrations by worker name (the last, should a name be used again);
	// registrations all of them, in creation order.
	workers       map[string]*mwRegistration
	registrations []*mwRegistration
	tasks         map[string]*mwTask
	// order lists the tasks in creation order.
	order []*mwTask
}

// mwRegistration is a worker's registration node: its owner session and when it was created
// and gone (Never while it exists), each the first apply of its txn.
type mwRegistration struct {
	name          string
	session       tree.SessionID
	created, gone histories.Time
}

// mwTask is one task's life.
type mwTask struct {
	name string
	// created is the commit of its create in <dir>/tasks, waitEnd when it left <dir>/tasks
	// (Never while there).
	created, waitEnd histories.Time
	assigns          []*mwAssignment
	// done is the commit of its status node (Never if none), doneBy the status's data.
	done   histories.Time
	doneBy string
}

// mwAssignment is one assignment node of a task.
type mwAssignment struct {
	worker        string
	created, gone histories.Time
}

func (t *mwTask) places() int {
	n := 0
	if t.created != histories.Never && t.waitEnd == histories.Never {
		n++
	}
	for _, a := range t.assigns {
		if a.gone == histories.Never {
			n++
		}
	}
	return n
}

// mwApps reads every application's nodes from the committed log, and checks after each txn that
// every task it touched is in one place at most, and that each assignment went to a registered
// worker.
func mwApps(h *histories.History, dirs []string, vs *violations) map[string]*mwApp {
	apps := map[string]*mwApp{}
	for _, d := range dirs {
		apps[d] = &mwApp{dir: d, workers: map[string]*mwRegistration{}, tasks: map[string]*mwTask{}}
	}
	if len(dirs) == 0 {
		return apps
	}
	first := firstApplied(h)
	// locate splits a path into its application and the path's parts below it.
	locate := func(p string) (*mwApp, []string) {
		for _, d := range dirs {
			if strings.HasPrefix(p, d+"/") {
				return apps[d], strings.Split(p[len(d)+1:], "/")
			}
		}
		return nil, nil
	}
	type touch struct {
		app  *mwApp
		task *mwTask
	}
	var touched []touch
	task := func(app *mwApp, name string) *mwTask {
		t := app.tasks[name]
		if t == nil {
			t = &mwTask{name: name, created: histories.Never, waitEnd: histories.Never, done: histories.Never}
			app.tasks[name] = t
			app.order = append(app.order, t)
		}
		return t
	}
	var one func(x *tree.Txn, hd tree.Header, at histories.Time)
	one = func(x *tree.Txn, hd tree.Header, at histories.Time) {
		switch x.Type {
		case tree.OpMulti:
			for i := range x.Ops {
				if x.Ops[i].Type == tree.OpError {
					return // a failed multi changed nothing
				}
			}
			for i := range x.Ops {
				one(&x.Ops[i], hd, at)
			}
			return
		case tree.OpCloseSession:
			for _, p := range x.Paths {
				if app, parts := locate(p); app != nil && len(parts) == 2 && parts[0] == "workers" {
					if r := app.workers[parts[1]]; r != nil && r.gone == histories.Never {
						r.gone = at
					}
				}
			}
			return
		}
		create := false
		switch x.Type {
		case tree.OpCreate, tree.OpCreate2, tree.OpCreateContainer, tree.OpCreateTTL:
			create = true
		case tree.OpDelete, tree.OpDeleteContainer:
		default:
			return
		}
		app, parts := locate(x.Path)
		if app == nil {
			return
		}
		switch {
		case len(parts) == 2 && parts[0] == "workers":
			if create {
				r := &mwRegistration{name: parts[1], session: tree.SessionID(x.EphemeralOwner), created: at, gone: histories.Never}
				app.workers[parts[1]] = r
				app.registrations = append(app.registrations, r)
			} else if r := app.workers[parts[1]]; r != nil && r.gone == histories.Never {
				r.gone = at
			}
		case len(parts) == 2 && parts[0] == "tasks":
			t := task(app, parts[1])
			if create {
				t.created = at
			} else if t.waitEnd == histories.Never {
				t.waitEnd = at
			}
			touched = append(touched, touch{app, t})
		case len(parts) == 3 && parts[0] == "assign":
			t := task(app, parts[2])
			if create {
				if r := app.workers[parts[1]]; r == nil || r.gone != histories.Never {
					vs.addf(at, nil, "master-worker %s: task %s was assigned to worker %s at zxid %s, which was not registered then",
						app.dir, t.name, parts[1], hd.Zxid)
				}
				t.assigns = append(t.assigns, &mwAssignment{worker: parts[1], created: at, gone: histories.Never})
			} else {
				for _, a := range t.assigns {
					if a.worker == parts[1] && a.gone == histories.Never {
						a.gone = at
					}
				}
			}
			touched = append(touched, touch{app, t})
		case len(parts) == 2 && parts[0] == "status" && create:
			t := task(app, parts[1])
			t.done, t.doneBy = at, string(x.Data)
			touched = append(touched, touch{app, t})
		}
	}
	for _, x := range ordCommitted(h) {
		at, ok := first[x.Zxid]
		if !ok {
			continue
		}
		touched = touched[:0]
		one(x, x.Header, at)
		for i, tc := range touched {
			if slices.ContainsFunc(touched[:i], func(o touch) bool { return o.task == tc.task }) {
				continue
			}
			t := tc.task
			switch n := t.places(); {
			case n > 1:
				vs.addf(at, nil, "master-worker %s: after zxid %s task %s is in %d places at once (waiting: %v, assigned to %s)",
					tc.app.dir, x.Zxid, t.name, n, t.created != histories.Never && t.waitEnd == histories.Never, mwLiveAssignees(t))
			case n > 0 && t.done != histories.Never:
				vs.addf(at, nil, "master-worker %s: after zxid %s task %s is done and still waiting or assigned (to %s)",
					tc.app.dir, x.Zxid, t.name, mwLiveAssignees(t))
			}
		}
	}
	return apps
}

func mwLiveAssignees(t *mwTask) string {
	var out []string
	for _, a := range t.assigns {
		if a.gone == histories.Never {
			out = append(out, a.worker)
		}
	}
	if len(out) == 0 {
		return "nobody"
	}
	return strings.Join(out, ", ")
}

// mwCheckSteps checks the workers' steps against the log and counts the tasks executed twice.
func mwCheckSteps(app *mwApp, steps []*histories.RecipeEvent, vs *violations, st *mwStats) {
	executors := map[*mwTask][]tree.SessionID{}
	acked := map[string]bool{}
	for _, e := range steps {
		if e.Name != app.dir {
			continue
		}
		switch e.Step {
		case mwSubmitted:
			acked[e.Node] = true
			if t := app.tasks[e.Node]; t == nil || t.created > e.Time {
				vs.addf(e.Time, nil, "master-worker %s: process %d's submit of %s returned, but the log has no such task then", app.dir, e.Process, e.Node)
			}
		case mwExecuting:
			t := app.tasks[e.Node]
			registered := slices.ContainsFunc(app.registrations, func(r *mwRegistration) bool {
				return r.name == e.Value && r.session == e.Session
			})
			ok := t != nil && registered && slices.ContainsFunc(t.assigns, func(a *mwAssignment) bool {
				return a.worker == e.Value && a.created <= e.Time
			})
			if !ok {
				vs.addf(e.Time, nil, "master-worker %s: worker %s (process %d, session %s) executed %s, which was never assigned to it",
					app.dir, e.Value, e.Process, e.Session, e.Node)
			}
			if t != nil && !slices.Contains(executors[t], e.Session) {
				executors[t] = append(executors[t], e.Session)
			}
		case mwCompleted:
			if t := app.tasks[e.Node]; t == nil || t.done > e.Time || t.doneBy != e.Value {
				vs.addf(e.Time, nil, "master-worker %s: worker %s (process %d) completed %s, but the log has no status of it naming that worker then",
					app.dir, e.Value, e.Process, e.Node)
			}
		}
	}
	for _, t := range app.order {
		if t.created == histories.Never {
			continue
		}
		st.tasks++
		if acked[t.name] {
			st.acked++
		}
		if t.done != histories.Never {
			st.completed++
		}
		if len(executors[t]) > 1 {
			st.twice++
		}
	}
}

// mwSpan is a stretch of virtual time [start, end).
type mwSpan struct{ start, end histories.Time }

// mwSpans is a set of time: sorted, disjoint stretches that do not touch.
type mwSpans []mwSpan

// mwNormalize sorts stretches and joins those that overlap or touch, dropping empty ones.
func mwNormalize(list []mwSpan) mwSpans {
	list = slices.DeleteFunc(slices.Clone(list), func(s mwSpan) bool { return s.end <= s.start })
	slices.SortFunc(list, func(a, b mwSpan) int { return cmp.Compare(a.start, b.start) })
	var out mwSpans
	for _, x := range list {
		if n := len(out); n > 0 && x.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, x.end)
			continue
		}
		out = append(out, x)
	}
	return out
}

// intersect returns the time in both a and b.
func (a mwSpans) intersect(b mwSpans) mwSpans {
	var out []mwSpan
	i, k := 0, 0
	for i < len(a) && k < len(b) {
		s, e := max(a[i].start, b[k].start), min(a[i].end, b[k].end)
		if s < e {
			out = append(out, mwSpan{s, e})
		}
		if a[i].end < b[k].end {
			i++
		} else {
			k++
		}
	}
	return mwNormalize(out)
}

// minus returns the time in a and not in b.
func (a mwSpans) minus(b mwSpans) mwSpans {
	var out []mwSpan
	for _, x := range a {
		cur := x.start
		for _, y := range b {
			if y.end <= cur || y.start >= x.end {
				continue
			}
			if y.start > cur {
				out = append(out, mwSpan{cur, y.start})
			}
			cur = max(cur, y.end)
		}
		if cur < x.end {
			out = append(out, mwSpan{cur, x.end})
		}
	}
	return mwNormalize(out)
}

// within returns the part of a inside [start, end).
func (a mwSpans) within(start, end histories.Time) mwSpans {
	return a.intersect(mwSpans{{start, end}})
}

// mwJudge holds what the owed-time rules need: calm time, when each session's client was down,
// and when a live master served.
type mwJudge struct {
	h     *histories.History
	opts  MasterWorkerOptions
	stop  histories.Time
	ends  map[tree.SessionID]histories.Time
	calm  mwSpans
	down  map[tree.SessionID]mwSpans
	terms int
	// masters are, per application, the time a live master served.
	masters map[string]mwSpans
}

func newMWJudge(h *histories.History, steps []*histories.RecipeEvent, opts MasterWorkerOptions, stop histories.Time) *mwJudge {
	j := &mwJudge{h: h, opts: opts, stop: stop, ends: sessionEnds(h), down: map[tree.SessionID]mwSpans{}, masters: map[string]mwSpans{}}
	settle := histories.Time(opts.Settle)

	// Calm time: from Settle after each stretch of unrest, until the next one or the stop.
	var unrest []mwSpan
	for i := range h.Faults {
		f := &h.Faults[i]
		if f.Kind == histories.FaultClientKill || f.Kind == histories.FaultClientPause {
			continue
		}
		unrest = append(unrest, mwSpan{f.Start, min(f.End, stop)})
	}
	for _, o := range liveOutages(h, stop) {
		unrest = append(unrest, mwSpan{o.start, o.end})
	}
	var calm []mwSpan
	from := histories.Time(0)
	for _, u := range mwNormalize(unrest) {
		calm = append(calm, mwSpan{from, u.start})
		from = max(from, u.end+settle)
	}
	calm = append(calm, mwSpan{from, stop})
	j.calm = mwNormalize(calm)

	// When each session's client was down: killed (until the session ends), paused (until
	// Settle after it resumed), or closing its session (until the session ends).
	clientSession := map[int]tree.SessionID{}
	for i := range h.Ops {
		if o := &h.Ops[i]; o.Session != 0 {
			clientSession[o.Client] = o.Session
		}
	}
	for _, e := range steps {
		if e.Session != 0 {
			clientSession[e.Client] = e.Session
		}
	}
	down := map[tree.SessionID][]mwSpan{}
	for i := range h.Faults {
		f := &h.Faults[i]
		if f.Kind != histories.FaultClientKill && f.Kind != histories.FaultClientPause {
			continue
		}
		for _, c := range f.Clients {
			s, ok := clientSession[c]
			if !ok {
				continue
			}
			end := sessionEnd(j.ends, s)
			if f.Kind == histories.FaultClientPause {
				if d, ok := mwPausedFor(f); ok && f.End != histories.Never {
					end = min(end, max(f.End, f.Start+d)+settle)
				}
			}
			down[s] = append(down[s], mwSpan{f.Start, min(end, stop)})
		}
	}
	// A client that asked to close its session does nothing more with it, and the session may
	// outlive the request (a close sent while disconnected is left to expire).
	for i := range h.Ops {
		if o := &h.Ops[i]; o.Req.Type == tree.OpCloseSession && o.Session != 0 {
			down[o.Session] = append(down[o.Session], mwSpan{o.Invoke, min(sessionEnd(j.ends, o.Session), stop)})
		}
	}
	for s, list := range down {
		j.down[s] = mwNormalize(list)
	}

	// Master terms, cut at their session's end, while their client is up.
	type key struct {
		name    string
		process int
	}
	type term struct {
		name    string
		session tree.SessionID
		node    string
		start   histories.Time
		end     histories.Time
	}
	open := map[key]*term{}
	var terms []*term
	for _, e := range steps {
		k := key{e.Name, e.Process}
		switch e.Step {
		case mwElected:
			delete(open, k)
			end := sessionEnd(j.ends, e.Session)
			if end <= e.Time {
				continue // begun after its session ended: no live master
			}
			t := &term{name: e.Name, session: e.Session, node: e.Node, start: e.Time, end: min(end, stop)}
			terms = append(terms, t)
			open[k] = t
		case mwResigned, mwLost:
			if t := open[k]; t != nil && t.node == e.Node {
				t.end = min(t.end, e.Time)
				delete(open, k)
			}
		}
	}
	j.terms = len(terms)
	byApp := map[string][]mwSpan{}
	for _, t := range terms {
		for _, s := range (mwSpans{{t.start, t.end}}).minus(j.down[t.session]) {
			byApp[t.name] = append(byApp[t.name], s)
		}
	}
	for name, list := range byApp {
		j.masters[name] = mwNormalize(list).intersect(j.calm)
	}
	return j
}

// mwPausedFor returns how long the process of a paused client sleeps, as the fault's detail
// says ("client node paused for 8s, ..."): sim/cluster's freeze sleeps that long whether or not
// healing resumes the node earlier, so the process acts again only then. ok is false when the
// detail does not say; the process then counts as down until its session ends.
func mwPausedFor(f *histories.Fault) (histories.Time, bool) {
	const marker = "paused for "
	i := strings.Index(f.Detail, marker)
	if i < 0 {
		return 0, false
	}
	rest := f.Detail[i+len(marker):]
	if j := strings.IndexAny(rest, " ,"); j >= 0 {
		rest = rest[:j]
	}
	d, err := time.ParseDuration(rest)
	if err != nil || d <= 0 {
		return 0, false
	}
	return histories.Time(d), true
}

// judge holds app's tasks to the reassign and complete bounds.
func (j *mwJudge) judge(app *mwApp, vs *violations, st *mwStats) {
	reassignBound, completeBound := histories.Time(j.opts.ReassignBound), histories.Time(j.opts.CompleteBound)
	masters := j.masters[app.dir]
	// Live workers: each registration while its client is up, in calm time.
	var live []mwSpan
	names := make([]string, 0, len(app.workers))
	for n := range app.workers {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		r := app.workers[n]
		live = append(live, (mwSpans{{r.created, min(r.gone, j.stop)}}).minus(j.down[r.session])...)
	}
	workers := mwNormalize(live).intersect(j.calm)
	masterAndWorker := masters.intersect(workers)

	for _, t := range app.order {
		if t.created == histories.Never {
			continue
		}
		end := min(t.done, j.stop)
		if t.done == histories.Never && t.created < j.stop {
			st.left++
		}
		var owed []mwSpan
		owed = append(owed, masterAndWorker.within(t.created, min(t.waitEnd, end))...)
		flagged := false
		for _, a := range t.assigns {
			r := app.workers[a.worker]
			until := min(a.gone, end)
			alive := a.created // the registration's end, if it came before the assignment's
			if r != nil {
				alive = min(max(r.gone, a.created), until)
				owed = append(owed, (mwSpans{{a.created, alive}}).minus(j.down[r.session]).intersect(j.calm)...)
			}
			if alive >= until {
				continue
			}
			if a.gone != histories.Never {
				st.moved++
			}
			// Assigned to a gone worker: a live master owes the move.
			orphan := masters.within(alive, until)
			owed = append(owed, orphan...)
			total, at := orphan.total(reassignBound)
			st.reassignMax = max(st.reassignMax, total)
			if total > reassignBound {
				flagged = true
				vs.addf(at, nil, "master-worker %s: task %s stayed assigned to worker %s, gone at %s, for %s while a live master served in a calm ensemble (until %s; bound %s)",
					app.dir, t.name, a.worker, FormatTime(alive), FormatTime(total), mwUntil(until, a.gone, j.stop), j.opts.ReassignBound)
			}
		}
		total, at := mwNormalize(owed).total(completeBound)
		st.completeMax = max(st.completeMax, total)
		if total > completeBound && !flagged {
			vs.addf(at, nil, "master-worker %s: task %s (created at %s) was still not done after %s of time in which a master and a worker lived to do it (%s in all; %s)",
				app.dir, t.name, FormatTime(t.created), j.opts.CompleteBound, FormatTime(total), mwFate(t, j.stop))
		}
	}
}

// total returns the time in a, and the moment at which it passes bound (Never if it does not).
func (a mwSpans) total(bound histories.Time) (histories.Time, histories.Time) {
	var sum histories.Time
	at := histories.Never
	for _, s := range a {
		if at == histories.Never && sum+(s.end-s.start) > bound {
			at = s.start + bound - sum
		}
		sum += s.end - s.start
	}
	return sum, at
}

// mwUntil prints the end of an assignment as far as it was judged: its end, or the stop.
func mwUntil(end, changed, stop histories.Time) string {
	if end != changed && end >= stop {
		return FormatTime(end) + ", the workloads' stop"
	}
	return FormatTime(end)
}

// mwFate says where a task was at the stop, for a report.
func mwFate(t *mwTask, stop histories.Time) string {
	if t.done <= stop {
		return "done at " + FormatTime(t.done) + " by " + t.doneBy
	}
	where := "still waiting"
	for _, a := range t.assigns {
		if a.created <= stop && a.gone > stop {
			where = "still assigned to " + a.worker
		}
	}
	return where + " at the stop"
}
