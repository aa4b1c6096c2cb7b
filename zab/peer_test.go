package zab

import (
	"testing"
	"time"

	"zoosim/tree"
)

func TestThreeServersElectAndServe(t *testing.T) {
	h := newNet(t, 3)
	if !h.run(time.Minute, h.stable) {
		for _, id := range h.ids {
			t.Log(h.peers[id].Status(), h.peers[id].Notes())
		}
		t.Fatal("no stable leader within a minute")
	}
	l, _ := h.leader()
	t.Logf("leader %d at %v", l, h.now)
	// A client on a follower creates a node, reads it back, sets it.
	var f = h.ids[0]
	if f == l {
		f = h.ids[1]
	}
	cid := h.connect(f, 0, 0)
	s := h.waitSession(cid)
	r := h.call(cid, 1, tree.Request{Type: tree.OpCreate, Path: "/a", Data: []byte("x"), ACL: tree.OpenACLUnsafe, Mode: tree.Persistent})
	if r == nil || r.Err != tree.OK || r.Result.Path != "/a" {
		t.Fatalf("create: %+v", r)
	}
	r = h.call(cid, 2, tree.Request{Type: tree.OpGetData, Path: "/a"})
	if r == nil || string(r.Result.Data) != "x" {
		t.Fatalf("getData: %+v", r)
	}
	r = h.call(cid, 3, tree.Request{Type: tree.OpSetData, Path: "/a", Data: []byte("y"), Version: 0})
	if r == nil || r.Err != tree.OK || r.Result.Stat.Version != 1 {
		t.Fatalf("setData: %+v", r)
	}
	h.run(h.now+time.Second, func() bool { return false })
	if !h.converged() {
		t.Fatalf("not converged: %v", h.digests())
	}
	_ = s
}
