package recipes

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"zoosim/histories"
	"zoosim/tree"
	"zoosim/zab/client"
)

// Master-worker task assignment, as ZooKeeper is classically used (the ZooKeeper book's
// master-worker example; issue 7): a master, elected among candidates, hands the tasks that
// clients submit to the workers that are registered, and moves the tasks of a worker that is gone
// to the live ones. The application's directory holds
//
//	<dir>/master/lock-...      the candidates for master: the election is a Lock (the lowest
//	                           candidate is the master; each backup watches only the candidate
//	                           before its own, so a master's end wakes one backup: no herd)
//	<dir>/workers/<worker>     ephemeral: a registered worker, alive while its session lives
//	<dir>/tasks/task-...-<seq> persistent sequential: a submitted task not assigned yet
//	<dir>/assign/<worker>/<t>  persistent: task t assigned to a worker (the task's data)
//	<dir>/status/<t>           persistent: task t is done (data: the worker that did it)
//
// Every move of a task is one multi (zookeeper.md A7) that creates the task's new place and
// deletes its old one: the master assigns with check(<dir>/workers/<w>), create
// <dir>/assign/<w>/<t>, delete <dir>/tasks/<t>; it moves a gone worker's task with create
// <dir>/assign/<w>/<t>, delete <dir>/assign/<gone>/<t>; a worker completes with create
// <dir>/status/<t>, delete <dir>/assign/<w>/<t>. So a task is always in exactly one place (in
// <dir>/tasks, assigned to one worker, or done), it is done at most once, and the tree holds the
// whole state: the master keeps nothing in memory that it could not read again.
//
// Guarantee. Every task whose Submit returned is assigned and completed, at least once, while a
// master and a worker live: the master assigns each task in <dir>/tasks to a live worker, and
// moves the tasks of every worker whose registration is gone to live workers, as soon as it sees
// the change (it watches <dir>/tasks and <dir>/workers). What a session's end does:
//
//   - a worker's: its registration goes with the session (zookeeper.md A9), and the master moves
//     its assigned tasks to live workers. A worker cut off from the ensemble cannot know at once
//     that its session expired, so it may go on executing a task that the master has already
//     moved to another worker: a task can be executed twice (the ZooKeeper book says as much of
//     this pattern), though completed once: the late worker's Complete fails (ErrSessionEnded,
//     or ErrTaskLost when its assignment is gone). Tasks are at least once, not exactly once.
//   - the master's: its candidate node goes, and the next candidate becomes master and takes over
//     from the tree: it lists <dir>/assign, <dir>/workers and <dir>/tasks and handles whatever
//     the old master left (tasks not assigned yet, tasks of workers that went meanwhile).
//     Nothing is lost; tasks wait until the takeover. A master whose session expired without
//     its knowing (a long pause) is harmless: everything it does is a write on its session,
//     which fails once the session is closed, and its checks guard against stale reads.
//   - a submitter's: nothing; tasks are persistent. WaitDone needs no session of the submitter's.
//
// A ConnectionLoss leaves a write's outcome unknown (zookeeper.md A5): a worker's Register and
// Complete look at the tree to learn it, the master lists everything again, and Submit looks for
// its task's unique name prefix (ZooKeeper's recipes, "Recoverable errors and the GUID") in
// <dir>/tasks, the assignments and <dir>/status before it submits again. A task that moved between
// two of those listings can be missed, so such a submit may, rarely, submit its task twice.
//
// Worker names should be unique per registration (a name with the session in it is): Register
// refuses a name that a live registration holds, or whose gone registration's assignments no
// master has cleared yet (ErrWorkerNameTaken); the master deletes a gone worker's
// <dir>/assign/<worker> directory once it has moved its tasks, and only then can the name be
// registered again.

// The directories of a master-worker application.
const (
	mwMasterDir  = "master"
	mwWorkersDir = "workers"
	mwTasksDir   = "tasks"
	mwAssignDir  = "assign"
	mwStatusDir  = "status"
)

