package sim

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// meshNode is test software: it keeps a connection to every other node (redialing after a
// break), sends numbered messages on request, and checks what it receives against the oracle.
type meshNode struct {
	n   *Node
	o   *oracle
	out map[NodeID]*meshEnd // the connection this node dialed to each peer
}

// meshEnd is one end of a mesh connection; the dialer numbers its messages 1, 2, 3...
type meshEnd struct {
	m    *meshNode
	conn *Conn
	sent uint64
	// got is the number of the last message received on this end.
	got uint64
	// dialed marks the dialer's end, which sends; the acceptor's end only receives.
	dialed bool
}

// oracle is the harness's memory, outside the simulated world: when faults happened, and what
// every delivery looked like.
type oracle struct {
	w *World
	// fail reports a broken promise.
	fail   func(format string, args ...any)
	breaks map[[2]NodeID][]Time // times a fault cut the pair (partition, crash, reset)
	pauses map[NodeID][][2]Time // [from, to) a node was paused; to = Never while still paused
	// deliveries counts messages delivered and handled counts timer and process wake-ups, so
	// that the property is not vacuous.
	deliveries, handled int
}

func (o *oracle) cut(a, b NodeID) {
	if a > b {
		a, b = b, a
	}
	o.breaks[[2]NodeID{a, b}] = append(o.breaks[[2]NodeID{a, b}], o.w.Now())
}

func (o *oracle) cutNode(id NodeID) {
	for _, m := range o.w.Nodes() {
		if m.ID() != id {
			o.cut(id, m.ID())
		}
	}
}

// checkHandling fails if the node handles anything while paused.
func (o *oracle) checkHandling(n *Node) {
	for _, p := range o.pauses[n.ID()] {
		if o.w.Now() >= p[0] && o.w.Now() < p[1] {
			o.fail("%s handled an event at %v while paused since %v", n, o.w.Now(), p[0])
		}
	}
}

func (m *meshNode) boot(n *Node) {
	m.n, m.out = n, map[NodeID]*meshEnd{}
	n.Listen(1, func(c *Conn) ConnHandler { return &meshEnd{m: m, conn: c} })
	// A timer and a process, so that "a paused node handles nothing" covers them too.
	var tick *Timer
	tick = n.NewTimer("tick", func() {
		m.o.checkHandling(n)
		m.o.handled++
		tick.Reset(Duration(1+n.Rand().IntN(3)) * time.Millisecond)
	})
	tick.Reset(time.Millisecond)
	n.Spawn("sleeper", func(p *Proc) {
		for {
			p.Sleep(Duration(1+n.Rand().IntN(3)) * time.Millisecond)
			m.o.checkHandling(n)
			m.o.handled++
		}
	})
	// Dial once every node of the test exists: they are all added at the same virtual time.
	n.After(0, "mesh", func() {
		for _, peer := range n.World().Nodes() {
			if peer.ID() != n.ID() {
				m.dial(peer.ID())
			}
		}
	})
}

func (m *meshNode) dial(peer NodeID) {
	e := &meshEnd{m: m, dialed: true}
	e.conn = m.n.Dial(peer, 1, e)
	m.out[peer] = e
}

func (e *meshEnd) Connected(c *Conn) { e.m.o.checkHandling(e.m.n) }

func (e *meshEnd) Received(c *Conn, msg []byte) {
	o := e.m.o
	o.checkHandling(e.m.n)
	o.deliveries++
	num := binary.BigEndian.Uint64(msg)
	sentAt := Time(binary.BigEndian.Uint64(msg[8:]))
	// FIFO with no gaps: a live connection delivers exactly a prefix of what was sent.
	if num != e.got+1 {
		o.fail("c%d at %s: message %d after %d", c.ID(), e.m.n, num, e.got)
	}
	e.got = num
	// Nothing crosses a partition, and nothing sent before a break arrives after it.
	if o.w.Blocked(c.Peer(), c.Local()) {
		o.fail("c%d: message %d crossed a partition", c.ID(), num)
	}
	a, b := min(c.Peer(), c.Local()), max(c.Peer(), c.Local())
	for _, cut := range o.breaks[[2]NodeID{a, b}] {
		if cut >= sentAt && cut <= o.w.Now() {
			o.fail("c%d: message %d sent at %v delivered at %v across a break at %v", c.ID(), num, sentAt, o.w.Now(), cut)
		}
	}
}

