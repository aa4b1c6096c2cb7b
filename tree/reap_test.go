package tree

import (
	"slices"
	"testing"
)

// zookeeper.md A2.1: which containers and TTL nodes are reaped, and the
// deleteContainer txn's own checks.
func TestReaping(t *testing.T) {
	h := newHarness(t, Options{ExtendedTypes: true})
	h.session(1)
	h.do(1, create("/used", Container))
	h.do(1, create("/used/c", Persistent))
	h.do(1, create("/fresh", Container))
	ttl := create("/ttl", PersistentWithTTL)
	ttl.TTL = 100
	h.do(1, ttl)
	created := h.now
	if got := h.tree.ReapCandidates(created+50, 0); len(got) != 0 {
		t.Errorf("too early: %v", got)
	}
	h.do(1, del("/used/c", -1))
	want := []string{"/ttl", "/used"}
	if got := h.tree.ReapCandidates(created+101, 0); !slices.Equal(got, want) {
		t.Errorf("candidates %v, want %v", got, want)
	}
	// A never-used container goes only when maxNeverUsedMs says so.
	if got := h.tree.ReapCandidates(created+10_000, 5_000); !slices.Contains(got, "/fresh") {
		t.Errorf("never-used container kept: %v", got)
	}
	// Reaping is a txn; a child created meanwhile makes it fail NotEmpty.
	h.do(1, create("/used/again", Persistent))
	if got := h.do(0, Request{Type: OpDeleteContainer, Path: "/used"}); got.Err != NotEmpty {
		t.Errorf("reaping a container that has a child again: %s", got.String())
	}
	if got := h.do(0, Request{Type: OpDeleteContainer, Path: "/ttl"}); got.Err != OK {
		t.Errorf("reaping the TTL node: %s", got.String())
	}
	// A session's ephemeral is never reaped: BadVersion.
	h.do(1, create("/eph", Ephemeral))
	if got := h.do(0, Request{Type: OpDeleteContainer, Path: "/eph"}); got.Err != BadVersion {
		t.Errorf("reaping an ephemeral: %s", got.String())
	}
	// A client that creates under a just-reaped container sees NoNode.
	h.do(1, del("/used/again", -1))
	h.do(0, Request{Type: OpDeleteContainer, Path: "/used"})
	if got := h.do(1, create("/used/x", Persistent)); got.Err != NoNode {
		t.Errorf("create under a reaped container: %s", got.String())
	}
}
