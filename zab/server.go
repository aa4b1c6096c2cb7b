package zab

import (
	"encoding/binary"
	"slices"
	"time"

	"zoosim/internal/fifo"
	"zoosim/tree"
	"zoosim/zab/wire"
)

// connState is where a client connection is in its session's life.
type connState uint8

const (
	connNew     connState = iota // waiting for ConnectRequest
	connWaiting                  // createSession proposed or REVALIDATE sent
	connActive                   // serving requests
)

// queued is a request of one session waiting for its turn to be answered.
type queued struct {
	xid     int32
	req     tree.Request
	write   bool // a write or sync: answered when it commits (or the SYNC returns)
	arrived time.Duration
}

type clientConn struct {
	id      uint64
	state   connState
	session tree.SessionID
	timeout int32
	auth    tree.Auth
	// Invariant: queue holds the session's unanswered requests in arrival order, and its head
	// is never a read (reads at the head are answered at once): replies leave in FIFO order,
	// errors included (A13.3).
	queue fifo.Queue[queued]
}

// serverState is the client-facing ZooKeeperServer of one Peer: connections, per-session
// request order, and the watch registry (A8–A10, A13).
type serverState struct {
	serving bool
	// Invariant: conns holds every open client connection by host id; bySession the one
	// connection of each session on this server (a newer connection replaces an older).
	conns     map[uint64]*clientConn
	bySession map[tree.SessionID]*clientConn
	watches   *tree.Watches
	events    []tree.WatchEvent
}

func (s *serverState) init() {
	s.conns = map[uint64]*clientConn{}
	s.bySession = map[tree.SessionID]*clientConn{}
	s.watches = tree.NewWatches()
}

// start begins serving clients (the ZooKeeperServer starts after UPTODATE, or when the leader
// is established).
func (s *serverState) start(p *Peer) { s.serving = true }

// shutdown closes every client connection: clients fail over to another server, and a
// restarted server starts with no watches (ZooKeeperServer.shutdown).
func (s *serverState) shutdown(p *Peer) {
	for _, c := range s.sortedConns() {
		p.send(Envelope{Kind: CloseClient, Conn: c.id})
	}
	s.serving = false
	s.init()
}

func (s *serverState) resetWatches() { s.watches = tree.NewWatches() }

func (s *serverState) sortedConns() []*clientConn {
	out := make([]*clientConn, 0, len(s.conns))
	for _, c := range s.conns {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *clientConn) int { return cmpU64(a.id, b.id) })
	return out
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ClientUp reports a new client connection. A server that is not serving closes it at once, as
// a ZooKeeper server that is not running does.
func (p *Peer) ClientUp(now time.Duration, conn uint64) {
	p.now = now
	if !p.srv.serving {
		p.send(Envelope{Kind: CloseClient, Conn: conn})
		return
	}
	p.srv.conns[conn] = &clientConn{id: conn}
}

// ClientDown reports that a client connection closed. The session lives on (only the leader
// expires sessions); its watches on this server go (ZooKeeper removes a closed connection's
// watches).
func (p *Peer) ClientDown(now time.Duration, conn uint64) {
	p.now = now
	p.srv.drop(conn)
}

func (s *serverState) drop(conn uint64) {
	c, ok := s.conns[conn]
	if !ok {
		return
	}
	delete(s.conns, conn)
	if c.session != 0 && s.bySession[c.session] == c {
		delete(s.bySession, c.session)
		s.watches.RemoveSession(c.session)
	}
}

func (p *Peer) closeClient(c *clientConn) {
	p.send(Envelope{Kind: CloseClient, Conn: c.id})
	p.srv.drop(c.id)
}

// ClientMessage handles a frame from a client. The peer keeps nothing of a *wire.Request past
// the call (it copies the request), so a host can decode every request into one struct.
func (p *Peer) ClientMessage(now time.Duration, conn uint64, m wire.ClientMessage) {
	p.now = now
	c, ok := p.srv.conns[conn]
	if !ok {
		return
	}
	switch m := m.(type) {
	case *wire.ConnectRequest:
		if c.state != connNew {
			p.closeClient(c)
			return
		}
		p.connect(c, m)
	case *wire.Request:
		if c.state != connActive {
			p.closeClient(c)
			return
		}
		p.request(c, m)
	default:
		p.closeClient(c)
	}
}

