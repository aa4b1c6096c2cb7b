package histories

import (
	"slices"

	"zoosim/tree"
)

// Recorder builds a History while a run goes: the scenario runner calls it from the event loop,
// with the virtual time of each record. It numbers every record (Seq) and keeps the committed
// log in zxid order. It is deterministic and does no I/O.
type Recorder struct {
	h   History
	seq Seq
	// ops becomes h.Ops at Finish, as it is: an op is several hundred bytes and a run records
	// thousands, so ExpectOps reserves the whole list up front when the caller can estimate it,
	// and nothing is copied; past the estimate it grows as any slice does.
	ops []Op
	// applied (per server) and events hold those records until Finish joins them into h. A run
	// records thousands of each: growing one slice would allocate, clear, copy and have the
	// collector scan several times the final size.
	applied []chunked[Applied]
	events  chunked[Event]
	// logZxids are the zxids of h.Log, side by side: Apply looks each follower's apply up in
	// them, and a dense array searches without loading a txn per step.
	// Invariant: logZxids[i] == h.Log[i].Zxid.
	logZxids []tree.Zxid
	// pending lists, by client, the ops issued and not yet returned: a return finds its op by
	// xid in its client's short list.
	pending [][]pendingOp
	// dataArena and aclArena are where the requests' data and ACLs are copied to (Invoke), many
	// to an allocation; each op's copy is capped at its length, so it cannot grow into the next.
	dataArena []byte
	aclArena  []tree.ACL
	// checkpoints: every CheckpointEvery of virtual time, the next record also samples the
	// trace through sample.
	every  Time
	next   Time
	sample func() (events, hash uint64)
}

// pendingOp is an op awaiting its return: the client's xid and the op's index in ops.
type pendingOp struct {
	xid int32
	id  int
}

// Sizes of the arenas (Recorder.dataArena, aclArena); a longer item gets an allocation of its own.
const (
	dataArenaSize = 16 << 10
	aclArenaLen   = 256
)

// NewRecorder starts a history for a run with the given header fields. sample, if not nil,
// returns the kernel's event count and trace hash; the recorder takes a checkpoint with it at
// the first record made at or after each multiple of every (every <= 0 means 100 ms).
func NewRecorder(h Header, servers int, every Time, sample func() (events, hash uint64)) *Recorder {
	if every <= 0 {
		every = 100_000_000
	}
	h.Format = Format
	h.Servers = servers
	r := &Recorder{every: every, sample: sample}
	r.h.Header = h
	r.applied = make([]chunked[Applied], servers)
	return r
}

// ExpectOps reserves room for n ops, an estimate (a run's clients times the ops each can issue
// in its time): with room for all of them, no op is ever moved. A wrong estimate costs memory
// or a copy, never a record.
func (r *Recorder) ExpectOps(n int) {
	r.ops = slices.Grow(r.ops, n-len(r.ops))
}

// tick numbers a record made at now, taking a checkpoint first when one is due.
func (r *Recorder) tick(now Time) Seq {
	if r.sample != nil && now >= r.next {
		ev, hash := r.sample()
		r.h.Checkpoints = append(r.h.Checkpoints, Checkpoint{Time: now, Events: ev, Hash: hash})
		r.next = (now/r.every + 1) * r.every
	}
	r.seq++
	return r.seq
}

// Invoke records that client issued req as xid under session. req is copied: the caller may
// reuse it. It returns the op's ID.
func (r *Recorder) Invoke(now Time, client int, session tree.SessionID, xid int32, req *tree.Request) int {
	id := len(r.ops)
	// Filled in field by field in its zeroed slot: the op is large, and building it as a value
	// to copy in would write it twice.
	r.ops = slices.Grow(r.ops, 1)[:id+1]
	op := &r.ops[id]
	op.ID, op.Client, op.Session, op.Xid = id, client, session, xid
	r.cloneRequestInto(&op.Req, req)
	op.Invoke, op.InvokeSeq, op.Return, op.Outcome, op.Server = now, r.tick(now), Never, Unknown, -1
	for client >= len(r.pending) {
		r.pending = append(r.pending, nil)
	}
	r.pending[client] = append(r.pending[client], pendingOp{xid, id})
	return id
}

