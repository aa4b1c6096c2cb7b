package cluster

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"zoosim/histories"
	"zoosim/sim"
	"zoosim/tree"
	"zoosim/zab"
	"zoosim/zab/wire"
)

// injector executes a fault schedule during the safety phase and heals what is left of it when
// the phase ends. Each fault that takes effect is recorded with its start and end
// (histories.Fault); one that cannot (no leader to crash, MaxDown servers already down, a
// trigger that never fired) is noted in the trace and left out of the history.
type injector struct {
	r       *runner
	maxDown int
	// faults are the faults that took effect, in start order.
	faults []*fault
	// network is the network fault in force: the kernel keeps one partition state.
	network *fault
	// armed are the triggers waiting for their moment, in arming order.
	armed []*fault
}

// fault is one schedule entry being injected, or a client fault of a workload.
type fault struct {
	spec *FaultSpec
	// id is the history's fault ID once it took effect, -1 before.
	id    int
	ended bool
	// server is the server a trigger is armed on (-1: any leader).
	server int
	// timers are the fault's pending steps (its end, swizzle's clogs, a trigger's disarm), stopped
	// when the fault ends early.
	timers []*sim.Timer
	// heal undoes the fault when it ends (restart, resume, heal the network); nil when time
	// undoes it (a clog).
	heal func()
}

var _ tripwire = (*injector)(nil)

func newInjector(r *runner) *injector { return &injector{r: r, maxDown: r.sc.maxDown()} }

// schedule arms a world timer for each entry at its start, t0 being the start of the safety
// phase.
func (inj *injector) schedule(sched []FaultSpec, t0 sim.Time) {
	for i := range sched {
		spec := &sched[i]
		inj.r.w.At(t0.Add(time.Duration(spec.At)), "fault "+string(spec.Kind), func() { inj.inject(spec) })
	}
}

// down counts the servers crashed or paused now.
func (inj *injector) down() int {
	n := 0
	for _, s := range inj.r.e.servers {
		if !s.node.Up() || s.node.Paused() {
			n++
		}
	}
	return n
}

// skip notes in the trace a fault that could not take effect.
func (inj *injector) skip(spec *FaultSpec, why string) {
	inj.r.w.Logf("fault %s at %v skipped: %s", spec.Kind, spec.At, why)
}

// begin records that f took effect now.
func (inj *injector) begin(f *fault, rec histories.Fault) {
	rec.Kind = f.spec.Kind
	f.id = inj.r.rec.FaultStart(inj.r.now(), rec)
	inj.faults = append(inj.faults, f)
}

// after runs fn after d as one of f's steps.
func (inj *injector) after(f *fault, d time.Duration, label string, fn func()) {
	f.timers = append(f.timers, inj.r.w.After(d, label, fn))
}

// endAfter ends f after d.
func (inj *injector) endAfter(f *fault, d time.Duration) {
	inj.after(f, d, "fault end "+string(f.spec.Kind), func() { inj.end(f) })
}

// end ends f now: its pending steps are dropped, its heal runs, its end is recorded.
func (inj *injector) end(f *fault) {
	if f.ended {
		return
	}
	f.ended = true
	for _, t := range f.timers {
		t.Stop()
	}
	f.timers = nil
	if f.heal != nil {
		f.heal()
	}
	if inj.network == f {
		inj.network = nil
	}
	if f.id >= 0 {
		inj.r.rec.FaultEnd(inj.r.now(), f.id)
	}
}

// instant records a fault that starts and ends now.
func (inj *injector) instant(f *fault, rec histories.Fault) {
	inj.begin(f, rec)
	inj.end(f)
}

