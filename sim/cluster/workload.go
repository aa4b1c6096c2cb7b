package cluster

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"zoosim/histories"
	"zoosim/recipes"
	"zoosim/sim"
	"zoosim/tree"
	"zoosim/zab/client"
)

// WorkloadKind names what a client does. Each client slot runs one kind as a simulated process
// on its own client node, over a blocking client.Session, drawing from its own stream
// ("workload/<slot>") and pausing a think time between ops. Every value a client writes is
// unique, "c<client>:<n>" (the client's history index and its own write counter) padded with
// dots to the scenario's value size, so a checker can tell which write a read saw.
//
// The paths of one kind never overlap another kind's, except where a kind exists to read or
// watch what others write (watcher, syncread). Clients of one kind form groups of at most
// MaxWritersPerPath, each with its own paths, so no path has more concurrent writers than that
// and the linearizability check stays tractable (tooling.md 1.4). The persistent skeleton (every
// parent, and the register, watcher and multi paths) is created before the safety phase and
// never deleted.
type WorkloadKind string

const (
	// WorkloadRegister reads and writes a few hot paths (/reg/g<G>/h<i>) as registers: getData,
	// setData, and setData conditional on the version of an earlier read (A6, A10).
	WorkloadRegister WorkloadKind = "register"
	// WorkloadChurn creates and deletes a few paths (/churn/g<G>/p<i>) and checks them with
	// exists; NodeExists and NoNode are expected outcomes (A5).
	WorkloadChurn WorkloadKind = "churn"
	// WorkloadSequential creates sequential and ephemeral-sequential children under shared
	// parents (/seq/g<G>/q<i>), lists them with getChildren, and deletes the lowest persistent
	// one it saw, as a queue consumer would (A3).
	WorkloadSequential WorkloadKind = "sequential"
	// WorkloadEphemeral creates ephemerals (its own, and a shared /eph/g<G>/lock) and, every few
	// ops, ends its session: it closes it, or its client is killed (its node crashes, so the
	// session must expire, A9), or, rarely, its node is paused past the session timeout (the
	// session must expire and the client be told so when it resumes); a new client with a new
	// session carries on. Kills and pauses are recorded as faults (histories.FaultClientKill,
	// histories.FaultClientPause); once every fault is healed, sessions only close.
	WorkloadEphemeral WorkloadKind = "ephemeral"
	// WorkloadWatcher keeps one-shot data, child and exists watches on /watch/g<G>/w<i> (and a
	// data watch on a register path), re-registering each after it fires, plus a persistent watch
	// and a persistent-recursive one (AddWatch); between re-registrations it writes the watched
	// paths itself, so the watchers of its group see each other's changes (A8).
	WorkloadWatcher WorkloadKind = "watcher"
	// WorkloadMulti runs multi transactions mixing paths of /multi/g<G>: a version check, a
	// setData and a create or delete of a child, all or nothing (A7).
	WorkloadMulti WorkloadKind = "multi"
	// WorkloadSyncRead issues sync and then reads (getData, getChildren, exists) of the paths
	// other kinds write (A10: sync then read is not older than the sync).
	WorkloadSyncRead WorkloadKind = "syncread"
)

// WorkloadKinds lists every workload kind in a fixed order: the kinds that issue raw client ops
// (OpKinds), then the recipe kinds (RecipeKinds).
func WorkloadKinds() []WorkloadKind { return append(OpKinds(), RecipeKinds()...) }

// OpKinds lists the workload kinds that issue raw client ops, in a fixed order. A swarm draws its
// mix from these.
func OpKinds() []WorkloadKind {
	return []WorkloadKind{WorkloadRegister, WorkloadChurn, WorkloadSequential, WorkloadEphemeral,
		WorkloadWatcher, WorkloadMulti, WorkloadSyncRead}
}

// MaxWritersPerPath bounds the clients that write one path: a kind's clients are split into
// groups of at most this many, each group with paths of its own.
const MaxWritersPerPath = 8

// sequentialParents is how many shared parents each sequential group creates children under.
const sequentialParents = 2

