package models

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"zoosim/histories"
	"zoosim/tree"
)

// ordBuilder simulates a correct ensemble closely enough to write histories by hand or at
// random: server 0 leads, prepares each write with tree.Preparer and commits it by applying it
// at once; the other servers apply the committed log when told to catch up, so they serve reads
// from an older state, as followers do. Every record goes through a histories.Recorder, so the
// histories look like the ones a run writes.
type ordBuilder struct {
	t     testing.TB
	rec   *histories.Recorder
	now   histories.Time
	step  histories.Time // how far each record moves the clock
	epoch int64
	count int64 // the zxid counter of the epoch
	trees []*tree.Tree
	prep  *tree.Preparer
	log   []*tree.Txn
	// applied[s] is how much of log server s has applied.
	applied []int
	clients map[int]*ordClient
	// ops in flight: op ID to what completes it.
	inflight map[int]*ordInflight
}

type ordClient struct {
	session tree.SessionID
	server  int
	xid     int32
	timeout int64
	seen    tree.Zxid
}

type ordInflight struct {
	client int
	txn    *tree.Txn
	res    tree.Result
}

func ordNewBuilder(t testing.TB, servers int) *ordBuilder {
	b := &ordBuilder{
		t: t, step: histories.Time(1e6), epoch: 1,
		rec:      histories.NewRecorder(histories.Header{Seed: 1}, servers, 0, nil),
		applied:  make([]int, servers),
		clients:  map[int]*ordClient{},
		inflight: map[int]*ordInflight{},
	}
	for range servers {
		b.trees = append(b.trees, tree.New(tree.Options{}))
	}
	b.prep = tree.NewPreparer(b.trees[0])
	b.tick()
	b.rec.Server(b.now, histories.ServerEvent{Server: 0, Kind: histories.Role, Role: histories.Leading, Epoch: 1, Leader: 0, Serving: true})
	for s := 1; s < servers; s++ {
		b.tick()
		b.rec.Server(b.now, histories.ServerEvent{Server: s, Kind: histories.Role, Role: histories.Following, Epoch: 1, Leader: 0, Serving: true})
	}
	return b
}

func (b *ordBuilder) tick() histories.Time {
	b.now += b.step
	return b.now
}

// advance moves the clock by d.
func (b *ordBuilder) advance(d histories.Time) { b.now += d }

// commit prepares req for session and cxid on the leader and commits it there.
func (b *ordBuilder) commit(session tree.SessionID, cxid int32, req *tree.Request) (*tree.Txn, tree.Result) {
	b.count++
	zxid := tree.Zxid(b.epoch<<32 | b.count)
	x := b.prep.Prepare(tree.Header{Session: session, Cxid: cxid, Zxid: zxid, Time: int64(b.now / 1e6)}, req, nil)
	if x == nil {
		b.t.Fatalf("Prepare(%s) = nil", req)
	}
	a := b.trees[0].Apply(x)
	if a.DigestErr != nil {
		b.t.Fatal(a.DigestErr)
	}
	b.prep.Committed(zxid)
	b.log = append(b.log, x)
	b.applied[0] = len(b.log)
	b.rec.Apply(b.tick(), 0, 1, x)
	return x, a.Result
}

// catchUp makes server s apply the log up to and including zxid (everything when zxid is 0).
func (b *ordBuilder) catchUp(s int, zxid tree.Zxid) {
	for b.applied[s] < len(b.log) && (zxid == 0 || b.log[b.applied[s]].Zxid <= zxid) {
		x := b.log[b.applied[s]]
		b.trees[s].Apply(x)
		b.applied[s]++
		b.rec.Apply(b.tick(), s, 1, x)
	}
}

// lastZxid is server s's last applied zxid.
func (b *ordBuilder) lastZxid(s int) tree.Zxid { return b.trees[s].LastZxid() }

// connect gives client a session (a createSession txn the first time) on server s, with a
// Connected event.
func (b *ordBuilder) connect(client, s int, timeoutMs int64) tree.SessionID {
	c := b.clients[client]
	if c == nil {
		c = &ordClient{session: tree.SessionID(0x1000 + client), timeout: timeoutMs}
		b.clients[client] = c
		x, _ := b.commit(c.session, 0, &tree.Request{Type: tree.OpCreateSession, Timeout: int32(timeoutMs)})
		c.seen = x.Zxid
	} else {
		b.rec.Event(b.tick(), histories.Event{Client: client, Session: c.session, Type: tree.EventNone, State: histories.Disconnected, Server: c.server})
	}
	c.server = s
	b.catchUp(s, c.seen) // a client never connects to a server behind it (A9)
	b.rec.Event(b.tick(), histories.Event{Client: client, Session: c.session, Type: tree.EventNone, State: histories.Connected, Server: s, Timeout: timeoutMs})
	return c.session
}

