package client

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"zoosim/tree"
	"zoosim/zab/wire"
)

func TestRemoveWatches(t *testing.T) {
	setup := func(t *testing.T) (*harness, *Watcher, *[]string) {
		h := newHarness(t, 3, nil)
		h.open()
		h.mkdir("/a")
		got := &[]string{}
		w := NewWatcher(func(e Event) { *got = append(*got, e.String()) })
		h.c.GetData("/a", w, nil)
		h.c.GetChildren("/a", w, nil)
		h.c.AddWatch("/a", w, tree.WatchPersistent, nil)
		h.settle()
		return h, w, got
	}
	lastRequest := func(h *harness) tree.Request {
		reqs := h.server().requests()
		return reqs[len(reqs)-1].Req
	}

	t.Run("one watcher by type sends checkWatches", func(t *testing.T) {
		h, w, got := setup(t)
		h.c.RemoveWatches("/a", w, tree.WatcherData, false, func(err error) { *got = append(*got, "cb "+CodeOf(err).String()) })
		h.settle()
		if r := lastRequest(h); r.Type != tree.OpCheckWatches || r.WatcherType != tree.WatcherData || r.Path != "/a" {
			t.Fatalf("sent %s", r.String())
		}
		wantLog(t, *got, "DataWatchRemoved /a SyncConnected", "cb OK")
		if heldAt(h.c, kindData, "/a", w) || !heldAt(h.c, kindChild, "/a", w) || !heldAt(h.c, kindPersistent, "/a", w) {
			t.Fatalf("only the data watch should be gone: %v", h.c.watches.tables)
		}
	})
	t.Run("all watchers sends removeWatches", func(t *testing.T) {
		h, _, got := setup(t)
		h.c.RemoveAllWatches("/a", tree.WatcherAny, false, func(err error) { *got = append(*got, "cb "+CodeOf(err).String()) })
		h.settle()
		if r := lastRequest(h); r.Type != tree.OpRemoveWatches || r.WatcherType != tree.WatcherAny {
			t.Fatalf("sent %s", r.String())
		}
		wantLog(t, *got, "ChildWatchRemoved /a SyncConnected", "DataWatchRemoved /a SyncConnected",
			"PersistentWatchRemoved /a SyncConnected", "cb OK")
		if !h.c.watches.empty() {
			t.Fatalf("watches left: %v", h.c.watches.tables)
		}
	})
	t.Run("persistent watch not removable by Children", func(t *testing.T) {
		h, w, got := setup(t)
		h.c.RemoveWatches("/a", w, tree.WatcherChildren, false, nil)
		h.c.RemoveWatches("/a", w, tree.WatcherChildren, false, func(err error) { *got = append(*got, "cb "+CodeOf(err).String()) })
		h.settle()
		// The first removes the child watch; the second finds the
		// persistent watch (containsWatcher looks there) but cannot remove
		// it by Children.
		wantLog(t, *got, "ChildWatchRemoved /a SyncConnected", "cb NoWatcher")
		if !heldAt(h.c, kindPersistent, "/a", w) {
			t.Fatalf("persistent watch removed")
		}
	})
	t.Run("unknown watcher is NoWatcher, sent all the same", func(t *testing.T) {
		h, _, got := setup(t)
		n := len(h.server().requests())
		h.c.RemoveWatches("/a", NewWatcher(nil), tree.WatcherAny, false, func(err error) { *got = append(*got, "cb "+CodeOf(err).String()) })
		h.settle()
		wantLog(t, *got, "cb NoWatcher")
		if len(h.server().requests()) != n+1 {
			t.Fatalf("the Java client sends the request before checking its tables")
		}
	})
	t.Run("server error keeps the watch unless local", func(t *testing.T) {
		for _, local := range []bool{false, true} {
			h, w, got := setup(t)
			srv := h.server()
			srv.hold = true
			h.c.RemoveWatches("/a", w, tree.WatcherData, local, func(err error) { *got = append(*got, "cb "+CodeOf(err).String()) })
			h.settle()
			srv.reply(srv.inbox[0], tree.NoWatcher, tree.Result{})
			h.settle()
			if local {
				wantLog(t, *got, "DataWatchRemoved /a SyncConnected", "cb OK")
			} else {
				wantLog(t, *got, "cb NoWatcher")
			}
			if heldAt(h.c, kindData, "/a", w) == local {
				t.Fatalf("local=%v: data watch held %v", local, !local)
			}
		}
	})
	t.Run("local removal without a connection", func(t *testing.T) {
		h, w, got := setup(t)
		for _, s := range h.cl.servers {
			s.mode = modeRefuse
		}
		h.server().dropAll()
		h.settle()
		h.c.RemoveWatches("/a", w, tree.WatcherAny, true, func(err error) { *got = append(*got, "cb "+CodeOf(err).String()) })
		h.l.run(2 * time.Second)
		// Session events first reach w (it still holds watches); the
		// removal completes on the failed attempt's ConnectionLoss.
		wantLog(t, *got, "None Disconnected", "ChildWatchRemoved /a Disconnected", "DataWatchRemoved /a Disconnected",
			"PersistentWatchRemoved /a Disconnected", "cb OK")
	})
	t.Run("nil watcher refused", func(t *testing.T) {
		h, _, _ := setup(t)
		var err error
		h.c.RemoveWatches("/a", nil, tree.WatcherAny, false, func(e error) { err = e })
		h.settle()
		if !errors.Is(err, ErrBadArguments) {
			t.Fatalf("err %v", err)
		}
	})
}