func (e *meshEnd) Closed(c *Conn, err error) {
	e.m.o.checkHandling(e.m.n)
	if e.dialed && e.m.out[c.Peer()] == e {
		e.m.n.After(5*time.Millisecond, "redial", func() { e.m.dial(c.Peer()) })
	}
}

// send sends the next numbered message on the node's connection to peer, if it has one.
func (m *meshNode) send(peer NodeID) {
	e := m.out[peer]
	if e == nil || !e.conn.Open() {
		return
	}
	e.sent++
	msg := make([]byte, 16)
	binary.BigEndian.PutUint64(msg, e.sent)
	binary.BigEndian.PutUint64(msg[8:], uint64(m.n.Now()))
	_ = e.conn.Send(msg)
}

// TestNetworkPromisesUnderFaults drives a mesh of nodes through random sends and faults and
// checks, at every delivery: FIFO without gaps per connection, nothing delivered across a
// partition, and nothing sent before a break delivered after it; and at every delivery, timer
// and process wake-up, that the node is not paused.
func TestNetworkPromisesUnderFaults(t *testing.T) {
	deliveries, handled, pauses, faults := 0, 0, 0, 0
	rapid.Check(t, func(t *rapid.T) {
		opts := DefaultOptions(rapid.Uint64().Draw(t, "seed"))
		opts.Network.Latency = rapid.SampledFrom([]Distribution{
			Const(time.Millisecond), UniformIn(0, 5*time.Millisecond),
			Exp(100*time.Microsecond, time.Millisecond), LogNormalDist(0, time.Millisecond, 1500),
		}).Draw(t, "latency")
		w := MustNew(opts)
		defer w.Close()
		o := &oracle{w: w, fail: t.Fatalf, breaks: map[[2]NodeID][]Time{}, pauses: map[NodeID][][2]Time{}}
		nodes := rapid.IntRange(2, 5).Draw(t, "nodes")
		mesh := make([]*meshNode, nodes)
		for i := range mesh {
			mesh[i] = &meshNode{o: o}
			w.AddNode(fmt.Sprintf("n%d", i), mesh[i].boot)
		}
		node := rapid.IntRange(0, nodes-1)
		steps := rapid.IntRange(1, 150).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			a, b := NodeID(node.Draw(t, "a")), NodeID(node.Draw(t, "b"))
			switch action := rapid.IntRange(-8, 12).Draw(t, "action"); {
			case action <= 4: // mostly traffic, in bursts
				if a != b && w.Node(a).Up() && !w.Node(a).Paused() {
					for k := rapid.IntRange(1, 8).Draw(t, "burst"); k > 0; k-- {
						mesh[a].send(b)
					}
				}
			case action == 5:
				if a != b {
					_ = w.Partition([]NodeID{a}, []NodeID{b})
					o.cut(a, b)
				}
			case action == 6:
				if a != b {
					_ = w.PartitionOneWay([]NodeID{a}, []NodeID{b})
					o.cut(a, b)
				}
			case action == 7:
				w.Heal()
			case action == 8:
				if w.Crash(a) == nil {
					o.cutNode(a)
					if ps := o.pauses[a]; len(ps) > 0 && ps[len(ps)-1][1] == Never {
						ps[len(ps)-1][1] = w.Now()
					}
				}
			case action == 9:
				_ = w.Restart(a)
			case action == 10:
				if w.Pause(a) == nil {
					o.pauses[a] = append(o.pauses[a], [2]Time{w.Now(), Never})
				}
			case action == 11:
				if w.Resume(a) == nil {
					ps := o.pauses[a]
					ps[len(ps)-1][1] = w.Now()
				}
			case action == 12:
				if a != b && w.ResetLink(a, b) == nil {
					o.cut(a, b)
				}
				_ = w.ClogLink(a, b, Duration(rapid.IntRange(0, 20).Draw(t, "clog ms"))*time.Millisecond)
			}
			w.RunFor(Duration(rapid.IntRange(0, 20000).Draw(t, "gap µs")) * time.Microsecond)
			if err := checkBuffers(w); err != nil {
				t.Fatal(err)
			}
		}
		w.Heal()
		for _, n := range w.Nodes() {
			if n.Paused() {
				_ = w.Resume(n.ID())
				ps := o.pauses[n.ID()]
				ps[len(ps)-1][1] = w.Now()
			}
		}
		w.RunFor(time.Second)
		deliveries += o.deliveries
		handled += o.handled
		for _, cuts := range o.breaks {
			faults += len(cuts)
		}
		for _, ps := range o.pauses {
			pauses += len(ps)
		}
	})
	// The promises must have been tested on real traffic and real faults. Typical counts over the
	// hundred cases are 2,300-3,100 deliveries, 300,000 wake-ups, 450-700 cuts and 50-105
	// pauses; the floors sit far below that, so they only trip if the property stops testing.
	t.Logf("%d deliveries and %d timer or process wake-ups checked; %d cuts, %d pauses", deliveries, handled, faults, pauses)
	if deliveries < 500 || handled < 50000 || faults < 100 || pauses < 15 {
		t.Fatalf("the property checked almost nothing")
	}
}

