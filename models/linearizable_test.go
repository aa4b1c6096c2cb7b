package models

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"zoosim/histories"
	"zoosim/tree"
)

// linSim drives requests through the real tree (tree.Preparer then tree.Apply, the leader's
// pipeline) and records them with a histories.Recorder, so a history it builds is correct by
// construction unless a test plants a wrong reply. Every record advances virtual time by 1 ms;
// a commit records an Apply on server 0, the txn's linearization point.
type linSim struct {
	t    testing.TB
	rec  *histories.Recorder
	tr   *tree.Tree
	prep *tree.Preparer
	now  histories.Time
	zxid tree.Zxid
	// sessions and xids per client index.
	sessions map[int]tree.SessionID
	xids     map[int]int32
	next     tree.SessionID
}

// linSimOp is one invoked request.
type linSimOp struct {
	client  int
	session tree.SessionID
	xid     int32
	id      int
	req     tree.Request
	// res is the tree's result once committed.
	res       tree.Result
	committed bool
}

func linNewSim(t testing.TB) *linSim {
	tr := tree.New(tree.Options{})
	return &linSim{t: t, rec: histories.NewRecorder(histories.Header{Seed: 1}, 1, 0, nil), tr: tr,
		prep: tree.NewPreparer(tr), zxid: 0x100000000, sessions: map[int]tree.SessionID{},
		xids: map[int]int32{}, next: 0x1000}
}

func (g *linSim) tick() histories.Time {
	g.now += 1_000_000
	return g.now
}

// connect gives a client a new session (a createSession txn no op records).
func (g *linSim) connect(client int) tree.SessionID {
	g.next++
	s := g.next
	g.sessions[client] = s
	g.apply(g.prep.Prepare(g.header(s, 0), &tree.Request{Type: tree.OpCreateSession, Timeout: 30000}, nil))
	return s
}

func (g *linSim) header(s tree.SessionID, cxid int32) tree.Header {
	g.zxid++
	return tree.Header{Session: s, Cxid: cxid, Zxid: g.zxid, Time: int64(g.now / 1_000_000)}
}

func (g *linSim) apply(x *tree.Txn) tree.Result {
	a := g.tr.Apply(x)
	g.prep.Committed(x.Zxid)
	g.rec.Apply(g.tick(), 0, 1, x)
	return a.Result
}

// invoke records that client issued req.
func (g *linSim) invoke(client int, req tree.Request) *linSimOp {
	if _, ok := g.sessions[client]; !ok {
		g.connect(client)
	}
	g.xids[client]++
	op := &linSimOp{client: client, session: g.sessions[client], xid: g.xids[client], req: req}
	op.id = g.rec.Invoke(g.tick(), client, op.session, op.xid, &req)
	return op
}

// commit runs the request through the tree now.
func (g *linSim) commit(op *linSimOp) {
	if op.committed {
		g.t.Fatalf("op %d committed twice", op.id)
	}
	op.committed = true
	op.res = g.apply(g.prep.Prepare(g.header(op.session, op.xid), &op.req, tree.NewAuth("10.0.0.1")))
}

// prepare has the leader prepare op's txn now, for commitPrepared to apply later: the
// pipelined window in which ZooKeeper validates against outstanding changes (A13.1).
func (g *linSim) prepare(op *linSimOp, auth tree.Auth) *tree.Txn {
	return g.prep.Prepare(g.header(op.session, op.xid), &op.req, auth)
}

// commitPrepared applies a txn prepare returned.
func (g *linSim) commitPrepared(op *linSimOp, x *tree.Txn) {
	op.committed = true
	op.res = g.apply(x)
}

// reply returns the tree's result to the client.
func (g *linSim) reply(op *linSimOp) {
	if !op.committed {
		g.t.Fatalf("op %d replied before its commit", op.id)
	}
	g.replyWith(op, op.res)
}

// replyWith returns res to the client, whatever the tree did: a planted wrong reply.
func (g *linSim) replyWith(op *linSimOp, res tree.Result) {
	if !g.rec.Return(g.tick(), op.client, op.xid, res.Err, 0, g.zxid, &res) {
		g.t.Fatalf("no pending op %d", op.id)
	}
}

// lose fails the op in the client (ConnectionLoss): its outcome is unknown.
func (g *linSim) lose(op *linSimOp) {
	if !g.rec.Return(g.tick(), op.client, op.xid, tree.ConnectionLoss, -1, 0, nil) {
		g.t.Fatalf("no pending op %d", op.id)
	}
}

// do invokes, commits and replies at once.
func (g *linSim) do(client int, req tree.Request) *linSimOp {
	op := g.invoke(client, req)
	g.commit(op)
	g.reply(op)
	return op
}

// expire has the leader close a client's session (no op records it) and returns the session.
func (g *linSim) expire(client int) tree.SessionID {
	s := g.sessions[client]
	g.apply(g.prep.Prepare(g.header(s, 0), &tree.Request{Type: tree.OpCloseSession}, nil))
	delete(g.sessions, client)
	return s
}

func (g *linSim) history() *histories.History {
	return g.rec.Finish(g.tick(), 0, 0, nil)
}

// Requests.

func linReqCreate(path string, mode tree.CreateMode) tree.Request {
	return tree.Request{Type: tree.OpCreate2, Path: path, Data: []byte(path), ACL: tree.OpenACLUnsafe, Mode: mode}
}

func linReqSet(path string, version int32, data string) tree.Request {
	return tree.Request{Type: tree.OpSetData, Path: path, Data: []byte(data), Version: version}
}

func linReqDelete(path string, version int32) tree.Request {
	return tree.Request{Type: tree.OpDelete, Path: path, Version: version}
}

func linReqCheck(path string, version int32) tree.Request {
	return tree.Request{Type: tree.OpCheck, Path: path, Version: version}
}

func linReqMulti(ops ...tree.Request) tree.Request {
	return tree.Request{Type: tree.OpMulti, Ops: ops}
}

// checkLin runs the checker with a generous timeout.
func linCheckWith(t testing.TB, h *histories.History, unpatched bool) Verdict {
	t.Helper()
	return CheckLinearizable(h, LinearizableOptions{Timeout: time.Minute, Unpatched: unpatched})
}

func linWantPass(t *testing.T, h *histories.History) {
	t.Helper()
	for _, unpatched := range []bool{false, true} {
		if v := linCheckWith(t, h, unpatched); v.Status != Pass {
			t.Fatalf("unpatched=%v: want pass, got\n%s", unpatched, v.String())
		}
	}
}

// wantFail checks that the checker fails h in both modes and that the violation names every op
// in ops.
func linWantFail(t *testing.T, h *histories.History, ops ...int) Verdict {
	t.Helper()
	var v Verdict
	for _, unpatched := range []bool{false, true} {
		v = linCheckWith(t, h, unpatched)
		if v.Status != Fail || len(v.Violations) == 0 {
			t.Fatalf("unpatched=%v: want a violation, got\n%s", unpatched, v.String())
		}
		for _, id := range ops {
			if !slices.Contains(v.Violations[0].Ops, id) {
				t.Fatalf("unpatched=%v: the violation does not name op %d:\n%s", unpatched, id, v.String())
			}
		}
	}
	t.Logf("%s", v.String())
	return v
}