// The client checks what the Java client checks before sending, and
// reports refusals only to the caller.
func TestLocalChecks(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		call func(c *Client, cb func(error))
		code tree.Code
		sent tree.Request // when code is OK: what goes out (xid aside)
	}{
		{"bad path", func(c *Client, cb func(error)) { c.GetData("a", nil, func(_ []byte, _ tree.Stat, e error) { cb(e) }) },
			tree.BadArguments, tree.Request{}},
		{"trailing slash", func(c *Client, cb func(error)) { c.Delete("/a/", -1, cb) }, tree.BadArguments, tree.Request{}},
		{"sequential prefix may end in /", func(c *Client, cb func(error)) {
			c.Create("/q/", nil, tree.OpenACLUnsafe, tree.PersistentSequential, func(_ string, e error) { cb(e) })
		}, tree.OK, tree.Request{Type: tree.OpCreate, Path: "/q/", ACL: tree.OpenACLUnsafe, Mode: tree.PersistentSequential}},
		{"empty ACL", func(c *Client, cb func(error)) {
			c.Create("/a", nil, nil, tree.Persistent, func(_ string, e error) { cb(e) })
		}, tree.InvalidACL, tree.Request{}},
		{"bad path before empty ACL", func(c *Client, cb func(error)) {
			c.Create("a", nil, nil, tree.Persistent, func(_ string, e error) { cb(e) })
		}, tree.BadArguments, tree.Request{}},
		{"TTL mode without Create2", func(c *Client, cb func(error)) {
			c.Create("/a", nil, tree.OpenACLUnsafe, tree.PersistentWithTTL, func(_ string, e error) { cb(e) })
		}, tree.BadArguments, tree.Request{}},
		{"TTL zero", func(c *Client, cb func(error)) {
			c.Create2("/a", nil, tree.OpenACLUnsafe, tree.PersistentWithTTL, 0, func(_ string, _ tree.Stat, e error) { cb(e) })
		}, tree.BadArguments, tree.Request{}},
		{"TTL on a plain mode", func(c *Client, cb func(error)) {
			c.Create2("/a", nil, tree.OpenACLUnsafe, tree.Persistent, 5*ms, func(_ string, _ tree.Stat, e error) { cb(e) })
		}, tree.BadArguments, tree.Request{}},
		{"unknown mode", func(c *Client, cb func(error)) {
			c.Create("/a", nil, tree.OpenACLUnsafe, tree.CreateMode(9), func(_ string, e error) { cb(e) })
		}, tree.BadArguments, tree.Request{}},
		{"createTTL", func(c *Client, cb func(error)) {
			c.Create2("/a", []byte("d"), tree.OpenACLUnsafe, tree.PersistentSequentialWithTTL, 1500*ms, func(_ string, _ tree.Stat, e error) { cb(e) })
		}, tree.OK, tree.Request{Type: tree.OpCreateTTL, Path: "/a", Data: []byte("d"), ACL: tree.OpenACLUnsafe, Mode: tree.PersistentSequentialWithTTL, TTL: 1500}},
		{"container", func(c *Client, cb func(error)) {
			c.Create("/a", nil, tree.OpenACLUnsafe, tree.Container, func(_ string, e error) { cb(e) })
		}, tree.OK, tree.Request{Type: tree.OpCreateContainer, Path: "/a", ACL: tree.OpenACLUnsafe, Mode: tree.Container}},
		{"create2", func(c *Client, cb func(error)) {
			c.Create2("/a", nil, tree.OpenACLUnsafe, tree.Ephemeral, 0, func(_ string, _ tree.Stat, e error) { cb(e) })
		}, tree.OK, tree.Request{Type: tree.OpCreate2, Path: "/a", ACL: tree.OpenACLUnsafe, Mode: tree.Ephemeral}},
		{"setACL empty", func(c *Client, cb func(error)) {
			c.SetACL("/a", nil, -1, func(_ tree.Stat, e error) { cb(e) })
		}, tree.InvalidACL, tree.Request{}},
		{"addWatch standard mode", func(c *Client, cb func(error)) { c.AddWatch("/a", nil, tree.WatchStandard, cb) },
			tree.BadArguments, tree.Request{}},
		{"removeWatches bad type", func(c *Client, cb func(error)) { c.RemoveAllWatches("/a", tree.WatcherType(7), false, cb) },
			tree.BadArguments, tree.Request{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 1, nil)
			h.open()
			h.server().hold = true
			called := 0
			var err error
			tc.call(h.c, func(e error) { called++; err = e })
			if called != 0 {
				t.Fatalf("callback ran inside the call")
			}
			h.settle()
			reqs := h.server().requests()
			if tc.code != tree.OK {
				if called != 1 || CodeOf(err) != tc.code || len(reqs) != 0 || len(h.obs.invokes) != 0 {
					t.Fatalf("called %d err %v sent %d invokes %v; want %s, nothing sent or observed", called, err, len(reqs), h.obs.invokes, tc.code)
				}
				var e *Error
				if !errors.As(err, &e) || e.Err == nil && tc.code == tree.BadArguments {
					t.Fatalf("err %#v: a local refusal carries its cause", err)
				}
				return
			}
			if len(reqs) != 1 || !reflect.DeepEqual(reqs[0].Req, tc.sent) {
				t.Fatalf("sent %v, want %s", reqs, tc.sent.String())
			}
		})
	}
}