// Password returns the password of a session: any server can check it without shared state
// (ZooKeeper derives it from the session id and a secret).
func Password(id tree.SessionID) []byte {
	b := make([]byte, 16)
	x := uint64(id) ^ 0x5a4b_3c2d_1e0f_a5b6
	for i := 0; i < 2; i++ {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		binary.BigEndian.PutUint64(b[8*i:], z^z>>31)
	}
	return b
}

// negotiate clamps a requested timeout (A9).
func (p *Peer) negotiate(requested int32) int32 {
	lo, hi := int32(p.cfg.MinSessionTimeout.Milliseconds()), int32(p.cfg.MaxSessionTimeout.Milliseconds())
	return min(max(requested, lo), hi)
}

// connect handles a ConnectRequest (ZooKeeperServer.processConnectRequest, A9).
func (p *Peer) connect(c *clientConn, m *wire.ConnectRequest) {
	if m.LastZxidSeen > p.data.tree.LastZxid() {
		// "Refusing session request ... client must try another server" (CLIENT_ZXID_AHEAD).
		p.stats.refused++
		p.closeClient(c)
		return
	}
	c.timeout = p.negotiate(m.Timeout)
	if m.SessionID == 0 {
		id := tree.SessionID(p.sessionBase)
		p.sessionBase++
		p.bindSession(c, id)
		c.state = connWaiting
		p.submit(c, &wire.Forward{Session: id, Owner: p.cfg.ID,
			Req: tree.Request{Type: tree.OpCreateSession, Timeout: c.timeout}, Passwd: Password(id)})
		return
	}
	if !slices.Equal(m.Passwd, Password(m.SessionID)) {
		p.sendClient(c, &wire.ConnectResponse{})
		p.closeClient(c)
		return
	}
	p.bindSession(c, m.SessionID)
	c.state = connWaiting
	if p.leader != nil {
		p.revalidatedConn(c, p.leader.sessions.revalidate(p, m.SessionID, p.cfg.ID, c.timeout))
		return
	}
	p.sendPacket(p.learner.link, &wire.Packet{Type: wire.PacketRevalidate, Session: m.SessionID, Timeout: c.timeout})
}

func (p *Peer) bindSession(c *clientConn, id tree.SessionID) {
	if old, ok := p.srv.bySession[id]; ok && old != c {
		p.closeClient(old)
	}
	c.session = id
	p.srv.bySession[id] = c
}

// revalidated handles the leader's answer to REVALIDATE.
func (s *serverState) revalidated(p *Peer, id tree.SessionID, valid bool) {
	if c, ok := s.bySession[id]; ok && c.state == connWaiting {
		p.revalidatedConn(c, valid)
	}
}

func (p *Peer) revalidatedConn(c *clientConn, valid bool) {
	if !valid {
		// Timeout 0 tells the client its session expired (A9).
		p.sendClient(c, &wire.ConnectResponse{SessionID: c.session})
		p.closeClient(c)
		return
	}
	c.state = connActive
	p.sendClient(c, &wire.ConnectResponse{Timeout: c.timeout, SessionID: c.session, Passwd: Password(c.session)})
}

func (p *Peer) sendClient(c *clientConn, m wire.ClientMessage) {
	p.send(Envelope{Kind: SendClient, Conn: c.id, Client: m})
}

// sendEvent sends a triggered watch's event to c, as of zxid.
func (p *Peer) sendEvent(c *clientConn, ev tree.WatchEvent, zxid tree.Zxid) {
	p.rd.events = append(p.rd.events, wire.Event{Type: ev.Type, State: wire.StateSyncConnected, Path: ev.Path, Zxid: zxid})
	p.sendClient(c, &p.rd.events[len(p.rd.events)-1])
}

// isWrite reports whether an op goes through the leader as a txn.
func isWrite(op tree.OpCode) bool {
	switch op {
	case tree.OpCreate, tree.OpCreate2, tree.OpCreateContainer, tree.OpCreateTTL, tree.OpDelete,
		tree.OpSetData, tree.OpSetACL, tree.OpCheck, tree.OpMulti, tree.OpCloseSession, tree.OpSync:
		return true
	}
	return false
}

