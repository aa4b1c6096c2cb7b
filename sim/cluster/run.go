package cluster

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"zoosim/histories"
	"zoosim/sim"
	"zoosim/tree"
	"zoosim/zab"
	"zoosim/zab/client"
)

// RunOptions are what a run needs besides its scenario and seed. None of them changes the run,
// except TraceReady, which adds lines to the trace and so changes its hash (a replay must use the
// same value).
type RunOptions struct {
	// Commit is the source revision, for the history's header ("" when unknown).
	Commit string
	// Trace, if not nil, receives the kernel's trace, one line per event.
	Trace io.Writer
	// TraceReady adds every server's Ready to the trace (Options.TraceReady).
	TraceReady bool
	// CheckpointEvery is how often the history samples the trace hash, for locating where a
	// replay diverged; 0 means every 100 ms of virtual time.
	CheckpointEvery time.Duration
	// Progress, if not nil, is told how far the phases have gone in virtual time: done of
	// total, total being the safety phase plus the liveness bound. It is called from the event
	// loop between events, at most once per 1% of total and once at the end (done == total),
	// and must not touch the world; it changes nothing in the run or its trace.
	Progress func(done, total time.Duration)

	// noRecord runs without the client and server observers and without checkpoints: the test
	// that recording leaves the trace alone compares such a run with a recorded one.
	noRecord bool
}

// ErrDiverged is returned by Replay when the run did not reproduce the history's trace.
var ErrDiverged = errors.New("cluster: replay diverged")

// Run executes a scenario with a seed and returns what it recorded (DESIGN.md "Runs, faults and
// phases"):
//
//  1. it builds the ensemble from the scenario (with Swarm, the scenario drawn from the seed)
//     and waits for it to serve (at most the Liveness bound, or a minute if that is longer);
//  2. a setup client creates the workloads' persistent skeleton;
//  3. the safety phase: every client slot runs its workload while the fault schedule (the
//     scenario's Schedule, or its plan drawn from the seed) is injected;
//  4. the liveness phase: every fault is healed (armed triggers dropped, crashed servers
//     restarted, paused ones resumed, the network healed and unclogged); the workloads run on
//     for Cooldown, then stop issuing ops; the ensemble must converge within Liveness of the
//     heal: a stable leader, every running server at the same zxid and digest, no client op
//     outstanding. The run ends when it converged, or at the bound.
//
// A scenario that cannot run is an error (ErrBadScenario). Whatever the protocol does is not:
// an ensemble that never serves, loses writes or diverges is recorded, and the checkers judge
// the history. The history's header holds the seed, the scenario as run (JSON), the commit and
// the final trace hash; replaying them reproduces the run (Replay).
func Run(sc Scenario, seed uint64, opts RunOptions) (*histories.History, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	sc = sc.Drawn(seed)
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("cluster: swarm seed %d drew a scenario that cannot run: %w", seed, err)
	}
	sched := sc.Schedule(seed)
	r, err := newRunner(sc, seed, opts)
	if err != nil {
		return nil, err
	}
	defer r.e.Close()
	return r.run(sched), nil
}

// Replay runs a history's seed and scenario again and returns the new history. If the new run
// differs from the history (its trace hash, or any record), the error (ErrDiverged) says where
// they parted (histories.Diverge); a history from another commit (the header says which) is
// expected to. An empty opts.Commit means the history's.
func Replay(h *histories.History, opts RunOptions) (*histories.History, error) {
	sc, err := ParseScenario(h.Header.Scenario)
	if err != nil {
		return nil, err
	}
	if opts.Commit == "" {
		opts.Commit = h.Header.Commit
	}
	got, err := Run(sc, h.Header.Seed, opts)
	if err != nil {
		return nil, err
	}
	if d, differ := histories.Diverge(h, got); differ {
		return got, fmt.Errorf("%w: %s", ErrDiverged, d)
	}
	return got, nil
}

// options are the ensemble options a scenario describes.
func (sc Scenario) options(seed uint64) Options {
	so := sc.simOptions(seed)
	return Options{
		Seed:           seed,
		Servers:        sc.Servers,
		Server:         zab.Config{TickTime: time.Duration(sc.TickTime)},
		Variants:       append([]zab.Variant(nil), sc.Variants...),
		Sim:            &so,
		SessionTimeout: time.Duration(sc.SessionTimeout),
	}
}