// mwTaskPrefix starts every task's name: task-<session>-<time>-<sequence>.
const mwTaskPrefix = "task-"

var (
	// ErrTaskLost is returned by Complete when the task is no longer assigned to the worker: the
	// master moved it (the worker's registration was gone), or another worker completed it.
	ErrTaskLost = errors.New("recipes: the task is no longer assigned to this worker")
	// ErrNotRegistered is returned by a Worker's Next and Complete before Register succeeded, or
	// after the worker's registration was gone (Leave).
	ErrNotRegistered = errors.New("recipes: the worker is not registered")
	// ErrWorkerNameTaken is returned by Register when another registration used the worker's name.
	ErrWorkerNameTaken = errors.New("recipes: the worker name is taken")
)

// FlawMasterWorkerNoReassign is a master that never moves the tasks of a worker that is gone:
// they stay assigned to the dead worker forever.
const FlawMasterWorkerNoReassign Flaw = "master-worker-no-reassign"

// FlawMasterWorkerEmptyTakeover is a master that starts its term from an empty state: it
// treats the tasks waiting in <dir>/tasks and the assignments of gone workers that it finds
// when it takes over as handled already, and acts only on what changes after, so the work an
// old master left is never done.
const FlawMasterWorkerEmptyTakeover Flaw = "master-worker-empty-takeover"

func init() {
	registerFlaw(FlawMasterWorkerNoReassign, histories.RecipeMasterWorker, "the master never moves the tasks of a worker whose registration is gone")
	registerFlaw(FlawMasterWorkerEmptyTakeover, histories.RecipeMasterWorker, "a new master ignores the tasks and the gone workers' assignments it finds when it takes over")
}

// mwEnsureLayout creates dir and its five directories.
func mwEnsureLayout(s *client.Session, c *Cancel, dir string) error {
	if err := ensurePath(s, c, dir); err != nil {
		return err
	}
	for _, sub := range []string{mwMasterDir, mwWorkersDir, mwTasksDir, mwAssignDir, mwStatusDir} {
		if err := ensurePath(s, c, join(dir, sub)); err != nil {
			return err
		}
	}
	return nil
}

// mwChildren lists path's children, riding out lost connections; a missing path has none
// (ok false).
func mwChildren(s *client.Session, c *Cancel, path string, w *client.Watcher) (kids []string, ok bool, err error) {
	err = retry(s, c, func() (err error) { kids, err = s.GetChildren(path, w); return err })
	if client.CodeOf(err) == tree.NoNode {
		return nil, false, nil
	}
	return kids, err == nil, err
}

// mwData reads path's data, riding out lost connections; ok is false when it does not exist.
func mwData(s *client.Session, c *Cancel, path string) (data []byte, ok bool, err error) {
	err = retry(s, c, func() (err error) { data, _, err = s.GetData(path, nil); return err })
	if client.CodeOf(err) == tree.NoNode {
		return nil, false, nil
	}
	return data, err == nil, err
}

// mwFailedOp returns the index of the op that failed a multi, -1 if none says so.
func mwFailedOp(res []tree.Result) int {
	for i, r := range res {
		if r.Err != tree.OK {
			return i
		}
	}
	return -1
}

// mwTasks keeps the task names among names, in sequence order.
func mwTasks(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if strings.HasPrefix(n, mwTaskPrefix) {
			out = append(out, n)
		}
	}
	sortBySequence(out)
	return out
}

// Task is a task as a worker gets it.
type Task struct {
	// Name is the task's name (task-...-<seq>), the same in <dir>/tasks, <dir>/assign/<w> and
	// <dir>/status.
	Name string
	// Seq is its sequence number, the order of the submits.
	Seq int64
	// Data is what the submitter gave.
	Data []byte
}