// resolve finds the server a target names now (see Target), or says why there is none.
func (inj *injector) resolve(t Target) (int, string) {
	e := inj.r.e
	ref, err := t.parse(len(e.servers))
	if err != nil {
		return -1, err.Error()
	}
	switch ref.role {
	case "server":
		return ref.index, ""
	case "leader":
		if l := inj.leader(); l >= 0 {
			return l, ""
		}
		return -1, "no leader"
	}
	leader := inj.leader()
	var following, running []int
	for i, s := range e.servers {
		p := s.Peer()
		if p == nil || i == leader {
			continue
		}
		running = append(running, i)
		if p.Role() == zab.Following {
			following = append(following, i)
		}
	}
	if len(following) == 0 {
		following = running
	}
	if len(following) == 0 {
		return -1, "no running follower"
	}
	return following[ref.index%len(following)], ""
}

// leader returns the server leading in broadcast, or, during an election, one that won it; -1
// if none.
func (inj *injector) leader() int {
	if l, ok := inj.r.e.Leader(); ok {
		return l
	}
	for i, s := range inj.r.e.servers {
		if p := s.Peer(); p != nil && p.Role() == zab.Leading {
			return i
		}
	}
	return -1
}

// resolveDown resolves the target of a fault that takes a server down, and checks it may: the
// server runs and fewer than MaxDown servers are down.
func (inj *injector) resolveDown(t Target) (int, string) {
	i, why := inj.resolve(t)
	switch {
	case why != "":
		return -1, why
	case inj.r.e.servers[i].Peer() == nil:
		return -1, fmt.Sprintf("server %d is not running", serverIDOf(i))
	case inj.down() >= inj.maxDown:
		return -1, fmt.Sprintf("%d servers already down (at most %d)", inj.down(), inj.maxDown)
	}
	return i, ""
}

func (inj *injector) nodeOf(i int) sim.NodeID { return inj.r.e.servers[i].node.ID() }

func (inj *injector) nodesOf(g []int) []sim.NodeID {
	out := make([]sim.NodeID, len(g))
	for k, i := range g {
		out[k] = inj.nodeOf(i)
	}
	return out
}

// inject starts one schedule entry.
func (inj *injector) inject(spec *FaultSpec) {
	r := inj.r
	w := r.w
	f := &fault{spec: spec, id: -1, server: -1}
	d := time.Duration(spec.For)
	target := "target " + string(spec.Target)
	switch spec.Kind {
	case histories.FaultCrash:
		i, why := inj.resolveDown(spec.Target)
		if why != "" {
			inj.skip(spec, why)
			return
		}
		inj.begin(f, histories.Fault{Servers: []int{i}, Detail: target})
		r.crash(i)
		f.heal = func() { r.restart(i) }
		inj.endAfter(f, d)

	case histories.FaultPause:
		i, why := inj.resolveDown(spec.Target)
		if why != "" {
			inj.skip(spec, why)
			return
		}
		inj.begin(f, histories.Fault{Servers: []int{i}, Detail: target})
		_ = w.Pause(inj.nodeOf(i))
		f.heal = func() {
			if n := w.Node(inj.nodeOf(i)); n.Up() && n.Paused() {
				_ = w.Resume(n.ID())
			}
		}
		inj.endAfter(f, d)

	case histories.FaultCrashAfterWrite, histories.FaultDisk, histories.FaultCrashProposing:
		if spec.Kind == histories.FaultDisk && spec.Mode == DiskLostFsync {
			i, why := inj.resolve(spec.Target)
			if why != "" {
				inj.skip(spec, why)
				return
			}
			w.Node(inj.nodeOf(i)).Disk().LoseNextSyncs(spec.Count)
			inj.instant(f, histories.Fault{Servers: []int{i}, Detail: fmt.Sprintf("%s: the next %d fsyncs lie", DiskLostFsync, spec.Count)})
			return
		}
		if spec.Kind != histories.FaultCrashProposing {
			i, why := inj.resolve(spec.Target)
			if why != "" {
				inj.skip(spec, why)
				return
			}
			f.server = i
		}
		inj.armed = append(inj.armed, f)
		inj.after(f, d, "disarm "+string(spec.Kind), func() { inj.disarm(f, "never triggered") })

	case histories.FaultPartition, histories.FaultIsolate, histories.FaultOneWay, histories.FaultBridge, histories.FaultRing:
		inj.partition(f)

	case histories.FaultClog:
		i, why := inj.resolve(spec.Target)
		if why != "" {
			inj.skip(spec, why)
			return
		}
		if spec.Peer == "" {
			inj.begin(f, histories.Fault{Servers: []int{i}, Detail: fmt.Sprintf("%s, node clogged for %v", target, d)})
			_ = w.ClogNode(inj.nodeOf(i), d)
		} else {
			j, why := inj.resolve(spec.Peer)
			if why != "" {
				inj.skip(spec, why)
				return
			}
			if j == i {
				j = (i + 1) % len(r.e.servers)
			}
			inj.begin(f, histories.Fault{Servers: []int{i, j}, Detail: fmt.Sprintf("%s, link to %s clogged for %v", target, histories.ServerName(j), d)})
			_ = w.ClogLink(inj.nodeOf(i), inj.nodeOf(j), d)
		}
		inj.endAfter(f, d)

	case histories.FaultSwizzle:
		inj.swizzle(f)

	case histories.FaultClientReset:
		var clients, servers []int
		for _, slot := range spec.Clients {
			wk := r.workers[slot]
			if wk.cl == nil || !wk.node.Up() {
				continue
			}
			srv := wk.serverIndex()
			if srv < 0 {
				continue
			}
			_ = w.ResetLink(wk.node.ID(), inj.nodeOf(srv))
			clients, servers = append(clients, wk.vals.client), append(servers, srv)
		}
		if len(clients) == 0 {
			inj.skip(spec, "no client of those slots has a connection")
			return
		}
		inj.instant(f, histories.Fault{Clients: clients, Servers: servers, Detail: fmt.Sprintf("slots %v", spec.Clients)})
	}
}

