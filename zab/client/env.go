package client

import "time"

// Env is everything the client takes from the world it runs in: a virtual
// clock, timers, connections to the servers and a seeded random stream. The
// simulation host implements it (sim/cluster); the client itself starts no
// goroutine, reads no wall clock and draws no global randomness, so one seed
// replays a client bit for bit (DESIGN.md, "The determinism contract").
//
// The host runs everything on one event loop: timer functions and
// ConnHandler methods are called from it, one at a time. No method of Env,
// Conn or Timer may call back into the client synchronously: Dial returns
// before Connected or Closed is delivered, Send returns before the peer
// sees the frame, and Close delivers nothing.
type Env interface {
	// Now is the virtual time.
	Now() time.Duration
	// After runs fn on the event loop d from now, unless the timer is
	// stopped first. d may be zero: fn then runs after the current event.
	After(d time.Duration, fn func()) Timer
	// Dial opens a connection to server (an index in [0, Config.Servers)).
	// The outcome arrives later through h: Connected, then Received frames
	// in order, then Closed once; or Closed alone if the connection fails.
	Dial(server int, h ConnHandler) Conn
	// Rand returns a seeded random number in [0, n).
	Rand(n int) int
}

// Timer is a pending After call.
type Timer interface {
	// Stop cancels the timer and reports whether it was still pending.
	Stop() bool
}

// Conn is one client connection, FIFO and reliable like TCP until it
// breaks (zookeeper.md A8.1: replies and watch events share one ordered
// channel).
type Conn interface {
	// Send queues one frame. An error means the connection is broken; the
	// client then drops it as if Closed had been delivered. Send must not
	// keep frame after it returns: the client reuses the buffer.
	Send(frame []byte) error
	// Close closes the connection. The client ignores anything the host
	// still delivers for a connection it has closed, and may call Close on
	// a connection that is already closed.
	Close()
}

// ConnHandler receives the events of one connection. The client implements
// it; each Dial gets its own handler, so a late event for an abandoned
// connection is recognised and ignored.
type ConnHandler interface {
	// Connected reports that the transport connection is up.
	Connected()
	// Received delivers one frame from the server. The client does not keep
	// frame after the call returns.
	Received(frame []byte)
	// Closed reports that the connection broke or was refused.
	Closed(err error)
}
