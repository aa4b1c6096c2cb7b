package zab

import (
	"bytes"
	"fmt"
	"slices"

	"zoosim/tree"
)

// dataState is a server's ZKDatabase: the applied tree, the txn log since the last snapshot, and
// the recent committed txns a leader syncs learners from (B4's committedLog).
type dataState struct {
	tree *tree.Tree
	opts tree.Options

	// snapZxid and snapBytes are the newest snapshot this server wrote or received; a truncation
	// below the applied state rebuilds the tree from it.
	snapZxid  tree.Zxid
	snapBytes []byte
	// Invariant: log holds every logged txn with zxid > snapZxid in increasing zxid order; those
	// with zxid <= tree.LastZxid() are applied, the rest are pending (logged, not known
	// committed).
	log []*tree.Txn
	// Invariant: committed holds applied txns in increasing zxid order, a contiguous suffix of
	// this server's history (minCommittedLog..maxCommittedLog in B4), at most
	// CommittedLogSize+1 of them.
	committed []*tree.Txn
	// sinceSnap counts txns applied since the last snapshot.
	sinceSnap int
}

func (d *dataState) recover(cfg Config, rec Recovered) error {
	d.opts = cfg.Tree
	t, err := rebuildTree(cfg.Tree, rec.Snapshot)
	if err != nil {
		return fmt.Errorf("%w: snapshot %s: %w", ErrBadRecovery, rec.SnapshotZxid, err)
	}
	if rec.Snapshot != nil && t.LastZxid() != rec.SnapshotZxid {
		return fmt.Errorf("%w: snapshot named %s holds state at %s", ErrBadRecovery, rec.SnapshotZxid, t.LastZxid())
	}
	d.tree, d.snapZxid, d.snapBytes = t, rec.SnapshotZxid, rec.Snapshot
	last := rec.SnapshotZxid
	for _, x := range rec.Log {
		if x.Zxid <= last {
			return fmt.Errorf("%w: log zxid %s does not follow %s", ErrBadRecovery, x.Zxid, last)
		}
		last = x.Zxid
		d.log = append(d.log, x)
	}
	return nil
}

// lastLogged is the zxid of the newest txn this server holds (the vote's zxid, B2).
func (d *dataState) lastLogged() tree.Zxid {
	last := max(d.snapZxid, d.tree.LastZxid())
	if n := len(d.log); n > 0 {
		last = max(last, d.log[n-1].Zxid)
	}
	return last
}

// pending returns the logged txns not yet applied.
func (d *dataState) pending() []*tree.Txn {
	applied := d.tree.LastZxid()
	i, _ := slices.BinarySearchFunc(d.log, applied, func(x *tree.Txn, z tree.Zxid) int { return cmpZxid(x.Zxid, z) })
	if i < len(d.log) && d.log[i].Zxid == applied {
		i++
	}
	return d.log[i:]
}

func cmpZxid(a, b tree.Zxid) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// noteCommitted records an applied txn in the committed window. Like
// ZKDatabase.addCommittedProposal, which drops the oldest proposal when it holds more than
// commitLogCount before adding one, the window keeps the newest window+1 txns.
func (d *dataState) noteCommitted(x *tree.Txn, window int) {
	if len(d.committed) > window {
		d.committed[0] = nil // the array outlives the window's head until append reallocates
		d.committed = d.committed[1:]
	}
	d.committed = append(d.committed, x)
}

// committedRange returns the zxids of the committed window's first and last txns
// (minCommittedLog and maxCommittedLog, B4).
func (d *dataState) committedRange() (lo, hi tree.Zxid, ok bool) {
	if len(d.committed) == 0 {
		return 0, 0, false
	}
	return d.committed[0].Zxid, d.committed[len(d.committed)-1].Zxid, true
}

// truncate drops every logged txn after z (TRUNC, B4). If applied state is past z, the tree is
// rebuilt from the snapshot and the remaining log; it fails when the snapshot itself is newer
// than z, which the correct protocol never asks for.
func (d *dataState) truncate(z tree.Zxid) error {
	i, _ := slices.BinarySearchFunc(d.log, z+1, func(x *tree.Txn, z tree.Zxid) int { return cmpZxid(x.Zxid, z) })
	d.log = d.log[:i]
	for len(d.committed) > 0 && d.committed[len(d.committed)-1].Zxid > z {
		d.committed = d.committed[:len(d.committed)-1]
	}
	if d.tree.LastZxid() <= z {
		return nil
	}
	if d.snapZxid > z {
		return fmt.Errorf("zab: cannot truncate to %s below the snapshot at %s", z, d.snapZxid)
	}
	t, err := rebuildTree(d.opts, d.snapBytes)
	if err != nil {
		return err
	}
	for _, x := range d.log {
		t.Apply(cloneTxn(x))
	}
	d.tree = t
	return nil
}

// install replaces the state with a snapshot received from the leader (SNAP, B4).
func (d *dataState) install(z tree.Zxid, snap []byte) error {
	t, err := tree.ReadSnapshot(bytes.NewReader(snap))
	if err != nil {
		return err
	}
	if t.LastZxid() != z {
		return fmt.Errorf("zab: SNAP at %s holds state at %s", z, t.LastZxid())
	}
	d.tree, d.snapZxid, d.snapBytes = t, z, snap
	d.log, d.committed, d.sinceSnap = nil, nil, 0
	return nil
}

// takeSnapshot serializes the applied tree and forgets the log it covers.
func (d *dataState) takeSnapshot() []byte {
	var b bytes.Buffer
	if err := d.tree.WriteSnapshot(&b); err != nil {
		panic(fmt.Sprintf("zab: snapshot of a valid tree failed: %v", err)) // programmer error
	}
	d.snapZxid, d.snapBytes = d.tree.LastZxid(), b.Bytes()
	d.log = slices.Clone(d.pending())
	d.sinceSnap = 0
	return d.snapBytes
}

// cloneTxn copies a txn before Apply takes ownership of its slices, when the same txn value is
// also kept in the log or history.
func cloneTxn(x *tree.Txn) *tree.Txn {
	c := *x
	c.Data = slices.Clone(x.Data)
	c.ACL = slices.Clone(x.ACL)
	if x.Ops != nil {
		c.Ops = make([]tree.Txn, len(x.Ops))
		for i := range x.Ops {
			c.Ops[i] = *cloneTxn(&x.Ops[i])
		}
	}
	return &c
}

// currentSnapshot serializes the applied tree for a SNAP sync without changing what this server
// has on disk.
func (d *dataState) currentSnapshot() []byte {
	if d.snapBytes != nil && d.snapZxid == d.tree.LastZxid() {
		return d.snapBytes
	}
	var b bytes.Buffer
	if err := d.tree.WriteSnapshot(&b); err != nil {
		panic(fmt.Sprintf("zab: snapshot of a valid tree failed: %v", err)) // programmer error
	}
	return b.Bytes()
}