// --- Correct histories pass.

func TestLinearizableSequentialOpsPass(t *testing.T) {
	g := linNewSim(t)
	g.do(0, linReqCreate("/a", tree.Persistent))
	g.do(1, linReqCreate("/a", tree.Persistent)) // NodeExists
	g.do(0, linReqSet("/a", 0, "x"))
	g.do(1, linReqSet("/a", 0, "y")) // BadVersion
	g.do(1, linReqSet("/a", -1, "z"))
	g.do(0, linReqCreate("/a/b", tree.Persistent))
	g.do(0, linReqDelete("/a", -1))  // NotEmpty
	g.do(1, linReqDelete("/a/b", 3)) // BadVersion
	g.do(1, linReqDelete("/a/b", 0))
	g.do(0, linReqDelete("/a", 2))
	g.do(0, linReqSet("/a", -1, "gone"))           // NoNode
	g.do(0, linReqCreate("/x/y", tree.Persistent)) // NoNode: no parent
	g.do(0, tree.Request{Type: tree.OpSetACL, Path: "/", ACL: tree.OpenACLUnsafe, Version: 0})
	g.do(0, linReqDelete("/", -1))                          // BadArguments: a special path
	g.do(0, tree.Request{Type: tree.OpCreate, Path: "bad"}) // BadArguments: a malformed path
	h := g.history()
	for i := range h.Ops {
		if h.Ops[i].Outcome == histories.Unknown {
			t.Fatalf("op %d has no outcome", i)
		}
	}
	linWantPass(t, h)
}

func TestLinearizableOverlappingOpsPass(t *testing.T) {
	// Two overlapping creates of one path: the one that returns first may be the loser.
	g := linNewSim(t)
	a := g.invoke(0, linReqCreate("/a", tree.Persistent))
	b := g.invoke(1, linReqCreate("/a", tree.Persistent))
	g.commit(b) // OK
	g.commit(a) // NodeExists
	g.reply(a)
	g.reply(b)
	// Two overlapping conditional setData on version 0: one wins, the other gets BadVersion,
	// in whichever order the replies come back.
	c := g.invoke(0, linReqSet("/a", 0, "c"))
	d := g.invoke(1, linReqSet("/a", 0, "d"))
	e := g.invoke(2, linReqSet("/a", -1, "e"))
	g.commit(d)
	g.commit(e)
	g.commit(c)
	g.reply(c)
	g.reply(e)
	g.reply(d)
	linWantPass(t, g.history())
}

func TestLinearizableUnknownOutcomesPass(t *testing.T) {
	g := linNewSim(t)
	g.do(0, linReqCreate("/r", tree.Persistent))
	// Committed, but the client lost the reply: a later write sees its effect.
	a := g.invoke(0, linReqSet("/r", 0, "a"))
	g.commit(a)
	g.lose(a)
	g.do(1, linReqSet("/r", 1, "b")) // version 2: only if a took effect
	// Lost before it reached the leader: never committed.
	b := g.invoke(0, linReqSet("/r", 2, "never"))
	g.lose(b)
	g.do(1, linReqSet("/r", 2, "c")) // version 3: b did not take effect
	// Lost in flight: the client gave up first, the txn commits later.
	c := g.invoke(0, linReqCreate("/late", tree.Persistent))
	g.lose(c)
	g.do(1, linReqSet("/r", 3, "d"))
	g.commit(c)
	g.do(1, linReqCreate("/late", tree.Persistent)) // NodeExists: c took effect after its return
	// Never returned at all: an op still pending when the run ended, committed.
	d := g.invoke(2, linReqCreate("/pending", tree.Ephemeral))
	g.commit(d)
	g.do(1, linReqCreate("/pending", tree.Persistent)) // NodeExists
	h := g.history()
	linWantPass(t, h)
	v := linCheckWith(t, h, false)
	if got := linMetric(v, "patched"); got != 3 {
		t.Errorf("patched = %v, want 3 (a, c, d)\n%s", got, v.String())
	}
	if got := linMetric(v, "dropped"); got != 1 {
		t.Errorf("dropped = %v, want 1 (b)\n%s", got, v.String())
	}
	if got := linMetric(CheckLinearizable(h, LinearizableOptions{Unpatched: true}), "unknown"); got != 4 {
		t.Errorf("unpatched: unknown = %v, want 4", got)
	}
}

func linMetric(v Verdict, name string) float64 {
	for _, m := range v.Metrics {
		if m.Name == name {
			return m.Value
		}
	}
	return math.NaN()
}

func TestLinearizableSequentialCreatesPass(t *testing.T) {
	g := linNewSim(t)
	g.do(0, linReqCreate("/q", tree.Persistent))
	// Overlapping sequential creates get suffixes in commit order, not invoke order.
	a := g.invoke(0, linReqCreate("/q/n-", tree.PersistentSequential))
	b := g.invoke(1, linReqCreate("/q/n-", tree.EphemeralSequential))
	g.commit(b) // n-0000000000
	g.commit(a) // n-0000000001
	g.reply(a)
	g.reply(b)
	g.do(2, linReqCreate("/q/plain", tree.Persistent)) // counter 2, though not sequential
	g.do(2, linReqDelete("/q/n-0000000001", -1))       // a delete does not move the counter
	c := g.do(0, linReqCreate("/q/n-", tree.PersistentSequential))
	if c.res.Path != "/q/n-0000000003" {
		t.Fatalf("the tree named it %s", c.res.Path)
	}
	// An unknown sequential create that committed: its name is in the log only.
	d := g.invoke(1, linReqCreate("/q/m-", tree.PersistentSequential))
	g.commit(d)
	g.lose(d)
	g.do(0, linReqCreate("/q/n-", tree.PersistentSequential)) // n-0000000005
	g.do(2, linReqDelete("/q", -1))                           // NotEmpty
	linWantPass(t, g.history())
}

