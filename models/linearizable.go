package models

import (
	"cmp"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"zoosim/histories"
	"zoosim/tree"
)

// DefaultLinearizableTimeout bounds porcupine's search (wall clock, all partitions together)
// when LinearizableOptions.Timeout is zero.
const DefaultLinearizableTimeout = 30 * time.Second

// LinearizableOptions configure CheckLinearizable and VisualizeLinearizable. The zero value is
// the recommended setting: oracle patching on, a 30 s timeout.
type LinearizableOptions struct {
	// Timeout bounds porcupine's search in wall-clock time, across all partitions; 0 means
	// DefaultLinearizableTimeout and a negative value means no bound. A search cut short makes
	// the verdict Inconclusive, never Pass.
	Timeout time.Duration
	// Unpatched turns oracle patching off (tooling.md 1.6): every write with an Unknown outcome
	// is then checked as porcupine expects, returning at infinity and free to have taken effect
	// or not. With patching on (the default), an Unknown write whose txn is in the committed
	// log is checked as completed with that txn's outcome, returning at the txn's first apply,
	// and an Unknown write with no txn is dropped: it never took effect. Acknowledged writes are
	// never patched.
	Unpatched bool
}

// ErrLinearizableEmpty: VisualizeLinearizable was given a history without a write to show.
var ErrLinearizableEmpty = errors.New("models: the history has no writes to visualize")

// CheckLinearizable checks that the history's writes are linearizable (zookeeper.md A10:
// "write operations in ZooKeeper are linearizable"; reads are not, since followers serve them,
// A11, so they are left to the zxid-order checker). It runs porcupine (tooling.md 1) on a znode
// model, partitioned by path where that is sound.
//
// # What is checked
//
// Every write a client issued (histories.IsWrite), with its outcome: an acknowledged write
// (OK or Failed: a failed write is a txn too, A7.1) must be explained by the model, in its
// [invoke, return] interval, with the same error code (in ZooKeeper's check order, A5, with
// version -1 matching any version, A6), the same created path (sequential suffix included, A3)
// and the same data version, ACL version, data length and ephemeral owner in the returned
// stat (A4). A multi is all-or-nothing, with per-op results as in A7. zxids (czxid, mzxid,
// pzxid) are global counters and are not compared (tooling.md 1.5): the zxid-order checker
// owns them. Porcupine times are the histories' Seqs, which order every record strictly.
//
// The committed log (h.Log without tentative txns, as CheckZxidOrder reads it) also changes
// the tree without a client op: a closeSession txn no client closeSession issued is a session
// expiry (A9), which deletes the session's ephemerals; a deleteContainer txn is the leader
// reaping a container or TTL node (A2.1); any other write txn no recorded op issued changed
// the tree all the same. Each becomes a
// synthetic op whose call and return are the Seq of the first histories.Applied record of its
// zxid: the first apply of a zxid is the leader's, at the commit, its linearization point.
// Error txns and failed multis in the log changed nothing and are skipped.
//
// Codes the znode model cannot predict (BadArguments, InvalidACL, SessionExpired,
// SessionMoved, Unimplemented, quota and throttling codes, ...) are accepted as failures
// without effect; a request the client could see was malformed (a bad path, a bad create mode,
// an empty ACL) must fail. The connection's ACL identities are not in the history, so NoAuth
// is accepted wherever ZooKeeper checks permissions (after the parent or node lookup), and
// success implies the permission was there. ZooKeeper 3.8 (and tree.Preparer) keeps the
// projected child count of a closing session's ephemerals' parents until the close commits,
// so a delete of such a parent prepared meanwhile fails NotEmpty; that needs no lenience: the
// delete was invoked before the close's commit, so it linearizes before the close.
//
// # Unknown outcomes
//
// An Unknown write (tooling.md 1.6) returns at infinity and its Step always applies it when
// ZooKeeper would accept it: "did not take effect" is the linearization that puts it last,
// after every other op, so the model needs no nondeterminism. After an Unknown op, the same
// client's later ops take a new porcupine ClientId, since one ClientId's ops must not overlap.
// Oracle patching (LinearizableOptions.Unpatched) resolves Unknown writes from the log.
//
// # Partitions
//
// Porcupine's cost is exponential in the ops that overlap in one partition and its memo keeps
// a bitset of the partition's ops per state, so the history is split into independent
// partitions (tooling.md 1.4): a union-find over paths joins every pair of paths where an op on
// one can change the outcome of an op on the other, and each partition is checked alone. The
// couplings, and why each is needed:
//   - every path of a multi: it is atomic and its ops see each other's effects (A7);
//   - a create or delete with its parent, unless the parent is settled: the create reads the
//     parent's existence (NoNode) and kind (NoChildrenForEphemerals), and both change the
//     parent's child count. A parent is settled when nothing in the history can delete it, no
//     create of it is ephemeral, and every create of it that may have taken effect returned
//     before the first create or delete under it was invoked; then its existence and kind are
//     fixed for every op under it, and the child count is only read by a delete of the parent,
//     which would couple them anyway. (Without this refinement every path under a base node a
//     workload creates first would fall into one partition.)
//   - a deleted node with every child that may ever exist: a delete reads the child count
//     (NotEmpty, A5);
//   - a parent with sequential creates and every child path the history names: the suffix is
//     the parent's child-create counter, which every child create moves (A3), and a sequential
//     create with an unknown outcome may have created any of the names;
//   - a client's closeSession with every ephemeral its session may have created: the close
//     deletes them atomically (A9). A session expiry is a synthetic op with a point interval,
//     so it is split into one op per partition it touches instead: an op whose call and return
//     are the same instant linearizes at that instant in every partition, and the partitions'
//     linearizations then merge into one.
//
// Paths whose parent is settled and never deleted are checked alone: the model gives such a
// parent its fixed state.
//
// # The log's order first
//
// Before porcupine searches a partition, the order of its ops' txns in the committed log is
// tried as a linearization (linPartition.linearizeByZxid): when it respects real time
// and the model accepts it step by step, the partition is linearizable and needs no search.
// That is the common case and costs one pass; a partition it cannot prove (a partition with
// an Unknown op, a reply the model contradicts in that order) goes to porcupine exactly as
// before, so every failure is still found, explained and visualized by porcupine.
//
// # Verdict
//
// Pass when every partition linearizes; Fail with one violation per partition that cannot,
// naming its paths and, from porcupine's longest partial linearization (CheckOperationsVerbose,
// run only for a failing partition), the ops none of which could go next, what the model
// expected of each, and the linearized ops that last touched their paths (Violation.Ops lists
// them, the stuck op with the earliest return first); Inconclusive when the timeout cut the
// search short. The summary gives the ops checked, the partitions and the largest partition.
// Verdicts are deterministic except for which partitions a timeout interrupts.
func CheckLinearizable(h *histories.History, opts LinearizableOptions) Verdict {
	c := linBuild(h, opts)
	results := c.run()
	return c.verdict(results)
}

// VisualizeLinearizable writes porcupine's HTML visualization (tooling.md 1.3) of the part of
// the history worth looking at: the partitions that fail (at most linVisualizeParts), else
// those the timeout interrupted, else the largest partition. The faults of h are annotations,
// one row per server for faults on one server and one row per fault kind for the others. A
// partition larger than linVisualizeMaxOps is cut to a window that starts from the model
// state at the cut: the end of the longest partial linearization and the ops that could not
// follow it when the partition fails, the start of a linearization when it passes, its first
// ops when it timed out.
func VisualizeLinearizable(h *histories.History, opts LinearizableOptions, w io.Writer) error {
	c := linBuild(h, opts)
	if len(c.parts) == 0 {
		return ErrLinearizableEmpty
	}
	results := c.run()
	var chosen []int
	for _, want := range []porcupine.CheckResult{porcupine.Illegal, porcupine.Unknown} {
		for i, r := range results {
			if r == want && len(chosen) < linVisualizeParts {
				chosen = append(chosen, i)
			}
		}
		if len(chosen) > 0 {
			break
		}
	}
	if len(chosen) == 0 {
		largest := 0
		for i, p := range c.parts {
			if len(p.ops) > len(c.parts[largest].ops) {
				largest = i
			}
		}
		chosen = []int{largest}
	}
	return c.visualize(chosen, results, w)
}

const (
	// linVisualizeParts bounds how many partitions one visualization shows.
	linVisualizeParts = 3
	// linVisualizeMaxOps bounds the ops of one partition in a visualization: porcupine's HTML
	// grows with ops times partial linearizations (tooling.md 1.3, porcupine#20).
	linVisualizeMaxOps = 400
	// linExplainCandidates bounds the stuck ops a violation message describes.
	linExplainCandidates = 4
	// linExplainBudget is the least time a failing partition gets for its explanation.
	linExplainBudget = 5 * time.Second
)

// ---------------------------------------------------------------------------------------------
// The compiled history.

// linKind is what a compiled request does.
type linKind uint8

const (
	linCreate linKind = iota + 1
	linDelete
	linDeleteContainer // the leader's reaping of a container or TTL node (A2.1)
	linSetData
	linSetACL
	linCheck
)

// linOrigin says where an op's outcome comes from.
type linOrigin uint8

const (
	linAcked     linOrigin = iota + 1 // the server answered
	linPatched                        // Unknown, resolved from its txn in the log
	linUnknown                        // Unknown, unresolved: returns at infinity
	linSynthetic                      // a txn in the log that no client op issued
)

// linReq is one create, delete, setData, setACL or check: a whole op or one op of a multi.
// Paths are global path ids while the history is compiled and partition-local indices after
// linBuild localizes them.
type linReq struct {
	kind linKind
	// static is the code a malformed request fails with before ZooKeeper reads any state
	// (BadArguments, InvalidACL); OK for a well-formed one. A static request names no path.
	static tree.Code
	// path is the target; -1 for a sequential create, whose name comes from the counter.
	path int32
	// parent is the parent of a create or delete (the key of a sequential create); after
	// localizing, -1 when the parent is outside the partition and fixed (parentFixed).
	parent      int32
	parentFixed linNode
	// prefix is a sequential create's path before the suffix; seqNames maps a counter value to
	// the local index of the child it names, for the names the history mentions.
	prefix   string
	seqNames map[int32]int32
	// flags are the kind flags of a created node (linEphemeral, linContainer, linTTL).
	flags uint8
	// owner is the session that owns a created ephemeral.
	owner   int64
	version int32 // the expected version (aversion for setACL); -1 matches any (A6)
	dataLen int32
	// obs is what the reply said of this request, for a request that succeeded.
	obs linObs
}

// linObs is what an op's reply (or its txn, when patched) says beyond the code.
type linObs struct {
	// counter is the suffix of the path a sequential create returned (when hasCounter), and
	// named that path's global id (partition reads it; localize leaves it global).
	counter    int32
	hasCounter bool
	named      int32
	// stat holds the stat fields the reply carried, those marked in statMask.
	stat     linNode
	statMask uint8
}

