package sim

import (
	"fmt"
	"slices"
)

// ConnHandler is the software's side of one connection end. The kernel calls it from the event
// loop, on the node that owns the end, never while the node is paused or after it crashed.
type ConnHandler interface {
	// Connected says the connection is usable: at the dialer when the handshake completes, at the
	// acceptor right after its accept function returned this handler.
	Connected(c *Conn)
	// Received delivers one message, in the order the peer sent it. msg is valid only until
	// Received returns: the kernel then overwrites its buffer and reuses it for a later message,
	// so a receiver copies whatever it keeps (decoding into fresh values is copying). Until then
	// the receiver may also modify it.
	Received(c *Conn, msg []byte)
	// Closed says the connection is gone, and why (ErrRefused, ErrUnreachable, ErrReset,
	// ErrPeerClosed). It is the last call for this end; it is not called after the end's own
	// Close.
	Closed(c *Conn, err error)
}

// AcceptFunc decides what handles a new incoming connection; returning nil refuses it.
type AcceptFunc func(c *Conn) ConnHandler

type listener struct {
	port   int
	accept AcceptFunc
}

// Listen makes the node accept connections on port with accept (nil stops listening). Listening
// belongs to the node's software: a crash stops it.
func (n *Node) Listen(port int, accept AcceptFunc) {
	i, found := slices.BinarySearchFunc(n.listeners, port, func(l listener, p int) int { return l.port - p })
	switch {
	case accept == nil && found:
		n.listeners = slices.Delete(n.listeners, i, i+1)
	case accept != nil && found:
		n.listeners[i].accept = accept
	case accept != nil:
		n.listeners = slices.Insert(n.listeners, i, listener{port: port, accept: accept})
	}
}

func (n *Node) acceptorFor(port int) AcceptFunc {
	i, found := slices.BinarySearchFunc(n.listeners, port, func(l listener, p int) int { return l.port - p })
	if !found {
		return nil
	}
	return n.listeners[i].accept
}

const (
	dialer   = 0
	acceptor = 1
)

// connection is one TCP-like connection between two nodes: two ends, each receiving one FIFO flow.
type connection struct {
	id   uint64
	port int
	ends [2]Conn
	// broken is set once the connection can carry nothing more (it broke, was refused, or both
	// ends closed).
	broken bool
}

// endState is what one end knows of its connection.
type endState uint8

const (
	// endPending: the dialer waits for the handshake; the acceptor has not accepted yet.
	endPending endState = iota
	endOpen
	// endDoomed: the connection broke and the end's software will be told after the detection
	// delay; until then it may still send, and its messages are lost.
	endDoomed
	// endClosed: the end's software knows the connection is gone (or never knew it existed).
	endClosed
)

// Conn is one end of a connection, held by the software of the node that dialed or accepted it.
type Conn struct {
	conn *connection
	side int
	node *Node
	peer *Node
	h    ConnHandler
	// state is this end's view.
	// Invariant: state == endClosed implies in holds no packets and notice is not armed.
	state endState
	// in carries the messages travelling to this end.
	in flow
	// notice tells this end's software that the connection broke, after the detection delay.
	notice    event
	noticeErr error
}

// ID returns the connection's number, shared by both ends and used in traces.
func (c *Conn) ID() uint64 { return c.conn.id }

// Local returns the node this end belongs to.
func (c *Conn) Local() NodeID { return c.node.id }

// Peer returns the node at the other end.
func (c *Conn) Peer() NodeID { return c.peer.id }

// Port returns the port the connection was dialed to.
func (c *Conn) Port() int { return c.conn.port }

// Open reports whether the end can send and receive: the handshake completed and nothing broke
// as far as this end knows.
func (c *Conn) Open() bool { return c.state == endOpen }

func (c *Conn) other() *Conn { return &c.conn.ends[1-c.side] }

