package models

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"zoosim/histories"
	"zoosim/tree"
)

// ordErrBadHistory is the cause of an Inconclusive verdict from a history that breaks the
// recorder's own rules (a log out of zxid order, ops out of invoke order): the history is
// damaged, not the system under test.
var ordErrBadHistory = errors.New("models: bad history")

// ZxidOrderOptions configure CheckZxidOrder.
type ZxidOrderOptions struct {
	// Tree are the servers' tree options (ExtendedTypes decides what a stat reports as the
	// ephemeral owner of a TTL node).
	Tree tree.Options
	// StrictSync fails a stale sync even when a newer leader had already been established
	// before it was invoked. ZooKeeper 3.8/3.9 allow that case (sync is not a quorum operation,
	// zookeeper.md A10 and C16, ZOOKEEPER-1675); the stricter contract is for variants that
	// model a fix.
	StrictSync bool
}

// CheckZxidOrder replays the committed log once and checks that it explains every reply the
// clients received (zookeeper.md A10, "Harness oracle"; DESIGN.md "histories and models"):
//
//   - every acknowledged write (OK or Failed, A7.1) is the txn at its reply zxid: same session
//     and cxid, committed between its invoke and its return, and applying that txn gives the
//     reply's result (code, created path, stat, multi results);
//   - an Unknown write either committed after its invoke or never committed;
//   - writes are in real-time order: a write invoked after another returned has a larger zxid
//     (for acknowledged writes, and for committed Unknown writes as the later one: an Unknown
//     write's return says nothing about when it committed);
//   - every reply's zxid is a committed zxid (or 0), committed before the reply, and every read
//     (exists, getData, getChildren, getChildren2, getACL, getAllChildrenNumber, getEphemerals,
//     multiRead) returns exactly the state at its reply zxid;
//   - per session, reply zxids never go back, across reconnects too (single system image), so a
//     session reads its own writes;
//   - a sync's reply zxid is at least the zxid of every write acknowledged before the sync was
//     invoked, unless the sync's server followed a leader that a newer established epoch had
//     already superseded (C16): those are counted, not failed (see ZxidOrderOptions.StrictSync).
//
// The committed log is h.Log without the tentative txns no established leader kept (see
// ordNewLog). The state at zxid Z is the tree after applying the committed log up to and
// including Z (a server's reply carries its last applied zxid, zab's answerRead and syncDone);
// a txn's commit is its first apply on any server. Reads are replayed as a superuser, since the
// history does not record each connection's identities: a recorded NoAuth, or an ACL with its
// digests redacted, is accepted where the node exists, and counted.
//
// It is linear in the length of the history (one replay, reads bucketed by zxid, one sweep in
// Seq order), except for a sort of the returns when the history's Seqs are too sparse to bucket.
// A history that breaks the recorder's own rules (a log out of zxid order, ops out of invoke
// order) gives an Inconclusive verdict that says what is wrong.
func CheckZxidOrder(h *histories.History, opts ZxidOrderOptions) Verdict {
	if h == nil {
		return ordInconclusive("zxid-order", fmt.Errorf("%w: no history", ordErrBadHistory))
	}
	log, err := ordNewLog(h)
	if err != nil {
		return ordInconclusive("zxid-order", err)
	}
	c, err := newOrdCheck(h, opts, log, ordNewConnections(h))
	if err != nil {
		return ordInconclusive("zxid-order", err)
	}
	replayLog(log.txns, opts.Tree, c)
	return c.finish()
}

// newOrdCheck prepares CheckZxidOrder's replay of log: the ops classified and the Unknown
// writes matched to the log.
func newOrdCheck(h *histories.History, opts ZxidOrderOptions, log *ordLog, conns ordConnections) (*ordCheck, error) {
	c := &ordCheck{h: h, opts: opts, log: log, conns: conns}
	if err := c.classify(); err != nil {
		return nil, err
	}
	c.matchUnknown()
	return c, nil
}

// finish is CheckZxidOrder after the replay: the sweep in Seq order and the verdict.
func (c *ordCheck) finish() Verdict {
	if err := c.sweep(); err != nil {
		return ordInconclusive("zxid-order", err)
	}
	return c.verdict()
}

// ordCheck is one run of CheckZxidOrder.
type ordCheck struct {
	h     *histories.History
	opts  ZxidOrderOptions
	log   *ordLog
	conns ordConnections
	found ordFindings

	// ops packs what the sweep needs of each op, by op ID (see ordOp).
	ops []ordOp
	// views are the sessions' views, indexed by ordOp.view.
	views []ordSessionView
	// maxReturn is the largest ReturnSeq of a replied op.
	maxReturn histories.Seq
	// ackBy[i] is the op acknowledged with the txn at log index i, or -1.
	ackBy []int32
	// syncOps are the replied syncs, in op order: the sweep keeps each one's bound in the
	// slot of its rank here instead of a map by op.
	syncOps []int32
	// closeOps are the closeSession ops, in op order (CheckSessions needs them by key).
	closeOps []int32
	// readStart and readOrder bucket the reads by the state they must equal: the reads of
	// bucket b are readOrder[readStart[b]:readStart[b+1]]; bucket 0 is the empty tree, bucket
	// i+1 the state after log[i].
	readStart []int32
	readOrder []int32
	// unknown maps (session, cxid) to each Unknown write; committed holds the zxid of those
	// whose txn is in the log.
	unknown   map[ordTxnKey]int
	committed map[int]tree.Zxid
	// leaders are the history's leader epochs, set by the sweep (CheckSessions reuses them).
	leaders *ordLeaderEpochs
	// children caches sorted child lists of the replayed tree by path (see read).
	children map[string][]string

	writes, reads, syncs int
	unverifiedACL        int
	staleSyncs           int
	digestMismatches     int
}

// ordOp is what the sweep needs of one op, packed: an Op is over 500 bytes, and a pass over a
// million of them costs more than the checks themselves.
type ordOp struct {
	invoke, ret histories.Seq
	// zxid is the reply's zxid, or the txn's for a committed Unknown write.
	zxid tree.Zxid
	// view is the index of the session's view for a replied op, else -1.
	view int32
	kind ordKind
}

