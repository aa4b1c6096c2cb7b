package models

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"zoosim/histories"
	"zoosim/tree"
)

// watB builds a watch history by hand: each call is the next record, one millisecond after the
// previous one. Client c has session 0x10+c. Txns go into the log with consecutive zxids in
// epoch 1, whoever wrote them; an op is recorded only where a test says so.
type watB struct {
	h    histories.History
	seq  histories.Seq
	now  histories.Time
	zxid tree.Zxid
	// server is where each client is connected.
	server map[int]int
}

func watNew() *watB {
	return &watB{zxid: 1 << 32, server: map[int]int{}}
}

func watSession(c int) tree.SessionID { return tree.SessionID(0x10 + c) }

func (b *watB) tick() (histories.Time, histories.Seq) {
	b.seq++
	b.now += 1_000_000
	return b.now, b.seq
}

// txn commits x at the next zxid and returns it.
func (b *watB) txn(x tree.Txn) tree.Zxid {
	b.zxid++
	x.Zxid = b.zxid
	b.h.Log = append(b.h.Log, &x)
	return b.zxid
}

func (b *watB) create(path string) tree.Zxid { return b.txn(tree.Txn{Type: tree.OpCreate, Path: path}) }
func (b *watB) setData(path string) tree.Zxid {
	return b.txn(tree.Txn{Type: tree.OpSetData, Path: path})
}
func (b *watB) delete(path string) tree.Zxid { return b.txn(tree.Txn{Type: tree.OpDelete, Path: path}) }

// ephemeral commits a create of path owned by client c's session.
func (b *watB) ephemeral(c int, path string) tree.Zxid {
	return b.txn(tree.Txn{Header: tree.Header{Session: watSession(c)}, Type: tree.OpCreate, Path: path,
		EphemeralOwner: int64(watSession(c))})
}

// closeSession commits client c's closeSession, which deletes its ephemerals.
func (b *watB) closeSession(c int, paths ...string) tree.Zxid {
	return b.txn(tree.Txn{Header: tree.Header{Session: watSession(c)}, Type: tree.OpCloseSession, Paths: paths})
}

func (b *watB) session(c int, st histories.SessionState, server int) {
	t, s := b.tick()
	if st == histories.Connected {
		b.server[c] = server
	}
	b.h.Events = append(b.h.Events, histories.Event{Client: c, Session: watSession(c), Time: t, Seq: s,
		Type: tree.EventNone, State: st, Server: server})
}

func (b *watB) connect(c, server int) { b.session(c, histories.Connected, server) }
func (b *watB) disconnect(c int)      { b.session(c, histories.Disconnected, -1) }

// op records that client c sent req and got the reply code err with zxid z at once.
func (b *watB) op(c int, req tree.Request, err tree.Code, z tree.Zxid) int {
	it, is := b.tick()
	rt, rs := b.tick()
	id := len(b.h.Ops)
	outcome := histories.OK
	if err != tree.OK {
		outcome = histories.Failed
	}
	b.h.Ops = append(b.h.Ops, histories.Op{ID: id, Client: c, Session: watSession(c), Xid: int32(id + 1), Req: req,
		Invoke: it, InvokeSeq: is, Return: rt, ReturnSeq: rs, Outcome: outcome, Err: err, Server: b.server[c], Zxid: z,
		Result: tree.Result{Type: req.Type, Err: err}})
	return id
}

// read records a read of client c served at the newest zxid.
func (b *watB) read(c int, typ tree.OpCode, path string, watch bool, err tree.Code) int {
	return b.readAt(c, typ, path, watch, err, b.zxid)
}

func (b *watB) readAt(c int, typ tree.OpCode, path string, watch bool, err tree.Code, z tree.Zxid) int {
	return b.op(c, tree.Request{Type: typ, Path: path, Watch: watch}, err, z)
}

// sync records a read of client c that only moves its zxid forward (an exists without a watch).
func (b *watB) sync(c int, z tree.Zxid) int {
	return b.op(c, tree.Request{Type: tree.OpSync, Path: "/"}, tree.OK, z)
}

// write records client c's write: the txn commits and the reply carries its zxid.
func (b *watB) write(c int, x tree.Txn) (int, tree.Zxid) {
	x.Session = watSession(c)
	z := b.txn(x)
	return b.op(c, tree.Request{Type: x.Type, Path: x.Path}, tree.OK, z), z
}

func (b *watB) addWatch(c int, path string, mode tree.WatchMode) int {
	return b.op(c, tree.Request{Type: tree.OpAddWatch, Path: path, WatchMode: mode}, tree.OK, b.zxid)
}

func (b *watB) removeWatches(c int, path string, t tree.WatcherType) int {
	return b.op(c, tree.Request{Type: tree.OpRemoveWatches, Path: path, WatcherType: t}, tree.OK, b.zxid)
}

func (b *watB) event(c int, typ tree.EventType, path string, z tree.Zxid) {
	t, s := b.tick()
	b.h.Events = append(b.h.Events, histories.Event{Client: c, Session: watSession(c), Time: t, Seq: s,
		Type: typ, State: histories.Connected, Path: path, Zxid: z, Server: b.server[c]})
}

func (b *watB) check(opts WatchOptions) Verdict {
	b.h.Header.End = b.now + 1
	return CheckWatches(&b.h, opts)
}

// watWant checks the verdict's status and that its summary or a violation holds each fragment.
func watWant(t *testing.T, v Verdict, status Status, fragments ...string) {
	t.Helper()
	if v.Status != status {
		t.Fatalf("status %v, want %v:\n%s", v.Status, status, v.String())
	}
	all := v.String()
	for _, f := range fragments {
		if !strings.Contains(all, f) {
			t.Errorf("verdict does not mention %q:\n%s", f, all)
		}
	}
}

func watMetric(v Verdict, name string) float64 {
	for _, m := range v.Metrics {
		if m.Name == name {
			return m.Value
		}
	}
	panic("no metric " + name)
}

// watBase connects clients 0 and 1 to s1 and creates /a.
func watBase() *watB {
	b := watNew()
	b.connect(0, 0)
	b.connect(1, 0)
	b.create("/a")
	return b
}

// ---------------------------------------------------------------------------------------------
// Correct histories pass.

func TestWatchesOneShotDataWatch(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	z := b.setData("/a")
	b.event(0, tree.EventNodeDataChanged, "/a", z)
	b.sync(0, z)
	// Fired: the next setData owes nothing.
	z2 := b.setData("/a")
	b.sync(0, z2)
	v := b.check(WatchOptions{})
	watWant(t, v, Pass, "1 registrations, 1 watch events")
}

func TestWatchesWritersOwnEventComesBeforeItsReply(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	// The server fires the watch when it applies the txn, then answers the write (A13.4).
	z := b.zxid + 1
	b.event(0, tree.EventNodeDataChanged, "/a", z)
	b.write(0, tree.Txn{Type: tree.OpSetData, Path: "/a"})
	watWant(t, b.check(WatchOptions{}), Pass)
}