func TestMulti(t *testing.T) {
	h := newHarness(t, 1, nil)
	h.open()
	srv := h.server()
	srv.hold = true
	var log []string
	cb := func(name string) func([]tree.Result, error) {
		return func(rs []tree.Result, err error) {
			log = append(log, fmt.Sprintf("%s %s %d", name, CodeOf(err), len(rs)))
			for _, r := range rs {
				log = append(log, "  "+r.String())
			}
		}
	}
	ops := []tree.Request{
		CreateOp("/a", []byte("x"), tree.OpenACLUnsafe, tree.Persistent, 0),
		SetDataOp("/b", []byte("y"), 3),
		CheckOp("/c", -1),
		DeleteOp("/d", 1),
	}
	h.c.Multi(ops, cb("failed"))
	h.c.Multi(ops[:1], cb("ok"))
	h.c.Multi(nil, cb("empty"))
	h.c.Multi([]tree.Request{CheckOp("/c", 1), DeleteOp("bad", 1), {Type: tree.OpGetData, Path: "/a"}}, cb("refused"))
	h.settle()
	if len(srv.inbox) != 2 {
		t.Fatalf("%d multis sent, want 2", len(srv.inbox))
	}
	if got := srv.inbox[0].req.Req; got.Type != tree.OpMulti || !reflect.DeepEqual(got.Ops, ops) {
		t.Fatalf("sent %s", got.String())
	}
	fail := tree.Result{Type: tree.OpError}
	srv.reply(srv.inbox[0], tree.OK, tree.Result{Type: tree.OpMulti, Multi: []tree.Result{
		fail, {Type: tree.OpError, Err: tree.BadVersion}, {Type: tree.OpError, Err: tree.RuntimeInconsistency}, {Type: tree.OpError, Err: tree.RuntimeInconsistency},
	}})
	srv.reply(srv.inbox[1], tree.OK, tree.Result{Type: tree.OpMulti, Multi: []tree.Result{{Type: tree.OpCreate, Path: "/a"}}})
	h.settle()
	wantLog(t, log,
		"empty OK 0",
		"refused BadArguments 3",
		"  RuntimeInconsistency",
		"  BadArguments",
		"  BadArguments",
		"failed BadVersion 4",
		"  OK",
		"  BadVersion",
		"  RuntimeInconsistency",
		"  RuntimeInconsistency",
		"ok OK 1",
		"  OK path=/a",
	)
}