func TestLinearizableMultiPass(t *testing.T) {
	g := linNewSim(t)
	g.do(0, linReqCreate("/m", tree.Persistent))
	g.do(0, linReqCreate("/m/a", tree.Persistent))
	// All or nothing: a multi that fails on its last op creates nothing.
	g.do(1, linReqMulti(linReqCreate("/m/b", tree.Persistent), linReqSet("/m/a", 0, "x"), linReqCheck("/m/a", 0)))
	g.do(1, linReqMulti(linReqCreate("/m/b", tree.Persistent), linReqSet("/m/a", 0, "x"), linReqCheck("/m/a", 1)))
	g.do(0, linReqCreate("/m/b", tree.Persistent)) // NodeExists
	// Ops in a multi see the ones before them.
	g.do(1, linReqMulti(linReqCreate("/m/c", tree.Persistent), linReqCreate("/m/c/d", tree.Persistent), linReqDelete("/m/c/d", 0)))
	x := g.invoke(0, linReqMulti(linReqDelete("/m/c", -1), linReqSet("/m/a", 1, "y")))
	y := g.invoke(1, linReqSet("/m/a", 1, "z"))
	g.commit(y)
	g.commit(x) // fails at op 1: BadVersion
	g.reply(x)
	g.reply(y)
	if x.res.Err != tree.BadVersion {
		t.Fatalf("multi: %s", x.res.String())
	}
	g.do(0, linReqDelete("/m/c", 0))
	linWantPass(t, g.history())
}

func TestLinearizableEphemeralsAndExpiryPass(t *testing.T) {
	g := linNewSim(t)
	g.do(0, linReqCreate("/e", tree.Persistent))
	g.do(1, linReqCreate("/e/lock", tree.Ephemeral))
	g.do(1, linReqCreate("/e/c1", tree.Ephemeral))
	g.do(1, linReqCreate("/e/s-", tree.EphemeralSequential))
	g.do(2, linReqCreate("/e/lock", tree.Ephemeral))    // NodeExists
	g.do(2, linReqCreate("/e/lock/x", tree.Persistent)) // NoChildrenForEphemerals
	g.do(0, linReqDelete("/e", -1))                     // NotEmpty
	g.expire(1)
	g.do(2, linReqCreate("/e/lock", tree.Ephemeral)) // OK: the expiry deleted it
	// A client's own close.
	g.do(2, tree.Request{Type: tree.OpCloseSession})
	g.connect(2)
	g.do(0, linReqCreate("/e/lock", tree.Ephemeral)) // OK again
	g.do(0, linReqDelete("/e/lock", -1))
	g.do(0, linReqDelete("/e", -1)) // OK: every ephemeral is gone
	h := g.history()
	linWantPass(t, h)

	// Without the expiry's txn in the log the history cannot be explained.
	var log []*tree.Txn
	for _, x := range h.Log {
		if x.Type == tree.OpCloseSession && x.Cxid == 0 {
			continue
		}
		log = append(log, x)
	}
	h.Log = log
	linWantFail(t, h)
}

func TestLinearizableDeletePreparedDuringCloseNeedsNoLenience(t *testing.T) {
	// ZooKeeper 3.8's Preparer keeps /p's projected child count while the expiry of the session
	// owning /p/e is outstanding, so a delete of /p prepared then fails NotEmpty even though it
	// commits after the expiry. The delete was invoked before the expiry's commit, so it
	// linearizes before it.
	g := linNewSim(t)
	g.do(0, linReqCreate("/p", tree.Persistent))
	g.do(1, linReqCreate("/p/e", tree.Ephemeral))
	del := g.invoke(0, linReqDelete("/p", -1))
	closeTxn := g.prep.Prepare(g.header(g.sessions[1], 0), &tree.Request{Type: tree.OpCloseSession}, nil)
	delTxn := g.prepare(del, nil)
	g.apply(closeTxn)
	g.commitPrepared(del, delTxn)
	g.reply(del)
	if del.res.Err != tree.NotEmpty {
		t.Fatalf("the tree answered %s; the test needs the 3.8 NotEmpty", del.res.Err)
	}
	delete(g.sessions, 1)
	g.do(2, linReqCreate("/p/e", tree.Ephemeral)) // the expiry took it
	linWantPass(t, g.history())
}

func TestLinearizableZxidOrderFallsBackToPorcupine(t *testing.T) {
	// The delete of /p above commits after the expiry, so in zxid order the model lets it
	// succeed where the reply says NotEmpty: linearizeByZxid proves nothing, and porcupine finds
	// the linearization that puts the delete first.
	g := linNewSim(t)
	g.do(0, linReqCreate("/p", tree.Persistent))
	g.do(1, linReqCreate("/p/e", tree.Ephemeral))
	del := g.invoke(0, linReqDelete("/p", -1))
	closeTxn := g.prep.Prepare(g.header(g.sessions[1], 0), &tree.Request{Type: tree.OpCloseSession}, nil)
	delTxn := g.prepare(del, nil)
	g.apply(closeTxn)
	g.commitPrepared(del, delTxn)
	g.reply(del)
	h := g.history()
	c := linBuild(h, LinearizableOptions{})
	proved := 0
	for _, p := range c.parts {
		if p.linearizeByZxid() {
			proved++
		}
	}
	if proved != len(c.parts)-1 {
		t.Fatalf("linearizeByZxid proved %d of %d partitions, want all but /p's", proved, len(c.parts))
	}
	linWantPass(t, h)
}

func TestLinearizeByZxidKeepsRealTimeOrder(t *testing.T) {
	// Two creates under /p, one after the other; the failed delete of /p puts the three paths
	// in one partition. The creates commute in the model, so with their zxids swapped only
	// real time forbids the zxid order.
	g := linNewSim(t)
	g.do(0, linReqCreate("/p", tree.Persistent))
	a := g.do(0, linReqCreate("/p/a", tree.Persistent))
	b := g.do(1, linReqCreate("/p/b", tree.Persistent))
	g.do(2, linReqDelete("/p", -1)) // NotEmpty
	c := linBuild(g.history(), LinearizableOptions{})
	var opA, opB *linOp
	for _, lo := range c.ops {
		switch lo.id {
		case a.id:
			opA = lo
		case b.id:
			opB = lo
		}
	}
	if opA == nil || opB == nil || opA.part != opB.part || len(c.parts) != 1 {
		t.Fatalf("want both creates in the one partition, got %d partitions", len(c.parts))
	}
	if !opA.part.linearizeByZxid() {
		t.Fatal("linearizeByZxid did not prove a sequential history")
	}
	opA.zxid, opB.zxid = opB.zxid, opA.zxid
	if opA.part.linearizeByZxid() {
		t.Fatal("linearizeByZxid proved an order that puts a create before one that returned before it was invoked")
	}
}