// ordKind is what the sweep does with an op.
type ordKind uint8

const (
	ordIgnored          ordKind = iota // not replied and not a committed write
	ordAcked                           // an acknowledged write
	ordUnknownCommitted                // an Unknown write whose txn is in the log
	ordSyncReplied                     // a replied sync
	ordOtherReplied                    // any other replied op
)

// ordTxnKey identifies a client's txn: the session that sent it and the client's xid.
type ordTxnKey struct {
	session tree.SessionID
	cxid    int32
}

// ordTxnFilterWords sizes matchUnknown's filter: 4096 bits.
const ordTxnFilterWords = 64

// filterBit hashes k to a bit of matchUnknown's filter (Fibonacci hashing).
func (k ordTxnKey) filterBit() uint64 {
	h := (uint64(k.session)*0x9e3779b97f4a7c15 ^ uint64(uint32(k.cxid))) * 0x9e3779b97f4a7c15
	return h >> (64 - 12)
}

// ordIsCheckedRead reports whether a reply to t is a function of the tree's state alone, so
// that replaying the log to the reply zxid must reproduce it.
func ordIsCheckedRead(t tree.OpCode) bool {
	switch t {
	case tree.OpExists, tree.OpGetData, tree.OpGetChildren, tree.OpGetChildren2, tree.OpGetACL,
		tree.OpGetAllChildrenNumber, tree.OpGetEphemerals, tree.OpMultiRead:
		return true
	}
	return false
}

// ordReplied reports whether a server answered op (its zxid and result are the server's).
func ordReplied(op *histories.Op) bool {
	return op.Outcome == histories.OK || op.Outcome == histories.Failed
}

// classify goes over the ops once: it checks the recorder's promises (IDs, invoke order),
// ties each acknowledged write to its txn and checks what needs no replay (session, cxid,
// type, commit inside the op's interval), checks that every other reply names a committed
// zxid, buckets the reads by the zxid they were served at, and packs the ops for the sweep.
func (c *ordCheck) classify() error {
	h, log := c.h, c.log
	c.ackBy = make([]int32, len(log.txns))
	for i := range c.ackBy {
		c.ackBy[i] = -1
	}
	c.ops = make([]ordOp, len(h.Ops))
	type readAt struct {
		op     int32
		bucket int32
	}
	// Room for half the ops, a guess that spares the growth steps: about a third of a sweep's
	// ops are checked reads.
	reads := make([]readAt, 0, len(h.Ops)/2)
	views := ordViewIndex{ids: map[tree.SessionID]int32{}}
	for i := range h.Ops {
		op := &h.Ops[i]
		if err := ordCheckOp(h, i); err != nil {
			return err
		}
		o := &c.ops[i]
		o.invoke, o.view = op.InvokeSeq, -1
		replied := ordReplied(op)
		if replied {
			o.ret, o.zxid = op.ReturnSeq, op.Zxid
			o.view = views.of(op.Client, c.conns.session(op))
			c.maxReturn = max(c.maxReturn, op.ReturnSeq)
		}
		if op.IsWrite() {
			if op.Req.Type == tree.OpCloseSession {
				c.closeOps = append(c.closeOps, int32(i))
			}
			if replied {
				o.kind = ordAcked
				c.writes++
				c.classifyAck(op)
			} else {
				if c.unknown == nil {
					c.unknown = map[ordTxnKey]int{}
				}
				c.unknown[ordTxnKey{c.conns.session(op), op.Xid}] = i
			}
			continue
		}
		if !replied {
			continue
		}
		o.kind = ordOtherReplied
		idx := -1
		if op.Zxid != 0 {
			if idx = log.find(op.Zxid); idx < 0 {
				c.found.add(op.Return, op.ReturnSeq, []int{i},
					"%s replied at zxid %s, which is not in the committed log (a server answered from a state no quorum committed)",
					ordDescribe(op), op.Zxid)
				continue
			}
			if cs := log.commitSeq[idx]; cs != 0 && cs > op.ReturnSeq {
				c.found.add(op.Return, op.ReturnSeq, []int{i},
					"%s replied at zxid %s before that txn committed (at %s)",
					ordDescribe(op), op.Zxid, FormatTime(log.commitTime[idx]))
			}
		}
		switch {
		case op.Req.Type == tree.OpSync:
			o.kind = ordSyncReplied
			c.syncs++
			c.syncOps = append(c.syncOps, int32(i))
		case ordIsCheckedRead(op.Req.Type):
			c.reads++
			reads = append(reads, readAt{int32(i), int32(idx + 1)})
		}
	}
	c.views = make([]ordSessionView, len(views.sessions))
	for i, s := range views.sessions {
		c.views[i] = ordSessionView{session: s, maxOp: -1}
	}
	// A counting sort by bucket: linear, and stable, so the reads of one zxid stay in op order.
	c.readStart = make([]int32, len(log.txns)+2)
	for _, r := range reads {
		c.readStart[r.bucket+1]++
	}
	for b := 1; b < len(c.readStart); b++ {
		c.readStart[b] += c.readStart[b-1]
	}
	c.readOrder = make([]int32, len(reads))
	next := slices.Clone(c.readStart[:len(c.readStart)-1])
	for _, r := range reads {
		c.readOrder[next[r.bucket]] = r.op
		next[r.bucket]++
	}
	return nil
}

// ordViewIndex numbers sessions in the order they first reply, remembering each client's
// current session so that most ops need no map lookup.
type ordViewIndex struct {
	ids      map[tree.SessionID]int32
	sessions []tree.SessionID
	// last[c] is client c's last session and its index.
	last []ordLastView
}

type ordLastView struct {
	session tree.SessionID
	view    int32
	set     bool
}

