package sim

import (
	"fmt"
	"slices"
	"strings"
)

// link is the path from one node to another: whether it is blocked, whether it is clogged, its
// latency, and its own random stream (so that traffic on one path never moves draws on another).
type link struct {
	from, to *Node
	// blocked links lose every message; a connection using one breaks.
	blocked bool
	// cloggedUntil holds messages sent on the link until then.
	cloggedUntil Time
	// latency is the link's latency: the world's Options.Network.Latency unless SetLinkLatency
	// gave the link its own. Holding the default too spares every message a choice, and keeps
	// sampleLatency small enough to inline.
	// Invariant: latency is never nil.
	latency *Distribution
	rand    *Rand
}

// sampleLatency draws a message's latency on the link.
func (l *link) sampleLatency() Duration { return l.latency.Sample(l.rand) }

// network holds the links between every pair of nodes and every connection not yet broken.
type network struct {
	w *World
	// links[from][to] is the path from node from to node to.
	links   [][]*link
	conns   connSet
	connSeq uint64
	filter  Filter
	// bufs are the buffers of the messages in flight, and those free for the next ones.
	bufs buffers
}

func (nw *network) init(w *World) { nw.w = w }

// addNode extends the link matrix with the row and column of a new node; w.nodes already holds it.
func (nw *network) addNode(n *Node) {
	newLink := func(from, to *Node) *link {
		return &link{from: from, to: to, latency: &nw.w.opts.Network.Latency,
			rand: nw.w.root.Fork("net/" + from.name + "->" + to.name)}
	}
	for i := range nw.links {
		nw.links[i] = append(nw.links[i], newLink(nw.w.nodes[i], n))
	}
	row := make([]*link, len(nw.w.nodes))
	for j, to := range nw.w.nodes {
		row[j] = newLink(n, to)
	}
	nw.links = append(nw.links, row)
}

func (nw *network) link(from, to *Node) *link { return nw.links[from.id][to.id] }

// Filter is a test hook that sees every message at send time and decides its fate. It must not
// keep or modify msg.Data.
type Filter func(msg Message) Verdict

// Message is what a Filter sees of a message being sent.
type Message struct {
	Conn     uint64
	From, To NodeID
	Data     []byte
}

// Verdict is a Filter's decision about one message.
type Verdict uint8

const (
	// Deliver lets the message through as usual.
	Deliver Verdict = iota
	// Drop loses the message silently while the connection carries on. TCP never does this; tests
	// use it to cut one message out of a protocol exchange.
	Drop
	// Reset breaks the connection, as a real network fault would.
	Reset
)

// SetFilter installs a message filter (nil removes it).
func (w *World) SetFilter(f Filter) { w.net.filter = f }

// Blocked reports whether messages from one node to another are lost.
func (w *World) Blocked(from, to NodeID) bool {
	return w.net.links[w.Node(from).id][w.Node(to).id].blocked
}

// Partition splits the listed groups from each other: no message crosses between two groups, and
// every connection between them breaks. Groups must be disjoint. Nodes not listed keep talking to
// everyone (clients of a server ensemble, typically). Partitions add up; Heal removes them all.
func (w *World) Partition(groups ...[]NodeID) error {
	seen := map[NodeID]bool{}
	for _, g := range groups {
		for _, id := range g {
			if _, err := w.lookup(id); err != nil {
				return fmt.Errorf("partition: %w", err)
			}
			if seen[id] {
				return fmt.Errorf("%w: partition: node %s is in two groups", ErrBadFault, w.nodes[id].name)
			}
			seen[id] = true
		}
	}
	var parts []string
	for i, g := range groups {
		parts = append(parts, w.describeGroup(g))
		for j, h := range groups {
			if i != j {
				w.net.block(g, h)
			}
		}
	}
	w.record(&record{kind: recFault, text: "partition " + strings.Join(parts, " ")})
	w.net.breakBlocked()
	return nil
}

// PartitionOneWay loses every message from the nodes in from to the nodes in to, while the other
// direction still works. A TCP connection needs both directions, so connections between the two
// sides break and cannot be re-established; the difference from Partition shows only for
// messages already in flight the other way, and for protocols of a transport without handshakes.
func (w *World) PartitionOneWay(from, to []NodeID) error {
	for _, id := range slices.Concat(from, to) {
		if _, err := w.lookup(id); err != nil {
			return fmt.Errorf("partition: %w", err)
		}
	}
	w.net.block(from, to)
	w.record(&record{kind: recFault, text: "partition-one-way " + w.describeGroup(from) + "->" + w.describeGroup(to)})
	w.net.breakBlocked()
	return nil
}

// Isolate cuts one node off from every other node.
func (w *World) Isolate(id NodeID) error {
	n, err := w.lookup(id)
	if err != nil {
		return fmt.Errorf("isolate: %w", err)
	}
	others := make([]NodeID, 0, len(w.nodes)-1)
	for _, m := range w.nodes {
		if m != n {
			others = append(others, m.id)
		}
	}
	w.net.block([]NodeID{id}, others)
	w.net.block(others, []NodeID{id})
	w.record(&record{kind: recFault, node: n, text: "isolate"})
	w.net.breakBlocked()
	return nil
}

