package tree

import (
	"slices"
	"testing"
)

// zookeeper.md A7 (multiRead), A8.1 (setWatches), A8.3 (removeWatches) and
// the small reads: each served on its own through Tree.Read.
func TestReads(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	h.session(2)
	h.do(1, create("/a", Persistent))
	h.do(1, create("/a/e1", Ephemeral))
	h.do(1, create("/a/e2", Ephemeral))
	h.do(1, create("/b", Ephemeral))
	h.do(2, create("/a/other", Ephemeral))

	// multiRead is not atomic: a failing op fails alone.
	res := h.read(1, Request{Type: OpMultiRead, Ops: []Request{
		{Type: OpGetData, Path: "/a"}, {Type: OpGetData, Path: "/missing"}, {Type: OpGetChildren, Path: "/a"},
	}})
	if res.Err != OK || res.Multi[0].Err != OK || res.Multi[1].Err != NoNode || res.Multi[1].Type != OpError ||
		!slices.Equal(res.Multi[2].Children, []string{"e1", "e2", "other"}) {
		t.Errorf("multiRead: %s", res.String())
	}
	// getEphemerals lists the caller's own ephemerals under a prefix.
	if got := h.read(1, Request{Type: OpGetEphemerals, Path: "/a"}); !slices.Equal(got.Paths, []string{"/a/e1", "/a/e2"}) {
		t.Errorf("getEphemerals /a: %v", got.Paths)
	}
	if got := h.read(1, Request{Type: OpGetEphemerals, Path: "/"}); !slices.Equal(got.Paths, []string{"/a/e1", "/a/e2", "/b"}) {
		t.Errorf("getEphemerals /: %v", got.Paths)
	}
	// getAllChildrenNumber counts descendants; for the root, every node but
	// the root, reserved ones included.
	if got := h.read(1, Request{Type: OpGetAllChildrenNumber, Path: "/a"}); got.Count != 3 {
		t.Errorf("getAllChildrenNumber /a: %d", got.Count)
	}
	if got := h.read(1, Request{Type: OpGetAllChildrenNumber, Path: "/"}); got.Count != int32(h.tree.NodeCount()-1) {
		t.Errorf("getAllChildrenNumber /: %d", got.Count)
	}
	// removeWatches without a watch is NoWatcher; with one it succeeds once.
	if got := h.read(2, Request{Type: OpRemoveWatches, Path: "/a", WatcherType: WatcherData}); got.Err != NoWatcher {
		t.Errorf("removeWatches without a watch: %s", got.Err)
	}
	h.read(2, Request{Type: OpGetData, Path: "/a", Watch: true})
	if got := h.read(2, Request{Type: OpCheckWatches, Path: "/a", WatcherType: WatcherData}); got.Err != OK {
		t.Errorf("checkWatches: %s", got.Err)
	}
	if got := h.read(2, Request{Type: OpRemoveWatches, Path: "/a", WatcherType: WatcherAny}); got.Err != OK {
		t.Errorf("removeWatches: %s", got.Err)
	}
	// setWatches after a reconnect fires what changed since relativeZxid
	// and re-registers the rest.
	rel := h.zxid
	h.do(1, setData("/a", "changed", -1))
	h.do(1, create("/new", Persistent))
	h.takeEvents()
	h.read(2, Request{Type: OpSetWatches2, SetWatches: &SetWatches{RelativeZxid: rel,
		DataWatches: []string{"/a", "/b", "/gone"}, ExistWatches: []string{"/new", "/later"}, ChildWatches: []string{"/a"}}})
	want := []WatchEvent{{2, EventNodeDataChanged, "/a"}, {2, EventNodeDeleted, "/gone"}, {2, EventNodeCreated, "/new"}}
	if got := h.takeEvents(); !slices.Equal(got, want) {
		t.Errorf("setWatches events %v, want %v", got, want)
	}
	h.do(1, create("/later", Persistent))
	h.do(1, create("/a/c", Persistent))
	want = []WatchEvent{{2, EventNodeCreated, "/later"}, {2, EventNodeChildrenChanged, "/a"}}
	if got := h.takeEvents(); !slices.Equal(got, want) {
		t.Errorf("re-registered watches fired %v, want %v", got, want)
	}
}