// The stat fields a reply can carry that the model knows.
const (
	linStatVersion uint8 = 1 << iota
	linStatAversion
	linStatDataLen
	linStatOwner
	linStatAll = linStatVersion | linStatAversion | linStatDataLen | linStatOwner
)

// linOp is one op as porcupine checks it: a client write, a patched Unknown write, or a
// synthetic op from the log.
type linOp struct {
	// id is the op's ID in h.Ops, or -1 for a synthetic op.
	id     int
	origin linOrigin
	// txn is the op's txn in h.Log (patched and synthetic ops), or nil.
	txn     *tree.Txn
	client  int // -1 for a synthetic op
	session tree.SessionID
	reqs    []linReq
	multi   bool
	// close: a closeSession (a client's or an expiry) deleting session's ephemerals among
	// cands, the local indices of every path it may own in the partition.
	close bool
	cands []int32
	// code is the outcome's code (a failed multi: its failing op's); failAt is the index of a
	// failed multi's failing op, -1 when the reply did not say.
	code   tree.Code
	failAt int
	// bad says why the reply cannot come from any state (a created path that is not the
	// request's); such an op never steps.
	bad string
	// zxid is the zxid of the op's txn in the log (for an acknowledged write whose txn is not
	// found, its reply's zxid; 0 for a client write without either). It only orders the
	// linearization linearizeByZxid tries first: nothing is concluded from it unverified.
	zxid tree.Zxid
	// call and ret are porcupine times (Seqs; ret is math.MaxInt64 for an Unknown op); invoke
	// and returned are virtual times, for messages.
	call, ret        int64
	invoke, returned histories.Time
	stream           int // porcupine ClientId
	part             *linPartition
}

// ---------------------------------------------------------------------------------------------
// Building: match the log, compile the ops, partition.

type linTxnKey struct {
	session tree.SessionID
	cxid    int32
}

// linChecker holds a compiled history.
type linChecker struct {
	h    *histories.History
	opts LinearizableOptions

	paths  []string
	pathID map[string]int32

	ops   []*linOp
	parts []*linPartition
	// opChunk and reqChunk are the chunks newOp and newReqs allocate from.
	opChunk  []linOp
	reqChunk []linReq

	// counts for the summary
	acked, patched, dropped, unknown, synthetic, skipped int
}

// linBuild compiles h's writes into ops and partitions.
func linBuild(h *histories.History, opts LinearizableOptions) *linChecker {
	if opts.Timeout == 0 {
		opts.Timeout = DefaultLinearizableTimeout
	}
	c := &linChecker{h: h, opts: opts, pathID: map[string]int32{}}
	c.compile()
	c.partition()
	return c
}

func (c *linChecker) intern(path string) int32 {
	if id, ok := c.pathID[path]; ok {
		return id
	}
	id := int32(len(c.paths))
	c.paths = append(c.paths, path)
	c.pathID[path] = id
	return id
}

// compile matches client writes with their txns, decides each write's origin, and compiles
// every write and every txn no client issued into ops with global path ids.
func (c *linChecker) compile() {
	h := c.h
	// Tentative txns (a would-be leader's initial history that a later established leader
	// dropped) never committed: they neither patch an Unknown write nor become synthetic ops.
	log := ordCommitted(h)
	// The first apply of each txn of the log (by its position, or the first position of its
	// zxid): the commit, the txn's linearization point.
	type applyAt struct {
		seq  histories.Seq
		time histories.Time
		ok   bool
	}
	index := newZxidIndex(zxidsOf(log))
	firstAt := make([]applyAt, len(log))
	for _, list := range h.Applied {
		for k := range list {
			a := &list[k]
			if i := index.find(a.Zxid); i >= 0 && (!firstAt[i].ok || a.Seq < firstAt[i].seq) {
				firstAt[i] = applyAt{a.Seq, a.Time, true}
			}
		}
	}
	first := func(z tree.Zxid) applyAt {
		if i := index.find(z); i >= 0 {
			return firstAt[i]
		}
		return applyAt{}
	}
	// txnOf[k] is the first log index of the txns with key k, and sameKey[i] the next index
	// after i with the same key (-1 after the last): lists in log order without a slice per
	// key, since almost every key has one txn.
	txnOf := make(map[linTxnKey]int32, len(log))
	sameKey := make([]int32, len(log))
	for i := len(log) - 1; i >= 0; i-- {
		sameKey[i] = -1
		if x := log[i]; x.Type != tree.OpCreateSession {
			k := linTxnKey{x.Session, x.Cxid}
			if next, ok := txnOf[k]; ok {
				sameKey[i] = next
			}
			txnOf[k] = int32(i)
		}
	}
	// lookup finds op's txn under session: the one with its (session, xid) whose type is the
	// request's or an error (an expiry's closeSession carries xid 0, which no request has).
	lookup := func(op *histories.Op, s tree.SessionID) int {
		i, ok := txnOf[linTxnKey{s, op.Xid}]
		for ; ok && i >= 0; i = sameKey[i] {
			if t := log[i].Type; t == op.Req.Type || t == tree.OpError {
				return int(i)
			}
		}
		return -1
	}
	// The sessions each client had, for ops invoked before their session existed.
	sessionsOf := map[int][]tree.SessionID{}
	addSession := func(client int, s tree.SessionID) {
		if s != 0 && !slices.Contains(sessionsOf[client], s) {
			sessionsOf[client] = append(sessionsOf[client], s)
		}
	}
	for i := range h.Ops {
		addSession(h.Ops[i].Client, h.Ops[i].Session)
	}
	for i := range h.Events {
		if e := &h.Events[i]; e.IsSession() {
			addSession(e.Client, e.Session)
		}
	}
	findTxn := func(op *histories.Op) (int, tree.SessionID) {
		if op.Session != 0 {
			return lookup(op, op.Session), op.Session
		}
		for _, s := range sessionsOf[op.Client] {
			if i := lookup(op, s); i >= 0 {
				return i, s
			}
		}
		return -1, 0
	}

	matched := make([]bool, len(log))
	for i := range h.Ops {
		op := &h.Ops[i]
		if !op.IsWrite() {
			continue
		}
		ti, session := findTxn(op)
		if ti >= 0 {
			matched[ti] = true
		}
		lo := c.newOp()
		lo.id, lo.client, lo.session, lo.zxid, lo.failAt = op.ID, op.Client, session, op.Zxid, -1
		lo.call, lo.invoke = int64(op.InvokeSeq), op.Invoke
		if ti >= 0 {
			lo.zxid = log[ti].Zxid
		}
		if ss := sessionsOf[op.Client]; lo.session == 0 && len(ss) == 1 {
			lo.session = ss[0] // invoked before its session existed, sent on the only one it had
		}
		switch {
		case op.Outcome != histories.Unknown:
			lo.origin = linAcked
			lo.ret, lo.returned = int64(op.ReturnSeq), op.Return
		case c.opts.Unpatched:
			lo.origin = linUnknown
			lo.ret, lo.returned = math.MaxInt64, histories.Never
		case ti >= 0:
			lo.origin = linPatched
			lo.txn = log[ti]
			at := first(lo.txn.Zxid)
			lo.ret, lo.returned = max(int64(at.seq), lo.call), at.time
		default:
			c.dropped++
			continue
		}
		if !c.compileClientOp(lo, op) {
			c.skipped++
			continue
		}
		c.ops = append(c.ops, lo)
	}
	for i, x := range log {
		if matched[i] {
			continue
		}
		at := first(x.Zxid)
		if !at.ok {
			continue
		}
		lo := c.newOp()
		*lo = linOp{id: -1, origin: linSynthetic, txn: x, zxid: x.Zxid, client: -1, session: x.Session, failAt: -1,
			call: int64(at.seq), ret: int64(at.seq), invoke: at.time, returned: at.time}
		if c.compileTxn(lo, x) {
			c.ops = append(c.ops, lo)
		}
	}
	slices.SortStableFunc(c.ops, func(a, b *linOp) int {
		if a.call != b.call {
			return cmp.Compare(a.call, b.call)
		}
		return a.id - b.id
	})
}

// linOpChunk is how many ops newOp allocates at once.
const linOpChunk = 256

// newOp returns a pointer to a zero op, which the caller fills in place (an op is large, and
// copying a literal in cost more than the fields' stores). Ops are allocated in chunks: a
// history has one per write, and one allocation each was much of the checker's garbage. A
// chunk is never grown, so the pointers stay good.
func (c *linChecker) newOp() *linOp {
	if len(c.opChunk) == cap(c.opChunk) {
		c.opChunk = make([]linOp, 0, linOpChunk)
	}
	c.opChunk = c.opChunk[:len(c.opChunk)+1]
	return &c.opChunk[len(c.opChunk)-1]
}

// newReqs returns n zero requests, with room for n: an op's requests, allocated in chunks like
// its op (a history has a request per write).
func (c *linChecker) newReqs(n int) []linReq {
	if n > linOpChunk {
		return make([]linReq, n)
	}
	if len(c.reqChunk)+n > cap(c.reqChunk) {
		c.reqChunk = make([]linReq, 0, linOpChunk)
	}
	start := len(c.reqChunk)
	c.reqChunk = c.reqChunk[:start+n]
	return c.reqChunk[start : start+n : start+n]
}

// linUnmodelled reports whether the znode model cannot predict code: it then counts as a
// failure without effect wherever it appears.
func linUnmodelled(code tree.Code) bool {
	switch code {
	case tree.OK, tree.NoNode, tree.NodeExists, tree.NoChildrenForEphemerals, tree.BadVersion,
		tree.NotEmpty, tree.NoAuth, tree.RuntimeInconsistency:
		return false
	}
	return true
}

// compileClientOp compiles a client write. It reports false for an op that cannot constrain
// the model: a failure the model cannot predict, a closeSession that failed, a multi the
// server cannot decode.
func (c *linChecker) compileClientOp(lo *linOp, op *histories.Op) bool {
	req := &op.Req
	switch req.Type {
	case tree.OpCloseSession:
		lo.close = true
		switch lo.origin {
		case linAcked:
			return op.Outcome == histories.OK
		case linPatched:
			return lo.txn.Type == tree.OpCloseSession
		}
		return true
	case tree.OpMulti:
		lo.multi = true
		if len(req.Ops) == 0 {
			return false // an empty multi never reaches a server (A7)
		}
		lo.reqs = c.newReqs(len(req.Ops))
		for i := range req.Ops {
			if r := &lo.reqs[i]; !c.compileReq(r, &req.Ops[i], lo.session) || r.kind == linSetACL {
				return false // ZooKeeper fails the whole multi (MarshallingError): no effect
			}
		}
	default:
		lo.reqs = c.newReqs(1)
		if !c.compileReq(&lo.reqs[0], req, lo.session) {
			return false
		}
	}
	switch lo.origin {
	case linAcked:
		c.observeReply(lo, op)
	case linPatched:
		c.observeTxn(lo, lo.txn)
	}
	if lo.origin != linUnknown && linUnmodelled(lo.code) && (!lo.multi || lo.failAt <= 0) {
		return false
	}
	return true
}

