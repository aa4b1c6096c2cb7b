package client

import (
	"math"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// packet is one request on its way: ClientCnxn.Packet. A packet belongs to
// exactly one place at a time: the outgoing or pending queue, the dispatch
// queue (once finished), or the client's free list, so the steady state of
// a request allocates no packet.
type packet struct {
	// msg is the frame as sent: the xid (XidSetWatches for the client's own
	// setWatches; only requests with xid > 0 are reported to the Observer)
	// and the request. Kept in the packet so sending it allocates nothing.
	msg   wire.Request
	reg   watchReg    // the watch to enter when the reply comes; reg.w == nil for none
	dereg *watchDereg // the watches to remove when the reply comes, or nil
	// done receives the outcome from the dispatch queue. May be nil.
	done completer
	// replied, reply and err are the outcome finish decided, for the
	// dispatch queue: whether a reply came, a copy of it (the decoder
	// reuses its own; the slices in it are fresh and go to the caller
	// uncopied), and the caller's error.
	replied bool
	reply   wire.Reply
	err     error
}

// completer receives the outcome of a call from the dispatch queue: the
// reply's result (zero without a reply) and the caller's error. res is
// valid only during the call. Each API callback type is a completer (see
// callbacks.go), and so is Session, so the way back to the caller needs no
// closure of its own.
type completer interface {
	complete(res *tree.Result, err error)
}

// newPacket returns a cleared packet, from the free list when it has one.
func (c *Client) newPacket(done completer) *packet {
	var p *packet
	if n := len(c.free); n > 0 {
		p = c.free[n-1]
		c.free[n-1] = nil
		c.free = c.free[:n-1]
	} else {
		p = new(packet)
	}
	p.done = done
	return p
}

// release clears p, so it holds on to nothing, and keeps it for reuse.
func (c *Client) release(p *packet) {
	*p = packet{}
	c.free = append(c.free, p)
}

// packetQueue is a FIFO of packets that reuses its array: popping the last
// packet rewinds it, and a full array whose front was popped is compacted
// before it would grow, so a queue that holds a few packets at a time
// stops allocating.
type packetQueue struct {
	buf  []*packet
	head int
}

func (q *packetQueue) len() int { return len(q.buf) - q.head }

func (q *packetQueue) push(p *packet) {
	if len(q.buf) == cap(q.buf) && q.head > 0 {
		n := copy(q.buf, q.buf[q.head:])
		clear(q.buf[n:])
		q.buf, q.head = q.buf[:n], 0
	}
	q.buf = append(q.buf, p)
}

// front returns the oldest packet; the queue must not be empty.
func (q *packetQueue) front() *packet { return q.buf[q.head] }

// pop removes and returns the oldest packet; the queue must not be empty.
func (q *packetQueue) pop() *packet {
	p := q.buf[q.head]
	q.buf[q.head] = nil
	q.head++
	if q.head == len(q.buf) {
		q.buf, q.head = q.buf[:0], 0
	}
	return p
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
//
// The request may still point into the caller's buffers (data, ACL, ops):
// the API does not copy them, since a request sent now is encoded before
// submit returns. Only a queued request outlives the call, so only that one
// gets copies of its own (own); the others drop the references (forget).
func (c *Client) submit(p *packet) {
	p.msg.Xid = c.nextXid()
	failed := !c.state.IsAlive() || c.closing
	sendNow := !failed && c.cn != nil && c.cn.established
	if !failed && !sendNow {
		own(&p.msg.Req)
	}
	if c.cfg.Observer != nil {
		c.cfg.Observer.OnInvoke(p.msg.Xid, &p.msg.Req)
	}
	switch {
	case failed:
		forget(&p.msg.Req)
		c.finish(p, nil, c.failCode())
	case sendNow:
		c.sendRequest(c.cn, p)
	default:
		c.outgoing.push(p)
	}
	c.kick()
}

// own replaces the caller's slices in req by copies, for a request that
// waits in the outgoing queue while the caller may reuse its buffers.
// Strings are immutable and need no copy.
func own(req *tree.Request) {
	req.Data = cloneBytes(req.Data)
	req.ACL = cloneACL(req.ACL)
	if req.Ops != nil {
		ops := make([]tree.Request, len(req.Ops))
		for i := range req.Ops {
			ops[i] = req.Ops[i]
			own(&ops[i])
		}
		req.Ops = ops
	}
}

// forget drops the slices of req that may be the caller's, once the
// request is encoded or failed: nothing reads them afterwards (finish needs
// only the type and path), and the client keeps no reference into memory
// the caller may reuse.
func forget(req *tree.Request) {
	req.Data, req.ACL, req.Ops = nil, nil, nil
}

// sendRequest makes p pending and sends it on the established cn.
func (c *Client) sendRequest(cn *conn, p *packet) {
	c.pending.push(p)
	c.send(cn, &p.msg)
	forget(&p.msg.Req)
}

// finish completes p with the reply, or with rc alone when the client fails
// it (ClientCnxn.finishPacket): the watch (de)registration happens now, so
// a notification that follows on the connection sees it; the callback is
// queued, behind any watch-removed events of the same call. p must not be
// used after finish: the dispatch queue releases it. reply may be the
// decoder's: finish keeps a copy, not the pointer.
func (c *Client) finish(p *packet, reply *wire.Reply, rc tree.Code) {
	if p.reg.w != nil {
		c.watches.register(&p.reg, rc)
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
	if reply != nil && rc == tree.OK && p.msg.Req.Type == tree.OpMulti {
		rc = firstError(reply.Result.Multi)
	}
	var err error
	if rc != tree.OK {
		err = &Error{Code: rc, Op: p.msg.Req.Type, Path: p.msg.Req.Path}
	}
	if p.msg.Xid <= 0 && p.done == nil {
		c.release(p)
		return
	}
	if reply != nil {
		p.replied, p.reply = true, *reply
	}
	p.err = err
	c.post(task{p: p})
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
	for _, q := range []*packetQueue{&c.pending, &c.outgoing} {
		for q.len() > 0 {
			c.finish(q.pop(), nil, code)
		}
	}
}
