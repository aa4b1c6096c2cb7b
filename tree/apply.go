package tree

import "fmt"

// Applied is what applying one txn produced.
type Applied struct {
	// Result is the reply to the request that became the txn. Every replica
	// computes the same result.
	Result Result
	// Changes lists what watches can observe, in trigger order. The slice is
	// reused by the next Apply.
	Changes []Change
	// Skipped is set when the txn's zxid is not above the last one applied,
	// so it was already part of this tree (a log replayed over a snapshot).
	Skipped bool
	// DigestErr wraps ErrDigestMismatch when the txn carried a digest and the
	// tree's digest after applying it differs. The txn is applied anyway.
	DigestErr error
}

// Apply applies a committed txn (DataTree.processTxn). A txn whose zxid is
// not above LastZxid is skipped, which makes replaying a log over a snapshot
// idempotent. Apply takes ownership of the txn's Data and ACL slices.
//
// Apply never fails: a txn that does not fit the tree (a create whose parent
// is missing) yields an error Result, as in ZooKeeper, where such failures
// can only appear when replaying over a fuzzy snapshot.
func (t *Tree) Apply(x *Txn) Applied {
	if x.Zxid <= t.lastZxid {
		return Applied{Skipped: true, Result: Result{Type: x.Type}}
	}
	t.changes = t.changes[:0]
	var out Applied
	t.applyOne(x, x, &out.Result)
	t.lastZxid = x.Zxid
	out.Changes = t.changes
	if x.Digest != 0 && x.Digest != t.digest {
		out.DigestErr = fmt.Errorf("%w at zxid %s: leader expected %#016x, replica has %#016x",
			ErrDigestMismatch, x.Zxid, x.Digest, t.digest)
	}
	return out
}

// applyOne applies x with the header fields of hdr (a multi's sub-txns share
// their parent's header) and writes its result into *res, which must be
// zero: in place, because a Result is a large struct and every replica
// applies every txn.
func (t *Tree) applyOne(x, hdr *Txn, res *Result) {
	res.Type, res.Path = x.Type, x.Path
	var n *znode
	switch x.Type {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL:
		n, res.Err = t.createNode(x.Path, x.Data, x.ACL, x.EphemeralOwner, x.ParentCversion, hdr.Zxid, hdr.Time)
		if res.Err == OK && x.Type != OpCreate {
			res.Stat, res.HasStat = n.stat(t.opts.ExtendedTypes), true
		}
	case OpDelete, OpDeleteContainer:
		res.Err = t.deleteNode(x.Path, hdr.Zxid)
	case OpSetData:
		n, res.Err = t.setData(x.Path, x.Data, x.Version, hdr.Zxid, hdr.Time)
		if res.Err == OK {
			res.Stat, res.HasStat = n.stat(t.opts.ExtendedTypes), true
		}
	case OpSetACL:
		n, res.Err = t.setACL(x.Path, x.ACL, x.Version)
		if res.Err == OK {
			res.Stat, res.HasStat = n.stat(t.opts.ExtendedTypes), true
		}
	case OpCheck:
		// A check has no effect; it exists to fail a multi.
	case OpError:
		res.Err = x.Err
		res.Path = ""
	case OpCreateSession:
		t.createSession(hdr.Session, x.Timeout)
		res.Path = ""
	case OpCloseSession:
		t.closeSession(hdr.Session, x.Paths, hdr.Zxid)
		res.Path = ""
	case OpMulti:
		res.Path = ""
		res.Multi = t.applyMulti(x, hdr)
		for _, sub := range res.Multi {
			if sub.Err != OK {
				res.Err = sub.Err
				break
			}
		}
	default:
		res.Err = MarshallingError
		res.Path = ""
	}
}

// applyMulti applies the sub-txns of a multi in order. A multi that the
// leader found failing holds an error sub-txn; then nothing is applied and
// the results say OK for the ops before the failing one, its code for it,
// and RuntimeInconsistency after it (zookeeper.md A7).
func (t *Tree) applyMulti(x, hdr *Txn) []Result {
	results := t.spareResults.take(len(x.Ops))
	failed := false
	for i := range x.Ops {
		if x.Ops[i].Type == OpError {
			failed = true
			break
		}
	}
	if !failed {
		for i := range x.Ops {
			t.applyOne(&x.Ops[i], hdr, &results[i])
		}
		return results
	}
	seenError := false
	for i := range x.Ops {
		sub := &x.Ops[i]
		code := OK
		switch {
		case sub.Type == OpError:
			seenError = true
			code = sub.Err
		case seenError:
			code = RuntimeInconsistency
		}
		results[i] = Result{Type: OpError, Err: code}
	}
	return results
}

