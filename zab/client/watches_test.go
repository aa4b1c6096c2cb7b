package client

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// The materialization table of ZKWatchManager, driven through the client:
// register one kind of watch, let the server send one event, and check
// whether the watcher ran and whether its watch is still held.
func TestWatchMaterialization(t *testing.T) {
	type kind struct {
		name     string
		setup    []string // nodes to create first
		register func(h *harness, w *Watcher)
		table    watchKind
		at       string // where the watch is held
	}
	kinds := []kind{
		{"data", []string{"/a"}, func(h *harness, w *Watcher) { h.c.GetData("/a", w, nil) }, kindData, "/a"},
		{"exists on a node", []string{"/a"}, func(h *harness, w *Watcher) { h.c.Exists("/a", w, nil) }, kindData, "/a"},
		{"exists on no node", nil, func(h *harness, w *Watcher) { h.c.Exists("/a", w, nil) }, kindExist, "/a"},
		{"child", []string{"/a"}, func(h *harness, w *Watcher) { h.c.GetChildren("/a", w, nil) }, kindChild, "/a"},
		{"child with stat", []string{"/a"}, func(h *harness, w *Watcher) { h.c.GetChildren2("/a", w, nil) }, kindChild, "/a"},
		{"persistent", nil, func(h *harness, w *Watcher) { h.c.AddWatch("/a", w, tree.WatchPersistent, nil) }, kindPersistent, "/a"},
		{"recursive", nil, func(h *harness, w *Watcher) { h.c.AddWatch("/a", w, tree.WatchPersistentRecursive, nil) }, kindRecursive, "/a"},
		{"recursive on an ancestor", nil, func(h *harness, w *Watcher) { h.c.AddWatch("/", w, tree.WatchPersistentRecursive, nil) }, kindRecursive, "/"},
	}
	events := []tree.EventType{tree.EventNodeCreated, tree.EventNodeDeleted, tree.EventNodeDataChanged, tree.EventNodeChildrenChanged}
	// fires[kind][event]; one-shot kinds are removed when they fire,
	// persistent ones never.
	fires := map[string][4]bool{
		"data":                     {true, true, true, false},
		"exists on a node":         {true, true, true, false},
		"exists on no node":        {true, true, true, false},
		"child":                    {false, true, false, true},
		"child with stat":          {false, true, false, true},
		"persistent":               {true, true, true, true},
		"recursive":                {true, true, true, false},
		"recursive on an ancestor": {true, true, true, false},
	}
	persistent := map[watchKind]bool{kindPersistent: true, kindRecursive: true}
	for _, k := range kinds {
		for i, ev := range events {
			t.Run(fmt.Sprintf("%s/%s", k.name, ev), func(t *testing.T) {
				h := newHarness(t, 1, nil)
				h.open()
				h.mkdir(k.setup...)
				var got []Event
				w := NewWatcher(func(e Event) { got = append(got, e) })
				k.register(h, w)
				h.settle()
				if !heldAt(h.c, k.table, k.at, w) {
					t.Fatalf("watch not registered in table %d at %s", k.table, k.at)
				}
				h.server().notify(ev, "/a")
				h.settle()
				want := fires[k.name][i]
				if (len(got) == 1) != want || len(got) > 1 {
					t.Fatalf("watcher got %v, want a call: %v", got, want)
				}
				if want && (got[0].Path != "/a" || got[0].Type != ev || got[0].State != wire.StateSyncConnected) {
					t.Fatalf("watcher got %v", got[0])
				}
				if stays := !want || persistent[k.table]; heldAt(h.c, k.table, k.at, w) != stays {
					t.Fatalf("after the event the watch is held: %v, want %v", !stays, stays)
				}
			})
		}
	}
}

func heldAt(c *Client, k watchKind, path string, w *Watcher) bool {
	for _, x := range c.watches.tables[k][path] {
		if x == w {
			return true
		}
	}
	return false
}

// A recursive watch matches events on descendants, at any depth.
func TestRecursiveWatchMatchesDescendants(t *testing.T) {
	h := newHarness(t, 1, nil)
	h.open()
	var got []string
	w := NewWatcher(func(e Event) { got = append(got, e.Type.String()+" "+e.Path) })
	h.c.AddWatch("/a", w, tree.WatchPersistentRecursive, nil)
	h.settle()
	srv := h.server()
	srv.notify(tree.EventNodeCreated, "/a/b/c")
	srv.notify(tree.EventNodeDataChanged, "/ab") // not under /a
	srv.notify(tree.EventNodeDeleted, "/a/b")
	srv.notify(tree.EventNodeChildrenChanged, "/a/b")
	h.settle()
	wantLog(t, got, "NodeCreated /a/b/c", "NodeDeleted /a/b")
}

// One watcher set through several reads gets one call per event, and only
// the watches the reply confirmed count.
func TestWatcherCalledOncePerEvent(t *testing.T) {
	h := newHarness(t, 1, nil)
	h.open()
	h.mkdir("/a")
	calls := 0
	w := NewWatcher(func(Event) { calls++ })
	other := 0
	w2 := NewWatcher(func(Event) { other++ })
	h.c.GetData("/a", w, nil)
	h.c.Exists("/a", w, nil)
	h.c.GetChildren("/a", w, nil)
	h.c.AddWatch("/", w, tree.WatchPersistentRecursive, nil)
	h.c.GetData("/missing", w2, nil) // NoNode: no watch
	h.settle()
	if len(h.c.watches.tables[kindExist]["/missing"])+len(h.c.watches.tables[kindData]["/missing"]) != 0 {
		t.Fatalf("getData on a missing node registered a watch")
	}
	h.server().notify(tree.EventNodeDeleted, "/a")
	h.server().notify(tree.EventNodeCreated, "/missing")
	h.settle()
	if calls != 2 || other != 0 {
		t.Fatalf("calls %d (want 2: NodeDeleted /a once, NodeCreated /missing through the recursive watch), other %d", calls, other)
	}
	if len(h.c.watches.tables[kindData]["/a"])+len(h.c.watches.tables[kindChild]["/a"]) != 0 {
		t.Fatalf("one-shot watches still held after NodeDeleted")
	}
}