func (v *ordViewIndex) of(client int, s tree.SessionID) int32 {
	if client >= 0 && client < len(v.last) && v.last[client].set && v.last[client].session == s {
		return v.last[client].view
	}
	id, ok := v.ids[s]
	if !ok {
		id = int32(len(v.sessions))
		v.ids[s] = id
		v.sessions = append(v.sessions, s)
	}
	if client >= 0 && client < 1<<20 {
		for len(v.last) <= client {
			v.last = append(v.last, ordLastView{})
		}
		v.last[client] = ordLastView{s, id, true}
	}
	return id
}

// classifyAck ties an acknowledged write to the txn at its reply zxid; replay checks that the
// txn is the op's (explain), so that this pass touches no txn.
func (c *ordCheck) classifyAck(op *histories.Op) {
	idx := c.log.find(op.Zxid)
	if idx < 0 {
		c.found.add(op.Return, op.ReturnSeq, []int{op.ID},
			"%s was acknowledged (%s) at zxid %s, but the committed log has no txn at that zxid",
			ordDescribe(op), op.Err, op.Zxid)
		return
	}
	if prev := c.ackBy[idx]; prev >= 0 {
		c.found.add(op.Return, op.ReturnSeq, []int{op.ID, int(prev)},
			"%s and op %d were both acknowledged with the txn at zxid %s", ordDescribe(op), prev, op.Zxid)
		return
	}
	c.ackBy[idx] = int32(op.ID)
	c.checkCommitTime(op, idx, true)
}

// explain checks that x, applied with result res, is the txn of the acknowledged write op:
// same session and cxid, a type the request can become, and the result the client got.
func (c *ordCheck) explain(op *histories.Op, x *tree.Txn, res *tree.Result) {
	session := c.conns.session(op)
	switch {
	case x.Session != session || x.Cxid != op.Xid:
		c.found.add(op.Return, op.ReturnSeq, []int{op.ID},
			"%s of session %s was acknowledged with the txn at zxid %s, which session %s sent as cxid %d (%s)",
			ordDescribe(op), session, op.Zxid, x.Session, x.Cxid, x.Type)
	case !ordTxnFits(op.Req.Type, x.Type):
		c.found.add(op.Return, op.ReturnSeq, []int{op.ID},
			"%s was acknowledged with the txn at zxid %s, a %s txn", ordDescribe(op), op.Zxid, x.Type)
	case !ordSameResult(res, &op.Result) || res.Err != op.Err:
		c.found.add(op.Return, op.ReturnSeq, []int{op.ID},
			"%s replied %s (%s); applying its txn at zxid %s gives %s",
			ordDescribe(op), op.Err, ordShort(op.Result.String()), x.Zxid, ordShort(res.String()))
	}
}

// checkCommitTime checks that the txn at idx, which op became, committed after op was invoked
// and, when the op was acknowledged, before its reply. A txn's commit is its first apply on
// any server: the leader applies a txn when it commits it, before anyone else.
func (c *ordCheck) checkCommitTime(op *histories.Op, idx int, acked bool) {
	cs := c.log.commitSeq[idx]
	if cs == 0 {
		return // no server recorded applying it: the history lacks Applied
	}
	if cs < op.InvokeSeq {
		c.found.add(c.log.commitTime[idx], cs, []int{op.ID},
			"the txn of %s at zxid %s committed at %s, before the op was invoked at %s",
			ordDescribe(op), c.log.txns[idx].Zxid, FormatTime(c.log.commitTime[idx]), FormatTime(op.Invoke))
	}
	if acked && cs > op.ReturnSeq {
		c.found.add(op.Return, op.ReturnSeq, []int{op.ID},
			"%s was acknowledged at %s, before its txn at zxid %s committed at %s",
			ordDescribe(op), FormatTime(op.Return), c.log.txns[idx].Zxid, FormatTime(c.log.commitTime[idx]))
	}
}

// ordTxnFits reports whether a request of type req can have become a txn of type txn: its own
// type, or an error txn (A7.1). A multi stays a multi txn when it fails (A7).
func ordTxnFits(req, txn tree.OpCode) bool {
	return txn == req || txn == tree.OpError
}

// matchUnknown finds the txn of each Unknown write, if it committed: one pass over the log,
// looking up only the (session, cxid) pairs of Unknown writes.
func (c *ordCheck) matchUnknown() {
	if len(c.unknown) == 0 {
		return
	}
	c.committed = map[int]tree.Zxid{}
	// Unknown writes are few and txns many: a bit per hash of the key rules most txns out
	// before the map lookup.
	var filter [ordTxnFilterWords]uint64
	for k := range c.unknown {
		b := k.filterBit()
		filter[b/64] |= 1 << (b % 64)
	}
	for idx, x := range c.log.txns {
		key := ordTxnKey{x.Session, x.Cxid}
		if b := key.filterBit(); filter[b/64]&(1<<(b%64)) == 0 {
			continue
		}
		id, ok := c.unknown[key]
		if !ok {
			continue
		}
		op := &c.h.Ops[id]
		if !ordTxnFits(op.Req.Type, x.Type) {
			continue // a txn the server made itself with this cxid (an expiry's closeSession)
		}
		if _, dup := c.committed[id]; dup {
			continue
		}
		c.committed[id] = x.Zxid
		c.ops[id].kind, c.ops[id].zxid = ordUnknownCommitted, x.Zxid
		c.checkCommitTime(op, idx, false)
	}
}

// ordSuperAuth reads every node whatever its ACL: the history does not record each
// connection's identities, so the replay answers as a superuser and a recorded NoAuth or a
// redacted ACL is accepted where the node exists (see ordSameRead).
var ordSuperAuth = tree.Auth{{Scheme: "super", ID: "zxid-order"}}

// The replay applies the log and, after each txn, compares the acknowledged write it explains
// and the reads served at its zxid (replayLog: begin, step, end).

func (c *ordCheck) begin(t *tree.Tree) {
	c.children = map[string][]string{}
	c.answer(t, 0)
}