// request handles a client request: it touches the session, forwards writes and syncs to the
// leader at once, and answers in arrival order (CommitProcessor's per-session order, A10).
func (p *Peer) request(c *clientConn, m *wire.Request) {
	p.touch(c)
	if err := tree.CheckRequestSize(&m.Req); err != nil {
		// The server drops an oversized frame's connection (A12): the client sees ConnectionLoss.
		p.closeClient(c)
		return
	}
	q := queued{xid: m.Xid, req: m.Req, write: isWrite(m.Req.Type), arrived: p.now}
	c.queue.Push(q)
	p.stats.requests++
	if q.write {
		f := &wire.Forward{Session: c.session, Cxid: m.Xid, Owner: p.cfg.ID, Req: m.Req, Auth: c.auth}
		p.submit(c, f)
		return
	}
	p.drain(c)
}

// submit sends a write to the leader: proposed here when leading, forwarded otherwise.
func (p *Peer) submit(c *clientConn, f *wire.Forward) {
	if p.leader != nil {
		p.leaderSubmit(f, nil)
		return
	}
	p.forward(f)
}

func (p *Peer) touch(c *clientConn) {
	if p.leader != nil {
		p.leader.sessions.touch(p, c.session, c.timeout)
		return
	}
	if p.learner != nil {
		p.learner.touches[c.session] = c.timeout
	}
}

// drain answers the reads at the head of a session's queue.
func (p *Peer) drain(c *clientConn) {
	for c.queue.Len() > 0 && !c.queue.Front().write {
		q := c.queue.Pop()
		p.answerRead(c, q)
		if p.srv.conns[c.id] != c {
			return
		}
	}
}

func (p *Peer) answerRead(c *clientConn, q queued) {
	if q.req.Type == tree.OpAuth {
		// addAuth("digest", "user:password"); other schemes fail as AuthFailed.
		code := tree.OK
		if q.req.Path == "digest" || q.req.Path == "" {
			c.auth = c.auth.AddDigest(string(q.req.Data), "")
		} else {
			code = tree.AuthFailed
		}
		p.reply(c, q, wire.Reply{Xid: q.xid, Zxid: p.data.tree.LastZxid(), Err: code, Result: tree.Result{Type: tree.OpAuth, Err: code}})
		return
	}
	res, evs := p.data.tree.Read(&q.req, c.session, c.auth, p.srv.watches)
	for _, ev := range evs {
		p.sendEvent(c, ev, p.data.tree.LastZxid())
	}
	p.reply(c, q, wire.Reply{Xid: q.xid, Zxid: p.data.tree.LastZxid(), Err: res.Err, Result: res})
}

func (p *Peer) reply(c *clientConn, q queued, r wire.Reply) {
	if q.xid != wire.XidPing {
		p.stats.latency(p.now - q.arrived)
	}
	p.rd.replies = append(p.rd.replies, r)
	p.sendClient(c, &p.rd.replies[len(p.rd.replies)-1])
}

// syncDone completes a sync: its reply reflects everything the leader had committed when it
// processed the sync (A10).
func (s *serverState) syncDone(p *Peer, id tree.SessionID, cxid int32) {
	c, ok := s.bySession[id]
	if !ok || c.queue.Len() == 0 || c.queue.Front().xid != cxid || c.queue.Front().req.Type != tree.OpSync {
		return
	}
	q := c.queue.Pop()
	p.reply(c, q, wire.Reply{Xid: q.xid, Zxid: p.data.tree.LastZxid(), Result: tree.Result{Type: tree.OpSync, Path: q.req.Path}})
	p.drain(c)
}