// The oracle must be able to fail: a connection that skips a message number, as a kernel losing
// a message mid-connection would, and a delivery across a cut, are both reported.
func TestNetworkOracleCatchesPlantedFaults(t *testing.T) {
	setup := func() (*World, *oracle, [2]*meshNode, *[]string) {
		w := newWorld(t, plainOptions(1))
		var complaints []string
		o := &oracle{w: w, breaks: map[[2]NodeID][]Time{}, pauses: map[NodeID][][2]Time{},
			fail: func(format string, args ...any) { complaints = append(complaints, fmt.Sprintf(format, args...)) }}
		var meshes [2]*meshNode
		for i := range meshes {
			meshes[i] = &meshNode{o: o}
			w.AddNode(fmt.Sprintf("n%d", i), meshes[i].boot)
		}
		w.RunFor(ms(5))
		return w, o, meshes, &complaints
	}
	t.Run("gap", func(t *testing.T) {
		w, _, meshes, complaints := setup()
		meshes[0].send(1)
		meshes[0].out[1].sent++ // plant: message 3 follows message 1
		meshes[0].send(1)
		w.RunFor(ms(5))
		if len(*complaints) != 1 || !strings.Contains((*complaints)[0], "message 3 after 1") {
			t.Fatalf("complaints %q, want one about the gap", *complaints)
		}
	})
	t.Run("delivery across a break", func(t *testing.T) {
		w, o, meshes, complaints := setup()
		meshes[0].send(1)
		o.cut(0, 1) // plant: the oracle hears of a break the kernel never made
		w.RunFor(ms(5))
		if len(*complaints) != 1 || !strings.Contains((*complaints)[0], "across a break") {
			t.Fatalf("complaints %q, want one about the break", *complaints)
		}
	})
	t.Run("handled while paused", func(t *testing.T) {
		w, o, meshes, complaints := setup()
		meshes[0].send(1)
		o.pauses[1] = [][2]Time{{w.Now(), Never}} // plant: the node is paused as far as the oracle knows
		w.RunFor(ms(5))
		if len(*complaints) == 0 || slices.ContainsFunc(*complaints, func(c string) bool { return !strings.Contains(c, "while paused") }) {
			t.Fatalf("complaints %q, want only complaints about the pause", *complaints)
		}
	})
}
