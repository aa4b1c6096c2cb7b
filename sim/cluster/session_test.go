package cluster

import (
	"testing"
	"time"

	"zoosim/tree"
	"zoosim/zab"
	"zoosim/zab/client"
)

// TestSessionExpiry: a client holding an ephemeral node dies with its machine. After the session
// timeout the leader expires the session, the ephemeral goes on every server, and a watcher on
// another client learns of it.
func TestSessionExpiry(t *testing.T) {
	e := newStable(t, Options{Seed: 9, Servers: 3, Server: zab.Config{TickTime: 500 * time.Millisecond}, SessionTimeout: 2 * time.Second})
	w := e.World()
	var c checker
	holding := false
	holder := e.Spawn("holder", func(s *client.Session) {
		if !c.ok(s.WaitConnected(), "holder connect") {
			return
		}
		_, err := s.Create("/lock", []byte("mine"), acl, tree.Ephemeral)
		holding = c.ok(err, "create /lock")
		// The process ends here; the client, and its session, live on in the node's memory.
	})
	runProcs(t, e, time.Minute, holder)
	if !holding {
		c.report(t)
		t.FailNow()
	}

	var events []client.Event
	watching := false
	watcher := e.Spawn("watcher", func(s *client.Session) {
		if !c.ok(s.WaitConnected(), "watcher connect") {
			return
		}
		wt := client.NewWatcher(func(ev client.Event) { events = append(events, ev) })
		_, ok, err := s.Exists("/lock", wt)
		watching = c.ok(err, "exists /lock") && ok
	})
	runProcs(t, e, time.Minute, watcher)
	c.report(t)
	if !watching {
		t.Fatal("the watcher did not see /lock")
	}

	crashed := w.Now()
	if err := w.Crash(holder.Node().ID()); err != nil {
		t.Fatal(err)
	}
	gone := func() bool { return len(events) > 0 }
	if w.RunWhile(func() bool { return !gone() }, w.Now().Add(time.Minute)) {
		t.Fatalf("no event for /lock a minute after its holder died:\n%s", e.Status())
	}
	took := w.Now().Sub(crashed)
	if ev := events[0]; ev.Type != tree.EventNodeDeleted || ev.Path != "/lock" {
		t.Errorf("event %v, want NodeDeleted /lock", ev)
	}
	// ZooKeeper expires a session at the end of the tick bucket after its timeout (T = 2s) ran
	// from its last contact (A9). An idle client pings every T/3, so the last contact was at most
	// T/3 before the crash; a learner reports touches at its next ping from the leader, which
	// only makes expiry later.
	if took < 2*time.Second*2/3 || took > 2*time.Second+2*500*time.Millisecond {
		t.Errorf("the session expired %v after its client died, want within [T·2/3, T+2 ticks]", took)
	}
	t.Logf("session expired %v after its client died", took)
	w.RunFor(time.Second)
	for _, s := range e.Servers() {
		if s.Peer().Tree().Exists("/lock") {
			t.Errorf("server %d still has /lock", s.ID())
		}
		if m := s.Metrics(); m.Ephemerals != 0 {
			t.Errorf("server %d: %d ephemerals", s.ID(), m.Ephemerals)
		}
	}
	if !e.Converged() {
		t.Errorf("replicas differ: %v", e.Digests())
	}
}

// TestVariantsReachServers: Options.Variants runs on every server. Under NoEphemeralCleanup an
// expired session's ephemeral stays, on every replica.
func TestVariantsReachServers(t *testing.T) {
	e := newStable(t, Options{Seed: 10, Servers: 3, Variants: []zab.Variant{zab.NoEphemeralCleanup},
		Server: zab.Config{TickTime: 500 * time.Millisecond}, SessionTimeout: 2 * time.Second})
	var c checker
	p := e.Spawn("app", func(s *client.Session) {
		if c.ok(s.WaitConnected(), "connect") {
			_, err := s.Create("/e", nil, acl, tree.Ephemeral)
			c.ok(err, "create /e")
		}
	})
	runProcs(t, e, time.Minute, p)
	c.report(t)
	if err := e.World().Crash(p.Node().ID()); err != nil {
		t.Fatal(err)
	}
	e.World().RunFor(10 * time.Second)
	var expired int64
	for _, s := range e.Servers() {
		expired += s.Metrics().Expired
		if !s.Peer().Tree().Exists("/e") {
			t.Errorf("server %d: the ephemeral went with its session; the variant did not run", s.ID())
		}
	}
	if expired != 1 {
		t.Errorf("%d sessions expired, want 1", expired)
	}
}