func TestWatchesDedupOneEventForManyRegistrations(t *testing.T) {
	b := watBase()
	// getData and exists leave one data watch; getChildren a child watch: one NodeDeleted for
	// all three (A8.1 "Dedup").
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	b.read(0, tree.OpExists, "/a", true, tree.OK)
	b.read(0, tree.OpGetChildren, "/a", true, tree.OK)
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	z := b.delete("/a")
	b.event(0, tree.EventNodeDeleted, "/a", z)
	b.sync(0, z)
	watWant(t, b.check(WatchOptions{}), Pass)
}

func TestWatchesExistsOnMissingNode(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpExists, "/b", true, tree.NoNode)
	z := b.create("/b")
	b.event(0, tree.EventNodeCreated, "/b", z)
	b.sync(0, z)
	watWant(t, b.check(WatchOptions{}), Pass)
}

func TestWatchesChildWatch(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpGetChildren, "/a", true, tree.OK)
	b.setData("/a") // no child watch fires on a setData
	z := b.create("/a/x")
	b.event(0, tree.EventNodeChildrenChanged, "/a", z)
	b.read(0, tree.OpGetChildren2, "/a", true, tree.OK)
	b.delete("/a/x")
	b.event(0, tree.EventNodeChildrenChanged, "/a", b.zxid)
	b.read(0, tree.OpGetChildren, "/a", true, tree.OK)
	z = b.delete("/a")
	b.event(0, tree.EventNodeDeleted, "/a", z)
	b.sync(0, z)
	watWant(t, b.check(WatchOptions{}), Pass)
}

func TestWatchesPersistentAndRecursive(t *testing.T) {
	b := watBase()
	b.create("/r")
	b.addWatch(0, "/a", tree.WatchPersistent)
	b.addWatch(1, "/r", tree.WatchPersistentRecursive)
	for range 2 {
		z := b.setData("/a")
		b.event(0, tree.EventNodeDataChanged, "/a", z)
	}
	z := b.create("/a/x")
	b.event(0, tree.EventNodeChildrenChanged, "/a", z)
	// A recursive watch sees every change below it, and never NodeChildrenChanged (A8.2).
	z = b.create("/r/x")
	b.event(1, tree.EventNodeCreated, "/r/x", z)
	z = b.create("/r/x/y")
	b.event(1, tree.EventNodeCreated, "/r/x/y", z)
	z = b.setData("/r/x")
	b.event(1, tree.EventNodeDataChanged, "/r/x", z)
	z = b.delete("/r/x/y")
	b.event(1, tree.EventNodeDeleted, "/r/x/y", z)
	// A multi fires once per change, in one txn.
	z = b.txn(tree.Txn{Type: tree.OpMulti, Ops: []tree.Txn{{Type: tree.OpSetData, Path: "/a"}, {Type: tree.OpSetData, Path: "/r"},
		{Type: tree.OpSetData, Path: "/a"}}})
	b.event(1, tree.EventNodeDataChanged, "/r", z)
	b.event(0, tree.EventNodeDataChanged, "/a", z)
	b.event(0, tree.EventNodeDataChanged, "/a", z)
	b.sync(0, z)
	b.sync(1, z)
	// Removed: nothing more.
	b.removeWatches(0, "/a", tree.WatcherAny)
	z = b.setData("/a")
	b.sync(0, z)
	watWant(t, b.check(WatchOptions{}), Pass)
}

func TestWatchesGetDataDowngradesAPersistentWatch(t *testing.T) {
	// ZooKeeper 3.8.0 keeps one mode per path and session in each table: getData on a path
	// with a persistent watch makes its data-table entry one-shot (tree.Watches.AddWatch).
	b := watBase()
	b.addWatch(0, "/a", tree.WatchPersistent)
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	z := b.setData("/a")
	b.event(0, tree.EventNodeDataChanged, "/a", z)
	z = b.setData("/a") // the data entry is gone: no event
	b.sync(0, z)
	z = b.create("/a/x") // the child entry is still persistent
	b.event(0, tree.EventNodeChildrenChanged, "/a", z)
	b.sync(0, z)
	watWant(t, b.check(WatchOptions{}), Pass)
}

func TestWatchesReconnectCatchUp(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	b.disconnect(0)
	b.setData("/a")
	z := b.setData("/a")
	// setWatches on s2 (at z) fires at once, with the server's zxid (A8.1 "Reconnect").
	b.connect(0, 1)
	b.event(0, tree.EventNodeDataChanged, "/a", z)
	b.sync(0, z)
	watWant(t, b.check(WatchOptions{}), Pass)
}

func TestWatchesReconnectReRegistersWithoutChange(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpGetChildren, "/a", true, tree.OK)
	b.read(0, tree.OpExists, "/b", true, tree.NoNode)
	b.addWatch(0, "/a", tree.WatchPersistent)
	b.disconnect(0)
	b.setData("/a") // lost for the persistent watch: no catch-up for persistent watches
	b.connect(0, 2)
	z := b.zxid
	b.sync(0, z)
	// The re-registered watches fire from s3.
	z = b.create("/a/x")
	b.event(0, tree.EventNodeChildrenChanged, "/a", z) // the one-shot child watch and the persistent one: one event
	z = b.create("/b")
	b.event(0, tree.EventNodeCreated, "/b", z)
	z = b.setData("/a")
	b.event(0, tree.EventNodeDataChanged, "/a", z)
	b.sync(0, z)
	watWant(t, b.check(WatchOptions{}), Pass)
}

func TestWatchesReconnectDirectFireAfterQuietReRegistration(t *testing.T) {
	// The first thing the new connection delivers is an event at zxid E: setWatches ran
	// before E and fired nothing, and the txn at E fired the re-registered watches.
	b := watBase()
	b.create("/r")
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	b.addWatch(0, "/r", tree.WatchPersistentRecursive)
	b.disconnect(0)
	b.connect(0, 1)
	z := b.txn(tree.Txn{Type: tree.OpMulti, Ops: []tree.Txn{{Type: tree.OpSetData, Path: "/a"}, {Type: tree.OpCreate, Path: "/r/x"}}})
	b.event(0, tree.EventNodeDataChanged, "/a", z)
	b.event(0, tree.EventNodeCreated, "/r/x", z)
	b.sync(0, z)
	watWant(t, b.check(WatchOptions{}), Pass)
}

func TestWatchesExistWatchHoleAcrossReconnect(t *testing.T) {
	// "A watch for the existence of a znode not yet created will be missed if the znode is
	// created and deleted while disconnected" (A8.1).
	b := watBase()
	b.read(0, tree.OpExists, "/b", true, tree.NoNode)
	b.disconnect(0)
	b.create("/b")
	b.delete("/b")
	b.connect(0, 1)
	b.sync(0, b.zxid)
	z := b.create("/b") // re-registered: the next create fires it
	b.event(0, tree.EventNodeCreated, "/b", z)
	b.sync(0, z)
	watWant(t, b.check(WatchOptions{}), Pass)
}

func TestWatchesSessionExpiryOwesNothing(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	b.disconnect(0)
	b.setData("/a")
	b.session(0, histories.Expired, -1)
	z := b.setData("/a")
	b.sync(1, z)
	watWant(t, b.check(WatchOptions{}), Pass)
}