// Return records that client's request xid completed. res is the server's result (nil without
// a reply; its slices are kept, not copied: the client never reuses them); err is the code the
// caller received. It reports false when no pending op matches (a return without an invoke).
func (r *Recorder) Return(now Time, client int, xid int32, err tree.Code, server int, zxid tree.Zxid, res *tree.Result) bool {
	if client < 0 || client >= len(r.pending) {
		return false
	}
	waiting := r.pending[client]
	at := slices.IndexFunc(waiting, func(p pendingOp) bool { return p.xid == xid })
	if at < 0 {
		return false
	}
	id := waiting[at].id
	r.pending[client] = slices.Delete(waiting, at, at+1)
	op := &r.ops[id]
	op.Return, op.ReturnSeq = now, r.tick(now)
	op.Err = err
	switch {
	case res == nil:
		op.Outcome = Unknown
	case err == tree.OK:
		op.Outcome, op.Server, op.Zxid, op.Result = OK, server, zxid, *res
	default:
		op.Outcome, op.Server, op.Zxid, op.Result = Failed, server, zxid, *res
	}
	return true
}

// Event records a watch or session event delivered to a client; Seq and Time are set here.
func (r *Recorder) Event(now Time, e Event) {
	e.Time, e.Seq = now, r.tick(now)
	*r.events.add() = e
}

// Recipe records a step of a coordination recipe; Seq and Time are set here.
func (r *Recorder) Recipe(now Time, e RecipeEvent) {
	e.Time, e.Seq = now, r.tick(now)
	r.h.Recipes = append(r.h.Recipes, e)
}

// FaultStart records the start of a fault and returns its ID for FaultEnd.
func (r *Recorder) FaultStart(now Time, f Fault) int {
	f.ID = len(r.h.Faults)
	f.Start, f.StartSeq = now, r.tick(now)
	f.End, f.EndSeq = Never, 0
	r.h.Faults = append(r.h.Faults, f)
	return f.ID
}

// FaultEnd records the end of fault id; ending a fault twice keeps the first end.
func (r *Recorder) FaultEnd(now Time, id int) {
	f := &r.h.Faults[id]
	if f.EndSeq != 0 {
		return
	}
	f.End, f.EndSeq = now, r.tick(now)
}

// OpenFaults returns the IDs of the faults not yet ended, in start order.
func (r *Recorder) OpenFaults() []int {
	var open []int
	for i := range r.h.Faults {
		if r.h.Faults[i].EndSeq == 0 {
			open = append(open, i)
		}
	}
	return open
}

// Server records a server event; Seq and Time are set here.
func (r *Recorder) Server(now Time, e ServerEvent) {
	e.Time, e.Seq = now, r.tick(now)
	r.h.Servers = append(r.h.Servers, e)
}

// Apply records that server (in its incarnation-th boot) applied x. The first txn seen at a
// zxid joins the committed log; x must not be modified afterwards (zab never reuses the txns
// its Ready reports).
func (r *Recorder) Apply(now Time, server, incarnation int, x *tree.Txn) {
	*r.applied[server].add() = (Applied{Zxid: x.Zxid, Incarnation: incarnation, Time: now, Seq: r.tick(now),
		Type: x.Type, Session: x.Session, Cxid: x.Cxid, Digest: x.Digest})
	zs := r.logZxids
	if n := len(zs); n == 0 || zs[n-1] < x.Zxid {
		r.h.Log = append(r.h.Log, x)
		r.logZxids = append(zs, x.Zxid)
		return
	}
	// A zxid at or below the newest: a follower's apply of a logged txn, a replay after a
	// restart (already logged), or a txn only a diverged server applied, which joins the log in
	// its place.
	i, found := slices.BinarySearch(zs, x.Zxid)
	if !found {
		r.h.Log = slices.Insert(r.h.Log, i, x)
		r.logZxids = slices.Insert(zs, i, x.Zxid)
	}
}