// createNode adds a node (DataTree.createNode) and returns it. The parent's
// counter takes the txn's value only if that is larger, which keeps a replay
// from moving it back.
func (t *Tree) createNode(path string, data []byte, acl []ACL, owner int64, parentCversion int32, zxid Zxid, time int64) (*znode, Code) {
	parentPath := ParentPath(path)
	parent, ok := t.nodes[parentPath]
	if !ok || path == RootPath {
		return nil, NoNode
	}
	bumpParent := func(p *znode) {
		if parentCversion > p.cversion {
			p.cversion = parentCversion
			p.pzxid = zxid
		}
	}
	if _, exists := t.nodes[path]; exists {
		// ZooKeeper adjusts the parent when a replayed create finds its node
		// (DataTree.processTxn after NodeExists).
		t.updateNode(parentPath, parent, false, bumpParent)
		return nil, NodeExists
	}
	t.updateNode(parentPath, parent, false, bumpParent)
	t.addChild(parent, path)
	n := t.newNode()
	*n = znode{
		data:           data,
		czxid:          zxid,
		mzxid:          zxid,
		pzxid:          zxid,
		ctime:          time,
		mtime:          time,
		ephemeralOwner: owner,
		acl:            t.acls.intern(acl),
	}
	t.nodes[path] = n
	t.digest += t.nodeTerm(path, n)
	t.index(path, owner, true)
	t.changes = append(t.changes, Change{Type: EventNodeCreated, Path: path})
	return n, OK
}

// deleteNode removes a node (DataTree.deleteNode). The parent's pzxid moves
// forward even when the node is already gone, as in ZooKeeper.
func (t *Tree) deleteNode(path string, zxid Zxid) Code {
	if path == RootPath {
		return BadArguments
	}
	parentPath := ParentPath(path)
	parent, ok := t.nodes[parentPath]
	if !ok {
		return NoNode
	}
	t.updateNode(parentPath, parent, false, func(p *znode) {
		if zxid > p.pzxid {
			p.pzxid = zxid
		}
	})
	n, ok := t.nodes[path]
	if !ok {
		return NoNode
	}
	if parent.children != nil {
		parent.children.remove(BaseName(path))
		if parent.children.len() == 0 {
			*parent.children = nameSet{} // its slab may outlive it (newSet)
			parent.children = nil
		}
	}
	t.digest -= t.nodeTerm(path, n)
	delete(t.nodes, path)
	t.acls.release(n.acl)
	t.index(path, n.ephemeralOwner, false)
	*n = znode{} // its slab may outlive it (newNode): drop its data
	t.changes = append(t.changes, Change{Type: EventNodeDeleted, Path: path})
	return OK
}

// setData replaces a node's data (DataTree.setData): new mtime, mzxid and
// the version the txn carries. It returns the node.
func (t *Tree) setData(path string, data []byte, version int32, zxid Zxid, time int64) (*znode, Code) {
	n, ok := t.nodes[path]
	if !ok {
		return nil, NoNode
	}
	t.updateNode(path, n, true, func(n *znode) {
		n.data = data
		n.mtime = time
		n.mzxid = zxid
		n.version = version
	})
	t.changes = append(t.changes, Change{Type: EventNodeDataChanged, Path: path})
	return n, OK
}

// setACL replaces a node's ACL and sets aversion (DataTree.setACL). It
// changes neither mzxid nor mtime and fires no watch (zookeeper.md A4). It
// returns the node.
func (t *Tree) setACL(path string, acl []ACL, version int32) (*znode, Code) {
	n, ok := t.nodes[path]
	if !ok {
		return nil, NoNode
	}
	old := n.acl
	ref := t.acls.intern(acl)
	t.updateNode(path, n, false, func(n *znode) {
		n.acl = ref
		n.aversion = version
	})
	t.acls.release(old)
	return n, OK
}

func (t *Tree) createSession(id SessionID, timeout int32) {
	if old, ok := t.sessions[id]; ok {
		t.digest -= sessionTerm(id, old)
	}
	t.sessions[id] = timeout
	t.digest += sessionTerm(id, timeout)
}

// closeSession deletes the session's ephemerals, the ones the txn names
// first and then any other the index still holds (DataTree.killSession),
// and removes the session. Each deletion moves its parent's pzxid to zxid.
func (t *Tree) closeSession(id SessionID, paths []string, zxid Zxid) {
	for _, path := range paths {
		t.deleteNode(path, zxid)
	}
	for _, path := range t.Ephemerals(id) {
		t.deleteNode(path, zxid)
	}
	if timeout, ok := t.sessions[id]; ok {
		t.digest -= sessionTerm(id, timeout)
		delete(t.sessions, id)
	}
}