// apply applies a committed txn: the tree changes, watches fire, the session that sent it gets
// its reply, and session txns take effect (FinalRequestProcessor).
func (p *Peer) apply(x *tree.Txn) {
	if len(p.early) > 0 { // only ReadFromUncommitted fills it: skip the lookup otherwise
		if e, ok := p.early[x.Zxid]; ok {
			delete(p.early, x.Zxid)
			p.finish(x, e.prev, &e.res)
			return
		}
	}
	prev := p.data.tree.LastZxid()
	a := p.data.tree.Apply(x)
	if a.Skipped {
		return
	}
	if a.DigestErr != nil {
		p.stats.digestErrors++
		p.stats.note(p.now, a.DigestErr.Error())
	}
	if !p.variant.watchAfterReply {
		p.fire(x.Zxid, a.Changes)
		p.finish(x, prev, &a.Result)
	} else {
		changes := slices.Clone(a.Changes)
		p.finish(x, prev, &a.Result)
		p.fire(x.Zxid, changes)
	}
}

// earlyResult is a txn applied before its commit (ReadFromUncommitted).
type earlyResult struct {
	res  tree.Result
	prev tree.Zxid
}

// applyEarly is ReadFromUncommitted's flaw: the txn is applied when logged; its reply waits for
// the commit.
func (p *Peer) applyEarly(x *tree.Txn) {
	prev := p.data.tree.LastZxid()
	a := p.data.tree.Apply(x)
	if a.Skipped {
		return
	}
	if p.early == nil {
		p.early = map[tree.Zxid]earlyResult{}
	}
	p.early[x.Zxid] = earlyResult{res: a.Result, prev: prev}
	p.fire(x.Zxid, a.Changes)
}

// fire sends the watch events of one txn to the sessions connected here, in trigger order.
func (p *Peer) fire(zxid tree.Zxid, changes []tree.Change) {
	s := &p.srv
	s.events = s.watches.Trigger(changes, s.events[:0])
	for _, ev := range s.events {
		if c, ok := s.bySession[ev.Session]; ok && c.state == connActive {
			p.sendEvent(c, ev, zxid)
		}
	}
}

// finish does what follows the tree change: bookkeeping, the reply, session effects, and the
// periodic snapshot. res is read, not kept (it is large: passed by pointer, not copied).
func (p *Peer) finish(x *tree.Txn, prev tree.Zxid, res *tree.Result) {
	p.data.noteCommitted(x, p.cfg.CommittedLogSize)
	p.rd.Committed = append(p.rd.Committed, x)
	p.data.sinceSnap++
	s := &p.srv
	c := s.bySession[x.Session]
	switch {
	case x.Type == tree.OpCreateSession:
		if p.leader != nil {
			p.leader.sessions.ensure(p, x.Session, x.Timeout)
		}
		if c != nil && c.state == connWaiting {
			c.state = connActive
			p.sendClient(c, &wire.ConnectResponse{Timeout: c.timeout, SessionID: c.session, Passwd: Password(c.session)})
		}
	case x.Type == tree.OpCloseSession:
		if p.leader != nil {
			p.leader.sessions.remove(x.Session)
		}
		if c != nil {
			if c.queue.Len() > 0 && c.queue.Front().xid == x.Cxid && c.queue.Front().req.Type == tree.OpCloseSession {
				q := c.queue.Pop()
				p.reply(c, q, wire.Reply{Xid: q.xid, Zxid: x.Zxid, Result: *res})
			}
			p.closeClient(c)
		}
	case c != nil && c.state == connActive && c.queue.Len() > 0 && c.queue.Front().xid == x.Cxid && c.queue.Front().write:
		if res.Err == tree.SessionMoved {
			// A connection-level error: the server closes the connection without a reply, so
			// the client sees ConnectionLoss (FinalRequestProcessor, ZOOKEEPER-710).
			p.closeClient(c)
			break
		}
		q := c.queue.Pop()
		p.reply(c, q, wire.Reply{Xid: q.xid, Zxid: x.Zxid, Err: res.Err, Result: *res})
		p.drain(c)
	}
	if p.data.sinceSnap >= p.cfg.SnapCount {
		snap := p.data.takeSnapshot()
		p.disk(DiskOp{Kind: DiskSnapshot, Zxid: p.data.snapZxid, Snapshot: snap})
		p.disk(DiskOp{Kind: DiskPurge, Retain: p.cfg.SnapRetainCount})
		p.stats.snapshots++
	}
}