// Master is a candidate for master of the application in dir; when elected it assigns tasks
// (see the guarantee above).
type Master struct {
	s   *client.Session
	dir string
	// Flaws, when set, break the recipe on purpose (for the checkers' tests).
	Flaws Flaws

	lock  *Lock
	ready bool
	// changed fires on any change of <dir>/workers' or <dir>/tasks' children; it is re-armed
	// (fired = false) before each listing, so a change during a pass makes another pass.
	changed *signal
	// fresh says the next pass is the first of this term; ignored are what the flawed master
	// (FlawMasterWorkerEmptyTakeover) found at its takeover and never handles.
	fresh   bool
	ignored map[string]bool
	// moved counts the tasks this candidate moved away from gone workers, for tests.
	moved int
}

// NewMaster returns a candidate for master of the application in dir for the process running s.
func NewMaster(s *client.Session, dir string) *Master {
	return &Master{s: s, dir: dir, lock: NewLock(s, join(dir, mwMasterDir)), changed: newSignal(s)}
}

// Dir is the application's directory.
func (m *Master) Dir() string { return m.dir }

// Node is the candidate's node in <dir>/master, "" when it is no candidate.
func (m *Master) Node() string { return m.lock.Node() }

// IsMaster reports whether Campaign succeeded and the candidate did not resign since, and the
// session is alive as far as the client knows (a partitioned client cannot know that its
// session expired; see the guarantee).
func (m *Master) IsMaster() bool { return m.lock.Held() }

// Token is the current term's token (the candidate node's czxid), 0 when not the master.
func (m *Master) Token() int64 { return m.lock.Token() }

// Moved counts the tasks this candidate moved from gone workers to live ones.
func (m *Master) Moved() int { return m.moved }

// Campaign blocks until the candidate is the master and returns its token: its candidate node's
// czxid, larger for every later master. It fails with ErrSessionEnded when the session ends,
// or c's error when c is cancelled first, having withdrawn the candidacy.
func (m *Master) Campaign(c *Cancel) (int64, error) {
	if m.lock.Held() {
		return m.lock.Token(), nil
	}
	if err := m.layout(c); err != nil {
		return 0, err
	}
	token, err := m.lock.Acquire(c)
	if err != nil {
		return 0, err
	}
	m.fresh, m.ignored = true, nil
	return token, nil
}

// Lead does the master's work, blocking until c is cancelled (it returns c's error and is still
// the master: call Lead again, or Resign) or the mastership is lost (ErrSessionEnded). Each pass
// reads the whole state from the tree, so a new master picks up whatever the old one left.
func (m *Master) Lead(c *Cancel) error {
	if !m.lock.held {
		return fmt.Errorf("%w: master of %s", ErrNotHeld, m.dir)
	}
	for {
		if err := c.Err(); err != nil {
			return err
		}
		if err := m.pass(c); err != nil {
			return err
		}
		if err := m.changed.await(c); err != nil {
			return err
		}
	}
}

// Run is Campaign, then Lead until c is cancelled or the mastership is lost, then Resign.
func (m *Master) Run(c *Cancel) error {
	if _, err := m.Campaign(c); err != nil {
		return err
	}
	err := m.Lead(c)
	if rerr := m.Resign(); err == nil {
		err = rerr
	}
	return err
}

// Resign gives the mastership (or the candidacy) up: it deletes the candidate node, riding out a
// lost connection, so the next candidate takes over. ErrSessionEnded says the node was gone
// with the session already.
func (m *Master) Resign() error {
	if m.lock.held {
		return m.lock.Release()
	}
	return m.lock.abandon()
}

func (m *Master) layout(c *Cancel) error {
	if m.ready {
		return nil
	}
	if err := mwEnsureLayout(m.s, c, m.dir); err != nil {
		return err
	}
	m.ready = true
	return nil
}

