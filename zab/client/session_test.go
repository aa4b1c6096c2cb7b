package client

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// pingArrivals returns when the server received each ping.
func pingArrivals(s *server) []time.Duration {
	var out []time.Duration
	for i, m := range s.recv {
		if r, ok := m.(*wire.Request); ok && r.Xid == wire.XidPing {
			out = append(out, s.recvAt[i])
		}
	}
	return out
}

func TestConnectNegotiatesTimeoutAndPings(t *testing.T) {
	h := newHarness(t, 3, func(cl *cluster, _ *Config) {
		cl.negotiate = func(int32) int32 { return 12000 }
	})
	h.connect()
	srv := h.server()
	want := &wire.ConnectRequest{Timeout: 30000, Passwd: make([]byte, 16)}
	if got := srv.recv[0]; !reflect.DeepEqual(got, want) {
		t.Fatalf("first ConnectRequest = %+v, want %+v", got, want)
	}
	if h.c.SessionTimeout() != 12*time.Second || h.c.readTimeout != 8*time.Second || h.c.connectTimeout != 4*time.Second {
		t.Fatalf("timeouts: negotiated %v read %v connect %v, want 12s 8s 4s", h.c.SessionTimeout(), h.c.readTimeout, h.c.connectTimeout)
	}
	if h.c.SessionID() == 0 || string(h.c.SessionPasswd()) != "secret" {
		t.Fatalf("session %s passwd %q", h.c.SessionID(), h.c.SessionPasswd())
	}
	wantLog(t, h.takeLog(), "watcher None SyncConnected")

	// Idle, the client pings every readTimeout/2 = 4 s after its last send
	// (the ConnectRequest, which arrived at recvAt[0]).
	h.l.run(30 * time.Second)
	pings := pingArrivals(srv)
	if len(pings) != 7 {
		t.Fatalf("%d pings in 30 s, want 7: %v", len(pings), pings)
	}
	for i, at := range pings {
		if want := srv.recvAt[0] + time.Duration(i+1)*4*time.Second; at != want {
			t.Fatalf("ping %d arrived at %v, want %v", i, at, want)
		}
	}
	if len(h.cl.dials) != 1 || h.c.State() != Connected {
		t.Fatalf("dials %v state %s: the connection should have lasted", h.cl.dials, h.c.State())
	}
}

// The Java send loop also pings when it wakes on a frame and the send side
// has been idle for more than readTimeout/2 - 1 s, or for more than 10 s.
func TestPingWhenWokenByFrame(t *testing.T) {
	for _, tc := range []struct {
		name       string
		negotiated int32
		idle       time.Duration // send-side idleness when the event arrives
		ping       bool
	}{
		{"within slack of readTimeout/2", 12000, 3500 * time.Millisecond, true},
		{"before the slack", 12000, 2500 * time.Millisecond, false},
		{"over 10 s", 60000, 12 * time.Second, true},
		{"under 10 s", 60000, 9 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 1, func(cl *cluster, _ *Config) {
				cl.negotiate = func(int32) int32 { return tc.negotiated }
			})
			h.connect()
			srv := h.server()
			sentAt := srv.recvAt[0] - latency // the ConnectRequest left the client
			// The event reaches the client when the send side has been idle
			// for tc.idle.
			h.l.runUntil(sentAt + tc.idle - latency)
			srv.notify(tree.EventNodeCreated, "/x")
			h.settle()
			pings := pingArrivals(srv)
			got := len(pings) == 1 && pings[0] == sentAt+tc.idle+latency
			if got != tc.ping || len(pings) > 1 {
				t.Fatalf("pings %v, want a ping at %v: %v", pings, sentAt+tc.idle+latency, tc.ping)
			}
		})
	}
}

