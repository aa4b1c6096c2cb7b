package models

import (
	"strings"
	"testing"

	"zoosim/histories"
	"zoosim/tree"
)

// membershipLog extends recipeHistory (locks_test.go) with committed txns on a tree: creates,
// deletes, setData and closeSession, each applied by server 0 at the given time, so the
// recipe checkers that replay the log see them. It returns each txn's zxid.
type membershipLog struct {
	*recipeHistory
	cversion map[string]int32
}

func newMembershipLog() *membershipLog {
	return &membershipLog{recipeHistory: newRecipeHistory(), cversion: map[string]int32{}}
}

func (b *membershipLog) apply(at histories.Time, x *tree.Txn) tree.Zxid {
	b.zxid++
	x.Zxid = b.zxid
	b.rec.Apply(at, 0, 1, x)
	return b.zxid
}

// create creates path with data, ephemeral when owner is not 0.
func (b *membershipLog) create(at histories.Time, path, data string, owner tree.SessionID) tree.Zxid {
	parent := tree.ParentPath(path)
	b.cversion[parent]++
	return b.apply(at, &tree.Txn{Header: tree.Header{Session: owner}, Type: tree.OpCreate, Path: path, Data: []byte(data),
		ACL: tree.OpenACLUnsafe, EphemeralOwner: int64(owner), ParentCversion: b.cversion[parent]})
}

func (b *membershipLog) delete(at histories.Time, path string, by tree.SessionID) tree.Zxid {
	return b.apply(at, &tree.Txn{Header: tree.Header{Session: by}, Type: tree.OpDelete, Path: path})
}

func (b *membershipLog) setData(at histories.Time, path, data string, version int32) tree.Zxid {
	return b.apply(at, &tree.Txn{Type: tree.OpSetData, Path: path, Data: []byte(data), Version: version})
}

// close ends session s, deleting its ephemerals paths.
func (b *membershipLog) close(at histories.Time, s tree.SessionID, paths ...string) tree.Zxid {
	return b.apply(at, &tree.Txn{Header: tree.Header{Session: s}, Type: tree.OpCloseSession, Paths: paths})
}

func membershipStep(process int, session tree.SessionID, step string, token tree.Zxid, value string) histories.RecipeEvent {
	return histories.RecipeEvent{Process: process, Session: session, Recipe: histories.RecipeMembership, Step: step,
		Name: "/g", Token: int64(token), Value: value}
}

// membershipGroup builds a group /g where p1 (session 0x11) and p2 (session 0x12) join; it
// returns the builder and the zxids of the directory's creation and of the two joins.
func membershipGroup() (b *membershipLog, dir, join1, join2 tree.Zxid) {
	b = newMembershipLog()
	dir = b.create(1*ms, "/g", "", 0)
	join1 = b.create(10*ms, "/g/p1", "c1", 0x11)
	b.step(11*ms, membershipStep(1, 0x11, "joined", 0, "p1"))
	join2 = b.create(20*ms, "/g/p2", "c2", 0x12)
	b.step(21*ms, membershipStep(2, 0x12, "joined", 0, "p2"))
	return b, dir, join1, join2
}

func TestMembershipPassesExactConvergedViews(t *testing.T) {
	b, _, join1, join2 := membershipGroup()
	b.step(12*ms, membershipStep(1, 0x11, "view", join1, "p1"))
	b.step(22*ms, membershipStep(1, 0x11, "view", join2, "p1,p2"))
	b.step(23*ms, membershipStep(2, 0x12, "view", join2, "p1,p2"))
	b.step(30*ms, membershipStep(1, 0x11, "synced", join2+3, ""))
	b.step(30*ms, membershipStep(1, 0x11, "settled", join2, "p1,p2"))
	v := CheckMembership(b.finish(40*ms), MembershipOptions{})
	if v.Status != Pass || !strings.Contains(v.Summary, "4 views of 1 groups, 1 settled (1 at the final membership)") {
		t.Fatalf("exact views: %s", v.String())
	}
}

// TestMembershipCatchesInexactView plants a view that is no state of the group: a member the
// group did not have at the view's zxid, and a zxid that is no change of the directory.
func TestMembershipCatchesInexactView(t *testing.T) {
	b, _, join1, join2 := membershipGroup()
	b.step(22*ms, membershipStep(2, 0x12, "view", join1, "p1,p2"))
	v := CheckMembership(b.finish(40*ms), MembershipOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "but the group then was {p1}") {
		t.Fatalf("a view with a member too many: %s", v.String())
	}
	b, _, _, join2 = membershipGroup()
	b.step(22*ms, membershipStep(2, 0x12, "view", join2+7, "p1,p2"))
	v = CheckMembership(b.finish(40*ms), MembershipOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "no state of the group's directory") {
		t.Fatalf("a view at a zxid that changed nothing: %s", v.String())
	}
}