// invoke records that client sent req.
func (b *ordBuilder) invoke(client int, req tree.Request) int {
	c := b.clients[client]
	c.xid++
	id := b.rec.Invoke(b.tick(), client, c.session, c.xid, &req)
	b.inflight[id] = &ordInflight{client: client}
	return id
}

func (b *ordBuilder) op(id int) *histories.Op { return b.rec.Op(id) }

// commitOp commits the write op id on the leader.
func (b *ordBuilder) commitOp(id int) *tree.Txn {
	f := b.inflight[id]
	op := b.op(id)
	f.txn, f.res = b.commit(op.Session, op.Xid, &op.Req)
	return f.txn
}

// complete answers op id from its client's server: a write once that server applied its txn,
// a sync once it caught up with the leader, a read at that server's state.
func (b *ordBuilder) complete(id int) {
	f := b.inflight[id]
	defer delete(b.inflight, id)
	c := b.clients[f.client]
	op := b.op(id)
	var res tree.Result
	var zxid tree.Zxid
	switch {
	case op.IsWrite():
		if f.txn == nil {
			b.commitOp(id)
		}
		b.catchUp(c.server, f.txn.Zxid)
		res, zxid = f.res, f.txn.Zxid
	case op.Req.Type == tree.OpSync:
		b.catchUp(c.server, 0)
		res, zxid = tree.Result{Type: tree.OpSync, Path: op.Req.Path}, b.lastZxid(c.server)
	default:
		res, _ = b.trees[c.server].Read(&op.Req, c.session, nil, nil)
		zxid = b.lastZxid(c.server)
	}
	c.seen = max(c.seen, zxid)
	b.rec.Return(b.tick(), f.client, op.Xid, res.Err, c.server, zxid, &res)
}

// fail completes op id without a reply (ConnectionLoss): its outcome is Unknown.
func (b *ordBuilder) fail(id int) {
	f := b.inflight[id]
	delete(b.inflight, id)
	b.rec.Return(b.tick(), f.client, b.op(id).Xid, tree.ConnectionLoss, -1, 0, nil)
}

// do invokes and completes one op.
func (b *ordBuilder) do(client int, req tree.Request) int {
	id := b.invoke(client, req)
	b.complete(id)
	return id
}

// expire closes a client's session as the leader's tracker does: a closeSession txn no client
// op sent (cxid 0).
func (b *ordBuilder) expire(client int) *tree.Txn {
	x, _ := b.commit(b.clients[client].session, 0, &tree.Request{Type: tree.OpCloseSession})
	return x
}

func (b *ordBuilder) event(client int, state histories.SessionState) {
	c := b.clients[client]
	b.rec.Event(b.tick(), histories.Event{Client: client, Session: c.session, Type: tree.EventNone, State: state, Server: c.server})
}

func (b *ordBuilder) history() *histories.History {
	return b.rec.Finish(b.tick(), 0, 0, nil)
}

// ordGenConfig shapes a random correct history.
type ordGenConfig struct {
	seed     uint64
	ops      int
	clients  int
	servers  int
	paths    int
	readPct  int // percent of ops that are reads
	syncPct  int
	movePct  int // per op, percent chance that the client moves to another server first
	maxLag   int // how many txns a follower may lag
	lossPct  int // percent of ops that end with ConnectionLoss (a write may still commit)
	closeEnd bool
}