// Dial opens a connection from the node to port on node to. It returns at once; h.Connected is
// called when the handshake completes, or h.Closed with ErrRefused or ErrUnreachable if it
// fails. Messages sent before the handshake completes are delivered after it.
func (n *Node) Dial(to NodeID, port int, h ConnHandler) *Conn {
	w := n.w
	target := w.Node(to)
	if h == nil {
		panic("sim: Dial with a nil handler")
	}
	w.net.connSeq++
	c := &connection{id: w.net.connSeq, port: port}
	d, a := &c.ends[dialer], &c.ends[acceptor]
	d.init(c, dialer, n, target, w)
	a.init(c, acceptor, target, n, w)
	d.h = h
	w.record(&record{kind: recDial, node: n, peer: target, a: c.id, b: uint64(port)})
	if !n.up {
		// A process of a crashed node unwinding: nothing leaves a dead machine.
		d.state, a.state = endClosed, endClosed
		c.broken = true
		return d
	}
	if !target.up || w.net.link(n, target).blocked || w.net.link(target, n).blocked {
		c.broken = true
		a.state = endClosed
		d.doom(ErrUnreachable)
		return d
	}
	w.net.conns.add(c)
	n.conns.add(c)
	target.conns.add(c)
	a.in.push(pktSyn, nil)
	return d
}

func (c *Conn) init(conn *connection, side int, node, peer *Node, w *World) {
	c.conn, c.side, c.node, c.peer = conn, side, node, peer
	c.in.init(c, w.net.link(peer, node))
	c.notice.owner = node
	c.notice.index = -1
	c.notice.fire = c.fireNotice
}

// Send sends a copy of msg to the peer; msg stays the caller's, to reuse at once. It returns
// ErrClosed if this end already knows the
// connection is gone. A message sent on a connection that broke without this end knowing yet is
// lost silently, as it would be in a real socket buffer.
func (c *Conn) Send(msg []byte) error {
	w := c.node.w
	switch c.state {
	case endClosed:
		return ErrClosed
	case endDoomed:
		w.record(&record{kind: recDrop, node: c.node, peer: c.peer, a: c.conn.id, b: uint64(len(msg)), text: "broken"})
		return nil
	}
	peer := c.other()
	if peer.state == endClosed || c.conn.broken {
		w.record(&record{kind: recDrop, node: c.node, peer: c.peer, a: c.conn.id, b: uint64(len(msg)), text: "peer closed"})
		return nil
	}
	if f := w.net.filter; f != nil {
		switch f(Message{Conn: c.conn.id, From: c.node.id, To: c.peer.id, Data: msg}) {
		case Drop:
			w.record(&record{kind: recDrop, node: c.node, peer: c.peer, a: c.conn.id, b: uint64(len(msg)), text: "filter"})
			return nil
		case Reset:
			w.net.breakConn(c.conn, ErrReset, "filter")
			return nil
		}
	}
	w.record(&record{kind: recSend, node: c.node, peer: c.peer, a: c.conn.id, b: uint64(len(msg)), c: hashBytes(msg)})
	peer.in.push(pktData, w.net.bufs.copyOf(msg))
	return nil
}

// Close closes this end. The peer receives every message this end sent before, then learns that
// the connection closed. Messages still on their way to this end are discarded. Closed is not
// called for this end.
func (c *Conn) Close() {
	if c.state == endClosed {
		return
	}
	w := c.node.w
	w.record(&record{kind: recClosed, node: c.node, peer: c.peer, a: c.conn.id, text: "local"})
	wasDoomed := c.state == endDoomed
	c.state = endClosed
	c.in.clear()
	w.unschedule(&c.notice)
	peer := c.other()
	if wasDoomed || c.conn.broken {
		return
	}
	if peer.state == endClosed {
		w.net.markBroken(c.conn)
		return
	}
	peer.in.push(pktFin, nil)
}

// doom schedules the end's software to learn after the detection delay that the connection is
// gone, with err.
func (c *Conn) doom(err error) {
	w := c.node.w
	c.state = endDoomed
	c.noticeErr = err
	w.schedule(&c.notice, w.now.Add(w.opts.Network.DetectionDelay.Sample(c.in.link.rand)))
}

func (c *Conn) fireNotice() {
	c.state = endClosed
	c.node.w.record(&record{kind: recBroken, node: c.node, peer: c.peer, a: c.conn.id, text: c.noticeErr.Error()})
	c.h.Closed(c, c.noticeErr)
}

