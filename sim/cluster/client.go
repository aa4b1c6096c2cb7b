package cluster

import (
	"time"

	"zoosim/sim"
	"zoosim/zab/client"
)

// clientEnv is zab/client's Env on a sim node: the kernel's clock and timers, connections to the
// servers' client ports, and the node's own random stream (forked from the run seed by the node's
// name, so one client's draws never move another's).
type clientEnv struct {
	node   *sim.Node
	roster *roster
	// hosts maps the client's server indices (its connect string, [0, Config.Servers)) to the
	// ensemble's; nil means the identity (the client knows every server).
	hosts []int
}

var _ client.Env = clientEnv{}

func (e clientEnv) Now() time.Duration { return virtual(e.node.Now()) }

// After arms a node timer; *sim.Timer's Stop is client.Timer's. A zero d runs fn after the events
// already due now, as Env asks.
func (e clientEnv) After(d time.Duration, fn func()) client.Timer {
	return e.node.After(d, "client-timer", fn)
}

// Dial connects to server i's client port. *sim.Conn is a client.Conn: Send fails once this end
// knows the connection is gone, Close delivers nothing back.
func (e clientEnv) Dial(server int, h client.ConnHandler) client.Conn {
	if e.hosts != nil {
		server = e.hosts[server]
	}
	to, ok := e.roster.node(serverIDOf(server))
	if !ok {
		// The client dials indices in [0, Config.Servers), and NewClient checks Servers against
		// the ensemble, so this is a programmer error.
		panic("cluster: client dialed server index out of range")
	}
	return e.node.Dial(to, ClientPort, clientConn{h})
}

func (e clientEnv) Rand(n int) int { return e.node.Rand().IntN(n) }

// clientConn turns the kernel's connection events into the client's.
type clientConn struct{ h client.ConnHandler }

func (c clientConn) Connected(*sim.Conn)              { c.h.Connected() }
func (c clientConn) Received(_ *sim.Conn, msg []byte) { c.h.Received(msg) }
func (c clientConn) Closed(_ *sim.Conn, err error)    { c.h.Closed(err) }

// procWaiter is zab/client's Waiter for a simulated process: the kernel's own Park and Unpark,
// which allocate nothing and trace exactly as awaiting a fresh future did.
type procWaiter struct{ p *sim.Proc }

var _ client.Waiter = procWaiter{}

func (w procWaiter) Park()   { w.p.Park() }
func (w procWaiter) Unpark() { w.p.Unpark() }

// NewWaiter returns a Waiter that parks p: for a process that builds its own client.Session.
func NewWaiter(p *sim.Proc) client.Waiter { return procWaiter{p} }