// ordGenHistory generates a correct history: clients with one op in flight each, completed in
// random interleavings, reads served by lagging followers, conditional writes that fail,
// multis, ephemerals, syncs, reconnects to other servers, writes lost with ConnectionLoss.
func ordGenHistory(t testing.TB, cfg ordGenConfig) *histories.History {
	rng := rand.New(rand.NewPCG(cfg.seed, 0x6f7264))
	b := ordNewBuilder(t, cfg.servers)
	b.step = 1e6
	for c := range cfg.clients {
		b.connect(c, c%cfg.servers, 10_000)
	}
	b.do(0, tree.Request{Type: tree.OpCreate, Path: "/g", ACL: tree.OpenACLUnsafe})
	paths := make([]string, cfg.paths)
	for i := range paths {
		paths[i] = fmt.Sprintf("/g/p%d", i)
	}
	pending := make([]int, cfg.clients) // op in flight per client, -1 when idle
	for i := range pending {
		pending[i] = -1
	}
	issued := 0
	// version is path's data version on the leader now: by the time the write is prepared,
	// another client may have changed it.
	version := func(path string) int32 {
		st, _ := b.trees[0].Stat(path)
		return st.Version
	}
	for issued < cfg.ops || slices.ContainsFunc(pending, func(id int) bool { return id >= 0 }) {
		c := rng.IntN(cfg.clients)
		if id := pending[c]; id >= 0 {
			op := b.op(id)
			switch {
			case rng.IntN(100) < cfg.lossPct:
				if op.IsWrite() && rng.IntN(2) == 0 {
					b.commitOp(id)
				}
				b.fail(id)
			default:
				b.complete(id)
			}
			pending[c] = -1
			continue
		}
		if issued >= cfg.ops {
			continue
		}
		// Followers move on, each by its own lag.
		for s := 1; s < cfg.servers; s++ {
			if target := len(b.log) - rng.IntN(cfg.maxLag+1); target > b.applied[s] {
				b.catchUp(s, b.log[target-1].Zxid)
			}
		}
		if rng.IntN(100) < cfg.movePct {
			b.connect(c, rng.IntN(cfg.servers), 10_000)
		}
		path := paths[rng.IntN(len(paths))]
		var req tree.Request
		switch k := rng.IntN(100); {
		case k < cfg.syncPct:
			req = tree.Request{Type: tree.OpSync, Path: "/"}
		case k < cfg.readPct:
			switch rng.IntN(4) {
			case 0:
				req = tree.Request{Type: tree.OpExists, Path: path}
			case 1:
				req = tree.Request{Type: tree.OpGetChildren2, Path: "/g"}
			default:
				req = tree.Request{Type: tree.OpGetData, Path: path}
			}
		default:
			switch rng.IntN(8) {
			case 0, 1:
				mode := tree.Persistent
				if rng.IntN(3) == 0 {
					mode = tree.Ephemeral
				}
				req = tree.Request{Type: tree.OpCreate2, Path: path, Data: []byte("c"), ACL: tree.OpenACLUnsafe, Mode: mode}
			case 2:
				req = tree.Request{Type: tree.OpDelete, Path: path, Version: -1}
			case 3:
				req = tree.Request{Type: tree.OpMulti, Ops: []tree.Request{
					{Type: tree.OpCheck, Path: path, Version: version(path)},
					{Type: tree.OpSetData, Path: path, Data: []byte(fmt.Sprintf("m%d", issued)), Version: -1},
				}}
			default:
				// A conditional write that fails when another client got there first.
				req = tree.Request{Type: tree.OpSetData, Path: path, Data: []byte(fmt.Sprintf("v%d", issued)), Version: version(path)}
			}
		}
		pending[c] = b.invoke(c, req)
		issued++
	}
	if cfg.closeEnd {
		// Client 0 closes its session; client 1 stops and the leader expires it a timeout after
		// its last contact; it is told Expired when it comes back.
		b.do(0, tree.Request{Type: tree.OpCloseSession})
		b.advance(13 * 1e9)
		b.expire(1)
		b.catchUp(b.clients[1].server, 0)
		b.event(1, histories.Expired)
	}
	for s := range cfg.servers {
		b.catchUp(s, 0)
	}
	return b.history()
}

// ordSmallConfig is the configuration of the fast tests.
func ordSmallConfig(seed uint64) ordGenConfig {
	return ordGenConfig{seed: seed, ops: 3000, clients: 8, servers: 3, paths: 6, readPct: 50, syncPct: 5,
		movePct: 2, maxLag: 10, lossPct: 3, closeEnd: true}
}

func ordMustPass(t *testing.T, v Verdict) {
	t.Helper()
	if !v.OK() {
		t.Fatalf("a correct history fails:\n%s", v.String())
	}
}

