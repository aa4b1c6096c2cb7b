package tree

// Preparer turns client requests into txns on the leader, as ZooKeeper's
// PrepRequestProcessor does (zookeeper.md A5, A13.1).
//
// It validates each request against a view: the committed tree plus the
// change records of every txn it prepared that the tree has not applied
// yet (ZooKeeper's outstandingChanges). So `create /a` followed at once by
// `create /a/b` succeeds, and two sequential creates under one parent get
// consecutive suffixes, before either commits.
//
// The server must call [Preparer.Committed] after the tree applies each
// txn, so that records the tree now reflects are dropped, and
// [Preparer.Reset] when it stops leading, because records of txns that will
// never commit would poison the view.
type Preparer struct {
	tree *Tree

	// Invariant: pending[p] is the newest record of p in log.
	pending  map[string]*record
	sessions map[SessionID]*record
	// Invariant: log[head:] holds the records of every prepared txn the tree
	// has not applied, in zxid order.
	log  []*record
	head int

	// Invariant: digest is the tree digest after every txn in log; it
	// equals tree.digest when log is empty.
	digest uint64

	// undo records how to take back the records of a multi that fails.
	undo      []undoEntry
	recording bool

	// lastACL is the ACL of the last txn prepared with one, for the next to share when equal
	// (fixupACL).
	// Invariant: nil or a list fixupACL made for a txn (which may have failed since), never
	// written to.
	lastACL []ACL

	// records and txns hand out the records and txns the preparer makes
	// (newRecord, duplicate, newTxn), a few per request.
	records slab[record]
	txns    slab[Txn]
	// free holds the records Committed dropped, for newRecord to hand out
	// again: a leader makes a few records for every write and drops them as
	// the writes commit, so recycling them spares allocating (and collecting)
	// a steady stream of them.
	// Invariant: every record on free is zero, and nothing else refers to it.
	free []*record
	// data holds the copies of request data that the preparer's txns carry.
	data byteChunks

	// CheckSession, when set, replaces the check that a request's session is
	// live (SessionTracker.checkSession), so that a server can add its own
	// rules, such as SessionMoved. It returns OK or the code to fail with.
	CheckSession func(SessionID) Code
}

// record is the projected state of one path (or one session) after a
// prepared txn (ZooKeeper's ChangeRecord).
type record struct {
	zxid Zxid
	path string
	// exists is false for a path the txn deletes.
	exists bool
	// node holds the data and persisted stat; its children field is unused,
	// and its acl field is only a hint for aclHash: the ref of the tree node
	// the record was copied from, if any.
	node       znode
	acl        []ACL
	childCount int32

	// session records: live says whether the session exists after the txn.
	isSession bool
	session   SessionID
	live      bool
	timeout   int32
}

type undoEntry struct {
	path      string
	session   SessionID
	isSession bool
	prev      *record
}

// NewPreparer returns a preparer over t.
func NewPreparer(t *Tree) *Preparer {
	return &Preparer{
		tree:     t,
		pending:  make(map[string]*record),
		sessions: make(map[SessionID]*record),
		digest:   t.digest,
	}
}

// Pending returns the number of prepared txns' records not yet committed.
func (p *Preparer) Pending() int { return len(p.log) - p.head }

// Committed drops the records of every txn up to and including zxid: the
// tree has applied them and now answers for those paths itself.
func (p *Preparer) Committed(zxid Zxid) {
	for p.head < len(p.log) && p.log[p.head].zxid <= zxid {
		r := p.log[p.head]
		p.log[p.head] = nil
		p.head++
		if r.isSession {
			if p.sessions[r.session] == r {
				delete(p.sessions, r.session)
			}
		} else if p.pending[r.path] == r {
			delete(p.pending, r.path)
		}
		// Nothing refers to r now: the log held it once, and a map at most
		// as its path's newest record (a newer record of the path is a copy,
		// not a reference). Undo entries live only inside prepMulti.
		*r = record{}
		p.free = append(p.free, r)
	}
	if p.head == len(p.log) {
		p.log = p.log[:0]
		p.head = 0
		p.digest = p.tree.digest
	} else if p.head > 1024 && p.head*2 > len(p.log) {
		p.log = append(p.log[:0], p.log[p.head:]...)
		p.head = 0
	}
}