// compileReq compiles one request into r, a zero linReq (in its op's requests, not copied
// there), with ZooKeeper's client-side and static server checks.
func (c *linChecker) compileReq(r *linReq, q *tree.Request, session tree.SessionID) bool {
	r.path, r.parent, r.version, r.dataLen = -1, -1, q.Version, int32(len(q.Data))
	switch q.Type {
	case tree.OpCreate, tree.OpCreate2, tree.OpCreateContainer, tree.OpCreateTTL:
		r.kind = linCreate
		mode := q.Mode
		switch {
		case !mode.Valid() || !linCreateModeMatches(q.Type, mode),
			tree.ValidateCreatePath(q.Path, mode.IsSequential()) != nil,
			mode.IsTTL() && (q.TTL <= 0 || q.TTL > tree.MaxTTL):
			r.static = tree.BadArguments
			return true
		case len(q.ACL) == 0:
			r.static = tree.InvalidACL
			return true
		}
		switch {
		case mode.IsEphemeral():
			r.flags, r.owner = linEphemeral, int64(session)
		case mode.IsContainer():
			r.flags = linContainer
		case mode.IsTTL():
			r.flags = linTTL
		}
		r.parent = c.intern(tree.ParentPath(q.Path))
		if mode.IsSequential() {
			r.prefix = q.Path
		} else {
			r.path = c.intern(q.Path)
		}
	case tree.OpDelete:
		r.kind = linDelete
		if tree.ValidatePath(q.Path) != nil || tree.IsSpecialPath(q.Path) {
			r.static = tree.BadArguments
			return true
		}
		r.path = c.intern(q.Path)
		r.parent = c.intern(tree.ParentPath(q.Path))
	case tree.OpSetData, tree.OpCheck:
		r.kind = linSetData
		if q.Type == tree.OpCheck {
			r.kind = linCheck
		}
		if tree.ValidatePath(q.Path) != nil {
			r.static = tree.BadArguments
			return true
		}
		r.path = c.intern(q.Path)
	case tree.OpSetACL:
		r.kind = linSetACL
		switch {
		case tree.ValidatePath(q.Path) != nil:
			r.static = tree.BadArguments
			return true
		case len(q.ACL) == 0:
			r.static = tree.InvalidACL
			return true
		}
		r.path = c.intern(q.Path)
	default:
		return false
	}
	return true
}

// linCreateModeMatches pairs a create opcode with its mode as the Java client does.
func linCreateModeMatches(op tree.OpCode, mode tree.CreateMode) bool {
	switch {
	case mode.IsContainer():
		return op == tree.OpCreateContainer
	case mode.IsTTL():
		return op == tree.OpCreateTTL
	}
	return op == tree.OpCreate || op == tree.OpCreate2
}

// observeReply records what an acknowledged op's reply says.
func (c *linChecker) observeReply(lo *linOp, op *histories.Op) {
	lo.code = op.Err
	if op.Outcome == histories.OK {
		lo.code = tree.OK
	}
	if !lo.multi {
		if lo.code == tree.OK {
			c.observeResult(lo, &lo.reqs[0], &op.Result)
		}
		return
	}
	results := op.Result.Multi
	if lo.code == tree.OK {
		if len(results) != len(lo.reqs) {
			lo.bad = fmt.Sprintf("multi of %d ops answered with %d results", len(lo.reqs), len(results))
			return
		}
		for i := range results {
			if results[i].Err != tree.OK {
				lo.bad = fmt.Sprintf("multi succeeded but op %d says %s", i, results[i].Err)
				return
			}
			c.observeResult(lo, &lo.reqs[i], &results[i])
		}
		return
	}
	if len(results) == 0 {
		return // the failing op is not known
	}
	if len(results) != len(lo.reqs) {
		lo.bad = fmt.Sprintf("multi of %d ops answered with %d results", len(lo.reqs), len(results))
		return
	}
	lo.failAt = slices.IndexFunc(results, func(r tree.Result) bool { return r.Err != tree.OK })
	if lo.failAt < 0 {
		lo.bad = fmt.Sprintf("multi failed with %s but every op says OK", lo.code)
		return
	}
	lo.code = results[lo.failAt].Err
	for i := lo.failAt + 1; i < len(results); i++ {
		if results[i].Err != tree.RuntimeInconsistency {
			lo.bad = fmt.Sprintf("failed multi: op %d after the failing op %d says %s, not RuntimeInconsistency (A7)", i, lo.failAt, results[i].Err)
			return
		}
	}
}

// observeResult records the created path and stat of one successful request.
func (c *linChecker) observeResult(lo *linOp, r *linReq, res *tree.Result) {
	if r.kind == linCreate && res.Path != "" && r.static == tree.OK {
		if r.prefix != "" {
			n, ok := linParseCounter(r.prefix, res.Path)
			if !ok {
				lo.bad = fmt.Sprintf("created %s, not %s followed by a 10-digit counter (A3)", res.Path, r.prefix)
				return
			}
			r.obs.counter, r.obs.hasCounter = n, true
			r.obs.named = c.intern(res.Path)
		} else if res.Path != c.paths[r.path] {
			lo.bad = fmt.Sprintf("created %s, not the requested %s", res.Path, c.paths[r.path])
			return
		}
	}
	if res.HasStat {
		r.obs.statMask = linStatAll
		r.obs.stat = linNode{version: res.Stat.Version, aversion: res.Stat.Aversion, dataLen: res.Stat.DataLength, owner: res.Stat.EphemeralOwner}
	}
}

// linParseCounter returns the counter of a sequential name prefix+%010d (A3).
func linParseCounter(prefix, name string) (int32, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || len(rest) < 10 {
		return 0, false
	}
	if len(rest) == 10 && linDigits(rest) {
		// The common form needs no formatting to check: ten digits are %010d of their value
		// when it fits an int32.
		n, err := strconv.ParseInt(rest, 10, 32)
		if err != nil {
			return 0, false
		}
		return int32(n), true
	}
	n, err := strconv.ParseInt(rest, 10, 32)
	if err != nil || tree.SequentialName(prefix, int32(n)) != name {
		return 0, false
	}
	return int32(n), true
}

// linDigits reports whether s is ASCII digits only.
func linDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// observeTxn records a patched op's outcome from its txn.
func (c *linChecker) observeTxn(lo *linOp, x *tree.Txn) {
	switch {
	case x.Type == tree.OpError:
		lo.code = x.Err
		return
	case lo.close:
		lo.code = tree.OK
		return
	case lo.multi != (x.Type == tree.OpMulti):
		lo.bad = fmt.Sprintf("the txn of this %s is a %s", linReqName(lo), x.Type)
		return
	}
	lo.code = tree.OK
	if !lo.multi {
		c.observeSubTxn(lo, &lo.reqs[0], x)
		return
	}
	if len(x.Ops) != len(lo.reqs) {
		lo.bad = fmt.Sprintf("multi of %d ops became a txn of %d", len(lo.reqs), len(x.Ops))
		return
	}
	if k := slices.IndexFunc(x.Ops, func(s tree.Txn) bool { return s.Type == tree.OpError }); k >= 0 {
		lo.failAt, lo.code = k, x.Ops[k].Err
		return
	}
	for i := range x.Ops {
		c.observeSubTxn(lo, &lo.reqs[i], &x.Ops[i])
	}
}

// observeSubTxn records what one successful txn (or sub-txn) says of its request.
func (c *linChecker) observeSubTxn(lo *linOp, r *linReq, x *tree.Txn) {
	switch r.kind {
	case linCreate:
		c.observeResult(lo, r, &tree.Result{Path: x.Path})
	case linSetData:
		r.obs.statMask, r.obs.stat.version = linStatVersion, x.Version
	case linSetACL:
		r.obs.statMask, r.obs.stat.aversion = linStatAversion, x.Version
	}
}

// compileTxn compiles a txn no client op issued. It reports false for one without effect.
func (c *linChecker) compileTxn(lo *linOp, x *tree.Txn) bool {
	lo.code = tree.OK
	switch x.Type {
	case tree.OpCloseSession:
		lo.close = true
		return true
	case tree.OpMulti:
		lo.multi = true
		for i := range x.Ops {
			if x.Ops[i].Type == tree.OpError {
				return false // a failed multi changed nothing (A7)
			}
		}
		lo.reqs = c.newReqs(len(x.Ops))
		for i := range x.Ops {
			if !c.compileSubTxn(&lo.reqs[i], &x.Ops[i]) {
				return false
			}
		}
		return len(lo.reqs) > 0
	}
	lo.reqs = c.newReqs(1)
	return c.compileSubTxn(&lo.reqs[0], x) && lo.reqs[0].kind != linCheck
}

// compileSubTxn turns a txn's body into the request it records, with its outcome, in r (a
// zero linReq, as for compileReq).
func (c *linChecker) compileSubTxn(r *linReq, x *tree.Txn) bool {
	r.path, r.parent, r.version, r.dataLen = -1, -1, -1, int32(len(x.Data))
	switch x.Type {
	case tree.OpCreate, tree.OpCreate2, tree.OpCreateContainer, tree.OpCreateTTL:
		r.kind = linCreate
		switch owner := x.EphemeralOwner; {
		case owner == tree.ContainerOwner:
			r.flags = linContainer
		case owner&linTTLMask == linTTLMask:
			r.flags = linTTL
		case owner != 0:
			r.flags, r.owner = linEphemeral, owner
		}
		r.path, r.parent = c.intern(x.Path), c.intern(tree.ParentPath(x.Path))
	case tree.OpDelete, tree.OpDeleteContainer:
		r.kind = linDelete
		if x.Type == tree.OpDeleteContainer {
			r.kind = linDeleteContainer
		}
		r.path, r.parent = c.intern(x.Path), c.intern(tree.ParentPath(x.Path))
	case tree.OpSetData:
		r.kind = linSetData
		r.path = c.intern(x.Path)
		r.obs.statMask, r.obs.stat.version = linStatVersion, x.Version
	case tree.OpSetACL:
		r.kind = linSetACL
		r.path = c.intern(x.Path)
		r.obs.statMask, r.obs.stat.aversion = linStatAversion, x.Version
	case tree.OpCheck:
		r.kind = linCheck
		r.path = c.intern(x.Path)
		r.version = x.Version - 1 // CheckVersionTxn carries current+1
	default:
		return false
	}
	return true
}

// linTTLMask marks a TTL owner value (tree's ttlMask: the high byte set, A2).
const linTTLMask = int64(-1) << 56