// pass reads the state and acts on it once: it moves the tasks of gone workers, then assigns the
// waiting tasks, each to the live worker with the fewest tasks.
func (m *Master) pass(c *Cancel) error {
	s := m.s
	m.changed.fired = false
	// The assignment directories first, then the workers: a worker creates its directory and its
	// registration in one multi, and one session's reads never go back in zxid order
	// (zookeeper.md A10), so a directory listed here whose worker is missing from the later
	// listing of workers belongs to a worker that is gone.
	dirs, _, err := mwChildren(s, c, join(m.dir, mwAssignDir), nil)
	if err != nil {
		return err
	}
	workers, _, err := mwChildren(s, c, join(m.dir, mwWorkersDir), m.changed.w)
	if err != nil {
		return err
	}
	tasks, _, err := mwChildren(s, c, join(m.dir, mwTasksDir), m.changed.w)
	if err != nil {
		return err
	}
	tasks = mwTasks(tasks)
	slices.Sort(dirs)
	slices.Sort(workers)
	load := map[string]int{}
	for _, w := range workers {
		kids, ok, err := mwChildren(s, c, join(join(m.dir, mwAssignDir), w), nil)
		if err != nil {
			return err
		}
		if ok {
			load[w] = len(kids)
		}
	}
	var gone []string
	for _, d := range dirs {
		if _, live := slices.BinarySearch(workers, d); !live {
			gone = append(gone, d)
		}
	}
	if m.fresh && m.Flaws.Has(FlawMasterWorkerEmptyTakeover) {
		m.ignored = map[string]bool{}
		for _, x := range append(slices.Clone(tasks), gone...) {
			m.ignored[x] = true
		}
	}
	m.fresh = false

	if !m.Flaws.Has(FlawMasterWorkerNoReassign) {
		for _, d := range gone {
			if m.ignored[d] {
				continue
			}
			if err := m.moveAll(c, d, load); err != nil {
				return err
			}
		}
	}
	for _, t := range tasks {
		if m.ignored[t] {
			continue
		}
		from := join(join(m.dir, mwTasksDir), t)
		data, ok, err := mwData(s, c, from)
		if err != nil {
			return err
		}
		if !ok {
			continue // assigned meanwhile (by an attempt whose connection was lost)
		}
		if _, err := m.move(c, t, data, from, load); err != nil {
			return err
		}
	}
	return nil
}

// moveAll moves every task of gone worker d to live workers, then deletes d's directory.
func (m *Master) moveAll(c *Cancel, d string, load map[string]int) error {
	s := m.s
	dir := join(join(m.dir, mwAssignDir), d)
	kids, ok, err := mwChildren(s, c, dir, nil)
	if err != nil || !ok {
		return err
	}
	all := true
	for _, t := range kids {
		from := join(dir, t)
		data, ok, err := mwData(s, c, from)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		moved, err := m.move(c, t, data, from, load)
		if err != nil {
			return err
		}
		if moved {
			m.moved++
		} else {
			all = false
		}
	}
	if !all {
		return nil
	}
	// The worker is gone for good (names are not reused), so its directory only holds what a
	// master put there: empty now, unless a move's outcome was unknown (NotEmpty: a later pass).
	err = retry(s, c, func() error {
		err := s.Delete(dir, -1)
		if code := client.CodeOf(err); code == tree.NoNode || code == tree.NotEmpty {
			return nil
		}
		return err
	})
	return err
}