// Reset forgets every pending record, for a server that stops leading.
func (p *Preparer) Reset() {
	clear(p.pending)
	clear(p.sessions)
	p.log = p.log[:0]
	p.head = 0
	p.digest = p.tree.digest
}

// lookup returns the view of path: its newest pending record, or scratch
// filled from the tree when no txn pending changes path; nil when the path
// does not exist in the view. A record built from the tree is only read,
// duplicated or replaced (put's prev), never stored, so it lives in the
// caller's frame (scratch) rather than on the heap: most requests look up a
// node or two that no pending txn touches.
func (p *Preparer) lookup(path string, scratch *record) *record {
	if r, ok := p.pending[path]; ok {
		if !r.exists {
			return nil
		}
		return r
	}
	n, ok := p.tree.nodes[path]
	if !ok {
		return nil
	}
	*scratch = record{zxid: -1, path: path, exists: true, node: *n, acl: p.tree.acls.get(n.acl), childCount: int32(n.children.len())}
	scratch.node.children = nil
	return scratch
}

// exists reports whether path exists in the view (lookup's result is not nil).
func (p *Preparer) exists(path string) bool {
	if r, ok := p.pending[path]; ok {
		return r.exists
	}
	_, ok := p.tree.nodes[path]
	return ok
}

// sessionLive reports whether a session exists in the view.
func (p *Preparer) sessionLive(s SessionID) bool {
	if r, ok := p.sessions[s]; ok {
		return r.live
	}
	_, ok := p.tree.sessions[s]
	return ok
}

func (p *Preparer) checkSession(s SessionID) Code {
	if p.CheckSession != nil {
		return p.CheckSession(s)
	}
	if p.sessionLive(s) {
		return OK
	}
	return SessionExpired
}

// present reports whether r is a record of a node that exists.
func (r *record) present() bool { return r != nil && r.exists }

// aclHash is the hash of the record's ACL as aclTable hashes it: the
// table's own when it knows the list (a record copied from the tree, or a new
// node's ACL equal to the one interned last), else with its key built on the
// stack.
func (r *record) aclHash(acls *aclTable) uint64 {
	if h, ok := acls.knownHash(r.acl, r.node.acl); ok {
		return h
	}
	var buf [64]byte
	return hashBytes(seedACL, appendACLKey(buf[:0], r.acl))
}

// termDelta is what replacing prev by r adds to the digest: r's term (a
// node's dataTerm plus metaTerm, nothing for a deleted path) minus prev's,
// where prev is nil or a record of r's path. It hashes the path once, and
// data or an ACL the two records share (a duplicated parent keeps both) not
// at all where the terms cancel or repeat.
func termDelta(prev, r *record, acls *aclTable) uint64 {
	if !r.present() && !prev.present() {
		return 0
	}
	ph := hashString(seedPath, r.path)
	var d, rACL uint64
	both := r.present() && prev.present()
	if !both || !sameBytes(r.node.data, prev.node.data) {
		if r.present() {
			d += dataTerm(ph, r.node.data)
		}
		if prev.present() {
			d -= dataTerm(ph, prev.node.data)
		}
	}
	if r.present() {
		rACL = r.aclHash(acls)
		d += metaTerm(ph, &r.node, rACL)
	}
	if prev.present() {
		prevACL := rACL
		if !both || !sameACLs(r.acl, prev.acl) {
			prevACL = prev.aclHash(acls)
		}
		d -= metaTerm(ph, &prev.node, prevACL)
	}
	return d
}

// sameBytes reports whether a and b are the same slice (or both empty), so
// equal without looking at the bytes.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// sameACLs is sameBytes for ACL lists.
func sameACLs(a, b []ACL) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// put makes r the newest record of its path, moving the expected digest
// from the term of prev (the view before: nil, or a record of the same
// path) to r's.
func (p *Preparer) put(prev, r *record) {
	p.digest += termDelta(prev, r, &p.tree.acls)
	if p.recording {
		p.undo = append(p.undo, undoEntry{path: r.path, prev: p.pending[r.path]})
	}
	p.pending[r.path] = r
	p.log = append(p.log, r)
}