// assignWorkloads gives each client slot a workload kind: counts proportional to the mix's
// weights (largest remainder), every weighted kind at least one client when there are enough,
// slots in WorkloadKinds order.
func assignWorkloads(mix Mix, clients int) []WorkloadKind {
	var kinds []WorkloadKind
	total := 0
	for _, k := range WorkloadKinds() {
		if mix[k] > 0 {
			kinds = append(kinds, k)
			total += mix[k]
		}
	}
	if clients == 0 || total == 0 {
		return nil
	}
	counts := make([]int, len(kinds))
	rems := make([]int, len(kinds))
	given := 0
	for i, k := range kinds {
		counts[i] = clients * mix[k] / total
		rems[i] = clients * mix[k] % total
		given += counts[i]
	}
	for ; given < clients; given++ {
		best := 0
		for i := range rems {
			if rems[i] > rems[best] {
				best = i
			}
		}
		counts[best]++
		rems[best] = -1
	}
	if clients >= len(kinds) {
		for i := range counts {
			for counts[i] == 0 {
				most := 0
				for j := range counts {
					if counts[j] > counts[most] {
						most = j
					}
				}
				counts[most]--
				counts[i]++
			}
		}
	}
	out := make([]WorkloadKind, 0, clients)
	for i, k := range kinds {
		for range counts[i] {
			out = append(out, k)
		}
	}
	return out
}

// layout is where the workloads work: each slot's kind and group, each group's paths, and the
// skeleton created before the safety phase.
type layout struct {
	kinds []WorkloadKind // by slot
	group []int          // by slot: the slot's group within its kind
	// Per group of each kind: its paths.
	reg, churn, seq, watch, multi [][]string
	eph, watchBase                []string
	// ephLock is each ephemeral group's shared lock node, eph[g]+"/lock".
	ephLock []string
	// readable are the paths syncread clients read.
	readable []string
	// skeleton lists the persistent nodes to create, parents first.
	skeleton []string
}

func newLayout(sc Scenario) *layout {
	l := &layout{kinds: assignWorkloads(sc.Workload.Mix, sc.Clients)}
	count := map[WorkloadKind]int{}
	for _, k := range l.kinds {
		count[k]++
	}
	groups := func(k WorkloadKind) int { return (count[k] + MaxWritersPerPath - 1) / MaxWritersPerPath }
	seen := map[WorkloadKind]int{}
	l.group = make([]int, len(l.kinds))
	for slot, k := range l.kinds {
		l.group[slot] = seen[k] % max(1, groups(k))
		seen[k]++
	}
	hot := sc.Workload.HotPaths
	paths := func(dir string, g int, leaf string, n int, inSkeleton bool) []string {
		base := dir + "/g" + strconv.Itoa(g)
		l.skeleton = append(l.skeleton, base)
		out := make([]string, n)
		for i := range out {
			out[i] = base + "/" + leaf + strconv.Itoa(i)
		}
		if inSkeleton {
			l.skeleton = append(l.skeleton, out...)
		}
		return out
	}
	// The register paths always exist: syncread clients read them even without writers.
	l.skeleton = append(l.skeleton, "/reg")
	for g := range max(1, groups(WorkloadRegister)) {
		l.reg = append(l.reg, paths("/reg", g, "h", hot, true))
	}
	if n := groups(WorkloadChurn); n > 0 {
		l.skeleton = append(l.skeleton, "/churn")
		for g := range n {
			l.churn = append(l.churn, paths("/churn", g, "p", hot, false))
		}
	}
	if n := groups(WorkloadSequential); n > 0 {
		l.skeleton = append(l.skeleton, "/seq")
		for g := range n {
			l.seq = append(l.seq, paths("/seq", g, "q", sequentialParents, true))
		}
	}
	if n := groups(WorkloadEphemeral); n > 0 {
		l.skeleton = append(l.skeleton, "/eph")
		for g := range n {
			base := "/eph/g" + strconv.Itoa(g)
			l.skeleton = append(l.skeleton, base)
			l.eph = append(l.eph, base)
			l.ephLock = append(l.ephLock, base+"/lock")
		}
	}
	if n := groups(WorkloadWatcher); n > 0 {
		l.skeleton = append(l.skeleton, "/watch")
		for g := range n {
			l.watch = append(l.watch, paths("/watch", g, "w", hot, true))
			l.watchBase = append(l.watchBase, "/watch/g"+strconv.Itoa(g))
		}
	}
	if n := groups(WorkloadMulti); n > 0 {
		l.skeleton = append(l.skeleton, "/multi")
		for g := range n {
			l.multi = append(l.multi, paths("/multi", g, "m", hot, true))
		}
	}
	l.recipeDirs(groups)
	for _, set := range [][][]string{l.reg, l.churn, l.seq, l.watch, l.multi} {
		for _, ps := range set {
			l.readable = append(l.readable, ps...)
		}
	}
	return l
}

