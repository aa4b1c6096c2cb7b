package zab

import (
	"testing"
	"time"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// Each variant breaks the rule it documents in a fixed scenario where the correct protocol holds.

func variants(v Variant) []Variant {
	if v == "" {
		return nil
	}
	return []Variant{v}
}

func (h *net) reply(cid uint64, xid int32) *wire.Reply {
	for _, m := range h.inbox[cid] {
		if r, ok := m.(*wire.Reply); ok && r.Xid == xid {
			return r
		}
	}
	return nil
}

// AckBeforeFsync: the whole ensemble crashes right after a client saw its write succeed; the
// write must survive the restart (B5: an ACK means the txn is on disk).
func TestAckBeforeFsyncLosesAcknowledgedWrite(t *testing.T) {
	for _, v := range []Variant{"", AckBeforeFsync} {
		t.Run("variant="+string(v), func(t *testing.T) {
			h := newNet(t, 3, variants(v)...)
			l := h.mustStable()
			c := h.client(l)
			c.xid++
			h.send(c.cid, &wire.Request{Xid: c.xid, Req: tree.Request{Type: tree.OpCreate, Path: "/d", ACL: tree.OpenACLUnsafe}})
			h.run(h.now+time.Second, func() bool { return h.reply(c.cid, c.xid) != nil })
			if r := h.reply(c.cid, c.xid); r == nil || r.Err != tree.OK {
				t.Fatalf("create: %v", r)
			}
			for _, id := range h.ids {
				h.crash(id)
			}
			for _, id := range h.ids {
				h.boot(id)
			}
			l = h.mustStable()
			lost := !h.peers[l].data.tree.Exists("/d")
			if lost != (v == AckBeforeFsync) {
				t.Fatalf("acknowledged /d lost=%v after a full restart", lost)
			}
		})
	}
}

// CommitWithoutQuorum: an isolated leader commits alone; the majority elects a new leader
// without the write, and the old leader's acknowledged write is truncated away.
func TestCommitWithoutQuorumLosesAcknowledgedWrite(t *testing.T) {
	for _, v := range []Variant{"", CommitWithoutQuorum} {
		t.Run("variant="+string(v), func(t *testing.T) {
			h := newNet(t, 3, variants(v)...)
			l := h.mustStable()
			c := h.client(l)
			h.partition([]wire.ServerID{l}, h.others(l))
			c.xid++
			h.send(c.cid, &wire.Request{Xid: c.xid, Req: tree.Request{Type: tree.OpCreate, Path: "/c", ACL: tree.OpenACLUnsafe}})
			h.run(h.now+100*time.Millisecond, func() bool { return h.reply(c.cid, c.xid) != nil })
			r := h.reply(c.cid, c.xid)
			acked := r != nil && r.Err == tree.OK
			if acked != (v == CommitWithoutQuorum) {
				t.Fatalf("isolated leader acknowledged the write: %v", acked)
			}
			h.crash(l)
			h.heal()
			l2 := h.mustStable()
			if acked && h.peers[l2].data.tree.Exists("/c") {
				t.Fatal("expected the acknowledged write to be lost under the variant")
			}
		})
	}
}

// ReadFromUncommitted: a read on an isolated leader sees a write that never commits.
func TestReadFromUncommittedSeesLostWrite(t *testing.T) {
	for _, v := range []Variant{"", ReadFromUncommitted} {
		t.Run("variant="+string(v), func(t *testing.T) {
			h := newNet(t, 3, variants(v)...)
			l := h.mustStable()
			writer, reader := h.client(l), h.client(l)
			h.partition([]wire.ServerID{l}, h.others(l))
			writer.xid++
			h.send(writer.cid, &wire.Request{Xid: writer.xid, Req: tree.Request{Type: tree.OpCreate, Path: "/u", ACL: tree.OpenACLUnsafe}})
			h.run(h.now+10*time.Millisecond, func() bool { return false })
			r := reader.do(tree.Request{Type: tree.OpExists, Path: "/u"})
			saw := r != nil && r.Err == tree.OK
			if saw != (v == ReadFromUncommitted) {
				t.Fatalf("reader saw the uncommitted /u: %v", saw)
			}
			h.crash(l)
			h.heal()
			l2 := h.mustStable()
			if h.peers[l2].data.tree.Exists("/u") {
				t.Fatal("/u was committed after all; the scenario proves nothing")
			}
		})
	}
}

// A follower that crashes between writing a proposal and its fsync never loses a write a client
// saw acknowledged: with the third server cut off, the follower's ACK is the quorum, so the
// write is acknowledged only once it is on the follower's disk. Under AckBeforeFsync the same
// schedule loses it.
func TestFollowerCrashBeforeFsyncKeepsAcknowledgedWrite(t *testing.T) {
	for _, v := range []Variant{"", AckBeforeFsync} {
		t.Run("variant="+string(v), func(t *testing.T) {
			h := newNet(t, 3, variants(v)...)
			l := h.mustStable()
			f1, f2 := h.others(l)[0], h.others(l)[1]
			c := h.client(l)
			h.partition([]wire.ServerID{f2}, []wire.ServerID{l, f1})
			c.xid++
			h.send(c.cid, &wire.Request{Xid: c.xid, Req: tree.Request{Type: tree.OpCreate, Path: "/f", ACL: tree.OpenACLUnsafe}})
			h.run(h.now+time.Second, func() bool { return h.reply(c.cid, c.xid) != nil })
			r := h.reply(c.cid, c.xid)
			if r == nil || r.Err != tree.OK {
				t.Fatalf("create: %v", r)
			}
			// Crash the follower (and the leader) the moment the client has its answer.
			logged := len(h.disks[f1].written.Log) > len(h.disks[f1].durable.Log)
			h.crash(f1)
			h.crash(l)
			h.heal()
			h.boot(f1)
			l2 := h.mustStable()
			lost := !h.peers[l2].data.tree.Exists("/f")
			if lost != (v == AckBeforeFsync) {
				t.Fatalf("acknowledged /f lost=%v (follower had unsynced data at the crash: %v)", lost, logged)
			}
		})
	}
}