func (c *ordCheck) step(t *tree.Tree, i int, x *tree.Txn, a *tree.Applied) {
	if a.DigestErr != nil {
		c.digestMismatches++
	}
	c.track(a.Changes)
	if id := c.ackBy[i]; id >= 0 {
		c.explain(&c.h.Ops[id], x, &a.Result)
	}
	c.answer(t, i+1)
}

func (c *ordCheck) end(*tree.Tree) {}

// answer checks the reads of one bucket against t, which is the state they were served at.
func (c *ordCheck) answer(t *tree.Tree, bucket int) {
	for _, id := range c.readOrder[c.readStart[bucket]:c.readStart[bucket+1]] {
		op := &c.h.Ops[id]
		want := c.read(t, op)
		ok, unverified := ordSameRead(&want, &op.Result)
		if unverified {
			c.unverifiedACL++
		}
		if !ok {
			c.found.add(op.Return, op.ReturnSeq, []int{op.ID},
				"%s on %s returned %s at zxid %s, but the committed state at that zxid gives %s",
				ordDescribe(op), histories.ServerName(op.Server), ordShort(op.Result.String()), op.Zxid, ordShort(want.String()))
		}
	}
}

// read serves op's request from t as a superuser. A node's sorted child list is cached and
// kept up to date as children come and go (see track): listing and sorting the children of a
// busy parent on every getChildren would be most of the replay's time and garbage.
func (c *ordCheck) read(t *tree.Tree, op *histories.Op) tree.Result {
	req := &op.Req
	if req.Type == tree.OpGetChildren || req.Type == tree.OpGetChildren2 {
		// What tree.Read answers when the node exists: a node's path is valid, and a superuser
		// passes the READ check.
		if st, ok := t.Stat(req.Path); ok {
			kids, ok := c.children[req.Path]
			if !ok {
				kids, _ = t.Children(req.Path)
				c.children[req.Path] = kids
			}
			res := tree.Result{Type: req.Type, Children: kids}
			if req.Type == tree.OpGetChildren2 {
				res.Stat, res.HasStat = st, true
			}
			return res
		}
	}
	res, _ := t.Read(req, c.conns.session(op), ordSuperAuth, nil)
	return res
}

// track keeps the cached child lists in step with the changes of one txn.
func (c *ordCheck) track(changes []tree.Change) {
	if len(c.children) == 0 {
		return
	}
	for _, ch := range changes {
		switch ch.Type {
		case tree.EventNodeCreated:
			if kids, ok := c.children[tree.ParentPath(ch.Path)]; ok {
				name := tree.BaseName(ch.Path)
				if i, found := slices.BinarySearch(kids, name); !found {
					c.children[tree.ParentPath(ch.Path)] = slices.Insert(kids, i, name)
				}
			}
		case tree.EventNodeDeleted:
			delete(c.children, ch.Path)
			if kids, ok := c.children[tree.ParentPath(ch.Path)]; ok {
				if i, found := slices.BinarySearch(kids, tree.BaseName(ch.Path)); found {
					c.children[tree.ParentPath(ch.Path)] = slices.Delete(kids, i, i+1)
				}
			}
		}
	}
}

// ordSameRead compares a recorded read result with the one the replay computed as a
// superuser. A recorded NoAuth where the node exists, and a recorded ACL that is the real one
// with its digests redacted, are accepted and reported as unverified: the connection's
// identities are not in the history.
func ordSameRead(want, got *tree.Result) (ok, unverified bool) {
	if ordSameResult(want, got) {
		return true, false
	}
	if got.Err == tree.NoAuth && want.Err == tree.OK && got.Type == want.Type {
		return true, true
	}
	if want.Type == tree.OpGetACL && got.Err == tree.OK && want.Err == tree.OK && want.Stat == got.Stat &&
		slices.Equal(tree.RedactACL(want.ACL), got.ACL) {
		return true, true
	}
	if want.Type == tree.OpMultiRead && got.Type == want.Type && got.Err == want.Err && len(got.Multi) == len(want.Multi) {
		for i := range want.Multi {
			w, g := &want.Multi[i], &got.Multi[i]
			if ordSameResult(w, g) {
				continue
			}
			// A denied sub-read is an error result in place of the data (tree.Read).
			if g.Type == tree.OpError && g.Err == tree.NoAuth && w.Err == tree.OK {
				unverified = true
				continue
			}
			return false, false
		}
		return true, unverified
	}
	return false, false
}

// ordSameResult compares two results field by field; a nil and an empty slice are equal
// (the wire does not tell them apart), and children compare as sets (ZooKeeper lists them in
// no defined order, A1).
func ordSameResult(a, b *tree.Result) bool {
	if a.Type != b.Type || a.Err != b.Err || a.Path != b.Path || a.HasStat != b.HasStat || a.Stat != b.Stat ||
		a.Count != b.Count || !bytes.Equal(a.Data, b.Data) || !slices.Equal(a.ACL, b.ACL) ||
		!slices.Equal(a.Paths, b.Paths) || len(a.Multi) != len(b.Multi) {
		return false
	}
	if !slices.Equal(a.Children, b.Children) {
		if len(a.Children) != len(b.Children) {
			return false
		}
		x, y := slices.Clone(a.Children), slices.Clone(b.Children)
		slices.Sort(x)
		slices.Sort(y)
		if !slices.Equal(x, y) {
			return false
		}
	}
	for i := range a.Multi {
		if !ordSameResult(&a.Multi[i], &b.Multi[i]) {
			return false
		}
	}
	return true
}

// ordSessionView is what one session has seen so far: the largest reply zxid and the op that
// carried it (-1 before any reply).
type ordSessionView struct {
	session tree.SessionID
	max     tree.Zxid
	maxOp   int
}

// ordSyncBound is the newest acknowledged write when a sync was invoked.
type ordSyncBound struct {
	zxid tree.Zxid
	op   int
}