// partition starts a network fault, ending the one in force first.
func (inj *injector) partition(f *fault) {
	r, w, spec := inj.r, inj.r.w, f.spec
	if inj.network != nil {
		inj.end(inj.network)
	}
	rec := histories.Fault{}
	n := len(r.e.servers)
	switch spec.Kind {
	case histories.FaultPartition:
		groups := make([][]sim.NodeID, len(spec.Groups))
		for k, g := range spec.Groups {
			groups[k] = inj.nodesOf(g)
		}
		rec.Groups = slices.Clone(spec.Groups)
		_ = w.Partition(groups...)
	case histories.FaultIsolate:
		i, why := inj.resolve(spec.Target)
		if why != "" {
			inj.skip(spec, why)
			return
		}
		rec.Servers, rec.Detail = []int{i}, "target "+string(spec.Target)
		_ = w.Isolate(inj.nodeOf(i))
	case histories.FaultOneWay:
		from, to := spec.Groups, [][]int(nil)
		if len(spec.Groups) == 0 {
			i, why := inj.resolve(spec.Target)
			if why != "" {
				inj.skip(spec, why)
				return
			}
			var others []int
			for j := range n {
				if j != i {
					others = append(others, j)
				}
			}
			from, to = [][]int{{i}}, [][]int{others}
			rec.Servers, rec.Detail = []int{i}, "target "+string(spec.Target)
		} else {
			from, to = spec.Groups[:1], spec.Groups[1:]
		}
		rec.Groups = [][]int{slices.Clone(from[0]), slices.Clone(to[0])}
		_ = w.PartitionOneWay(inj.nodesOf(from[0]), inj.nodesOf(to[0]))
	case histories.FaultBridge:
		rec.Groups = [][]int{slices.Clone(spec.Groups[0]), slices.Clone(spec.Groups[1]), slices.Clone(spec.Groups[2])}
		_ = w.Bridge(inj.nodesOf(spec.Groups[0]), inj.nodeOf(spec.Groups[1][0]), inj.nodesOf(spec.Groups[2]))
	case histories.FaultRing:
		// Each server reaches only its two neighbours in the ring: block every other pair, both
		// ways (the kernel has no ring of its own; one-way blocks add up).
		ring := spec.Groups[0]
		rec.Groups = [][]int{slices.Clone(ring)}
		m := len(ring)
		for a := range m {
			for b := a + 1; b < m; b++ {
				if b == a+1 || (a == 0 && b == m-1) {
					continue
				}
				x, y := []sim.NodeID{inj.nodeOf(ring[a])}, []sim.NodeID{inj.nodeOf(ring[b])}
				_ = w.PartitionOneWay(x, y)
				_ = w.PartitionOneWay(y, x)
			}
		}
	}
	inj.begin(f, rec)
	inj.network = f
	f.heal = w.Heal
	inj.endAfter(f, time.Duration(spec.For))
}