func TestWatchesTriggerNotYetSeenOwesNothing(t *testing.T) {
	// The trigger committed, but the session's last reply came from before it: its server may
	// not have applied it, or the event may have died with the connection.
	b := watBase()
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	before := b.zxid
	b.setData("/a")
	b.sync(0, before)
	b.disconnect(0)
	watWant(t, b.check(WatchOptions{}), Pass)
}

func TestWatchesCloseSessionDeletesEphemeralsAndFires(t *testing.T) {
	b := watBase()
	b.ephemeral(1, "/a/e1")
	b.ephemeral(1, "/a/e2")
	b.read(0, tree.OpExists, "/a/e1", true, tree.OK)
	b.read(0, tree.OpGetChildren, "/a", true, tree.OK)
	// The txn names e1 only; e2 goes too, as the session's other ephemeral (DataTree.killSession).
	z := b.closeSession(1, "/a/e1")
	b.event(0, tree.EventNodeDeleted, "/a/e1", z)
	b.event(0, tree.EventNodeChildrenChanged, "/a", z)
	b.sync(0, z)
	watWant(t, b.check(WatchOptions{}), Pass)
}

// ---------------------------------------------------------------------------------------------
// Planted violations are caught.

func TestWatchesCatchesMissingEvent(t *testing.T) {
	b := watBase()
	id := b.read(0, tree.OpGetData, "/a", true, tree.OK)
	z := b.setData("/a")
	reply := b.sync(0, z)
	v := b.check(WatchOptions{})
	watWant(t, v, Fail, "missed NodeDataChanged /a", "this event never did")
	if got := v.Violations[0].Ops; len(got) != 2 || got[0] != id || got[1] != reply {
		t.Errorf("ops %v, want [%d %d]", got, id, reply)
	}
}

func TestWatchesCatchesMissingEventBeforeLaterEvent(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	b.read(0, tree.OpExists, "/b", true, tree.NoNode)
	b.setData("/a")
	z := b.create("/b")
	b.event(0, tree.EventNodeCreated, "/b", z) // proves the server applied the setData first
	watWant(t, b.check(WatchOptions{}), Fail, "missed NodeDataChanged /a", "event with zxid")
}

func TestWatchesCatchesDuplicatedEvent(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	b.read(0, tree.OpExists, "/a", true, tree.OK) // the same data watch
	z := b.setData("/a")
	b.event(0, tree.EventNodeDataChanged, "/a", z)
	b.event(0, tree.EventNodeDataChanged, "/a", z)
	b.sync(0, z)
	watWant(t, b.check(WatchOptions{}), Fail, "twice over")
}

func TestWatchesCatchesDeleteNotDeduplicated(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	b.read(0, tree.OpGetChildren, "/a", true, tree.OK)
	z := b.delete("/a")
	b.event(0, tree.EventNodeDeleted, "/a", z)
	b.event(0, tree.EventNodeDeleted, "/a", z)
	watWant(t, b.check(WatchOptions{}), Fail, "NodeDeleted /a at zxid", "twice over")
}

func TestWatchesCatchesWrongType(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpExists, "/b", true, tree.NoNode)
	z := b.create("/b")
	b.event(0, tree.EventNodeDataChanged, "/b", z)
	b.sync(0, z)
	watWant(t, b.check(WatchOptions{}), Fail, "got NodeDataChanged /b", "wants NodeCreated")
}

func TestWatchesCatchesRecursiveChildEvent(t *testing.T) {
	b := watBase()
	b.addWatch(0, "/a", tree.WatchPersistentRecursive)
	z := b.create("/a/x")
	b.event(0, tree.EventNodeCreated, "/a/x", z)
	b.event(0, tree.EventNodeChildrenChanged, "/a", z) // never for a recursive watch (A8.2)
	watWant(t, b.check(WatchOptions{}), Fail, "NodeChildrenChanged /a", "answers no watch")
}

func TestWatchesCatchesWatchAfterReply(t *testing.T) {
	// The watch-after-reply variant: the server answers the write before it fires the watch,
	// so the client sees the new state before the event (A8.1 guarantee 2).
	b := watBase()
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	reply, z := b.write(0, tree.Txn{Type: tree.OpSetData, Path: "/a"})
	b.event(0, tree.EventNodeDataChanged, "/a", z)
	v := b.check(WatchOptions{})
	watWant(t, v, Fail, "after the reply to op 1 (setData /a)", "must come first")
	if got := v.Violations[0].Ops; len(got) == 0 || got[0] != reply {
		t.Errorf("ops %v, want the reply %d first", got, reply)
	}
	if v.Total != 1 {
		t.Errorf("%d violations, want 1:\n%s", v.Total, v.String())
	}
	watWant(t, b.check(WatchOptions{IgnoreOrder: true}), Pass)
}

func TestWatchesCatchesWatchAfterReplyOnAFreshConnection(t *testing.T) {
	// The reply is the connection's first message, so setWatches ran before it; the event
	// its watch owed came after it.
	b := watBase()
	b.addWatch(0, "/a", tree.WatchPersistent)
	b.disconnect(0)
	b.connect(0, 1)
	_, z := b.write(0, tree.Txn{Type: tree.OpSetData, Path: "/a"})
	b.event(0, tree.EventNodeDataChanged, "/a", z)
	watWant(t, b.check(WatchOptions{}), Fail, "after the reply to op 1 (setData /a)", "must come first")
	watWant(t, b.check(WatchOptions{IgnoreOrder: true}), Pass)
}

func TestWatchesCatchesEventsOutOfZxidOrder(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	b.read(0, tree.OpExists, "/b", true, tree.NoNode)
	z1 := b.setData("/a")
	z2 := b.create("/b")
	b.event(0, tree.EventNodeCreated, "/b", z2)
	b.event(0, tree.EventNodeDataChanged, "/a", z1)
	watWant(t, b.check(WatchOptions{}), Fail, "got NodeDataChanged /a", "after the event with zxid")
}

func TestWatchesCatchesEventForAWatchNeverSet(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpGetData, "/a", false, tree.OK) // no watch
	b.read(1, tree.OpGetData, "/a", true, tree.OK)  // another session's watch
	z := b.setData("/a")
	b.event(1, tree.EventNodeDataChanged, "/a", z)
	b.event(0, tree.EventNodeDataChanged, "/a", z)
	watWant(t, b.check(WatchOptions{}), Fail, "c0 session 0x10 got NodeDataChanged /a", "answers no watch")
}

func TestWatchesCatchesGetDataOnMissingNodeFiring(t *testing.T) {
	// getData on a missing node fails and sets no watch (A8.1).
	b := watBase()
	b.read(0, tree.OpGetData, "/b", true, tree.NoNode)
	z := b.create("/b")
	b.event(0, tree.EventNodeCreated, "/b", z)
	watWant(t, b.check(WatchOptions{}), Fail, "answers no watch")
}