// uniqueValues writes the unique values of one client: "c<client>:<n>" padded with dots to size.
type uniqueValues struct {
	client, n, size int
	buf             []byte
}

// next returns the next value. It is the writer's buffer, valid until the next call: the client
// encodes or copies a request's data before its call returns, and the recorder clones it.
func (v *uniqueValues) next() []byte {
	v.n++
	b := append(v.buf[:0], 'c')
	b = strconv.AppendInt(b, int64(v.client), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(v.n), 10)
	for len(b) < v.size {
		b = append(b, '.')
	}
	v.buf = b
	return b
}

// worker is one client slot: its workload, its client node, and the client instance it runs
// now. The slot outlives its clients: a closed, expired or killed client is replaced by a new one
// (a new history index, a new session), which carries on with the slot's state.
type worker struct {
	r     *runner
	slot  int
	kind  WorkloadKind
	group int
	rnd   *sim.Rand
	// hosts is the slot's connect string (runner.hosts).
	hosts []int
	node  *sim.Node
	proc  *sim.Proc
	cl    *client.Client
	sess  *client.Session
	vals  uniqueValues

	// The op in flight, for the liveness phase's "no op outstanding" and its report; opWhat
	// names a recipe call in flight instead of opType and opPath.
	inOp    bool
	opType  tree.OpCode
	opPath  string
	opWhat  string
	opSince sim.Time

	// versions are the data versions last seen per path (register, multi).
	versions map[string]int32
	// multiOps is the array multi builds its ops in: the client copies the ops of a call, so
	// one array serves every multi of the slot.
	multiOps []tree.Request
	// children are the children last listed per parent (sequential).
	children map[string][]string
	// budget counts down the ops left in the current session (ephemeral).
	budget int
	// watches are a watcher's watch state.
	watches *watchState
	// recipe is a recipe workload's state for the current session (its lock, its election
	// candidacy), made by its driver; nil after the session changed.
	recipe any
	// cancel stops a recipe workload's blocking calls when the workloads stop; nil for the
	// other kinds.
	cancel *recipes.Cancel
}

// watchState is a watcher's watches and which need registering (again).
type watchState struct {
	data, child, exists, reg, persistent, recursive *client.Watcher
	// need* are set when the watch must be registered: at first, and after it fired.
	needData, needChild, needExists, needReg, needPersistent, needRecursive bool
	target                                                                  string
}

func newWorker(r *runner, slot int) *worker {
	l := r.lay
	wk := &worker{r: r, slot: slot, kind: l.kinds[slot], group: l.group[slot],
		rnd: r.w.Stream("workload/" + strconv.Itoa(slot)), hosts: r.hosts(slot)}
	wk.vals.size = r.sc.Workload.ValueSize
	wk.node = r.w.AddNode("w"+strconv.Itoa(slot), func(*sim.Node) {})
	if recipeDriverOf(wk.kind) != nil {
		wk.cancel = recipes.NewCancel()
	}
	return wk
}

// start gives the worker a new client and runs its workload as a process on its node.
func (wk *worker) start() {
	wk.renewClient()
	wk.node.Spawn("w"+strconv.Itoa(wk.slot), wk.body)
}

// renewClient replaces the worker's client by a new one, with a new history index and session.
func (wk *worker) renewClient() {
	wk.cl, wk.vals.client = wk.r.newClient(wk.node, wk.hosts)
	wk.vals.n = 0
	if wk.proc != nil && !wk.proc.Done() {
		wk.sess = client.NewSession(wk.cl, procWaiter{wk.proc})
	}
	wk.budget = int(wk.rnd.Between(10, 40))
	if wk.kind == WorkloadWatcher {
		wk.resetWatches()
	}
	wk.recipe = nil
}