func (p *Preparer) putSession(r *record) {
	if p.recording {
		p.undo = append(p.undo, undoEntry{isSession: true, session: r.session, prev: p.sessions[r.session]})
	}
	p.sessions[r.session] = r
	p.log = append(p.log, r)
}

// newRecord returns a zeroed record of the preparer's own: one Committed
// dropped, or one from a slab (records are dropped in zxid order as their
// txns commit, so a slab's records live about as long as each other).
func (p *Preparer) newRecord() *record {
	if n := len(p.free); n > 0 {
		r := p.free[n-1]
		p.free = p.free[:n-1]
		return r
	}
	return p.records.one()
}

// newTxn returns a zeroed txn for the caller of Prepare to own, from a
// slab: txns stay in the server's log, about as long as each other.
func (p *Preparer) newTxn() *Txn { return p.txns.one() }

// duplicate copies a record for a new txn, as ChangeRecord.duplicate does.
func (p *Preparer) duplicate(r *record, zxid Zxid) *record {
	d := p.newRecord()
	*d = *r
	d.zxid = zxid
	return d
}

// Prepare validates req, sent by hdr.Session, against the view and returns
// its txn with hdr's zxid and time. auth is the identities of the
// connection the request came on. A request that fails becomes an error txn
// (zookeeper.md A7.1); a multi that fails becomes a multi txn whose failing
// op is an error (A7). Prepare returns nil for an opcode that is not a write.
func (p *Preparer) Prepare(hdr Header, req *Request, auth Auth) *Txn {
	if len(p.log) == p.head {
		p.digest = p.tree.digest
	}
	x := p.newTxn()
	x.Header, x.Type = hdr, req.Type
	switch req.Type {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL, OpDelete, OpSetData, OpSetACL, OpCheck:
		if code := p.prepOp(x, req, hdr, auth); code != OK {
			*x = errorTxn(hdr, code)
		}
	case OpDeleteContainer:
		if code := p.prepDeleteContainer(x, req.Path, hdr); code != OK {
			*x = errorTxn(hdr, code)
		}
	case OpMulti:
		p.prepMulti(x, req, hdr, auth)
	case OpCreateSession:
		x.Timeout = req.Timeout
		if old, ok := p.currentSessionTimeout(hdr.Session); ok {
			p.digest -= sessionTerm(hdr.Session, old)
		}
		p.digest += sessionTerm(hdr.Session, req.Timeout)
		r := p.newRecord()
		*r = record{zxid: hdr.Zxid, isSession: true, session: hdr.Session, live: true, timeout: req.Timeout}
		p.putSession(r)
	case OpCloseSession:
		p.prepCloseSession(x, hdr)
	default:
		return nil
	}
	x.Digest = p.digest
	return x
}

// errorTxn is the txn of a request that failed with code. The callers write
// it over the txn they were preparing, which nothing else holds yet, rather
// than allocate a second one.
func errorTxn(hdr Header, code Code) Txn {
	return Txn{Header: hdr, Type: OpError, Err: code}
}

// prepMulti prepares each op in order against the view as the earlier ops
// left it. On the first failure it takes back the records of the earlier
// ops and marks every later op RuntimeInconsistency, without preparing it
// (PrepRequestProcessor, case multi; zookeeper.md A7).
func (p *Preparer) prepMulti(x *Txn, req *Request, hdr Header, auth Auth) {
	x.Ops = p.txns.take(len(req.Ops))
	for i := range req.Ops {
		switch req.Ops[i].Type {
		case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL, OpDelete, OpSetData, OpCheck:
		default:
			// ZooKeeper cannot decode such a multi: the whole request fails.
			*x = errorTxn(hdr, MarshallingError)
			return
		}
	}
	digestBefore := p.digest
	logBefore := len(p.log)
	p.recording = true
	p.undo = p.undo[:0]
	failed := false
	for i := range req.Ops {
		sub := &x.Ops[i]
		if failed {
			*sub = Txn{Type: OpError, Err: RuntimeInconsistency}
			continue
		}
		sub.Type = req.Ops[i].Type
		if code := p.prepOp(sub, &req.Ops[i], hdr, auth); code != OK {
			*sub = Txn{Type: OpError, Err: code}
			failed = true
		}
	}
	p.recording = false
	if failed {
		for i := len(p.undo) - 1; i >= 0; i-- {
			u := p.undo[i]
			if u.isSession {
				restore(p.sessions, u.session, u.prev)
			} else {
				restore(p.pending, u.path, u.prev)
			}
		}
		clear(p.log[logBefore:])
		p.log = p.log[:logBefore]
		p.digest = digestBefore
	}
	p.undo = p.undo[:0]
}