// mayApply reports whether the op may have changed the tree.
func (lo *linOp) mayApply() bool {
	switch lo.origin {
	case linUnknown, linSynthetic:
		return true
	}
	return lo.code == tree.OK && lo.bad == ""
}

// linFacts are what the couplings are computed from, per global path id.
type linFacts struct {
	deletable    []bool  // some op that may apply deletes it
	ephemeral    []bool  // some create that may apply makes it an ephemeral
	mayExist     []bool  // some create that may apply makes it
	created      []int8  // its kind flags when a create certainly applied, +1 (0: none)
	createdRet   []int64 // the latest return of a create of it that may apply
	childCall    []int64 // the first call of a create or delete under it
	deleted      []bool  // some delete (any outcome) names it
	seqParent    []bool  // a sequential create names it as parent
	seqUnknown   []bool  // ... one whose created name is not known
	ephOfSession map[tree.SessionID][]int32
	// seqEphOfSession lists the parents under which a session has a sequential ephemeral
	// create whose name is not known.
	seqEphOfSession map[tree.SessionID][]int32
}

// closeKeys are the paths a close of session s may touch: its ephemerals and the parents of
// its sequential ephemerals with unknown names.
func (f *linFacts) closeKeys(s tree.SessionID) []int32 {
	return append(slices.Clone(f.ephOfSession[s]), f.seqEphOfSession[s]...)
}

// partition computes the couplings, groups the ops into partitions and localizes them.
func (c *linChecker) partition() {
	// Result paths interned by compile are all known now; children need their parents.
	// parentID[i] is the id of path i's parent (-1 for the root).
	var parentID []int32
	for i := 0; i < len(c.paths); i++ {
		par := int32(-1)
		if p := c.paths[i]; p != tree.RootPath {
			par = c.intern(tree.ParentPath(p))
		}
		parentID = append(parentID, par)
	}
	n := len(c.paths)
	f := linFacts{
		deletable: make([]bool, n), ephemeral: make([]bool, n), mayExist: make([]bool, n),
		created: make([]int8, n), createdRet: make([]int64, n), childCall: make([]int64, n),
		deleted: make([]bool, n), seqParent: make([]bool, n), seqUnknown: make([]bool, n),
		ephOfSession: map[tree.SessionID][]int32{}, seqEphOfSession: map[tree.SessionID][]int32{},
	}
	for i := range f.childCall {
		f.childCall[i] = math.MaxInt64
	}
	for _, lo := range c.ops {
		applies := lo.mayApply()
		certain := applies && lo.origin != linUnknown
		for i := range lo.reqs {
			r := &lo.reqs[i]
			if r.static != tree.OK {
				continue
			}
			if r.parent >= 0 && (r.kind == linCreate || r.kind == linDelete || r.kind == linDeleteContainer) {
				f.childCall[r.parent] = min(f.childCall[r.parent], lo.call)
			}
			switch r.kind {
			case linCreate:
				target := r.path
				if r.prefix != "" {
					f.seqParent[r.parent] = true
					target = -1
					if r.obs.hasCounter {
						target = r.obs.named
					} else if applies {
						f.seqUnknown[r.parent] = true
						if r.flags&linEphemeral != 0 {
							f.seqEphOfSession[tree.SessionID(r.owner)] = append(f.seqEphOfSession[tree.SessionID(r.owner)], r.parent)
						}
					}
				}
				if target < 0 || !applies {
					continue
				}
				f.mayExist[target] = true
				f.createdRet[target] = max(f.createdRet[target], lo.ret)
				if r.flags&linEphemeral != 0 {
					f.ephemeral[target] = true
					s := tree.SessionID(r.owner)
					f.ephOfSession[s] = append(f.ephOfSession[s], target)
				}
				if certain && f.created[target] == 0 {
					f.created[target] = int8(r.flags) + 1
				}
			case linDelete, linDeleteContainer:
				f.deleted[r.path] = true
				if applies {
					f.deletable[r.path] = true
				}
			}
		}
	}
	// Children of every sequential parent with an unknown name may have been created at any
	// time: they are never settled.
	children := linNewChildren(parentID)
	for p := range n {
		if f.seqUnknown[p] {
			for _, ch := range children.of(int32(p)) {
				f.createdRet[ch] = math.MaxInt64
				f.mayExist[ch] = true
			}
		}
	}
	settled := func(p int32) bool {
		return !f.deletable[p] && !f.ephemeral[p] && f.createdRet[p] < f.childCall[p]
	}

	uf := linUnionFind{parent: make([]int32, n)}
	for i := range uf.parent {
		uf.parent[i] = int32(i)
	}
	for _, lo := range c.ops {
		first := int32(-1)
		for i := range lo.reqs {
			r := &lo.reqs[i]
			if r.static != tree.OK {
				continue
			}
			key := r.path
			if key < 0 {
				key = r.parent // a sequential create
			}
			if first < 0 {
				first = key
			} else {
				uf.union(first, key) // the paths of a multi
			}
			if r.path >= 0 && r.parent >= 0 && !settled(r.parent) {
				uf.union(r.path, r.parent) // a create or delete with its unsettled parent
			}
			if r.prefix != "" && r.obs.hasCounter {
				uf.union(r.parent, r.obs.named)
			}
		}
		if lo.close && lo.origin != linSynthetic {
			// A client's close with every ephemeral its session may have created.
			keys := f.closeKeys(lo.session)
			for _, k := range keys {
				uf.union(keys[0], k)
			}
		}
	}
	for p := range n {
		switch {
		case f.seqParent[p]:
			// The counter: the parent with every child the history names.
			for _, ch := range children.of(int32(p)) {
				uf.union(int32(p), ch)
			}
		case f.deleted[p] && !tree.IsSpecialPath(c.paths[p]):
			// NotEmpty: a deleted node with every child that may exist.
			for _, ch := range children.of(int32(p)) {
				if f.mayExist[ch] {
					uf.union(int32(p), ch)
				}
			}
		}
	}

	// Group the ops. A close is keyed by the ephemerals it may delete; an expiry is split into
	// one op per partition among them. Each kept op (or piece) is placed under its root first,
	// so that the partitions and their op lists can be allocated at their sizes.
	type placed struct {
		lo   *linOp
		root int32
	}
	placedOps := make([]placed, 0, len(c.ops))
	for _, lo := range c.ops {
		if lo.close {
			keys := f.closeKeys(lo.session)
			if len(keys) == 0 {
				c.skipped++
				continue // nothing to delete: no effect on the model
			}
			if lo.origin != linSynthetic {
				placedOps = append(placedOps, placed{lo, uf.find(keys[0])})
				continue
			}
			var roots []int32
			for _, k := range keys {
				if r := uf.find(k); !slices.Contains(roots, r) {
					roots = append(roots, r)
				}
			}
			for _, r := range roots {
				piece := *lo
				placedOps = append(placedOps, placed{&piece, r})
			}
			continue
		}
		key := int32(-1)
		for i := range lo.reqs {
			if r := &lo.reqs[i]; r.static == tree.OK {
				key = r.path
				if key < 0 {
					key = r.parent // a sequential create
				}
				break
			}
		}
		// Ops of malformed requests only touch no path: they share the path-less partition.
		root := linNoPath
		if key >= 0 {
			root = uf.find(key)
		}
		placedOps = append(placedOps, placed{lo, root})
	}
	// byRoot[r+1] is the partition of root r (linNoPath at 0), nil for a root without ops.
	byRoot := make([]*linPartition, n+1)
	opsOf := make([]int32, n+1)
	for _, pl := range placedOps {
		opsOf[pl.root+1]++
	}
	count := 0
	for _, k := range opsOf {
		if k > 0 {
			count++
		}
	}
	parts := make([]linPartition, count)
	c.parts = make([]*linPartition, 0, count)
	opList := make([]*linOp, len(placedOps))
	for r, k := range opsOf {
		if k > 0 {
			p := &parts[len(c.parts)]
			p.root = int32(r - 1)
			p.ops, opList = opList[:0:k], opList[k:]
			byRoot[r] = p
			c.parts = append(c.parts, p)
		}
	}
	c.ops = make([]*linOp, len(placedOps))
	for i, pl := range placedOps {
		p := byRoot[pl.root+1]
		pl.lo.part = p
		p.ops = append(p.ops, pl.lo)
		c.ops[i] = pl.lo
	}
	var lastTxn *tree.Txn
	for _, lo := range c.ops {
		switch lo.origin {
		case linAcked:
			c.acked++
		case linPatched:
			c.patched++
		case linUnknown:
			c.unknown++
		case linSynthetic:
			if lo.txn != lastTxn { // the pieces of an expiry are adjacent
				c.synthetic++
			}
			lastTxn = lo.txn
		}
	}

	// The paths of each partition: rootOf[g] is path g's root; the lists are carved from one
	// slice, each in id order.
	rootOf := make([]int32, n)
	pathsOf := make([]int32, n+1)
	for g := range n {
		rootOf[g] = uf.find(int32(g))
		if byRoot[rootOf[g]+1] != nil {
			pathsOf[rootOf[g]+1]++
		}
	}
	members := make([][]int32, n+1)
	memberList := make([]int32, n)
	for r, k := range pathsOf {
		members[r], memberList = memberList[:0:k], memberList[k:]
	}
	for g := range n {
		if r := rootOf[g] + 1; byRoot[r] != nil {
			members[r] = append(members[r], int32(g))
		}
	}
	// Partitions in the order of their first op; ops in call order (c.ops is sorted).
	slices.SortFunc(c.parts, func(a, b *linPartition) int {
		if d := cmp.Compare(a.ops[0].call, b.ops[0].call); d != 0 {
			return d
		}
		return a.ops[0].id - b.ops[0].id
	})
	l := linLocalizer{rootOf: rootOf, parentID: parentID, localOf: make([]int32, n)}
	for i, p := range c.parts {
		p.index = i
		c.localize(p, members[p.root+1], &f, &l)
	}
	c.assignStreams()
}

// linChildren lists each path's children (by global id, in id order) in one slice: the
// children of p are list[start[p]:start[p+1]].
type linChildren struct {
	start []int32
	list  []int32
}

func linNewChildren(parentID []int32) linChildren {
	ch := linChildren{start: make([]int32, len(parentID)+1), list: make([]int32, 0, len(parentID))}
	for _, par := range parentID {
		if par >= 0 {
			ch.start[par+1]++
		}
	}
	for p := 1; p < len(ch.start); p++ {
		ch.start[p] += ch.start[p-1]
	}
	ch.list = ch.list[:ch.start[len(parentID)]]
	next := slices.Clone(ch.start[:len(parentID)])
	for i, par := range parentID {
		if par >= 0 {
			ch.list[next[par]] = int32(i)
			next[par]++
		}
	}
	return ch
}

func (ch *linChildren) of(p int32) []int32 { return ch.list[ch.start[p]:ch.start[p+1]] }