func TestErrors(t *testing.T) {
	err := error(&Error{Code: tree.NoNode, Op: tree.OpGetData, Path: "/a"})
	if !errors.Is(err, ErrNoNode) || errors.Is(err, ErrNodeExists) || !errors.Is(err, &Error{Code: tree.NoNode}) {
		t.Fatalf("errors.Is does not match by code")
	}
	if errors.Is(err, &Error{Code: tree.NoNode, Path: "/b"}) {
		t.Fatalf("a target with a path should only match itself")
	}
	if got := err.Error(); got != "client: getData /a: NoNode" {
		t.Fatalf("Error() = %q", got)
	}
	if got := ErrConnectionLoss.Error(); got != "client: ConnectionLoss" {
		t.Fatalf("Error() = %q", got)
	}
	cause := errors.New("bad")
	wrapped := fmt.Errorf("ctx: %w", &Error{Code: tree.BadArguments, Op: tree.OpMulti, Err: cause})
	if CodeOf(wrapped) != tree.BadArguments || !errors.Is(wrapped, cause) || wrapped.Error() != "ctx: client: multi: BadArguments: bad" {
		t.Fatalf("wrapped: %v", wrapped)
	}
	if CodeOf(nil) != tree.OK || CodeOf(cause) != tree.SystemError {
		t.Fatalf("CodeOf of nil or a foreign error")
	}
}

// Replies carry their results to the callbacks; lastZxidSeen follows the
// reply zxids (never the pings').
func TestCallbacksGetResults(t *testing.T) {
	h := newHarness(t, 1, nil)
	h.open()
	var log []string
	h.c.Create2("/a", []byte("v1"), tree.OpenACLUnsafe, tree.Persistent, 0, func(p string, st tree.Stat, err error) {
		log = append(log, fmt.Sprintf("create2 %s czxid=%s %v", p, st.Czxid, err))
	})
	h.c.SetData("/a", []byte("v2"), 0, func(st tree.Stat, err error) {
		log = append(log, fmt.Sprintf("setData version=%d %v", st.Version, err))
	})
	h.c.GetData("/a", nil, func(d []byte, st tree.Stat, err error) {
		log = append(log, fmt.Sprintf("getData %s %d %v", d, st.Version, err))
	})
	h.c.Exists("/nope", nil, func(_ tree.Stat, err error) { log = append(log, fmt.Sprintf("exists %v", err)) })
	h.c.GetChildren("/", nil, func(k []string, err error) { log = append(log, fmt.Sprintf("children %v %v", k, err)) })
	h.c.GetACL("/a", func(acl []tree.ACL, _ tree.Stat, err error) { log = append(log, fmt.Sprintf("acl %v %v", acl, err)) })
	h.settle()
	wantLog(t, log,
		"create2 /a czxid=0x100000001 <nil>",
		"setData version=1 <nil>",
		"getData v2 1 <nil>",
		"exists client: exists /nope: NoNode",
		"children [a] <nil>",
		"acl [world:anyone:cdrwa] <nil>",
	)
	if h.c.LastZxidSeen() != 0x100000002 {
		t.Fatalf("lastZxidSeen %s", h.c.LastZxidSeen())
	}
	h.cl.zxid += 10 // pings answer with the server's zxid; the client ignores it
	h.l.run(time.Minute)
	if h.c.LastZxidSeen() != 0x100000002 {
		t.Fatalf("lastZxidSeen %s after pings", h.c.LastZxidSeen())
	}
	wantLog(t, h.obs.invokes, "1 create2", "2 setData", "3 getData", "4 exists", "5 getChildren", "6 getACL")
	wantLog(t, h.obs.returns, "1 reply OK", "2 reply OK", "3 reply OK", "4 reply NoNode", "5 reply OK", "6 reply OK")
	if got := h.c.String(); got != "client session=0x1001 state=Connected server=0 lastZxid=0x100000002 xid=7 queued=0 pending=0 timeout=30s" {
		t.Fatalf("String() = %q", got)
	}
}