// Bridge splits left from right, except through one bridge node that talks to both sides: the
// "bridge" nemesis of Jepsen, where two majorities share a node.
func (w *World) Bridge(left []NodeID, bridge NodeID, right []NodeID) error {
	if slices.Contains(left, bridge) || slices.Contains(right, bridge) {
		return fmt.Errorf("%w: bridge: the bridge node is in a group", ErrBadFault)
	}
	for _, id := range slices.Concat(left, right, []NodeID{bridge}) {
		if _, err := w.lookup(id); err != nil {
			return fmt.Errorf("bridge: %w", err)
		}
	}
	for _, id := range left {
		if slices.Contains(right, id) {
			return fmt.Errorf("%w: bridge: node %s is on both sides", ErrBadFault, w.nodes[id].name)
		}
	}
	w.net.block(left, right)
	w.net.block(right, left)
	w.record(&record{kind: recFault, text: fmt.Sprintf("bridge %s-%s-%s",
		w.describeGroup(left), w.nodes[bridge].name, w.describeGroup(right))})
	w.net.breakBlocked()
	return nil
}

// Heal removes every partition. Broken connections stay broken; software reconnects.
func (w *World) Heal() {
	for _, row := range w.net.links {
		for _, l := range row {
			l.blocked = false
		}
	}
	w.record(&record{kind: recFault, text: "heal"})
}

// ClogLink holds messages between a and b (both ways) for d: each message sent meanwhile leaves
// only when the clog ends. Order is kept; nothing is lost.
func (w *World) ClogLink(a, b NodeID, d Duration) error {
	na, err1 := w.lookup(a)
	nb, err2 := w.lookup(b)
	if err := firstErr(err1, err2); err != nil {
		return fmt.Errorf("clog: %w", err)
	}
	if d < 0 {
		return fmt.Errorf("%w: clog for %v", ErrBadFault, d)
	}
	until := w.now.Add(d)
	for _, l := range []*link{w.net.link(na, nb), w.net.link(nb, na)} {
		l.cloggedUntil = l.cloggedUntil.Max(until)
	}
	w.record(&record{kind: recFault, node: na, peer: nb, text: "clog-link for " + d.String()})
	return nil
}

// ClogNode holds every message to or from a node for d.
func (w *World) ClogNode(id NodeID, d Duration) error {
	n, err := w.lookup(id)
	if err != nil {
		return fmt.Errorf("clog: %w", err)
	}
	if d < 0 {
		return fmt.Errorf("%w: clog for %v", ErrBadFault, d)
	}
	n.cloggedUntil = n.cloggedUntil.Max(w.now.Add(d))
	w.record(&record{kind: recFault, node: n, text: "clog-node for " + d.String()})
	return nil
}

// Unclog ends every clog now; messages already held keep their departure times.
func (w *World) Unclog() {
	for _, n := range w.nodes {
		n.cloggedUntil = 0
		for _, l := range w.net.links[n.id] {
			l.cloggedUntil = 0
		}
	}
	w.record(&record{kind: recFault, text: "unclog"})
}

// SetLinkLatency gives the path between a and b (both ways) its own latency distribution, for
// a far-away replica or a slow client.
func (w *World) SetLinkLatency(a, b NodeID, d Distribution) error {
	na, err1 := w.lookup(a)
	nb, err2 := w.lookup(b)
	if err := firstErr(err1, err2, d.Validate()); err != nil {
		return fmt.Errorf("link latency: %w", err)
	}
	w.net.link(na, nb).latency = &d
	w.net.link(nb, na).latency = &d
	w.record(&record{kind: recFault, node: na, peer: nb, text: "latency " + d.String()})
	return nil
}

// ResetLink breaks every connection between a and b, as a middlebox resetting them would. Each
// end learns of it after the detection delay.
func (w *World) ResetLink(a, b NodeID) error {
	na, err1 := w.lookup(a)
	nb, err2 := w.lookup(b)
	if err := firstErr(err1, err2); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	w.record(&record{kind: recFault, node: na, peer: nb, text: "reset"})
	for _, c := range w.net.conns.live() {
		x, y := c.ends[dialer].node, c.ends[acceptor].node
		if (x == na && y == nb) || (x == nb && y == na) {
			w.net.breakConn(c, ErrReset, "reset")
		}
	}
	return nil
}

func (nw *network) block(from, to []NodeID) {
	for _, f := range from {
		for _, t := range to {
			if f != t {
				nw.links[f][t].blocked = true
			}
		}
	}
}

// breakBlocked breaks every connection that now needs a blocked link.
func (nw *network) breakBlocked() {
	for _, c := range nw.conns.live() {
		x, y := c.ends[dialer].node, c.ends[acceptor].node
		if nw.link(x, y).blocked || nw.link(y, x).blocked {
			nw.breakConn(c, ErrReset, "partition")
		}
	}
}

func (w *World) describeGroup(g []NodeID) string {
	names := make([]string, len(g))
	for i, id := range g {
		names[i] = w.nodes[id].name
	}
	return "{" + strings.Join(names, ",") + "}"
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