// breakConn breaks a connection at once: everything in flight is lost, and each end whose
// software knows of the connection learns of the break after the detection delay (a dialer still
// waiting for its handshake learns ErrUnreachable).
func (nw *network) breakConn(c *connection, err error, why string) {
	if c.broken {
		return
	}
	nw.markBroken(c)
	nw.w.record(&record{kind: recFault, node: c.ends[dialer].node, peer: c.ends[acceptor].node, a: c.id,
		text: fmt.Sprintf("break c%d (%s)", c.id, why)})
	for i := range c.ends {
		e := &c.ends[i]
		e.in.clear()
		switch {
		case e.state == endClosed || e.state == endDoomed:
		case !e.node.up, e.state == endPending && e.side == acceptor:
			e.state = endClosed
		case e.state == endPending:
			e.doom(ErrUnreachable)
		default:
			e.doom(err)
		}
	}
}

func (nw *network) markBroken(c *connection) {
	c.broken = true
	nw.conns.noteBroken()
	c.ends[dialer].node.conns.noteBroken()
	c.ends[acceptor].node.conns.noteBroken()
}

// crash breaks every connection of a crashed node and forgets its listeners.
func (nw *network) crash(n *Node) {
	n.listeners = nil
	n.egressFreeAt = 0
	for _, c := range n.conns.live() {
		nw.breakConn(c, ErrReset, "crash of "+n.name)
	}
	n.conns = connSet{}
}

// handleSyn runs at the acceptor when the handshake arrives: the node's accept function decides.
func (c *Conn) handleSyn() {
	w := c.node.w
	var h ConnHandler
	if accept := c.node.acceptorFor(c.conn.port); accept != nil {
		h = accept(c)
	}
	d := c.other()
	if h == nil {
		w.record(&record{kind: recRefused, node: c.node, peer: c.peer, a: c.conn.id})
		c.state = endClosed
		c.in.clear()
		if d.state == endClosed {
			w.net.markBroken(c.conn) // the dialer gave up already: nobody to tell
			return
		}
		d.in.push(pktRst, nil)
		return
	}
	c.h = h
	c.state = endOpen
	w.record(&record{kind: recAccept, node: c.node, peer: c.peer, a: c.conn.id})
	d.in.push(pktSynAck, nil) // lost if the dialer closed already; its FIN is on the way
	h.Connected(c)
}

// packetKind distinguishes the handshake and teardown from data.
type packetKind uint8

const (
	pktData packetKind = iota
	pktSyn
	pktSynAck
	pktFin
	pktRst
)

type packet struct {
	at   Time
	kind packetKind
	// data is a data packet's payload, a buffer of the network's free list: it goes back there
	// when the packet is delivered or lost (bufs.release).
	data []byte
}

// flow is one direction of a connection: the packets travelling to one end, in delivery order,
// and the single event that delivers the first of them.
type flow struct {
	to   *Conn
	link *link
	// q[head:] are the packets in flight, sorted by delivery time.
	// Invariant: the delivery event is armed exactly when q[head:] is not empty, for q[head].at
	// (or later, if the receiving node was paused).
	q    []packet
	head int
	// lastAt is the latest delivery time given out; later packets may not arrive earlier (FIFO).
	lastAt Time
	ev     event
}

func (f *flow) init(to *Conn, l *link) {
	f.to, f.link = to, l
	f.ev.owner = to.node
	f.ev.index = -1
	f.ev.fire = f.deliver
}

// push puts a packet on the wire toward f.to; a packet toward an end that is closed is lost.
func (f *flow) push(kind packetKind, data []byte) {
	w := f.to.node.w
	if f.to.state == endClosed {
		w.net.bufs.release(data)
		return
	}
	opts := &w.opts.Network
	l := f.link
	depart := w.now
	if bw := opts.EgressBytesPerSec; bw > 0 && len(data) > 0 {
		start := depart.Max(l.from.egressFreeAt)
		l.from.egressFreeAt = start.Add(Duration(int64(len(data)) * 1e9 / bw))
		depart = l.from.egressFreeAt
	}
	depart = depart.Max(l.cloggedUntil).Max(l.from.cloggedUntil).Max(l.to.cloggedUntil)
	at := depart.Add(l.sampleLatency())
	if kind == pktData && l.rand.Chance(opts.UnsafeReorder) {
		f.insert(packet{at: at, kind: kind, data: data})
	} else {
		at = at.Max(f.lastAt)
		f.q, f.head = appendLive(f.q, f.head, packet{at: at, kind: kind, data: data})
	}
	f.lastAt = f.lastAt.Max(at)
	if kind == pktData && l.rand.Chance(opts.UnsafeDuplicate) {
		f.insert(packet{at: depart.Add(l.sampleLatency()), kind: kind, data: w.net.bufs.copyOf(data)})
	}
	f.arm()
}

