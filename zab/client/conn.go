package client

import (
	"fmt"
	"time"

	"zoosim/zab/wire"
)

// Java client constants (ClientCnxn, StaticHostProvider).
const (
	// maxSendPingInterval: a ping goes out once nothing was sent for this
	// long, whatever the timeout (MAX_SEND_PING_INTERVAL).
	maxSendPingInterval = 10 * time.Second
	// pingSlack: once the send side has been idle for more than this, the
	// ping is due this much earlier ("to prevent race condition missing to
	// send the second ping").
	pingSlack = time.Second
	// spinDelay: the wait after trying every server in turn
	// (hostProvider.next(1000)).
	spinDelay = time.Second
	// reconnectJitterMs bounds the random wait before every attempt after
	// the first transport connection (startConnect's sleep of
	// nextLong(1000) ms).
	reconnectJitterMs = 1000
)

// conn is one connection attempt to one server. It is the ConnHandler of
// its Dial, so events for an attempt the client abandoned are told apart
// (c.cn != cn) and ignored.
type conn struct {
	c      *Client
	server int
	conn   Conn
	// tcp: Connected was delivered. established: the ConnectResponse
	// arrived and accepted the session.
	tcp, established bool
	// lastSend and lastHeard drive the timers (ClientCnxnSocket's
	// lastSend, lastHeard): the read or connect timeout runs from
	// lastHeard, the ping from lastSend.
	lastSend, lastHeard time.Duration
	// timer fires at deadline to run pump; gen tells a current timer from
	// one replaced or stopped.
	timer    Timer
	deadline time.Duration
	gen      int
}

// startConnect picks the next server and dials it, after the waits of the
// Java client: spinDelay when every server was tried since the last
// connection, and a random jitter below one second once any transport
// connection ever came up.
func (c *Client) startConnect() {
	server, spin := c.hosts.next()
	var delay time.Duration
	if spin {
		delay += spinDelay
	}
	if c.everConnected {
		delay += msDuration(int64(c.env.Rand(reconnectJitterMs)))
	}
	if delay == 0 {
		c.dial(server)
		return
	}
	c.redial = c.env.After(delay, func() {
		c.redial = nil
		if c.state == Connecting && !c.closing && c.cn == nil {
			c.dial(server)
		}
		c.drain()
	})
}

// dial opens an attempt; the connect timeout runs from now.
func (c *Client) dial(server int) {
	cn := &conn{c: c, server: server}
	now := c.env.Now()
	cn.lastSend, cn.lastHeard = now, now
	c.cn = cn
	cn.conn = c.env.Dial(server, cn)
	c.pump(cn)
}

// Connected implements ConnHandler: send the ConnectRequest
// (SendThread.primeConnection). The auth packets, setWatches and queued
// requests wait for the ConnectResponse, as the NIO client disables writes
// until then.
func (cn *conn) Connected() {
	c := cn.c
	if c.cn != cn || cn.tcp {
		return
	}
	cn.tcp = true
	c.everConnected = true
	now := c.env.Now()
	cn.lastSend, cn.lastHeard = now, now
	req := &wire.ConnectRequest{
		LastZxidSeen: c.lastZxid,
		Timeout:      int32(c.cfg.SessionTimeout.Milliseconds()),
		SessionID:    c.sessionID,
		Passwd:       c.passwd, // encoded before send returns
	}
	if c.send(cn, req) {
		c.pump(cn)
	}
	c.drain()
}

// Received implements ConnHandler.
func (cn *conn) Received(frame []byte) {
	c := cn.c
	if c.cn != cn {
		return
	}
	cn.lastHeard = c.env.Now()
	m, err := c.dec.Decode(frame)
	switch {
	case !cn.tcp:
		c.lose(cn, protocolError("frame before the connection was up"))
	case err != nil:
		// A frame that does not decode drops the connection, never panics.
		c.lose(cn, fmt.Errorf("%w: %v", ErrProtocol, err))
	case !cn.established:
		c.onConnectResponse(cn, m)
	default:
		c.onMessage(cn, m)
	}
	if c.cn == cn {
		c.pump(cn)
	}
	c.drain()
}