// Op returns the op with the given ID, recorded so far, for reading or amending (test
// builders). The pointer stays good until the next Invoke, which may move the ops to grow them.
func (r *Recorder) Op(id int) *Op { return &r.ops[id] }

// Finish completes the history: the header fields known only at the end, and each server's
// final state. The recorder must not be used afterwards.
func (r *Recorder) Finish(end Time, events, traceHash uint64, final []Final) *History {
	r.h.Header.End, r.h.Header.Events, r.h.Header.TraceHash = end, events, traceHash
	r.h.Final = final
	r.h.Ops, r.h.Events = r.ops, r.events.join()
	if len(r.h.Ops) == 0 {
		r.h.Ops = nil // as a history without ops has always read
	}
	r.h.Applied = make([][]Applied, len(r.applied))
	for i := range r.applied {
		r.h.Applied[i] = r.applied[i].join()
	}
	r.ops, r.events, r.applied, r.logZxids = nil, chunked[Event]{}, nil, nil
	for i := range r.h.Ops {
		r.h.Header.Clients = max(r.h.Header.Clients, r.h.Ops[i].Client+1)
	}
	for i := range r.h.Events {
		r.h.Header.Clients = max(r.h.Header.Clients, r.h.Events[i].Client+1)
	}
	h := r.h
	r.h = History{}
	r.pending = nil
	return &h
}

// SetLiveness records what the liveness phase found.
func (r *Recorder) SetLiveness(l Liveness) { r.h.Liveness = l }

// Header returns the header as it stands, for fields the runner fills in as it goes.
func (r *Recorder) Header() *Header { return &r.h.Header }

// cloneRequestInto sets *c to a copy of q with every slice copied, so the history does not alias
// the caller's.
func (r *Recorder) cloneRequestInto(c *tree.Request, q *tree.Request) {
	*c = *q
	c.Data = r.keepData(q.Data)
	c.ACL = r.keepACL(q.ACL)
	if q.Ops != nil {
		c.Ops = make([]tree.Request, len(q.Ops))
		for i := range q.Ops {
			r.cloneRequestInto(&c.Ops[i], &q.Ops[i])
		}
	}
	if sw := q.SetWatches; sw != nil {
		c.SetWatches = &tree.SetWatches{RelativeZxid: sw.RelativeZxid, DataWatches: slices.Clone(sw.DataWatches),
			ExistWatches: slices.Clone(sw.ExistWatches), ChildWatches: slices.Clone(sw.ChildWatches),
			PersistentWatches:          slices.Clone(sw.PersistentWatches),
			PersistentRecursiveWatches: slices.Clone(sw.PersistentRecursiveWatches)}
	}
}

// keepData returns a copy of b (nil stays nil, empty stays empty) in the data arena.
func (r *Recorder) keepData(b []byte) []byte {
	switch {
	case b == nil:
		return nil
	case len(b) == 0:
		return []byte{}
	case len(b) > dataArenaSize/4:
		return slices.Clone(b)
	case cap(r.dataArena)-len(r.dataArena) < len(b):
		r.dataArena = make([]byte, 0, dataArenaSize)
	}
	start := len(r.dataArena)
	r.dataArena = append(r.dataArena, b...)
	return r.dataArena[start:len(r.dataArena):len(r.dataArena)]
}

// keepACL returns a copy of acl (nil stays nil, empty stays empty) in the ACL arena.
func (r *Recorder) keepACL(acl []tree.ACL) []tree.ACL {
	switch {
	case acl == nil:
		return nil
	case len(acl) == 0:
		return []tree.ACL{}
	case len(acl) > aclArenaLen/4:
		return slices.Clone(acl)
	case cap(r.aclArena)-len(r.aclArena) < len(acl):
		r.aclArena = make([]tree.ACL, 0, aclArenaLen)
	}
	start := len(r.aclArena)
	r.aclArena = append(r.aclArena, acl...)
	return r.aclArena[start:len(r.aclArena):len(r.aclArena)]
}