// swizzle clogs the servers of Groups[0] one after another, a step apart, and frees them in the
// order of Unclog, a step apart, from half the fault's length on: each server stays clogged from
// its own start to its own end (FoundationDB's swizzle-clogging). The fault ends when the last
// server is free.
func (inj *injector) swizzle(f *fault) {
	w, spec := inj.r.w, f.spec
	order, free := spec.Groups[0], spec.Unclog
	d := time.Duration(spec.For)
	step := d / time.Duration(2*len(order))
	freeAt := map[int]time.Duration{}
	for j, i := range free {
		freeAt[i] = d/2 + time.Duration(j)*step
	}
	inj.begin(f, histories.Fault{Servers: slices.Clone(order), Detail: fmt.Sprintf("clogged in order %v, freed in order %v, %v apart", serverNames(order), serverNames(free), step)})
	for k, i := range order {
		start := time.Duration(k) * step
		node, hold := inj.nodeOf(i), freeAt[i]-start
		if k == 0 {
			_ = w.ClogNode(node, hold)
			continue
		}
		inj.after(f, start, "swizzle clog", func() { _ = w.ClogNode(node, hold) })
	}
	inj.endAfter(f, freeAt[free[len(free)-1]])
}

func serverNames(servers []int) string {
	s := make([]string, len(servers))
	for k, i := range servers {
		s[k] = histories.ServerName(i)
	}
	return strings.Join(s, ",")
}

// clientFault records a workload's own client fault on the client with history index client:
// an instant one (a kill) when d is 0, else one that lasts d, which the caller has begun (a
// pause: the node resumes when it ends, or when every fault is healed).
func (inj *injector) clientFault(kind histories.FaultKind, client int, node *sim.Node, d time.Duration, detail string) {
	f := &fault{spec: &FaultSpec{Kind: kind, For: Duration(d)}, id: -1, server: -1}
	rec := histories.Fault{Clients: []int{client}, Detail: detail}
	if d == 0 {
		inj.instant(f, rec)
		return
	}
	inj.begin(f, rec)
	f.heal = func() {
		if node.Up() && node.Paused() {
			_ = inj.r.w.Resume(node.ID())
		}
	}
	inj.endAfter(f, d)
}

// disarm drops an armed trigger that did not fire.
func (inj *injector) disarm(f *fault, why string) {
	i := slices.Index(inj.armed, f)
	if i < 0 {
		return
	}
	inj.armed = slices.Delete(inj.armed, i, i+1)
	for _, t := range f.timers {
		t.Stop()
	}
	f.timers, f.ended = nil, true
	inj.skip(f.spec, why)
}

// fire crashes server i for the armed trigger f, which fired: the fault starts now and the
// server restarts For later.
func (inj *injector) fire(f *fault, i int, detail string) {
	r := inj.r
	inj.armed = slices.DeleteFunc(inj.armed, func(g *fault) bool { return g == f })
	for _, t := range f.timers {
		t.Stop()
	}
	f.timers = nil
	if f.spec.Kind == histories.FaultDisk {
		r.e.servers[i].node.Disk().CorruptNextCrash()
		detail += "; the write in flight lands as garbage"
	}
	inj.begin(f, histories.Fault{Servers: []int{i}, Detail: detail})
	r.crash(i)
	f.heal = func() { r.restart(i) }
	inj.endAfter(f, time.Duration(f.spec.For))
}