func restore[K comparable](m map[K]*record, key K, prev *record) {
	if prev == nil {
		delete(m, key)
	} else {
		m[key] = prev
	}
}

// prepOp prepares one create, delete, setData, setACL or check into x,
// adding its change records to the view. On failure it adds nothing and
// returns the code. The order of checks is ZooKeeper's (zookeeper.md A5),
// preceded by the checks the Java client makes before sending: path syntax,
// TTL range and a non-empty ACL.
func (p *Preparer) prepOp(x *Txn, req *Request, hdr Header, auth Auth) Code {
	switch req.Type {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL:
		return p.prepCreate(x, req, hdr, auth)
	case OpDelete:
		return p.prepDelete(x, req, hdr, auth)
	case OpSetData:
		return p.prepSetData(x, req, hdr, auth)
	case OpSetACL:
		return p.prepSetACL(x, req, hdr, auth)
	case OpCheck:
		return p.prepCheck(x, req, hdr, auth)
	}
	return MarshallingError
}

// checkACL is CheckACL unless the tree was built with SkipACL.
func (p *Preparer) checkACL(acl []ACL, perm Perm, auth Auth) Code {
	if p.tree.opts.SkipACL {
		return OK
	}
	return CheckACL(acl, perm, auth)
}

// checkVersion is checkAndIncVersion (zookeeper.md A6): -1 matches any
// version; the new version is current+1.
func checkVersion(current, expected int32) (int32, Code) {
	if expected != -1 && expected != current {
		return 0, BadVersion
	}
	return current + 1, OK
}

// createModeMatches pairs an opcode with its mode as the Java client does:
// createContainer for a container, createTTL for the TTL modes.
func createModeMatches(op OpCode, mode CreateMode) bool {
	switch {
	case mode.IsContainer():
		return op == OpCreateContainer
	case mode.IsTTL():
		return op == OpCreateTTL
	}
	return op == OpCreate || op == OpCreate2
}

func (p *Preparer) prepCreate(x *Txn, req *Request, hdr Header, auth Auth) Code {
	mode := req.Mode
	if !mode.Valid() || !createModeMatches(req.Type, mode) {
		return BadArguments
	}
	// The Java client's checks (ZooKeeper.create).
	if ValidateCreatePath(req.Path, mode.IsSequential()) != nil {
		return BadArguments
	}
	if mode.IsTTL() && (req.TTL <= 0 || req.TTL > MaxTTL) {
		return BadArguments
	}
	if len(req.ACL) == 0 {
		return InvalidACL
	}
	// The server's checks (PrepRequestProcessor.pRequest2TxnCreate).
	if mode.IsTTL() && !p.tree.opts.ExtendedTypes {
		return Unimplemented
	}
	if code := p.checkSession(hdr.Session); code != OK {
		return code
	}
	acl, code := fixupACL(auth, req.ACL, p.lastACL)
	if code != OK {
		return code
	}
	// A sequential prefix may end in '/': "/q/" names parent "/q".
	var parentBuf record
	parent := p.lookup(ParentPath(req.Path), &parentBuf)
	if parent == nil {
		return NoNode
	}
	if code := p.checkACL(parent.acl, PermCreate, auth); code != OK {
		return code
	}
	path := req.Path
	if mode.IsSequential() {
		path = SequentialName(path, parent.node.cversion)
	}
	if p.exists(path) {
		return NodeExists
	}
	if p.tree.kind(parent.node.ephemeralOwner) == kindNormal {
		return NoChildrenForEphemerals
	}

	var owner int64
	switch {
	case mode.IsContainer():
		owner = ContainerOwner
	case mode.IsTTL():
		owner = TTLOwner(req.TTL)
	case mode.IsEphemeral():
		owner = int64(hdr.Session)
	}
	data := p.data.clone(req.Data)
	x.Path = path
	x.Data = data
	x.ACL = acl
	p.lastACL = acl
	x.EphemeralOwner = owner
	x.ParentCversion = parent.node.cversion + 1

	dup := p.duplicate(parent, hdr.Zxid)
	dup.childCount++
	dup.node.cversion = x.ParentCversion
	dup.node.pzxid = hdr.Zxid
	p.put(parent, dup)
	r := p.newRecord()
	*r = record{
		zxid: hdr.Zxid, path: path, exists: true, acl: acl,
		node: znode{data: data, czxid: hdr.Zxid, mzxid: hdr.Zxid, pzxid: hdr.Zxid,
			ctime: hdr.Time, mtime: hdr.Time, ephemeralOwner: owner},
	}
	p.put(nil, r)
	return OK
}

