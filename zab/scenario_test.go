package zab

import (
	"fmt"
	"testing"
	"time"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// hclient is a test client on one connection.
type hclient struct {
	h       *net
	cid     uint64
	session tree.SessionID
	xid     int32
}

func (h *net) client(id wire.ServerID) *hclient {
	h.t.Helper()
	c := &hclient{h: h, cid: h.connect(id, 0, 0)}
	c.session = h.waitSession(c.cid)
	return c
}

func (c *hclient) do(req tree.Request) *wire.Reply {
	c.h.t.Helper()
	c.xid++
	return c.h.call(c.cid, c.xid, req)
}

func (c *hclient) create(path, data string, mode tree.CreateMode) *wire.Reply {
	c.h.t.Helper()
	return c.do(tree.Request{Type: tree.OpCreate, Path: path, Data: []byte(data), ACL: tree.OpenACLUnsafe, Mode: mode})
}

func (h *net) mustStable() wire.ServerID {
	h.t.Helper()
	if !h.run(h.now+2*time.Minute, h.stable) {
		for _, id := range h.ids {
			if p, ok := h.peers[id]; ok {
				h.t.Log(p.Status(), p.Notes())
			}
		}
		h.t.Fatal("no stable ensemble")
	}
	l, _ := h.leader()
	return l
}

func (h *net) settle() { h.run(h.now+time.Second, func() bool { return false }) }

func (h *net) mustConverge() {
	h.t.Helper()
	h.settle()
	if !h.converged() {
		h.t.Fatalf("replicas differ: %v", h.digests())
	}
}

func (h *net) follower(l wire.ServerID) wire.ServerID {
	for _, id := range h.ids {
		if _, up := h.peers[id]; up && id != l {
			return id
		}
	}
	return 0
}

func (h *net) others(x wire.ServerID) []wire.ServerID {
	var out []wire.ServerID
	for _, id := range h.ids {
		if id != x {
			out = append(out, id)
		}
	}
	return out
}

func (h *net) syncs() (diff, trunc, snap int64) {
	for _, p := range h.peers {
		diff += p.stats.syncDiff
		trunc += p.stats.syncTrunc
		snap += p.stats.syncSnap
	}
	return
}

func TestFiveServersServeTheAPI(t *testing.T) {
	h := newNet(t, 5)
	l := h.mustStable()
	c := h.client(h.follower(l))
	if r := c.create("/app", "", tree.Persistent); r.Err != tree.OK {
		t.Fatalf("create: %v", r.Result.String())
	}
	r := c.create("/app/n-", "", tree.PersistentSequential)
	if r.Err != tree.OK || r.Result.Path != "/app/n-0000000000" {
		t.Fatalf("sequential create: %s", r.Result.String())
	}
	if r := c.create("/app/e", "", tree.Ephemeral); r.Err != tree.OK {
		t.Fatalf("ephemeral: %s", r.Result.String())
	}
	r = c.do(tree.Request{Type: tree.OpGetChildren2, Path: "/app"})
	if fmt.Sprint(r.Result.Children) != "[e n-0000000000]" || r.Result.Stat.NumChildren != 2 {
		t.Fatalf("children: %s", r.Result.String())
	}
	r = c.do(tree.Request{Type: tree.OpMulti, Ops: []tree.Request{
		{Type: tree.OpCheck, Path: "/app", Version: 0},
		{Type: tree.OpSetData, Path: "/app", Data: []byte("v"), Version: 0},
		{Type: tree.OpDelete, Path: "/app/n-0000000000", Version: -1},
	}})
	if r.Err != tree.OK || len(r.Result.Multi) != 3 {
		t.Fatalf("multi: %s", r.Result.String())
	}
	if r := c.do(tree.Request{Type: tree.OpSync, Path: "/"}); r.Err != tree.OK {
		t.Fatalf("sync: %s", r.Result.String())
	}
	if r := c.do(tree.Request{Type: tree.OpSetData, Path: "/app", Data: []byte("w"), Version: 0}); r.Err != tree.BadVersion {
		t.Fatalf("stale version: %s", r.Result.String())
	}
	h.mustConverge()
}

// A watch fires before the reply to the write that triggers it, on the same connection (A13.4).
func TestWatchEventPrecedesReply(t *testing.T) {
	for _, v := range []Variant{"", WatchAfterReply} {
		t.Run(string(v)+"default", func(t *testing.T) {
			h := newNet(t, 3, variants(v)...)
			l := h.mustStable()
			c := h.client(h.follower(l))
			c.create("/w", "a", tree.Persistent)
			c.do(tree.Request{Type: tree.OpGetData, Path: "/w", Watch: true})
			c.do(tree.Request{Type: tree.OpSetData, Path: "/w", Data: []byte("b"), Version: -1})
			inbox := h.inbox[c.cid]
			order := ""
			for _, m := range inbox[len(inbox)-2:] {
				switch m := m.(type) {
				case *wire.Event:
					order += "event "
				case *wire.Reply:
					order += fmt.Sprintf("reply%d ", m.Xid)
				}
			}
			want := "event reply3 "
			if v == WatchAfterReply {
				want = "reply3 event "
			}
			if order != want {
				t.Fatalf("order %q, want %q", order, want)
			}
		})
	}
}

func TestLeaderCrashKeepsCommittedWrites(t *testing.T) {
	h := newNet(t, 3)
	l := h.mustStable()
	c := h.client(h.follower(l))
	for i := 0; i < 10; i++ {
		if r := c.create(fmt.Sprintf("/n%d", i), "x", tree.Persistent); r.Err != tree.OK {
			t.Fatalf("create: %s", r.Result.String())
		}
	}
	h.crash(l)
	l2 := h.mustStable()
	if l2 == l {
		t.Fatal("crashed leader still leads")
	}
	for i := 0; i < 10; i++ {
		if !h.peers[l2].data.tree.Exists(fmt.Sprintf("/n%d", i)) {
			t.Fatalf("committed /n%d lost", i)
		}
	}
	h.boot(l)
	h.mustStable()
	h.mustConverge()
	if d, _, _ := h.syncs(); d == 0 {
		t.Fatal("the rejoining leader was not synced with DIFF")
	}
}

// A txn the old leader logged but never committed is truncated when it rejoins (B4 case 2).
func TestUncommittedTxnIsTruncated(t *testing.T) {
	for _, v := range []Variant{"", SkipTruncateOnSync} {
		t.Run(string(v), func(t *testing.T) {
			h := newNet(t, 3, variants(v)...)
			l := h.mustStable()
			c := h.client(l)
			c.create("/a", "1", tree.Persistent)
			h.settle()
			h.partition([]wire.ServerID{l}, h.others(l))
			c.xid++
			h.send(c.cid, &wire.Request{Xid: c.xid, Req: tree.Request{Type: tree.OpCreate, Path: "/lost", ACL: tree.OpenACLUnsafe}})
			h.run(h.now+10*time.Millisecond, func() bool { return false })
			if h.peers[l].data.lastLogged() <= h.peers[l].data.tree.LastZxid() {
				t.Fatal("the isolated leader did not log the write")
			}
			h.crash(l)
			h.heal()
			h.mustStable()
			h.boot(l)
			h.mustStable()
			h.settle()
			_, trunc, _ := h.syncs()
			if v == "" {
				if trunc == 0 {
					t.Fatal("no TRUNC sync happened")
				}
				h.mustConverge()
				if h.peers[l].data.tree.Exists("/lost") {
					t.Fatal("the uncommitted /lost survived")
				}
				return
			}
			if h.peers[l].data.lastLogged() == h.peers[h.follower(l)].data.lastLogged() && h.converged() {
				t.Fatal("skip-truncate-on-sync did not make the replicas diverge")
			}
		})
	}
}

// A follower that missed more than the committed window gets a SNAP (B4 case 4).
func TestLaggingFollowerGetsSnapshot(t *testing.T) {
	h := newNet(t, 3)
	h.cfg.CommittedLogSize = 5
	for _, id := range h.ids {
		h.crash(id)
		h.boot(id)
	}
	l := h.mustStable()
	f := h.follower(l)
	h.crash(f)
	c := h.client(l)
	for i := 0; i < 30; i++ {
		c.create(fmt.Sprintf("/s%d", i), "x", tree.Persistent)
	}
	h.boot(f)
	h.mustStable()
	h.mustConverge()
	if _, _, snap := h.syncs(); snap == 0 {
		t.Fatal("no SNAP sync happened")
	}
}

// The committed window holds CommittedLogSize+1 txns, as ZKDatabase's committedLog does: a
// learner whose last zxid is the window's first txn gets DIFF, one that is one txn further
// behind gets SNAP (B4 cases 3 and 4).
func TestCommittedWindowBoundary(t *testing.T) {
	for _, missed := range []int{5, 6} {
		t.Run(fmt.Sprintf("missed=%d", missed), func(t *testing.T) {
			h := newNet(t, 3)
			h.cfg.CommittedLogSize = 5
			for _, id := range h.ids {
				h.crash(id)
				h.boot(id)
			}
			l := h.mustStable()
			c := h.client(l)
			for i := 0; i < 10; i++ {
				c.create(fmt.Sprintf("/before%d", i), "", tree.Persistent)
			}
			h.settle()
			f := h.follower(l)
			h.crash(f)
			for i := 0; i < missed; i++ {
				c.create(fmt.Sprintf("/missed%d", i), "", tree.Persistent)
			}
			lp := h.peers[l]
			if lo, hi, _ := lp.data.committedRange(); len(lp.data.committed) != 6 || hi != lp.data.tree.LastZxid() {
				t.Fatalf("window %s..%s holds %d txns, want the newest 6", lo, hi, len(lp.data.committed))
			}
			diff0, snap0 := lp.stats.syncDiff, lp.stats.syncSnap
			h.boot(f)
			h.mustStable()
			h.mustConverge()
			diffs, snaps := lp.stats.syncDiff-diff0, lp.stats.syncSnap-snap0
			if wantSnap := missed == 6; wantSnap != (snaps == 1) || wantSnap == (diffs == 1) {
				t.Fatalf("a learner %d txns behind got %d DIFFs and %d SNAPs, want SNAP=%v", missed, diffs, snaps, wantSnap)
			}
		})
	}
}

// Sessions expire only after their timeout without contact; the ephemerals go with them (A9).
func TestSessionExpiryDeletesEphemerals(t *testing.T) {
	for _, v := range []Variant{"", NoEphemeralCleanup} {
		t.Run(string(v), func(t *testing.T) {
			h := newNet(t, 3, variants(v)...)
			l := h.mustStable()
			c := h.client(h.follower(l))
			c.create("/eph", "", tree.Ephemeral)
			// Pings keep the session alive for well past its timeout.
			for i := 0; i < 10; i++ {
				h.run(h.now+2*time.Second, func() bool { return false })
				c.xid++
				h.send(c.cid, &wire.Request{Xid: wire.XidPing, Req: tree.Request{Type: tree.OpPing}})
			}
			if !h.peers[l].data.tree.Exists("/eph") {
				t.Fatal("session expired although the client kept pinging")
			}
			h.breakConn(c.cid)
			h.run(h.now+30*time.Second, func() bool { return false })
			if _, tracked := h.peers[l].leader.sessions.sessions[c.session]; tracked {
				t.Fatal("the session did not expire")
			}
			exists := h.peers[l].data.tree.Exists("/eph")
			if exists != (v == NoEphemeralCleanup) {
				t.Fatalf("ephemeral exists=%v after expiry", exists)
			}
		})
	}
}

// A client that moves to another server keeps its session and ephemerals; its old connection
// gets SessionMoved (A9).
func TestSessionMovesBetweenServers(t *testing.T) {
	h := newNet(t, 3)
	l := h.mustStable()
	f := h.follower(l)
	c := h.client(f)
	c.create("/mine", "", tree.Ephemeral)
	c2 := &hclient{h: h, cid: h.connect(l, c.session, h.peers[f].data.tree.LastZxid()), xid: 100}
	if s := h.waitSession(c2.cid); s != c.session {
		t.Fatalf("reconnect got session %s, want %s", s, c.session)
	}
	// SessionMoved is a connection-level error: the old server closes the connection without
	// a reply (FinalRequestProcessor), so the client sees ConnectionLoss.
	if r := c.do(tree.Request{Type: tree.OpSetData, Path: "/mine", Version: -1}); r != nil || h.conns[c.cid].open {
		t.Fatalf("old connection got %v, open=%v", r, h.conns[c.cid].open)
	}
	if r := c2.do(tree.Request{Type: tree.OpGetData, Path: "/mine"}); r.Err != tree.OK {
		t.Fatalf("moved session lost its ephemeral: %s", r.Result.String())
	}
}

// A reconnect that negotiates a longer timeout keeps the session alive for that timeout: the
// leader touches it with the new connection's timeout, as ZooKeeper's revalidateSession and
// touchSession do (A9), not with the one it was created with.
func TestReconnectTimeoutGovernsExpiry(t *testing.T) {
	h := newNet(t, 3)
	l := h.mustStable()
	f := h.follower(l)
	c := h.client(f) // 6 s
	c.create("/mine", "", tree.Ephemeral)
	h.breakConn(c.cid)
	// Let f's next PING reply carry the create's touch (with the 6 s timeout) to the leader
	// first: a touch applies the timeout it carries, even a shorter one, in ZooKeeper too.
	h.run(h.now+3*time.Second, func() bool { return false })
	for _, to := range []wire.ServerID{l, f} { // through the leader itself, then REVALIDATE
		cid := h.connectTimeout(to, c.session, h.peers[l].data.tree.LastZxid(), 30000)
		if s := h.waitSession(cid); s != c.session {
			t.Fatalf("reconnect to %d got session %s, want %s", to, s, c.session)
		}
		h.breakConn(cid)
		h.run(h.now+20*time.Second, func() bool { return false })
		if !h.peers[l].data.tree.Exists("/mine") {
			t.Fatalf("reconnected to %d with a 30 s timeout, the session expired within 20 s", to)
		}
	}
	h.run(h.now+20*time.Second, func() bool { return false })
	if h.peers[l].data.tree.Exists("/mine") {
		t.Fatal("the session outlived its 30 s timeout by 10 s")
	}
}

// A server refuses a client that has seen a newer zxid than itself (A9).
func TestServerBehindRefusesClient(t *testing.T) {
	h := newNet(t, 3)
	l := h.mustStable()
	c := h.client(l)
	c.create("/x", "", tree.Persistent)
	cid := h.connect(h.follower(l), c.session, h.peers[l].data.tree.LastZxid()+100)
	h.settle()
	if h.conns[cid].open {
		t.Fatal("a server behind the client accepted it")
	}
}

// Every variant named in Variants() is known to ParseVariants, and unknown names are refused.
func TestVariantsParse(t *testing.T) {
	for _, v := range Variants() {
		if v.Rule() == "" {
			t.Errorf("%s has no rule", v)
		}
		if got, err := ParseVariants(string(v)); err != nil || len(got) != 1 {
			t.Errorf("ParseVariants(%s) = %v, %v", v, got, err)
		}
	}
	if _, err := ParseVariants("ack-before-fsync,bogus"); err == nil {
		t.Error("unknown variant accepted")
	}
}

// A server cut off from the majority serves no writes; once healed it converges (B5, A10).
func TestMinorityServesNoWrites(t *testing.T) {
	h := newNet(t, 5)
	l := h.mustStable()
	f := h.follower(l)
	c := h.client(f)
	h.partition([]wire.ServerID{f}, h.others(f))
	c.xid++
	h.send(c.cid, &wire.Request{Xid: c.xid, Req: tree.Request{Type: tree.OpCreate, Path: "/minority", ACL: tree.OpenACLUnsafe}})
	h.run(h.now+30*time.Second, func() bool { return false })
	if r := h.reply(c.cid, c.xid); r != nil && r.Err == tree.OK {
		t.Fatal("a server cut off from the majority acknowledged a write")
	}
	if p := h.peers[f]; p.srv.serving {
		t.Fatalf("the cut-off server still serves: %s", p.Status())
	}
	other := h.client(l)
	if r := other.create("/majority", "", tree.Persistent); r.Err != tree.OK {
		t.Fatalf("the majority cannot write: %s", r.Result.String())
	}
	h.heal()
	h.mustStable()
	h.mustConverge()
	if h.peers[f].data.tree.Exists("/minority") || !h.peers[f].data.tree.Exists("/majority") {
		t.Fatal("the healed server did not converge to the majority's state")
	}
}

// TestHarnessCatchesAChangedTxn shows that checkSentTxns, which every harness test runs at its
// end, sees a write to a txn after a packet carried it: the invariant wire.TxnShare relies on.
func TestHarnessCatchesAChangedTxn(t *testing.T) {
	h := newNet(t, 3)
	h.mustStable()
	c := h.client(1)
	if r := c.create("/a", "x", tree.Persistent); r.Err != tree.OK {
		t.Fatalf("create: %s", r.Err)
	}
	h.mustConverge()
	if got := h.changedSentTxns(); len(got) != 0 {
		t.Fatalf("txns changed by the protocol itself: %v", got)
	}
	var created *tree.Txn
	for x := range h.sent {
		if x.Type == tree.OpCreate && x.Path == "/a" {
			created = x
		}
	}
	if created == nil {
		t.Fatal("no packet carried the create of /a")
	}
	data := created.Data
	created.Data = []byte("y") // what a peer that wrote to a shared txn would do
	got := h.changedSentTxns()
	created.Data = data
	if len(got) != 1 {
		t.Fatalf("a changed txn gave %d reports, want 1: %v", len(got), got)
	}
	if err := roundTrips(created); err != nil {
		t.Fatal(err)
	}
	// A txn the codec cannot carry (a read's opcode) is not what a receiver decoding its bytes
	// would get: noteSentTxn reports it.
	odd := &tree.Txn{Header: tree.Header{Session: 1, Cxid: 1, Zxid: 9}, Type: tree.OpGetData, Path: "/a"}
	if roundTrips(odd) == nil {
		t.Fatal("a txn with a read's opcode round-trips")
	}
}
