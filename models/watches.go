package models

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"zoosim/histories"
	"zoosim/tree"
)

// WatchOptions tunes CheckWatches.
type WatchOptions struct {
	// IgnoreOrder accepts an owed event that arrives after a reply or event that should have
	// followed it (zookeeper.md A8.1 ordering guarantees 2 and 3): it still answers its watch.
	// The default reports it, which is how the watch-after-reply variant is caught. An owed
	// event that never arrives is reported either way.
	IgnoreOrder bool
}

// CheckWatches checks the watch events of h against the watches its clients set (zookeeper.md
// A8, A13.4): exactly one event per one-shot watch, of the type the first triggering txn gives;
// one event per triggering txn for persistent and recursive watches until removed; no event that
// answers no watch; every event delivered before any reply or event of its session that carries
// a later zxid, and in the order the server fires them; and none lost across a reconnect.
//
// It replays, per session, what the serving server's watch registry (tree.Watches, ZooKeeper
// 3.8.0) did with the session's registrations, and walks the committed log through an index of
// the txns that touch each path, so a registration's next trigger is a binary search. The
// committed log is h.Log without the tentative txns no established leader kept, as
// CheckZxidOrder reads it (ordCommitted): a would-be leader applies its whole log (B3) and a
// later TRUNC or SNAP rolls back what never committed, so no serving server's tree holds those
// txns. setWatches compares relativeZxid with the committed tree's mzxid and pzxid, and
// triggers fire against it (DataTree.setWatches); an event for a tentative txn answers nothing.
//
// # The model
//
// A read that returned with Req.Watch set a watch on its server at its reply zxid Z: exists
// always (a data watch, or an exist watch on a missing node), getData and getChildren(2) only
// on success; addWatch sets a persistent or recursive watch in both tables (3.8.0). Watches of
// one session on one path in one table are one watch (dedup, A8.1): a delete fires one
// NodeDeleted for a data and a child watch together, and a later registration replaces the
// mode (3.8.0 downgrades a persistent watch to one-shot when getData or exists sets one on its
// path). The first txn after Z that fires a one-shot watch removes it; a persistent watch fires
// on every txn (A8.2: a recursive one for its whole subtree and never NodeChildrenChanged). The
// events of one txn come in the order tree.Watches.Trigger makes them. removeWatches that the
// server answered OK removes the server's watch (A8.3); what the client removed itself only
// changes what it re-registers.
//
// A connection ends with Disconnected, Expired or Closed and its server forgets the session's
// watches. On the next connection the client re-registers every watch it holds (those it set
// and got no event for) with setWatches and relativeZxid = the highest zxid it saw, and the new
// server fires at once, in its list order, what changed since (A8.1 "Reconnect"): the event
// carries the server's zxid, not the trigger's. Persistent watches are re-registered with no
// catch-up, and an exist watch misses a node created and deleted meanwhile. The history does
// not show the setWatches, so the checker places it by the first thing the connection
// delivered: catch-up events carry its zxid; before a first event at zxid E it ran at E or
// fired nothing; before a first reply at zxid R it ran at some zxid up to R, and an event is
// owed only if every such zxid owes it.
//
// # When an event is owed
//
// The server sends an event when it applies the trigger, before any later reply on that
// connection (A13.4), and the connection is FIFO. So an event for a trigger at zxid T is owed
// only if the same connection later delivered a reply with zxid >= T or an event with a higher
// zxid: then the server applied T while it held the watch, and the event was queued before
// that message. Owed events must arrive before that message (else the order is violated) and
// at all before the connection ends (else one is missing). Nothing is owed for a trigger the
// session's server had not applied by its last message on the connection: events sent into a
// dying connection, triggers after the session closed or expired, watches removed first. A
// one-shot watch whose event never arrived stays with the client and is re-registered, so its
// trigger is owed again on the next connection.
//
// # What it needs from the history
//
// A session event (Type tree.EventNone) for every connect, disconnect, expiry and close, with
// the session; each watch event with the zxid the server sent (a node event without one makes
// the verdict Inconclusive, as does a log out of zxid order); for each returned op, the
// server's result (Result.Err is the server's code) and the caller's code (Err), which differ
// for removeWatches.
//
// # Limits
//
// A reconnect whose setWatches is split into several requests (more than 128 KiB of paths) is
// read as one. removeWatches of one watcher (checkWatches on the wire) may leave the client
// other watchers on the path, and the history does not tell: the watch's later events become
// optional rather than owed.
func CheckWatches(h *histories.History, opts WatchOptions) Verdict {
	ck, err := watNewChecker(h, opts)
	if err != nil {
		return Verdict{Checker: watChecker, Status: Inconclusive, Summary: err.Error()}
	}
	ck.run()
	return ck.verdict()
}

const watChecker = "watches"

// watCheck is one run of CheckWatches.
type watCheck struct {
	h    *histories.History
	opts WatchOptions
	ix   *watIndex
	// opPath and evPath are the interned paths of the ops and events that touch watches, -1
	// for the others.
	opPath []int32
	evPath []int32
	found  []watFound

	registrations, events, catchUps, rearms int
}

// watFound is a violation with the record sequence that orders violations at one instant.
type watFound struct {
	seq histories.Seq
	v   Violation
}

func watNewChecker(h *histories.History, opts WatchOptions) (*watCheck, error) {
	ck := &watCheck{h: h, opts: opts, ix: watNewIndex()}
	ix := ck.ix
	ck.opPath = make([]int32, len(h.Ops))
	for i := range h.Ops {
		ck.opPath[i] = -1
		op := &h.Ops[i]
		if watTouches(&op.Req) {
			ck.opPath[i] = ix.intern(op.Req.Path)
			if op.Req.Type == tree.OpAddWatch && op.Req.WatchMode == tree.WatchPersistentRecursive {
				ix.recursive[ck.opPath[i]] = true
			}
		}
	}
	ck.evPath = make([]int32, len(h.Events))
	for i := range h.Events {
		ck.evPath[i] = -1
		e := &h.Events[i]
		if watNodeEvent(e.Type) {
			if e.Zxid < 0 {
				return nil, fmt.Errorf("%s %s event %s %s at %s carries no zxid: cannot order it",
					histories.ClientName(e.Client), e.Session, e.Type, e.Path, FormatTime(e.Time))
			}
			ck.evPath[i] = ix.intern(e.Path)
		}
	}
	if err := watCheckLog(h.Log); err != nil {
		return nil, err
	}
	ix.build(ordCommitted(h))
	return ck, nil
}

// watCheckLog reports a log the recorder could not have written: an empty entry, or one out of
// zxid order.
func watCheckLog(log []*tree.Txn) error {
	for i, x := range log {
		if x == nil {
			return fmt.Errorf("history: log entry %d is empty", i)
		}
		if i > 0 && x.Zxid <= log[i-1].Zxid {
			return fmt.Errorf("history: log not in zxid order: %s after %s at entry %d", x.Zxid, log[i-1].Zxid, i)
		}
	}
	return nil
}