// ordMustCatch checks that v failed with a violation that names op (when op >= 0) and says want.
func ordMustCatch(t *testing.T, v Verdict, op int, want string) {
	t.Helper()
	if v.Status != Fail {
		t.Fatalf("planted violation not caught (want %q):\n%s", want, v.String())
	}
	for _, x := range v.Violations {
		if strings.Contains(x.Message, want) && (op < 0 || slices.Contains(x.Ops, op)) {
			return
		}
	}
	t.Fatalf("no violation of op %d says %q:\n%s", op, want, v.String())
}

func TestZxidOrderCorrectHistoriesPass(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		h := ordGenHistory(t, ordSmallConfig(seed))
		v := CheckZxidOrder(h, ZxidOrderOptions{})
		ordMustPass(t, v)
		if seed == 1 {
			t.Log(v.String())
		}
		if ordMetric(v, "reads checked") < 1000 || ordMetric(v, "acknowledged writes") < 1000 {
			t.Fatalf("the generator made too few reads or writes: %v", v.Metrics)
		}
		if ordMetric(v, "unknown writes committed") == 0 || ordMetric(v, "unknown writes not committed") == 0 {
			t.Fatalf("the generator made no committed or lost Unknown writes: %v", v.Metrics)
		}
	}
}

func ordMetric(v Verdict, name string) float64 {
	for _, m := range v.Metrics {
		if m.Name == name {
			return m.Value
		}
	}
	panic("no metric " + name)
}

// ordFind returns the first op that satisfies pred.
func ordFind(t *testing.T, h *histories.History, pred func(op *histories.Op) bool) *histories.Op {
	t.Helper()
	for i := range h.Ops {
		if pred(&h.Ops[i]) {
			return &h.Ops[i]
		}
	}
	t.Fatal("no op fits")
	return nil
}

// ordStateAt replays h.Log up to and including zxid.
func ordStateAt(h *histories.History, zxid tree.Zxid) *tree.Tree {
	t := tree.New(tree.Options{})
	for _, x := range h.Log {
		if x.Zxid > zxid {
			break
		}
		t.Apply(x)
	}
	return t
}

func ordIsGetDataOK(op *histories.Op) bool {
	return op.Req.Type == tree.OpGetData && op.Outcome == histories.OK && op.ID > 1000
}

// What read-from-uncommitted does: a server applies a txn before it commits and serves a read
// from it; when the txn never commits, the reply's zxid and data come from outside the log.
func TestZxidOrderCatchesReadOfUncommittedTxn(t *testing.T) {
	h := ordGenHistory(t, ordSmallConfig(7))
	op := ordFind(t, h, ordIsGetDataOK)
	op.Zxid++ // the server's last applied zxid is the uncommitted txn's
	for slices.ContainsFunc(h.Log, func(x *tree.Txn) bool { return x.Zxid == op.Zxid }) {
		op.Zxid += 1 << 32
	}
	op.Result.Data = []byte("uncommitted")
	ordMustCatch(t, CheckZxidOrder(h, ZxidOrderOptions{}), op.ID, "not in the committed log")
}

// The same flaw when the txn commits later: the read returned before the commit.
func TestZxidOrderCatchesReadBeforeCommit(t *testing.T) {
	h := ordGenHistory(t, ordSmallConfig(8))
	// A read of w's path that returned before w was invoked now shows w's effect at w's zxid.
	for i := 1000; i < len(h.Ops); i++ {
		w := &h.Ops[i]
		if w.Req.Type != tree.OpSetData || w.Outcome != histories.OK {
			continue
		}
		for j := i - 1; j > 0; j-- {
			r := &h.Ops[j]
			if r.Req.Type != tree.OpGetData || r.Req.Path != w.Req.Path || !ordReplied(r) || r.ReturnSeq > w.InvokeSeq {
				continue
			}
			r.Zxid, r.Err, r.Outcome = w.Zxid, tree.OK, histories.OK
			r.Result = tree.Result{Type: tree.OpGetData, Data: w.Req.Data, Stat: w.Result.Stat, HasStat: true}
			ordMustCatch(t, CheckZxidOrder(h, ZxidOrderOptions{}), r.ID, "before that txn committed")
			return
		}
	}
	t.Fatal("no read to plant")
}