// runner is one run in progress.
type runner struct {
	sc   Scenario
	opts RunOptions
	e    *Ensemble
	w    *sim.World
	rec  *histories.Recorder
	// servers records the servers' lives; nil without recording.
	servers *serverRecorder
	inj     *injector
	lay     *layout
	workers []*worker
	// nextClient is the history index of the next client instance.
	nextClient int
	// healed is set when the liveness phase begins: no fault starts afterwards.
	healed bool
	// stopping tells the workloads to issue no new op.
	stopping bool
	// outstanding counts the client ops in flight.
	outstanding int
}

func newRunner(sc Scenario, seed uint64, opts RunOptions) (*runner, error) {
	o := sc.options(seed)
	o.TraceReady, o.Trace = opts.TraceReady, opts.Trace
	e, err := New(o)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadScenario, err)
	}
	w := e.World()
	r := &runner{sc: sc, opts: opts, e: e, w: w, lay: newLayout(sc)}
	var sample func() (uint64, uint64)
	if !opts.noRecord {
		sample = func() (uint64, uint64) { return w.Events(), w.TraceHash() }
	}
	h := histories.Header{Seed: seed, Scenario: sc.JSON(), Commit: opts.Commit, Clients: sc.Clients}
	r.rec = histories.NewRecorder(h, sc.Servers, histories.Time(opts.CheckpointEvery), sample)
	r.rec.ExpectOps(expectedOps(sc))
	if !opts.noRecord {
		r.servers = newServerRecorder(r.rec, w, sc.Servers)
		for _, s := range e.servers {
			// The first boots ran inside New, before anyone could watch.
			r.servers.booted(s)
			if s.cur != nil && s.cur.halted {
				r.servers.halted(s, s.lastErr())
			}
			s.obs = r.servers
		}
	}
	r.inj = newInjector(r)
	return r, nil
}

// expectedOps estimates how many ops a run records, for the recorder to reserve room for them
// (histories.Recorder.ExpectOps): every client issuing an op per Think and a quarter (the op's own
// latency on a LAN, measured on the sweep scenario: about 9,000 ops of 20 clients in 12 s),
// through the safety phase and the cooldown. It is capped, so that a
// long run grows its list rather than reserving tens of megabytes it may not use.
func expectedOps(sc Scenario) int {
	const atMost = 1 << 15
	think := time.Duration(sc.Workload.Think)
	if think <= 0 {
		return atMost
	}
	span := time.Duration(sc.Safety) + time.Duration(sc.Cooldown)
	return int(min(int64(sc.Clients+1)*int64(span/(think*5/4)), atMost))
}

func (r *runner) now() histories.Time { return histories.Time(r.w.Now()) }

// run executes the phases and returns the history.
func (r *runner) run(sched []FaultSpec) *histories.History {
	w, sc := r.w, r.sc
	bound := time.Duration(sc.Liveness)
	// Before the safety phase nothing has gone wrong yet: the first election and the setup get
	// at least a minute whatever the liveness bound.
	setupBound := max(bound, time.Minute)
	if err := r.e.RunUntilStable(setupBound); err != nil {
		return r.finish(histories.Liveness{Healed: r.now(), At: histories.Never,
			Pending: "the ensemble did not serve within " + setupBound.String() + " of its start: " + r.ensemblePending()})
	}
	if pending := r.setup(setupBound); pending != "" {
		return r.finish(histories.Liveness{Healed: r.now(), At: histories.Never, Pending: pending})
	}

	// The safety phase.
	t0 := w.Now()
	for slot := range r.lay.kinds {
		r.workers = append(r.workers, newWorker(r, slot))
	}
	for _, wk := range r.workers {
		wk.start()
	}
	for i := range sched {
		if sched[i].triggered() {
			for _, s := range r.e.servers {
				s.trips = r.inj
			}
			break
		}
	}
	r.inj.schedule(sched, t0)
	progress := r.progress(t0, time.Duration(sc.Safety)+bound)
	w.RunWhile(progress, t0.Add(time.Duration(sc.Safety)))
	w.RunUntil(t0.Add(time.Duration(sc.Safety)))

	// The liveness phase.
	r.inj.healAll()
	r.healed = true
	healed := w.Now()
	w.RunWhile(progress, healed.Add(time.Duration(sc.Cooldown)))
	w.RunUntil(healed.Add(time.Duration(sc.Cooldown)))
	r.stopWorkloads()
	live := histories.Liveness{Healed: histories.Time(healed), At: histories.Never}
	if w.RunWhile(func() bool { return progress() && !r.converged() }, healed.Add(bound)) {
		live.Pending = r.pendingReport()
	} else {
		live.Converged, live.At = true, r.now()
	}
	if r.opts.Progress != nil {
		total := time.Duration(sc.Safety) + bound
		r.opts.Progress(total, total)
	}
	return r.finish(live)
}

