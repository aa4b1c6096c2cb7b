package cluster

import (
	"zoosim/sim"
	"zoosim/zab/wire"
)

// clientHandler handles one accepted client connection on a server: frames go to the peer as
// ClientMessage, and the connection's end as ClientDown.
type clientHandler struct{ inc *incarnation }

func (h clientHandler) Connected(c *sim.Conn) {
	inc := h.inc
	if inc.halted {
		c.Close()
		return
	}
	inc.clients[c.ID()] = c
	inc.peer.ClientUp(inc.now(), c.ID())
	inc.drain()
}

func (h clientHandler) Received(c *sim.Conn, msg []byte) {
	inc := h.inc
	if inc.halted || inc.clients[c.ID()] != c {
		return
	}
	m, err := inc.clientDecoder.Decode(msg)
	if err != nil {
		delete(inc.clients, c.ID())
		inc.badFrame(c, "client", err)
		inc.peer.ClientDown(inc.now(), c.ID())
		inc.drain()
		return
	}
	inc.peer.ClientMessage(inc.now(), c.ID(), m)
	inc.drain()
}

func (h clientHandler) Closed(c *sim.Conn, _ error) {
	inc := h.inc
	if inc.halted || inc.clients[c.ID()] != c {
		return
	}
	delete(inc.clients, c.ID())
	inc.peer.ClientDown(inc.now(), c.ID())
	inc.drain()
}

// sendClient carries out SendClient: on the connection with that id, if it is still open.
func (inc *incarnation) sendClient(id uint64, m wire.ClientMessage) {
	c := inc.clients[id]
	if c == nil || m == nil {
		inc.s.stats.DroppedClient++
		return
	}
	inc.scratch = wire.AppendClientMessage(inc.scratch[:0], m)
	if c.Send(inc.scratch) != nil {
		inc.s.stats.DroppedClient++
	}
}

// closeClient carries out CloseClient: the client receives everything sent before, then the
// close. The peer has already forgotten the connection, so no ClientDown follows.
func (inc *incarnation) closeClient(id uint64) {
	c := inc.clients[id]
	if c == nil {
		return
	}
	delete(inc.clients, id)
	c.Close()
}