// sweep walks the history in Seq order (invokes in op order, returns in return order) and
// checks real-time order of writes, syncs, and per-session monotonic replies. It reads the
// packed ops; an Op itself only to describe a violation.
func (c *ordCheck) sweep() error {
	returns, err := c.returnOrder()
	if err != nil {
		return err
	}
	c.leaders = ordNewLeaderEpochs(c.h)
	leaders := c.leaders
	// newest is the acknowledged write with the largest zxid among those returned so far.
	newest := ordSyncBound{op: -1}
	// syncs[k] is the bound of the sync c.syncOps[k]; invokes come in op order, so the k-th
	// sync invoked fills slot k.
	syncs := make([]ordSyncBound, 0, len(c.syncOps))
	r := 0
	for i := range c.ops {
		o := &c.ops[i]
		for ; r < len(returns) && c.ops[returns[r]].ret < o.invoke; r++ {
			c.returned(int(returns[r]), &newest, syncs, leaders)
		}
		switch o.kind {
		case ordAcked, ordUnknownCommitted:
			if newest.op >= 0 && o.zxid <= newest.zxid {
				op, prev := &c.h.Ops[i], &c.h.Ops[newest.op]
				c.found.add(op.Invoke, op.InvokeSeq, []int{i, newest.op},
					"%s was invoked at %s, after %s returned at %s with zxid %s, yet it has zxid %s (writes out of real-time order)",
					ordDescribe(op), FormatTime(op.Invoke), ordDescribe(prev), FormatTime(prev.Return), newest.zxid, o.zxid)
			}
		case ordSyncReplied:
			syncs = append(syncs, newest)
		}
	}
	for ; r < len(returns); r++ {
		c.returned(int(returns[r]), &newest, syncs, leaders)
	}
	return nil
}

// returned handles the return of replied op id in the sweep.
func (c *ordCheck) returned(id int, newest *ordSyncBound, syncs []ordSyncBound, leaders *ordLeaderEpochs) {
	o := &c.ops[id]
	if o.kind == ordAcked && o.zxid > newest.zxid {
		*newest = ordSyncBound{o.zxid, id}
	}
	v := &c.views[o.view]
	switch {
	case o.zxid < v.max:
		op, prev := &c.h.Ops[id], &c.h.Ops[v.maxOp]
		why := "its reply zxids went back"
		switch {
		case prev.IsWrite():
			why = "it does not read its own write (read-your-writes)"
		case prev.Req.Type == tree.OpSync:
			why = "it is older than the session's sync before it (sync then read)"
		case prev.Server != op.Server:
			why = "it saw an older state after moving to another server (single system image)"
		}
		c.found.add(op.Return, op.ReturnSeq, []int{id, v.maxOp},
			"session %s: %s on %s replied at zxid %s after %s on %s had replied at zxid %s: %s",
			v.session, ordDescribe(op), histories.ServerName(op.Server), op.Zxid,
			ordDescribe(prev), histories.ServerName(prev.Server), v.max, why)
	case o.zxid > v.max || v.maxOp < 0:
		v.max, v.maxOp = o.zxid, id
	}
	if o.kind == ordSyncReplied {
		// A sync returns after its invoke, so its slot is filled.
		k, _ := slices.BinarySearch(c.syncOps, int32(id))
		// Most syncs are fresh: decide that from the packed op, without touching the Op.
		if bound := syncs[k]; bound.op >= 0 && o.zxid < bound.zxid {
			c.checkSync(&c.h.Ops[id], bound, leaders)
		}
	}
}

// checkSync checks a replied sync against the newest write acknowledged before it was invoked.
func (c *ordCheck) checkSync(op *histories.Op, bound ordSyncBound, leaders *ordLeaderEpochs) {
	if bound.op < 0 || op.Zxid >= bound.zxid {
		return
	}
	prev := &c.h.Ops[bound.op]
	served, newer, superseded := leaders.superseded(op)
	if superseded && !c.opts.StrictSync {
		c.staleSyncs++
		return
	}
	why := ""
	if superseded {
		why = fmt.Sprintf(" (its server was in epoch %d, superseded by epoch %d before the sync: allowed by ZooKeeper, failed under StrictSync)", served, newer)
	}
	c.found.add(op.Return, op.ReturnSeq, []int{op.ID, bound.op},
		"%s on %s replied at zxid %s, older than %s, which was acknowledged with zxid %s at %s, before the sync was invoked%s",
		ordDescribe(op), histories.ServerName(op.Server), op.Zxid, ordDescribe(prev), bound.zxid, FormatTime(prev.Return), why)
}

// verdict builds the verdict with the metrics of the run.
func (c *ordCheck) verdict() Verdict {
	lost := len(c.unknown) - len(c.committed)
	summary := fmt.Sprintf("%d ops (%d acknowledged writes, %d reads, %d syncs) against %d txns: consistent",
		len(c.h.Ops), c.writes, c.reads, c.syncs, len(c.log.txns))
	v := c.found.verdict("zxid-order", summary)
	v.Metrics = []Metric{
		{Name: "txns replayed", Value: float64(len(c.log.txns)), Unit: "txns"},
		{Name: "acknowledged writes", Value: float64(c.writes), Unit: "ops"},
		{Name: "reads checked", Value: float64(c.reads), Unit: "ops"},
		{Name: "syncs checked", Value: float64(c.syncs), Unit: "ops"},
		{Name: "unknown writes committed", Value: float64(len(c.committed)), Unit: "ops"},
		{Name: "unknown writes not committed", Value: float64(lost), Unit: "ops"},
		{Name: "stale syncs allowed (ZOOKEEPER-1675)", Value: float64(c.staleSyncs), Unit: "ops"},
		{Name: "reads with unverified ACL", Value: float64(c.unverifiedACL), Unit: "ops"},
		{Name: "tentative txns left out", Value: float64(c.log.tentative), Unit: "txns"},
		{Name: "replay digest mismatches", Value: float64(c.digestMismatches), Unit: "txns"},
	}
	return v
}