// TestLinearizeByZxidIsSound holds linearizeByZxid to porcupine on every partition of random
// histories, correct ones and ones with a planted fault: whenever it proves a partition,
// porcupine must find it linearizable. It must also prove most partitions of a correct
// history, or it saves nothing.
func TestLinearizeByZxidIsSound(t *testing.T) {
	for seed := range uint64(8) {
		h := linGenerate(t, linWorkload{seed: seed, clients: 12, ops: 2000, unknown: 0.02})
		planted := seed%2 == 1
		if planted {
			// Flip the outcome of one acknowledged write in the second half: OK becomes
			// BadVersion, a failure becomes OK.
			for i := len(h.Ops) / 2; i < len(h.Ops); i++ {
				op := &h.Ops[i]
				if op.Req.Type != tree.OpSetData || op.Outcome == histories.Unknown {
					continue
				}
				if op.Outcome == histories.OK {
					op.Outcome, op.Err, op.Result = histories.Failed, tree.BadVersion, tree.Result{Type: tree.OpError, Err: tree.BadVersion}
				} else {
					op.Outcome, op.Err = histories.OK, tree.OK
				}
				break
			}
		}
		c := linBuild(h, LinearizableOptions{})
		proved, failing := 0, 0
		for _, p := range c.parts {
			ok := p.linearizeByZxid()
			result := porcupine.CheckOperations(linModel, p.porcupineOps())
			if ok && !result {
				t.Fatalf("seed %d: linearizeByZxid proved partition %d (%s), which porcupine finds not linearizable", seed, p.index, p.describePaths())
			}
			if ok {
				proved++
			}
			if !result {
				failing++
			}
		}
		if planted && failing == 0 {
			t.Errorf("seed %d: the planted fault made no partition fail", seed)
		}
		if !planted && proved*10 < len(c.parts)*9 {
			t.Errorf("seed %d: linearizeByZxid proved only %d of %d partitions of a correct history", seed, proved, len(c.parts))
		}
	}
}

func TestLinearizableParseCounter(t *testing.T) {
	for _, c := range []struct {
		name string
		n    int32
		ok   bool
	}{
		{"/q/n-0000000005", 5, true},
		{"/q/n-2147483647", math.MaxInt32, true},
		{"/q/n-2147483648", 0, false}, // past int32
		{"/q/n--000000005", -5, true}, // an overflowed counter, as %010d prints it
		{"/q/n-000000005", 0, false},
		{"/q/n-00000000050", 0, false},
		{"/q/n-00000x0005", 0, false},
		{"/q/m-0000000005", 0, false},
	} {
		n, ok := linParseCounter("/q/n-", c.name)
		if n != c.n || ok != c.ok {
			t.Errorf("linParseCounter(%q) = %d, %v; want %d, %v", c.name, n, ok, c.n, c.ok)
		}
		if ok && tree.SequentialName("/q/n-", n) != c.name {
			t.Errorf("%q is not the name of counter %d", c.name, n)
		}
	}
}

func TestLinearizableNoAuth(t *testing.T) {
	// The connection's identities are not in the history: NoAuth is accepted where ZooKeeper
	// checks permissions, after the node or parent lookup, and nowhere else.
	g := linNewSim(t)
	g.do(0, tree.Request{Type: tree.OpCreate, Path: "/ro", ACL: tree.ReadACLUnsafe})
	g.do(1, linReqSet("/ro", -1, "x"))              // NoAuth
	g.do(1, linReqCreate("/ro/a", tree.Persistent)) // NoAuth
	g.do(1, linReqDelete("/ro", -1))                // OK: DELETE is checked on the parent, /
	g.do(1, linReqCreate("/ro/b", tree.Persistent)) // NoNode
	linWantPass(t, g.history())

	g = linNewSim(t)
	x := g.invoke(1, linReqSet("/missing", -1, "x"))
	g.replyWith(x, tree.Result{Type: tree.OpError, Err: tree.NoAuth}) // NoNode comes first (A5)
	linWantFail(t, g.history(), x.id)
}

func TestLinearizableContainerReaping(t *testing.T) {
	// The leader's deleteContainer txns are in the log only: synthetic ops at their commit.
	g := linNewSim(t)
	g.do(0, tree.Request{Type: tree.OpCreateContainer, Path: "/c", ACL: tree.OpenACLUnsafe, Mode: tree.Container})
	g.do(0, linReqCreate("/c/a", tree.Persistent))
	g.do(1, linReqDelete("/c/a", -1))
	g.apply(g.prep.Prepare(g.header(0, 0), &tree.Request{Type: tree.OpDeleteContainer, Path: "/c"}, nil))
	g.do(1, linReqCreate("/c/b", tree.Persistent)) // NoNode: reaped
	h := g.history()
	linWantPass(t, h)
	if v := linCheckWith(t, h, false); linMetric(v, "from log") != 1 {
		t.Fatalf("want the reaping from the log:\n%s", v.String())
	}
}

func TestLinearizableSetupTxnsFromTheLog(t *testing.T) {
	// Writes no recorded op issued (a setup client the runner does not record) still change
	// the tree: they are synthetic ops at their commit.
	g := linNewSim(t)
	s := g.connect(9)
	g.apply(g.prep.Prepare(g.header(s, 1), &tree.Request{Type: tree.OpCreate, Path: "/base", ACL: tree.OpenACLUnsafe}, nil))
	g.do(0, linReqCreate("/base/a", tree.Persistent))
	g.do(1, linReqCreate("/base/a", tree.Persistent)) // NodeExists
	v := linCheckWith(t, g.history(), false)
	if v.Status != Pass || linMetric(v, "from log") != 1 {
		t.Fatalf("want a pass with 1 op from the log:\n%s", v.String())
	}
}

// --- Planted violations are caught.

func TestLinearizableCatchesLostWrite(t *testing.T) {
	g := linNewSim(t)
	a := g.do(0, linReqCreate("/a", tree.Persistent))
	b := g.invoke(1, linReqCreate("/a", tree.Persistent))
	g.replyWith(b, tree.Result{Type: tree.OpCreate2, Path: "/a", HasStat: true}) // should be NodeExists
	linWantFail(t, g.history(), b.id, a.id)
}

func TestLinearizableCatchesDoubleConditionalWrite(t *testing.T) {
	g := linNewSim(t)
	g.do(0, linReqCreate("/r", tree.Persistent))
	a := g.invoke(0, linReqSet("/r", 0, "a"))
	b := g.invoke(1, linReqSet("/r", 0, "b"))
	g.commit(a)
	g.reply(a)
	// b overlaps a, but both cannot succeed on version 0.
	g.replyWith(b, tree.Result{Type: tree.OpSetData, Path: "/r", HasStat: true, Stat: tree.Stat{Version: 1, DataLength: 1}})
	linWantFail(t, g.history(), a.id, b.id)
}

