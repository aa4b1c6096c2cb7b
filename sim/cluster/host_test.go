package cluster

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"zoosim/sim"
	"zoosim/tree"
	"zoosim/zab"
	"zoosim/zab/client"
	"zoosim/zab/storage"
)

// rogue is a node's software that dials one port of a server, sends garbage once connected,
// and records how the connection ended.
type rogue struct {
	connected bool
	closedBy  error
}

func (r *rogue) Connected(c *sim.Conn)    { r.connected = true; _ = c.Send([]byte{0xff, 0xfe, 0xfd}) }
func (*rogue) Received(*sim.Conn, []byte) {}
func (r *rogue) Closed(_ *sim.Conn, err error) {
	r.closedBy = err
}

// TestBadFrames: a client frame that does not decode closes its connection and counts in the
// host; the server goes on serving. Nodes that are not servers cannot reach the election and
// quorum ports at all.
func TestBadFrames(t *testing.T) {
	e := newStable(t, Options{Seed: 3, Servers: 3})
	w := e.World()
	target := e.Server(0)
	var client, election, quorum rogue
	w.AddNode("rogue", func(n *sim.Node) {
		n.Dial(target.Node().ID(), ClientPort, &client)
		n.Dial(target.Node().ID(), ElectionPort, &election)
		n.Dial(target.Node().ID(), QuorumPort, &quorum)
	})
	w.RunFor(time.Second)
	if !client.connected || !errors.Is(client.closedBy, sim.ErrPeerClosed) {
		t.Errorf("client port: connected %v, closed by %v; want the server to close it", client.connected, client.closedBy)
	}
	if got := target.HostStats().BadFrames; got != 1 {
		t.Errorf("BadFrames = %d, want 1", got)
	}
	for port, r := range map[string]*rogue{"election": &election, "quorum": &quorum} {
		if r.connected || !errors.Is(r.closedBy, sim.ErrRefused) {
			t.Errorf("%s port: connected %v, closed by %v; want it refused", port, r.connected, r.closedBy)
		}
	}
	if !e.Stable() {
		t.Fatalf("the ensemble stopped serving:\n%s", e.Status())
	}
	creates(t, e, "app", "/after")
}

// TestBootRefusalIsVisible: a server whose disk fails B1's startup checks refuses to start, and
// says so through Status and Errors; the others go on serving; after its disk is replaced
// (Wipe) it starts empty and the leader brings it up to date.
func TestBootRefusalIsVisible(t *testing.T) {
	e := newStable(t, Options{Seed: 5, Servers: 3})
	w := e.World()
	creates(t, e, "app", "/a", "/b")
	l, _ := e.Leader()
	i := (l + 1) % 3
	s := e.Server(i)

	// Damage the epoch file durably, as an outside hand would.
	f := s.Node().Disk().Open("currentEpoch")
	f.Truncate(0)
	f.Append([]byte("garbage\n"))
	synced := false
	f.Sync(func(error) { synced = true })
	w.RunWhile(func() bool { return !synced }, w.Now().Add(time.Second))
	if err := e.Crash(i); err != nil {
		t.Fatal(err)
	}
	if err := e.Restart(i); err != nil {
		t.Fatal(err)
	}
	errs := s.Errors()
	if len(errs) != 1 || !errors.Is(errs[0], storage.ErrEpochFile) {
		t.Fatalf("Errors = %v, want one storage.ErrEpochFile", errs)
	}
	if s.Up() || s.Peer() != nil || !strings.Contains(s.Status(), "refused to start") {
		t.Errorf("a refused server: Up %v, Peer %v, Status %q", s.Up(), s.Peer(), s.Status())
	}
	if err := e.RunUntilStable(time.Minute); err != nil {
		t.Fatal(err)
	}
	creates(t, e, "app2", "/c")

	if err := e.Crash(i); err != nil {
		t.Fatal(err)
	}
	s.Node().Disk().Wipe()
	if err := e.Restart(i); err != nil {
		t.Fatal(err)
	}
	if err := e.RunUntilStable(time.Minute); err != nil {
		t.Fatal(err)
	}
	w.RunFor(time.Second)
	if !s.Up() || !e.Converged() {
		t.Fatalf("after a new disk: up %v, digests %v\n%s", s.Up(), e.Digests(), e.Status())
	}
	for _, path := range []string{"/a", "/b", "/c"} {
		if _, _, ok := s.Peer().Tree().Get(path); !ok {
			t.Errorf("server %d misses %s after syncing", s.ID(), path)
		}
	}
	if len(s.Errors()) != 1 {
		t.Errorf("new errors after the restart: %v", s.Errors())
	}
}

// TestServerAccessors: what a server reports about itself while up, down and restarted.
func TestServerAccessors(t *testing.T) {
	e := newStable(t, Options{Seed: 6, Servers: 3, KeepApplied: true})
	creates(t, e, "app", "/x", "/y")
	e.World().RunFor(time.Second)
	l, _ := e.Leader()
	s := e.Server(l)
	if got := s.Metrics(); got.Role.String() != "leading" || got.Znodes < 3 {
		t.Errorf("leader metrics: %+v", got)
	}
	if !strings.Contains(s.Status(), "leading (broadcast)") {
		t.Errorf("leader status %q", s.Status())
	}
	applied := s.Applied()
	if len(applied) == 0 || int64(len(applied)) != s.AppliedTotal() {
		t.Fatalf("Applied %d, AppliedTotal %d", len(applied), s.AppliedTotal())
	}
	for i := 1; i < len(applied); i++ {
		if applied[i].Zxid <= applied[i-1].Zxid {
			t.Errorf("applied out of order: %s after %s", applied[i].Zxid, applied[i-1].Zxid)
		}
	}
	var creates int
	for _, x := range applied {
		if x.Type == tree.OpCreate {
			creates++
		}
	}
	if creates != 2 {
		t.Errorf("applied %d creates, want 2", creates)
	}
	total := s.AppliedTotal()
	if err := e.Crash(l); err != nil {
		t.Fatal(err)
	}
	if s.Up() || s.Peer() != nil || s.Status() != fmt.Sprintf("server %d down", s.ID()) {
		t.Errorf("a crashed server: Up %v, Status %q", s.Up(), s.Status())
	}
	if s.Metrics() != (zab.Metrics{}) {
		t.Errorf("a crashed server has metrics")
	}
	if err := e.Restart(l); err != nil {
		t.Fatal(err)
	}
	if err := e.RunUntilStable(time.Minute); err != nil {
		t.Fatal(err)
	}
	if len(s.Applied()) != int(s.AppliedTotal()-total) {
		t.Errorf("after a restart: Applied %d, AppliedTotal %d (was %d)", len(s.Applied()), s.AppliedTotal(), total)
	}
	var c checker
	p := e.Spawn("reader", func(s *client.Session) {
		defer s.Close()
		if c.ok(s.WaitConnected(), "connect") {
			_, _, err := s.GetData("/x", nil)
			c.ok(err, "getData /x")
		}
	})
	runProcs(t, e, time.Minute, p)
	c.report(t)
}