func (p *Preparer) prepDelete(x *Txn, req *Request, hdr Header, auth Auth) Code {
	if ValidatePath(req.Path) != nil {
		return BadArguments
	}
	if code := p.checkSession(hdr.Session); code != OK {
		return code
	}
	if IsSpecialPath(req.Path) {
		return BadArguments
	}
	var parentBuf, nodeBuf record
	parent := p.lookup(ParentPath(req.Path), &parentBuf)
	if parent == nil {
		return NoNode
	}
	if code := p.checkACL(parent.acl, PermDelete, auth); code != OK {
		return code
	}
	node := p.lookup(req.Path, &nodeBuf)
	if node == nil {
		return NoNode
	}
	if _, code := checkVersion(node.node.version, req.Version); code != OK {
		return code
	}
	if node.childCount > 0 {
		return NotEmpty
	}
	x.Path = req.Path
	p.deleteRecords(parent, node, hdr.Zxid)
	return OK
}

// deleteRecords records the deletion of node, a child of parent.
func (p *Preparer) deleteRecords(parent, node *record, zxid Zxid) {
	dup := p.duplicate(parent, zxid)
	dup.childCount--
	dup.node.pzxid = zxid
	p.put(parent, dup)
	r := p.newRecord()
	r.zxid, r.path = zxid, node.path
	p.put(node, r)
}

// prepDeleteContainer prepares the leader's own request to reap a container
// or TTL node (zookeeper.md A2.1). It has no session and no ACL check, and
// fails with NotEmpty if a child appeared since the node became a candidate,
// or BadVersion if the path now holds a session's ephemeral.
func (p *Preparer) prepDeleteContainer(x *Txn, path string, hdr Header) Code {
	if ValidatePath(path) != nil || IsSpecialPath(path) {
		return BadArguments
	}
	var parentBuf, nodeBuf record
	node := p.lookup(path, &nodeBuf)
	if node == nil {
		return NoNode
	}
	if node.childCount > 0 {
		return NotEmpty
	}
	if p.tree.kind(node.node.ephemeralOwner) == kindNormal {
		return BadVersion
	}
	parent := p.lookup(ParentPath(path), &parentBuf)
	if parent == nil {
		return NoNode
	}
	x.Path = path
	p.deleteRecords(parent, node, hdr.Zxid)
	return OK
}

// checkedNode runs the checks setData and check share, in ZooKeeper's
// order: path syntax, session, NoNode, the permission perm, then the data
// version. It returns the node's record (scratch when it comes from the
// tree, see lookup) and its next version.
func (p *Preparer) checkedNode(req *Request, hdr Header, auth Auth, perm Perm, scratch *record) (*record, int32, Code) {
	if ValidatePath(req.Path) != nil {
		return nil, 0, BadArguments
	}
	if code := p.checkSession(hdr.Session); code != OK {
		return nil, 0, code
	}
	node := p.lookup(req.Path, scratch)
	if node == nil {
		return nil, 0, NoNode
	}
	if code := p.checkACL(node.acl, perm, auth); code != OK {
		return nil, 0, code
	}
	version, code := checkVersion(node.node.version, req.Version)
	return node, version, code
}

