package client

import (
	"container/heap"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// loop is a manual event loop: a virtual clock and a timer heap ordered by
// (time, sequence number), the kernel's rule in miniature.
type loop struct {
	now  time.Duration
	seq  int
	heap timerHeap
}

type timer struct {
	at      time.Duration
	seq     int
	fn      func()
	stopped bool
	fired   bool
}

func (t *timer) Stop() bool {
	if t.stopped || t.fired {
		return false
	}
	t.stopped = true
	return true
}

type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(*timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

func (l *loop) after(d time.Duration, fn func()) *timer {
	if d < 0 {
		panic("negative delay")
	}
	l.seq++
	t := &timer{at: l.now + d, seq: l.seq, fn: fn}
	heap.Push(&l.heap, t)
	return t
}

// runUntil runs every event due at or before end, then sets the clock to end.
func (l *loop) runUntil(end time.Duration) {
	for l.heap.Len() > 0 && l.heap[0].at <= end {
		t := heap.Pop(&l.heap).(*timer)
		if t.stopped {
			continue
		}
		l.now = t.at
		t.fired = true
		t.fn()
	}
	if end > l.now {
		l.now = end
	}
}

func (l *loop) run(d time.Duration) { l.runUntil(l.now + d) }

// runWhile runs events one at a time while cond holds, failing after limit.
func (l *loop) runWhile(t testing.TB, limit time.Duration, cond func() bool) {
	t.Helper()
	end := l.now + limit
	for cond() {
		if l.heap.Len() == 0 || l.heap[0].at > end {
			t.Fatalf("condition still holds after %v", limit)
		}
		t1 := heap.Pop(&l.heap).(*timer)
		if t1.stopped {
			continue
		}
		l.now = t1.at
		t1.fired = true
		t1.fn()
	}
}

// latency is the one-way delay of every hop of the fake network.
const latency = time.Millisecond

// cluster is the fake ensemble: servers sharing one tiny in-memory tree, a
// session table and a zxid counter, reached through a FIFO fake network.
type cluster struct {
	t        testing.TB
	l        *loop
	rng      *rand.Rand
	servers  []*server
	dials    []int // the server of every Dial, in order
	zxid     tree.Zxid
	nodes    map[string]*fnode
	sessions map[tree.SessionID]*fsession
	nextSess tree.SessionID
	// negotiate maps a requested timeout to the one granted (ms).
	negotiate func(requested int32) int32
	// rand, if set, replaces the seeded stream behind Env.Rand.
	rand func(n int) int
	// dialAt is the virtual time of every Dial, in order.
	dialAt []time.Duration
}

type fnode struct {
	data []byte
	stat tree.Stat
}

type fsession struct {
	passwd  []byte
	expired bool
}

type serverMode int

const (
	modeUp        serverMode = iota
	modeRefuse               // the transport connection is refused
	modeBlackhole            // the dial never completes
)

type server struct {
	id    int
	cl    *cluster
	mode  serverMode
	lag   tree.Zxid // how far behind the cluster's zxid this server is
	mute  bool      // accept the session, then never send anything
	hold  bool      // queue requests in inbox instead of answering them
	inbox []held
	conns []*sconn
	recv  []wire.ClientMessage // every message received, in order
	// recvAt is the virtual time each message of recv arrived.
	recvAt []time.Duration
}

type held struct {
	sc  *sconn
	req *wire.Request
}

// sconn is both ends of one fake connection; the client holds it as Conn.
type sconn struct {
	srv          *server
	h            ConnHandler
	clientClosed bool
	serverClosed bool
	established  bool
	session      tree.SessionID
}

var errRefused = errors.New("connection refused")

func newCluster(t testing.TB, n int, seed uint64) *cluster {
	cl := &cluster{
		t:        t,
		l:        &loop{},
		rng:      rand.New(rand.NewPCG(seed, 0)),
		zxid:     0x100000000,
		nodes:    map[string]*fnode{"/": {}},
		sessions: map[tree.SessionID]*fsession{},
		nextSess: 0x1000,
	}
	cl.negotiate = func(r int32) int32 { return r }
	for i := range n {
		cl.servers = append(cl.servers, &server{id: i, cl: cl})
	}
	return cl
}

// env is the Env the client sees.
type env struct{ cl *cluster }

func (e env) Now() time.Duration { return e.cl.l.now }
func (e env) After(d time.Duration, fn func()) Timer {
	return e.cl.l.after(d, fn)
}
func (e env) Rand(n int) int {
	if e.cl.rand != nil {
		return e.cl.rand(n)
	}
	return e.cl.rng.IntN(n)
}
func (e env) Dial(i int, h ConnHandler) Conn {
	cl := e.cl
	srv := cl.servers[i]
	sc := &sconn{srv: srv, h: h}
	cl.dials = append(cl.dials, i)
	cl.dialAt = append(cl.dialAt, cl.l.now)
	switch srv.mode {
	case modeUp:
		cl.l.after(latency, func() {
			if !sc.clientClosed {
				srv.conns = append(srv.conns, sc)
				h.Connected()
			}
		})
	case modeRefuse:
		cl.l.after(latency, func() {
			if !sc.clientClosed {
				h.Closed(errRefused)
			}
		})
	}
	return sc
}

// Send delivers a frame to the server after the latency.
func (sc *sconn) Send(frame []byte) error {
	if sc.clientClosed || sc.serverClosed {
		return errors.New("send on closed connection")
	}
	frame = slices.Clone(frame)
	sc.srv.cl.l.after(latency, func() {
		if !sc.serverClosed {
			sc.srv.receive(sc, frame)
		}
	})
	return nil
}

func (sc *sconn) Close() { sc.clientClosed = true }

// sendRaw delivers a frame to the client after the latency, behind
// everything sent before on this connection.
func (sc *sconn) sendRaw(frame []byte) {
	if sc.serverClosed {
		return
	}
	sc.srv.cl.l.after(latency, func() {
		if !sc.clientClosed {
			sc.h.Received(frame)
		}
	})
}

func (sc *sconn) send(m wire.ClientMessage) {
	if sc.srv.mute {
		return
	}
	sc.sendRaw(wire.AppendClientMessage(nil, m))
}

// close closes the connection from the server's side.
func (sc *sconn) close() {
	if sc.serverClosed {
		return
	}
	sc.serverClosed = true
	sc.srv.cl.l.after(latency, func() {
		if !sc.clientClosed {
			sc.h.Closed(errors.New("closed by server"))
		}
	})
}

func (s *server) zxid() tree.Zxid { return s.cl.zxid - s.lag }

// live returns the server's established connections still open.
func (s *server) live() []*sconn {
	var out []*sconn
	for _, sc := range s.conns {
		if sc.established && !sc.serverClosed && !sc.clientClosed {
			out = append(out, sc)
		}
	}
	return out
}

// notify sends a watch event on every live connection.
func (s *server) notify(t tree.EventType, path string) {
	for _, sc := range s.live() {
		sc.send(&wire.Event{Type: t, State: wire.StateSyncConnected, Path: path, Zxid: -1})
	}
}

// dropAll closes every connection from the server's side.
func (s *server) dropAll() {
	for _, sc := range s.conns {
		sc.close()
	}
}

func (s *server) receive(sc *sconn, frame []byte) {
	cl := s.cl
	m, err := wire.DecodeClientMessage(frame)
	if err != nil {
		cl.t.Errorf("server %d: undecodable frame from the client: %v", s.id, err)
		return
	}
	s.recv = append(s.recv, m)
	s.recvAt = append(s.recvAt, cl.l.now)
	if !sc.established {
		req, ok := m.(*wire.ConnectRequest)
		if !ok {
			cl.t.Errorf("server %d: %T before ConnectRequest", s.id, m)
			sc.close()
			return
		}
		s.connect(sc, req)
		return
	}
	r, ok := m.(*wire.Request)
	if !ok {
		cl.t.Errorf("server %d: unexpected %T", s.id, m)
		return
	}
	switch r.Xid {
	case wire.XidPing:
		sc.send(&wire.Reply{Xid: wire.XidPing, Zxid: s.zxid()})
	case wire.XidAuth:
		if string(r.Req.Data) == "bad:auth" {
			sc.send(&wire.Reply{Xid: wire.XidAuth, Zxid: s.zxid(), Err: tree.AuthFailed})
			sc.close()
			return
		}
		sc.send(&wire.Reply{Xid: wire.XidAuth, Zxid: s.zxid()})
	case wire.XidSetWatches:
		sc.send(&wire.Reply{Xid: wire.XidSetWatches, Zxid: s.zxid()})
	default:
		if s.hold {
			s.inbox = append(s.inbox, held{sc, r})
			return
		}
		s.answer(sc, r)
	}
}

// connect answers a ConnectRequest as ZooKeeperServer.processConnectRequest
// does: refuse (close) a client ahead of this server, answer timeout 0 to
// an unknown or expired session, else accept.
func (s *server) connect(sc *sconn, req *wire.ConnectRequest) {
	cl := s.cl
	if req.LastZxidSeen > s.zxid() {
		sc.close()
		return
	}
	id := req.SessionID
	if id == 0 {
		cl.nextSess++
		id = cl.nextSess
		cl.sessions[id] = &fsession{passwd: []byte("secret")}
	} else if s := cl.sessions[id]; s != nil && string(s.passwd) != string(req.Passwd) {
		s = nil
		id = -1
	}
	sess := cl.sessions[id]
	if sess == nil || sess.expired {
		sc.send(&wire.ConnectResponse{})
		sc.close()
		return
	}
	sc.established = true
	sc.session = id
	sc.send(&wire.ConnectResponse{Timeout: cl.negotiate(req.Timeout), SessionID: id, Passwd: sess.passwd})
}

// answer serves one request from the tiny tree.
func (s *server) answer(sc *sconn, r *wire.Request) {
	res, code, write := s.cl.exec(&r.Req)
	if write {
		s.cl.zxid++
	}
	sc.send(&wire.Reply{Xid: r.Xid, Zxid: s.zxid(), Err: code, Result: res})
	if r.Req.Type == tree.OpCloseSession {
		sc.close()
	}
}

// reply answers a held request with the given code and result.
func (s *server) reply(h held, code tree.Code, res tree.Result) {
	h.sc.send(&wire.Reply{Xid: h.req.Xid, Zxid: s.zxid(), Err: code, Result: res})
}

// requests returns the requests (not pings) the server received.
func (s *server) requests() []*wire.Request {
	var out []*wire.Request
	for _, m := range s.recv {
		if r, ok := m.(*wire.Request); ok && r.Xid != wire.XidPing {
			out = append(out, r)
		}
	}
	return out
}

// exec runs a request against the tiny tree: enough of ZooKeeper for the
// client's tests, not a model of it.
func (cl *cluster) exec(req *tree.Request) (res tree.Result, code tree.Code, write bool) {
	res.Type = req.Type
	n := cl.nodes[req.Path]
	switch req.Type {
	case tree.OpCreate, tree.OpCreate2, tree.OpCreateContainer, tree.OpCreateTTL:
		parent := cl.nodes[tree.ParentPath(req.Path)]
		switch {
		case n != nil:
			return res, tree.NodeExists, true
		case parent == nil:
			return res, tree.NoNode, true
		}
		cl.nodes[req.Path] = &fnode{data: req.Data, stat: tree.Stat{Czxid: cl.zxid + 1, Mzxid: cl.zxid + 1, DataLength: int32(len(req.Data))}}
		parent.stat.NumChildren++
		res.Path = req.Path
		res.Stat, res.HasStat = cl.nodes[req.Path].stat, req.Type != tree.OpCreate
		return res, tree.OK, true
	case tree.OpDelete:
		if n == nil {
			return res, tree.NoNode, true
		}
		delete(cl.nodes, req.Path)
		cl.nodes[tree.ParentPath(req.Path)].stat.NumChildren--
		return res, tree.OK, true
	case tree.OpSetData:
		switch {
		case n == nil:
			return res, tree.NoNode, true
		case req.Version != -1 && req.Version != n.stat.Version:
			return res, tree.BadVersion, true
		}
		n.data = req.Data
		n.stat.Version++
		n.stat.Mzxid = cl.zxid + 1
		res.Stat, res.HasStat = n.stat, true
		return res, tree.OK, true
	case tree.OpExists, tree.OpGetData, tree.OpGetChildren, tree.OpGetChildren2, tree.OpGetACL:
		if n == nil {
			return res, tree.NoNode, false
		}
		res.Stat, res.HasStat = n.stat, req.Type != tree.OpGetChildren
		switch req.Type {
		case tree.OpGetData:
			res.Data = n.data
		case tree.OpGetChildren, tree.OpGetChildren2:
			res.Children = cl.children(req.Path)
		case tree.OpGetACL:
			res.ACL = tree.OpenACLUnsafe
		}
		return res, tree.OK, false
	case tree.OpCloseSession:
		return res, tree.OK, true
	case tree.OpSync, tree.OpAddWatch, tree.OpCheckWatches, tree.OpRemoveWatches:
		return res, tree.OK, false
	}
	return res, tree.Unimplemented, false
}

func (cl *cluster) children(path string) []string {
	kids := []string{}
	for p := range cl.nodes {
		if p != "/" && tree.ParentPath(p) == path {
			kids = append(kids, p[strings.LastIndexByte(p, '/')+1:])
		}
	}
	slices.Sort(kids)
	return kids
}