// ordInconclusive is the verdict on a history a checker cannot read.
func ordInconclusive(checker string, err error) Verdict {
	return Verdict{Checker: checker, Status: Inconclusive, Summary: err.Error()}
}

// ordDescribe names an op in a message: its ID, client, type and path.
func ordDescribe(op *histories.Op) string {
	if op.Req.Path == "" {
		return fmt.Sprintf("op %d (%s %s)", op.ID, histories.ClientName(op.Client), op.Req.Type)
	}
	return fmt.Sprintf("op %d (%s %s %s)", op.ID, histories.ClientName(op.Client), op.Req.Type, op.Req.Path)
}

// ordShort keeps a message one readable line.
func ordShort(s string) string {
	const limit = 200
	if len(s) <= limit {
		return "{" + s + "}"
	}
	return "{" + s[:limit] + "...}"
}

// ordCheckOp checks the recorder's promises about op i: ID = index, ops in invoke order, a
// return after the invoke, and a reply only on a returned op.
func ordCheckOp(h *histories.History, i int) error {
	op := &h.Ops[i]
	if op.ID != i {
		return fmt.Errorf("%w: op at index %d has ID %d", ordErrBadHistory, i, op.ID)
	}
	if i > 0 && op.InvokeSeq <= h.Ops[i-1].InvokeSeq {
		return fmt.Errorf("%w: op %d invoked at seq %d, not after op %d (seq %d)", ordErrBadHistory, i, op.InvokeSeq, i-1, h.Ops[i-1].InvokeSeq)
	}
	if op.Returned() && op.ReturnSeq <= op.InvokeSeq {
		return fmt.Errorf("%w: op %d returned at seq %d, not after its invoke (seq %d)", ordErrBadHistory, i, op.ReturnSeq, op.InvokeSeq)
	}
	if ordReplied(op) && !op.Returned() {
		return fmt.Errorf("%w: op %d has outcome %s but never returned", ordErrBadHistory, i, op.Outcome)
	}
	return nil
}

// returnOrder lists the replied ops in return order. Seqs come from one counter, so they
// are dense and a bucket array sorts them in linear time; sparse Seqs (a hand-made history)
// fall back to a sort.
func (c *ordCheck) returnOrder() ([]int32, error) {
	h := c.h
	out := make([]int32, 0, len(c.ops))
	if c.maxReturn <= histories.Seq(4*len(h.Ops)+len(h.Events)+2*len(h.Faults)+len(h.Servers)+ordAppliedCount(h)+64) {
		at := make([]int32, c.maxReturn+1)
		for i := range c.ops {
			if o := &c.ops[i]; o.view >= 0 {
				if at[o.ret] != 0 {
					return nil, fmt.Errorf("%w: ops %d and %d returned at the same seq %d", ordErrBadHistory, at[o.ret]-1, i, o.ret)
				}
				at[o.ret] = int32(i) + 1
			}
		}
		for _, id := range at {
			if id != 0 {
				out = append(out, id-1)
			}
		}
		return out, nil
	}
	for i := range c.ops {
		if c.ops[i].view >= 0 {
			out = append(out, int32(i))
		}
	}
	slices.SortFunc(out, func(a, b int32) int { return cmp.Compare(c.ops[a].ret, c.ops[b].ret) })
	for i := 1; i < len(out); i++ {
		if c.ops[out[i]].ret == c.ops[out[i-1]].ret {
			return nil, fmt.Errorf("%w: ops %d and %d returned at the same seq %d", ordErrBadHistory, out[i-1], out[i], c.ops[out[i]].ret)
		}
	}
	return out, nil
}

func ordAppliedCount(h *histories.History) int {
	n := 0
	for _, a := range h.Applied {
		n += len(a)
	}
	return n
}

// ordLog is the committed log with an O(1) zxid lookup and each txn's commit: its first
// apply on any server.
type ordLog struct {
	// txns are the committed txns of h.Log, in zxid order.
	txns []*tree.Txn
	// zxidIndex indexes txns' zxids.
	zxidIndex
	// tentative counts the txns of h.Log left out as never committed.
	tentative int
	// commitSeq[i] and commitTime[i] are the first apply of txns[i] (0 when no server recorded
	// applying it).
	commitSeq  []histories.Seq
	commitTime []histories.Time
}

// zxidIndex finds a zxid's position in a list of zxids (the first position of a repeated one).
// The checkers look up every apply of every server, and for positive, strictly increasing
// zxids, as a recorded log's are, it needs no map, which would cost several times more: ZAB
// numbers an epoch's txns with consecutive counters (B1), so a zxid's position is its epoch's
// first position plus its counter's offset.
type zxidIndex struct {
	// zxids is the list, kept flat: a lookup then touches no txn.
	zxids []tree.Zxid
	// Invariant: epochs are in increasing epoch order and cover zxids in order.
	epochs []ordEpochSpan
	// last is a copy of the span of the last lookup, which find tries inline before anything
	// else: lookups come in zxid order far more often than not.
	// Invariant: last is one of epochs, or has epoch -1 (no lookup yet, or byZxid is in use).
	last ordEpochSpan
	// byZxid holds the positions instead when the zxids are not positive and strictly
	// increasing (a damaged history); then epochs is empty.
	byZxid map[tree.Zxid]int
}

// ordEpochSpan is the run of log txns of one epoch. ZAB gives the txns of an epoch
// consecutive counters (B1), so a zxid's index is first + counter - base.
type ordEpochSpan struct {
	epoch int64
	first int
	n     int
	base  int64
}

// newZxidIndex indexes zxids.
func newZxidIndex(zxids []tree.Zxid) zxidIndex {
	x := zxidIndex{zxids: zxids, last: ordEpochSpan{epoch: -1}}
	for i, z := range zxids {
		if z <= 0 || i > 0 && z <= zxids[i-1] {
			x.epochs = nil
			x.byZxid = make(map[tree.Zxid]int, len(zxids))
			for i, z := range zxids {
				if _, dup := x.byZxid[z]; !dup {
					x.byZxid[z] = i
				}
			}
			return x
		}
		epoch := int64(z) >> 32
		if n := len(x.epochs); n == 0 || x.epochs[n-1].epoch != epoch {
			x.epochs = append(x.epochs, ordEpochSpan{epoch: epoch, first: i, base: int64(z) & 0xffffffff})
		}
		x.epochs[len(x.epochs)-1].n++
	}
	return x
}