// watTouches reports whether a request sets or removes a watch.
func watTouches(q *tree.Request) bool {
	switch q.Type {
	case tree.OpExists, tree.OpGetData, tree.OpGetChildren, tree.OpGetChildren2:
		return q.Watch
	case tree.OpAddWatch, tree.OpRemoveWatches, tree.OpCheckWatches:
		return true
	}
	return false
}

// watLocalRemoval reports whether op removed watches on the client alone: a removeWatches that
// got no reply, yet OK (local, A8.3).
func watLocalRemoval(op *histories.Op) bool {
	return op.Outcome == histories.Unknown && op.Err == tree.OK &&
		(op.Req.Type == tree.OpRemoveWatches || op.Req.Type == tree.OpCheckWatches)
}

// watNodeEvent reports whether t is an event a server sends for a watch (not a session event,
// not a watch-removed event the client makes itself).
func watNodeEvent(t tree.EventType) bool {
	switch t {
	case tree.EventNodeCreated, tree.EventNodeDeleted, tree.EventNodeDataChanged, tree.EventNodeChildrenChanged:
		return true
	}
	return false
}

// watItem is one thing a client saw: a returned op or a delivered event, with what the
// per-client pass reads for most items, copied while the ops and events are read in order (the
// pass visits them client by client, out of order).
type watItem struct {
	seq  histories.Seq
	zxid tree.Zxid
	idx  int32 // in h.Ops or h.Events, by kind
	kind watItemKind
	typ  tree.EventType // a node event's type
}

type watItemKind uint8

const (
	watReply     watItemKind = iota // an op the server answered, that sets or removes no watch
	watWatchOp                      // an op the server answered, that sets or removes a watch
	watLocalOp                      // a removeWatches done on the client alone (no reply)
	watNodeEv                       // a watch event from the server
	watSessionEv                    // a session event
)

func (it *watItem) isOp() bool { return it.kind <= watLocalOp }

func (ck *watCheck) run() {
	h := ck.h
	// Count first, so that every client's items are one exact slice of one array.
	var count []int32
	counted := func(c int) {
		if c >= len(count) {
			count = append(count, make([]int32, c+1-len(count))...)
		}
		count[c]++
	}
	for i := range h.Ops {
		if op := &h.Ops[i]; op.Client >= 0 && watVisible(op) {
			counted(op.Client)
		}
	}
	for i := range h.Events {
		if e := &h.Events[i]; e.Client >= 0 && (e.IsSession() || ck.evPath[i] >= 0) {
			counted(e.Client)
		}
	}
	next := make([]int32, len(count)+1)
	for c, n := range count {
		next[c+1] = next[c] + n
	}
	all := make([]watItem, next[len(count)])
	fill := slices.Clone(next[:len(count)])
	for i := range h.Ops {
		op := &h.Ops[i]
		if op.Client < 0 || !watVisible(op) {
			continue
		}
		kind := watReply
		switch {
		case op.Outcome == histories.Unknown:
			kind = watLocalOp
		case ck.opPath[i] >= 0:
			kind = watWatchOp
		}
		all[fill[op.Client]] = watItem{seq: op.ReturnSeq, zxid: op.Zxid, idx: int32(i), kind: kind}
		fill[op.Client]++
	}
	opsEnd := slices.Clone(fill)
	for i := range h.Events {
		e := &h.Events[i]
		if e.Client < 0 || !e.IsSession() && ck.evPath[i] < 0 {
			continue
		}
		kind := watNodeEv
		if e.IsSession() {
			kind = watSessionEv
		}
		all[fill[e.Client]] = watItem{seq: e.Seq, zxid: e.Zxid, idx: int32(i), kind: kind, typ: e.Type}
		fill[e.Client]++
	}
	w := &watClient{ck: ck, ix: ck.ix, srv: watNewServer(ck.ix), alt: watNewServer(ck.ix),
		held: map[uint64]watHeld{}, fired: map[int32]watFired{}, overdue: map[int32][]watExpect{}}
	var scratch []watItem
	for c := range count {
		items := all[next[c]:next[c+1]]
		if len(items) == 0 {
			continue
		}
		// The events are in delivery order, the returns almost always in invoke order: sort
		// the returns if need be, then merge.
		ops := items[:opsEnd[c]-next[c]]
		if !slices.IsSortedFunc(ops, watBySeq) {
			slices.SortFunc(ops, watBySeq)
		}
		scratch = append(scratch[:0], items...)
		watMerge(items, scratch[:len(ops)], scratch[len(ops):])
		w.reset(c)
		w.run(items)
	}
}

func watBySeq(a, b watItem) int { return cmp.Compare(a.seq, b.seq) }

// watMerge merges the sorted a and b into dst, which holds len(a)+len(b) items.
func watMerge(dst, a, b []watItem) {
	i, j := 0, 0
	for k := range dst {
		if j == len(b) || i < len(a) && a[i].seq < b[j].seq {
			dst[k] = a[i]
			i++
		} else {
			dst[k] = b[j]
			j++
		}
	}
}

// watVisible reports whether the watches see op return: with the server's reply, or as a
// local removal.
func watVisible(op *histories.Op) bool {
	return op.Returned() && (op.Outcome != histories.Unknown || watLocalRemoval(op))
}

func (ck *watCheck) verdict() Verdict {
	slices.SortFunc(ck.found, func(a, b watFound) int {
		if c := cmp.Compare(a.v.Time, b.v.Time); c != 0 {
			return c
		}
		if c := cmp.Compare(a.seq, b.seq); c != 0 {
			return c
		}
		return strings.Compare(a.v.Message, b.v.Message)
	})
	var vs violations
	for _, f := range ck.found {
		vs.add(f.v)
	}
	v := vs.verdict(watChecker, fmt.Sprintf("%d registrations, %d watch events: each answers one watch, none owed is missing or late",
		ck.registrations, ck.events))
	v.Metrics = []Metric{
		{Name: "registrations", Value: float64(ck.registrations), Unit: "ops"},
		{Name: "watch events", Value: float64(ck.events)},
		{Name: "catch-up events", Value: float64(ck.catchUps)},
		{Name: "reconnects with watches", Value: float64(ck.rearms)},
	}
	return v
}

func (ck *watCheck) report(t histories.Time, seq histories.Seq, ops []int, format string, args ...any) {
	ck.found = append(ck.found, watFound{seq: seq, v: Violation{Time: t, Ops: ops, Message: fmt.Sprintf(format, args...)}})
}

// ---------------------------------------------------------------------------------------------
// The index of the committed log.

// watChange is one effect of a committed txn that a watch can see (tree.Change), in log order.
type watChange struct {
	zxid tree.Zxid
	path int32
	txn  int32          // index of its txn in the committed log
	typ  tree.EventType // NodeCreated, NodeDeleted or NodeDataChanged
}

