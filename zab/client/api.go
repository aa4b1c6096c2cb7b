package client

import (
	"fmt"
	"time"

	"zoosim/tree"
)

// The asynchronous API. Every call returns at once; its callback (which may
// be nil) runs later from the event loop, never inside the call, in the
// order the outcomes happened: replies in request order, each after the
// watch events the server sent before it (zookeeper.md A8.1 "Ordering
// guarantees"). Failures are *Error values.
//
// A read given a non-nil *Watcher asks the server for a watch and enters
// the watcher in the client's tables if the reply says the watch was set.
//
// Like the Java client, the calls check their arguments before sending:
// a bad path, a bad mode or TTL fails with BadArguments and an empty ACL
// with InvalidACL, and the request never reaches the server (nor the
// Observer).

// Create creates a node and returns its final path (sequential modes add a
// suffix). It sends create, or createContainer for Container; a TTL mode
// needs Create2.
func (c *Client) Create(path string, data []byte, acl []tree.ACL, mode tree.CreateMode, cb func(path string, err error)) {
	c.create(createOpcode(mode), path, data, acl, mode, 0, pathCB(cb))
}

// Create2 creates a node and returns its final path and its Stat: create2,
// createContainer for Container, createTTL for the TTL modes, which need
// 0 < ttl <= tree.MaxTTL milliseconds; other modes need ttl 0.
func (c *Client) Create2(path string, data []byte, acl []tree.ACL, mode tree.CreateMode, ttl time.Duration, cb func(path string, stat tree.Stat, err error)) {
	c.create(create2Opcode(mode), path, data, acl, mode, ttl, pathStatCB(cb))
}

// createOpcode is the opcode Create sends for mode.
func createOpcode(mode tree.CreateMode) tree.OpCode {
	if mode.IsContainer() {
		return tree.OpCreateContainer
	}
	return tree.OpCreate
}

// create2Opcode is the opcode Create2 sends for mode.
func create2Opcode(mode tree.CreateMode) tree.OpCode {
	switch {
	case mode.IsContainer():
		return tree.OpCreateContainer
	case mode.IsTTL():
		return tree.OpCreateTTL
	}
	return tree.OpCreate2
}

func (c *Client) create(op tree.OpCode, path string, data []byte, acl []tree.ACL, mode tree.CreateMode, ttl time.Duration, done completer) {
	req := createRequest(op, path, data, acl, mode, ttl)
	if code, cause := checkCreate(&req, ttl); code != tree.OK {
		c.refuse(op, path, code, cause, done)
		return
	}
	if len(acl) == 0 {
		c.refuse(op, path, tree.InvalidACL, nil, done)
		return
	}
	c.submitReq(req, done)
}

// createRequest builds a create of any kind; ttl is sent in milliseconds.
// data and acl are the caller's, not copied (see submit).
func createRequest(op tree.OpCode, path string, data []byte, acl []tree.ACL, mode tree.CreateMode, ttl time.Duration) tree.Request {
	req := tree.Request{Type: op, Path: path, Data: data, ACL: acl, Mode: mode}
	if mode.IsTTL() {
		req.TTL = ttl.Milliseconds()
	}
	return req
}

// checkCreate is the Java client's check of a create before sending: the
// mode, the path (a sequential one with a digit appended), the TTL
// (EphemeralType.validateTTL).
func checkCreate(req *tree.Request, ttl time.Duration) (tree.Code, error) {
	mode := req.Mode
	if !mode.Valid() {
		return tree.BadArguments, fmt.Errorf("invalid create mode %v", mode)
	}
	if err := tree.ValidateCreatePath(req.Path, mode.IsSequential()); err != nil {
		return tree.BadArguments, err
	}
	switch {
	case mode.IsTTL() && (req.TTL <= 0 || req.TTL > tree.MaxTTL):
		return tree.BadArguments, fmt.Errorf("ttl %v not in (0, %d ms]", ttl, tree.MaxTTL)
	case !mode.IsTTL() && ttl != 0:
		return tree.BadArguments, fmt.Errorf("ttl not valid for mode %v", mode)
	case mode.IsTTL() && req.Type != tree.OpCreateTTL:
		return tree.BadArguments, fmt.Errorf("mode %v needs a TTL", mode)
	}
	return tree.OK, nil
}