func TestWatchesCatchesEventLostAcrossReconnect(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	b.disconnect(0)
	b.setData("/a")
	b.connect(0, 1)
	// setWatches (relativeZxid before the setData) must fire at once; a reply comes first.
	b.sync(0, b.zxid)
	watWant(t, b.check(WatchOptions{}), Fail, "lost NodeDeleted or NodeDataChanged /a across its reconnect to s2")
}

func TestWatchesCatchesEventLostAcrossReconnectBehindOtherEvent(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	b.read(0, tree.OpExists, "/b", true, tree.NoNode)
	b.disconnect(0)
	b.setData("/a")
	z := b.create("/b")
	b.connect(0, 1)
	b.event(0, tree.EventNodeCreated, "/b", z) // the catch-up for /b, but none for /a
	b.sync(0, z)
	watWant(t, b.check(WatchOptions{}), Fail, "NodeDataChanged /a")
}

func TestWatchesCatchesMissingEventForSessionsOwnEphemeral(t *testing.T) {
	b := watBase()
	b.ephemeral(0, "/a/e")
	b.read(0, tree.OpExists, "/a/e", true, tree.OK)
	// The session closes: its ephemeral goes, and the server fires before it replies.
	b.write(0, tree.Txn{Type: tree.OpCloseSession})
	watWant(t, b.check(WatchOptions{}), Fail, "missed NodeDeleted /a/e")
}

func TestWatchesRemovedWatchOwesNothingButFiringIsCaught(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	b.removeWatches(0, "/a", tree.WatcherData)
	z := b.setData("/a")
	b.sync(0, z)
	watWant(t, b.check(WatchOptions{}), Pass)
	b.event(0, tree.EventNodeDataChanged, "/a", z)
	watWant(t, b.check(WatchOptions{}), Fail, "answers no watch")
}

func TestWatchesRemovalOfOneWatcherMakesTheCatchUpOptional(t *testing.T) {
	// removeWatches of one watcher (checkWatches on the wire) leaves the server's watch, and
	// maybe other watchers of the client, which then re-registers it or not.
	for _, delivered := range []bool{false, true} {
		b := watBase()
		b.read(0, tree.OpGetData, "/a", true, tree.OK)
		b.op(0, tree.Request{Type: tree.OpCheckWatches, Path: "/a", WatcherType: tree.WatcherData}, tree.OK, b.zxid)
		b.disconnect(0)
		z := b.setData("/a")
		b.connect(0, 1)
		if delivered {
			b.event(0, tree.EventNodeDataChanged, "/a", z)
		}
		b.sync(0, z)
		watWant(t, b.check(WatchOptions{}), Pass)
	}
}

func TestWatchesLocalRemovalIsNotReRegistered(t *testing.T) {
	b := watBase()
	b.read(0, tree.OpGetData, "/a", true, tree.OK)
	b.disconnect(0)
	// removeAllWatches with local: no reply, yet OK (A8.3).
	id := b.op(0, tree.Request{Type: tree.OpRemoveWatches, Path: "/a", WatcherType: tree.WatcherAny}, tree.OK, 0)
	op := &b.h.Ops[id]
	op.Outcome, op.Server, op.Zxid = histories.Unknown, -1, 0
	z := b.setData("/a")
	b.connect(0, 1)
	b.sync(0, z)
	watWant(t, b.check(WatchOptions{}), Pass)
	b.event(0, tree.EventNodeDataChanged, "/a", z)
	watWant(t, b.check(WatchOptions{}), Fail, "answers no watch")
}

// establish records that a leader of epoch began to serve with its log up to from (B3): the
// txns of earlier epochs past from never committed (ordCommitted). Later txns are in epoch.
func (b *watB) establish(epoch int64, from tree.Zxid) {
	t, s := b.tick()
	b.h.Servers = append(b.h.Servers, histories.ServerEvent{Server: 1, Time: t, Seq: s, Kind: histories.Role,
		Role: histories.Leading, Epoch: epoch, Leader: 1, Serving: true, Zxid: from})
	b.zxid = tree.Zxid(epoch << 32)
}

// A txn a server applied but no established leader kept (a would-be leader's initial history,
// rolled back by TRUNC or SNAP) is in no server's tree once the new epoch serves: the new
// server's setWatches compares relativeZxid with the mzxid of the committed tree, and its
// triggers fire against that tree (DataTree.setWatches, A8.1 "Reconnect"). The watches follow
// the committed log, as CheckZxidOrder reads it. The sweep's seeds 285 and 312 were caught
// by this: a tentative setData taken for a change since relativeZxid, a tentative delete or
// create taken for the node's state.
func TestWatchesIgnoreTentativeTxns(t *testing.T) {
	t.Run("no catch-up for a tentative setData", func(t *testing.T) {
		b := watBase()
		b.read(0, tree.OpGetData, "/a", true, tree.OK)
		rel := b.zxid
		b.disconnect(0)
		b.setData("/a") // applied by a would-be leader of epoch 1 only
		b.establish(2, rel)
		b.connect(0, 1)
		b.sync(0, b.create("/b")) // setWatches re-registered the watch, fired nothing
		z := b.setData("/a")
		b.event(0, tree.EventNodeDataChanged, "/a", z)
		b.sync(0, z)
		watWant(t, b.check(WatchOptions{}), Pass)
	})
	t.Run("a tentative delete leaves the node for the recursive watch", func(t *testing.T) {
		b := watBase()
		b.create("/a/x")
		b.addWatch(0, "/a", tree.WatchPersistentRecursive)
		rel := b.zxid
		b.disconnect(0)
		b.delete("/a/x") // never committed
		b.establish(2, rel)
		b.connect(0, 1)
		b.sync(0, b.create("/b"))
		z := b.delete("/a/x")
		b.event(0, tree.EventNodeDeleted, "/a/x", z)
		b.sync(0, z)
		watWant(t, b.check(WatchOptions{}), Pass)
	})
	t.Run("a tentative create leaves the exist watch armed", func(t *testing.T) {
		b := watBase()
		b.read(0, tree.OpExists, "/a/x", true, tree.NoNode)
		rel := b.zxid
		b.disconnect(0)
		b.create("/a/x") // never committed
		b.establish(2, rel)
		b.connect(0, 1)
		b.sync(0, b.create("/b"))
		z := b.create("/a/x")
		b.event(0, tree.EventNodeCreated, "/a/x", z)
		b.sync(0, z)
		watWant(t, b.check(WatchOptions{}), Pass)
	})
	t.Run("an event for a tentative txn answers no watch", func(t *testing.T) {
		b := watBase()
		b.read(0, tree.OpGetData, "/a", true, tree.OK)
		rel := b.zxid
		b.disconnect(0)
		tentative := b.setData("/a")
		b.establish(2, rel)
		b.connect(0, 1)
		b.event(0, tree.EventNodeDataChanged, "/a", tentative)
		b.sync(0, b.create("/b"))
		watWant(t, b.check(WatchOptions{}), Fail, "answers no watch")
	})
}

func TestWatchesBadLogIsInconclusive(t *testing.T) {
	b := watBase()
	b.h.Log = append(b.h.Log, &tree.Txn{Header: tree.Header{Zxid: 1}, Type: tree.OpSetData, Path: "/a"})
	watWant(t, b.check(WatchOptions{}), Inconclusive, "log not in zxid order")
}