// move hands task t (data), now at from, to the live worker with the fewest tasks, in one multi
// that checks the worker's registration, creates the assignment and deletes from. It reports
// whether the task moved; it did not when no worker is live (the watch on <dir>/workers brings
// another pass), when from was gone already, or when the outcome is unknown (another pass
// looks).
func (m *Master) move(c *Cancel, t string, data []byte, from string, load map[string]int) (bool, error) {
	s := m.s
	for len(load) > 0 {
		w := ""
		for _, cand := range slices.Sorted(maps.Keys(load)) {
			if w == "" || load[cand] < load[w] {
				w = cand
			}
		}
		res, err := s.Multi(
			tree.Request{Type: tree.OpCheck, Path: join(join(m.dir, mwWorkersDir), w), Version: -1},
			tree.Request{Type: tree.OpCreate, Path: join(join(join(m.dir, mwAssignDir), w), t), Data: data, ACL: tree.OpenACLUnsafe, Mode: tree.Persistent},
			tree.Request{Type: tree.OpDelete, Path: from, Version: -1},
		)
		switch {
		case err == nil:
			load[w]++
			return true, nil
		case sessionEnded(err):
			return false, fmt.Errorf("%w: %v", ErrSessionEnded, err)
		case connectionLost(err):
			m.changed.fired = true
			return false, awaitConnected(s, c)
		}
		switch i := mwFailedOp(res); {
		case i == 0, i == 1 && client.CodeOf(err) == tree.NoNode:
			// The worker is gone (its registration, or its directory): its own tasks are for the
			// pass the watch on <dir>/workers brings.
			delete(load, w)
		case i == 2 && client.CodeOf(err) == tree.NoNode:
			return false, nil
		case i == 1 && client.CodeOf(err) == tree.NodeExists:
			// The task is there already: an earlier move whose outcome was unknown happened
			// after all. Look again.
			m.changed.fired = true
			return false, nil
		default:
			return false, fmt.Errorf("recipes: assigning %s to %s: %w", t, w, err)
		}
	}
	return false, nil
}

// Worker is a worker of the application in dir: it registers, takes the tasks assigned to it
// one at a time and completes them (see the guarantee above).
type Worker struct {
	s    *client.Session
	dir  string
	name string
	// Flaws, when set, break the recipe on purpose (for the checkers' tests).
	Flaws Flaws

	registered bool
	// assigned fires when the worker's assignments change.
	assigned *signal
}

// NewWorker returns a worker named name (unique per registration, no "/" in it) of the
// application in dir, for the process running s.
func NewWorker(s *client.Session, dir, name string) *Worker {
	return &Worker{s: s, dir: dir, name: name, assigned: newSignal(s)}
}

// Name is the worker's name.
func (w *Worker) Name() string { return w.name }

// Dir is the application's directory.
func (w *Worker) Dir() string { return w.dir }

// Registered reports whether Register succeeded and the worker did not leave since.
func (w *Worker) Registered() bool { return w.registered }

func (w *Worker) node() string      { return join(join(w.dir, mwWorkersDir), w.name) }
func (w *Worker) assignDir() string { return join(join(w.dir, mwAssignDir), w.name) }

// Register makes the worker available: it creates its assignment directory and its ephemeral
// registration in one multi. It fails with ErrSessionEnded when the session ends, ErrWorkerNameTaken
// when the name was used by another registration, or c's error.
func (w *Worker) Register(c *Cancel) error {
	s := w.s
	if w.registered {
		return nil
	}
	if err := mwEnsureLayout(s, c, w.dir); err != nil {
		return err
	}
	for {
		if err := c.Err(); err != nil {
			return err
		}
		_, err := s.Multi(
			tree.Request{Type: tree.OpCreate, Path: w.assignDir(), ACL: tree.OpenACLUnsafe, Mode: tree.Persistent},
			tree.Request{Type: tree.OpCreate, Path: w.node(), Data: []byte(w.name), ACL: tree.OpenACLUnsafe, Mode: tree.Ephemeral},
		)
		switch {
		case err == nil:
			w.registered = true
			return nil
		case sessionEnded(err):
			return fmt.Errorf("%w: %v", ErrSessionEnded, err)
		case connectionLost(err):
			if err := awaitConnected(s, c); err != nil {
				return err
			}
		case client.CodeOf(err) != tree.NodeExists:
			return fmt.Errorf("recipes: registering worker %s: %w", w.name, err)
		}
		// The multi may have happened (a lost connection), or the name is someone else's.
		var stat tree.Stat
		var ok bool
		if err := retry(s, c, func() (err error) { stat, ok, err = s.Exists(w.node(), nil); return err }); err != nil {
			return err
		}
		if ok && stat.EphemeralOwner == int64(s.Client().SessionID()) {
			w.registered = true
			return nil
		}
		if ok {
			return fmt.Errorf("%w: %s", ErrWorkerNameTaken, w.name)
		}
		_, dirExists, err := mwData(s, c, w.assignDir())
		if err != nil {
			return err
		}
		if dirExists {
			// Our multi cannot have made the directory without the registration while the
			// session lives: a registration before ours used the name.
			return fmt.Errorf("%w: %s", ErrWorkerNameTaken, w.name)
		}
	}
}