// tripwire is the host's view of the armed one-shot crash triggers: the host asks after it ran a
// Ready's disk ops and sends, before it starts the Ready's fsync, and stops executing the Ready
// if the node was crashed.
type tripwire interface {
	afterSend(s *Server, rd *zab.Ready) bool
}

// afterSend fires an armed trigger of s if the Ready is its moment (afterWrite, afterPropose).
func (inj *injector) afterSend(s *Server, rd *zab.Ready) bool {
	if len(inj.armed) == 0 {
		return false
	}
	return inj.afterWrite(s, rd) || inj.afterPropose(s, rd)
}

// afterWrite fires an armed crash-after-write or corrupt-tail trigger of s when the Ready just
// appended txns to the log: the node crashes after the Ready's sends, before the fsync that
// would make the appends durable, so the disk loses (or tears) them. Whatever the Ready sent is
// out: an ACK that a correct server sends only after the fsync is not among it, but a variant's
// early ACK is (AckBeforeFsync).
func (inj *injector) afterWrite(s *Server, rd *zab.Ready) bool {
	var first, last tree.Zxid
	for _, op := range rd.Disk {
		if op.Kind == zab.DiskAppend && op.Txn != nil {
			if first == 0 {
				first = op.Txn.Zxid
			}
			last = op.Txn.Zxid
		}
	}
	if first == 0 {
		return false
	}
	for _, f := range inj.armed {
		if f.spec.Kind == histories.FaultCrashProposing || f.server != s.index {
			continue
		}
		if inj.down() >= inj.maxDown {
			return false // wait for a moment when it may go down
		}
		inj.fire(f, s.index, fmt.Sprintf("%s: appended %s to %s as %s, crashed before the fsync",
			"target "+string(f.spec.Target), first, last, roleOf(s.cur.peer.Role())))
		return true
	}
	return false
}

// afterPropose fires an armed crash-proposing trigger when s leads and the Ready just sent a
// PROPOSAL of a txn it has not applied: the leader crashes with that proposal outstanding, its
// own copy not yet durable.
func (inj *injector) afterPropose(s *Server, rd *zab.Ready) bool {
	p := s.cur.peer
	if p.Role() != zab.Leading {
		return false
	}
	applied := p.Tree().LastZxid()
	var proposed tree.Zxid
	for i := range rd.Send {
		e := &rd.Send[i]
		if e.Kind == zab.SendPacket && e.Packet.Type == wire.PacketProposal && e.Packet.Zxid > applied {
			proposed = max(proposed, e.Packet.Zxid)
		}
	}
	if proposed == 0 {
		return false
	}
	for _, f := range inj.armed {
		if f.spec.Kind != histories.FaultCrashProposing {
			continue
		}
		if inj.down() >= inj.maxDown {
			return false
		}
		inj.fire(f, s.index, fmt.Sprintf("leader proposed %s, applied %s", proposed, applied))
		return true
	}
	return false
}

// healAll ends every fault at the end of the safety phase: armed triggers are dropped, lasting
// faults end (crashed servers restart, paused ones resume, the network heals), and, for good
// measure, every clog ends and every server node runs.
func (inj *injector) healAll() {
	for len(inj.armed) > 0 {
		inj.disarm(inj.armed[0], "never triggered before the safety phase ended")
	}
	for _, f := range inj.faults {
		inj.end(f)
	}
	r := inj.r
	r.w.Heal()
	r.w.Unclog()
	for i, s := range r.e.servers {
		if s.node.Up() && s.node.Paused() {
			_ = r.w.Resume(s.node.ID())
		}
		r.restart(i)
	}
}