// progress returns a RunWhile condition that always holds and tells RunOptions.Progress how far
// the phases that began at t0 have gone, once per 1% of total. Being a condition it runs between
// events and adds none, so the run and its trace are the same with or without it.
func (r *runner) progress(t0 sim.Time, total time.Duration) func() bool {
	report := r.opts.Progress
	if report == nil {
		return func() bool { return true }
	}
	step := max(total/100, time.Millisecond)
	var next time.Duration
	return func() bool {
		if done := r.w.Now().Sub(t0); done >= next {
			report(min(done, total), total)
			next = (done/step + 1) * step
		}
		return true
	}
}

// setup creates the workloads' skeleton with a client of its own (the history's client 0),
// retrying what a lost connection left unknown, and closes its session. It returns why it did not
// finish within bound, or "".
func (r *runner) setup(bound time.Duration) string {
	node := r.w.AddNode("setup", func(*sim.Node) {})
	c, index := r.newClient(node, nil)
	var failed error
	finished := false
	node.Spawn("setup", func(p *sim.Proc) {
		s := client.NewSession(c, procWaiter{p})
		vals := uniqueValues{client: index, size: r.sc.Workload.ValueSize}
		for _, path := range r.lay.skeleton {
			for {
				if err := s.WaitConnected(); err != nil {
					failed = err
					return
				}
				_, err := s.Create(path, vals.next(), tree.OpenACLUnsafe, tree.Persistent)
				code := client.CodeOf(err)
				if code == tree.OK || code == tree.NodeExists { // NodeExists: a lost attempt took effect
					break
				}
				if code != tree.ConnectionLoss {
					failed = err
					return
				}
			}
		}
		s.Close()
		finished = true
	})
	if r.w.RunWhile(func() bool { return !finished && failed == nil }, r.w.Now().Add(bound)) {
		return "the setup client did not create the skeleton within " + bound.String() + ": " + r.ensemblePending()
	}
	if failed != nil {
		return "the setup client failed: " + oneLine(failed.Error())
	}
	return ""
}

// hosts returns the connect string of client slot: the ensemble indices of the servers it
// knows, or nil for all.
func (r *runner) hosts(slot int) []int {
	n, k := r.sc.Servers, r.sc.KnownServers
	if k == 0 || k >= n || slot < 0 {
		return nil
	}
	out := make([]int, k)
	for j := range out {
		out[j] = (slot + j) % n
	}
	return out
}

// newClient starts a new client instance on node with the next history index, observed when
// the run records.
func (r *runner) newClient(node *sim.Node, hosts []int) (*client.Client, int) {
	index := r.nextClient
	r.nextClient++
	cfg := client.Config{SessionTimeout: time.Duration(r.sc.SessionTimeout)}
	var obs *clientObserver
	if !r.opts.noRecord {
		obs = &clientObserver{rec: r.rec, w: r.w, index: index, hosts: hosts, server: -1}
		cfg.Observer = obs
	}
	c := r.e.clientOn(node, cfg, hosts)
	if obs != nil {
		obs.c = c
	}
	return c, index
}

// crash crashes server i, recording it first.
func (r *runner) crash(i int) {
	s := r.e.servers[i]
	if !s.node.Up() {
		return
	}
	if r.servers != nil {
		r.servers.crashed(s)
	}
	_ = r.e.Crash(i)
}

// restart restarts server i if its node is down; its boot is recorded by the server observer.
func (r *runner) restart(i int) {
	if !r.e.servers[i].node.Up() {
		_ = r.e.Restart(i)
	}
}