// linLocalizer maps global path ids to partitions' local indices, for every partition at once.
type linLocalizer struct {
	rootOf   []int32 // the union-find root of each path
	parentID []int32 // the global id of each path's parent, -1 for the root path
	// localOf is each path's index in its partition, set when localize reaches its partition.
	localOf []int32
}

// linNoPath keys the partition of ops that touch no path.
const linNoPath int32 = -1

// linUnionFind is a union-find over global path ids, with path halving.
type linUnionFind struct{ parent []int32 }

func (u *linUnionFind) find(x int32) int32 {
	for u.parent[x] != x {
		u.parent[x] = u.parent[u.parent[x]]
		x = u.parent[x]
	}
	return x
}

func (u *linUnionFind) union(a, b int32) {
	ra, rb := u.find(a), u.find(b)
	if ra != rb {
		u.parent[max(ra, rb)] = min(ra, rb)
	}
}

// localize gives a partition its paths (sorted by name), rewrites its ops' path ids to local
// indices and fixes the state of parents outside it, and builds its initial state.
func (c *linChecker) localize(p *linPartition, global []int32, f *linFacts, l *linLocalizer) {
	slices.SortFunc(global, func(a, b int32) int { return strings.Compare(c.paths[a], c.paths[b]) })
	for i, g := range global {
		l.localOf[g] = int32(i)
	}
	toLocal := func(g int32) int32 {
		if g < 0 || l.rootOf[g] != p.root {
			return -1
		}
		return l.localOf[g]
	}
	p.names = make([]string, len(global))
	p.parentOf = make([]int32, len(global))
	for i, g := range global {
		p.names[i] = c.paths[g]
		p.parentOf[i] = toLocal(l.parentID[g])
	}
	type seqKey struct {
		parent int32
		prefix string
	}
	seqNames := map[seqKey]map[int32]int32{}
	for _, lo := range p.ops {
		for i := range lo.reqs {
			r := &lo.reqs[i]
			if r.static != tree.OK {
				continue
			}
			gParent := r.parent
			if r.path >= 0 {
				if r.path = toLocal(r.path); r.path < 0 {
					panic("models: linearizable: an op's path is outside its partition")
				}
			}
			if gParent >= 0 {
				r.parent = toLocal(gParent)
				if r.parent < 0 {
					r.parentFixed = c.fixedNode(gParent, f)
				}
			}
			if r.prefix != "" {
				if r.parent < 0 {
					panic("models: linearizable: a sequential create is outside its parent's partition")
				}
				k := seqKey{r.parent, r.prefix}
				names, ok := seqNames[k]
				if !ok {
					names = map[int32]int32{}
					for j, name := range p.names {
						if p.parentOf[j] == r.parent {
							if n, ok := linParseCounter(r.prefix, name); ok {
								names[n] = int32(j)
							}
						}
					}
					seqNames[k] = names
				}
				r.seqNames = names
			}
		}
		if lo.close {
			lo.cands = nil
			for _, g := range f.ephOfSession[lo.session] {
				if l := toLocal(g); l >= 0 {
					lo.cands = append(lo.cands, l)
				}
			}
			for _, g := range f.seqEphOfSession[lo.session] {
				if par := toLocal(g); par >= 0 {
					for j := range p.names {
						if p.parentOf[j] == par {
							lo.cands = append(lo.cands, int32(j))
						}
					}
				}
			}
			slices.Sort(lo.cands)
			lo.cands = slices.Compact(lo.cands)
		}
	}
	p.init = make([]linNode, len(global))
	for i, name := range p.names {
		p.init[i] = linInitial(name)
	}
}

// initialState returns the partition's initial state, building it on first use. porcupineOps
// builds it before porcupine gets the partition, in the goroutine that checks it, so that
// concurrent Steps only read it.
func (p *linPartition) initialState() *linState {
	if p.initial == nil {
		p.initial = linNewState(p, p.init)
	}
	return p.initial
}

// linInitial is a node's state in a fresh tree (tree.New): the reserved nodes exist.
func linInitial(path string) linNode {
	if !tree.IsSpecialPath(path) {
		return linNode{}
	}
	n := linNode{flags: linExists}
	if path == tree.ConfigPath {
		n.aversion = -1
	}
	return n
}

// fixedNode is the state of a settled parent outside the partition: the state its one
// create gave it (or the initial state), never to change while ops under it run.
func (c *linChecker) fixedNode(g int32, f *linFacts) linNode {
	if k := f.created[g]; k != 0 {
		return linNode{flags: linExists | uint8(k-1)}
	}
	return linInitial(c.paths[g])
}

// assignStreams gives each op a porcupine ClientId: a client keeps its stream until an op of
// its overlaps the stream's last op (after an Unknown op, which returns at infinity, or a
// patched one, which returns at its commit); synthetic ops share one stream.
func (c *linChecker) assignStreams() {
	type stream struct {
		id  int
		ret int64
	}
	current := map[int]*stream{}
	next := 0
	for _, lo := range c.ops {
		s, ok := current[lo.client]
		if !ok || (s.ret >= lo.call && lo.client >= 0) {
			s = &stream{id: next}
			next++
			current[lo.client] = s
		}
		lo.stream = s.id
		s.ret = max(s.ret, lo.ret)
	}
}

// ---------------------------------------------------------------------------------------------
// The model.

// linPartition is one independently checked part of the history.
type linPartition struct {
	index int
	root  int32
	// names are the partition's paths, sorted; local index i names names[i].
	names []string
	// parentOf is the local index of each path's parent, or -1 outside the partition.
	parentOf []int32
	ops      []*linOp
	// init holds the initial node of each path, by local index.
	init []linNode
	// initial is the initial state porcupine steps from, built from init on first use
	// (initialState): the partitions linearizeByZxid proves never need one.
	initial *linState
	// treeHeight caches height()+1 (0: not computed yet); linNewState computes it before
	// porcupine checks the partition, so concurrent Steps only read it.
	treeHeight int
}

// linNode is one path's state.
type linNode struct {
	// owner is the session of a (normal) ephemeral, 0 otherwise; it is what a stat reports.
	owner    int64
	version  int32
	aversion int32
	dataLen  int32
	// counter is the persisted cversion: the child creates, the sequential suffix (A3).
	counter int32
	// children counts the existing children, those not in the partition's names included.
	children int32
	flags    uint8
}

// The flags of a linNode.
const (
	linExists uint8 = 1 << iota
	linEphemeral
	linContainer
	linTTL
	linKindFlags = linEphemeral | linContainer | linTTL
)

func (n linNode) exists() bool { return n.flags&linExists != 0 }

// term is the node's share of a state's hash; the zero node (a path that does not exist and
// never did) adds nothing.
func (n linNode) term(i int32) uint64 {
	if n == (linNode{}) {
		return 0
	}
	h := linMix(uint64(i)<<8 | uint64(n.flags))
	h = linMix(h ^ uint64(n.owner))
	h = linMix(h ^ (uint64(uint32(n.version)) | uint64(uint32(n.aversion))<<32))
	h = linMix(h ^ (uint64(uint32(n.dataLen)) | uint64(uint32(n.counter))<<32))
	return linMix(h ^ uint64(uint32(n.children)))
}

// linMix is the splitmix64 finalizer.
func linMix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// linAnon is a node a sequential create with an unknown outcome made under a name the history
// never mentions: only its parent's child count and its owner's close can tell it is there.
type linAnon struct {
	parent int32
	owner  int64
}

func (a linAnon) term() uint64 {
	return linMix(uint64(a.parent)<<1|1) ^ linMix(uint64(a.owner)+0x9e3779b97f4a7c15)
}

// A state is persistent: Step never changes one, it builds a new one sharing what did not
// change. Small partitions hold their nodes in a flat slice; larger ones in a radix tree of
// fan-out linFan, so that a step copies a leaf and a path instead of every node.
const (
	linFanBits = 4
	linFan     = 1 << linFanBits
	linFlatMax = 32
)

type linLeaf [linFan]linNode

type linBranch struct {
	kids   [linFan]*linBranch // above height 1
	leaves [linFan]*linLeaf   // at height 1
}

// linState is the model's state of one partition.
type linState struct {
	part *linPartition
	flat []linNode
	// root holds the nodes when the partition has more than linFlatMax paths; its height is
	// part.height().
	root *linBranch
	// Invariant: hash is the sum of every node's term and every anon's term, except in a
	// mutable state (below), which nothing hashes or compares.
	hash uint64
	// anon is sorted by parent, then owner.
	anon []linAnon
	// mutable marks the state of linearizeByZxid's single pass, which never steps from an
	// earlier state again: edit then changes the state in place instead of cloning it (no
	// allocation per step), and a step that fails may leave it changed.
	// Invariant: a mutable state is flat (flat holds every path of the partition, whatever
	// its size) and is seen by nothing but linearizeByZxid; porcupine never steps one.
	mutable bool
}

func (p *linPartition) height() int {
	if p.treeHeight == 0 {
		h, capacity := 0, linFlatMax
		if n := len(p.names); n > linFlatMax {
			h, capacity = 1, linFan*linFan
			for capacity < n {
				h++
				capacity *= linFan
			}
		}
		p.treeHeight = h + 1
	}
	return p.treeHeight - 1
}

func linNewState(p *linPartition, nodes []linNode) *linState {
	s := &linState{part: p}
	for i, n := range nodes {
		s.hash += n.term(int32(i))
	}
	h := p.height()
	if h == 0 {
		s.flat = nodes
		return s
	}
	var build func(h int, base int) *linBranch
	build = func(h int, base int) *linBranch {
		b := &linBranch{}
		span := 1 << (linFanBits * h) // nodes under each child
		for k := range linFan {
			start := base + k*span
			if h == 1 {
				l := &linLeaf{}
				for j := range linFan {
					if start+j < len(nodes) {
						l[j] = nodes[start+j]
					}
				}
				b.leaves[k] = l
			} else {
				b.kids[k] = build(h-1, start)
			}
		}
		return b
	}
	s.root = build(h, 0)
	return s
}

func (s *linState) node(i int32) linNode {
	if s.root == nil {
		return s.flat[i]
	}
	b := s.root
	for h := s.part.height(); h > 1; h-- {
		b = b.kids[(int(i)>>(linFanBits*h))&(linFan-1)]
	}
	return b.leaves[(int(i)>>linFanBits)&(linFan-1)][int(i)&(linFan-1)]
}

// clone returns a copy that set may change without changing s.
func (s *linState) clone() *linState {
	e := *s
	if s.root == nil {
		e.flat = slices.Clone(s.flat)
	}
	return &e
}

// edit returns a state that set may change: s itself when it is mutable, else a clone.
func (s *linState) edit() *linState {
	if s.mutable {
		return s
	}
	return s.clone()
}

