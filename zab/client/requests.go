package client

import (
	"math"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// packet is one request on its way: ClientCnxn.Packet.
type packet struct {
	// xid numbers the request; XidSetWatches for the client's own
	// setWatches. Only requests with xid > 0 are reported to the Observer.
	xid   int32
	req   tree.Request
	reg   *watchReg   // the watch to enter when the reply comes, or nil
	dereg *watchDereg // the watches to remove when the reply comes, or nil
	// done receives the outcome from the dispatch queue: the reply's
	// result (zero without a reply) and the caller's error. May be nil.
	done func(res tree.Result, err error)
}

// pingRequest is the body of every ping (xid -2).
var pingRequest = tree.Request{Type: tree.OpPing}

// nextXid numbers a request as ClientCnxn.getXid does: from 1 upwards,
// skipping from MaxInt32 back to 1, so an xid is never one of the special
// negative ones.
func (c *Client) nextXid() int32 {
	if c.xid == math.MaxInt32 {
		c.xid = 1
	}
	x := c.xid
	c.xid++
	return x
}

// submit numbers p, reports it and sends it, queues it, or fails it at once
// (ClientCnxn.queuePacket):
//
//   - after the session ended (Closed, AuthFailed): SessionExpired or
//     AuthFailed;
//   - while closing: ConnectionLoss;
//   - on an established connection: sent now, and pending;
//   - otherwise (dialing, handshaking, waiting between attempts): queued,
//     to be sent after the next ConnectResponse, or failed with
//     ConnectionLoss if the current attempt fails first (SendThread.cleanup
//     fails the outgoing queue too).
//
// Xids are handed out here, at invocation, rather than at send time as the
// Java client does; requests are sent in invocation order either way, so
// the xids on the wire still increase.
func (c *Client) submit(p *packet) {
	p.xid = c.nextXid()
	if c.cfg.Observer != nil {
		c.cfg.Observer.OnInvoke(p.xid, &p.req)
	}
	switch {
	case !c.state.IsAlive() || c.closing:
		c.finish(p, nil, c.failCode())
	case c.cn != nil && c.cn.established:
		c.sendRequest(c.cn, p)
	default:
		c.outgoing = append(c.outgoing, p)
	}
	c.kick()
}

// sendRequest makes p pending and sends it on the established cn.
func (c *Client) sendRequest(cn *conn, p *packet) {
	c.pending = append(c.pending, p)
	c.send(cn, &wire.Request{Xid: p.xid, Req: p.req})
}

// finish completes p with the reply, or with rc alone when the client fails
// it (ClientCnxn.finishPacket): the watch (de)registration happens now, so
// a notification that follows on the connection sees it; the callback is
// queued, behind any watch-removed events of the same call.
func (c *Client) finish(p *packet, reply *wire.Reply, rc tree.Code) {
	if p.reg != nil {
		c.watches.register(p.reg, rc)
	}
	if p.dereg != nil {
		code, gone := c.watches.deregister(p.dereg, rc)
		st := removedState(rc)
		for _, r := range []struct {
			t  tree.EventType
			ws []*Watcher
		}{
			{tree.EventChildWatchRemoved, gone.child},
			{tree.EventDataWatchRemoved, gone.data},
			{tree.EventPersistentWatchRemoved, gone.persistent},
		} {
			if len(r.ws) > 0 {
				c.deliver(Event{Type: r.t, State: st, Path: p.dereg.path}, r.ws)
			}
		}
		rc = code
	}
	var res tree.Result
	if reply != nil {
		res = reply.Result
		if rc == tree.OK && p.req.Type == tree.OpMulti {
			rc = firstError(res.Multi)
		}
	}
	var err error
	if rc != tree.OK {
		err = &Error{Code: rc, Op: p.req.Type, Path: p.req.Path}
	}
	if p.xid <= 0 && p.done == nil {
		return
	}
	c.post(func() {
		if c.cfg.Observer != nil && p.xid > 0 {
			c.cfg.Observer.OnReturn(p.xid, reply, err)
		}
		if p.done != nil {
			p.done(res, err)
		}
	})
}

// firstError is the code of a multi whose header said OK: the first op
// result that is not OK (the async MultiCallback's rc).
func firstError(results []tree.Result) tree.Code {
	for _, r := range results {
		if r.Err != tree.OK {
			return r.Err
		}
	}
	return tree.OK
}

// failAll fails every pending and every queued request, in that order
// (SendThread.cleanup), with the code for the current state.
func (c *Client) failAll() {
	code := c.failCode()
	ps := append(c.pending, c.outgoing...)
	c.pending, c.outgoing = nil, nil
	for _, p := range ps {
		c.finish(p, nil, code)
	}
}
