package tree

// A deliberately simple reference model of the znode tree, written from
// ../shared/reference/zookeeper.md part A (A1-A8, A13) and used only by the
// rapid state-machine test in model_rapid_test.go.
//
// The model shares nothing with the package but its exported value types
// (Stat, Code, Request, CreateMode, ACL, WatchMode, ...). It has its own path
// rules, its own ACL checks and digest identities, its own counting of the
// client cversion, and its own watch tables. It keeps everything in plain
// maps and sorted slices and is slow on purpose: a node is copied whole for
// every multi, every trigger walks every ancestor.
//
// Where the package deliberately models ZooKeeper 3.8.0 rather than the text
// of A8.2 (a PERSISTENT_RECURSIVE watch is registered in the child table as
// well), the model follows the package and says so; see
// modelOptions.recursiveInChildTable.

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// mMaxTTL is the largest TTL (A2: "1099511627775").
const mMaxTTL int64 = 1099511627775

// mKind is what a node is, as its create mode said (A2).
type mKind uint8

const (
	mPersistentNode mKind = iota
	mEphemeralNode
	mContainerNode
	mTTLNode
)

// mNode is one znode of the model. Every field a client can observe is kept
// as A4's table describes it, independently of how the package derives it.
type mNode struct {
	data                []byte
	czxid, mzxid, pzxid Zxid
	ctime, mtime        int64
	version, aversion   int32
	// cversion is the client-visible cversion, counted as A3 and A4 state
	// it: +1 on every child create and every child delete.
	cversion int32
	// creates counts child creates only; it is the sequential counter (A3).
	creates int32
	// owner is the raw ephemeralOwner (A2): a session, the container marker
	// or the TTL bits.
	owner    int64
	kind     mKind
	children []string // names, sorted
	acl      []ACL
}

func (n *mNode) clone() *mNode {
	c := *n
	c.children = slices.Clone(n.children)
	c.acl = slices.Clone(n.acl)
	return &c
}

// stat is what a client sees (A4): only a real ephemeral shows its owner
// (A2, DataNode.copyStat).
func (n *mNode) stat() Stat {
	owner := int64(0)
	if n.kind == mEphemeralNode {
		owner = n.owner
	}
	return Stat{
		Czxid: n.czxid, Mzxid: n.mzxid, Ctime: n.ctime, Mtime: n.mtime,
		Version: n.version, Cversion: n.cversion, Aversion: n.aversion,
		EphemeralOwner: owner, DataLength: int32(len(n.data)),
		NumChildren: int32(len(n.children)), Pzxid: n.pzxid,
	}
}

// mState is the replicated part of the model: nodes and sessions.
type mState struct {
	nodes    map[string]*mNode
	sessions map[SessionID]int32 // live sessions and their timeouts
}

func (s *mState) clone() *mState {
	c := &mState{nodes: make(map[string]*mNode, len(s.nodes)), sessions: maps.Clone(s.sessions)}
	for p, n := range s.nodes {
		c.nodes[p] = n.clone()
	}
	return c
}

// modelOptions are the server settings and the semantic choices of the model.
type modelOptions struct {
	// extendedTypes is zookeeper.extendedTypesEnabled (A2): TTL creates are
	// Unimplemented without it.
	extendedTypes bool
	// recursiveInChildTable registers a PERSISTENT_RECURSIVE addWatch in the
	// child table too, as ZooKeeper 3.8.0's DataTree.addWatch does and as
	// the package documents (watch.go, AddWatch). A8.2 describes 3.9, which
	// registers it in the data table only; false models that text.
	recursiveInChildTable bool
}

// model is the reference: the replicated state, the watch tables of one
// server, and the pending-view quirk of a closeSession (see phantom).
type model struct {
	opts modelOptions
	st   *mState
	// The two watch tables of one server (A8.1, A8.2): one mode per (path,
	// session) in each, the last registration wins.
	dataW, childW map[string]map[SessionID]WatchMode
	// phantom counts, per parent, the ephemerals that a closeSession
	// prepared in the current pipeline batch deletes. ZooKeeper's
	// PrepRequestProcessor (case closeSession) records each such deletion
	// and moves the parent's pzxid, but does not decrement the parent's
	// projected child count, so a delete of that parent prepared before the
	// close commits still fails NotEmpty. The package documents this
	// (prep.go, prepCloseSession). Cleared when the batch commits.
	phantom map[string]int32
}