// Closed implements ConnHandler.
func (cn *conn) Closed(err error) {
	c := cn.c
	if c.cn != cn {
		return
	}
	c.lose(cn, fmt.Errorf("%w: %v", ErrConnClosed, err))
	c.drain()
}

// send encodes m and sends it on cn. On failure it loses cn and returns
// false; callers must then stop using cn.
func (c *Client) send(cn *conn, m wire.ClientMessage) bool {
	cn.lastSend = c.env.Now()
	c.scratch = wire.AppendClientMessage(c.scratch[:0], m)
	if err := cn.conn.Send(c.scratch); err != nil {
		c.lose(cn, fmt.Errorf("%w: send: %v", ErrConnClosed, err))
		return false
	}
	return true
}

// pump is one turn of the Java SendThread loop for cn, run on every timer
// expiry and every frame received: fail the attempt if the server has been
// silent for the connect timeout (before the session is established) or
// the read timeout (after); send a ping when due; arm the timer for the
// next deadline (zookeeper.md A9 "Client timers").
//
// The ping is due when the send side has been idle for readTimeout/2, or
// from pingSlack earlier once it has been idle longer than pingSlack, or
// when it has been idle longer than maxSendPingInterval. The last two
// rules matter only when a frame arrives, since the timer itself wakes at
// readTimeout/2: an idle client pings every readTimeout/2, as the Java
// client does.
func (c *Client) pump(cn *conn) {
	now := c.env.Now()
	timeout := c.connectTimeout
	if cn.established {
		timeout = c.readTimeout
	}
	to := timeout - (now - cn.lastHeard)
	if to <= 0 {
		c.lose(cn, fmt.Errorf("%w: nothing heard from server %d for %v", ErrTimeout, cn.server, now-cn.lastHeard))
		return
	}
	if cn.established {
		idleSend := now - cn.lastSend
		next := c.readTimeout/2 - idleSend
		if idleSend > pingSlack {
			next -= pingSlack
		}
		if next <= 0 || idleSend > maxSendPingInterval {
			if !c.send(cn, &c.ping) {
				return
			}
		} else if next < to {
			to = next
		}
	}
	c.arm(cn, now+to)
}

// arm makes cn's timer fire at the latest at deadline. A timer already due
// earlier is kept: pump re-evaluates every deadline when it fires.
func (c *Client) arm(cn *conn, deadline time.Duration) {
	if cn.timer != nil {
		if cn.deadline <= deadline {
			return
		}
		cn.timer.Stop()
	}
	cn.gen++
	gen := cn.gen
	cn.deadline = deadline
	cn.timer = c.env.After(deadline-c.env.Now(), func() {
		if c.cn != cn || cn.gen != gen {
			return
		}
		cn.timer = nil
		c.pump(cn)
		c.drain()
	})
}

// stopTimer cancels cn's timer.
func (cn *conn) stopTimer() {
	if cn.timer != nil {
		cn.timer.Stop()
		cn.timer = nil
	}
	cn.gen++
}

// detach forgets cn: its timer stops, its connection closes, and whatever
// the host still delivers for it is ignored.
func (c *Client) detach(cn *conn, reason error) {
	cn.stopTimer()
	cn.conn.Close()
	c.cn = nil
	c.lastDrop = reason
}

// lose handles the end of the attempt cn (SendThread's catch block and
// cleanAndNotifyState): every sent and every queued request fails with
// ConnectionLoss, the watchers hear Disconnected, and the client dials the
// next server, or, if it is closing, becomes Closed.
func (c *Client) lose(cn *conn, reason error) {
	if c.cn != cn {
		return
	}
	c.detach(cn, reason)
	c.failAll()
	if c.state.IsAlive() {
		c.sessionEvent(wire.StateDisconnected)
	}
	switch {
	case c.closing:
		c.closed()
	case c.state.IsAlive():
		c.setState(Connecting)
		c.startConnect()
	}
}