// watIndex is the committed log as the watches see it: every change with its zxid, and for
// each path the changes that can fire a watch on it.
type watIndex struct {
	ids    map[string]int32
	names  []string
	parent []int32 // -1 for the root
	// recursive marks the paths some addWatch set a recursive watch on.
	recursive map[int32]bool

	changes []watChange
	// Invariant: txn i's changes are changes[txnStart[i]:txnStart[i+1]].
	txnStart []int32
	// Each list holds indices into changes, in increasing order.
	onPath    [][]int32 // per path: its own creates, deletes and setDatas (data table triggers)
	underPath [][]int32 // per path: its children's creates and deletes, and its own deletes (child table)
	subtree   [][]int32 // per recursively watched path: the changes of it and every descendant
}

func watNewIndex() *watIndex {
	ix := &watIndex{ids: map[string]int32{}, recursive: map[int32]bool{}}
	for _, p := range []string{tree.RootPath, tree.ZooKeeperPath, tree.QuotaPath, tree.ConfigPath} {
		ix.intern(p)
	}
	return ix
}

// intern returns the id of path, giving ids to it and its ancestors first if need be.
func (ix *watIndex) intern(path string) int32 {
	if id, ok := ix.ids[path]; ok {
		return id
	}
	parent := int32(-1)
	if path != tree.RootPath {
		parent = ix.intern(tree.ParentPath(path))
	}
	id := int32(len(ix.names))
	ix.ids[path] = id
	ix.names = append(ix.names, path)
	ix.parent = append(ix.parent, parent)
	return id
}

// build expands the committed log, which watCheckLog has checked, into changes, exactly as
// tree.Apply reports them, and indexes them.
func (ix *watIndex) build(log []*tree.Txn) {
	r := watReplay{ix: ix, owned: map[int64]map[string]struct{}{}}
	for _, p := range []string{tree.RootPath, tree.ZooKeeperPath, tree.QuotaPath, tree.ConfigPath} {
		r.put(ix.intern(p), 0)
	}
	ix.txnStart = make([]int32, 0, len(log)+1)
	for i, x := range log {
		ix.txnStart = append(ix.txnStart, int32(len(ix.changes)))
		r.txn, r.zxid = int32(i), x.Zxid
		r.apply(x)
	}
	ix.txnStart = append(ix.txnStart, int32(len(ix.changes)))

	n := len(ix.names)
	onCount, underCount := make([]int32, n), make([]int32, n)
	for _, c := range ix.changes {
		onCount[c.path]++
		if p := ix.parent[c.path]; p >= 0 && c.typ != tree.EventNodeDataChanged {
			underCount[p]++
		}
		if c.typ == tree.EventNodeDeleted {
			underCount[c.path]++
		}
	}
	ix.onPath, ix.underPath = make([][]int32, n), make([][]int32, n)
	for p := range n {
		ix.onPath[p] = make([]int32, 0, onCount[p])
		ix.underPath[p] = make([]int32, 0, underCount[p])
	}
	ix.subtree = make([][]int32, n)
	for i, c := range ix.changes {
		ci := int32(i)
		ix.onPath[c.path] = append(ix.onPath[c.path], ci)
		if p := ix.parent[c.path]; p >= 0 && c.typ != tree.EventNodeDataChanged {
			ix.underPath[p] = append(ix.underPath[p], ci)
		}
		if c.typ == tree.EventNodeDeleted {
			ix.underPath[c.path] = append(ix.underPath[c.path], ci)
		}
		if len(ix.recursive) > 0 {
			for q := c.path; q >= 0; q = ix.parent[q] {
				if ix.recursive[q] {
					ix.subtree[q] = append(ix.subtree[q], ci)
				}
			}
		}
	}
}

// watReplay follows the tree through the log, as far as watches see it: which nodes exist and
// which session owns each ephemeral, so that it reports exactly the changes tree.Apply reports
// (a create whose node exists or whose parent is missing changes nothing; a closeSession
// deletes the paths it names, then the session's other ephemerals in path order).
type watReplay struct {
	ix *watIndex
	// exists[p] says path p (an id of ix) is present, and owner[p] is its ephemeral owner; an
	// id past their end is absent. Indexed by id, the nodes need no map of their own.
	exists []bool
	owner  []int64
	owned  map[int64]map[string]struct{}
	txn    int32
	zxid   tree.Zxid
}

// node returns path p's ephemeral owner, and whether it is present.
func (r *watReplay) node(p int32) (int64, bool) {
	if p < 0 || int(p) >= len(r.exists) || !r.exists[p] {
		return 0, false
	}
	return r.owner[p], true
}

// present reports whether path p is present.
func (r *watReplay) present(p int32) bool {
	_, ok := r.node(p)
	return ok
}

// put makes path p present with the given ephemeral owner.
func (r *watReplay) put(p int32, owner int64) {
	for int(p) >= len(r.exists) {
		r.exists, r.owner = append(r.exists, false), append(r.owner, 0)
	}
	r.exists[p], r.owner[p] = true, owner
}

func (r *watReplay) emit(typ tree.EventType, p int32) {
	r.ix.changes = append(r.ix.changes, watChange{zxid: r.zxid, path: p, txn: r.txn, typ: typ})
}

func (r *watReplay) apply(x *tree.Txn) {
	switch x.Type {
	case tree.OpCreate, tree.OpCreate2, tree.OpCreateContainer, tree.OpCreateTTL:
		if x.Path == tree.RootPath {
			return
		}
		p := r.ix.intern(x.Path)
		if !r.present(r.ix.parent[p]) || r.present(p) {
			return
		}
		r.put(p, x.EphemeralOwner)
		if x.EphemeralOwner != 0 {
			set := r.owned[x.EphemeralOwner]
			if set == nil {
				set = map[string]struct{}{}
				r.owned[x.EphemeralOwner] = set
			}
			set[x.Path] = struct{}{}
		}
		r.emit(tree.EventNodeCreated, p)
	case tree.OpDelete, tree.OpDeleteContainer:
		r.delete(x.Path)
	case tree.OpSetData:
		if p := r.ix.intern(x.Path); r.present(p) {
			r.emit(tree.EventNodeDataChanged, p)
		}
	case tree.OpMulti:
		for i := range x.Ops {
			if x.Ops[i].Type == tree.OpError {
				return // a failed multi applies nothing (A7)
			}
		}
		for i := range x.Ops {
			r.apply(&x.Ops[i])
		}
	case tree.OpCloseSession:
		for _, p := range x.Paths {
			r.delete(p)
		}
		if set := r.owned[int64(x.Session)]; len(set) > 0 {
			rest := make([]string, 0, len(set))
			for p := range set {
				rest = append(rest, p)
			}
			slices.Sort(rest)
			for _, p := range rest {
				r.delete(p)
			}
		}
	}
}

