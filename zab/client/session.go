package client

import (
	"fmt"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// setWatchesMaxLength bounds the paths of one setWatches request
// (SET_WATCHES_MAX_LENGTH, ZOOKEEPER-706), so a session with many watches
// does not exceed the server's frame limit. Java counts UTF-16 units; we
// count bytes.
const setWatchesMaxLength = 128 * 1024

// onConnectResponse completes the handshake (SendThread.onConnected).
//
// Timeout 0 means the session is gone: the client reports Expired, fails
// everything with SessionExpired and stays Closed. Otherwise it adopts the
// negotiated timeout, reports SyncConnected and primes the connection.
func (c *Client) onConnectResponse(cn *conn, m wire.ClientMessage) {
	resp, ok := m.(*wire.ConnectResponse)
	if !ok {
		c.lose(cn, protocolError("%T before the ConnectResponse", m))
		return
	}
	if resp.Timeout <= 0 {
		c.detach(cn, fmt.Errorf("client: session %s expired", c.sessionID))
		c.sessionEvent(wire.StateExpired)
		c.setState(Closed)
		c.failAll()
		c.finishClose()
		return
	}
	c.negotiated = msDuration(int64(resp.Timeout))
	c.setTimeouts(int64(resp.Timeout))
	c.hosts.onConnected()
	c.sessionID = resp.SessionID
	c.passwd = resp.Passwd // the decoder's own copy, never reused (wire.ClientDecoder)
	cn.established = true
	// The read timeout replaces the connect timeout: arm afresh.
	cn.stopTimer()
	c.sessionEvent(wire.StateSyncConnected)
	c.setState(Connected)
	c.prime(cn)
}

// prime sends what must precede the queued requests on a new connection,
// in the Java client's order (primeConnection): the auth packets (the
// newest first, since Java pushes each to the front of its queue), then
// the setWatches requests that re-arm every watch the client holds, then
// the requests queued while disconnected. Auth replies are not matched
// against the pending queue; setWatches replies are.
func (c *Client) prime(cn *conn) {
	for i := len(c.auth) - 1; i >= 0; i-- {
		if !c.send(cn, authRequest(c.auth[i])) {
			return
		}
	}
	for _, req := range c.setWatches() {
		p := c.newPacket(nil)
		p.msg = wire.Request{Xid: wire.XidSetWatches, Req: req}
		c.pending.push(p)
		if !c.send(cn, &p.msg) {
			return
		}
	}
	for c.outgoing.len() > 0 && c.cn == cn {
		c.sendRequest(cn, c.outgoing.pop())
	}
}

// authRequest is the auth packet for a digest credential: xid -4, opcode
// auth, the "user:password" in Data (wire.Request).
func authRequest(userPassword string) *wire.Request {
	return &wire.Request{Xid: wire.XidAuth, Req: tree.Request{Type: tree.OpAuth, Data: []byte(userPassword)}}
}

// setWatches builds the requests that re-register every watch after a
// reconnect (zookeeper.md A8.1 "Reconnect"): relativeZxid is the last zxid
// seen, so the server fires at once what changed since; the paths of each
// table go in sorted order, batched by setWatchesMaxLength. A batch without
// persistent or recursive watches is a setWatches (101), others a
// setWatches2 (105), as the Java client keeps older servers working. No
// watches, no request.
func (c *Client) setWatches() []tree.Request {
	if c.watches.empty() {
		return nil
	}
	var lists [numKinds][]string
	for k := range lists {
		lists[k] = c.watches.paths(watchKind(k))
	}
	var out []tree.Request
	k, i := 0, 0
	for k < int(numKinds) {
		sw := &tree.SetWatches{RelativeZxid: c.lastZxid}
		req := tree.Request{SetWatches: sw}
		fields := [numKinds]*[]string{&sw.DataWatches, &sw.ExistWatches, &sw.ChildWatches,
			&sw.PersistentWatches, &sw.PersistentRecursiveWatches}
		n := 0
		for n < setWatchesMaxLength && k < int(numKinds) {
			if i == len(lists[k]) {
				k, i = k+1, 0
				continue
			}
			p := lists[k][i]
			i++
			*fields[k] = append(*fields[k], p)
			n += len(p)
		}
		if n == 0 {
			break
		}
		req.Type = tree.OpSetWatches
		if len(sw.PersistentWatches)+len(sw.PersistentRecursiveWatches) > 0 {
			req.Type = tree.OpSetWatches2
		}
		out = append(out, req)
	}
	return out
}

// onMessage handles a frame on an established connection
// (SendThread.readResponse). Pings need nothing; an auth reply matters
// only if it says AuthFailed; a notification goes to the watches; every
// other reply must answer the oldest pending request, or the connection is
// dropped and everything pending fails with ConnectionLoss, because the
// server answers a session's requests in order (zookeeper.md A13.3).
func (c *Client) onMessage(cn *conn, m wire.ClientMessage) {
	switch m := m.(type) {
	case *wire.Reply:
		switch m.Xid {
		case wire.XidPing:
			return
		case wire.XidAuth:
			if m.Err == tree.AuthFailed {
				c.authFailed(cn)
			}
			return
		}
		if c.pending.len() == 0 {
			c.lose(cn, protocolError("reply xid %d with nothing pending", m.Xid))
			return
		}
		p := c.pending.front()
		if p.msg.Xid != m.Xid {
			c.lose(cn, protocolError("reply xid %d, expected %d", m.Xid, p.msg.Xid))
			return
		}
		c.pending.pop()
		c.seeZxid(m.Zxid)
		closing := p.msg.Req.Type == tree.OpCloseSession
		c.finish(p, m, m.Err)
		if closing {
			c.closed()
		}
	case *wire.Event:
		c.seeZxid(m.Zxid)
		if m.Type == tree.EventNone {
			c.sessionEvent(m.State)
			return
		}
		if !knownEvent(m.Type) {
			c.lose(cn, protocolError("event of type %v", m.Type))
			return
		}
		ws := c.watches.materialize(m.Type, m.Path)
		c.deliver(Event{Type: m.Type, State: m.State, Path: m.Path, Zxid: m.Zxid}, ws)
	default:
		c.lose(cn, protocolError("unexpected %T", m))
	}
}

// seeZxid raises lastZxid to z. The Java client assigns every positive
// reply zxid (never a ping's or an auth's); on one FIFO connection, and
// across servers that are never behind it, those only grow, so the maximum
// is the same value and stays right if a server misbehaves. Events count
// too: a 3.8 server sends -1 there, which changes nothing.
func (c *Client) seeZxid(z tree.Zxid) {
	if z > c.lastZxid {
		c.lastZxid = z
	}
}

// authFailed ends the client after a server rejected an auth packet:
// AuthFailed event, state AuthFailed, everything fails with AuthFailed.
func (c *Client) authFailed(cn *conn) {
	c.detach(cn, fmt.Errorf("client: auth failed on server %d", cn.server))
	c.sessionEvent(wire.StateAuthFailed)
	c.setState(AuthFailed)
	c.failAll()
	c.finishClose()
}

// Close closes the session: it sends closeSession behind every request
// already issued and, on its reply or on the loss of the connection,
// becomes Closed and reports Closed to the watchers; cb runs then. While
// the client waits, new requests fail with ConnectionLoss; once it is
// Closed, with SessionExpired (ClientCnxn.queuePacket and conLossPacket).
// Between connection attempts there is nobody to tell: the client closes
// at once, and the session lives on at the servers until it expires.
// Closing a client that is not alive does nothing but run cb.
func (c *Client) Close(cb func()) {
	if cb == nil {
		c.close(nil)
		return
	}
	c.close(closeCB(cb))
}

// close is Close with its callback as a completer, nil for none.
func (c *Client) close(done completer) {
	defer c.kick()
	if !c.state.IsAlive() {
		if done != nil {
			c.post(task{done: done})
		}
		return
	}
	if done != nil {
		c.closeWaiters = append(c.closeWaiters, done)
	}
	if c.closing {
		return
	}
	p := c.newPacket(nil)
	p.msg.Req = tree.Request{Type: tree.OpCloseSession}
	c.submit(p)
	c.closing = true
	if c.cn == nil {
		c.failAll()
		c.sessionEvent(wire.StateDisconnected)
		c.closed()
	}
}

// closed ends a closing client: state Closed, a Closed event, the Close
// callbacks.
func (c *Client) closed() {
	if c.cn != nil {
		c.detach(c.cn, fmt.Errorf("%w: session closed", ErrConnClosed))
	}
	if c.redial != nil {
		c.redial.Stop()
		c.redial = nil
	}
	c.setState(Closed)
	c.failAll()
	c.sessionEvent(wire.StateClosed)
	c.finishClose()
}

// finishClose runs the Close callbacks once the client has ended.
func (c *Client) finishClose() {
	for _, done := range c.closeWaiters {
		c.post(task{done: done})
	}
	c.closeWaiters = nil
}

// AddAuth adds a digest credential, "user:password", to the session's
// connection (addAuthInfo). It is sent now if connected, and again first
// thing on every later connection. The wire protocol carries digest only
// (wire.Request has no scheme). There is no reply to wait for: the server
// handles auth packets as they arrive, so later requests see the identity;
// if the server rejects it the client ends in AuthFailed. Ignored once the
// client is not alive.
func (c *Client) AddAuth(userPassword string) {
	defer c.kick()
	if !c.state.IsAlive() {
		return
	}
	c.auth = append(c.auth, userPassword)
	if !c.closing && c.cn != nil && c.cn.established {
		c.send(c.cn, authRequest(userPassword))
	}
}

// WaitConnected calls cb with nil once the client is Connected (at once if
// it is), or with the error requests would get if the client ends first
// (SessionExpired, AuthFailed).
func (c *Client) WaitConnected(cb func(error)) { c.waitConnected(errCB(cb)) }

func (c *Client) waitConnected(done completer) {
	defer c.kick()
	switch {
	case c.state == Connected:
		c.post(task{done: done})
	case !c.state.IsAlive():
		c.post(task{done: done, err: &Error{Code: c.failCode()}})
	default:
		c.connWaiters = append(c.connWaiters, done)
	}
}