func TestZxidOrderCatchesReadNotMatchingItsZxid(t *testing.T) {
	h := ordGenHistory(t, ordSmallConfig(9))
	op := ordFind(t, h, ordIsGetDataOK)
	op.Result.Data = append(slices.Clone(op.Result.Data), 'x')
	ordMustCatch(t, CheckZxidOrder(h, ZxidOrderOptions{}), op.ID, "but the committed state at that zxid gives")

	h = ordGenHistory(t, ordSmallConfig(9))
	op = ordFind(t, h, ordIsGetDataOK)
	op.Result.Stat.Mtime++
	ordMustCatch(t, CheckZxidOrder(h, ZxidOrderOptions{}), op.ID, "but the committed state at that zxid gives")
}

// A session that moves to a server behind what it saw, and reads there: the read is a correct
// read of that older state, yet the session went back in time (A9, A10 single system image).
func TestZxidOrderCatchesSessionGoingBackAfterReconnect(t *testing.T) {
	b := ordNewBuilder(t, 3)
	b.connect(0, 0, 10_000)
	b.connect(1, 0, 10_000)
	b.do(0, tree.Request{Type: tree.OpCreate, Path: "/a", Data: []byte("1"), ACL: tree.OpenACLUnsafe})
	b.catchUp(2, 0)
	b.do(0, tree.Request{Type: tree.OpSetData, Path: "/a", Data: []byte("2"), Version: -1})
	b.do(1, tree.Request{Type: tree.OpGetData, Path: "/a"})
	// A faulty server 2 accepts the session although it is behind what the client saw.
	b.event(1, histories.Disconnected)
	b.clients[1].server = 2
	b.event(1, histories.Connected)
	bad := b.do(1, tree.Request{Type: tree.OpGetData, Path: "/a"})
	h := b.history()
	ordMustPass(t, CheckZxidOrder(&histories.History{Log: h.Log, Applied: h.Applied, Ops: h.Ops[:len(h.Ops)-1]}, ZxidOrderOptions{}))
	ordMustCatch(t, CheckZxidOrder(h, ZxidOrderOptions{}), bad, "single system image")
}

func TestZxidOrderCatchesReadNotSeeingOwnWrite(t *testing.T) {
	b := ordNewBuilder(t, 3)
	b.connect(0, 1, 10_000)
	b.do(0, tree.Request{Type: tree.OpCreate, Path: "/a", Data: []byte("1"), ACL: tree.OpenACLUnsafe})
	w := b.invoke(0, tree.Request{Type: tree.OpSetData, Path: "/a", Data: []byte("2"), Version: -1})
	b.commitOp(w)
	// The faulty follower replies to the write before applying it, then serves the read.
	f := b.inflight[w]
	delete(b.inflight, w)
	b.rec.Return(b.tick(), 0, b.op(w).Xid, tree.OK, 1, f.txn.Zxid, &f.res)
	bad := b.do(0, tree.Request{Type: tree.OpGetData, Path: "/a"})
	ordMustCatch(t, CheckZxidOrder(b.history(), ZxidOrderOptions{}), bad, "read-your-writes")
}

func TestZxidOrderCatchesAcknowledgedWriteMissingFromLog(t *testing.T) {
	h := ordGenHistory(t, ordSmallConfig(10))
	// The last acknowledged write's txn is lost from the committed log.
	var op *histories.Op
	for i := len(h.Ops) - 1; op == nil; i-- {
		if o := &h.Ops[i]; o.IsWrite() && o.Outcome == histories.OK && o.Req.Type == tree.OpSetData {
			op = o
		}
	}
	h.Log = slices.DeleteFunc(h.Log, func(x *tree.Txn) bool { return x.Zxid == op.Zxid })
	ordMustCatch(t, CheckZxidOrder(h, ZxidOrderOptions{}), op.ID, "the committed log has no txn at that zxid")
}

func TestZxidOrderCatchesWriteAcknowledgedWithAnotherSessionsTxn(t *testing.T) {
	h := ordGenHistory(t, ordSmallConfig(11))
	op := ordFind(t, h, func(op *histories.Op) bool {
		return op.Req.Type == tree.OpSetData && op.Outcome == histories.OK && op.ID > 500
	})
	// The server answered op with the reply to another session's txn.
	other := ordFind(t, h, func(o *histories.Op) bool {
		return o.Req.Type == tree.OpSetData && o.Outcome == histories.OK && o.ID > op.ID && o.Session != op.Session
	})
	op.Zxid, op.Result = other.Zxid, other.Result
	ordMustCatch(t, CheckZxidOrder(h, ZxidOrderOptions{}), op.ID, "which session")
}

