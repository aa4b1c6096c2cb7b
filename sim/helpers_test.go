package sim

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// plainOptions are options with constant delays, so that unit tests can name exact times.
func plainOptions(seed uint64) Options {
	o := DefaultOptions(seed)
	o.Network.Latency = Const(time.Millisecond)
	o.Network.DetectionDelay = Const(10 * time.Millisecond)
	o.Disk.FsyncLatency = Const(2 * time.Millisecond)
	return o
}

func newWorld(t testing.TB, opts Options) *World {
	t.Helper()
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// endpoint is a ConnHandler that records what its end saw.
type endpoint struct {
	conn      *Conn
	connected bool
	received  [][]byte
	closedErr error
	closes    int
	// onReceive, if set, runs after a message is recorded.
	onReceive func(c *Conn, msg []byte)
}

func (e *endpoint) Connected(c *Conn) { e.conn, e.connected = c, true }
func (e *endpoint) Received(c *Conn, msg []byte) {
	e.received = append(e.received, slices.Clone(msg)) // msg is the kernel's once Received returns
	if e.onReceive != nil {
		e.onReceive(c, msg)
	}
}
func (e *endpoint) Closed(c *Conn, err error) { e.closedErr = err; e.closes++ }

// server makes a node accept every connection on port 1 into a fresh endpoint, listed in *accepted.
func server(accepted *[]*endpoint) Boot {
	return func(n *Node) {
		n.Listen(1, func(c *Conn) ConnHandler {
			e := &endpoint{}
			*accepted = append(*accepted, e)
			return e
		})
	}
}

func noSoftware(*Node) {}

func ms(n int) Duration { return Duration(n) * time.Millisecond }

func at(n int) Time { return Time(ms(n)) }

func isErr(err, target error) bool { return errors.Is(err, target) }