// set changes node i of a state edit or clone returned; it copies the path to a shared leaf.
func (s *linState) set(i int32, n linNode) {
	old := s.node(i)
	if old == n {
		return
	}
	if s.mutable {
		s.flat[i] = n // nothing hashes a mutable state
		return
	}
	s.hash += n.term(i) - old.term(i)
	if s.root == nil {
		s.flat[i] = n
		return
	}
	root := *s.root
	s.root = &root
	b := &root
	for h := s.part.height(); h > 1; h-- {
		k := (int(i) >> (linFanBits * h)) & (linFan - 1)
		kid := *b.kids[k]
		b.kids[k] = &kid
		b = &kid
	}
	k := (int(i) >> linFanBits) & (linFan - 1)
	leaf := *b.leaves[k]
	leaf[int(i)&(linFan-1)] = n
	b.leaves[k] = &leaf
}

func (s *linState) addAnon(a linAnon) {
	i, _ := slices.BinarySearchFunc(s.anon, a, linCompareAnon)
	s.anon = slices.Insert(slices.Clip(s.anon), i, a)
	s.hash += a.term()
}

func linCompareAnon(a, b linAnon) int {
	if a.parent != b.parent {
		return int(a.parent - b.parent)
	}
	return cmp.Compare(a.owner, b.owner)
}

func linEqual(a, b *linState) bool {
	if a == b {
		return true
	}
	if a.hash != b.hash || !slices.Equal(a.anon, b.anon) {
		return false
	}
	if a.root == nil {
		return slices.Equal(a.flat, b.flat)
	}
	return linEqualBranch(a.root, b.root, a.part.height())
}

func linEqualBranch(a, b *linBranch, h int) bool {
	if a == b {
		return true
	}
	for k := range linFan {
		if h == 1 {
			if a.leaves[k] != b.leaves[k] && *a.leaves[k] != *b.leaves[k] {
				return false
			}
		} else if !linEqualBranch(a.kids[k], b.kids[k], h-1) {
			return false
		}
	}
	return true
}

// linModel is the porcupine model. A state is a *linState; Init's nil stands for the initial
// state of the partition of the first op stepped (Init cannot know the partition).
var linModel = porcupine.Model{
	Init: func() any { return (*linState)(nil) },
	Step: func(state, input, _ any) (bool, any) {
		op := input.(*linOp)
		s := state.(*linState)
		if s == nil {
			s = op.part.initial
		}
		ok, next := op.part.step(s, op)
		return ok, next
	},
	Equal: func(a, b any) bool {
		sa, sb := a.(*linState), b.(*linState)
		if sa == nil || sb == nil {
			return sa == sb
		}
		return linEqual(sa, sb)
	},
	Hash: func(state any) uint64 {
		if s := state.(*linState); s != nil {
			return s.hash
		}
		return 0
	},
	DescribeOperation: func(input, _ any) string { return input.(*linOp).describe() },
	DescribeState: func(state any) string {
		return "<pre>" + html.EscapeString(state.(*linState).describe()) + "</pre>"
	},
}

// parentNode is the state of a request's parent: its node, or its fixed state.
func (p *linPartition) parentNode(s *linState, r *linReq) linNode {
	if r.parent >= 0 {
		return s.node(r.parent)
	}
	return r.parentFixed
}

// check evaluates one request against s in ZooKeeper's check order (A5) and returns the
// code, the target (for a sequential create, the node its counter names, or -1 for a name
// outside the partition) and the counter. want is the code the reply gave (OK when unknown):
// NoAuth is returned where ZooKeeper checks permissions.
func (p *linPartition) check(s *linState, r *linReq, want tree.Code) (tree.Code, int32, int32) {
	if r.static != tree.OK {
		return r.static, -1, 0
	}
	switch r.kind {
	case linCreate:
		par := p.parentNode(s, r)
		if !par.exists() {
			return tree.NoNode, -1, 0
		}
		if want == tree.NoAuth {
			return tree.NoAuth, -1, 0
		}
		target, counter := r.path, int32(0)
		if r.prefix != "" {
			counter, target = par.counter, -1
			if t, ok := r.seqNames[counter]; ok {
				target = t
			}
		}
		if target >= 0 && s.node(target).exists() {
			return tree.NodeExists, target, counter
		}
		if par.flags&linEphemeral != 0 {
			return tree.NoChildrenForEphemerals, target, counter
		}
		return tree.OK, target, counter
	case linDelete:
		if !p.parentNode(s, r).exists() {
			return tree.NoNode, -1, 0
		}
		if want == tree.NoAuth {
			return tree.NoAuth, -1, 0
		}
		n := s.node(r.path)
		switch {
		case !n.exists():
			return tree.NoNode, -1, 0
		case r.version != -1 && r.version != n.version:
			return tree.BadVersion, -1, 0
		case n.children > 0:
			return tree.NotEmpty, -1, 0
		}
		return tree.OK, r.path, 0
	case linDeleteContainer:
		n := s.node(r.path)
		switch {
		case !n.exists():
			return tree.NoNode, -1, 0
		case n.children > 0:
			return tree.NotEmpty, -1, 0
		case n.flags&linEphemeral != 0:
			return tree.BadVersion, -1, 0
		case !p.parentNode(s, r).exists():
			return tree.NoNode, -1, 0
		}
		return tree.OK, r.path, 0
	}
	// setData, setACL, check
	n := s.node(r.path)
	if !n.exists() {
		return tree.NoNode, -1, 0
	}
	if want == tree.NoAuth {
		return tree.NoAuth, -1, 0
	}
	current := n.version
	if r.kind == linSetACL {
		current = n.aversion
	}
	if r.version != -1 && r.version != current {
		return tree.BadVersion, -1, 0
	}
	return tree.OK, r.path, 0
}

// apply applies a request check found OK to the clone e.
func (p *linPartition) apply(e *linState, r *linReq, target int32) {
	switch r.kind {
	case linCreate:
		if target >= 0 {
			e.set(target, linNode{flags: linExists | r.flags, owner: r.owner, dataLen: r.dataLen})
		} else {
			e.addAnon(linAnon{parent: r.parent, owner: r.owner})
		}
		if r.parent >= 0 {
			par := e.node(r.parent)
			par.counter++
			par.children++
			e.set(r.parent, par)
		}
	case linDelete, linDeleteContainer:
		e.set(r.path, linNode{})
		if r.parent >= 0 {
			par := e.node(r.parent)
			par.children--
			e.set(r.parent, par)
		}
	case linSetData:
		n := e.node(r.path)
		n.version++
		n.dataLen = r.dataLen
		e.set(r.path, n)
	case linSetACL:
		n := e.node(r.path)
		n.aversion++
		e.set(r.path, n)
	}
}

// matches reports whether a successful request's reply agrees with the model: the counter in
// a sequential name, and the stat fields the reply carried, read from the state after the
// request (e, where target has been applied).
func (p *linPartition) matches(e *linState, r *linReq, target, counter int32) bool {
	o := &r.obs
	if o.hasCounter && o.counter != counter {
		return false
	}
	if o.statMask == 0 {
		return true
	}
	var n linNode
	if target >= 0 {
		n = e.node(target)
	} else {
		n = linNode{owner: r.owner, dataLen: r.dataLen}
	}
	m := o.statMask
	return (m&linStatVersion == 0 || o.stat.version == n.version) &&
		(m&linStatAversion == 0 || o.stat.aversion == n.aversion) &&
		(m&linStatDataLen == 0 || o.stat.dataLen == n.dataLen) &&
		(m&linStatOwner == 0 || o.stat.owner == n.owner)
}

// step is the model's Step for one partition.
func (p *linPartition) step(s *linState, op *linOp) (bool, *linState) {
	switch {
	case op.bad != "":
		return false, s
	case op.close:
		return true, p.applyClose(s, op)
	case op.multi:
		return p.stepMulti(s, op)
	}
	r := &op.reqs[0]
	if op.origin == linUnknown {
		code, target, _ := p.check(s, r, tree.OK)
		if code != tree.OK {
			return true, s
		}
		e := s.edit()
		p.apply(e, r, target)
		return true, e
	}
	code, target, counter := p.check(s, r, op.code)
	if code != op.code {
		return false, s
	}
	if code != tree.OK {
		return true, s
	}
	e := s.edit()
	p.apply(e, r, target)
	if !p.matches(e, r, target, counter) {
		return false, s
	}
	return true, e
}

// stepMulti steps a multi: all or nothing, each op seeing the ones before it (A7).
func (p *linPartition) stepMulti(s *linState, op *linOp) (bool, *linState) {
	failed := op.origin != linUnknown && op.code != tree.OK
	// A multi that succeeds returns the state its ops changed, or fails the step; one that
	// failed (or may have) can succeed leaving s as it was, so its ops change a clone.
	var e *linState
	if failed || op.origin == linUnknown {
		e = s.clone()
	} else {
		e = s.edit()
	}
	for i := range op.reqs {
		r := &op.reqs[i]
		want := tree.OK
		if failed && i == op.failAt {
			if linUnmodelled(op.code) {
				return true, s // the ops before it succeeded; it failed for a reason we cannot see
			}
			want = op.code
		}
		code, target, counter := p.check(e, r, want)
		switch {
		case op.origin == linUnknown && code != tree.OK:
			return true, s // the multi failed as a whole: no effect
		case failed && (i == op.failAt || op.failAt < 0) && code != tree.OK:
			return code == op.code, s
		case code != tree.OK:
			return false, s
		}
		p.apply(e, r, target)
		if !failed && op.origin != linUnknown && !p.matches(e, r, target, counter) {
			return false, s
		}
		if failed && i == op.failAt {
			return false, s // the reply says this op failed, the model lets it succeed
		}
	}
	if failed {
		return false, s
	}
	return true, e
}

// applyClose deletes the session's ephemerals in the partition (A9); each parent in the
// partition loses a child.
func (p *linPartition) applyClose(s *linState, op *linOp) *linState {
	// e may be s itself (a mutable s): reading s after changes is still sound, since a close
	// reads only its candidates' existence, kind and owner, which dropping a parent's child
	// does not change, and each candidate once.
	var e *linState
	owner := int64(op.session)
	drop := func(parent int32) {
		if parent >= 0 {
			par := e.node(parent)
			par.children--
			e.set(parent, par)
		}
	}
	for _, i := range op.cands {
		n := s.node(i)
		if !n.exists() || n.flags&linEphemeral == 0 || n.owner != owner {
			continue
		}
		if e == nil {
			e = s.edit()
		}
		e.set(i, linNode{})
		drop(p.parentOf[i])
	}
	if slices.ContainsFunc(s.anon, func(a linAnon) bool { return a.owner == owner }) {
		if e == nil {
			e = s.edit()
		}
		var kept []linAnon
		for _, a := range s.anon {
			if a.owner != owner {
				kept = append(kept, a)
				continue
			}
			e.hash -= a.term()
			drop(a.parent)
		}
		e.anon = kept
	}
	if e == nil {
		return s
	}
	return e
}