func (r *watReplay) delete(path string) {
	if path == tree.RootPath {
		return
	}
	p := r.ix.intern(path)
	if !r.present(r.ix.parent[p]) {
		return // tree.deleteNode: NoNode when the parent is gone
	}
	owner, ok := r.node(p)
	if !ok {
		return
	}
	r.exists[p] = false
	if owner != 0 {
		delete(r.owned[owner], path)
	}
	r.emit(tree.EventNodeDeleted, p)
}

// after returns the position of the first change in list[from:] past zxid z.
func (ix *watIndex) after(list []int32, from int, z tree.Zxid) int {
	lo, hi := from, len(list)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ix.changes[list[m]].zxid <= z {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// present reports whether path p exists once the txn at zxid z is applied.
func (ix *watIndex) present(p int32, z tree.Zxid) bool {
	list := ix.onPath[p]
	i := ix.after(list, 0, z)
	if i == 0 {
		return tree.IsSpecialPath(ix.names[p])
	}
	return ix.changes[list[i-1]].typ != tree.EventNodeDeleted
}

// changedOn reports whether p itself changed in (since, upto]; with dataOnly, only a create or
// setData counts (what moves its mzxid).
func (ix *watIndex) changedOn(p int32, since, upto tree.Zxid, dataOnly bool) bool {
	list := ix.onPath[p]
	for i := ix.after(list, 0, since); i < len(list); i++ {
		c := &ix.changes[list[i]]
		if c.zxid > upto {
			break
		}
		if !dataOnly || c.typ != tree.EventNodeDeleted {
			return true
		}
	}
	return false
}

// childrenChanged reports whether p's pzxid moved in (since, upto]: a child created or deleted,
// or p itself created. (tree also moves a pzxid for a create that finds its node, or a delete
// that does not: txns a consistent log never holds, which this ignores.)
func (ix *watIndex) childrenChanged(p int32, since, upto tree.Zxid) bool {
	list := ix.underPath[p]
	for i := ix.after(list, 0, since); i < len(list); i++ {
		c := &ix.changes[list[i]]
		if c.zxid > upto {
			break
		}
		if c.path != p {
			return true
		}
	}
	list = ix.onPath[p]
	for i := ix.after(list, 0, since); i < len(list); i++ {
		c := &ix.changes[list[i]]
		if c.zxid > upto {
			break
		}
		if c.typ == tree.EventNodeCreated {
			return true
		}
	}
	return false
}

// candidates returns the changes that may fire a watch of mode on p in the data table (child
// false) or the child table: a superset is fine, the trigger decides.
func (ix *watIndex) candidates(p int32, child bool, mode tree.WatchMode) []int32 {
	switch {
	case mode == tree.WatchPersistentRecursive:
		return ix.subtree[p]
	case child:
		return ix.underPath[p]
	}
	return ix.onPath[p]
}

// ---------------------------------------------------------------------------------------------
// The serving server's watch registry for one session.

// watExpect is an event the session should receive: for a trigger at zxid lo == hi, or for a
// catch-up at a reconnect whose zxid is only known to lie in [lo, hi].
type watExpect struct {
	lo, hi   tree.Zxid
	path     int32
	types    uint8 // bit 1<<t for each event type t that answers it
	optional bool  // the watch may not exist (a client-side removal the history cannot resolve)
	catchUp  bool  // fired by setWatches at a reconnect
	op       int32 // the op that set the watch, -1 if unknown
	// Where it became owed: the reply (dueOp >= 0) or the event (dueEv) that should have come
	// after it, with that message's zxid and record sequence.
	dueOp, dueEv int32
	dueZxid      tree.Zxid
	dueSeq       histories.Seq
}

func watBit(t tree.EventType) uint8 { return 1 << uint8(t) }

// watEntry is one session's entry in one table of the server's registry (tree.Watches'
// watchTable entry for this session).
type watEntry struct {
	path     int32
	child    bool // the child table, else the data table
	mode     tree.WatchMode
	optional bool
	op       int32
	list     []int32 // the changes that may fire it
	// Invariant: list[pos:] are the candidates past the server's cursor.
	pos int
	// gen changes whenever the entry is removed or re-registered; a heap item of another gen is
	// stale.
	gen  uint32
	dead bool
}

type watHeapItem struct {
	zxid tree.Zxid
	e    *watEntry
	gen  uint32
}

// watServer is the server's registry for one session on one connection, with the server's
// position in the log. It fires exactly as tree.Watches.Trigger does for one session.
type watServer struct {
	ix      *watIndex
	entries map[uint64]*watEntry
	// recursive counts the recursive entries in the data [0] and child [1] tables: while zero a
	// trigger looks at the exact path only.
	recursive [2]int
	// Invariant: every live entry with candidates left has exactly one heap item of its gen,
	// keyed by its next candidate's zxid.
	heap []watHeapItem
	// cursor is the zxid up to which the server's triggers have been computed.
	cursor tree.Zxid
	out    []watExpect
	batch  []watHeapItem
	pool   []*watEntry
}

func watNewServer(ix *watIndex) *watServer {
	return &watServer{ix: ix, entries: map[uint64]*watEntry{}}
}

func watEntryKey(p int32, child bool) uint64 {
	k := uint64(p) << 1
	if child {
		k |= 1
	}
	return k
}

func watTableIndex(child bool) int {
	if child {
		return 1
	}
	return 0
}

// reset empties the registry of a server at zxid at.
func (s *watServer) reset(at tree.Zxid) {
	for _, e := range s.entries {
		e.gen++
		e.dead = true
		s.pool = append(s.pool, e)
	}
	clear(s.entries)
	s.recursive = [2]int{}
	s.heap = s.heap[:0]
	s.cursor = at
}

// set registers the session on p in one table with mode, replacing any mode it had there
// (WatcherModeManager keeps one mode per path and session).
func (s *watServer) set(p int32, child bool, mode tree.WatchMode, optional bool, op int32) {
	k := watEntryKey(p, child)
	e := s.entries[k]
	if e == nil {
		if n := len(s.pool); n > 0 {
			e = s.pool[n-1]
			s.pool = s.pool[:n-1]
		} else {
			e = &watEntry{}
		}
		e.path, e.child, e.dead = p, child, false
		s.entries[k] = e
	} else if e.mode == tree.WatchPersistentRecursive {
		s.recursive[watTableIndex(child)]--
	}
	e.gen++
	e.mode, e.optional, e.op = mode, optional, op
	if mode == tree.WatchPersistentRecursive {
		s.recursive[watTableIndex(child)]++
	}
	e.list = s.ix.candidates(p, child, mode)
	e.pos = s.ix.after(e.list, 0, s.cursor)
	s.schedule(e)
}

// remove takes p out of one table, as removeWatches does on the server (tree.Watches.Remove).
func (s *watServer) remove(p int32, child bool) {
	if e := s.entries[watEntryKey(p, child)]; e != nil {
		s.drop(e)
	}
}

func (s *watServer) drop(e *watEntry) {
	delete(s.entries, watEntryKey(e.path, e.child))
	if e.mode == tree.WatchPersistentRecursive {
		s.recursive[watTableIndex(e.child)]--
	}
	e.gen++
	e.dead = true
	s.pool = append(s.pool, e)
}

func (s *watServer) schedule(e *watEntry) {
	if e.pos < len(e.list) {
		s.push(watHeapItem{zxid: s.ix.changes[e.list[e.pos]].zxid, e: e, gen: e.gen})
	}
}

func (s *watServer) push(it watHeapItem) {
	s.heap = append(s.heap, it)
	i := len(s.heap) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s.heap[p].zxid <= it.zxid {
			break
		}
		s.heap[i] = s.heap[p]
		i = p
	}
	s.heap[i] = it
}

func (s *watServer) pop() watHeapItem {
	top := s.heap[0]
	n := len(s.heap) - 1
	last := s.heap[n]
	s.heap = s.heap[:n]
	if n > 0 {
		i := 0
		for {
			c := 2*i + 1
			if c >= n {
				break
			}
			if c+1 < n && s.heap[c+1].zxid < s.heap[c].zxid {
				c++
			}
			if s.heap[c].zxid >= last.zxid {
				break
			}
			s.heap[i] = s.heap[c]
			i = c
		}
		s.heap[i] = last
	}
	return top
}

// advance applies every txn up to zxid limit to the registry and returns the events they fire
// for the session, in zxid order (the slice is reused by the next call).
func (s *watServer) advance(limit tree.Zxid) []watExpect {
	s.out = s.out[:0]
	for len(s.heap) > 0 && s.heap[0].zxid <= limit {
		z := s.heap[0].zxid
		s.batch = s.batch[:0]
		txn := int32(-1)
		for len(s.heap) > 0 && s.heap[0].zxid == z {
			it := s.pop()
			if it.gen != it.e.gen {
				continue
			}
			s.batch = append(s.batch, it)
			txn = s.ix.changes[it.e.list[it.e.pos]].txn
		}
		if txn < 0 {
			continue
		}
		s.fire(txn, z)
		for _, it := range s.batch {
			e := it.e
			if e.gen != it.gen {
				continue // fired and removed, or replaced
			}
			for e.pos < len(e.list) && s.ix.changes[e.list[e.pos]].zxid <= z {
				e.pos++
			}
			s.schedule(e)
		}
	}
	if limit > s.cursor {
		s.cursor = limit
	}
	return s.out
}

// fire is tree.Watches.Trigger for the changes of one txn, for this session alone.
func (s *watServer) fire(txn int32, z tree.Zxid) {
	ix := s.ix
	for i := ix.txnStart[txn]; i < ix.txnStart[txn+1]; i++ {
		c := &ix.changes[i]
		switch c.typ {
		case tree.EventNodeCreated:
			if ok, opt, op := s.match(false, c.path, tree.EventNodeCreated); ok {
				s.emit(z, c.path, tree.EventNodeCreated, opt, op)
			}
		case tree.EventNodeDeleted:
			// One NodeDeleted however many of the session's watches on the path fire (the
			// "processed" suppression, A8.1 "Dedup").
			okD, optD, opD := s.match(false, c.path, tree.EventNodeDeleted)
			okC, optC, opC := s.match(true, c.path, tree.EventNodeDeleted)
			switch {
			case okD && okC:
				op := opD
				if optD && !optC {
					op = opC
				}
				s.emit(z, c.path, tree.EventNodeDeleted, optD && optC, op)
			case okD:
				s.emit(z, c.path, tree.EventNodeDeleted, optD, opD)
			case okC:
				s.emit(z, c.path, tree.EventNodeDeleted, optC, opC)
			}
		case tree.EventNodeDataChanged:
			if ok, opt, op := s.match(false, c.path, tree.EventNodeDataChanged); ok {
				s.emit(z, c.path, tree.EventNodeDataChanged, opt, op)
			}
		}
		if c.typ != tree.EventNodeDataChanged {
			if p := ix.parent[c.path]; p >= 0 {
				if ok, opt, op := s.match(true, p, tree.EventNodeChildrenChanged); ok {
					s.emit(z, p, tree.EventNodeChildrenChanged, opt, op)
				}
			}
		}
	}
}

// match is one table's trigger for the session (watchTable.trigger): its entry at p matches,
// and so do its recursive entries at p's ancestors, except for NodeChildrenChanged; a one-shot
// entry that matches is removed. It reports whether anything matched, whether every match was
// optional, and the op of a (preferably certain) match.
func (s *watServer) match(child bool, p int32, typ tree.EventType) (matched, optional bool, op int32) {
	optional, op = true, -1
	walk := s.recursive[watTableIndex(child)] > 0
	for q, exact := p, true; ; q, exact = s.ix.parent[q], false {
		if e := s.entries[watEntryKey(q, child)]; e != nil {
			hit := false
			switch {
			case e.mode == tree.WatchPersistentRecursive:
				hit = typ != tree.EventNodeChildrenChanged
			case exact:
				hit = true
			}
			if hit {
				matched = true
				if optional && !e.optional {
					optional, op = false, e.op
				} else if op < 0 {
					op = e.op
				}
				if e.mode == tree.WatchStandard {
					s.drop(e)
				}
			}
		}
		if !walk || s.ix.parent[q] < 0 {
			break
		}
	}
	return matched, optional, op
}

func (s *watServer) emit(z tree.Zxid, p int32, typ tree.EventType, optional bool, op int32) {
	s.out = append(s.out, watExpect{lo: z, hi: z, path: p, types: watBit(typ), optional: optional, op: op, dueOp: -1, dueEv: -1})
}

// ---------------------------------------------------------------------------------------------
// One client's session, connection by connection.

// The client's watch tables (ZKWatchManager): what it re-registers with setWatches.
const (
	watKindData uint8 = iota
	watKindExist
	watKindChild
	watKindPersistent
	watKindRecursive
)

func watHeldKey(p int32, kind uint8) uint64 { return uint64(p)<<3 | uint64(kind) }

// watHeld is a watch the client holds.
type watHeld struct {
	op       int32 // the op that set it
	optional bool  // the client may have removed it (removeWatches of one watcher, or local)
}

// watFired is the last event a session received on a path, for naming duplicates.
type watFired struct {
	zxid tree.Zxid
	typ  tree.EventType
	op   int32
}

type watClient struct {
	ck *watCheck
	ix *watIndex

	client   int
	session  tree.SessionID
	lastZxid tree.Zxid // the highest zxid of a reply or event: setWatches' relativeZxid
	held     map[uint64]watHeld
	fired    map[int32]watFired

	// The current connection.
	open     bool
	resolved bool // the re-registration is placed (the connection delivered something)
	server   int
	rel      tree.Zxid // relativeZxid of the connection's setWatches
	srv, alt *watServer
	// pending are the events of the txn at srv.cursor not yet delivered: not owed yet.
	pending []watExpect
	// overdue are owed events not delivered, by path.
	overdue map[int32][]watExpect
	keys    []uint64
	scratch []watExpect
}

func (w *watClient) reset(client int) {
	w.client, w.session, w.lastZxid = client, 0, 0
	clear(w.held)
	clear(w.fired)
	w.open, w.resolved = false, false
	w.pending = w.pending[:0]
	clear(w.overdue)
}

func (w *watClient) run(items []watItem) {
	h := w.ck.h
	for i := range items {
		it := &items[i]
		switch it.kind {
		case watNodeEv:
			w.event(it, items, i)
			continue
		case watSessionEv:
		default:
			w.reply(it)
			continue
		}
		e := &h.Events[it.idx]
		switch e.State {
		case histories.Connected:
			w.closeConn()
			if e.Session != 0 && e.Session != w.session {
				// A new session is a new client: nothing of the old one carries over, not
				// even its last zxid.
				w.session, w.lastZxid = e.Session, 0
				clear(w.held)
				clear(w.fired)
			}
			w.openConn(e.Server)
		case histories.Disconnected:
			w.closeConn()
		case histories.Expired, histories.Closed, histories.AuthFailed:
			w.closeConn()
			clear(w.held)
		}
	}
	w.closeConn()
}

func (w *watClient) openConn(server int) {
	w.open, w.resolved, w.server, w.rel = true, false, server, w.lastZxid
	w.pending = w.pending[:0]
	clear(w.overdue)
	if len(w.held) > 0 {
		w.ck.rearms++
	}
}

// closeConn ends the connection: every owed event not delivered is missing.
func (w *watClient) closeConn() {
	if !w.open {
		return
	}
	w.open = false
	paths := make([]int32, 0, len(w.overdue))
	for p := range w.overdue {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		for i := range w.overdue[p] {
			if x := &w.overdue[p][i]; !x.optional {
				w.missing(x)
			}
		}
	}
	clear(w.overdue)
	w.pending = w.pending[:0]
}

func (w *watClient) who() string {
	return fmt.Sprintf("%s session %s", histories.ClientName(w.client), w.session)
}

// setBy names the watch that op set.
func (w *watClient) setBy(op int32) string {
	if op < 0 {
		return "its watch"
	}
	return "the watch of " + w.opName(op)
}

func (w *watClient) opName(op int32) string {
	q := &w.ck.h.Ops[op].Req
	if q.Path == "" {
		return fmt.Sprintf("op %d (%s)", op, q.Type)
	}
	return fmt.Sprintf("op %d (%s %s)", op, q.Type, q.Path)
}

// dueBy names the message an owed event should have preceded.
func (w *watClient) dueBy(x *watExpect) string {
	if x.dueOp >= 0 {
		return fmt.Sprintf("reply to %s with zxid %s", w.opName(x.dueOp), x.dueZxid)
	}
	return fmt.Sprintf("event with zxid %s", x.dueZxid)
}

func watTypes(types uint8) string {
	var names []string
	for t := tree.EventNodeCreated; t <= tree.EventNodeChildrenChanged; t++ {
		if types&watBit(t) != 0 {
			names = append(names, t.String())
		}
	}
	return strings.Join(names, " or ")
}

func (w *watClient) ops(first, second int32) []int {
	var out []int
	for _, op := range []int32{first, second} {
		if op >= 0 && !slices.Contains(out, int(op)) {
			out = append(out, int(op))
		}
	}
	return out
}

func (w *watClient) missing(x *watExpect) {
	name := w.ix.names[x.path]
	if x.catchUp {
		w.ck.report(w.dueTime(x), x.dueSeq, w.ops(x.op, x.dueOp),
			"%s lost %s %s across its reconnect to %s: the node changed after relativeZxid %s, %s was re-registered, and the %s came with no event",
			w.who(), watTypes(x.types), name, histories.ServerName(w.server), w.rel, w.setBy(x.op), w.dueBy(x))
		return
	}
	w.ck.report(w.dueTime(x), x.dueSeq, w.ops(x.op, x.dueOp),
		"%s missed %s %s for zxid %s (%s) on %s: the %s came, and this event never did",
		w.who(), watTypes(x.types), name, x.lo, w.setBy(x.op), histories.ServerName(w.server), w.dueBy(x))
}

// addOverdue records that x is owed before the message it: a reply or an event.
func (w *watClient) addOverdue(x watExpect, it *watItem) {
	x.dueOp, x.dueEv, x.dueZxid, x.dueSeq = -1, -1, it.zxid, it.seq
	if it.isOp() {
		x.dueOp = it.idx
	} else {
		x.dueEv = it.idx
	}
	w.overdue[x.path] = append(w.overdue[x.path], x)
}

// due makes every pending event owed before the message it.
func (w *watClient) due(it *watItem) {
	for _, x := range w.pending {
		w.addOverdue(x, it)
	}
	w.pending = w.pending[:0]
}

// dueTime is when the message an owed event should have preceded came.
func (w *watClient) dueTime(x *watExpect) histories.Time {
	if x.dueOp >= 0 {
		return w.ck.h.Ops[x.dueOp].Return
	}
	return w.ck.h.Events[x.dueEv].Time
}

// reply handles a returned op: the server's triggers up to its zxid were due before it, and
// it may set or remove a watch.
func (w *watClient) reply(it *watItem) {
	op := &w.ck.h.Ops[it.idx]
	if it.kind == watLocalOp {
		// No reply: only the client's own removal matters.
		w.removeHeld(op, it.idx)
		return
	}
	if !w.open {
		w.openConn(op.Server) // a connection the history did not announce
	}
	R := it.zxid
	if !w.resolved {
		w.resolveByReply(it)
	} else if R >= w.srv.cursor {
		w.due(it)
		for _, x := range w.srv.advance(R) {
			w.addOverdue(x, it)
		}
	}
	if it.kind == watWatchOp {
		w.register(op, it.idx)
	}
	w.lastZxid = max(w.lastZxid, R)
}

// register applies what op did to the server's registry and to the client's tables
// (tree.Read; zab/client watchManager.register and deregister).
func (w *watClient) register(op *histories.Op, id int32) {
	p := w.ck.opPath[id]
	if p < 0 {
		return
	}
	q := &op.Req
	switch q.Type {
	case tree.OpExists:
		if op.Result.Err == tree.BadArguments {
			return
		}
		w.ck.registrations++
		w.srv.set(p, false, tree.WatchStandard, false, id)
		switch op.Err {
		case tree.OK:
			w.held[watHeldKey(p, watKindData)] = watHeld{op: id}
		case tree.NoNode:
			w.held[watHeldKey(p, watKindExist)] = watHeld{op: id}
		}
	case tree.OpGetData, tree.OpGetChildren, tree.OpGetChildren2:
		if op.Err != tree.OK {
			return
		}
		w.ck.registrations++
		child := q.Type != tree.OpGetData
		w.srv.set(p, child, tree.WatchStandard, false, id)
		kind := watKindData
		if child {
			kind = watKindChild
		}
		w.held[watHeldKey(p, kind)] = watHeld{op: id}
	case tree.OpAddWatch:
		if op.Result.Err == tree.OK {
			w.ck.registrations++
			w.srv.set(p, false, q.WatchMode, false, id)
			w.srv.set(p, true, q.WatchMode, false, id)
		}
		if op.Err == tree.OK || op.Err == tree.NoNode {
			kind := watKindPersistent
			if q.WatchMode == tree.WatchPersistentRecursive {
				kind = watKindRecursive
			}
			w.held[watHeldKey(p, kind)] = watHeld{op: id}
		}
	case tree.OpRemoveWatches:
		if op.Result.Err == tree.OK {
			t := q.WatcherType
			if t == tree.WatcherData || t == tree.WatcherAny {
				w.srv.remove(p, false)
			}
			if t == tree.WatcherChildren || t == tree.WatcherAny {
				w.srv.remove(p, true)
			}
		}
		w.removeHeld(op, id)
	case tree.OpCheckWatches:
		w.removeHeld(op, id)
	}
}

// removeHeld is the client's side of removeWatches: the caller got OK only if the client took
// something out. removeAllWatches takes every watcher; removeWatches of one watcher may leave
// others, so those watches become optional.
func (w *watClient) removeHeld(op *histories.Op, id int32) {
	q := &op.Req
	if op.Err != tree.OK || (q.Type != tree.OpRemoveWatches && q.Type != tree.OpCheckWatches) {
		return
	}
	p := w.ck.opPath[id]
	var kinds []uint8
	switch q.WatcherType {
	case tree.WatcherChildren:
		kinds = []uint8{watKindChild}
	case tree.WatcherData:
		kinds = []uint8{watKindData, watKindExist}
	case tree.WatcherAny:
		kinds = []uint8{watKindChild, watKindData, watKindExist, watKindPersistent, watKindRecursive}
	}
	for _, k := range kinds {
		key := watHeldKey(p, k)
		if q.Type == tree.OpRemoveWatches {
			delete(w.held, key)
		} else if hw, ok := w.held[key]; ok {
			hw.optional = true
			w.held[key] = hw
		}
	}
}

// event matches a delivered watch event against what the server owed the session.
func (w *watClient) event(it *watItem, items []watItem, i int) {
	w.ck.events++
	e := &w.ck.h.Events[it.idx]
	p := w.ck.evPath[it.idx]
	if !w.open {
		w.openConn(e.Server)
	}
	E := it.zxid
	if !w.resolved {
		w.resolveByEvent(it, items, i)
	} else if E > w.srv.cursor {
		w.due(it)
		for _, x := range w.srv.advance(E - 1) {
			w.addOverdue(x, it)
		}
		w.pending = append(w.pending, w.srv.advance(E)...)
	}
	bit := watBit(it.typ)
	if j := watFind(w.pending, p, bit, E); j >= 0 {
		// The server sent the events of a txn in trigger order on a FIFO connection: those
		// before this one were owed before it.
		x := w.pending[j]
		for _, y := range w.pending[:j] {
			w.addOverdue(y, it)
		}
		w.pending = append(w.pending[:0], w.pending[j+1:]...)
		w.answered(E, it.typ, p, &x)
	} else if j := watFind(w.overdue[p], p, bit, E); j >= 0 {
		x := w.overdue[p][j]
		w.overdue[p] = slices.Delete(w.overdue[p], j, j+1)
		if !w.ck.opts.IgnoreOrder {
			w.ck.report(e.Time, e.Seq, w.ops(x.dueOp, x.op),
				"%s got %s %s (zxid %s, %s) after the %s: the event must come first",
				w.who(), e.Type, e.Path, E, w.setBy(x.op), w.dueBy(&x))
		}
		w.answered(E, it.typ, p, &x)
	} else {
		w.unexpected(e, p)
	}
	w.materialize(it.typ, p)
	w.lastZxid = max(w.lastZxid, E)
}

// watFind returns the index in list of the first certain expectation that e answers, else of
// the first optional one, else -1.
func watFind(list []watExpect, p int32, bit uint8, z tree.Zxid) int {
	found := -1
	for i := range list {
		x := &list[i]
		if x.path == p && x.types&bit != 0 && x.lo <= z && z <= x.hi {
			if !x.optional {
				return i
			}
			if found < 0 {
				found = i
			}
		}
	}
	return found
}

// answered records that the event (z, t) on p answered x.
func (w *watClient) answered(z tree.Zxid, t tree.EventType, p int32, x *watExpect) {
	if x.catchUp {
		w.ck.catchUps++
	}
	w.fired[p] = watFired{zxid: z, typ: t, op: x.op}
}

// unexpected reports an event that answers nothing the session was owed.
func (w *watClient) unexpected(e *histories.Event, p int32) {
	E := e.Zxid
	// Another type for the same path and zxid: the server fired the wrong event.
	wrong := func(list []watExpect) ([]watExpect, bool) {
		for j, x := range list {
			if x.path == p && x.lo <= E && E <= x.hi {
				w.ck.report(e.Time, e.Seq, w.ops(x.op, -1), "%s got %s %s at zxid %s where %s wants %s",
					w.who(), e.Type, e.Path, E, w.setBy(x.op), watTypes(x.types))
				w.answered(E, e.Type, p, &x)
				return slices.Delete(list, j, j+1), true
			}
		}
		return list, false
	}
	var done bool
	if w.pending, done = wrong(w.pending); done {
		return
	}
	if list, ok := w.overdue[p]; ok {
		if w.overdue[p], done = wrong(list); done {
			return
		}
	}
	if f, ok := w.fired[p]; ok && f.typ == e.Type {
		w.ck.report(e.Time, e.Seq, w.ops(f.op, -1), "%s got %s %s at zxid %s twice over: %s already fired at zxid %s",
			w.who(), e.Type, e.Path, E, w.setBy(f.op), f.zxid)
		return
	}
	w.ck.report(e.Time, e.Seq, nil, "%s got %s %s at zxid %s on %s, which answers no watch it set",
		w.who(), e.Type, e.Path, E, histories.ServerName(w.server))
}

// materialize takes the one-shot watches an event answers out of the client's tables
// (ZKWatchManager.materialize).
func (w *watClient) materialize(t tree.EventType, p int32) {
	switch t {
	case tree.EventNodeCreated, tree.EventNodeDataChanged:
		delete(w.held, watHeldKey(p, watKindData))
		delete(w.held, watHeldKey(p, watKindExist))
	case tree.EventNodeChildrenChanged:
		delete(w.held, watHeldKey(p, watKindChild))
	case tree.EventNodeDeleted:
		delete(w.held, watHeldKey(p, watKindData))
		delete(w.held, watHeldKey(p, watKindExist))
		delete(w.held, watHeldKey(p, watKindChild))
	}
}

// ---------------------------------------------------------------------------------------------
// Reconnects.

// rearm registers the client's watches on srv as setWatches with relativeZxid rel does on a
// server at zxid at (tree.Watches.SetWatches, A8.1 "Reconnect"), appending to dst the events it
// fires at once. With exact false, at is only the latest zxid the re-registration can have
// happened at (it happened somewhere in [rel, at]): a watch counts as fired if it fires at
// every such zxid, or fires directly from a trigger before at, and its event may carry any zxid
// in [rel, at] and any type those readings give.
func (w *watClient) rearm(srv *watServer, dst []watExpect, rel, at tree.Zxid, exact bool) []watExpect {
	ix := w.ix
	srv.reset(at)
	w.keys = w.keys[:0]
	for k := range w.held {
		w.keys = append(w.keys, k)
	}
	slices.SortFunc(w.keys, func(a, b uint64) int {
		if c := cmp.Compare(a&7, b&7); c != 0 {
			return c
		}
		return strings.Compare(ix.names[a>>3], ix.names[b>>3])
	})
	var dataFired []int32 // paths whose data watch fired, for the inexact reading
	fire := func(p int32, t tree.EventType, alt tree.EventType, hw watHeld) {
		x := watExpect{lo: at, hi: at, path: p, types: watBit(t), optional: hw.optional, catchUp: true, op: hw.op, dueOp: -1, dueEv: -1}
		if !exact {
			x.lo = rel
			x.types |= watBit(alt)
		}
		dst = append(dst, x)
	}
	for _, k := range w.keys {
		p, kind, hw := int32(k>>3), uint8(k&7), w.held[k]
		switch kind {
		case watKindData:
			switch {
			case !ix.present(p, at):
				fire(p, tree.EventNodeDeleted, tree.EventNodeDataChanged, hw)
				dataFired = append(dataFired, p)
			case ix.changedOn(p, rel, at, exact):
				fire(p, tree.EventNodeDataChanged, tree.EventNodeDeleted, hw)
				dataFired = append(dataFired, p)
			default:
				srv.set(p, false, tree.WatchStandard, hw.optional, hw.op)
			}
		case watKindExist:
			if ix.present(p, at) {
				fire(p, tree.EventNodeCreated, tree.EventNodeCreated, hw)
			} else {
				srv.set(p, false, tree.WatchStandard, hw.optional, hw.op)
			}
		case watKindChild:
			switch {
			case !ix.present(p, at):
				fire(p, tree.EventNodeDeleted, tree.EventNodeChildrenChanged, hw)
			case ix.childrenChanged(p, rel, at):
				fire(p, tree.EventNodeChildrenChanged, tree.EventNodeDeleted, hw)
			default:
				srv.set(p, true, tree.WatchStandard, hw.optional, hw.op)
				continue
			}
			if !exact && slices.Contains(dataFired, p) {
				// Had the delete fired the data and the child watch directly, one NodeDeleted
				// would have answered both: the child watch's own event is not certain.
				dst[len(dst)-1].optional = true
			}
		case watKindPersistent, watKindRecursive:
			mode := tree.WatchPersistent
			if kind == watKindRecursive {
				mode = tree.WatchPersistentRecursive
			}
			srv.set(p, false, mode, hw.optional, hw.op)
			srv.set(p, true, mode, hw.optional, hw.op)
		}
	}
	return dst
}

// resolveByReply places the re-registration of a connection whose first message is a reply
// at zxid R: it happened at some zxid in [rel, R], before the reply, and nothing came first,
// so every watch that fires at each of those zxids was owed before the reply. Reading it as
// done at R is consistent with everything else the connection shows; what an earlier reading
// would fire may come only late.
func (w *watClient) resolveByReply(it *watItem) {
	w.resolved = true
	at := max(it.zxid, w.rel)
	w.scratch = w.rearm(w.srv, w.scratch[:0], w.rel, at, false)
	for _, x := range w.scratch {
		w.addOverdue(x, it)
	}
	if at == w.rel {
		return
	}
	// Had setWatches run earlier, the watches it re-registered would have fired for the txns up
	// to the reply: such an event may still come, late (it was owed before the reply), but it
	// answers a watch.
	w.rearm(w.alt, w.scratch[len(w.scratch):], w.rel, w.rel, true)
	for _, x := range w.alt.advance(at) {
		if list := w.overdue[x.path]; watFind(list, x.path, x.types, x.lo) < 0 {
			x.optional = true
			w.addOverdue(x, it)
		}
	}
}

// resolveByEvent places the re-registration of a connection whose first message is a watch
// event at zxid E. Either setWatches ran at E and the events at E are its catch-up, or it ran
// before E, fired nothing, and the events at E are the txn at E firing the re-registered
// watches. The reading whose events are those delivered at E, in order, wins; if neither is,
// the catch-up reading stands and the event matching reports what differs.
func (w *watClient) resolveByEvent(it *watItem, items []watItem, i int) {
	w.resolved = true
	E := it.zxid
	h := w.ck.h
	var run []*histories.Event
	var runPaths []int32
	j := i
	for ; j < len(items) && items[j].kind == watNodeEv && items[j].zxid == E; j++ {
		run = append(run, &h.Events[items[j].idx])
		runPaths = append(runPaths, w.ck.evPath[items[j].idx])
	}
	// If the connection ends after the run, the rest of what the server sent may be lost.
	for j < len(items) && items[j].kind == watLocalOp {
		j++ // nothing from the server
	}
	cut := j == len(items) || items[j].kind == watSessionEv
	cu := w.rearm(w.srv, w.scratch[:0], w.rel, E, true)
	w.scratch = cu
	if !watCovers(run, runPaths, cu, cut) && E > w.rel {
		before := w.rearm(w.alt, nil, w.rel, E-1, true)
		quiet := true
		for _, x := range before {
			quiet = quiet && x.optional
		}
		if quiet {
			if direct := w.alt.advance(E); watCovers(run, runPaths, direct, cut) {
				w.srv, w.alt = w.alt, w.srv
				w.pending = append(w.pending[:0], direct...)
				return
			}
		}
	}
	w.srv.cursor = E
	w.pending = append(w.pending[:0], cu...)
}

// watCovers reports whether the delivered events are exactly the expected ones, in order (the
// server sends them back to back on a FIFO connection), or a prefix of them if cut (the
// connection ended after them): optional expectations may be skipped, certain ones may not.
func watCovers(run []*histories.Event, paths []int32, exp []watExpect, cut bool) bool {
	j := 0
	for k, e := range run {
		bit := watBit(e.Type)
		for ; j < len(exp); j++ {
			x := &exp[j]
			if x.path == paths[k] && x.types&bit != 0 && x.lo <= e.Zxid && e.Zxid <= x.hi {
				break
			}
			if !x.optional {
				return false
			}
		}
		if j == len(exp) {
			return false
		}
		j++
	}
	for ; j < len(exp) && !cut; j++ {
		if !exp[j].optional {
			return false
		}
	}
	return true
}