// Next blocks until a task is assigned to the worker and returns the first (in submit order).
// It returns the same task until Complete takes it away. It fails with ErrSessionEnded when the
// session ends, ErrNotRegistered when the worker is not registered, or c's error.
func (w *Worker) Next(c *Cancel) (Task, error) {
	s := w.s
	if !w.registered {
		return Task{}, fmt.Errorf("%w: %s", ErrNotRegistered, w.name)
	}
	for {
		w.assigned.fired = false
		kids, ok, err := mwChildren(s, c, w.assignDir(), w.assigned.w)
		if err != nil {
			return Task{}, err
		}
		if !ok {
			// The master deletes the directory only once the registration is gone.
			w.registered = false
			return Task{}, fmt.Errorf("%w: %s: its assignments are gone", ErrNotRegistered, w.name)
		}
		for _, t := range mwTasks(kids) {
			data, ok, err := mwData(s, c, join(w.assignDir(), t))
			if err != nil {
				return Task{}, err
			}
			if ok {
				seq, _ := sequenceOf(t)
				return Task{Name: t, Seq: seq, Data: data}, nil
			}
		}
		if err := w.assigned.await(c); err != nil {
			return Task{}, err
		}
	}
}

// Complete marks task t done and takes it off the worker's assignments, in one multi. It fails
// with ErrTaskLost when the task is no longer the worker's (the master moved it, its
// registration being gone), ErrSessionEnded when the session ended (the task may have been
// completed if a lost connection came before), or c's error.
func (w *Worker) Complete(c *Cancel, t Task) error {
	s := w.s
	if !w.registered {
		return fmt.Errorf("%w: %s", ErrNotRegistered, w.name)
	}
	status := join(join(w.dir, mwStatusDir), t.Name)
	assignment := join(w.assignDir(), t.Name)
	for {
		if err := c.Err(); err != nil {
			return err
		}
		_, err := s.Multi(
			tree.Request{Type: tree.OpCreate, Path: status, Data: []byte(w.name), ACL: tree.OpenACLUnsafe, Mode: tree.Persistent},
			tree.Request{Type: tree.OpDelete, Path: assignment, Version: -1},
		)
		switch code := client.CodeOf(err); {
		case err == nil:
			return nil
		case sessionEnded(err):
			return fmt.Errorf("%w: %v", ErrSessionEnded, err)
		case connectionLost(err):
			if err := awaitConnected(s, c); err != nil {
				return err
			}
		case code != tree.NodeExists && code != tree.NoNode:
			return fmt.Errorf("recipes: completing %s: %w", t.Name, err)
		}
		// Did an earlier attempt complete it? The status names who did.
		data, done, err := mwData(s, c, status)
		if err != nil {
			return err
		}
		if done {
			if string(data) == w.name {
				return nil
			}
			return fmt.Errorf("%w: %s was completed by %s", ErrTaskLost, t.Name, data)
		}
		if _, mine, err := mwData(s, c, assignment); err != nil {
			return err
		} else if !mine {
			return fmt.Errorf("%w: %s", ErrTaskLost, t.Name)
		}
	}
}

// Leave ends the registration (the master then moves the worker's tasks to others), riding out
// a lost connection. ErrSessionEnded says it was gone with the session already.
func (w *Worker) Leave() error {
	if !w.registered {
		return fmt.Errorf("%w: %s", ErrNotRegistered, w.name)
	}
	w.registered = false
	return deleteOwned(w.s, w.node())
}