// ---------------------------------------------------------------------------------------------
// Random histories from the tree package's own registry.

// watGen writes a random history of a small ensemble whose servers are the tree package's
// Tree, Watches and Preparer, as zab runs them: a leader prepares each write into the log;
// each server applies the log at its own pace, fires its registry and queues events and
// replies on FIFO connections; a client reads what arrives, keeps its watch tables as
// zab/client does, loses what is in flight when a connection drops, re-registers with
// setWatches when it reconnects, and may close its session or have it expire. The checker is
// not consulted: the histories are right by construction.
type watGen struct {
	rng    *rand.Rand
	h      histories.History
	seq    histories.Seq
	now    histories.Time
	leader *tree.Tree
	prep   *tree.Preparer
	zxid   tree.Zxid
	srv    []*watGenServer
	cl     []*watGenClient
	paths  []string
	// catchUp marks the events setWatches fired (by index in h.Events).
	catchUp []bool
}

type watGenServer struct {
	tree    *tree.Tree
	watches *tree.Watches
	next    int // the index in the log of the next txn to apply
	conns   map[tree.SessionID]*watGenClient
}

// watGenMsg is a message in flight from a server to a client.
type watGenMsg struct {
	kind    int // watMsgEvent, watMsgReply, watMsgSetWatches, watMsgClose
	typ     tree.EventType
	path    string
	zxid    tree.Zxid
	op      int
	res     tree.Result
	catchUp bool
}

const (
	watMsgEvent = iota
	watMsgReply
	watMsgSetWatches
	watMsgClose
)

// The client's watch tables as bits (zab/client watchManager).
const (
	watGenData uint8 = 1 << iota
	watGenExist
	watGenChild
	watGenPersistent
	watGenRecursive
)

type watGenClient struct {
	idx      int
	session  tree.SessionID
	server   int // -1 while disconnected
	inbox    []watGenMsg
	lastZxid tree.Zxid
	held     map[string]uint8
	op       int       // the outstanding op, -1 if none
	write    tree.Zxid // the txn the outstanding write became, 0 if none
	xid      int32
	closing  bool
	expired  bool
	ended    bool
}

func watNewGen(seed uint64, servers, clients int) *watGen {
	g := &watGen{rng: rand.New(rand.NewPCG(seed, 0x5eed)), leader: tree.New(tree.Options{}), zxid: 1 << 32,
		paths: []string{"/a", "/a/x", "/a/y", "/a/x/z", "/b", "/b/x", "/c", "/a", "/b"}}
	g.prep = tree.NewPreparer(g.leader)
	for range servers {
		g.srv = append(g.srv, &watGenServer{tree: tree.New(tree.Options{}), watches: tree.NewWatches(),
			conns: map[tree.SessionID]*watGenClient{}})
	}
	for i := range clients {
		c := &watGenClient{idx: i, session: tree.SessionID(0x100 + i), server: -1, held: map[string]uint8{}, op: -1}
		g.cl = append(g.cl, c)
		g.commit(c.session, 0, &tree.Request{Type: tree.OpCreateSession, Timeout: 10000})
	}
	return g
}

func (g *watGen) tick() (histories.Time, histories.Seq) {
	g.seq++
	g.now += 100_000
	return g.now, g.seq
}

// commit prepares req on the leader and appends its txn to the log.
func (g *watGen) commit(s tree.SessionID, xid int32, req *tree.Request) *tree.Txn {
	g.zxid++
	x := g.prep.Prepare(tree.Header{Session: s, Cxid: xid, Zxid: g.zxid}, req, tree.Auth{})
	g.leader.Apply(x)
	g.prep.Committed(x.Zxid)
	g.h.Log = append(g.h.Log, x)
	return x
}

func (g *watGen) invoke(c *watGenClient, req tree.Request) int {
	t, s := g.tick()
	c.xid++
	id := len(g.h.Ops)
	g.h.Ops = append(g.h.Ops, histories.Op{ID: id, Client: c.idx, Session: c.session, Xid: c.xid, Req: req,
		Invoke: t, InvokeSeq: s, Return: histories.Never, Outcome: histories.Unknown, Server: -1})
	c.op = id
	return id
}

func (g *watGen) fail(c *watGenClient) {
	if c.op < 0 {
		return
	}
	op := &g.h.Ops[c.op]
	op.Return, op.ReturnSeq = g.tick()
	op.Err = tree.ConnectionLoss
	c.op, c.write = -1, 0
}

func (g *watGen) record(c *watGenClient, e histories.Event, catchUp bool) {
	e.Time, e.Seq = g.tick()
	e.Client, e.Session = c.idx, c.session
	if e.Type == 0 {
		e.Type = tree.EventNone
	}
	g.h.Events = append(g.h.Events, e)
	g.catchUp = append(g.catchUp, catchUp)
}

func (g *watGen) pick(n int) int { return g.rng.IntN(n) }

func (g *watGen) step() {
	c := g.cl[g.pick(len(g.cl))]
	switch r := g.pick(100); {
	case r < 35:
		if c.ended && g.pick(8) == 0 {
			g.renew(c)
			return
		}
		if c.server < 0 && !c.ended {
			if g.pick(4) == 0 {
				g.reconnect(c)
			}
			return
		}
		g.clientOp(c)
	case r < 65:
		g.apply(g.srv[g.pick(len(g.srv))])
	case r < 96:
		// A client with something in flight reads it.
		for range len(g.cl) {
			if len(c.inbox) > 0 {
				break
			}
			c = g.cl[g.pick(len(g.cl))]
		}
		g.receive(c)
	case r < 98:
		if c.server >= 0 && !c.ended {
			g.disconnect(c)
		}
	default:
		if c.server < 0 && !c.ended && !c.expired && g.pick(4) == 0 {
			g.commit(c.session, 0, &tree.Request{Type: tree.OpCloseSession})
			c.expired = true
		}
	}
}

// renew gives a client whose session ended a new session, as a process opens a new client.
func (g *watGen) renew(c *watGenClient) {
	*c = watGenClient{idx: c.idx, session: c.session + 0x1000, server: -1, held: map[string]uint8{}, op: -1, xid: c.xid}
	g.commit(c.session, 0, &tree.Request{Type: tree.OpCreateSession, Timeout: 10000})
	g.reconnect(c)
}

// settle lets every server catch up and every client read what is in flight.
func (g *watGen) settle() {
	for _, s := range g.srv {
		for s.next < len(g.h.Log) {
			g.apply(s)
		}
	}
	for _, c := range g.cl {
		for len(c.inbox) > 0 {
			g.receive(c)
		}
	}
}

func (g *watGen) finish() *histories.History {
	g.h.Header.End = g.now + 1
	g.h.Header.Servers, g.h.Header.Clients = len(g.srv), len(g.cl)
	return &g.h
}