// Delete deletes a node if its version matches (-1 matches any).
func (c *Client) Delete(path string, version int32, cb func(err error)) {
	c.call(tree.Request{Type: tree.OpDelete, Path: path, Version: version}, errCB(cb))
}

// Exists returns the node's Stat, or NoNode. With a watcher it leaves a
// watch either way: a data watch on an existing node, an exist watch on a
// missing one, which is how NodeCreated is seen (zookeeper.md A8.1).
func (c *Client) Exists(path string, w *Watcher, cb func(stat tree.Stat, err error)) {
	c.read(tree.OpExists, path, w, statCB(cb))
}

// GetData returns the node's data and Stat. A watch is set only if the
// node exists.
func (c *Client) GetData(path string, w *Watcher, cb func(data []byte, stat tree.Stat, err error)) {
	c.read(tree.OpGetData, path, w, dataCB(cb))
}

// SetData replaces the node's data if its version matches (-1 matches
// any) and returns the new Stat.
func (c *Client) SetData(path string, data []byte, version int32, cb func(stat tree.Stat, err error)) {
	c.call(tree.Request{Type: tree.OpSetData, Path: path, Data: data, Version: version}, statCB(cb))
}

// GetChildren returns the node's children, sorted (getChildren). A watch
// is set only if the node exists.
func (c *Client) GetChildren(path string, w *Watcher, cb func(children []string, err error)) {
	c.read(tree.OpGetChildren, path, w, childrenCB(cb))
}

// GetChildren2 returns the node's children and its Stat (getChildren2).
func (c *Client) GetChildren2(path string, w *Watcher, cb func(children []string, stat tree.Stat, err error)) {
	c.read(tree.OpGetChildren2, path, w, children2CB(cb))
}

// GetACL returns the node's ACL and Stat.
func (c *Client) GetACL(path string, cb func(acl []tree.ACL, stat tree.Stat, err error)) {
	c.call(tree.Request{Type: tree.OpGetACL, Path: path}, aclCB(cb))
}

// SetACL replaces the node's ACL if its ACL version matches (-1 matches
// any) and returns the new Stat.
func (c *Client) SetACL(path string, acl []tree.ACL, version int32, cb func(stat tree.Stat, err error)) {
	c.setACL(path, acl, version, statCB(cb))
}

func (c *Client) setACL(path string, acl []tree.ACL, version int32, done completer) {
	if len(acl) == 0 && tree.ValidatePath(path) == nil {
		c.refuse(tree.OpSetACL, path, tree.InvalidACL, nil, done)
		return
	}
	c.call(tree.Request{Type: tree.OpSetACL, Path: path, ACL: normACL(acl), Version: version}, done)
}

// Sync asks the server the client is connected to to catch up with the
// leader before answering, so a read issued after it on this session is
// at least as new as the leader's commit point when it handled the sync
// (zookeeper.md A10; not a quorum operation in 3.8).
func (c *Client) Sync(path string, cb func(err error)) {
	c.call(tree.Request{Type: tree.OpSync, Path: path}, errCB(cb))
}

// Multi runs ops atomically: all succeed or none does (zookeeper.md A7).
// ops are creates, deletes, setData and checks; build them with CreateOp,
// DeleteOp, SetDataOp and CheckOp. The results have one entry per op; when
// the multi failed they all have Type OpError, the failing op its code and
// the others OK (before it) or RuntimeInconsistency (after it), and err
// carries the failing op's code. An op the client refuses locally fails
// the whole call with BadArguments, with results saying BadArguments for
// each bad op and RuntimeInconsistency for the others, as the Java async
// multi does. No ops: no request, empty results.
func (c *Client) Multi(ops []tree.Request, cb func(results []tree.Result, err error)) {
	c.multi(ops, multiCB(cb))
}