// Submitter submits tasks to the application in dir and waits for them to be done.
type Submitter struct {
	s     *client.Session
	dir   string
	ready bool
}

// NewSubmitter returns a submitter to the application in dir for the process running s.
func NewSubmitter(s *client.Session, dir string) *Submitter { return &Submitter{s: s, dir: dir} }

// Dir is the application's directory.
func (sb *Submitter) Dir() string { return sb.dir }

// Submit adds a task with data and returns its name. It rides out lost connections (see the
// guarantee for the rare duplicate); when the session ends first it returns ErrSessionEnded,
// and the task may or may not have been submitted if a create had lost its connection before.
func (sb *Submitter) Submit(c *Cancel, data []byte) (string, error) {
	s := sb.s
	if !sb.ready {
		if err := mwEnsureLayout(s, c, sb.dir); err != nil {
			return "", err
		}
		sb.ready = true
	}
	var guids []string
	for {
		if err := c.Err(); err != nil {
			return "", err
		}
		guid := mwTaskPrefix + strconv.FormatUint(uint64(s.Client().SessionID()), 16) + "-" + strconv.FormatInt(int64(s.Now()), 10) + "-"
		path, err := s.Create(join(join(sb.dir, mwTasksDir), guid), data, tree.OpenACLUnsafe, tree.PersistentSequential)
		switch {
		case err == nil:
			return base(path), nil
		case sessionEnded(err):
			return "", fmt.Errorf("%w: %v", ErrSessionEnded, err)
		case !connectionLost(err):
			return "", fmt.Errorf("recipes: submitting a task in %s: %w", sb.dir, err)
		}
		guids = append(guids, guid)
		if err := awaitConnected(s, c); err != nil {
			return "", err
		}
		name, err := sb.find(c, guids)
		if err != nil || name != "" {
			return name, err
		}
	}
}

// find looks for a task whose name starts with one of guids wherever a task can be: waiting,
// assigned, or done.
func (sb *Submitter) find(c *Cancel, guids []string) (string, error) {
	s := sb.s
	match := func(kids []string) string {
		for _, k := range kids {
			for _, g := range guids {
				if strings.HasPrefix(k, g) {
					return k
				}
			}
		}
		return ""
	}
	kids, _, err := mwChildren(s, c, join(sb.dir, mwTasksDir), nil)
	if err != nil {
		return "", err
	}
	if k := match(kids); k != "" {
		return k, nil
	}
	dirs, _, err := mwChildren(s, c, join(sb.dir, mwAssignDir), nil)
	if err != nil {
		return "", err
	}
	slices.Sort(dirs)
	for _, d := range dirs {
		kids, _, err := mwChildren(s, c, join(join(sb.dir, mwAssignDir), d), nil)
		if err != nil {
			return "", err
		}
		if k := match(kids); k != "" {
			return k, nil
		}
	}
	kids, _, err = mwChildren(s, c, join(sb.dir, mwStatusDir), nil)
	if err != nil {
		return "", err
	}
	return match(kids), nil
}

// WaitDone blocks until task is done and returns the name of the worker that completed it. It
// fails with ErrSessionEnded when the session ends, or c's error.
func (sb *Submitter) WaitDone(c *Cancel, task string) (string, error) {
	s := sb.s
	status := join(join(sb.dir, mwStatusDir), task)
	for {
		sig := newSignal(s)
		var ok bool
		if err := retry(s, c, func() (err error) { _, ok, err = s.Exists(status, sig.w); return err }); err != nil {
			return "", err
		}
		if ok {
			data, ok, err := mwData(s, c, status)
			if err != nil {
				return "", err
			}
			if ok {
				return string(data), nil
			}
		}
		if err := sig.await(c); err != nil {
			return "", err
		}
	}
}