// TestMembershipViewOfEndedSession: a view that still holds a member after its session's end
// was committed is caught (it is inexact); the same view at a zxid before the end passes, even
// read after the end in real time (the server lagged).
func TestMembershipViewOfEndedSession(t *testing.T) {
	b, _, _, join2 := membershipGroup()
	end := b.close(30*ms, 0x12, "/g/p2")
	b.step(35*ms, membershipStep(1, 0x11, "view", end, "p1,p2"))
	v := CheckMembership(b.finish(40*ms), MembershipOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "but the group then was {p1}") {
		t.Fatalf("a view with an ended member: %s", v.String())
	}
	b, _, _, join2 = membershipGroup()
	b.close(30*ms, 0x12, "/g/p2")
	b.step(35*ms, membershipStep(1, 0x11, "view", join2, "p1,p2"))
	v = CheckMembership(b.finish(40*ms), MembershipOptions{})
	if v.Status != Pass {
		t.Fatalf("a lagging server's view from before the session's end: %s", v.String())
	}
}

func TestMembershipCatchesViewsGoingBack(t *testing.T) {
	b, _, join1, join2 := membershipGroup()
	b.step(22*ms, membershipStep(1, 0x11, "view", join2, "p1,p2"))
	b.step(23*ms, membershipStep(1, 0x11, "view", join1, "p1"))
	v := CheckMembership(b.finish(40*ms), MembershipOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "its views went back") {
		t.Fatalf("views going back: %s", v.String())
	}
}

// TestMembershipMemberSeesItself: a joined member whose view misses it, at a zxid where its
// session was alive, is caught; once its session's end is committed at or before the view's
// zxid, the same miss passes.
func TestMembershipMemberSeesItself(t *testing.T) {
	b, dir, _, _ := membershipGroup()
	b.step(22*ms, membershipStep(2, 0x12, "view", dir, ""))
	v := CheckMembership(b.finish(40*ms), MembershipOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "without itself") {
		t.Fatalf("a member missing from its own view: %s", v.String())
	}
	b, _, _, _ = membershipGroup()
	end := b.close(30*ms, 0x12, "/g/p2")
	b.step(35*ms, membershipStep(2, 0x12, "view", end, "p1"))
	v = CheckMembership(b.finish(40*ms), MembershipOptions{})
	if v.Status != Pass {
		t.Fatalf("a member's view after its session ended: %s", v.String())
	}
	b, dir, _, _ = membershipGroup()
	b.step(22*ms, membershipStep(2, 0x12, "left", 0, "p2"))
	b.delete(23*ms, "/g/p2", 0x12)
	b.step(24*ms, membershipStep(2, 0x12, "view", dir, ""))
	if v := CheckMembership(b.finish(40*ms), MembershipOptions{}); v.Status != Pass {
		t.Fatalf("a view after leaving: %s", v.String())
	}
}

// TestMembershipCatchesUnconvergedSettle plants the fault of a watcher that stopped watching: it
// settles at a view older than a change committed before its sync was answered. A change
// committed after the sync is not owed and passes.
func TestMembershipCatchesUnconvergedSettle(t *testing.T) {
	b, _, join1, join2 := membershipGroup()
	b.step(30*ms, membershipStep(1, 0x11, "synced", join2, ""))
	b.step(30*ms, membershipStep(1, 0x11, "settled", join1, "p1"))
	v := CheckMembership(b.finish(40*ms), MembershipOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "the view did not converge") {
		t.Fatalf("a stale settled view: %s", v.String())
	}
	b, _, join1, join2 = membershipGroup()
	b.step(30*ms, membershipStep(1, 0x11, "synced", join1, ""))
	b.step(30*ms, membershipStep(1, 0x11, "settled", join1, "p1"))
	v = CheckMembership(b.finish(40*ms), MembershipOptions{})
	if v.Status != Pass || v.Metrics[3].Value != 0 {
		t.Fatalf("a settled view older than a join committed after its sync: %s %+v", v.String(), v.Metrics)
	}
	b, _, _, join2 = membershipGroup()
	b.step(30*ms, membershipStep(1, 0x11, "settled", join2, "p1,p2"))
	if v := CheckMembership(b.finish(40*ms), MembershipOptions{}); v.Status != Fail || !strings.Contains(v.Summary, "without a sync") {
		t.Fatalf("a settle without its sync: %s", v.String())
	}
}

// TestMembershipReplaysMultiAndClose: the replay follows a multi that joins two members and a
// closeSession that removes one, and a directory's children outside the group do not count.
func TestMembershipReplaysMultiAndClose(t *testing.T) {
	b := newMembershipLog()
	b.create(1*ms, "/g", "", 0)
	b.create(2*ms, "/other", "", 0)
	b.cversion["/g"] += 2
	both := b.apply(5*ms, &tree.Txn{Type: tree.OpMulti, Ops: []tree.Txn{
		{Type: tree.OpCreate, Path: "/g/a", ACL: tree.OpenACLUnsafe, EphemeralOwner: 0x21, ParentCversion: b.cversion["/g"] - 1},
		{Type: tree.OpCreate, Path: "/g/b", ACL: tree.OpenACLUnsafe, EphemeralOwner: 0x22, ParentCversion: b.cversion["/g"]},
	}})
	b.create(6*ms, "/other/x", "", 0x21)
	end := b.close(7*ms, 0x21, "/g/a", "/other/x")
	b.step(8*ms, membershipStep(3, 0x23, "view", both, "a,b"))
	b.step(9*ms, membershipStep(3, 0x23, "synced", end, ""))
	b.step(9*ms, membershipStep(3, 0x23, "settled", end, "b"))
	if v := CheckMembership(b.finish(40*ms), MembershipOptions{}); v.Status != Pass {
		t.Fatalf("multi and close: %s", v.String())
	}
}