// converged reports whether the liveness phase is done: no client op outstanding, a stable
// ensemble, and every running server at the same zxid with the same digest.
func (r *runner) converged() bool {
	if r.outstanding > 0 || !r.e.Stable() {
		return false
	}
	first := true
	var zxid tree.Zxid
	var digest uint64
	for _, s := range r.e.servers {
		p := s.Peer()
		if p == nil {
			continue
		}
		t := p.Tree()
		if first {
			zxid, digest, first = t.LastZxid(), t.Digest(), false
		} else if t.LastZxid() != zxid || t.Digest() != digest {
			return false
		}
	}
	return !first
}

// pendingReport says in one line why the run did not converge.
func (r *runner) pendingReport() string {
	var parts []string
	if p := r.ensemblePending(); p != "" {
		parts = append(parts, p)
	}
	if r.outstanding > 0 {
		for _, wk := range r.workers {
			if wk.inOp {
				what := fmt.Sprintf("%s %s", wk.opType, wk.opPath)
				if wk.opWhat != "" {
					what = wk.opWhat
				}
				parts = append(parts, fmt.Sprintf("%d client ops outstanding (%s %s since %v)", r.outstanding,
					histories.ClientName(wk.vals.client), what, wk.opSince))
				break
			}
		}
	}
	return strings.Join(parts, "; ")
}

// ensemblePending says what keeps the ensemble from being stable and converged: servers down,
// no leader, servers not following it, servers behind it or with another digest ("server 3 at
// 0x2_0000000a, leader at 0x2_0000000c"). It is empty when the ensemble converged.
func (r *runner) ensemblePending() string {
	var parts []string
	li, ok := r.e.Leader()
	var lt *tree.Tree
	if ok {
		lt = r.e.servers[li].Peer().Tree()
	} else {
		parts = append(parts, "no leader")
	}
	behind := false
	for _, s := range r.e.servers {
		p := s.Peer()
		switch {
		case !s.node.Up():
			parts = append(parts, fmt.Sprintf("server %d down", s.id))
		case p == nil:
			parts = append(parts, fmt.Sprintf("server %d halted (%s)", s.id, oneLine(fmt.Sprint(s.lastErr()))))
		case !ok:
			parts = append(parts, fmt.Sprintf("server %d %s at %s", s.id, p.Role(), zxidString(p.Tree().LastZxid())))
		case s.index == li:
		case !p.Serving():
			parts = append(parts, fmt.Sprintf("server %d %s, not serving, at %s", s.id, p.Role(), zxidString(p.Tree().LastZxid())))
			behind = true
		case p.Tree().LastZxid() != lt.LastZxid():
			parts = append(parts, fmt.Sprintf("server %d at %s", s.id, zxidString(p.Tree().LastZxid())))
			behind = true
		case p.Tree().Digest() != lt.Digest():
			parts = append(parts, fmt.Sprintf("server %d at %s with digest %#016x", s.id, zxidString(p.Tree().LastZxid()), p.Tree().Digest()))
			behind = true
		}
	}
	if ok && behind {
		parts = append(parts, fmt.Sprintf("leader at %s (server %d)", zxidString(lt.LastZxid()), serverIDOf(li)))
	}
	return strings.Join(parts, ", ")
}

// zxidString prints a zxid as epoch_counter, "0x2_0000000a", so epochs stand out.
func zxidString(z tree.Zxid) string {
	return fmt.Sprintf("0x%x_%08x", uint64(z)>>32, uint32(uint64(z)))
}

// finish completes the history with the liveness phase's outcome and every server's final
// state.
func (r *runner) finish(live histories.Liveness) *histories.History {
	r.rec.SetLiveness(live)
	final := make([]histories.Final, len(r.e.servers))
	for i, s := range r.e.servers {
		final[i] = histories.Final{Server: i}
		if p := s.Peer(); p != nil {
			_, epoch := p.Epochs()
			final[i] = histories.Final{Server: i, Up: true, Role: roleOf(p.Role()), Epoch: epoch,
				Zxid: p.Tree().LastZxid(), Digest: p.Tree().Digest()}
		}
	}
	return r.rec.Finish(r.now(), r.w.Events(), r.w.TraceHash(), final)
}