// Two writes whose zxids contradict real time: B is invoked after A returned, yet a faulty
// leader ordered B first.
func TestZxidOrderCatchesWritesOutOfRealTimeOrder(t *testing.T) {
	b := ordNewBuilder(t, 3)
	b.connect(0, 0, 10_000)
	b.connect(1, 1, 10_000)
	a := b.do(0, tree.Request{Type: tree.OpCreate, Path: "/a", ACL: tree.OpenACLUnsafe})
	later := b.do(1, tree.Request{Type: tree.OpCreate, Path: "/b", ACL: tree.OpenACLUnsafe})
	h := b.history()
	ordMustPass(t, CheckZxidOrder(h, ZxidOrderOptions{}))
	// Swap the two txns' zxids: nothing reads the root, so every reply stays explained.
	za, zb := h.Ops[a].Zxid, h.Ops[later].Zxid
	ia := slices.IndexFunc(h.Log, func(x *tree.Txn) bool { return x.Zxid == za })
	ib := slices.IndexFunc(h.Log, func(x *tree.Txn) bool { return x.Zxid == zb })
	xa, xb := *h.Log[ia], *h.Log[ib]
	xa.Zxid, xb.Zxid = zb, za
	h.Log[ia], h.Log[ib] = &xb, &xa
	h.Ops[a].Zxid, h.Ops[later].Zxid = zb, za
	h.Applied = nil // commit times would flag B's txn too; this test is about the zxid order
	ordMustCatch(t, CheckZxidOrder(h, ZxidOrderOptions{}), later, "writes out of real-time order")
}

// ordSyncHistory: client 0 writes on the leader; client 1, on a lagging follower, then syncs
// and reads. staleSync makes the follower answer the sync without catching up; staleRead makes
// it answer the sync correctly and the read from behind it.
func ordSyncHistory(t *testing.T, staleSync, staleRead, newEpoch bool) (h *histories.History, sync, read int) {
	b := ordNewBuilder(t, 3)
	b.connect(0, 0, 10_000)
	b.connect(1, 2, 10_000)
	b.do(0, tree.Request{Type: tree.OpCreate, Path: "/a", Data: []byte("1"), ACL: tree.OpenACLUnsafe})
	b.catchUp(2, 0)
	b.do(0, tree.Request{Type: tree.OpSetData, Path: "/a", Data: []byte("2"), Version: -1})
	if newEpoch {
		// Servers 0 and 1 established epoch 2; server 2 still follows epoch 1's leader.
		b.rec.Server(b.tick(), histories.ServerEvent{Server: 1, Kind: histories.Role, Role: histories.Leading, Epoch: 2, Leader: 1, Serving: true, Zxid: b.lastZxid(0)})
	}
	sync = b.invoke(1, tree.Request{Type: tree.OpSync, Path: "/"})
	if staleSync {
		f := b.inflight[sync]
		delete(b.inflight, sync)
		res := tree.Result{Type: tree.OpSync, Path: "/"}
		b.rec.Return(b.tick(), f.client, b.op(sync).Xid, tree.OK, 2, b.lastZxid(2), &res)
	} else {
		b.complete(sync)
	}
	read = b.invoke(1, tree.Request{Type: tree.OpGetData, Path: "/a"})
	if staleRead {
		f := b.inflight[read]
		delete(b.inflight, read)
		old := ordStateAt(&histories.History{Log: b.log}, b.log[len(b.log)-2].Zxid)
		res, _ := old.Read(&b.op(read).Req, b.clients[1].session, nil, nil)
		b.rec.Return(b.tick(), f.client, b.op(read).Xid, tree.OK, 2, old.LastZxid(), &res)
	} else {
		b.complete(read)
	}
	return b.history(), sync, read
}