// zxidsOf returns the zxids of txns.
func zxidsOf(txns []*tree.Txn) []tree.Zxid {
	zxids := make([]tree.Zxid, len(txns))
	for i, x := range txns {
		zxids[i] = x.Zxid
	}
	return zxids
}

// ordNewLog indexes the committed txns of h.Log and finds each one's commit in h.Applied.
//
// h.Log holds every txn any server applied, and a server applies txns that never commit: a
// server elected leader applies its whole log as its initial history (B3), and if it never
// establishes its epoch a later leader's TRUNC or SNAP rolls them back (see CheckZab). A leader
// that establishes epoch e holds every committed txn (B6, LeaderLogCompleteness), so the txns of
// earlier epochs past the last zxid it had applied when it began to serve were never committed,
// and are left out. When a bug loses a committed txn this way, the acknowledged write or the
// read that saw it is reported, as it should be.
func ordNewLog(h *histories.History) (*ordLog, error) {
	for i, x := range h.Log {
		if x == nil {
			return nil, fmt.Errorf("%w: log entry %d is nil", ordErrBadHistory, i)
		}
		if x.Zxid <= 0 {
			return nil, fmt.Errorf("%w: log entry %d has zxid %s", ordErrBadHistory, i, x.Zxid)
		}
		if i > 0 && x.Zxid <= h.Log[i-1].Zxid {
			return nil, fmt.Errorf("%w: log not in zxid order: %s at index %d after %s", ordErrBadHistory, x.Zxid, i, h.Log[i-1].Zxid)
		}
	}
	l := &ordLog{txns: ordCommitted(h)}
	l.tentative = len(h.Log) - len(l.txns)
	l.zxidIndex = newZxidIndex(zxidsOf(l.txns))
	l.commitSeq = make([]histories.Seq, len(l.txns))
	l.commitTime = make([]histories.Time, len(l.txns))
	for _, applied := range h.Applied {
		// A server applies the log in order, so its next apply is usually the next txn.
		next := 0
		for k := range applied {
			a := &applied[k]
			i := next
			if i >= len(l.zxids) || l.zxids[i] != a.Zxid {
				i = l.find(a.Zxid)
			}
			if i < 0 {
				continue
			}
			next = i + 1
			if l.commitSeq[i] == 0 || a.Seq < l.commitSeq[i] {
				l.commitSeq[i], l.commitTime[i] = a.Seq, a.Time
			}
		}
	}
	return l, nil
}

// ordCommitted returns h.Log without the txns that an established leader's initial history
// excludes (see ordNewLog); h.Log itself when there are none.
func ordCommitted(h *histories.History) []*tree.Txn {
	type established struct {
		epoch int64
		zxid  tree.Zxid
	}
	var ests []established
	for i := range h.Servers {
		if e := &h.Servers[i]; e.Kind == histories.Role && e.Role == histories.Leading && e.Serving {
			ests = append(ests, established{e.Epoch, e.Zxid})
		}
	}
	if len(ests) == 0 {
		return h.Log
	}
	slices.SortFunc(ests, func(a, b established) int { return cmp.Compare(a.epoch, b.epoch) })
	// after[k] is the smallest initial history among the leaders of ests[k:].
	after := make([]tree.Zxid, len(ests)+1)
	after[len(ests)] = math.MaxInt64
	for k := len(ests) - 1; k >= 0; k-- {
		after[k] = min(after[k+1], ests[k].zxid)
	}
	var out []*tree.Txn
	k := 0
	for i, x := range h.Log {
		epoch := int64(x.Zxid) >> 32
		for k < len(ests) && ests[k].epoch <= epoch {
			k++
		}
		if x.Zxid <= after[k] {
			if out != nil {
				out = append(out, x)
			}
			continue
		}
		if out == nil {
			out = append(make([]*tree.Txn, 0, len(h.Log)), h.Log[:i]...)
		}
	}
	if out == nil {
		return h.Log
	}
	return out
}

// find returns the position of zxid z, or -1. Its first test is small enough to inline: the
// checkers call it for every apply of every server.
func (l *zxidIndex) find(z tree.Zxid) int {
	sp := &l.last
	// k wraps around to a huge value when z's counter is below the span's base.
	if k := uint64(z)&0xffffffff - uint64(sp.base); int64(z)>>32 == sp.epoch && k < uint64(sp.n) {
		if i := sp.first + int(k); l.zxids[i] == z {
			return i
		}
	}
	return l.findSpan(z)
}

// findSpan is find past its inline test: it finds z's epoch span and z in it.
func (l *zxidIndex) findSpan(z tree.Zxid) int {
	if l.byZxid != nil {
		if i, ok := l.byZxid[z]; ok {
			return i
		}
		return -1
	}
	if len(l.epochs) == 0 || z <= 0 {
		return -1
	}
	epoch := int64(z) >> 32
	if l.last.epoch != epoch {
		s, ok := slices.BinarySearchFunc(l.epochs, epoch, func(sp ordEpochSpan, e int64) int {
			return cmp.Compare(sp.epoch, e)
		})
		if !ok {
			return -1
		}
		l.last = l.epochs[s]
	}
	sp := &l.last
	if k := int64(z)&0xffffffff - sp.base; k >= 0 && k < int64(sp.n) && l.zxids[sp.first+int(k)] == z {
		return sp.first + int(k)
	}
	// A gap in the epoch's counters: search the span.
	if j, found := slices.BinarySearch(l.zxids[sp.first:sp.first+sp.n], z); found {
		return sp.first + j
	}
	return -1
}