// body is the worker's process: ops until the runner stops the workloads.
func (wk *worker) body(p *sim.Proc) {
	wk.proc = p
	wk.sess = client.NewSession(wk.cl, procWaiter{p})
	for !wk.r.stopping {
		switch wk.cl.State() {
		case client.Closed, client.AuthFailed:
			wk.renewClient() // the session expired: carry on with a new one
			continue
		case client.Connecting:
			// Ops wait for a connection rather than fail with ConnectionLoss one after another:
			// each of those would be an op of unknown outcome in the history. Then look again:
			// the run may have stopped, or the session expired, meanwhile.
			_ = wk.sess.WaitConnected()
			continue
		}
		wk.step()
		if t := wk.r.sc.Workload.Think; t > 0 {
			p.Sleep(sim.Duration(wk.rnd.Between(0, 2*int64(t))))
		}
	}
}

func (wk *worker) begin(op tree.OpCode, path string) {
	wk.r.outstanding++
	wk.inOp, wk.opType, wk.opPath, wk.opSince = true, op, path, wk.r.w.Now()
}

func (wk *worker) end() {
	wk.r.outstanding--
	wk.inOp, wk.opWhat = false, ""
}

// serverIndex returns the ensemble index of the server the worker's client is connected or
// connecting to, or -1 between attempts.
func (wk *worker) serverIndex() int {
	i := wk.cl.Server()
	if i < 0 {
		return -1
	}
	if wk.hosts != nil {
		return wk.hosts[i]
	}
	return i
}

func (wk *worker) pick(paths []string) string { return paths[wk.rnd.IntN(len(paths))] }

// step runs one round of the worker's workload: one op, or a few that belong together.
func (wk *worker) step() {
	switch wk.kind {
	case WorkloadRegister:
		wk.register()
	case WorkloadChurn:
		wk.churn()
	case WorkloadSequential:
		wk.sequential()
	case WorkloadEphemeral:
		wk.ephemeral()
	case WorkloadWatcher:
		wk.watcher()
	case WorkloadMulti:
		wk.multi()
	case WorkloadSyncRead:
		wk.syncRead()
	default:
		recipeDriverOf(wk.kind).step(wk)
	}
}

// Each op below goes through these wrappers, which mark it outstanding while it runs.

func (wk *worker) getData(path string, w *client.Watcher) (tree.Stat, error) {
	wk.begin(tree.OpGetData, path)
	_, st, err := wk.sess.GetData(path, w)
	wk.end()
	return st, err
}

func (wk *worker) setData(path string, version int32) (tree.Stat, error) {
	wk.begin(tree.OpSetData, path)
	st, err := wk.sess.SetData(path, wk.vals.next(), version)
	wk.end()
	return st, err
}

func (wk *worker) create(path string, mode tree.CreateMode) error {
	wk.begin(tree.OpCreate, path)
	_, err := wk.sess.Create(path, wk.vals.next(), tree.OpenACLUnsafe, mode)
	wk.end()
	return err
}

func (wk *worker) delete(path string, version int32) error {
	wk.begin(tree.OpDelete, path)
	err := wk.sess.Delete(path, version)
	wk.end()
	return err
}

func (wk *worker) exists(path string, w *client.Watcher) error {
	wk.begin(tree.OpExists, path)
	_, _, err := wk.sess.Exists(path, w)
	wk.end()
	return err
}

func (wk *worker) getChildren(path string, w *client.Watcher) ([]string, error) {
	wk.begin(tree.OpGetChildren, path)
	kids, err := wk.sess.GetChildren(path, w)
	wk.end()
	return kids, err
}

func (wk *worker) sync(path string) error {
	wk.begin(tree.OpSync, path)
	err := wk.sess.Sync(path)
	wk.end()
	return err
}

func (wk *worker) addWatch(path string, w *client.Watcher, mode tree.WatchMode) error {
	wk.begin(tree.OpAddWatch, path)
	err := wk.sess.AddWatch(path, w, mode)
	wk.end()
	return err
}

func (wk *worker) multiOp(ops []tree.Request) ([]tree.Result, error) {
	wk.begin(tree.OpMulti, "")
	res, err := wk.sess.Multi(ops...)
	wk.end()
	return res, err
}

func (wk *worker) closeSession() {
	wk.begin(tree.OpCloseSession, "")
	wk.sess.Close()
	wk.end()
}