func TestLinearizableCatchesSequentialSuffixOutOfOrder(t *testing.T) {
	g := linNewSim(t)
	g.do(0, linReqCreate("/q", tree.Persistent))
	a := g.invoke(0, linReqCreate("/q/n-", tree.PersistentSequential))
	g.replyWith(a, tree.Result{Type: tree.OpCreate2, Path: "/q/n-0000000001", HasStat: true, Stat: tree.Stat{DataLength: 5}})
	b := g.invoke(1, linReqCreate("/q/n-", tree.PersistentSequential))
	g.replyWith(b, tree.Result{Type: tree.OpCreate2, Path: "/q/n-0000000000", HasStat: true, Stat: tree.Stat{DataLength: 5}})
	linWantFail(t, g.history(), a.id)

	// In real-time order b got a larger suffix than c, which came after it.
	g = linNewSim(t)
	g.do(0, linReqCreate("/q", tree.Persistent))
	g.do(0, linReqCreate("/q/n-", tree.PersistentSequential)) // n-0000000000
	b = g.invoke(1, linReqCreate("/q/n-", tree.PersistentSequential))
	g.replyWith(b, tree.Result{Type: tree.OpCreate2, Path: "/q/n-0000000002", HasStat: true, Stat: tree.Stat{DataLength: 5}})
	c := g.invoke(0, linReqCreate("/q/n-", tree.PersistentSequential))
	g.replyWith(c, tree.Result{Type: tree.OpCreate2, Path: "/q/n-0000000001", HasStat: true, Stat: tree.Stat{DataLength: 5}})
	linWantFail(t, g.history(), b.id)

	// A name that is not prefix + 10 digits is caught as such.
	g = linNewSim(t)
	g.do(0, linReqCreate("/q", tree.Persistent))
	d := g.invoke(0, linReqCreate("/q/n-", tree.PersistentSequential))
	g.replyWith(d, tree.Result{Type: tree.OpCreate2, Path: "/q/n-7"})
	v := linWantFail(t, g.history(), d.id)
	if !strings.Contains(v.Violations[0].Message, "10-digit") {
		t.Errorf("the message does not say what is wrong with the name: %s", v.Violations[0].Message)
	}
}

func TestLinearizableCatchesHalfAppliedMulti(t *testing.T) {
	g := linNewSim(t)
	g.do(0, linReqCreate("/m", tree.Persistent))
	g.do(0, linReqCreate("/m/b", tree.Persistent))
	// The multi fails on its second op, yet its first op took effect.
	m := g.do(1, linReqMulti(linReqCreate("/m/a", tree.Persistent), linReqCreate("/m/b", tree.Persistent)))
	if m.res.Err != tree.NodeExists {
		t.Fatalf("multi: %s", m.res.String())
	}
	a := g.invoke(0, linReqCreate("/m/a", tree.Persistent))
	g.replyWith(a, tree.Result{Type: tree.OpError, Err: tree.NodeExists})
	linWantFail(t, g.history(), a.id)

	// The other half: a multi that succeeded, but one of its creates is missing later.
	g = linNewSim(t)
	g.do(0, linReqCreate("/m", tree.Persistent))
	m = g.do(1, linReqMulti(linReqCreate("/m/a", tree.Persistent), linReqCreate("/m/b", tree.Persistent)))
	b := g.invoke(0, linReqCreate("/m/b", tree.Persistent))
	g.replyWith(b, tree.Result{Type: tree.OpCreate2, Path: "/m/b", HasStat: true, Stat: tree.Stat{DataLength: 4}})
	linWantFail(t, g.history(), b.id)

	// A failed multi whose results break A7's shape.
	g = linNewSim(t)
	g.do(0, linReqCreate("/m", tree.Persistent))
	c := g.invoke(1, linReqMulti(linReqCreate("/m", tree.Persistent), linReqCreate("/m/x", tree.Persistent)))
	g.replyWith(c, tree.Result{Type: tree.OpMulti, Err: tree.NodeExists, Multi: []tree.Result{
		{Type: tree.OpError, Err: tree.NodeExists}, {Type: tree.OpError, Err: tree.OK}}})
	linWantFail(t, g.history(), c.id)
}

func TestLinearizableCatchesWriteContradictedByLaterConditionalWrite(t *testing.T) {
	g := linNewSim(t)
	g.do(0, linReqCreate("/r", tree.Persistent))
	a := g.do(0, linReqSet("/r", -1, "a")) // acknowledged: version 1
	// A later conditional write on version 0 succeeds as if a had never happened.
	b := g.invoke(1, linReqSet("/r", 0, "b"))
	g.replyWith(b, tree.Result{Type: tree.OpSetData, Path: "/r", HasStat: true, Stat: tree.Stat{Version: 1, DataLength: 1}})
	v := linWantFail(t, g.history(), b.id)
	if msg := v.Violations[0].Message; !strings.Contains(msg, "paths /r") || !strings.Contains(msg, "model: BadVersion") {
		t.Errorf("the message should name the partition and what the model expected: %s", msg)
	}
	_ = a
}

func TestLinearizableCatchesWrongStat(t *testing.T) {
	g := linNewSim(t)
	g.do(0, linReqCreate("/r", tree.Persistent))
	a := g.invoke(1, linReqSet("/r", -1, "abc"))
	g.replyWith(a, tree.Result{Type: tree.OpSetData, Path: "/r", HasStat: true, Stat: tree.Stat{Version: 2, DataLength: 3}})
	linWantFail(t, g.history(), a.id)

	g = linNewSim(t)
	g.connect(1)
	b := g.invoke(1, linReqCreate("/e", tree.Ephemeral))
	g.replyWith(b, tree.Result{Type: tree.OpCreate2, Path: "/e", HasStat: true, Stat: tree.Stat{DataLength: 2}}) // owner 0
	linWantFail(t, g.history(), b.id)
}

func TestLinearizableCatchesEphemeralSurvivingExpiry(t *testing.T) {
	g := linNewSim(t)
	g.do(0, linReqCreate("/e", tree.Ephemeral))
	g.expire(0)
	b := g.invoke(1, linReqCreate("/e", tree.Ephemeral))
	g.replyWith(b, tree.Result{Type: tree.OpError, Err: tree.NodeExists}) // the ephemeral outlived its session
	linWantFail(t, g.history(), b.id)
}

func TestLinearizablePatchesOnlyUnknownOps(t *testing.T) {
	// An Unknown create whose txn committed, then a later create of the same path that is
	// acknowledged OK. Unpatched, the first may never have taken effect; the log says it did,
	// so patched it is a lost write.
	g := linNewSim(t)
	a := g.invoke(0, linReqCreate("/a", tree.Persistent))
	g.commit(a)
	g.lose(a)
	b := g.invoke(1, linReqCreate("/a", tree.Persistent))
	g.replyWith(b, tree.Result{Type: tree.OpCreate2, Path: "/a", HasStat: true, Stat: tree.Stat{DataLength: 2}})
	h := g.history()
	if v := linCheckWith(t, h, true); v.Status != Pass {
		t.Fatalf("unpatched: want pass, got\n%s", v.String())
	}
	if v := linCheckWith(t, h, false); v.Status != Fail {
		t.Fatalf("patched: want a violation, got\n%s", v.String())
	}

	// An acknowledged reply that disagrees with its own txn is checked as acknowledged: the
	// log never overrides it.
	g = linNewSim(t)
	c := g.invoke(0, linReqCreate("/b", tree.Persistent))
	g.commit(c) // the tree created /b
	g.replyWith(c, tree.Result{Type: tree.OpError, Err: tree.NodeExists})
	linWantFail(t, g.history(), c.id)
}

// --- Partitioning.