func (g *watGen) clientOp(c *watGenClient) {
	if c.server < 0 || c.op >= 0 || c.ended || c.closing {
		return
	}
	s := g.srv[c.server]
	path := g.paths[g.pick(len(g.paths))]
	var req tree.Request
	switch k := g.pick(40); {
	case k < 16:
		reads := []tree.OpCode{tree.OpExists, tree.OpGetData, tree.OpGetChildren, tree.OpGetChildren2}
		req = tree.Request{Type: reads[g.pick(len(reads))], Path: path, Watch: g.pick(6) > 0}
	case k < 18:
		req = tree.Request{Type: tree.OpAddWatch, Path: path, WatchMode: tree.WatchMode(1 + g.pick(2))}
	case k < 19:
		types := []tree.WatcherType{tree.WatcherChildren, tree.WatcherData, tree.WatcherAny}
		req = tree.Request{Type: tree.OpRemoveWatches, Path: path, WatcherType: types[g.pick(3)]}
	case k < 39:
		req = g.write(path)
	default:
		if g.pick(3) > 0 {
			return
		}
		req = tree.Request{Type: tree.OpCloseSession}
		c.closing = true
	}
	id := g.invoke(c, req)
	if histories.IsWrite(req.Type) {
		c.write = g.commit(c.session, c.xid, &req).Zxid
		return
	}
	res, _ := s.tree.Read(&req, c.session, tree.Auth{}, s.watches)
	c.inbox = append(c.inbox, watGenMsg{kind: watMsgReply, op: id, res: res, zxid: s.tree.LastZxid()})
}

func (g *watGen) write(path string) tree.Request {
	create := func(p string) tree.Request {
		mode := tree.Persistent
		if strings.Count(p, "/") > 1 && g.pick(3) == 0 {
			mode = tree.Ephemeral // leaves only: an ephemeral has no children
		}
		return tree.Request{Type: tree.OpCreate, Path: p, ACL: tree.OpenACLUnsafe, Mode: mode}
	}
	// Mostly writes that succeed: create where the parent exists, change what exists.
	var absent, present []string
	for _, p := range g.paths {
		switch {
		case g.leader.Exists(p):
			present = append(present, p)
		case g.leader.Exists(tree.ParentPath(p)):
			absent = append(absent, p)
		}
	}
	if g.pick(8) > 0 {
		if len(absent) > 0 && g.pick(2) == 0 {
			path = absent[g.pick(len(absent))]
		} else if len(present) > 0 {
			path = present[g.pick(len(present))]
		}
	}
	switch k := g.pick(10); {
	case !g.leader.Exists(path) && k < 8:
		return create(path)
	case k < 5:
		return tree.Request{Type: tree.OpSetData, Path: path, Data: []byte("v"), Version: -1}
	case k < 8:
		return tree.Request{Type: tree.OpDelete, Path: path, Version: -1}
	}
	other := g.paths[g.pick(len(g.paths))]
	ops := []tree.Request{create(path), {Type: tree.OpSetData, Path: other, Version: -1}}
	if g.pick(2) == 0 {
		ops = append(ops, tree.Request{Type: tree.OpDelete, Path: path, Version: -1})
	}
	return tree.Request{Type: tree.OpMulti, Ops: ops}
}

// apply has s apply its next txn: the registry fires, then the writer gets its reply
// (A13.4), and a closed session's connection closes.
func (g *watGen) apply(s *watGenServer) {
	if s.next >= len(g.h.Log) {
		return
	}
	x := g.h.Log[s.next]
	s.next++
	a := s.tree.Apply(x)
	for _, ev := range s.watches.Trigger(a.Changes, nil) {
		if c := s.conns[ev.Session]; c != nil {
			c.inbox = append(c.inbox, watGenMsg{kind: watMsgEvent, typ: ev.Type, path: ev.Path, zxid: x.Zxid})
		}
	}
	c := s.conns[x.Session]
	if c == nil {
		return
	}
	if c.op >= 0 && c.write == x.Zxid {
		c.inbox = append(c.inbox, watGenMsg{kind: watMsgReply, op: c.op, res: a.Result, zxid: x.Zxid})
		c.write = 0
	}
	if x.Type == tree.OpCloseSession {
		c.inbox = append(c.inbox, watGenMsg{kind: watMsgClose})
		delete(s.conns, c.session)
		s.watches.RemoveSession(c.session)
	}
}

func (g *watGen) receive(c *watGenClient) {
	if len(c.inbox) == 0 {
		return
	}
	m := c.inbox[0]
	c.inbox = c.inbox[1:]
	switch m.kind {
	case watMsgEvent:
		g.record(c, histories.Event{Type: m.typ, State: histories.Connected, Path: m.path, Zxid: m.zxid, Server: c.server}, m.catchUp)
		held := c.held[m.path]
		switch m.typ {
		case tree.EventNodeCreated, tree.EventNodeDataChanged:
			held &^= watGenData | watGenExist
		case tree.EventNodeChildrenChanged:
			held &^= watGenChild
		case tree.EventNodeDeleted:
			held &^= watGenData | watGenExist | watGenChild
		}
		c.held[m.path] = held
		c.lastZxid = max(c.lastZxid, m.zxid)
	case watMsgSetWatches:
		c.lastZxid = max(c.lastZxid, m.zxid)
	case watMsgReply:
		op := &g.h.Ops[m.op]
		op.Return, op.ReturnSeq = g.tick()
		op.Server, op.Zxid, op.Result = c.server, m.zxid, m.res
		op.Err = g.register(c, &op.Req, m.res.Err)
		op.Outcome = histories.OK
		if op.Err != tree.OK {
			op.Outcome = histories.Failed
		}
		c.op = -1
		c.lastZxid = max(c.lastZxid, m.zxid)
	case watMsgClose:
		if c.closing {
			g.record(c, histories.Event{State: histories.Closed, Server: -1}, false)
			c.ended = true
		} else {
			g.record(c, histories.Event{State: histories.Disconnected, Server: -1}, false)
		}
		g.fail(c)
		c.server, c.inbox = -1, nil
	}
}

// register is the client's side of a reply (watchManager.register and deregister): it returns
// the code the caller gets.
func (g *watGen) register(c *watGenClient, q *tree.Request, rc tree.Code) tree.Code {
	add := func(bit uint8) { c.held[q.Path] |= bit }
	switch q.Type {
	case tree.OpExists:
		if q.Watch && rc == tree.OK {
			add(watGenData)
		} else if q.Watch && rc == tree.NoNode {
			add(watGenExist)
		}
	case tree.OpGetData:
		if q.Watch && rc == tree.OK {
			add(watGenData)
		}
	case tree.OpGetChildren, tree.OpGetChildren2:
		if q.Watch && rc == tree.OK {
			add(watGenChild)
		}
	case tree.OpAddWatch:
		if rc == tree.OK || rc == tree.NoNode {
			if q.WatchMode == tree.WatchPersistentRecursive {
				add(watGenRecursive)
			} else {
				add(watGenPersistent)
			}
		}
	case tree.OpRemoveWatches:
		all := watGenData | watGenExist | watGenChild | watGenPersistent | watGenRecursive
		check, remove := all, all
		switch q.WatcherType {
		case tree.WatcherChildren:
			check, remove = watGenChild|watGenPersistent|watGenRecursive, watGenChild
		case tree.WatcherData:
			check, remove = watGenData|watGenExist|watGenPersistent|watGenRecursive, watGenData|watGenExist
		}
		held := c.held[q.Path]
		switch {
		case held&check == 0:
			return tree.NoWatcher
		case rc != tree.OK:
			return rc
		case held&remove == 0:
			return tree.NoWatcher
		}
		c.held[q.Path] = held &^ remove
		return tree.OK
	}
	return rc
}