func (c *Client) multi(ops []tree.Request, done completer) {
	if len(ops) == 0 {
		c.post(task{done: done, res: &tree.Result{Multi: []tree.Result{}}})
		c.kick()
		return
	}
	for i := range ops {
		if checkOp(&ops[i]) != tree.OK {
			c.refuseMulti(ops, done)
			return
		}
	}
	// The ops array is the client's (the caller may change its own); their
	// data stays the caller's until submit decides (see submit).
	req := tree.Request{Type: tree.OpMulti, Ops: make([]tree.Request, len(ops))}
	for i := range ops {
		req.Ops[i] = ops[i]
		req.Ops[i].ACL = normACL(ops[i].ACL)
	}
	c.submitReq(req, done)
}

// refuseMulti fails a multi with a bad op: BadArguments for the call, and results saying
// BadArguments for each bad op and RuntimeInconsistency for the others.
func (c *Client) refuseMulti(ops []tree.Request, done completer) {
	results := make([]tree.Result, len(ops))
	for i := range ops {
		results[i] = tree.Result{Type: tree.OpError, Err: tree.RuntimeInconsistency}
		if code := checkOp(&ops[i]); code != tree.OK {
			results[i].Err = code
		}
	}
	err := &Error{Code: tree.BadArguments, Op: tree.OpMulti}
	c.post(task{done: done, res: &tree.Result{Multi: results}, err: err})
	c.kick()
}

// checkOp is Op.validate for one multi op.
func checkOp(op *tree.Request) tree.Code {
	switch op.Type {
	case tree.OpCreate, tree.OpCreate2, tree.OpCreateContainer, tree.OpCreateTTL:
		ttl := time.Duration(op.TTL) * time.Millisecond
		if !op.Mode.IsTTL() {
			ttl = 0
		}
		code, _ := checkCreate(op, ttl)
		return code
	case tree.OpDelete, tree.OpSetData, tree.OpCheck:
		if tree.ValidatePath(op.Path) != nil {
			return tree.BadArguments
		}
		return tree.OK
	}
	return tree.BadArguments
}

// CreateOp is a create for Multi: createTTL for the TTL modes (ttl in
// (0, tree.MaxTTL] ms), createContainer for Container, create otherwise
// (Op.create). The op holds copies of data and acl.
func CreateOp(path string, data []byte, acl []tree.ACL, mode tree.CreateMode, ttl time.Duration) tree.Request {
	op := tree.OpCreate
	switch {
	case mode.IsTTL():
		op = tree.OpCreateTTL
	case mode.IsContainer():
		op = tree.OpCreateContainer
	}
	return createRequest(op, path, cloneBytes(data), cloneACL(acl), mode, ttl)
}

// DeleteOp is a delete for Multi.
func DeleteOp(path string, version int32) tree.Request {
	return tree.Request{Type: tree.OpDelete, Path: path, Version: version}
}

// SetDataOp is a setData for Multi. The op holds a copy of data.
func SetDataOp(path string, data []byte, version int32) tree.Request {
	return tree.Request{Type: tree.OpSetData, Path: path, Data: cloneBytes(data), Version: version}
}

// CheckOp is a version check for Multi: it fails the multi unless the
// node's data version matches (-1 matches any).
func CheckOp(path string, version int32) tree.Request {
	return tree.Request{Type: tree.OpCheck, Path: path, Version: version}
}

// AddWatch sets a persistent watch (tree.WatchPersistent) or a persistent
// recursive one (tree.WatchPersistentRecursive) on path for w, which stays
// until removed (zookeeper.md A8.2). w nil means the default watcher.
func (c *Client) AddWatch(path string, w *Watcher, mode tree.WatchMode, cb func(err error)) {
	c.addWatch(path, w, mode, errCB(cb))
}

func (c *Client) addWatch(path string, w *Watcher, mode tree.WatchMode, done completer) {
	if mode != tree.WatchPersistent && mode != tree.WatchPersistentRecursive {
		c.refuse(tree.OpAddWatch, path, tree.BadArguments, fmt.Errorf("invalid watch mode %v", mode), done)
		return
	}
	if w == nil {
		w = c.def
	}
	if err := tree.ValidatePath(path); err != nil {
		c.refuse(tree.OpAddWatch, path, tree.BadArguments, err, done)
		return
	}
	p := c.newPacket(done)
	p.msg.Req = tree.Request{Type: tree.OpAddWatch, Path: path, WatchMode: mode}
	p.reg = watchReg{op: tree.OpAddWatch, mode: mode, path: path, w: w}
	c.submit(p)
}