func TestReadTimeoutFailsOverToNextServer(t *testing.T) {
	h := newHarness(t, 3, func(cl *cluster, _ *Config) {
		cl.negotiate = func(int32) int32 { return 12000 }
	})
	h.open()
	first := h.server()
	if first.id != h.c.hosts.order[0] {
		t.Fatalf("first server %d, shuffled order %v", first.id, h.c.hosts.order)
	}
	session := h.c.SessionID()
	heard := first.recvAt[0] + latency // the ConnectResponse arrived
	first.mute = true
	h.c.GetData("/a", nil, func(_ []byte, _ tree.Stat, err error) { h.logf("getData %s", CodeOf(err)) })
	h.takeLog()

	// Nothing is heard; pings go unanswered; at heard+8s the client drops.
	h.l.runUntil(heard + 8*time.Second - 1)
	if h.c.State() != Connected {
		t.Fatalf("dropped before the read timeout: %s", h.c)
	}
	h.l.runUntil(heard + 8*time.Second)
	if h.c.State() != Connecting || !errors.Is(h.c.LastDrop(), ErrTimeout) {
		t.Fatalf("at the read timeout: %s, last drop %v", h.c, h.c.LastDrop())
	}
	wantLog(t, h.takeLog(), "getData ConnectionLoss", "watcher None Disconnected")

	h.connect()
	if len(h.cl.dials) != 2 || h.cl.dials[1] != h.c.hosts.order[1] {
		t.Fatalf("dials %v, want the second server of %v next", h.cl.dials, h.c.hosts.order)
	}
	second := h.server()
	req := second.recv[0].(*wire.ConnectRequest)
	if req.SessionID != session || string(req.Passwd) != "secret" || h.c.SessionID() != session {
		t.Fatalf("reconnect sent %+v, client now %s; want session %s resumed", req, h.c, session)
	}
	wantLog(t, h.takeLog(), "watcher None SyncConnected")
}

func TestConnectTimeoutTriesNextServer(t *testing.T) {
	h := newHarness(t, 3, func(cl *cluster, _ *Config) {
		for _, s := range cl.servers {
			s.mode = modeBlackhole
		}
	})
	for _, s := range h.cl.servers {
		if s.id != h.cl.dials[0] {
			s.mode = modeUp
		}
	}
	// connectTimeout = 30 s / 3 servers; never connected: no jitter.
	h.l.runUntil(10*time.Second - 1)
	if len(h.cl.dials) != 1 {
		t.Fatalf("dials %v before the connect timeout", h.cl.dials)
	}
	h.l.runUntil(10 * time.Second)
	if len(h.cl.dials) != 2 || h.cl.dials[1] != h.c.hosts.order[1] || !errors.Is(h.c.LastDrop(), ErrTimeout) {
		t.Fatalf("dials %v (order %v), last drop %v", h.cl.dials, h.c.hosts.order, h.c.LastDrop())
	}
	h.connect()
	// The initial state counts as Disconnected: the failed attempt adds no
	// event.
	wantLog(t, h.takeLog(), "watcher None SyncConnected")
}

// The connect timeout restarts when the transport connection comes up
// (ClientCnxnSocketNIO updates lastHeard on finishConnect).
func TestConnectTimeoutRunsFromTransportConnect(t *testing.T) {
	h := newHarness(t, 3, func(cl *cluster, _ *Config) {
		for _, s := range cl.servers {
			s.mute = true
		}
	})
	first := h.cl.servers[h.cl.dials[0]]
	h.l.run(5 * time.Millisecond)
	if len(first.recv) != 1 {
		t.Fatalf("the ConnectRequest did not arrive: %v", first.recv)
	}
	up := first.recvAt[0] - latency // Connected ran and the request left
	h.l.runUntil(up + 10*time.Second - 1)
	if h.c.LastDrop() != nil {
		t.Fatalf("gave up before %v: %v", up+10*time.Second, h.c.LastDrop())
	}
	h.l.runUntil(up + 10*time.Second)
	if h.c.Server() != -1 || !errors.Is(h.c.LastDrop(), ErrTimeout) {
		t.Fatalf("at the connect timeout: %s, last drop %v", h.c, h.c.LastDrop())
	}
}

// Once a connection ever came up, every attempt first waits a random
// 0-999 ms (startConnect's sleep), on top of the spin delay after a round.
func TestReconnectJitter(t *testing.T) {
	h := newHarness(t, 1, nil)
	h.open()
	var asked []int
	h.cl.rand = func(n int) int { asked = append(asked, n); return 123 }
	h.server().mode = modeRefuse
	dropped := h.l.now
	h.server().dropAll()
	h.l.run(5 * time.Second)
	if len(asked) < 3 || asked[0] != 1000 {
		t.Fatalf("rand asked for %v, want [0,1000) per attempt", asked)
	}
	// The close reaches the client 1 ms after the drop, each refusal 1 ms
	// after its dial; every next dial waits the spin delay (one server:
	// each attempt completes a round) plus the jitter.
	ms := time.Millisecond
	step := time.Second + 123*ms
	at := h.cl.dialAt
	if len(at) < 4 || at[1] != dropped+ms+step || at[2] != at[1]+ms+step || at[3] != at[2]+ms+step {
		t.Fatalf("dials at %v, dropped at %v; want gaps of 1ms + 1s + 123ms", at, dropped)
	}
}