func (wk *worker) register() {
	path := wk.pick(wk.r.lay.reg[wk.group])
	if wk.versions == nil {
		wk.versions = map[string]int32{}
	}
	n := wk.rnd.IntN(100)
	v, known := wk.versions[path]
	switch {
	case n < 40 || (n >= 70 && !known):
		if st, err := wk.getData(path, nil); err == nil {
			wk.versions[path] = st.Version
		}
	case n < 70:
		if st, err := wk.setData(path, -1); err == nil {
			wk.versions[path] = st.Version
		}
	default:
		st, err := wk.setData(path, v)
		if err == nil {
			wk.versions[path] = st.Version
		} else {
			delete(wk.versions, path)
		}
	}
}

func (wk *worker) churn() {
	path := wk.pick(wk.r.lay.churn[wk.group])
	switch n := wk.rnd.IntN(100); {
	case n < 45:
		_ = wk.create(path, tree.Persistent)
	case n < 85:
		_ = wk.delete(path, -1)
	default:
		_ = wk.exists(path, nil)
	}
}

func (wk *worker) sequential() {
	parent := wk.pick(wk.r.lay.seq[wk.group])
	if wk.children == nil {
		wk.children = map[string][]string{}
	}
	switch n := wk.rnd.IntN(100); {
	case n < 25:
		_ = wk.create(parent+"/n-", tree.PersistentSequential)
	case n < 40:
		_ = wk.create(parent+"/e-", tree.EphemeralSequential)
	case n < 65:
		if kids, err := wk.getChildren(parent, nil); err == nil {
			wk.children[parent] = kids
		}
	default:
		// Pop the lowest persistent child seen: another consumer may have taken it (NoNode).
		kids := wk.children[parent]
		for i, k := range kids {
			if strings.HasPrefix(k, "n-") {
				wk.children[parent] = kids[i+1:]
				_ = wk.delete(parent+"/"+k, -1)
				return
			}
		}
		wk.children[parent] = nil
		if kids, err := wk.getChildren(parent, nil); err == nil {
			wk.children[parent] = kids
		}
	}
}

func (wk *worker) ephemeral() {
	base := wk.r.lay.eph[wk.group]
	if wk.budget--; wk.budget < 0 {
		// Kills and pauses are faults: once every fault is healed, sessions only close.
		// A pause keeps the client away for a session timeout and more: a rare ending.
		switch n := wk.rnd.IntN(20); {
		case n < 10 || wk.r.healed:
			wk.closeSession()
			wk.renewClient()
		case n < 19:
			wk.kill()
		default:
			wk.freeze()
		}
		return
	}
	lock := wk.r.lay.ephLock[wk.group]
	switch n := wk.rnd.IntN(100); {
	case n < 40:
		_ = wk.create(base+"/e"+strconv.Itoa(wk.vals.client)+"-"+strconv.Itoa(wk.vals.n+1), tree.Ephemeral)
	case n < 60:
		_ = wk.create(lock, tree.Ephemeral)
	case n < 80:
		_, _ = wk.getChildren(base, nil)
	default:
		_ = wk.exists(lock, nil)
	}
}

// kill crashes the worker's node, ending its client without a goodbye (the session must expire
// at the servers), and restarts the node with a new client and a new process for the slot. The
// crash comes from a world timer, since a process cannot outlive its node: this process parks
// until it unwinds.
func (wk *worker) kill() {
	r, node := wk.r, wk.node
	index, session := wk.vals.client, wk.cl.SessionID()
	r.w.After(0, "kill "+node.Name(), func() {
		r.inj.clientFault(histories.FaultClientKill, index, node, 0, fmt.Sprintf("client node crashed; session %s left to expire", session))
		_ = r.w.Crash(node.ID())
		if r.stopping {
			return
		}
		_ = r.w.Restart(node.ID())
		wk.proc = nil
		wk.start()
	})
	for {
		wk.proc.Park() // never returns: the crash unwinds the process
	}
}

// freeze pauses the worker's node, as a long garbage-collection pause or a SIGSTOP of the client
// would, for longer than its session lives without contact (its timeout and two ticks, the
// leader's expiry granularity): the leader expires the session, and when the node resumes its
// client learns it (Expired, A9) and the worker carries on with a new session. Healing every
// fault resumes the node early.
func (wk *worker) freeze() {
	r := wk.r
	d := wk.cl.SessionTimeout()
	if d == 0 {
		d = time.Duration(r.sc.SessionTimeout)
	}
	d += 2 * r.sc.tickTime()
	r.inj.clientFault(histories.FaultClientPause, wk.vals.client, wk.node, d, fmt.Sprintf("client node paused for %v, past its session timeout", d))
	_ = r.w.Pause(wk.node.ID())
	wk.proc.Sleep(d) // the wake-up waits for the resume
}