func TestLinearizablePartitionCouplesDeletedParent(t *testing.T) {
	// /p is created, then deleted; a create under it then fails NoNode. Split per path, /p/a's
	// partition would hold /p fixed as "created before every op under it" and expect OK: a
	// false violation. The coupling (a create with its parent, which a delete unsettles) puts
	// them together, and the history passes. With the parent deleted while its child exists
	// (NotEmpty) the same holds for the delete's coupling with the children.
	g := linNewSim(t)
	g.do(0, linReqCreate("/p", tree.Persistent))
	g.do(1, linReqDelete("/p", -1))
	g.do(0, linReqCreate("/p/a", tree.Persistent)) // NoNode
	h := g.history()
	linWantPass(t, h)
	if c := linBuild(h, LinearizableOptions{}); len(c.parts) != 1 {
		t.Fatalf("want /p and /p/a in one partition, got %d partitions", len(c.parts))
	}

	// A delete that only ever fails NotEmpty leaves /p settled, yet it reads the child count:
	// the delete's coupling with the children that may exist keeps them together.
	g = linNewSim(t)
	g.do(0, linReqCreate("/p", tree.Persistent))
	g.do(0, linReqCreate("/p/a", tree.Persistent))
	g.do(1, linReqDelete("/p", -1)) // NotEmpty
	linWantPass(t, g.history())

	build := func(plant bool) (*histories.History, int) {
		g := linNewSim(t)
		g.do(0, linReqCreate("/p", tree.Persistent))
		g.do(0, linReqCreate("/p/a", tree.Persistent))
		g.do(1, linReqDelete("/p", -1)) // NotEmpty
		g.do(1, linReqDelete("/p/a", -1))
		g.do(1, linReqDelete("/p", -1))
		x := g.invoke(0, linReqCreate("/p/a", tree.Persistent))
		if plant {
			g.replyWith(x, tree.Result{Type: tree.OpCreate2, Path: "/p/a", HasStat: true, Stat: tree.Stat{DataLength: 4}})
		} else {
			g.commit(x) // NoNode
			g.reply(x)
		}
		g.do(1, linReqCreate("/p", tree.Persistent))
		g.do(0, linReqCreate("/p/a", tree.Persistent))
		return g.history(), x.id
	}
	h, _ = build(false)
	linWantPass(t, h)
	h, id := build(true)
	linWantFail(t, h, id)
}

func TestLinearizablePartitionSplitsSettledParents(t *testing.T) {
	// Children of a parent created first and never deleted are checked path by path; the
	// parent's fixed state still decides their NoNode. An ephemeral parent may go with its
	// session, so it stays with its children (NoChildrenForEphemerals).
	build := func(plant bool) (*histories.History, int) {
		g := linNewSim(t)
		g.do(0, linReqCreate("/base", tree.Persistent))
		g.do(0, linReqCreate("/eph", tree.Ephemeral))
		for i := range 4 {
			g.do(i, linReqCreate("/base/"+strconv.Itoa(i), tree.Persistent))
			g.do(i, linReqSet("/base/"+strconv.Itoa(i), 0, "x"))
			g.do(i, linReqCreate("/eph/"+strconv.Itoa(i), tree.Persistent))  // NoChildrenForEphemerals
			g.do(i, linReqCreate("/none/"+strconv.Itoa(i), tree.Persistent)) // NoNode
		}
		x := g.invoke(0, linReqCreate("/none/9", tree.Persistent))
		if plant {
			g.replyWith(x, tree.Result{Type: tree.OpCreate2, Path: "/none/9", HasStat: true, Stat: tree.Stat{DataLength: 7}})
		} else {
			g.commit(x)
			g.reply(x)
		}
		return g.history(), x.id
	}
	h, _ := build(false)
	linWantPass(t, h)
	c := linBuild(h, LinearizableOptions{})
	// /base, /eph with its children, and per i: /base/i and /none/i; and /none/9.
	if len(c.parts) != 2+2*4+1 {
		t.Errorf("want 11 partitions, got %d", len(c.parts))
	}
	// A child create that claims success under a parent that never existed is caught.
	h, id := build(true)
	linWantFail(t, h, id)
}

func TestLinearizablePartitionCouplesUnsettledParent(t *testing.T) {
	// The parent is created while a child create is in flight: the child's NoNode or OK
	// depends on the order, so they share a partition.
	g := linNewSim(t)
	a := g.invoke(0, linReqCreate("/p/a", tree.Persistent))
	p := g.invoke(1, linReqCreate("/p", tree.Persistent))
	g.commit(p)
	g.commit(a) // OK: /p came first
	g.reply(p)
	g.reply(a)
	h := g.history()
	linWantPass(t, h)
	if c := linBuild(h, LinearizableOptions{}); len(c.parts) != 1 {
		t.Errorf("want one partition, got %d", len(c.parts))
	}
}

func TestLinearizablePartitionCouplesClose(t *testing.T) {
	// A client's close deletes ephemerals on unrelated paths at once: one partition. An
	// expiry is split per partition, since its interval is one instant.
	g := linNewSim(t)
	g.do(0, linReqCreate("/x", tree.Persistent))
	g.do(0, linReqCreate("/y", tree.Persistent))
	g.do(1, linReqCreate("/x/e", tree.Ephemeral))
	g.do(1, linReqCreate("/y/e", tree.Ephemeral))
	g.do(1, tree.Request{Type: tree.OpCloseSession})
	g.do(2, linReqCreate("/x/f", tree.Ephemeral))
	g.do(2, linReqCreate("/y/f", tree.Ephemeral))
	g.expire(2)
	g.do(0, linReqCreate("/x/e", tree.Persistent))
	g.do(0, linReqCreate("/y/f", tree.Persistent))
	h := g.history()
	linWantPass(t, h)
	c := linBuild(h, LinearizableOptions{})
	partOf := func(path string) *linPartition {
		for _, p := range c.parts {
			if slices.Contains(p.names, path) {
				return p
			}
		}
		return nil
	}
	if partOf("/x/e") != partOf("/y/e") {
		t.Errorf("the client's close should join /x/e and /y/e")
	}
	if partOf("/x/f") == partOf("/y/f") {
		t.Errorf("the expiry should not join /x/f and /y/f")
	}
}

func TestLinearizableStreamsNeverOverlap(t *testing.T) {
	h := linGenerate(t, linWorkload{seed: 3, clients: 8, ops: 3000, unknown: 0.05})
	for _, unpatched := range []bool{false, true} {
		c := linBuild(h, LinearizableOptions{Unpatched: unpatched})
		last := map[int]int64{}
		for _, lo := range c.ops {
			if lo.client < 0 {
				continue
			}
			if r, ok := last[lo.stream]; ok && r >= lo.call {
				t.Fatalf("unpatched=%v: stream %d: op %s overlaps the stream's previous op", unpatched, lo.stream, lo.describe())
			}
			last[lo.stream] = lo.ret
		}
	}
}

// --- Random correct histories pass; a planted fault in one is caught.