// A watch event sent before a reply reaches its watcher before the reply's
// callback, and the Observer sees them in the same order.
func TestEventsAndRepliesKeepConnectionOrder(t *testing.T) {
	h := newHarness(t, 1, nil)
	h.open()
	h.mkdir("/a")
	var log []string
	w := NewWatcher(func(e Event) { log = append(log, "event "+e.String()) })
	h.c.GetData("/a", w, nil)
	h.settle()
	srv := h.server()
	srv.hold = true
	h.c.GetData("/a", nil, func(_ []byte, _ tree.Stat, err error) { log = append(log, "reply") })
	h.settle()
	srv.notify(tree.EventNodeDataChanged, "/a")
	srv.reply(srv.inbox[0], tree.OK, tree.Result{})
	h.settle()
	wantLog(t, log, "event NodeDataChanged /a SyncConnected", "reply")
	all := h.obs.all
	wantLog(t, all[len(all)-2:], "event NodeDataChanged /a SyncConnected", "return 3 reply OK")
}

// addWatch registers on OK and on NoNode (AddWatchRegistration), and not
// on other codes.
func TestAddWatchRegistration(t *testing.T) {
	for _, code := range []tree.Code{tree.OK, tree.NoNode, tree.NoAuth} {
		h := newHarness(t, 1, nil)
		h.open()
		srv := h.server()
		srv.hold = true
		w := NewWatcher(nil)
		h.c.AddWatch("/a", w, tree.WatchPersistentRecursive, nil)
		h.settle()
		srv.reply(srv.inbox[0], code, tree.Result{})
		h.settle()
		if want := code != tree.NoAuth; heldAt(h.c, kindRecursive, "/a", w) != want {
			t.Fatalf("%s: watch held %v, want %v", code, !want, want)
		}
	}
}

// TestCallerMayReuseItsBuffers: the client keeps no reference into a
// caller's data, ACL or ops once the call returns. A request sent at once
// is encoded inside the call; one queued while disconnected holds copies,
// so the frame sent after the reconnect carries what the caller passed,
// whatever the caller wrote into its buffers since.
func TestCallerMayReuseItsBuffers(t *testing.T) {
	scribble := func(bufs ...[]byte) {
		for _, b := range bufs {
			for i := range b {
				b[i] = '!'
			}
		}
	}
	acl := func() []tree.ACL {
		return []tree.ACL{{Perms: tree.PermAll, ID: tree.ID{Scheme: "world", ID: "anyone"}}}
	}
	check := func(t *testing.T, reqs []*wire.Request) {
		t.Helper()
		want := []tree.Request{
			{Type: tree.OpCreate, Path: "/a", Data: []byte("create"), ACL: acl()},
			{Type: tree.OpSetData, Path: "/a", Data: []byte("set"), Version: -1},
			{Type: tree.OpSetACL, Path: "/a", ACL: acl(), Version: -1},
			{Type: tree.OpMulti, Ops: []tree.Request{{Type: tree.OpSetData, Path: "/a", Data: []byte("op"), Version: -1}}},
		}
		if len(reqs) != len(want) {
			t.Fatalf("server received %d requests, want %d", len(reqs), len(want))
		}
		for i, r := range reqs {
			if !reflect.DeepEqual(r.Req, want[i]) {
				t.Errorf("request %d: server received\n  %#v\nwant\n  %#v", i, r.Req, want[i])
			}
		}
	}
	issue := func(h *harness) {
		data, set, op := []byte("create"), []byte("set"), []byte("op")
		a1, a2 := acl(), acl()
		ops := []tree.Request{{Type: tree.OpSetData, Path: "/a", Data: op, Version: -1}}
		h.c.Create("/a", data, a1, tree.Persistent, nil)
		h.c.SetData("/a", set, -1, nil)
		h.c.SetACL("/a", a2, -1, nil)
		h.c.Multi(ops, nil)
		scribble(data, set, op)
		a1[0].ID.ID, a2[0].ID.ID = "someone", "someone"
		ops[0].Path = "/b"
	}
	t.Run("sent at once", func(t *testing.T) {
		h := newHarness(t, 1, nil)
		h.open()
		issue(h)
		h.settle()
		check(t, h.server().requests())
	})
	t.Run("queued while disconnected", func(t *testing.T) {
		h := newHarness(t, 3, nil)
		h.open()
		h.server().dropAll()
		h.settle()
		issue(h)
		h.connect()
		check(t, h.server().requests())
	})
}