func (wk *worker) resetWatches() {
	ws := wk.watches
	if ws == nil {
		ws = &watchState{}
		wk.watches = ws
		fired := func(flag *bool) *client.Watcher {
			return client.NewWatcher(func(ev client.Event) {
				if ev.Type != tree.EventNone {
					*flag = true
				}
			})
		}
		ws.data, ws.child, ws.exists, ws.reg = fired(&ws.needData), fired(&ws.needChild), fired(&ws.needExists), fired(&ws.needReg)
		ws.persistent, ws.recursive = client.NewWatcher(nil), client.NewWatcher(nil)
	}
	// A new client holds no watches.
	ws.needData, ws.needChild, ws.needExists, ws.needReg, ws.needPersistent, ws.needRecursive = true, true, true, true, true, true
	ws.target = wk.pick(wk.r.lay.watch[wk.group])
}

func (wk *worker) watcher() {
	ws := wk.watches
	paths := wk.r.lay.watch[wk.group]
	switch {
	case ws.needPersistent:
		if wk.addWatch(paths[0], ws.persistent, tree.WatchPersistent) == nil {
			ws.needPersistent = false
		}
	case ws.needRecursive:
		if wk.addWatch(wk.r.lay.watchBase[wk.group], ws.recursive, tree.WatchPersistentRecursive) == nil {
			ws.needRecursive = false
		}
	case ws.needData:
		ws.needData = false
		if _, err := wk.getData(ws.target, ws.data); err != nil {
			ws.needData = true
		}
	case ws.needChild:
		ws.needChild = false
		if _, err := wk.getChildren(ws.target, ws.child); err != nil {
			ws.needChild = true
		}
	case ws.needExists:
		ws.needExists = false
		if wk.exists(ws.target+"/x", ws.exists) != nil {
			ws.needExists = true
		}
	case ws.needReg:
		ws.needReg = false
		if _, err := wk.getData(wk.r.lay.reg[0][0], ws.reg); err != nil {
			ws.needReg = true
		}
	default:
		path := wk.pick(paths)
		switch n := wk.rnd.IntN(100); {
		case n < 50:
			_, _ = wk.setData(path, -1)
		case n < 75:
			_ = wk.create(path+"/x", tree.Persistent)
		default:
			_ = wk.delete(path+"/x", -1)
		}
	}
}

func (wk *worker) multi() {
	paths := wk.r.lay.multi[wk.group]
	if wk.versions == nil {
		wk.versions = map[string]int32{}
	}
	a, b, c := wk.pick(paths), wk.pick(paths), wk.pick(paths)
	if wk.rnd.IntN(4) == 0 {
		if st, err := wk.getData(a, nil); err == nil {
			wk.versions[a] = st.Version
		}
		return
	}
	check := int32(-1)
	if v, ok := wk.versions[a]; ok && wk.rnd.IntN(2) == 0 {
		check = v
	}
	ops := append(wk.multiOps[:0], client.CheckOp(a, check), client.SetDataOp(b, wk.vals.next(), -1))
	if wk.rnd.IntN(2) == 0 {
		ops = append(ops, client.CreateOp(c+"/x", wk.vals.next(), tree.OpenACLUnsafe, tree.Persistent, 0))
	} else {
		ops = append(ops, client.DeleteOp(c+"/x", -1))
	}
	wk.multiOps = ops
	res, err := wk.multiOp(ops)
	switch {
	case err == nil && len(res) > 1:
		wk.versions[b] = res[1].Stat.Version
	case client.CodeOf(err) == tree.BadVersion:
		delete(wk.versions, a)
	}
}

func (wk *worker) syncRead() {
	path := wk.pick(wk.r.lay.readable)
	if wk.sync(path) != nil {
		return
	}
	switch n := wk.rnd.IntN(100); {
	case n < 60:
		_, _ = wk.getData(path, nil)
	case n < 80:
		_, _ = wk.getChildren(path, nil)
	default:
		_ = wk.exists(path, nil)
	}
}