func TestLinearizableRandomHistoriesPass(t *testing.T) {
	for seed := range uint64(6) {
		w := linWorkload{seed: seed, clients: 12, ops: 3000, unknown: 0.01}
		if seed%2 == 1 {
			w.unknown = 0.05
		}
		h := linGenerate(t, w)
		for _, unpatched := range []bool{false, true} {
			v := linCheckWith(t, h, unpatched)
			if v.Status != Pass {
				t.Fatalf("seed %d unpatched=%v: want pass, got\n%s", seed, unpatched, v.String())
			}
			if seed == 0 {
				t.Logf("seed %d unpatched=%v: %s", seed, unpatched, v.Summary)
			}
		}
	}
}

func TestLinearizableRandomHistoryWithPlantedFault(t *testing.T) {
	h := linGenerate(t, linWorkload{seed: 7, clients: 12, ops: 3000, unknown: 0.01})
	// Flip one acknowledged successful conditional setData to BadVersion.
	target := -1
	for i := len(h.Ops) / 2; i < len(h.Ops); i++ {
		op := &h.Ops[i]
		if op.Req.Type == tree.OpSetData && op.Req.Version >= 0 && op.Outcome == histories.OK {
			target = i
			break
		}
	}
	if target < 0 {
		t.Fatal("no conditional setData to plant a fault in")
	}
	op := &h.Ops[target]
	op.Outcome, op.Err, op.Result = histories.Failed, tree.BadVersion, tree.Result{Type: tree.OpError, Err: tree.BadVersion}
	v := linCheckWith(t, h, false)
	if v.Status != Fail {
		t.Fatalf("want a violation, got\n%s", v.String())
	}
	if !slices.Contains(v.Violations[0].Ops, target) {
		t.Logf("the violation does not list op %d first-hand:\n%s", target, v.String())
	}
}

// --- Verdict and visualization.

func TestLinearizableTimeoutIsInconclusive(t *testing.T) {
	h := linGenerate(t, linWorkload{seed: 1, clients: 8, ops: 2000, unknown: 0.05})
	v := CheckLinearizable(h, LinearizableOptions{Timeout: time.Nanosecond, Unpatched: true})
	if v.Status != Inconclusive {
		t.Fatalf("want inconclusive, got\n%s", v.String())
	}
}