// Session events go to the default watcher and every registered watcher,
// once each, and a registration survives them.
func TestSessionEventsReachEveryWatcher(t *testing.T) {
	h := newHarness(t, 3, nil)
	h.open()
	h.mkdir("/a", "/b")
	var got []string
	w := NewWatcher(func(e Event) { got = append(got, "w "+e.String()) })
	h.c.GetData("/a", w, nil)
	h.c.GetData("/b", w, nil)
	h.c.GetChildren("/b", w, nil)
	h.settle()
	h.takeLog()
	h.server().dropAll()
	h.settle()
	h.connect()
	wantLog(t, h.takeLog(), "watcher None Disconnected", "watcher None SyncConnected")
	wantLog(t, got, "w None Disconnected", "w None SyncConnected")
	if !heldAt(h.c, kindData, "/a", w) || !heldAt(h.c, kindChild, "/b", w) {
		t.Fatalf("registrations lost across the reconnect")
	}
}

func TestSetWatchesAfterReconnect(t *testing.T) {
	h := newHarness(t, 3, func(_ *cluster, cfg *Config) { cfg.Auth = []string{"first:1"} })
	h.open()
	h.mkdir("/b", "/a", "/b/c")
	w := NewWatcher(nil)
	h.c.GetData("/b", w, nil)
	h.c.GetData("/a", w, nil)
	h.c.Exists("/zz", w, nil)
	h.c.Exists("/b/c", w, nil)
	h.c.Exists("/yy", w, nil)
	h.c.GetChildren("/b", w, nil)
	h.c.AddWatch("/p", w, tree.WatchPersistent, nil)
	h.c.AddWatch("/r", w, tree.WatchPersistentRecursive, nil)
	h.c.GetData("/missing", w, nil)
	h.c.AddAuth("second:2")
	h.settle()
	seen := h.c.LastZxidSeen()
	session := h.c.SessionID()
	h.server().dropAll()
	h.settle()
	h.c.Sync("/", nil) // queued while disconnected
	h.connect()

	srv := h.server()
	var got []string
	for _, m := range srv.recv {
		switch m := m.(type) {
		case *wire.ConnectRequest:
			got = append(got, fmt.Sprintf("connect session=%s lastZxid=%s", m.SessionID, m.LastZxidSeen))
		case *wire.Request:
			got = append(got, describeRequest(m))
		}
	}
	wantLog(t, got,
		fmt.Sprintf("connect session=%s lastZxid=%s", session, seen),
		"-4 auth second:2",
		"-4 auth first:1",
		fmt.Sprintf("-8 setWatches2 rel=%s data=[/a /b /b/c] exist=[/yy /zz] child=[/b] persistent=[/p] recursive=[/r]", seen),
		"13 sync /",
	)
}

func describeRequest(r *wire.Request) string {
	q := &r.Req
	switch q.Type {
	case tree.OpAuth:
		return fmt.Sprintf("%d auth %s", r.Xid, q.Data)
	case tree.OpSetWatches, tree.OpSetWatches2:
		sw := q.SetWatches
		return fmt.Sprintf("%d %s rel=%s data=%v exist=%v child=%v persistent=%v recursive=%v", r.Xid, q.Type, sw.RelativeZxid,
			sw.DataWatches, sw.ExistWatches, sw.ChildWatches, sw.PersistentWatches, sw.PersistentRecursiveWatches)
	}
	return fmt.Sprintf("%d %s %s", r.Xid, q.Type, q.Path)
}

// setWatches batches by total path length, keeps sorted table order, and
// uses setWatches (101) for batches without persistent watches.
func TestSetWatchesBatches(t *testing.T) {
	c := &Client{watches: newWatchManager(), lastZxid: 0x500000007}
	if got := c.setWatches(); got != nil {
		t.Fatalf("no watches: %v, want no request", got)
	}
	w := NewWatcher(nil)
	long := strings.Repeat("x", 40*1024)
	for _, p := range []string{"/d3", "/d1", "/d2"} {
		c.watches.add(kindData, p+long, w)
	}
	c.watches.add(kindChild, "/c"+long, w)
	c.watches.add(kindChild, "/c0", w)
	c.watches.add(kindRecursive, "/r", w)
	got := c.setWatches()
	short := func(ps []string) []string {
		out := []string{}
		for _, p := range ps {
			out = append(out, strings.TrimSuffix(p, long))
		}
		return out
	}
	var desc []string
	for _, r := range got {
		sw := r.SetWatches
		if sw.RelativeZxid != c.lastZxid {
			t.Fatalf("relativeZxid %s, want %s", sw.RelativeZxid, c.lastZxid)
		}
		desc = append(desc, fmt.Sprintf("%s data=%v child=%v recursive=%v", r.Type,
			short(sw.DataWatches), short(sw.ChildWatches), short(sw.PersistentRecursiveWatches)))
	}
	// Java adds paths while the batch is under 128 KiB, so a batch may end
	// one path over it.
	wantLog(t, desc,
		"setWatches data=[/d1 /d2 /d3] child=[/c0 /c] recursive=[]",
		"setWatches2 data=[] child=[] recursive=[/r]",
	)
	if !reflect.DeepEqual(got[0].SetWatches.ExistWatches, []string(nil)) {
		t.Fatalf("exist watches %v", got[0].SetWatches.ExistWatches)
	}
}