func TestServerBehindRefusesAndClientTriesNext(t *testing.T) {
	h := newHarness(t, 3, nil)
	h.open()
	h.mkdir("/x")
	seen := h.c.LastZxidSeen()
	if seen != h.cl.zxid {
		t.Fatalf("lastZxidSeen %s after a write, server at %s", seen, h.cl.zxid)
	}
	order := h.c.hosts.order
	behind := h.cl.servers[order[1]]
	behind.lag = 1
	h.server().dropAll()
	h.settle()
	h.connect()

	if got := h.c.Server(); got != order[2] {
		t.Fatalf("connected to %d, want %d after %d refused (dials %v)", got, order[2], order[1], h.cl.dials)
	}
	req, ok := behind.recv[0].(*wire.ConnectRequest)
	if !ok || req.LastZxidSeen != seen || len(behind.recv) != 1 {
		t.Fatalf("the server behind received %v, want one ConnectRequest with lastZxidSeen %s", behind.recv, seen)
	}
	// Two failed connections, one Disconnected.
	wantLog(t, h.takeLog(), "watcher None Disconnected", "watcher None SyncConnected")
}

func TestRepliesMustComeInOrder(t *testing.T) {
	h := newHarness(t, 3, nil)
	h.open()
	srv := h.server()
	srv.hold = true
	get := func(p string) {
		h.c.GetData(p, nil, func(d []byte, _ tree.Stat, err error) { h.logf("getData %s %q %s", p, d, CodeOf(err)) })
	}
	get("/a")
	get("/b")
	h.settle()
	srv.reply(srv.inbox[0], tree.OK, tree.Result{Data: []byte("A")})
	srv.reply(srv.inbox[1], tree.OK, tree.Result{Data: []byte("B")})
	h.settle()
	wantLog(t, h.takeLog(), `getData /a "A" OK`, `getData /b "B" OK`)

	get("/c")
	get("/d")
	h.settle()
	srv.reply(srv.inbox[3], tree.OK, tree.Result{Data: []byte("D")})
	h.settle()
	if !errors.Is(h.c.LastDrop(), ErrProtocol) {
		t.Fatalf("last drop %v, want a protocol error", h.c.LastDrop())
	}
	wantLog(t, h.takeLog(), `getData /c "" ConnectionLoss`, `getData /d "" ConnectionLoss`, "watcher None Disconnected")
}

func TestConnectionLossFailsPendingRequests(t *testing.T) {
	h := newHarness(t, 3, nil)
	h.open()
	srv := h.server()
	srv.hold = true
	h.c.Create("/a", nil, tree.OpenACLUnsafe, tree.Persistent, func(_ string, err error) { h.logf("create %s", CodeOf(err)) })
	h.c.Delete("/b", -1, h.errCb("delete"))
	h.c.Sync("/", h.errCb("sync"))
	h.settle()
	srv.dropAll()
	h.settle()
	wantLog(t, h.takeLog(), "create ConnectionLoss", "delete ConnectionLoss", "sync ConnectionLoss", "watcher None Disconnected")
	wantLog(t, h.obs.returns, "1 local ConnectionLoss", "2 local ConnectionLoss", "3 local ConnectionLoss")
}