// newModel returns the state of a fresh server: the root and the reserved
// nodes of A1, with the stats that New documents (tree.go): every stat zero
// except the root's client cversion -1 and /zookeeper's -2 (their reserved
// children were never created as children, so 2*0-numChildren) and
// /zookeeper/config's aversion -1; every ACL open except /zookeeper/config's,
// which is world:anyone read.
func newModel(opts modelOptions) *model {
	open := []ACL{{Perms: PermAll, ID: ID{Scheme: "world", ID: "anyone"}}}
	read := []ACL{{Perms: PermRead, ID: ID{Scheme: "world", ID: "anyone"}}}
	st := &mState{nodes: map[string]*mNode{
		"/":                 {data: []byte{}, cversion: -1, children: []string{"zookeeper"}, acl: open},
		"/zookeeper":        {data: []byte{}, cversion: -2, children: []string{"config", "quota"}, acl: open},
		"/zookeeper/quota":  {data: []byte{}, acl: open},
		"/zookeeper/config": {data: []byte{}, aversion: -1, acl: read},
	}, sessions: map[SessionID]int32{}}
	return &model{
		opts:    opts,
		st:      st,
		dataW:   map[string]map[SessionID]WatchMode{},
		childW:  map[string]map[SessionID]WatchMode{},
		phantom: map[string]int32{},
	}
}

// --- paths (A1), for the small alphabet the test generates ---

// mValidPath is A1 restricted to ASCII: starts with '/', "/" alone is fine,
// otherwise no trailing '/', no empty component, no "." or ".." component,
// no control character.
func mValidPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	if p == "/" {
		return true
	}
	if strings.HasSuffix(p, "/") {
		return false
	}
	for _, c := range strings.Split(p[1:], "/") {
		if c == "" || c == "." || c == ".." {
			return false
		}
		for i := 0; i < len(c); i++ {
			if c[i] < 0x20 || c[i] >= 0x7f {
				return false
			}
		}
	}
	return true
}