func TestZxidOrderSync(t *testing.T) {
	h, _, _ := ordSyncHistory(t, false, false, false)
	ordMustPass(t, CheckZxidOrder(h, ZxidOrderOptions{}))

	h, sync, _ := ordSyncHistory(t, true, false, false)
	ordMustCatch(t, CheckZxidOrder(h, ZxidOrderOptions{}), sync, "before the sync was invoked")

	h, _, read := ordSyncHistory(t, false, true, false)
	ordMustCatch(t, CheckZxidOrder(h, ZxidOrderOptions{}), read, "sync then read")

	// ZOOKEEPER-1675: a deposed leader's follower may answer a sync stale; allowed, counted.
	h, sync, _ = ordSyncHistory(t, true, false, true)
	v := CheckZxidOrder(h, ZxidOrderOptions{})
	ordMustPass(t, v)
	if got := ordMetric(v, "stale syncs allowed (ZOOKEEPER-1675)"); got != 1 {
		t.Fatalf("stale syncs = %v, want 1", got)
	}
	ordMustCatch(t, CheckZxidOrder(h, ZxidOrderOptions{StrictSync: true}), sync, "superseded by epoch 2")
}

func TestZxidOrderRefusesDamagedHistory(t *testing.T) {
	h := ordGenHistory(t, ordSmallConfig(12))
	h.Log[5], h.Log[6] = h.Log[6], h.Log[5]
	v := CheckZxidOrder(h, ZxidOrderOptions{})
	if v.Status != Inconclusive || !strings.Contains(v.Summary, "log not in zxid order") {
		t.Fatalf("a log out of order gives %s", v.String())
	}
}

// A verdict keeps the earliest violations in time order, and counts them all.
func TestZxidOrderViolationsInTimeOrder(t *testing.T) {
	h := ordGenHistory(t, ordSmallConfig(13))
	n := 0
	for i := len(h.Ops) - 1; i >= 0; i-- {
		if op := &h.Ops[i]; ordIsGetDataOK(op) {
			op.Result.Data = []byte("bad")
			n++
		}
	}
	v := CheckZxidOrder(h, ZxidOrderOptions{})
	if v.Total < n || len(v.Violations) != MaxViolations {
		t.Fatalf("total %d (want >= %d), listed %d", v.Total, n, len(v.Violations))
	}
	if !slices.IsSortedFunc(v.Violations, func(a, b Violation) int { return int(a.Time - b.Time) }) {
		t.Fatalf("violations not in time order:\n%s", v.String())
	}
}

// A server elected leader applies its own log as its initial history before it establishes
// its epoch; when it never does, a later leader's history leaves those txns out (they were
// never committed), and the history's Log still holds them.
func TestZxidOrderLeavesOutTentativeTxns(t *testing.T) {
	build := func(lost bool) (*histories.History, int) {
		b := ordNewBuilder(t, 3)
		b.connect(0, 0, 10_000)
		b.do(0, tree.Request{Type: tree.OpCreate, Path: "/a", ACL: tree.OpenACLUnsafe})
		w := b.do(0, tree.Request{Type: tree.OpCreate, Path: "/w", ACL: tree.OpenACLUnsafe})
		head := b.lastZxid(0)
		// Server 2 logged a proposal of epoch 1 that no quorum accepted, and applied it when it
		// tried to lead.
		b.rec.Apply(b.tick(), 2, 1, &tree.Txn{Header: tree.Header{Session: 0x99, Cxid: 1, Zxid: head + 1},
			Type: tree.OpCreate, Path: "/t", Data: []byte("tentative"), ACL: tree.OpenACLUnsafe, ParentCversion: 10})
		// Server 0 establishes epoch 2 from its history, which ends at head (or, when a bug
		// loses a committed txn, before the last write).
		from := head
		if lost {
			from = head - 1
		}
		b.rec.Server(b.tick(), histories.ServerEvent{Server: 0, Kind: histories.Role, Role: histories.Leading, Epoch: 2, Leader: 0, Serving: true, Zxid: from})
		b.epoch, b.count = 2, 0
		b.do(0, tree.Request{Type: tree.OpCreate, Path: "/t", Data: []byte("committed"), ACL: tree.OpenACLUnsafe})
		b.do(0, tree.Request{Type: tree.OpGetData, Path: "/t"})
		return b.history(), w
	}
	h, _ := build(false)
	v := CheckZxidOrder(h, ZxidOrderOptions{})
	ordMustPass(t, v)
	if ordMetric(v, "tentative txns left out") != 1 {
		t.Fatalf("tentative txns: %v", v.Metrics)
	}
	h, w := build(true)
	ordMustCatch(t, CheckZxidOrder(h, ZxidOrderOptions{}), w, "the committed log has no txn at that zxid")
}