func TestRequestsWhileDisconnected(t *testing.T) {
	t.Run("sent after the reconnect", func(t *testing.T) {
		h := newHarness(t, 3, nil)
		h.open()
		h.server().dropAll()
		h.settle()
		if h.c.State() != Connecting || h.c.Server() != -1 {
			t.Fatalf("after the drop: %s", h.c)
		}
		h.c.Create("/q", []byte("v"), tree.OpenACLUnsafe, tree.Persistent, func(p string, err error) { h.logf("create %s %s", p, CodeOf(err)) })
		h.connect()
		reqs := h.server().requests()
		if len(reqs) != 1 || reqs[0].Req.Type != tree.OpCreate || reqs[0].Xid != 1 {
			t.Fatalf("new server received %v, want the queued create with xid 1", reqs)
		}
		wantLog(t, h.takeLog(), "watcher None Disconnected", "watcher None SyncConnected", "create /q OK")
	})
	t.Run("failed when the attempt fails", func(t *testing.T) {
		h := newHarness(t, 3, nil)
		h.open()
		for _, s := range h.cl.servers {
			s.mode = modeRefuse
		}
		h.server().dropAll()
		h.settle()
		h.c.Exists("/q", nil, func(_ tree.Stat, err error) { h.logf("exists %s", CodeOf(err)) })
		h.l.runWhile(t, 2*time.Second, func() bool { return len(h.log) < 2 })
		wantLog(t, h.takeLog(), "watcher None Disconnected", "exists ConnectionLoss")
		if len(h.cl.dials) != 2 {
			t.Fatalf("the exists should fail with the first failed attempt; dials %v", h.cl.dials)
		}
	})
}

func TestExpiredOnReconnect(t *testing.T) {
	h := newHarness(t, 3, nil)
	h.open()
	h.cl.sessions[h.c.SessionID()].expired = true
	h.server().dropAll()
	h.settle()
	h.c.GetData("/a", nil, func(_ []byte, _ tree.Stat, err error) { h.logf("queued %s", CodeOf(err)) })
	h.c.WaitConnected(func(err error) { h.logf("waitConnected %s", CodeOf(err)) })
	h.l.run(5 * time.Second)
	if h.c.State() != Closed {
		t.Fatalf("after the reconnect: %s", h.c)
	}
	wantLog(t, h.takeLog(), "watcher None Disconnected", "watcher None Expired", "waitConnected SessionExpired", "queued SessionExpired")

	dials := len(h.cl.dials)
	h.c.Delete("/a", -1, h.errCb("later"))
	h.c.Close(func() { h.logf("close") })
	h.l.run(time.Minute)
	wantLog(t, h.takeLog(), "later SessionExpired", "close")
	if len(h.cl.dials) != dials {
		t.Fatalf("dialed again after expiry: %v", h.cl.dials)
	}
}

func TestCloseLifecycle(t *testing.T) {
	h := newHarness(t, 3, nil)
	h.open()
	srv := h.server()
	h.c.Close(func() { h.logf("closed") })
	h.c.GetData("/a", nil, func(_ []byte, _ tree.Stat, err error) { h.logf("during %s", CodeOf(err)) })
	if h.c.State() != Connected {
		t.Fatalf("closed before the reply: %s", h.c)
	}
	h.settle()
	if h.c.State() != Closed {
		t.Fatalf("after the reply: %s", h.c)
	}
	reqs := srv.requests()
	if len(reqs) != 1 || reqs[0].Req.Type != tree.OpCloseSession {
		t.Fatalf("server received %v, want closeSession alone", reqs)
	}
	h.c.GetData("/a", nil, func(_ []byte, _ tree.Stat, err error) { h.logf("after %s", CodeOf(err)) })
	h.c.Close(func() { h.logf("closed again") })
	h.l.run(time.Minute)
	wantLog(t, h.takeLog(), "during ConnectionLoss", "watcher None Closed", "closed", "after SessionExpired", "closed again")
	wantLog(t, h.obs.invokes, "1 closeSession", "2 getData", "3 getData")
	wantLog(t, h.obs.returns, "2 local ConnectionLoss", "1 reply OK", "3 local SessionExpired")
	if len(h.cl.dials) != 1 {
		t.Fatalf("dialed after close: %v", h.cl.dials)
	}
}

func TestCloseBetweenAttempts(t *testing.T) {
	h := newHarness(t, 3, nil)
	h.open()
	h.server().dropAll()
	h.settle()
	if h.c.Server() != -1 {
		t.Fatalf("expected to wait before the next attempt: %s", h.c)
	}
	h.c.Close(func() { h.logf("closed") })
	h.l.run(time.Minute)
	wantLog(t, h.takeLog(), "watcher None Disconnected", "watcher None Closed", "closed")
	wantLog(t, h.obs.returns, "1 local ConnectionLoss")
	if len(h.cl.dials) != 1 || h.c.State() != Closed {
		t.Fatalf("dials %v, %s", h.cl.dials, h.c)
	}
}