// mParent cuts at the last '/': "/a/b" -> "/a", "/a" -> "/", and a
// sequential prefix "/a/" -> "/a".
func mParent(p string) string {
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

func mBase(p string) string { return p[strings.LastIndex(p, "/")+1:] }

// mSpecial is A1's reserved nodes, which a delete rejects.
func mSpecial(p string) bool {
	return p == "/" || p == "/zookeeper" || p == "/zookeeper/quota" || p == "/zookeeper/config"
}

// --- ACLs (A5: which permission each op needs) ---

var mAnyone = ID{Scheme: "world", ID: "anyone"}

// mDigestID is the digest identity of "user:password":
// user:base64(sha1(user:password)).
func mDigestID(userPassword string) ID {
	sum := sha1.Sum([]byte(userPassword))
	user := userPassword[:strings.Index(userPassword, ":")]
	return ID{Scheme: "digest", ID: user + ":" + base64.StdEncoding.EncodeToString(sum[:])}
}

// mAllowed: an entry that grants a bit of perm matches world:anyone or one
// of the caller's identities exactly (the test uses no ip or super entries).
func mAllowed(acl []ACL, perm Perm, ids []ID) bool {
	if len(acl) == 0 {
		return true
	}
	for _, a := range acl {
		if a.Perms&perm == 0 {
			continue
		}
		if a.ID == mAnyone || slices.Contains(ids, a.ID) {
			return true
		}
	}
	return false
}

// mFixup is fixupACL for the entries the test generates: duplicates dropped
// (first occurrence kept), then auth expanded to every digest identity of
// the caller; an empty list or an auth entry without one is InvalidACL.
func mFixup(acl []ACL, ids []ID) ([]ACL, bool) {
	var uniq []ACL
	for _, a := range acl {
		if !slices.Contains(uniq, a) {
			uniq = append(uniq, a)
		}
	}
	if len(uniq) == 0 {
		return nil, false
	}
	var out []ACL
	for _, a := range uniq {
		if a.ID.Scheme != "auth" {
			out = append(out, a)
			continue
		}
		n := 0
		for _, id := range ids {
			if id.Scheme == "digest" {
				out = append(out, ACL{Perms: a.Perms, ID: id})
				n++
			}
		}
		if n == 0 {
			return nil, false
		}
	}
	return out, true
}

// --- results ---

// mResult is what the model expects of a write's or a read's Result.
type mResult struct {
	op      OpCode
	err     Code
	path    string // create: the final path ("" on failure)
	hasStat bool
	stat    Stat
	data    []byte   // getData
	kids    []string // getChildren*
	multi   []mResult
}

// mOutcome is what the model expects of one applied txn.
type mOutcome struct {
	res     mResult
	changes []Change
	events  []WatchEvent
}

func mFail(op OpCode, c Code) mResult { return mResult{op: op, err: c} }

// --- writes ---

func mIsSequential(m CreateMode) bool {
	return m == PersistentSequential || m == EphemeralSequential || m == PersistentSequentialWithTTL
}

func mIsTTL(m CreateMode) bool { return m == PersistentWithTTL || m == PersistentSequentialWithTTL }

// write applies one write request as the leader would prepare it and every
// replica apply it, and returns the expected outcome with the watch events
// it fires on this server. A closed session's watches go with its
// connection after the events fire (A8.1: watches live on the server).
func (m *model) write(hdr Header, req *Request, ids []ID) mOutcome {
	var changes []Change
	var res mResult
	switch req.Type {
	case OpMulti:
		res = m.multi(hdr, req, ids, &changes)
	case OpCreateSession:
		m.st.sessions[hdr.Session] = req.Timeout
		res = mResult{op: req.Type}
	case OpCloseSession:
		res = m.closeSession(hdr, &changes)
	default:
		res = m.op(m.st, hdr, req, ids, &changes)
	}
	out := mOutcome{res: res, changes: changes, events: m.trigger(changes)}
	if req.Type == OpCloseSession {
		m.dropWatches(hdr.Session)
	}
	return out
}

// endBatch is the commit of every txn of a pipeline batch: the pending view
// and its phantom children are gone.
func (m *model) endBatch() { clear(m.phantom) }

// op applies one create, delete, setData, setACL, check or deleteContainer
// to st, with the check order of A5 preceded by the Java client's checks
// (path syntax and TTL range -> BadArguments, empty ACL -> InvalidACL).
func (m *model) op(st *mState, hdr Header, req *Request, ids []ID, changes *[]Change) mResult {
	switch req.Type {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL:
		return m.create(st, hdr, req, ids, changes)
	case OpDelete:
		return m.delete(st, hdr, req, ids, changes)
	case OpDeleteContainer:
		return m.deleteContainer(st, hdr, req, changes)
	case OpSetData:
		return m.setData(st, hdr, req, ids, changes)
	case OpSetACL:
		return m.setACL(st, hdr, req, ids)
	case OpCheck:
		return m.check(st, hdr, req, ids)
	}
	panic(fmt.Sprintf("model: unexpected op %s", req.Type))
}

func (m *model) create(st *mState, hdr Header, req *Request, ids []ID, changes *[]Change) mResult {
	op := req.Type
	seq, ttl := mIsSequential(req.Mode), mIsTTL(req.Mode)
	checked := req.Path
	if seq {
		checked += "1" // A1: a sequential create validates path+"1"
	}
	if !mValidPath(checked) {
		return mFail(op, BadArguments)
	}
	if ttl && (req.TTL <= 0 || req.TTL > mMaxTTL) {
		return mFail(op, BadArguments)
	}
	if len(req.ACL) == 0 {
		return mFail(op, InvalidACL)
	}
	// A5 create: 1. validateCreateRequest
	if ttl && !m.opts.extendedTypes {
		return mFail(op, Unimplemented)
	}
	if _, live := st.sessions[hdr.Session]; !live {
		return mFail(op, SessionExpired)
	}
	acl, ok := mFixup(req.ACL, ids)
	if !ok {
		return mFail(op, InvalidACL)
	}
	// 3. parent, 4. CREATE on the parent
	parentPath := mParent(req.Path)
	parent := st.nodes[parentPath]
	if parent == nil {
		return mFail(op, NoNode)
	}
	if !mAllowed(parent.acl, PermCreate, ids) {
		return mFail(op, NoAuth)
	}
	// 5. suffix: %010d of the parent's child-create count (A3)
	path := req.Path
	if seq {
		path = fmt.Sprintf("%s%010d", path, parent.creates)
	}
	// 6. NodeExists, 7. NoChildrenForEphemerals
	if st.nodes[path] != nil {
		return mFail(op, NodeExists)
	}
	if parent.kind == mEphemeralNode {
		return mFail(op, NoChildrenForEphemerals)
	}
	n := &mNode{
		data: slices.Clone(req.Data), czxid: hdr.Zxid, mzxid: hdr.Zxid, pzxid: hdr.Zxid,
		ctime: hdr.Time, mtime: hdr.Time, acl: acl,
	}
	switch {
	case req.Mode == Container:
		n.kind, n.owner = mContainerNode, math.MinInt64 // A2: Long.MIN_VALUE
	case ttl:
		n.kind, n.owner = mTTLNode, int64(-1)<<56|req.TTL // A2: 0xFF00... | ttl
	case req.Mode == Ephemeral || req.Mode == EphemeralSequential:
		n.kind, n.owner = mEphemeralNode, int64(hdr.Session)
	}
	st.nodes[path] = n
	// A4: create child of N moves N's cversion (+1) and pzxid.
	parent.creates++
	parent.cversion++
	parent.pzxid = hdr.Zxid
	name := mBase(path)
	i, _ := slices.BinarySearch(parent.children, name)
	parent.children = slices.Insert(parent.children, i, name)
	*changes = append(*changes, Change{Type: EventNodeCreated, Path: path})
	r := mResult{op: op, path: path}
	if op != OpCreate {
		r.hasStat, r.stat = true, n.stat()
	}
	return r
}

// unlink removes a childless node and updates its parent as A4 says:
// cversion +1, pzxid to the txn's zxid if that is larger.
func (m *model) unlink(st *mState, path string, zxid Zxid, changes *[]Change) {
	parent := st.nodes[mParent(path)]
	delete(st.nodes, path)
	i, found := slices.BinarySearch(parent.children, mBase(path))
	if !found {
		panic("model: child not listed: " + path)
	}
	parent.children = slices.Delete(parent.children, i, i+1)
	parent.cversion++
	if zxid > parent.pzxid {
		parent.pzxid = zxid
	}
	*changes = append(*changes, Change{Type: EventNodeDeleted, Path: path})
}

func (m *model) childCount(st *mState, path string) int32 {
	return int32(len(st.nodes[path].children)) + m.phantom[path]
}

func mVersionOK(current, expected int32) bool { return expected == -1 || expected == current } // A6

func (m *model) delete(st *mState, hdr Header, req *Request, ids []ID, changes *[]Change) mResult {
	op := req.Type
	if !mValidPath(req.Path) {
		return mFail(op, BadArguments)
	}
	if _, live := st.sessions[hdr.Session]; !live {
		return mFail(op, SessionExpired)
	}
	if mSpecial(req.Path) {
		return mFail(op, BadArguments)
	}
	parent := st.nodes[mParent(req.Path)]
	if parent == nil {
		return mFail(op, NoNode)
	}
	if !mAllowed(parent.acl, PermDelete, ids) {
		return mFail(op, NoAuth)
	}
	n := st.nodes[req.Path]
	if n == nil {
		return mFail(op, NoNode)
	}
	if !mVersionOK(n.version, req.Version) {
		return mFail(op, BadVersion)
	}
	if m.childCount(st, req.Path) > 0 {
		return mFail(op, NotEmpty)
	}
	m.unlink(st, req.Path, hdr.Zxid, changes)
	return mResult{op: op}
}

// deleteContainer is the leader's reaping txn (A2.1; A5 BadVersion): no
// session, no ACL; NotEmpty before the check for a session's ephemeral.
func (m *model) deleteContainer(st *mState, hdr Header, req *Request, changes *[]Change) mResult {
	op := req.Type
	if !mValidPath(req.Path) || mSpecial(req.Path) {
		return mFail(op, BadArguments)
	}
	n := st.nodes[req.Path]
	if n == nil {
		return mFail(op, NoNode)
	}
	if m.childCount(st, req.Path) > 0 {
		return mFail(op, NotEmpty)
	}
	if n.kind == mEphemeralNode {
		return mFail(op, BadVersion)
	}
	m.unlink(st, req.Path, hdr.Zxid, changes)
	return mResult{op: op}
}

// checkedNode runs the checks setData and check share, in A5's order:
// path, session, NoNode, the permission perm, then the data version.
func (m *model) checkedNode(st *mState, hdr Header, req *Request, ids []ID, perm Perm) (*mNode, Code) {
	if !mValidPath(req.Path) {
		return nil, BadArguments
	}
	if _, live := st.sessions[hdr.Session]; !live {
		return nil, SessionExpired
	}
	n := st.nodes[req.Path]
	if n == nil {
		return nil, NoNode
	}
	if !mAllowed(n.acl, perm, ids) {
		return nil, NoAuth
	}
	if !mVersionOK(n.version, req.Version) {
		return nil, BadVersion
	}
	return n, OK
}

func (m *model) setData(st *mState, hdr Header, req *Request, ids []ID, changes *[]Change) mResult {
	op := req.Type
	n, code := m.checkedNode(st, hdr, req, ids, PermWrite)
	if code != OK {
		return mFail(op, code)
	}
	n.data = slices.Clone(req.Data)
	n.version++
	n.mzxid = hdr.Zxid
	n.mtime = hdr.Time
	*changes = append(*changes, Change{Type: EventNodeDataChanged, Path: req.Path})
	return mResult{op: op, hasStat: true, stat: n.stat()}
}

// setACL moves only the ACL and aversion, and fires nothing (A4).
func (m *model) setACL(st *mState, hdr Header, req *Request, ids []ID) mResult {
	op := req.Type
	if !mValidPath(req.Path) {
		return mFail(op, BadArguments)
	}
	if len(req.ACL) == 0 {
		return mFail(op, InvalidACL)
	}
	if _, live := st.sessions[hdr.Session]; !live {
		return mFail(op, SessionExpired)
	}
	acl, ok := mFixup(req.ACL, ids)
	if !ok {
		return mFail(op, InvalidACL)
	}
	n := st.nodes[req.Path]
	if n == nil {
		return mFail(op, NoNode)
	}
	if !mAllowed(n.acl, PermAdmin, ids) {
		return mFail(op, NoAuth)
	}
	if !mVersionOK(n.aversion, req.Version) {
		return mFail(op, BadVersion)
	}
	n.acl = acl
	n.aversion++
	return mResult{op: op, hasStat: true, stat: n.stat()}
}

// check: path -> NoNode -> READ -> BadVersion (A5), no effect.
func (m *model) check(st *mState, hdr Header, req *Request, ids []ID) mResult {
	if _, code := m.checkedNode(st, hdr, req, ids, PermRead); code != OK {
		return mFail(req.Type, code)
	}
	return mResult{op: req.Type}
}

// multi is all or nothing with one zxid (A7): the ops run in order on a
// copy; on the first failure the copy is dropped and the results are OK
// before the failing op, its code, RuntimeInconsistency after it.
func (m *model) multi(hdr Header, req *Request, ids []ID, changes *[]Change) mResult {
	work := m.st.clone()
	var subChanges []Change
	results := make([]mResult, len(req.Ops))
	failed := -1
	for i := range req.Ops {
		results[i] = m.op(work, hdr, &req.Ops[i], ids, &subChanges)
		if results[i].err != OK {
			failed = i
			break
		}
	}
	if failed < 0 {
		m.st = work
		*changes = append(*changes, subChanges...)
		return mResult{op: OpMulti, multi: results}
	}
	code := results[failed].err
	for i := range results {
		switch {
		case i < failed:
			results[i] = mFail(OpError, OK)
		case i == failed:
			results[i] = mFail(OpError, code)
		default:
			results[i] = mFail(OpError, RuntimeInconsistency)
		}
	}
	return mResult{op: OpMulti, err: code, multi: results}
}

// closeSession deletes the session's ephemerals, each deletion moving its
// parent's pzxid and cversion (A4, A9), in path order, and ends the
// session.
func (m *model) closeSession(hdr Header, changes *[]Change) mResult {
	var paths []string
	for p, n := range m.st.nodes {
		if n.kind == mEphemeralNode && SessionID(n.owner) == hdr.Session {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		m.unlink(m.st, p, hdr.Zxid, changes)
		m.phantom[mParent(p)]++
	}
	delete(m.st.sessions, hdr.Session)
	return mResult{op: OpCloseSession}
}

// --- reads (A8.1: which read leaves which watch, and when) ---

func (m *model) read(req *Request, s SessionID, ids []ID) mResult {
	op := req.Type
	if !mValidPath(req.Path) {
		return mFail(op, BadArguments)
	}
	n := m.st.nodes[req.Path]
	switch op {
	case OpExists:
		// The watch is left before looking, so it watches a missing node.
		if req.Watch {
			m.setWatch(m.dataW, req.Path, s, WatchStandard)
		}
		if n == nil {
			return mFail(op, NoNode)
		}
		return mResult{op: op, hasStat: true, stat: n.stat()}
	case OpGetData:
		if n == nil {
			return mFail(op, NoNode)
		}
		if !mAllowed(n.acl, PermRead, ids) {
			return mFail(op, NoAuth)
		}
		if req.Watch {
			m.setWatch(m.dataW, req.Path, s, WatchStandard)
		}
		return mResult{op: op, data: n.data, hasStat: true, stat: n.stat()}
	case OpGetChildren, OpGetChildren2:
		if n == nil {
			return mFail(op, NoNode)
		}
		if !mAllowed(n.acl, PermRead, ids) {
			return mFail(op, NoAuth)
		}
		if req.Watch {
			m.setWatch(m.childW, req.Path, s, WatchStandard)
		}
		r := mResult{op: op, kids: slices.Clone(n.children)}
		if op == OpGetChildren2 {
			r.hasStat, r.stat = true, n.stat()
		}
		return r
	case OpAddWatch:
		// A8.2; no existence or permission check.
		m.setWatch(m.dataW, req.Path, s, req.WatchMode)
		if req.WatchMode != WatchPersistentRecursive || m.opts.recursiveInChildTable {
			m.setWatch(m.childW, req.Path, s, req.WatchMode)
		}
		return mResult{op: op}
	case OpRemoveWatches, OpCheckWatches:
		// A8.3: NoWatcher when there is nothing of that type.
		found := false
		for _, tbl := range m.tablesFor(req.WatcherType) {
			if _, ok := tbl[req.Path][s]; ok {
				found = true
				if op == OpRemoveWatches {
					m.unsetWatch(tbl, req.Path, s)
				}
			}
		}
		if !found {
			return mFail(op, NoWatcher)
		}
		return mResult{op: op}
	}
	panic(fmt.Sprintf("model: unexpected read %s", op))
}

func (m *model) tablesFor(t WatcherType) []map[string]map[SessionID]WatchMode {
	switch t {
	case WatcherChildren:
		return []map[string]map[SessionID]WatchMode{m.childW}
	case WatcherData:
		return []map[string]map[SessionID]WatchMode{m.dataW}
	case WatcherAny:
		return []map[string]map[SessionID]WatchMode{m.childW, m.dataW}
	}
	return nil
}

// --- watches ---

func (m *model) setWatch(tbl map[string]map[SessionID]WatchMode, path string, s SessionID, mode WatchMode) {
	if tbl[path] == nil {
		tbl[path] = map[SessionID]WatchMode{}
	}
	tbl[path][s] = mode
}

func (m *model) unsetWatch(tbl map[string]map[SessionID]WatchMode, path string, s SessionID) {
	delete(tbl[path], s)
	if len(tbl[path]) == 0 {
		delete(tbl, path)
	}
}

func (m *model) dropWatches(s SessionID) {
	for _, tbl := range []map[string]map[SessionID]WatchMode{m.dataW, m.childW} {
		for p := range tbl {
			m.unsetWatch(tbl, p, s)
		}
	}
}

// fire is one table trigger (A8.1, A8.2): at path every standard and
// persistent entry matches, and a standard one is removed; a recursive entry
// at path or at any ancestor matches, but never for NodeChildrenChanged.
// Matched sessions are notified in ascending order, except those in
// suppress. It returns every matched session.
func (m *model) fire(tbl map[string]map[SessionID]WatchMode, path string, typ EventType, suppress []SessionID, out []WatchEvent) ([]WatchEvent, []SessionID) {
	var matched []SessionID
	for s, mode := range tbl[path] {
		switch mode {
		case WatchStandard:
			matched = append(matched, s)
			m.unsetWatch(tbl, path, s)
		case WatchPersistent:
			matched = append(matched, s)
		case WatchPersistentRecursive:
			if typ != EventNodeChildrenChanged {
				matched = append(matched, s)
			}
		}
	}
	for p := path; p != "/"; {
		p = mParent(p)
		for s, mode := range tbl[p] {
			if mode == WatchPersistentRecursive && typ != EventNodeChildrenChanged {
				matched = append(matched, s)
			}
		}
	}
	slices.Sort(matched)
	matched = slices.Compact(matched)
	for _, s := range matched {
		if !slices.Contains(suppress, s) {
			out = append(out, WatchEvent{Session: s, Type: typ, Path: path})
		}
	}
	return out, matched
}

// trigger turns changes into events in the order change.go gives: per
// change, the data table at the path, then (delete) the child table at the
// path without the sessions already notified (A8.1 "Dedup"), then the child
// table at the parent.
func (m *model) trigger(changes []Change) []WatchEvent {
	var out []WatchEvent
	for _, c := range changes {
		switch c.Type {
		case EventNodeCreated:
			out, _ = m.fire(m.dataW, c.Path, EventNodeCreated, nil, out)
			out, _ = m.fire(m.childW, mParent(c.Path), EventNodeChildrenChanged, nil, out)
		case EventNodeDeleted:
			var notified []SessionID
			out, notified = m.fire(m.dataW, c.Path, EventNodeDeleted, nil, out)
			out, _ = m.fire(m.childW, c.Path, EventNodeDeleted, notified, out)
			out, _ = m.fire(m.childW, mParent(c.Path), EventNodeChildrenChanged, nil, out)
		case EventNodeDataChanged:
			out, _ = m.fire(m.dataW, c.Path, EventNodeDataChanged, nil, out)
		}
	}
	return out
}

// describeWatches prints the tables as Watches.Describe documents it: data
// then child, each by path and then by session id, "data /a 0x1 standard".
func (m *model) describeWatches() string {
	var b strings.Builder
	for _, tbl := range []struct {
		name string
		t    map[string]map[SessionID]WatchMode
	}{{"data", m.dataW}, {"child", m.childW}} {
		for _, p := range slices.Sorted(maps.Keys(tbl.t)) {
			for _, s := range slices.Sorted(maps.Keys(tbl.t[p])) {
				fmt.Fprintf(&b, "%s %s %s %s\n", tbl.name, p, s, tbl.t[p][s])
			}
		}
	}
	return b.String()
}

// --- queries for the generator and the full-state comparison ---

func (m *model) paths() []string { return slices.Sorted(maps.Keys(m.st.nodes)) }

func (m *model) liveSessions() []SessionID { return slices.Sorted(maps.Keys(m.st.sessions)) }

func (m *model) ephemerals(s SessionID) []string {
	var out []string
	for p, n := range m.st.nodes {
		if n.kind == mEphemeralNode && SessionID(n.owner) == s {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func (m *model) ofKind(k mKind) []string {
	var out []string
	for p, n := range m.st.nodes {
		if n.kind == k {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}