// ---------------------------------------------------------------------------------------------
// Running porcupine and explaining the result.

// linOutcome is one partition's result.
type linOutcome struct {
	result porcupine.CheckResult
	// checked is false when the deadline passed before the partition was started.
	checked bool
}

// porcupineOps returns the partition's ops as porcupine operations, the op itself as input
// and output.
func (p *linPartition) porcupineOps() []porcupine.Operation {
	p.initialState() // before any Step, which reads it
	ops := make([]porcupine.Operation, len(p.ops))
	for i, lo := range p.ops {
		ops[i] = porcupine.Operation{ClientId: lo.stream, Input: lo, Output: lo, Call: lo.call, Return: lo.ret}
	}
	return ops
}

// run checks every partition within the timeout: first by linearizeByZxid, then the
// partitions it cannot prove with porcupine, largest first, on GOMAXPROCS workers.
func (c *linChecker) run() []porcupine.CheckResult {
	results := make([]porcupine.CheckResult, len(c.parts))
	var deadline time.Time
	if c.opts.Timeout > 0 {
		deadline = time.Now().Add(c.opts.Timeout)
	}
	var order []int
	for i, p := range c.parts {
		if p.linearizeByZxid() {
			results[i] = porcupine.Ok
		} else {
			order = append(order, i)
		}
	}
	if len(order) == 0 {
		return results
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(c.parts[b].ops) - len(c.parts[a].ops) })
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(order)) {
		wg.Go(func() {
			for i := range work {
				var budget time.Duration
				if !deadline.IsZero() {
					if budget = time.Until(deadline); budget <= 0 {
						results[i] = porcupine.Unknown
						continue
					}
				}
				results[i] = porcupine.CheckOperationsTimeout(linModel, c.parts[i].porcupineOps(), budget)
			}
		})
	}
	for _, i := range order {
		work <- i
	}
	close(work)
	wg.Wait()
	return results
}

// linearizeByZxid reports whether it proved the partition linearizable with the linearization
// the committed log suggests: its ops in the zxid order of their txns. ZooKeeper's leader
// prepares each write against the state after every txn before it, commits txns in zxid order
// and replies after the commit, so on a correct run that order almost always is a
// linearization, and checking one order is linear where porcupine's search (its entry lists,
// a bitset per step, a goroutine and a timer per partition) costs several times more.
//
// The proof is the definition porcupine decides: an order of every op of the partition that
// (1) respects real time, and (2) the model accepts step by step from the partition's initial
// state (the state linModel's Init stands for). For (1), porcupine orders op a before op b
// when a returned strictly before b was called (at equal times it sorts calls before
// returns); this demands more, that every op is called strictly before every later op in the
// order returns. For (2), it runs the same step porcupine's Step runs. So when it reports true
// porcupine would find a linearization too (its search is complete), and the partition's
// result is porcupine.Ok; when it reports false nothing is concluded, and porcupine checks
// the partition exactly as if this had not been tried, so a violation is found, explained and
// visualized as before.
//
// A partition with an Unknown op (LinearizableOptions.Unpatched) is left to porcupine: such an
// op has no txn to place it by.
func (p *linPartition) linearizeByZxid() bool {
	sorted := true
	for i, lo := range p.ops {
		if lo.origin == linUnknown {
			return false
		}
		if i > 0 && lo.zxid < p.ops[i-1].zxid {
			sorted = false
		}
	}
	order := p.ops // in call order, usually zxid order too
	if !sorted {
		order = slices.Clone(p.ops)
		slices.SortStableFunc(order, func(a, b *linOp) int { return cmp.Compare(a.zxid, b.zxid) })
	}
	minRet := int64(math.MaxInt64) // the earliest return after position i
	for i := len(order) - 1; i >= 0; i-- {
		if order[i].call >= minRet {
			return false
		}
		minRet = min(minRet, order[i].ret)
	}
	// One pass, never back to an earlier state: the steps change one mutable state.
	s := &linState{part: p, flat: slices.Clone(p.init), mutable: true}
	for _, lo := range order {
		ok, next := p.step(s, lo)
		if !ok {
			return false
		}
		s = next
	}
	return true
}

// verdict turns the partitions' results into a verdict.
func (c *linChecker) verdict(results []porcupine.CheckResult) Verdict {
	largest := 0
	largestPaths := 0
	for _, p := range c.parts {
		if len(p.ops) > largest {
			largest, largestPaths = len(p.ops), len(p.names)
		}
	}
	var vs violations
	var explained []Violation
	illegal, timedOut := 0, 0
	for i, r := range results {
		switch r {
		case porcupine.Illegal:
			if illegal++; illegal <= MaxViolations {
				explained = append(explained, c.explain(c.parts[i]))
			}
		case porcupine.Unknown:
			timedOut++
		}
	}
	slices.SortStableFunc(explained, func(a, b Violation) int { return cmp.Compare(int64(a.Time), int64(b.Time)) })
	for _, v := range explained {
		vs.add(v)
	}
	vs.total = illegal
	counts := fmt.Sprintf("%d writes checked (%d acknowledged, %d patched, %d unknown, %d from the log; %d dropped, %d without effect) in %d partitions, the largest %d ops on %d paths",
		c.acked+c.patched+c.unknown+c.synthetic, c.acked, c.patched, c.unknown, c.synthetic, c.dropped, c.skipped,
		len(c.parts), largest, largestPaths)
	v := vs.verdict("linearizable", counts+": linearizable")
	if v.Status == Fail {
		v.Summary = fmt.Sprintf("%s: %d not linearizable", counts, illegal)
		if timedOut > 0 {
			v.Summary += fmt.Sprintf(", %d timed out", timedOut)
		}
		v.Summary += "; first: " + v.Violations[0].Message
	}
	if v.Status == Pass && timedOut > 0 {
		v.Status = Inconclusive
		v.Summary = fmt.Sprintf("%s: %d of %d partitions not decided within %v", counts, timedOut, len(c.parts), c.opts.Timeout)
	}
	v.Metrics = []Metric{
		{Name: "writes", Value: float64(c.acked + c.patched + c.unknown + c.synthetic), Unit: "ops"},
		{Name: "patched", Value: float64(c.patched), Unit: "ops"},
		{Name: "dropped", Value: float64(c.dropped), Unit: "ops"},
		{Name: "unknown", Value: float64(c.unknown), Unit: "ops"},
		{Name: "from log", Value: float64(c.synthetic), Unit: "ops"},
		{Name: "partitions", Value: float64(len(c.parts))},
		{Name: "largest partition", Value: float64(largest), Unit: "ops"},
		{Name: "timed out partitions", Value: float64(timedOut)},
	}
	return v
}

// linStuck is where porcupine's search of a failing partition got stuck.
type linStuck struct {
	// linearized are the ops of the longest partial linearization, in order.
	linearized []*linOp
	state      *linState
	// candidates could go next and none can, the one with the earliest return first.
	candidates []*linOp
	explained  bool
}

// stuck reruns a partition verbosely. For a failing one it finds the longest partial
// linearization and the ops that could not follow it; for a passing one, linearized is a whole
// linearization.
func (c *linChecker) stuck(p *linPartition) linStuck {
	budget := max(c.opts.Timeout, linExplainBudget)
	if c.opts.Timeout < 0 {
		budget = 0
	}
	res, info := porcupine.CheckOperationsVerbose(linModel, p.porcupineOps(), budget)
	st := linStuck{state: p.initialState()}
	if res == porcupine.Unknown {
		return st
	}
	partials := info.PartialLinearizations()
	if len(partials) == 0 || len(partials[0]) == 0 {
		return st
	}
	best := slices.MaxFunc(partials[0], func(a, b []int) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return -slices.Compare(a, b) // the smallest ids win a tie, deterministically
	})
	done := make([]bool, len(p.ops))
	s := p.initialState()
	for _, i := range best {
		lo := p.ops[i]
		var ok bool
		ok, s = p.step(s, lo)
		if !ok {
			return linStuck{state: p.initialState()}
		}
		st.linearized = append(st.linearized, lo)
		done[i] = true
	}
	st.state = s
	if res == porcupine.Ok {
		return st // linearized holds a whole linearization
	}
	minRet := int64(math.MaxInt64)
	for i, lo := range p.ops {
		if !done[i] {
			minRet = min(minRet, lo.ret)
		}
	}
	for i, lo := range p.ops {
		if !done[i] && lo.call <= minRet {
			st.candidates = append(st.candidates, lo)
		}
	}
	slices.SortStableFunc(st.candidates, func(a, b *linOp) int { return cmp.Compare(a.ret, b.ret) })
	st.explained = true
	return st
}

// explain describes a partition porcupine could not linearize.
func (c *linChecker) explain(p *linPartition) Violation {
	st := c.stuck(p)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d writes are not linearizable", p.describePaths(), len(p.ops))
	v := Violation{}
	if !st.explained || len(st.candidates) == 0 {
		for _, lo := range p.ops {
			if lo.id >= 0 {
				v.Ops = append(v.Ops, lo.id)
			}
		}
		v.Time = p.ops[len(p.ops)-1].returned
		b.WriteString(" (porcupine gave no partial linearization)")
		v.Message = b.String()
		return v
	}
	fmt.Fprintf(&b, "; after %d of them linearize, none of these can go next:", len(st.linearized))
	for i, lo := range st.candidates {
		if lo.id >= 0 {
			v.Ops = append(v.Ops, lo.id)
		}
		if i < linExplainCandidates {
			fmt.Fprintf(&b, " [%s; model: %s]", lo.describe(), p.predict(st.state, lo))
		}
	}
	if n := len(st.candidates) - linExplainCandidates; n > 0 {
		fmt.Fprintf(&b, " and %d more", n)
	}
	// The ops that last changed what the stuck ops read: the latest linearized op on each of
	// their paths.
	want := map[int32]bool{}
	for _, lo := range st.candidates[:min(len(st.candidates), linExplainCandidates)] {
		for _, path := range lo.touches() {
			want[path] = true
		}
	}
	var before []string
	for i := len(st.linearized) - 1; i >= 0 && len(want) > 0; i-- {
		lo := st.linearized[i]
		hit := false
		for _, path := range lo.touches() {
			if want[path] {
				delete(want, path)
				hit = true
			}
		}
		if hit {
			if lo.id >= 0 {
				v.Ops = append(v.Ops, lo.id)
			}
			before = append(before, lo.describe())
		}
	}
	if len(before) > 0 {
		fmt.Fprintf(&b, "; linearized before them: [%s]", strings.Join(before, "; "))
	}
	first := st.candidates[0]
	v.Time = first.returned
	if first.ret == math.MaxInt64 {
		v.Time = first.invoke
	}
	v.Message = b.String()
	return v
}