// ordConnections knows each client's sessions from its Connected events, to name the session of
// an op recorded before the client had one (Op.Session 0).
type ordConnections struct {
	// byClient[c] are client c's Connected events in Seq order.
	byClient [][]ordConnected
}

type ordConnected struct {
	seq     histories.Seq
	time    histories.Time
	session tree.SessionID
	timeout int64 // ms
}

func ordNewConnections(h *histories.History) ordConnections {
	// Count first, so that all the lists share one array instead of each growing its own.
	var counts []int
	for i := range h.Events {
		if e := &h.Events[i]; ordIsConnected(e) {
			for len(counts) <= e.Client {
				counts = append(counts, 0)
			}
			counts[e.Client]++
		}
	}
	c := ordConnections{byClient: make([][]ordConnected, len(counts))}
	total := 0
	for _, n := range counts {
		total += n
	}
	all := make([]ordConnected, 0, total)
	for client, n := range counts {
		// Full slice expressions: a list cannot grow into the next one's room.
		c.byClient[client] = all[len(all) : len(all) : len(all)+n]
		all = all[:len(all)+n]
	}
	for i := range h.Events {
		if e := &h.Events[i]; ordIsConnected(e) {
			c.byClient[e.Client] = append(c.byClient[e.Client], ordConnected{e.Seq, e.Time, e.Session, e.Timeout})
		}
	}
	return c
}

// ordIsConnected reports whether e is a client's Connected event.
func ordIsConnected(e *histories.Event) bool {
	return e.IsSession() && e.State == histories.Connected && e.Client >= 0
}

// session returns op's session: Op.Session, or for an op invoked before its client had a
// session, the session of the client's last Connected event before the op returned (the
// first one after its invoke when it never returned).
func (c *ordConnections) session(op *histories.Op) tree.SessionID {
	if op.Session != 0 {
		return op.Session
	}
	return c.resolve(op)
}

func (c *ordConnections) resolve(op *histories.Op) tree.SessionID {
	if op.Client < 0 || op.Client >= len(c.byClient) {
		return 0
	}
	list := c.byClient[op.Client]
	at := op.ReturnSeq
	if at == 0 {
		j := sort.Search(len(list), func(j int) bool { return list[j].seq > op.InvokeSeq })
		if j < len(list) {
			return list[j].session
		}
		return 0
	}
	j := sort.Search(len(list), func(j int) bool { return list[j].seq >= at })
	if j > 0 {
		return list[j-1].session
	}
	return 0
}

// ordLeaderEpochs answers whether a newer epoch had been established before an op was invoked
// than the one its server was in when it answered (C16).
type ordLeaderEpochs struct {
	// established are the Leading+Serving role events in Seq order with the largest epoch
	// established up to each.
	established []ordEpochAt
	// roles[s] are server s's role events in Seq order.
	roles [][]ordEpochAt
}

type ordEpochAt struct {
	seq   histories.Seq
	time  histories.Time
	epoch int64
}

// leaderEpochs returns the leader epochs c's sweep computed, or nil if c is nil or has not
// swept.
func (c *ordCheck) leaderEpochs() *ordLeaderEpochs {
	if c == nil {
		return nil
	}
	return c.leaders
}

func ordNewLeaderEpochs(h *histories.History) *ordLeaderEpochs {
	l := &ordLeaderEpochs{}
	var newest int64
	for i := range h.Servers {
		e := &h.Servers[i]
		if e.Kind != histories.Role || e.Server < 0 {
			continue
		}
		for len(l.roles) <= e.Server {
			l.roles = append(l.roles, nil)
		}
		l.roles[e.Server] = append(l.roles[e.Server], ordEpochAt{e.Seq, e.Time, e.Epoch})
		if e.Role == histories.Leading && e.Serving {
			newest = max(newest, e.Epoch)
			l.established = append(l.established, ordEpochAt{e.Seq, e.Time, newest})
		}
	}
	return l
}

// superseded reports whether op's server answered in an epoch older than one established
// before op was invoked, with both epochs.
func (l *ordLeaderEpochs) superseded(op *histories.Op) (served, newer int64, ok bool) {
	if op.Server < 0 || op.Server >= len(l.roles) {
		return 0, 0, false
	}
	roles := l.roles[op.Server]
	j := sort.Search(len(roles), func(j int) bool { return roles[j].seq >= op.ReturnSeq })
	if j == 0 {
		return 0, 0, false
	}
	served = roles[j-1].epoch
	k := sort.Search(len(l.established), func(k int) bool { return l.established[k].seq >= op.InvokeSeq })
	if k == 0 {
		return served, 0, false
	}
	newer = l.established[k-1].epoch
	return served, newer, newer > served
}

// ordFindings keeps the earliest MaxViolations violations in time order (Seq breaks ties) and
// counts them all; a message is formatted only when it is kept.
type ordFindings struct {
	list  []ordFinding
	total int
}

type ordFinding struct {
	seq histories.Seq
	v   Violation
}

func (f *ordFindings) before(t histories.Time, seq histories.Seq, x *ordFinding) bool {
	return t < x.v.Time || (t == x.v.Time && seq < x.seq)
}

func (f *ordFindings) add(t histories.Time, seq histories.Seq, ops []int, format string, args ...any) {
	f.total++
	n := len(f.list)
	if n == MaxViolations && !f.before(t, seq, &f.list[n-1]) {
		return
	}
	i := sort.Search(n, func(i int) bool { return f.before(t, seq, &f.list[i]) })
	if n == MaxViolations {
		f.list = f.list[:n-1]
	}
	v := Violation{Time: t, Ops: ops, Message: strings.TrimSpace(fmt.Sprintf(format, args...))}
	f.list = slices.Insert(f.list, i, ordFinding{seq, v})
}

// verdict is the verdict with the kept violations, Pass with passSummary when there are none.
func (f *ordFindings) verdict(checker, passSummary string) Verdict {
	vs := violations{total: f.total}
	for _, x := range f.list {
		vs.list = append(vs.list, x.v)
	}
	return vs.verdict(checker, passSummary)
}
