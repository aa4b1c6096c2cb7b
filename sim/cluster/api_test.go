package cluster

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"zoosim/tree"
	"zoosim/zab/client"
)

var acl = tree.OpenACLUnsafe

// TestClientAPI runs every client call against 3-, 5- and 7-server ensembles, from a simulated
// process, and checks the results ZooKeeper's contract gives.
func TestClientAPI(t *testing.T) {
	for _, n := range []int{3, 5, 7} {
		t.Run(fmt.Sprintf("servers=%d", n), func(t *testing.T) {
			e := newStable(t, Options{Seed: uint64(10 + n), Servers: n})
			var c checker
			var events []client.Event
			finished := false
			p := e.Spawn("app", func(s *client.Session) {
				apiScript(&c, s, &events)
				finished = true
			})
			runProcs(t, e, time.Minute, p)
			c.report(t)
			if !finished {
				t.Fatal("the script did not finish")
			}
			// The session closed: its ephemerals are gone on every server.
			var c2 checker
			q := e.Spawn("check", func(s *client.Session) {
				defer s.Close()
				if !c2.ok(s.WaitConnected(), "connect") || !c2.ok(s.Sync("/"), "sync") {
					return
				}
				kids, err := s.GetChildren("/a", nil)
				if c2.ok(err, "getChildren /a") && !slices.Equal(kids, []string{"q-0000000000"}) {
					c2.errorf("children of /a after the session closed: %v, want only the persistent sequential", kids)
				}
			})
			runProcs(t, e, time.Minute, q)
			c2.report(t)
			e.World().RunFor(time.Second)
			if !e.Converged() {
				t.Errorf("replicas differ: %v", e.Digests())
			}
		})
	}
}

// apiScript exercises the client API on a fresh ensemble, one call after the other.
func apiScript(c *checker, s *client.Session, events *[]client.Event) {
	if !c.ok(s.WaitConnected(), "connect") {
		return
	}
	// create in several modes
	creates := []struct {
		path string
		mode tree.CreateMode
		want string
	}{
		{"/a", tree.Persistent, "/a"},
		{"/a/q-", tree.PersistentSequential, "/a/q-0000000000"},
		{"/a/e", tree.Ephemeral, "/a/e"},
		{"/a/es-", tree.EphemeralSequential, "/a/es-0000000002"},
	}
	for _, cr := range creates {
		got, err := s.Create(cr.path, []byte("x"), acl, cr.mode)
		if !c.ok(err, "create "+cr.path) {
			return
		}
		if got != cr.want {
			c.errorf("create %s %v = %s, want %s", cr.path, cr.mode, got, cr.want)
		}
	}
	if _, err := s.Create("/a", nil, acl, tree.Persistent); client.CodeOf(err) != tree.NodeExists {
		c.errorf("create /a again: %v, want NodeExists", err)
	}
	if _, err := s.Create("/a/e/child", nil, acl, tree.Persistent); client.CodeOf(err) != tree.NoChildrenForEphemerals {
		c.errorf("create under an ephemeral: %v, want NoChildrenForEphemerals", err)
	}

	// getData, setData with versions
	data, st, err := s.GetData("/a", nil)
	if c.ok(err, "getData /a") && (!bytes.Equal(data, []byte("x")) || st.Version != 0) {
		c.errorf("getData /a = %q version %d, want \"x\" version 0", data, st.Version)
	}
	st, err = s.SetData("/a", []byte("y"), 0)
	if c.ok(err, "setData /a version 0") && st.Version != 1 {
		c.errorf("setData /a: version %d, want 1", st.Version)
	}
	if _, err := s.SetData("/a", []byte("z"), 0); client.CodeOf(err) != tree.BadVersion {
		c.errorf("setData /a with a stale version: %v, want BadVersion", err)
	}
	if _, err := s.SetData("/a", []byte("w"), -1); !c.ok(err, "setData /a version -1") {
		return
	}
	data, st, err = s.GetData("/a", nil)
	if c.ok(err, "getData /a") && (!bytes.Equal(data, []byte("w")) || st.Version != 2) {
		c.errorf("getData /a = %q version %d, want \"w\" version 2", data, st.Version)
	}

	// exists with a watch that fires: the event reaches the watcher before the reply to the
	// create that triggered it (A8.1).
	w := client.NewWatcher(func(ev client.Event) { *events = append(*events, ev) })
	_, ok, err := s.Exists("/b", w)
	if !c.ok(err, "exists /b") {
		return
	}
	if ok {
		c.errorf("exists /b: found before it was created")
	}
	if _, err := s.Create("/b", nil, acl, tree.Persistent); !c.ok(err, "create /b") {
		return
	}
	if len(*events) != 1 || (*events)[0].Type != tree.EventNodeCreated || (*events)[0].Path != "/b" {
		c.errorf("events after create /b: %v, want one NodeCreated /b", *events)
	}
	// one-shot: a second change fires nothing
	if _, err := s.SetData("/b", []byte("1"), -1); !c.ok(err, "setData /b") {
		return
	}
	if len(*events) != 1 {
		c.errorf("events after a second change: %v, want the watch gone", *events)
	}

	// getChildren
	kids, err := s.GetChildren("/a", nil)
	if c.ok(err, "getChildren /a") && !slices.Equal(kids, []string{"e", "es-0000000002", "q-0000000000"}) {
		c.errorf("children of /a = %v", kids)
	}

	// multi: all or nothing
	res, err := s.Multi(
		client.CreateOp("/m", []byte("m"), acl, tree.Persistent, 0),
		client.SetDataOp("/a", []byte("v"), 2),
		client.CheckOp("/b", 1),
	)
	if c.ok(err, "multi") && len(res) != 3 {
		c.errorf("multi: %d results, want 3", len(res))
	}
	_, err = s.Multi(
		client.CreateOp("/n", nil, acl, tree.Persistent, 0),
		client.CheckOp("/a", 0),
	)
	if client.CodeOf(err) != tree.BadVersion {
		c.errorf("multi with a failing check: %v, want BadVersion", err)
	}
	if _, ok, err := s.Exists("/n", nil); c.ok(err, "exists /n") && ok {
		c.errorf("a failed multi created /n")
	}

	// sync, then delete
	if !c.ok(s.Sync("/a"), "sync") {
		return
	}
	if err := s.Delete("/a", -1); client.CodeOf(err) != tree.NotEmpty {
		c.errorf("delete /a with children: %v, want NotEmpty", err)
	}
	if err := s.Delete("/m", 5); client.CodeOf(err) != tree.BadVersion {
		c.errorf("delete /m with a wrong version: %v, want BadVersion", err)
	}
	if !c.ok(s.Delete("/m", 0), "delete /m") {
		return
	}
	if _, ok, err := s.Exists("/m", nil); c.ok(err, "exists /m") && ok {
		c.errorf("/m still exists after its delete")
	}
	s.Close()
	if st := s.Client().State(); st != client.Closed {
		c.errorf("state after Close: %v", st)
	}
}