// RemoveWatches removes w's watches of type t at path (removeWatches with a
// watcher, which sends checkWatches: the server keeps its watch, which
// other watchers of this client may share). RemoveAllWatches removes every
// watcher's watches of type t at path and the server's watch too (it sends
// removeWatches). tree.WatcherAny is the only type that removes persistent
// and recursive watches in 3.8.
//
// Each removed watcher receives ChildWatchRemoved, DataWatchRemoved or
// PersistentWatchRemoved before cb runs. NoWatcher if the client holds no
// such watch. w must not be nil (BadArguments). With local, the client removes its watches whatever the
// server answers, even without a connection (zookeeper.md A8.3).
func (c *Client) RemoveWatches(path string, w *Watcher, t tree.WatcherType, local bool, cb func(err error)) {
	c.removeWatchesOf(path, w, t, local, errCB(cb))
}

func (c *Client) removeWatchesOf(path string, w *Watcher, t tree.WatcherType, local bool, done completer) {
	if w == nil {
		c.refuse(tree.OpCheckWatches, path, tree.BadArguments, fmt.Errorf("nil watcher"), done)
		return
	}
	c.removeWatches(tree.OpCheckWatches, path, w, t, local, done)
}

// RemoveAllWatches: see RemoveWatches.
func (c *Client) RemoveAllWatches(path string, t tree.WatcherType, local bool, cb func(err error)) {
	c.removeWatches(tree.OpRemoveWatches, path, nil, t, local, errCB(cb))
}

func (c *Client) removeWatches(op tree.OpCode, path string, w *Watcher, t tree.WatcherType, local bool, done completer) {
	if t != tree.WatcherChildren && t != tree.WatcherData && t != tree.WatcherAny {
		c.refuse(op, path, tree.BadArguments, fmt.Errorf("invalid watcher type %v", t), done)
		return
	}
	if err := tree.ValidatePath(path); err != nil {
		c.refuse(op, path, tree.BadArguments, err, done)
		return
	}
	p := c.newPacket(done)
	p.msg.Req = tree.Request{Type: op, Path: path, WatcherType: t}
	p.dereg = &watchDereg{path: path, w: w, typ: t, local: local}
	c.submit(p)
}

// read sends a read that may leave a watch for w.
func (c *Client) read(op tree.OpCode, path string, w *Watcher, done completer) {
	if err := tree.ValidatePath(path); err != nil {
		c.refuse(op, path, tree.BadArguments, err, done)
		return
	}
	p := c.newPacket(done)
	p.msg.Req = tree.Request{Type: op, Path: path, Watch: w != nil}
	if w != nil {
		p.reg = watchReg{op: op, path: path, w: w}
	}
	c.submit(p)
}

// call checks the path of req and submits it.
func (c *Client) call(req tree.Request, done completer) {
	if err := tree.ValidatePath(req.Path); err != nil {
		c.refuse(req.Type, req.Path, tree.BadArguments, err, done)
		return
	}
	c.submitReq(req, done)
}

// submitReq submits req, already checked, in a packet of its own.
func (c *Client) submitReq(req tree.Request, done completer) {
	p := c.newPacket(done)
	p.msg.Req = req
	c.submit(p)
}

// refuse fails a call the client will not send.
func (c *Client) refuse(op tree.OpCode, path string, code tree.Code, cause error, done completer) {
	c.post(task{done: done, err: &Error{Code: code, Op: op, Path: path, Err: cause}})
	c.kick()
}

// cloneBytes copies b, keeping nil apart from empty (the codec tells them
// apart).
func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// cloneACL copies acl; an empty list becomes nil, as the API has always
// sent it.
func cloneACL(acl []tree.ACL) []tree.ACL { return append([]tree.ACL(nil), acl...) }

// normACL is acl itself, or nil for an empty list: what cloneACL would
// give, without the copy.
func normACL(acl []tree.ACL) []tree.ACL {
	if len(acl) == 0 {
		return nil
	}
	return acl
}
