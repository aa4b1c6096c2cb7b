package cluster

import (
	"strconv"

	"zoosim/histories"
	"zoosim/sim"
	"zoosim/tree"
	"zoosim/zab"
	"zoosim/zab/client"
	"zoosim/zab/wire"
)

// The observers that feed a run's histories.Recorder: one per client instance (client.Observer)
// and one for every server (serverObserver, hooked into the host). They only read what the
// client and the servers already did, and add nothing to the kernel (no event, no draw, no
// trace line), so a run traces the same with or without them (TestRecordingKeepsTrace).

// serverObserver sees one server's life: its boots, halts, applied txns, and each drain of its
// peer (after which the role may have changed). The host calls it from the event loop.
type serverObserver interface {
	booted(s *Server)
	halted(s *Server, err error)
	committed(s *Server, txns []*tree.Txn)
	drained(s *Server)
}

// serverRecorder records every server's life: histories.Boot at every boot, Crash when the
// runner crashes one, Role when (role, currentEpoch, leader, serving) changes, Halt when its
// software stops, and every applied txn.
type serverRecorder struct {
	rec *histories.Recorder
	w   *sim.World
	// roles is the last (role, epoch, leader, serving) recorded per server.
	// Invariant: roles[i].known is false from a boot or crash of server i until its first drain.
	roles []roleState
}

type roleState struct {
	known   bool
	role    histories.ServerRole
	epoch   int64
	leader  int
	serving bool
}

var _ serverObserver = (*serverRecorder)(nil)

func newServerRecorder(rec *histories.Recorder, w *sim.World, servers int) *serverRecorder {
	return &serverRecorder{rec: rec, w: w, roles: make([]roleState, servers)}
}

func (r *serverRecorder) now() histories.Time { return histories.Time(r.w.Now()) }

func (r *serverRecorder) booted(s *Server) {
	r.roles[s.index] = roleState{}
	r.rec.Server(r.now(), histories.ServerEvent{Server: s.index, Kind: histories.Boot, Leader: -1, Zxid: s.recovered,
		Detail: "incarnation " + strconv.Itoa(int(s.node.Incarnation()))})
}

func (r *serverRecorder) halted(s *Server, err error) {
	var z tree.Zxid
	if s.cur != nil && s.cur.peer != nil {
		z = s.cur.peer.Tree().LastZxid()
	}
	r.rec.Server(r.now(), histories.ServerEvent{Server: s.index, Kind: histories.Halt, Leader: -1, Zxid: z, Detail: oneLine(err.Error())})
}

// crashed records that the runner is about to crash server s.
func (r *serverRecorder) crashed(s *Server) {
	var z tree.Zxid
	if p := s.Peer(); p != nil {
		z = p.Tree().LastZxid()
	}
	r.roles[s.index] = roleState{}
	r.rec.Server(r.now(), histories.ServerEvent{Server: s.index, Kind: histories.Crash, Leader: -1, Zxid: z})
}

// committed records the txns the server applied; zab never reuses them, so the history keeps
// the pointers.
func (r *serverRecorder) committed(s *Server, txns []*tree.Txn) {
	now, inc := r.now(), int(s.node.Incarnation())
	for _, x := range txns {
		r.rec.Apply(now, s.index, inc, x)
	}
}

// drained records a Role event if the server's role, epoch, leader or serving state changed.
func (r *serverRecorder) drained(s *Server) {
	p := s.Peer()
	if p == nil {
		return
	}
	st := roleState{known: true, role: roleOf(p.Role()), leader: -1, serving: p.Serving()}
	_, st.epoch = p.Epochs()
	if id, ok := p.Leader(); ok {
		st.leader = int(id) - 1
	}
	if st == r.roles[s.index] {
		return
	}
	r.roles[s.index] = st
	r.rec.Server(r.now(), histories.ServerEvent{Server: s.index, Kind: histories.Role, Role: st.role, Epoch: st.epoch,
		Leader: st.leader, Serving: st.serving, Zxid: p.Tree().LastZxid()})
}

func roleOf(r zab.Role) histories.ServerRole {
	switch r {
	case zab.Leading:
		return histories.Leading
	case zab.Following:
		return histories.Following
	}
	return histories.Looking
}

// clientObserver records one client instance: each op's invoke and return, and every event
// delivered to it. A client killed and replaced gets a new observer with a new index.
type clientObserver struct {
	rec *histories.Recorder
	w   *sim.World
	c   *client.Client
	// index is the client's index in the history.
	index int
	// hosts maps the client's server indices to the ensemble's (nil: the identity).
	hosts []int
	// server is the ensemble index of the server the client last talked to on an established
	// connection, -1 before the first; a reply handled after its connection was dropped (the
	// reply to closeSession) came from it.
	server int
}

var _ client.Observer = (*clientObserver)(nil)

func (o *clientObserver) now() histories.Time { return histories.Time(o.w.Now()) }

// current returns the ensemble index of the server of the client's current connection, or the
// last one it talked to when it has none.
func (o *clientObserver) current() int {
	i := o.c.Server()
	if i < 0 {
		return o.server
	}
	if o.hosts != nil {
		i = o.hosts[i]
	}
	return i
}

func (o *clientObserver) OnInvoke(xid int32, req *tree.Request) {
	o.rec.Invoke(o.now(), o.index, o.c.SessionID(), xid, req)
}

// OnReturn records the outcome. The code is the one the caller received (client.CodeOf): the
// reply's error for a single op, the failing op's for a multi whose header said OK, the client's
// own (ConnectionLoss, SessionExpired) without a reply, which makes the outcome unknown.
func (o *clientObserver) OnReturn(xid int32, reply *wire.Reply, err error) {
	code := client.CodeOf(err)
	if reply == nil {
		o.rec.Return(o.now(), o.index, xid, code, -1, 0, nil)
		return
	}
	o.server = o.current()
	o.rec.Return(o.now(), o.index, xid, code, o.server, reply.Zxid, &reply.Result)
}

func (o *clientObserver) OnEvent(e client.Event) {
	ev := histories.Event{Client: o.index, Session: o.c.SessionID(), Type: e.Type, Path: e.Path, Zxid: e.Zxid, Server: -1}
	if e.Type != tree.EventNone {
		o.server = o.current()
		ev.Server = o.server
		o.rec.Event(o.now(), ev)
		return
	}
	switch e.State {
	case wire.StateSyncConnected:
		o.server = o.current()
		ev.State, ev.Server, ev.Timeout = histories.Connected, o.server, o.c.SessionTimeout().Milliseconds()
	case wire.StateDisconnected:
		ev.State, ev.Server = histories.Disconnected, o.server
	case wire.StateClosed:
		ev.State, ev.Server = histories.Closed, o.server
	case wire.StateExpired:
		ev.State = histories.Expired
	case wire.StateAuthFailed:
		ev.State = histories.AuthFailed
	default:
		return // read-only mode: this client never enters it
	}
	o.rec.Event(o.now(), ev)
}
