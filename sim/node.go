package sim

import (
	"fmt"
	"slices"
)

// NodeID names a node of a World: its index in the order nodes were added.
type NodeID int32

// Boot builds a node's software on a fresh start or a restart. It runs with the node up, and
// typically reads the node's disk to recover, starts listening and arms timers. Everything the
// software keeps in memory lives in what Boot creates; a crash discards it and the next Boot
// starts again from the disk.
type Boot func(n *Node)

// Node is one machine of the simulated world: a server, or a client host. It has a disk that
// survives crashes, a network address, and software that Boot installs.
//
// The node's software must reach other nodes only through connections: messages are copied, so
// nodes never share memory.
type Node struct {
	w    *World
	id   NodeID
	name string
	boot Boot
	// up is false between a crash and the next restart.
	// Invariant: while up is false, no event owned by the node fires.
	up bool
	// paused nodes handle nothing; their due events wait in deferred.
	paused bool
	// incarnation counts boots; events armed by an earlier incarnation are dropped.
	incarnation uint32
	// deferred holds events that came due while the node was paused, in the order they came due.
	// Invariant: every event in deferred has state == deferred and owner == this node.
	deferred []*event
	rand     *Rand
	disk     *Disk
	// listeners are the node's listening ports, sorted by port.
	listeners []listener
	conns     connSet
	procs     []*Proc
	// egressFreeAt is when the node's network interface finishes sending what it was given.
	egressFreeAt Time
	// cloggedUntil delays every message to or from the node until then.
	cloggedUntil Time
}

// AddNode adds a node named name (unique, used in traces) and boots it now.
func (w *World) AddNode(name string, boot Boot) *Node {
	if boot == nil {
		panic("sim: node " + name + " has no boot function")
	}
	for _, n := range w.nodes {
		if n.name == name {
			panic("sim: two nodes named " + name)
		}
	}
	n := &Node{w: w, id: NodeID(len(w.nodes)), name: name, boot: boot}
	n.rand = w.root.Fork("node/" + name)
	n.disk = newDisk(n)
	w.nodes = append(w.nodes, n)
	w.net.addNode(n)
	n.start(recBoot)
	return n
}

// Node returns the node with the given id; it panics for an unknown id.
func (w *World) Node(id NodeID) *Node {
	if id < 0 || int(id) >= len(w.nodes) {
		panic(fmt.Sprintf("sim: no node %d", id))
	}
	return w.nodes[id]
}

// Nodes returns every node, in id order.
func (w *World) Nodes() []*Node { return slices.Clone(w.nodes) }

func (w *World) lookup(id NodeID) (*Node, error) {
	if id < 0 || int(id) >= len(w.nodes) {
		return nil, fmt.Errorf("%w: %d", ErrUnknownNode, id)
	}
	return w.nodes[id], nil
}

// ID returns the node's id.
func (n *Node) ID() NodeID { return n.id }

// Name returns the node's name.
func (n *Node) Name() string { return n.name }

// String returns the node's name.
func (n *Node) String() string { return n.name }

// World returns the world the node lives in.
func (n *Node) World() *World { return n.w }

// Up reports whether the node is running (it may be paused).
func (n *Node) Up() bool { return n.up }

// Paused reports whether the node is paused.
func (n *Node) Paused() bool { return n.paused }

// Incarnation counts the node's boots, starting at 1.
func (n *Node) Incarnation() uint32 { return n.incarnation }

// Now returns the current virtual time.
func (n *Node) Now() Time { return n.w.now }

// Rand returns the node's own random stream, for its software (election jitter, backoff). It is
// forked from the run seed by the node's name and persists across restarts.
func (n *Node) Rand() *Rand { return n.rand }

// Disk returns the node's disk, which survives crashes as Options.Disk says.
func (n *Node) Disk() *Disk { return n.disk }

// NewTimer returns an unarmed timer owned by the node's current incarnation.
func (n *Node) NewTimer(label string, fn func()) *Timer { return n.w.newTimer(n, label, fn) }

// After arms a timer owned by the node's current incarnation to call fn after d.
func (n *Node) After(d Duration, label string, fn func()) *Timer {
	t := n.w.newTimer(n, label, fn)
	t.Reset(d)
	return t
}

// Logf adds a line from the node's software to the trace.
func (n *Node) Logf(format string, args ...any) {
	n.w.record(&record{kind: recLog, node: n, text: fmt.Sprintf(format, args...)})
}

// start boots a new incarnation.
func (n *Node) start(kind recordKind) {
	n.up = true
	n.incarnation++
	n.w.record(&record{kind: kind, node: n, a: uint64(n.incarnation)})
	n.boot(n)
}

// Crash stops a node at once: its memory, timers, connections, processes and in-flight disk
// operations are gone, and its disk keeps what Options.Disk says a crash keeps. Peers learn that
// their connections broke after the detection delay.
func (w *World) Crash(id NodeID) error {
	n, err := w.lookup(id)
	if err != nil {
		return err
	}
	if !n.up {
		return fmt.Errorf("%w: %s", ErrNodeDown, n.name)
	}
	n.up, n.paused = false, false
	w.record(&record{kind: recCrash, node: n})
	for _, e := range n.deferred {
		e.state = idle
	}
	n.deferred = n.deferred[:0]
	w.net.crash(n)
	n.disk.crash()
	procs := n.procs
	n.procs = nil
	for _, p := range procs {
		p.kill()
	}
	return nil
}

// Restart boots a crashed node again: the Boot function rebuilds its software from its disk.
func (w *World) Restart(id NodeID) error {
	n, err := w.lookup(id)
	if err != nil {
		return err
	}
	if n.up {
		return fmt.Errorf("%w: %s", ErrNodeUp, n.name)
	}
	n.start(recRestart)
	return nil
}

// Pause stops a node the way SIGSTOP does: it handles nothing, but its connections stay open and
// messages to it queue up. Everything that comes due while it is paused happens, late, when it
// resumes: in the order it came due, except that each connection's backlog arrives together, in
// order, in the place of its first message (as one socket read returns everything buffered).
func (w *World) Pause(id NodeID) error {
	n, err := w.lookup(id)
	if err != nil {
		return err
	}
	if !n.up {
		return fmt.Errorf("%w: %s", ErrNodeDown, n.name)
	}
	if n.paused {
		return fmt.Errorf("%w: %s is already paused", ErrNodePaused, n.name)
	}
	n.paused = true
	w.record(&record{kind: recPause, node: n})
	return nil
}

// Resume lets a paused node run again; what came due while it was paused happens now (see Pause
// for the order).
func (w *World) Resume(id NodeID) error {
	n, err := w.lookup(id)
	if err != nil {
		return err
	}
	if !n.up || !n.paused {
		return fmt.Errorf("%w: %s", ErrNodeNotPaused, n.name)
	}
	n.paused = false
	w.record(&record{kind: recResume, node: n, a: uint64(len(n.deferred))})
	due := n.deferred
	n.deferred = nil
	for _, e := range due {
		e.state = idle
		w.schedule(e, w.now)
	}
	return nil
}

// undefer takes a deferred event out of the node's deferred list.
func (n *Node) undefer(e *event) {
	i := slices.Index(n.deferred, e)
	n.deferred = slices.Delete(n.deferred, i, i+1)
	e.state = idle
}