func (g *watGen) disconnect(c *watGenClient) {
	s := g.srv[c.server]
	delete(s.conns, c.session)
	s.watches.RemoveSession(c.session)
	c.server, c.inbox = -1, nil
	g.fail(c)
	if c.closing {
		g.record(c, histories.Event{State: histories.Closed, Server: -1}, false)
		c.ended = true
		return
	}
	g.record(c, histories.Event{State: histories.Disconnected, Server: -1}, false)
}

func (g *watGen) reconnect(c *watGenClient) {
	if c.expired {
		g.record(c, histories.Event{State: histories.Expired, Server: -1}, false)
		c.ended = true
		return
	}
	var ok []int
	for i, s := range g.srv {
		if s.tree.LastZxid() >= c.lastZxid {
			ok = append(ok, i)
		}
	}
	i := ok[g.pick(len(ok))]
	s := g.srv[i]
	c.server = i
	s.conns[c.session] = c
	g.record(c, histories.Event{State: histories.Connected, Server: i}, false)
	var lists [5][]string
	for _, p := range slices.Sorted(maps.Keys(c.held)) {
		for k := range lists {
			if c.held[p]&(1<<k) != 0 {
				lists[k] = append(lists[k], p)
			}
		}
	}
	if len(lists[0])+len(lists[1])+len(lists[2])+len(lists[3])+len(lists[4]) == 0 {
		return
	}
	req := tree.Request{Type: tree.OpSetWatches2, SetWatches: &tree.SetWatches{RelativeZxid: c.lastZxid, DataWatches: lists[0],
		ExistWatches: lists[1], ChildWatches: lists[2], PersistentWatches: lists[3], PersistentRecursiveWatches: lists[4]}}
	_, evs := s.tree.Read(&req, c.session, tree.Auth{}, s.watches)
	for _, ev := range evs {
		c.inbox = append(c.inbox, watGenMsg{kind: watMsgEvent, typ: ev.Type, path: ev.Path, zxid: s.tree.LastZxid(), catchUp: true})
	}
	c.inbox = append(c.inbox, watGenMsg{kind: watMsgSetWatches, zxid: s.tree.LastZxid()})
}

// watGenHistory runs a generator for steps steps, settling at the end when settle is set.
func watGenHistory(seed uint64, steps int, settle bool) (*histories.History, *watGen) {
	g := watNewGen(seed, 3, 4)
	for _, c := range g.cl {
		g.reconnect(c)
	}
	for range steps {
		g.step()
	}
	if settle {
		g.settle()
	}
	return g.finish(), g
}

func TestWatchesRandomHistoriesPass(t *testing.T) {
	var events, catchUps, rearms float64
	for seed := range uint64(200) {
		h, _ := watGenHistory(seed, 1000, seed%2 == 0)
		v := CheckWatches(h, WatchOptions{})
		if !v.OK() {
			t.Fatalf("seed %d: %s", seed, v.String())
		}
		events += watMetric(v, "watch events")
		catchUps += watMetric(v, "catch-up events")
		rearms += watMetric(v, "reconnects with watches")
	}
	t.Logf("%v events, %v of them catch-ups, %v reconnects with watches", events, catchUps, rearms)
	// The generator must exercise what the checker checks.
	if events < 3000 || catchUps < 250 || rearms < 1000 {
		t.Errorf("weak generator: %v events, %v catch-ups, %v reconnects with watches", events, catchUps, rearms)
	}
}

// watCandidate is a delivered event a mutation can act on, with the later message on the same
// connection that proves the server had applied its trigger (0 if none).
type watCandidate struct {
	ev      int
	proof   histories.Seq
	catchUp bool
}

// watCandidates lists the events of h that the server fired directly (not setWatches' catch-up)
// and that were not among the first things their connection delivered: where the checker knows
// the registry exactly, so that losing, repeating, delaying or retyping the event must be caught.
//
// It also lists the catch-up events whose loss must be caught (catchUp set): a lone catch-up
// event followed by a reply. Others may be lost without a trace: an exist watch misses a node
// created and deleted while disconnected (A8.1); with the other events of a run, or a later
// direct event, a history without it can be one where setWatches ran a zxid earlier or later.
func watCandidates(h *histories.History, catchUp []bool) []watCandidate {
	type rec struct {
		seq histories.Seq
		op  int
		ev  int
	}
	var out []watCandidate
	for c := range h.Header.Clients {
		var recs []rec
		for i := range h.Ops {
			if op := &h.Ops[i]; op.Client == c && op.Outcome != histories.Unknown {
				recs = append(recs, rec{op.ReturnSeq, i, -1})
			}
		}
		for i := range h.Events {
			if h.Events[i].Client == c {
				recs = append(recs, rec{h.Events[i].Seq, -1, i})
			}
		}
		slices.SortFunc(recs, func(a, b rec) int { return int(a.seq) - int(b.seq) })
		isSession := func(r rec) bool { return r.ev >= 0 && h.Events[r.ev].IsSession() }
		// The events a connection starts with, at one zxid, decide how the checker reads its
		// re-registration: with one of them gone, another reading may explain the rest.
		first, firstZxid := true, tree.Zxid(-1)
		for j, r := range recs {
			if isSession(r) {
				first, firstZxid = true, -1
				continue
			}
			if first && r.ev >= 0 {
				firstZxid = h.Events[r.ev].Zxid
			}
			wasFirst := first || r.ev >= 0 && h.Events[r.ev].Zxid == firstZxid
			if !wasFirst {
				firstZxid = -1
			}
			first = false
			if r.ev < 0 {
				continue
			}
			e := &h.Events[r.ev]
			if catchUp[r.ev] {
				// The run of catch-up events this one belongs to, and what follows it.
				lo, hi := j, j
				for lo > 0 && recs[lo-1].ev >= 0 && catchUp[recs[lo-1].ev] {
					lo--
				}
				for hi < len(recs) && recs[hi].ev >= 0 && catchUp[recs[hi].ev] {
					hi++
				}
				if e.Type != tree.EventNodeCreated && hi-lo == 1 && hi < len(recs) && recs[hi].op >= 0 {
					out = append(out, watCandidate{ev: r.ev, proof: recs[hi].seq, catchUp: true})
				}
				continue
			}
			if wasFirst {
				continue
			}
			cand := watCandidate{ev: r.ev}
			for _, later := range recs[j+1:] {
				if isSession(later) {
					break
				}
				if (later.op >= 0 && h.Ops[later.op].Zxid >= e.Zxid) || (later.ev >= 0 && h.Events[later.ev].Zxid > e.Zxid) {
					cand.proof = later.seq
					break
				}
			}
			out = append(out, cand)
		}
	}
	return out
}

