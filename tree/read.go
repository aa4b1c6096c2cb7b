package tree

import (
	"strings"
)

// Read serves a request that does not become a txn, on the server the
// client is connected to (FinalRequestProcessor), against this tree: the
// reads, the watch management ops, sync and ping. session and auth are the
// caller's; w is that server's watch registry, or nil to register nothing.
//
// The order of checks is ZooKeeper's: the path syntax (which the Java client
// checks before sending), then NoNode, then the READ permission, then the
// watch and the answer. exists has no permission check and leaves its watch
// before looking, so it watches a missing node too (zookeeper.md A8.1).
//
// Read returns the events that setWatches fires at once; other requests
// return none.
func (t *Tree) Read(req *Request, session SessionID, auth Auth, w *Watches) (Result, []WatchEvent) {
	res := Result{Type: req.Type}
	// node is the node req.Path names, looked up once for the ops with a path; nil when
	// there is none. Nothing below changes the tree, so it stays the node at that path.
	var node *znode
	switch req.Type {
	case OpExists, OpGetData, OpGetChildren, OpGetChildren2, OpGetACL,
		OpGetAllChildrenNumber, OpAddWatch, OpRemoveWatches, OpCheckWatches, OpSync:
		// Every node's path is valid, so a path that names a node needs no
		// check; this keeps the check off the hot read path.
		node = t.nodes[req.Path]
		if node == nil && ValidatePath(req.Path) != nil {
			res.Err = BadArguments
			return res, nil
		}
	}
	switch req.Type {
	case OpExists:
		if req.Watch && w != nil {
			w.AddData(req.Path, session)
		}
		if node == nil {
			res.Err = NoNode
			break
		}
		res.Stat, res.HasStat = node.stat(t.opts.ExtendedTypes), true
	case OpGetData:
		n, code := t.readable(node, PermRead, auth)
		if code != OK {
			res.Err = code
			break
		}
		if req.Watch && w != nil {
			w.AddData(req.Path, session)
		}
		res.Data = n.data
		if res.Data == nil {
			res.Data = []byte{}
		}
		res.Stat, res.HasStat = n.stat(t.opts.ExtendedTypes), true
	case OpGetChildren, OpGetChildren2:
		n, code := t.readable(node, PermRead, auth)
		if code != OK {
			res.Err = code
			break
		}
		res.Children = t.children(n)
		if req.Watch && w != nil {
			w.AddChild(req.Path, session)
		}
		if req.Type == OpGetChildren2 {
			res.Stat, res.HasStat = n.stat(t.opts.ExtendedTypes), true
		}
	case OpGetACL:
		// READ or ADMIN lets a client read the ACL; without ADMIN the
		// digest hashes are hidden (FinalRequestProcessor, case getACL).
		n, code := t.readable(node, PermRead|PermAdmin, auth)
		if code != OK {
			res.Err = code
			break
		}
		res.ACL = t.acls.get(n.acl)
		if !t.opts.SkipACL && CheckACL(res.ACL, PermAdmin, auth) != OK {
			res.ACL = RedactACL(res.ACL)
		}
		res.Stat, res.HasStat = n.stat(t.opts.ExtendedTypes), true
	case OpGetAllChildrenNumber:
		if _, code := t.readable(node, PermRead, auth); code != OK {
			res.Err = code
			break
		}
		res.Count = int32(t.AllChildrenNumber(req.Path))
	case OpGetEphemerals:
		prefix := strings.TrimSpace(req.Path)
		res.Paths = []string{}
		for _, path := range t.Ephemerals(session) {
			if prefix == "" || prefix == RootPath || strings.HasPrefix(path, req.Path) {
				res.Paths = append(res.Paths, path)
			}
		}
	case OpMultiRead:
		// Not atomic: each op is served on its own and fails on its own
		// (zookeeper.md A7).
		res.Multi = make([]Result, len(req.Ops))
		for i := range req.Ops {
			op := &req.Ops[i]
			if op.Type != OpGetData && op.Type != OpGetChildren {
				res.Multi[i] = Result{Type: OpError, Err: BadArguments}
				continue
			}
			sub, _ := t.Read(op, session, auth, w)
			if sub.Err != OK {
				sub = Result{Type: OpError, Err: sub.Err}
			}
			res.Multi[i] = sub
		}
	case OpAddWatch:
		// ZooKeeper 3.8.0 checks neither existence nor permission here.
		if w != nil {
			w.AddWatch(req.Path, session, req.WatchMode)
		}
	case OpRemoveWatches:
		if w == nil || !w.Remove(req.Path, session, req.WatcherType) {
			res.Err = NoWatcher
		}
	case OpCheckWatches:
		if w == nil || !w.Contains(req.Path, session, req.WatcherType) {
			res.Err = NoWatcher
		}
	case OpSetWatches, OpSetWatches2:
		if w == nil || req.SetWatches == nil {
			break
		}
		sw := req.SetWatches
		events := w.SetWatches(sw.RelativeZxid, sw.DataWatches, sw.ExistWatches, sw.ChildWatches,
			sw.PersistentWatches, sw.PersistentRecursiveWatches, session, t.Stat, nil)
		return res, events
	case OpSync:
		res.Path = req.Path
	case OpPing, OpWhoAmI:
	default:
		res.Err = Unimplemented
	}
	return res, nil
}

// readable checks that a node exists (n is not nil) and that auth holds one
// of perm's bits on it.
func (t *Tree) readable(n *znode, perm Perm, auth Auth) (*znode, Code) {
	if n == nil {
		return nil, NoNode
	}
	if !t.opts.SkipACL {
		if code := CheckACL(t.acls.get(n.acl), perm, auth); code != OK {
			return nil, code
		}
	}
	return n, OK
}
