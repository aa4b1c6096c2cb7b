package cluster

import (
	"cmp"
	"slices"

	"zoosim/sim"
	"zoosim/zab"
	"zoosim/zab/wire"
)

// quorumConn is one open quorum connection: a learner's connection to its leader, or one a
// learner dialed to this server while it leads. The peer knows it by its Link.
type quorumConn struct {
	conn *sim.Conn
	link zab.Link
}

// quorumConns is a server's open quorum connections, a handful at most (a leader's learners):
// a list scanned for a connection id costs less than a map's hash, and every packet sent looks
// one up.
// Invariant: in increasing connection id order, each id once (as halt closes them).
type quorumConns []*quorumConn

// get returns the connection with the given id, or nil.
func (qs quorumConns) get(id uint64) *quorumConn {
	for _, q := range qs {
		if q.conn.ID() == id {
			return q
		}
	}
	return nil
}

// add adds q, whose id is not listed. Handshakes may complete out of dial order, so q goes in
// its place rather than at the end.
func (qs *quorumConns) add(q *quorumConn) {
	i, _ := slices.BinarySearchFunc(*qs, q.conn.ID(), func(x *quorumConn, id uint64) int { return cmp.Compare(x.conn.ID(), id) })
	*qs = slices.Insert(*qs, i, q)
}

// remove removes the connection with the given id, if listed.
func (qs *quorumConns) remove(id uint64) {
	*qs = slices.DeleteFunc(*qs, func(q *quorumConn) bool { return q.conn.ID() == id })
}

// dialLeader carries out DialLeader: it dials the leader's quorum port and answers with QuorumUp
// when the handshake completes, or QuorumDown with Conn 0 if it fails.
func (inc *incarnation) dialLeader(to wire.ServerID) {
	node, ok := inc.s.roster.node(to)
	if !ok || to == inc.s.id {
		inc.s.note("DialLeader to server %d, which is not a peer: reported down", to)
		inc.later("dial-failed", func() { inc.peer.QuorumDown(inc.now(), zab.Link{Peer: to}) })
		return
	}
	inc.node.Dial(node, QuorumPort, &quorumHandler{inc: inc, peer: to})
}

// acceptQuorum decides what handles a connection to the quorum port: a learner dialing this
// server. Only servers of the ensemble may connect.
func (inc *incarnation) acceptQuorum(c *sim.Conn) sim.ConnHandler {
	id, ok := inc.s.roster.serverID(c.Peer())
	if !ok || inc.halted {
		return nil
	}
	return &quorumHandler{inc: inc, peer: id}
}

// quorumHandler handles both ends of quorum connections; link.Conn is 0 until the connection
// is up.
type quorumHandler struct {
	inc  *incarnation
	peer wire.ServerID
	link zab.Link
	// pkt is the struct every packet of the connection decodes into (see Peer.QuorumPacket).
	pkt wire.Packet
}

func (h *quorumHandler) Connected(c *sim.Conn) {
	inc := h.inc
	if inc.halted {
		c.Close()
		return
	}
	h.link = zab.Link{Peer: h.peer, Conn: c.ID()}
	inc.quorum.add(&quorumConn{conn: c, link: h.link})
	inc.peer.QuorumUp(inc.now(), h.link)
	inc.drain()
}

func (h *quorumHandler) Received(c *sim.Conn, msg []byte) {
	inc := h.inc
	if inc.halted {
		return
	}
	pkt := &h.pkt
	// The txn of a proposal is shared with the server that sent it and the others that
	// received the same bytes (wire.TxnShare), not decoded once per follower. Like every
	// logged or sent txn, the peer never modifies it.
	if err := inc.s.roster.txns.DecodePacketInto(pkt, msg); err != nil {
		inc.quorum.remove(c.ID())
		inc.badFrame(c, "quorum", err)
		inc.peer.QuorumDown(inc.now(), h.link)
		inc.drain()
		return
	}
	inc.peer.QuorumPacket(inc.now(), h.link, pkt)
	inc.drain()
}

func (h *quorumHandler) Closed(c *sim.Conn, _ error) {
	inc := h.inc
	if inc.halted {
		return
	}
	// A failed dial reports Conn 0 (h.link is still the zero Link's Conn); a broken connection
	// reports its own id.
	inc.quorum.remove(c.ID())
	inc.peer.QuorumDown(inc.now(), zab.Link{Peer: h.peer, Conn: h.link.Conn})
	inc.drain()
}

// sendPacket carries out SendPacket: on the connection the link names, if it is still open and
// still the link's; otherwise the packet is dropped, as the peer expects.
func (inc *incarnation) sendPacket(l zab.Link, pkt *wire.Packet) {
	q := inc.quorum.get(l.Conn)
	if q == nil || q.link != l {
		inc.s.stats.DroppedPackets++
		return
	}
	if q.conn.Send(inc.encodePacket(pkt)) != nil {
		inc.s.stats.DroppedPackets++
	}
}

// encodePacket returns the frame of pkt, valid until the next send. The txn of a proposal is
// encoded once per ensemble: a leader logs it before it proposes it, and every frame after
// that copies the encoding the ensemble's wire.TxnShare remembers (so do the followers'
// logs, and the followers' decodings hand them the leader's txn itself).
func (inc *incarnation) encodePacket(pkt *wire.Packet) []byte {
	inc.scratch = inc.s.roster.txns.AppendPacket(inc.scratch[:0], pkt)
	return inc.scratch
}

// closePeer carries out ClosePeer. The peer already counts the connection as gone, so no
// QuorumDown follows (and sim calls no Closed for an end's own Close).
func (inc *incarnation) closePeer(l zab.Link) {
	q := inc.quorum.get(l.Conn)
	if q == nil || q.link != l {
		return
	}
	inc.quorum.remove(l.Conn)
	q.conn.Close()
}