// watMutate returns a copy of h with every Seq doubled (so a record can go between two) and
// mutate applied to its events.
func watMutate(h *histories.History, mutate func(evs []histories.Event) []histories.Event) *histories.History {
	m := *h
	m.Ops = slices.Clone(h.Ops)
	for i := range m.Ops {
		m.Ops[i].InvokeSeq *= 2
		m.Ops[i].ReturnSeq *= 2
	}
	evs := slices.Clone(h.Events)
	for i := range evs {
		evs[i].Seq *= 2
	}
	m.Events = mutate(evs)
	slices.SortStableFunc(m.Events, func(a, b histories.Event) int { return int(a.Seq) - int(b.Seq) })
	return &m
}

func TestWatchesRandomHistoriesCatchPlantedViolations(t *testing.T) {
	caught := map[string]int{}
	for seed := range uint64(200) {
		h, g := watGenHistory(seed, 1000, seed%2 == 1)
		var cands, owed, catchUps []watCandidate
		for _, c := range watCandidates(h, g.catchUp) {
			switch {
			case c.catchUp && c.proof != 0:
				catchUps = append(catchUps, c)
			case c.catchUp:
			case c.proof != 0:
				owed = append(owed, c)
				fallthrough
			default:
				cands = append(cands, c)
			}
		}
		if len(owed) == 0 {
			continue
		}
		rng := rand.New(rand.NewPCG(seed, 7))
		pick := func(list []watCandidate) watCandidate { return list[rng.IntN(len(list))] }
		mutations := map[string]func(evs []histories.Event) []histories.Event{
			"missing": func(evs []histories.Event) []histories.Event {
				c := pick(owed)
				return slices.Delete(evs, c.ev, c.ev+1)
			},
			"duplicated": func(evs []histories.Event) []histories.Event {
				// Owed: all of its txn's events came, so a copy is one too many.
				c := pick(owed)
				dup := evs[c.ev]
				dup.Seq++
				return append(evs, dup)
			},
			"late": func(evs []histories.Event) []histories.Event {
				c := pick(owed)
				evs[c.ev].Seq = 2*c.proof + 1
				return evs
			},
			"wrong type": func(evs []histories.Event) []histories.Event {
				c := pick(cands)
				evs[c.ev].Type = tree.EventNodeCreated + (evs[c.ev].Type-tree.EventNodeCreated+1+tree.EventType(rng.IntN(3)))%4
				return evs
			},
			"never set": func(evs []histories.Event) []histories.Event {
				c := pick(cands)
				e := evs[c.ev]
				e.Path, e.Seq = "/never/watched", e.Seq+1
				return append(evs, e)
			},
		}
		if len(catchUps) > 0 {
			mutations["lost across reconnect"] = func(evs []histories.Event) []histories.Event {
				c := pick(catchUps)
				return slices.Delete(evs, c.ev, c.ev+1)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(mutations)) {
			m := watMutate(h, mutations[name])
			if v := CheckWatches(m, WatchOptions{}); v.Status != Fail {
				t.Fatalf("seed %d: %s event not caught: %s", seed, name, v.String())
			}
			caught[name]++
		}
	}
	t.Logf("caught: %v", caught)
	for _, name := range []string{"missing", "duplicated", "late", "wrong type", "never set", "lost across reconnect"} {
		if caught[name] < 50 {
			t.Errorf("only %d histories planted with a %s event", caught[name], name)
		}
	}
}

// The index expands each txn into exactly the changes tree.Apply reports, whatever the txn
// (including what a consistent log never holds: a create of an existing node, a delete of a
// missing one, a closeSession naming gone paths), and answers presence and mzxid as the tree
// does.
func TestWatchesIndexMatchesTreeApply(t *testing.T) {
	paths := []string{"/", "/a", "/a/b", "/a/b/c", "/d", "/d/e", "/zookeeper"}
	owners := []int64{0, 0x11, 0x12}
	rapid.Check(t, func(rt *rapid.T) {
		drawOp := func(label string) tree.Txn {
			path := rapid.SampledFrom(paths).Draw(rt, label+" path")
			switch rapid.IntRange(0, 5).Draw(rt, label+" type") {
			case 0, 1:
				return tree.Txn{Type: tree.OpCreate, Path: path, EphemeralOwner: rapid.SampledFrom(owners).Draw(rt, label+" owner")}
			case 2:
				return tree.Txn{Type: tree.OpDelete, Path: path}
			case 3:
				return tree.Txn{Type: tree.OpSetData, Path: path}
			case 4:
				return tree.Txn{Type: tree.OpCheck, Path: path}
			}
			return tree.Txn{Type: tree.OpError, Err: tree.NoNode}
		}
		tr := tree.New(tree.Options{})
		var log []*tree.Txn
		var want [][]tree.Change
		for i := range rapid.IntRange(1, 30).Draw(rt, "txns") {
			var x tree.Txn
			switch rapid.IntRange(0, 5).Draw(rt, "kind") {
			case 0:
				x.Type = tree.OpMulti
				for j := range rapid.IntRange(1, 4).Draw(rt, "ops") {
					x.Ops = append(x.Ops, drawOp("sub"+string(rune('0'+j))))
				}
			case 1:
				x.Type, x.Session = tree.OpCloseSession, tree.SessionID(rapid.SampledFrom(owners[1:]).Draw(rt, "session"))
				x.Paths = rapid.SliceOfDistinct(rapid.SampledFrom(paths), func(p string) string { return p }).Draw(rt, "close paths")
				slices.Sort(x.Paths)
			default:
				x = drawOp("op")
			}
			x.Zxid = tree.Zxid(i + 1)
			log = append(log, &x)
			want = append(want, slices.Clone(tr.Apply(&x).Changes))
		}
		ix := watNewIndex()
		ids := map[string]int32{}
		for _, p := range paths {
			ids[p] = ix.intern(p)
		}
		if err := watCheckLog(log); err != nil {
			rt.Fatal(err)
		}
		ix.build(log)
		// Replay again, comparing after each txn.
		tr = tree.New(tree.Options{})
		for i, x := range log {
			var got []tree.Change
			for _, c := range ix.changes[ix.txnStart[i]:ix.txnStart[i+1]] {
				got = append(got, tree.Change{Type: c.typ, Path: ix.names[c.path]})
			}
			if !slices.Equal(got, want[i]) {
				rt.Fatalf("txn %s: changes %v, tree.Apply %v", x, got, want[i])
			}
			tr.Apply(x)
			for _, p := range paths {
				id := ids[p]
				st, ok := tr.Stat(p)
				if ix.present(id, x.Zxid) != ok {
					rt.Fatalf("after %s: present(%s) = %v, the tree says %v", x, p, !ok, ok)
				}
				for rel := range x.Zxid {
					if ok && ix.changedOn(id, rel, x.Zxid, true) != (st.Mzxid > rel) {
						rt.Fatalf("after %s: %s changed since %d = %v, mzxid %d", x, p, rel, !(st.Mzxid > rel), st.Mzxid)
					}
				}
			}
		}
	})
}