// insert places a data packet by its own delivery time, after packets due at the same time; only
// the unsafe reorder and duplicate modes use it. Data never overtakes the handshake or the close,
// which a connection needs in order even in the unsafe modes.
func (f *flow) insert(p packet) {
	i := len(f.q)
	for i > f.head && f.q[i-1].at > p.at && f.q[i-1].kind == pktData {
		i--
	}
	f.q = slices.Insert(f.q, i, p)
}

// arm schedules delivery of the first packet unless it is already scheduled for it. A deferred
// event (the receiver is paused) is left where it waits.
func (f *flow) arm() {
	if f.head == len(f.q) {
		return
	}
	w := f.to.node.w
	at := f.q[f.head].at.Max(w.now)
	if f.ev.state == idle || (f.ev.state == queued && at < f.ev.at) {
		w.schedule(&f.ev, at)
	}
}

// clear loses every packet in flight.
func (f *flow) clear() {
	w := f.to.node.w
	for i := f.head; i < len(f.q); i++ {
		w.net.bufs.release(f.q[i].data)
		f.q[i] = packet{}
	}
	f.q, f.head = f.q[:0], 0
	w.unschedule(&f.ev)
}

// deliver hands the receiver every packet that is due, in order: usually one, but after a pause
// (or a clog lifting, or several packets due at the same instant) the whole backlog arrives
// together, as a socket read returns everything buffered.
func (f *flow) deliver() {
	c := f.to
	n := c.node
	incarnation := n.incarnation
	for f.head < len(f.q) && f.q[f.head].at <= n.w.now {
		if !n.up || n.paused || n.incarnation != incarnation {
			break // a handler crashed or paused its own node
		}
		p := f.q[f.head]
		f.q[f.head] = packet{}
		f.head++
		if f.head == len(f.q) {
			f.q, f.head = f.q[:0], 0
		}
		c.handle(p)
	}
	f.arm()
}

// handle runs one arriving packet at the receiving end.
func (c *Conn) handle(p packet) {
	w := c.node.w
	switch p.kind {
	case pktData:
		if c.state != endOpen {
			// Only the unsafe duplicate mode gets here: a copy due after the close.
			w.record(&record{kind: recDrop, node: c.node, peer: c.peer, a: c.conn.id, b: uint64(len(p.data)), text: "after close"})
			w.net.bufs.release(p.data)
			return
		}
		// The payload was hashed when it was sent; the kernel delivers those very bytes.
		w.record(&record{kind: recDeliver, node: c.node, peer: c.peer, a: c.conn.id, b: uint64(len(p.data))})
		c.h.Received(c, p.data)
		w.net.bufs.release(p.data)
	case pktSyn:
		c.handleSyn()
	case pktSynAck:
		c.state = endOpen
		w.record(&record{kind: recConnected, node: c.node, peer: c.peer, a: c.conn.id})
		c.h.Connected(c)
	case pktFin, pktRst:
		err := ErrPeerClosed
		if p.kind == pktRst {
			err = ErrRefused
		}
		w.net.markBroken(c.conn)
		c.state = endClosed
		c.in.clear()
		w.record(&record{kind: recClosed, node: c.node, peer: c.peer, a: c.conn.id, text: err.Error()})
		c.h.Closed(c, err)
	}
}

// connSet is a list of connections in creation order that drops broken ones lazily, so that
// breaking a connection costs nothing and iteration order stays deterministic.
type connSet struct {
	items  []*connection
	broken int
}

func (s *connSet) add(c *connection) { s.items = append(s.items, c) }

// noteBroken counts a connection that broke; when most are broken, they are dropped.
func (s *connSet) noteBroken() {
	s.broken++
	if s.broken > 16 && 2*s.broken > len(s.items) {
		s.compact()
	}
}

func (s *connSet) compact() {
	s.items = slices.DeleteFunc(s.items, func(c *connection) bool { return c.broken })
	s.broken = 0
}

// live returns the connections not broken, in creation order. The caller may break connections
// while iterating: the returned slice is a snapshot.
func (s *connSet) live() []*connection {
	s.compact()
	return slices.Clone(s.items)
}