// touches lists the local paths an op reads or writes.
func (lo *linOp) touches() []int32 {
	var out []int32
	for i := range lo.reqs {
		r := &lo.reqs[i]
		for _, path := range []int32{r.path, r.parent} {
			if path >= 0 && !slices.Contains(out, path) {
				out = append(out, path)
			}
		}
	}
	return append(out, lo.cands...)
}

// predict says what the model answers for op in state s.
func (p *linPartition) predict(s *linState, op *linOp) string {
	if op.bad != "" {
		return "no state explains it: " + op.bad
	}
	if op.close {
		return "OK"
	}
	e := s.clone()
	var parts []string
	for i := range op.reqs {
		r := &op.reqs[i]
		code, target, counter := p.check(e, r, tree.OK)
		if code != tree.OK {
			if op.multi {
				return fmt.Sprintf("op %d fails %s", i, code)
			}
			return code.String()
		}
		p.apply(e, r, target)
		switch r.kind {
		case linCreate:
			if r.prefix != "" {
				parts = append(parts, tree.SequentialName(r.prefix, counter))
			}
		case linSetData:
			parts = append(parts, fmt.Sprintf("version=%d", e.node(r.path).version))
		case linSetACL:
			parts = append(parts, fmt.Sprintf("aversion=%d", e.node(r.path).aversion))
		}
	}
	if len(parts) == 0 {
		return "OK"
	}
	return "OK " + strings.Join(parts, " ")
}

// describePaths names a partition's paths, a few of them when there are many.
func (p *linPartition) describePaths() string {
	const shown = 6
	if len(p.names) <= shown {
		return "paths " + strings.Join(p.names, " ")
	}
	return fmt.Sprintf("paths %s and %d more", strings.Join(p.names[:shown], " "), len(p.names)-shown)
}

// describe prints an op on one line: who, what, and the outcome it is checked with.
func (lo *linOp) describe() string {
	var b strings.Builder
	switch {
	case lo.id >= 0:
		fmt.Fprintf(&b, "op %d %s ", lo.id, histories.ClientName(lo.client))
	default:
		fmt.Fprintf(&b, "log %s ", lo.txn.Zxid)
	}
	if lo.close {
		if lo.origin == linSynthetic {
			fmt.Fprintf(&b, "expiry of session %s", lo.session)
		} else {
			fmt.Fprintf(&b, "closeSession %s", lo.session)
		}
	} else {
		b.WriteString(linReqName(lo))
	}
	switch lo.origin {
	case linUnknown:
		b.WriteString(" → unknown")
		return b.String()
	case linPatched:
		fmt.Fprintf(&b, " → (patched from %s)", lo.txn.Zxid)
	case linSynthetic:
		b.WriteString(" → (committed)")
	default:
		b.WriteString(" →")
	}
	fmt.Fprintf(&b, " %s", lo.code)
	if lo.multi && lo.failAt >= 0 {
		fmt.Fprintf(&b, " at op %d", lo.failAt)
	}
	if lo.code == tree.OK {
		for i := range lo.reqs {
			r := &lo.reqs[i]
			if r.obs.hasCounter {
				fmt.Fprintf(&b, " %s", tree.SequentialName(r.prefix, r.obs.counter))
			}
			if r.obs.statMask&linStatVersion != 0 {
				fmt.Fprintf(&b, " version=%d", r.obs.stat.version)
			}
			if r.obs.statMask&linStatAversion != 0 && r.kind == linSetACL {
				fmt.Fprintf(&b, " aversion=%d", r.obs.stat.aversion)
			}
		}
	}
	if lo.bad != "" {
		fmt.Fprintf(&b, " (%s)", lo.bad)
	}
	return b.String()
}

// linReqName prints an op's request(s) without outcome.
func linReqName(lo *linOp) string {
	var parts []string
	for i := range lo.reqs {
		parts = append(parts, lo.reqDescribe(&lo.reqs[i]))
	}
	if lo.multi {
		return "multi[" + strings.Join(parts, "; ") + "]"
	}
	if len(parts) == 0 {
		return "?"
	}
	return parts[0]
}

func (lo *linOp) reqDescribe(r *linReq) string {
	name := "?"
	switch r.kind {
	case linCreate:
		name = "create"
	case linDelete:
		name = "delete"
	case linDeleteContainer:
		name = "deleteContainer"
	case linSetData:
		name = "setData"
	case linSetACL:
		name = "setACL"
	case linCheck:
		name = "check"
	}
	if r.static != tree.OK {
		return name + " (malformed)"
	}
	path := "?"
	switch {
	case r.prefix != "":
		path = r.prefix + "<seq>"
	case lo.part != nil && r.path >= 0:
		path = lo.part.names[r.path]
	}
	s := name + " " + path
	switch r.kind {
	case linCreate:
		switch {
		case r.flags&linEphemeral != 0:
			s += " ephemeral"
		case r.flags&linContainer != 0:
			s += " container"
		case r.flags&linTTL != 0:
			s += " ttl"
		}
	case linDelete, linSetData, linSetACL, linCheck:
		if r.version != -1 || r.kind == linCheck {
			s += fmt.Sprintf(" v=%d", r.version)
		}
	}
	return s
}

// describe prints the existing nodes of a state, at most a screenful.
func (s *linState) describe() string {
	if s == nil {
		return "initial"
	}
	const shown = 24
	var lines []string
	more := 0
	for i := range s.part.names {
		n := s.node(int32(i))
		if !n.exists() {
			continue
		}
		if len(lines) == shown {
			more++
			continue
		}
		line := fmt.Sprintf("%s v%d", s.part.names[i], n.version)
		if n.aversion != 0 {
			line += fmt.Sprintf(" av%d", n.aversion)
		}
		if n.flags&linEphemeral != 0 {
			line += fmt.Sprintf(" eph:%s", tree.SessionID(n.owner))
		}
		if n.counter != 0 || n.children != 0 {
			line += fmt.Sprintf(" children=%d next=%d", n.children, n.counter)
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		lines = append(lines, "(no node exists)")
	}
	if more > 0 {
		lines = append(lines, fmt.Sprintf("... and %d more", more))
	}
	if len(s.anon) > 0 {
		lines = append(lines, fmt.Sprintf("%d unnamed sequential nodes", len(s.anon)))
	}
	return strings.Join(lines, "\n")
}

// ---------------------------------------------------------------------------------------------
// Visualization.

// visualize renders the chosen partitions, each cut to linVisualizeMaxOps around where its
// search got stuck, with the faults as annotations.
func (c *linChecker) visualize(chosen []int, results []porcupine.CheckResult, w io.Writer) error {
	var all []porcupine.Operation
	var groups [][]porcupine.Operation
	streams := map[int]int{}
	lo, hi := int64(math.MaxInt64), int64(0)
	for _, i := range chosen {
		view := c.window(c.parts[i], results[i])
		ops := view.porcupineOps()
		for i := range ops {
			id, ok := streams[ops[i].ClientId]
			if !ok {
				id = len(streams)
				streams[ops[i].ClientId] = id
			}
			ops[i].ClientId = id
			lo = min(lo, ops[i].Call)
			if ops[i].Return != math.MaxInt64 {
				hi = max(hi, ops[i].Return)
			} else {
				hi = max(hi, ops[i].Call)
			}
		}
		groups = append(groups, ops)
		all = append(all, ops...)
	}
	model := linModel
	model.Partition = func([]porcupine.Operation) [][]porcupine.Operation { return groups }
	budget := c.opts.Timeout
	if budget < 0 {
		budget = 0
	}
	_, info := porcupine.CheckOperationsVerbose(model, all, budget)
	info.AddAnnotations(c.faultAnnotations(lo, hi))
	return porcupine.Visualize(model, info, w)
}

// window returns the partition itself when it is small enough to draw, else a view of at most
// linVisualizeMaxOps of its ops whose initial state is the model state where they start: for a
// failing partition, the end of the longest partial linearization and the ops that could not
// follow it; for a passing one, the start of a linearization; for one that timed out, its
// first ops.
func (c *linChecker) window(p *linPartition, result porcupine.CheckResult) *linPartition {
	if len(p.ops) <= linVisualizeMaxOps {
		return p
	}
	var st linStuck
	if result != porcupine.Unknown {
		st = c.stuck(p)
	}
	s := p.initialState()
	var ops []*linOp
	switch {
	case st.explained:
		cut := max(0, len(st.linearized)-max(linVisualizeMaxOps-len(st.candidates), linVisualizeMaxOps/2))
		for _, lo := range st.linearized[:cut] {
			_, s = p.step(s, lo)
		}
		ops = append(slices.Clone(st.linearized[cut:]), st.candidates...)
	case len(st.linearized) == len(p.ops):
		ops = slices.Clone(st.linearized[:linVisualizeMaxOps])
	default:
		ops = slices.Clone(p.ops[:linVisualizeMaxOps])
	}
	slices.SortStableFunc(ops, func(a, b *linOp) int { return cmp.Compare(a.call, b.call) })
	// The view shares p's paths; only its initial state differs, the state at the cut.
	view := &linPartition{index: p.index, root: p.root, names: p.names, parentOf: p.parentOf, initial: s, treeHeight: p.treeHeight}
	view.ops = make([]*linOp, len(ops))
	for i, lo := range ops {
		cp := *lo
		cp.part = view
		view.ops[i] = &cp
	}
	return view
}

// faultAnnotations turns h.Faults overlapping [lo, hi] into annotations: one row per server
// for faults on one server, one row per kind for the others.
func (c *linChecker) faultAnnotations(lo, hi int64) []porcupine.Annotation {
	var out []porcupine.Annotation
	for i := range c.h.Faults {
		f := &c.h.Faults[i]
		start, end := int64(f.StartSeq), int64(f.EndSeq)
		if f.EndSeq == 0 {
			end = hi
		}
		if end < lo || start > hi {
			continue
		}
		tag := string(f.Kind)
		if len(f.Servers) == 1 && len(f.Groups) == 0 {
			tag = histories.ServerName(f.Servers[0])
		}
		desc := string(f.Kind)
		if f.Detail != "" {
			desc += " " + f.Detail
		}
		details := fmt.Sprintf("fault %d %s from %s to %s", f.ID, f.Kind, FormatTime(f.Start), FormatTime(f.End))
		if len(f.Servers) > 0 {
			details += fmt.Sprintf(" servers %v", f.Servers)
		}
		if len(f.Groups) > 0 {
			details += fmt.Sprintf(" groups %v", f.Groups)
		}
		if len(f.Clients) > 0 {
			details += fmt.Sprintf(" clients %v", f.Clients)
		}
		out = append(out, porcupine.Annotation{Tag: tag, Start: max(start, lo), End: min(end, hi),
			Description: desc, Details: details, BackgroundColor: "#f6d5d5"})
	}
	return out
}
