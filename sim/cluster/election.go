package cluster

import (
	"zoosim/sim"
	"zoosim/zab/wire"
)

// electionQueueCap is how many notifications wait for one peer while its connection is down.
// Only the newest matter (each one carries the sender's current vote and round, and a newer one
// supersedes an older one in the receiver's recvset), so the oldest go first. ZooKeeper's
// QuorumCnxManager keeps SEND_CAPACITY = 1 per peer; a few more cost nothing here and keep the
// last vote of each round when a LOOKING server answers and moves on within one input.
const electionQueueCap = 4

// electionOut is this server's outgoing election connection to one peer. As in QuorumCnxManager,
// it is dialed lazily when there is something to send and dialed again, on the next send, after it
// broke; Fast Leader Election retransmits, so nothing is resent here.
type electionOut struct {
	inc *incarnation
	to  wire.ServerID
	// conn is the connection being dialed or in use; nil when there is none.
	// Invariant: connected implies conn != nil.
	conn      *sim.Conn
	connected bool
	// Invariant: queue is empty while connected, and holds at most electionQueueCap frames.
	queue [][]byte
}

// notify sends one notification to server to, dialing it if needed.
func (inc *incarnation) notify(to wire.ServerID, n wire.Notification) {
	if to == inc.s.id {
		return // the election loops its own notifications back itself
	}
	node, ok := inc.s.roster.node(to)
	if !ok {
		inc.s.note("notification for unknown server %d dropped", to)
		return
	}
	o := inc.election[to]
	if o == nil {
		o = &electionOut{inc: inc, to: to}
		inc.election[to] = o
	}
	frame := wire.AppendNotification(nil, n)
	if o.connected {
		if o.conn.Send(frame) == nil {
			return
		}
		o.conn, o.connected = nil, false // broken: queue it and dial again
	}
	o.queue = append(o.queue, frame)
	if len(o.queue) > electionQueueCap {
		o.queue = append(o.queue[:0], o.queue[len(o.queue)-electionQueueCap:]...)
	}
	if o.conn == nil {
		o.conn = inc.node.Dial(node, ElectionPort, electionDialer{o})
	}
}

// electionDialer handles the events of one outgoing election connection.
type electionDialer struct{ o *electionOut }

func (d electionDialer) Connected(c *sim.Conn) {
	o := d.o
	if o.conn != c {
		return
	}
	o.connected = true
	queue := o.queue
	o.queue = nil
	for _, frame := range queue {
		if c.Send(frame) != nil {
			o.conn, o.connected = nil, false
			return
		}
	}
}

// Received ignores what the acceptor sends: election connections carry notifications one way,
// each server sending on the connection it dialed.
func (electionDialer) Received(*sim.Conn, []byte) {}

func (d electionDialer) Closed(c *sim.Conn, _ error) {
	if d.o.conn == c {
		d.o.conn, d.o.connected = nil, false
	}
}

// electionAcceptor handles one incoming election connection: it decodes notifications and hands
// them to the peer.
type electionAcceptor struct {
	inc  *incarnation
	from wire.ServerID
}

func (a electionAcceptor) Connected(*sim.Conn) {}

func (a electionAcceptor) Received(c *sim.Conn, msg []byte) {
	inc := a.inc
	if inc.halted {
		return
	}
	n, err := wire.DecodeNotification(msg)
	if err == nil && n.Sid != a.from {
		err = errSidMismatch(n.Sid, a.from)
	}
	if err != nil {
		inc.badFrame(c, "election", err)
		return
	}
	inc.peer.Notify(inc.now(), n)
	inc.drain()
}

func (electionAcceptor) Closed(*sim.Conn, error) {}