func (p *Preparer) prepSetData(x *Txn, req *Request, hdr Header, auth Auth) Code {
	var nodeBuf record
	node, version, code := p.checkedNode(req, hdr, auth, PermWrite, &nodeBuf)
	if code != OK {
		return code
	}
	data := p.data.clone(req.Data)
	x.Path = req.Path
	x.Data = data
	x.Version = version
	dup := p.duplicate(node, hdr.Zxid)
	dup.node.version = version
	dup.node.mtime = hdr.Time
	dup.node.mzxid = hdr.Zxid
	dup.node.data = data
	p.put(node, dup)
	return OK
}

func (p *Preparer) prepSetACL(x *Txn, req *Request, hdr Header, auth Auth) Code {
	if ValidatePath(req.Path) != nil {
		return BadArguments
	}
	if len(req.ACL) == 0 {
		return InvalidACL
	}
	if code := p.checkSession(hdr.Session); code != OK {
		return code
	}
	acl, code := fixupACL(auth, req.ACL, p.lastACL)
	if code != OK {
		return code
	}
	var nodeBuf record
	node := p.lookup(req.Path, &nodeBuf)
	if node == nil {
		return NoNode
	}
	if code := p.checkACL(node.acl, PermAdmin, auth); code != OK {
		return code
	}
	version, code := checkVersion(node.node.aversion, req.Version)
	if code != OK {
		return code
	}
	x.Path = req.Path
	x.ACL = acl
	p.lastACL = acl
	x.Version = version
	dup := p.duplicate(node, hdr.Zxid)
	dup.node.aversion = version
	dup.acl = acl
	p.put(node, dup)
	return OK
}

func (p *Preparer) prepCheck(x *Txn, req *Request, hdr Header, auth Auth) Code {
	var nodeBuf record
	_, version, code := p.checkedNode(req, hdr, auth, PermRead, &nodeBuf)
	if code != OK {
		return code
	}
	x.Path = req.Path
	x.Version = version
	return OK
}

// prepCloseSession lists the session's ephemerals in the view: the tree's,
// plus those pending creates add, minus those pending deletes remove; the
// txn carries them sorted (CloseSessionTxn.paths2Delete). Each deletion
// moves its parent's pzxid. As in ZooKeeper 3.8 the parent's projected
// child count is not decremented, so a delete of that parent prepared
// before the close commits still sees the ephemerals and fails NotEmpty.
func (p *Preparer) prepCloseSession(x *Txn, hdr Header) {
	es := make(map[string]struct{})
	for path := range p.tree.ephemerals[hdr.Session].all {
		es[path] = struct{}{}
	}
	for _, r := range p.log[p.head:] {
		switch {
		case r.isSession:
		case !r.exists:
			delete(es, r.path)
		case r.node.ephemeralOwner == int64(hdr.Session):
			es[r.path] = struct{}{}
		}
	}
	x.Paths = sortedKeys(es)
	var parentBuf, nodeBuf record
	for _, path := range x.Paths {
		if parent := p.lookup(ParentPath(path), &parentBuf); parent != nil {
			dup := p.duplicate(parent, hdr.Zxid)
			dup.node.pzxid = hdr.Zxid
			p.put(parent, dup)
		}
		r := p.newRecord()
		r.zxid, r.path = hdr.Zxid, path
		p.put(p.lookup(path, &nodeBuf), r)
	}
	if old, ok := p.currentSessionTimeout(hdr.Session); ok {
		p.digest -= sessionTerm(hdr.Session, old)
	}
	r := p.newRecord()
	r.zxid, r.isSession, r.session = hdr.Zxid, true, hdr.Session
	p.putSession(r)
}

// currentSessionTimeout returns a session's timeout in the view.
func (p *Preparer) currentSessionTimeout(s SessionID) (int32, bool) {
	if r, ok := p.sessions[s]; ok {
		return r.timeout, r.live
	}
	timeout, ok := p.tree.sessions[s]
	return timeout, ok
}