func TestBadFramesDropTheConnection(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame func() []byte
	}{
		{"garbage", func() []byte { return []byte("\x00\xff garbage") }},
		{"truncated", func() []byte {
			f := wire.AppendClientMessage(nil, &wire.Reply{Xid: 1})
			return f[:len(f)/2]
		}},
		{"second ConnectResponse", func() []byte { return wire.AppendClientMessage(nil, &wire.ConnectResponse{Timeout: 1}) }},
		{"a request", func() []byte { return wire.AppendClientMessage(nil, &wire.Request{Xid: 1}) }},
		{"reply with nothing pending", func() []byte { return wire.AppendClientMessage(nil, &wire.Reply{Xid: 1}) }},
		{"unknown event type", func() []byte {
			return wire.AppendClientMessage(nil, &wire.Event{Type: tree.EventDataWatchRemoved, Path: "/a"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 3, nil)
			h.open()
			h.server().live()[0].sendRaw(tc.frame())
			h.settle()
			if !errors.Is(h.c.LastDrop(), ErrProtocol) || h.c.State() != Connecting {
				t.Fatalf("%s, last drop %v; want the connection dropped for a protocol error", h.c, h.c.LastDrop())
			}
			h.connect()
		})
	}
}

func TestAuthFailedEndsTheClient(t *testing.T) {
	h := newHarness(t, 3, nil)
	h.open()
	h.server().hold = true
	h.c.Exists("/a", nil, func(_ tree.Stat, err error) { h.logf("before %s", CodeOf(err)) })
	h.c.AddAuth("bad:auth")
	h.settle()
	if h.c.State() != AuthFailed {
		t.Fatalf("%s, want AuthFailed", h.c)
	}
	h.c.Exists("/a", nil, func(_ tree.Stat, err error) { h.logf("after %s", CodeOf(err)) })
	h.l.run(time.Minute)
	wantLog(t, h.takeLog(), "watcher None AuthFailed", "before AuthFailed", "after AuthFailed")
	if len(h.cl.dials) != 1 {
		t.Fatalf("dialed after AuthFailed: %v", h.cl.dials)
	}
}

// With every server refusing, the client goes round the shuffled list,
// waiting one second each time it comes back to the start, with no jitter
// since no connection ever came up (StaticHostProvider.next, startConnect).
func TestHostProviderRoundsAndSpin(t *testing.T) {
	var times []time.Duration
	h := newHarness(t, 3, func(cl *cluster, _ *Config) {
		for _, s := range cl.servers {
			s.mode = modeRefuse
		}
	})
	for len(h.cl.dials) < 7 {
		n := len(h.cl.dials)
		h.l.runWhile(t, 5*time.Second, func() bool { return len(h.cl.dials) == n })
		times = append(times, h.l.now)
	}
	o := h.c.hosts.order
	if want := []int{o[0], o[1], o[2], o[0], o[1], o[2], o[0]}; !reflect.DeepEqual(h.cl.dials, want) {
		t.Fatalf("dials %v, want %v", h.cl.dials, want)
	}
	ms := time.Millisecond
	want := []time.Duration{1 * ms, 2 * ms, time.Second + 3*ms, time.Second + 4*ms, time.Second + 5*ms, 2*time.Second + 6*ms}
	if !reflect.DeepEqual(times, want) {
		t.Fatalf("dials 2..7 at %v, want %v", times, want)
	}
}

func TestHostProviderShufflesLikeCollections(t *testing.T) {
	// A rand that always returns 0 moves each element to the front in turn:
	// Collections.shuffle swaps position i-1 with 0 for i = n..2.
	hp := newHostProvider(4, func(int) int { return 0 })
	if want := []int{1, 2, 3, 0}; !reflect.DeepEqual(hp.order, want) {
		t.Fatalf("order %v, want %v", hp.order, want)
	}
	seen := map[string]bool{}
	for seed := range uint64(20) {
		cl := newCluster(t, 5, seed)
		hp := newHostProvider(5, env{cl}.Rand)
		seen[fmtInts(hp.order)] = true
	}
	if len(seen) < 5 {
		t.Fatalf("20 seeds gave only %d orders", len(seen))
	}
}

func fmtInts(xs []int) string {
	b := make([]byte, len(xs))
	for i, x := range xs {
		b[i] = byte('0' + x)
	}
	return string(b)
}