func TestLinearizableVisualize(t *testing.T) {
	g := linNewSim(t)
	g.do(0, linReqCreate("/r", tree.Persistent))
	fault := g.rec.FaultStart(g.tick(), histories.Fault{Kind: histories.FaultCrash, Servers: []int{1}})
	g.do(0, linReqSet("/r", -1, "a"))
	g.rec.FaultEnd(g.tick(), fault)
	b := g.invoke(1, linReqSet("/r", 0, "b"))
	g.replyWith(b, tree.Result{Type: tree.OpSetData, Path: "/r", HasStat: true, Stat: tree.Stat{Version: 1, DataLength: 1}})
	h := g.history()
	var buf bytes.Buffer
	if err := VisualizeLinearizable(h, LinearizableOptions{}, &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"<html", "setData /r v=0", `"Tag":"s2"`, `"Description":"crash"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the visualization lacks %q", want)
		}
	}
	// A passing history shows its largest partition; an empty one is an error.
	buf.Reset()
	if err := VisualizeLinearizable(linGenerate(t, linWorkload{seed: 2, clients: 4, ops: 300}), LinearizableOptions{}, &buf); err != nil || buf.Len() == 0 {
		t.Fatalf("visualizing a passing history: %v (%d bytes)", err, buf.Len())
	}
	if err := VisualizeLinearizable(linNewSim(t).history(), LinearizableOptions{}, &buf); !errors.Is(err, ErrLinearizableEmpty) {
		t.Fatalf("empty history: got %v", err)
	}
}

func TestLinearizableVisualizeLargePartition(t *testing.T) {
	h := linGenerate(t, linWorkload{seed: 5, clients: 8, ops: 4000})
	// Plant a lost write in the middle of a hot path's history.
	for i := len(h.Ops) / 2; i < len(h.Ops); i++ {
		op := &h.Ops[i]
		if op.Req.Type == tree.OpSetData && op.Outcome == histories.OK {
			op.Result.Stat.Version += 5
			break
		}
	}
	var buf bytes.Buffer
	if err := VisualizeLinearizable(h, LinearizableOptions{}, &buf); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 20<<20 {
		t.Errorf("the visualization is %d bytes", buf.Len())
	}
}

func TestLinearizableVisualizeWindow(t *testing.T) {
	// A partition too large to draw is cut to a window that starts from the model state at
	// the cut: a passing partition's window still passes, a failing one's still fails.
	h := linGenerate(t, linWorkload{seed: 5, clients: 12, ops: 6000})
	planted := -1
	for i := len(h.Ops) / 2; i < len(h.Ops); i++ {
		if op := &h.Ops[i]; op.Req.Type == tree.OpSetData && op.Outcome == histories.OK && strings.HasPrefix(op.Req.Path, "/reg/") {
			planted = i
			break
		}
	}
	partOf := func(c *linChecker) *linPartition {
		for _, p := range c.parts {
			if slices.ContainsFunc(p.ops, func(lo *linOp) bool { return lo.id == planted }) {
				return p
			}
		}
		t.Fatalf("op %d is in no partition", planted)
		return nil
	}
	c := linBuild(h, LinearizableOptions{})
	p := partOf(c)
	if len(p.ops) <= linVisualizeMaxOps {
		t.Fatalf("the partition has only %d ops", len(p.ops))
	}
	view := c.window(p, porcupine.Ok)
	if len(view.ops) != linVisualizeMaxOps || !porcupine.CheckOperations(linModel, view.porcupineOps()) {
		t.Fatalf("the window of a passing partition (%d ops) does not pass", len(view.ops))
	}

	h.Ops[planted].Result.Stat.Version += 5
	c = linBuild(h, LinearizableOptions{})
	p = partOf(c)
	view = c.window(p, porcupine.Illegal)
	if len(view.ops) > linVisualizeMaxOps || porcupine.CheckOperations(linModel, view.porcupineOps()) {
		t.Fatalf("the window of a failing partition (%d ops) passes", len(view.ops))
	}
}

// --- The random workload (also the benchmark's).

// linWorkload configures linGenerate.
type linWorkload struct {
	seed    uint64
	clients int
	ops     int
	// unknown is the fraction of ops whose reply the client loses (ConnectionLoss): a third
	// never commit, a third commit before the loss, a third after it (in flight).
	unknown float64
}

type linClientState struct {
	op      *linSimOp
	phase   int // 0 idle, 1 invoked, 2 committed
	fate    int // 0 normal, 1 lost and never committed, 2 lost after commit, 3 lost in flight
	known   map[string]int32
	written int
	budget  int
}

// linGenerate simulates a correct execution of a realistic workload: clients of five kinds
// (registers with conditional setData on hot paths, create/delete churn, sequential creates
// and deletes under shared parents, ephemerals with sessions closed or expired, multis mixing
// paths), each with one op in flight, interleaved at random so their intervals overlap; ops
// take effect at their commit through the real tree.
func linGenerate(t testing.TB, w linWorkload) *histories.History {
	g := linNewSim(t)
	rng := rand.New(rand.NewPCG(w.seed, 0x5eed))
	setup := w.clients
	hot := []string{"/reg/h0", "/reg/h1", "/reg/h2", "/reg/h3", "/reg/h4"}
	churn := []string{"/churn/p0", "/churn/p1", "/churn/p2", "/churn/p3", "/churn/p4"}
	seqs := []string{"/seq/q0", "/seq/q1"}
	multi := []string{"/multi/m0", "/multi/m1", "/multi/m2", "/multi/m3"}
	for _, p := range slices.Concat([]string{"/reg"}, hot, []string{"/churn", "/seq"}, seqs, []string{"/eph", "/multi"}, multi) {
		g.do(setup, linReqCreate(p, tree.Persistent))
	}
	kind := func(c int) int { return []int{0, 0, 0, 0, 1, 1, 2, 2, 3, 4}[c%10] }
	states := make([]linClientState, w.clients)
	for c := range states {
		states[c].known = map[string]int32{}
		states[c].budget = 20 + rng.IntN(40)
		g.connect(c)
	}
	var orphans []*linSimOp
	nextReq := func(c int) tree.Request {
		st := &states[c]
		st.written++
		data := "c" + strconv.Itoa(c) + ":" + strconv.Itoa(st.written)
		switch kind(c) {
		case 0:
			path := hot[rng.IntN(len(hot))]
			v, ok := st.known[path]
			if !ok || rng.IntN(10) < 3 {
				v = -1
			}
			return linReqSet(path, v, data)
		case 1:
			path := churn[rng.IntN(len(churn))]
			if rng.IntN(2) == 0 {
				return linReqCreate(path, tree.Persistent)
			}
			return linReqDelete(path, -1)
		case 2:
			parent := seqs[rng.IntN(len(seqs))]
			switch n := rng.IntN(4); {
			case n == 0:
				return linReqCreate(parent+"/e-", tree.EphemeralSequential)
			case n == 1:
				if kids, _ := g.tr.Children(parent); len(kids) > 0 {
					for _, k := range kids {
						if strings.HasPrefix(k, "n-") {
							return linReqDelete(parent+"/"+k, -1)
						}
					}
				}
			}
			return linReqCreate(parent+"/n-", tree.PersistentSequential)
		case 3:
			if st.budget--; st.budget < 0 {
				st.budget = 20 + rng.IntN(40)
				return tree.Request{Type: tree.OpCloseSession}
			}
			switch n := rng.IntN(10); {
			case n < 4:
				return linReqCreate("/eph/e"+strconv.Itoa(c)+"-"+strconv.Itoa(st.written), tree.Ephemeral)
			case n < 8:
				return linReqCreate("/eph/lock", tree.Ephemeral)
			}
			return linReqDelete("/eph/lock", -1)
		}
		a, b, x := multi[rng.IntN(len(multi))], multi[rng.IntN(len(multi))], multi[rng.IntN(len(multi))]
		v, ok := st.known[a]
		if !ok {
			v = -1
		}
		third := linReqDelete(x+"/x", -1)
		if rng.IntN(2) == 0 {
			third = linReqCreate(x+"/x", tree.Persistent)
		}
		return linReqMulti(linReqCheck(a, v), linReqSet(b, -1, data), third)
	}
	learn := func(c int, op *linSimOp) {
		st := &states[c]
		switch {
		case op.req.Type == tree.OpSetData && op.res.Err == tree.OK:
			st.known[op.req.Path] = op.res.Stat.Version
		case op.req.Type == tree.OpSetData:
			delete(st.known, op.req.Path)
		case op.req.Type == tree.OpMulti && op.res.Err == tree.OK:
			st.known[op.req.Ops[1].Path] = op.res.Multi[1].Stat.Version
		case op.req.Type == tree.OpMulti && op.res.Multi != nil && op.res.Multi[0].Err == tree.BadVersion:
			delete(st.known, op.req.Ops[0].Path)
		}
	}
	invoked := 0
	for invoked < w.ops || slices.ContainsFunc(states, func(s linClientState) bool { return s.phase != 0 }) {
		if len(orphans) > 0 && rng.IntN(8) == 0 {
			i := rng.IntN(len(orphans))
			g.commit(orphans[i])
			orphans = slices.Delete(orphans, i, i+1)
		}
		c := rng.IntN(w.clients)
		st := &states[c]
		switch st.phase {
		case 0:
			if invoked >= w.ops {
				continue
			}
			if _, ok := g.sessions[c]; !ok {
				g.connect(c)
			}
			if kind(c) == 3 && rng.IntN(100) == 0 {
				g.expire(c)
				g.connect(c)
				continue
			}
			st.op = g.invoke(c, nextReq(c))
			invoked++
			st.fate = 0
			if rng.Float64() < w.unknown {
				st.fate = 1 + rng.IntN(3)
			}
			st.phase = 1
		case 1:
			switch st.fate {
			case 1:
				g.lose(st.op)
				st.phase = 0
			case 3:
				g.lose(st.op)
				orphans = append(orphans, st.op)
				st.phase = 0
			default:
				g.commit(st.op)
				st.phase = 2
			}
		case 2:
			if st.fate == 2 {
				g.lose(st.op)
			} else {
				g.reply(st.op)
				learn(c, st.op)
			}
			if st.op.req.Type == tree.OpCloseSession || st.op.res.Err == tree.SessionExpired {
				delete(g.sessions, c) // the next op starts a new session
			}
			st.phase = 0
		}
	}
	for _, op := range orphans[:len(orphans)/2] {
		g.commit(op) // the rest never commit
	}
	return g.history()
}

func TestLinearizableGeneratorIsRealistic(t *testing.T) {
	h := linGenerate(t, linWorkload{seed: 1, clients: 20, ops: 5000, unknown: 0.01})
	count := map[string]int{}
	for i := range h.Ops {
		op := &h.Ops[i]
		count[op.Req.Type.String()+"/"+op.Outcome.String()]++
	}
	var keys []string
	for k := range count {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%d", k, count[k])
	}
	t.Logf("ops:%s", b.String())
	for _, want := range []string{"setData/ok", "setData/fail", "create2/ok", "create2/fail", "delete/ok", "delete/fail", "multi/ok", "multi/fail", "closeSession/ok", "setData/unknown"} {
		if count[want] == 0 {
			t.Errorf("the workload produced no %s", want)
		}
	}
	expiries := 0
	for _, x := range h.Log {
		if x.Type == tree.OpCloseSession && x.Cxid == 0 {
			expiries++
		}
	}
	if expiries == 0 {
		t.Errorf("the workload produced no expiry")
	}
}
