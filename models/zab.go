package models

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"zoosim/histories"
	"zoosim/tree"
)

// ErrZabHistory says a history cannot be checked for the ZAB invariants: it lacks the servers'
// records, or they are malformed.
var ErrZabHistory = errors.New("models: history unfit for the ZAB check")

// CheckZab checks the ZAB invariants of zookeeper.md B6 from what the servers recorded: their
// boots, crashes and role changes (History.Servers), what each applied (History.Applied), the
// committed log (History.Log), each server's final state (History.Final), and the acknowledged
// writes of the clients (History.Ops). It checks:
//
//   - one established leader per epoch (Leadership), and every established leader holds every
//     txn of an earlier epoch that some server applied while it served (LeaderLogCompleteness,
//     primary integrity);
//   - agreement: every apply of a zxid is the txn the committed log holds there (same type,
//     session, cxid and the leader's digest), so no two servers applied different txns at a zxid;
//   - the committed log is one ordered sequence: zxids increase and, within an epoch, counters are
//     contiguous from 1, since a leader commits in zxid order (B5);
//   - primary order: within a term (zabTerm) a server applies strictly increasing zxids and skips
//     no committed txn; skipping one of an earlier epoch breaks primary integrity;
//   - every acknowledged write is in the committed log at the zxid its reply carried, from the
//     session and xid that sent it, and a converged ensemble is at or past it;
//   - every running server's final state has the digest the leader projected for its last zxid,
//     and, when the run converged, every running server has the same zxid and digest.
//
// A server may apply txns that are never committed: a server elected leader applies its whole
// log as its initial history (B3), and a follower applies what it logged once a prospective
// leader's DIFF says it is part of that leader's history (B4); if that leader never establishes,
// a later TRUNC or SNAP rolls them back. Such applies are tentative. An apply is confirmed, that
// is committed, when the server served in the same term (an established leader's initial
// history and a follower's synced history past UPTODATE are committed) or applied it while
// serving. Only confirmed txns must be present everywhere; a tentative one may be skipped.
//
// The check relies on the runner recording a Role event whenever a server's (role, epoch,
// leader, serving) changes, so every election shows as a Looking event, each with the server's
// last applied zxid, and every apply with its incarnation (sim/cluster's serverRecorder).
func CheckZab(h *histories.History) Verdict {
	c, err := newZabCheck(h)
	if err != nil {
		return Verdict{Checker: "zab", Status: Inconclusive, Summary: err.Error()}
	}
	c.checkLog()
	c.checkApplied()
	c.checkLeaders()
	c.checkAcknowledged()
	c.checkFinal()
	return c.verdict()
}

// zabCheck holds what CheckZab derives from a history.
type zabCheck struct {
	h *histories.History
	// servers is the number of servers the history mentions.
	servers int
	// index finds a zxid's position in h.Log (see find).
	index zxidIndex
	// sorted says h.Log is in strictly increasing zxid order (checkLog reports it when not).
	sorted bool
	// first is, per h.Log position, the earliest apply of that zxid (Seq 0 when nobody applied
	// it): when the txn committed, and who supplied the log's copy.
	first []zabApply
	// terms are every server's terms in order.
	terms [][]*zabTerm
	// Invariant: confirmed[i] says some server applied h.Log[i] (the same txn) in a term in
	// which it served; confirmer[i] is the earliest such apply.
	confirmed []bool
	confirmer []zabApply
	// confirmedUpTo[i] counts the confirmed positions below i (a prefix sum for the gap check).
	confirmedUpTo []int
	leaders       int
	acked         int
	vs            []Violation
}

// zabApply is one apply and the server that made it.
type zabApply struct {
	server int
	histories.Applied
}

// zabTerm is one stretch of a server's life in which its applies must be contiguous: one
// incarnation, from the end of one election to the start of the next, so it follows (or leads)
// one leader in one epoch. A reboot, a TRUNC or a SNAP (B4) can move a server's state back or
// forward, and each happens only at the start of a term: a reboot starts an incarnation, and
// TRUNC and SNAP come during synchronization, before a follower applies anything for its leader.
type zabTerm struct {
	server      int
	incarnation int
	// applied is the term's applies in order; from is where they start in the server's applies.
	applied []histories.Applied
	from    int
	// pos[k] is applied[k]'s position in h.Log, -1 when the log lacks its zxid: found once, for
	// the several passes over every apply.
	pos []int32
	// served says the server served clients in the term: as an established leader, or as a
	// follower past UPTODATE (B4 step 4). Its applies in the term are then committed.
	served bool
}

func newZabCheck(h *histories.History) (*zabCheck, error) {
	if h == nil {
		return nil, fmt.Errorf("%w: no history", ErrZabHistory)
	}
	if len(h.Servers) == 0 {
		return nil, fmt.Errorf("%w: no server events recorded", ErrZabHistory)
	}
	c := &zabCheck{h: h}
	c.servers = max(h.Header.Servers, len(h.Applied), len(h.Final))
	for i := range h.Servers {
		e := &h.Servers[i]
		if e.Server < 0 {
			return nil, fmt.Errorf("%w: server event %d names server %d", ErrZabHistory, i, e.Server)
		}
		c.servers = max(c.servers, e.Server+1)
	}
	c.sorted = true
	for i, x := range h.Log {
		if x == nil {
			return nil, fmt.Errorf("%w: committed log entry %d is nil", ErrZabHistory, i)
		}
		c.sorted = c.sorted && (i == 0 || h.Log[i-1].Zxid < x.Zxid)
	}
	c.index = newZxidIndex(zxidsOf(h.Log))
	c.first = make([]zabApply, len(h.Log))
	c.terms = make([][]*zabTerm, c.servers)
	for s := range c.servers {
		c.terms[s] = zabTermsOf(h, s)
		// Every apply is in exactly one term.
		for _, t := range c.terms[s] {
			t.pos = make([]int32, len(t.applied))
			for k := range t.applied {
				a := &t.applied[k]
				i, ok := c.find(a.Zxid)
				t.pos[k] = int32(i)
				if ok && (c.first[i].Seq == 0 || a.Seq < c.first[i].Seq) {
					c.first[i] = zabApply{s, *a}
				}
			}
		}
	}
	return c, nil
}

// zabTermsOf splits server s's applies into terms, walking its server events and applies in Seq
// order. A term ends at a boot, crash or halt, and when the server starts looking for a leader
// or changes role or leader without a recorded election in between.
func zabTermsOf(h *histories.History, s int) []*zabTerm {
	var events []histories.ServerEvent
	for _, e := range h.Servers {
		if e.Server == s {
			events = append(events, e)
		}
	}
	slices.SortStableFunc(events, func(a, b histories.ServerEvent) int { return cmp.Compare(a.Seq, b.Seq) })
	var applied []histories.Applied
	if s < len(h.Applied) {
		applied = h.Applied[s]
		if !slices.IsSortedFunc(applied, zabBySeq) {
			applied = slices.Clone(applied)
			slices.SortStableFunc(applied, zabBySeq)
		}
	}
	var (
		terms []*zabTerm
		cur   *zabTerm
		role  *histories.ServerEvent // the last role event of the incarnation
		boots int                    // Boot events so far: the incarnation until an apply says
	)
	start := func(incarnation int) {
		cur = &zabTerm{server: s, incarnation: incarnation}
		terms = append(terms, cur)
	}
	for i, j := 0, 0; i < len(events) || j < len(applied); {
		if j == len(applied) || i < len(events) && events[i].Seq < applied[j].Seq {
			e := &events[i]
			i++
			switch e.Kind {
			case histories.Boot:
				boots++
				cur, role = nil, nil
			case histories.Crash, histories.Halt:
				cur, role = nil, nil
			case histories.Role:
				if e.Role == histories.Looking ||
					role != nil && role.Role != histories.Looking && (role.Role != e.Role || role.Leader != e.Leader) {
					cur = nil
				}
				role = e
				if e.Serving {
					if cur == nil {
						start(max(boots, 1))
					}
					cur.served = true
				}
			}
			continue
		}
		a := &applied[j]
		switch {
		case cur == nil || len(cur.applied) > 0 && cur.incarnation != a.Incarnation:
			start(a.Incarnation)
			cur.from = j
		case len(cur.applied) == 0:
			// A term its serving event began: the applies say which incarnation it is.
			cur.incarnation, cur.from = a.Incarnation, j
		}
		j++
		cur.applied = applied[cur.from:j] // a term's applies are consecutive: share the array
	}
	return terms
}

// find returns the position of zxid z in h.Log (its first when the log repeats it).
func (c *zabCheck) find(z tree.Zxid) (int, bool) {
	i := c.index.find(z)
	return i, i >= 0
}

func zabBySeq(a, b histories.Applied) int { return cmp.Compare(a.Seq, b.Seq) }

func (c *zabCheck) addf(t histories.Time, ops []int, format string, args ...any) {
	c.vs = append(c.vs, Violation{Time: t, Ops: ops, Message: fmt.Sprintf(format, args...)})
}

// logTime is when h.Log[i] was first applied (0 if nobody did).
func (c *zabCheck) logTime(i int) histories.Time { return c.first[i].Time }

// checkLog checks that the committed log is one sequence in zxid order whose counters, within an
// epoch, run from 1 without a gap: the leader proposes zxid = ++counter and commits in order
// (B1, B5), so a missing counter means a txn committed before its predecessor.
func (c *zabCheck) checkLog() {
	for i, x := range c.h.Log {
		epoch, counter := zabEpoch(x.Zxid), zabCounter(x.Zxid)
		if i > 0 {
			prev := c.h.Log[i-1].Zxid
			if x.Zxid <= prev {
				c.addf(c.logTime(i), nil, "committed log: %s follows %s (zxids must increase)", x.Zxid, prev)
				continue
			}
			if zabEpoch(prev) == epoch {
				if counter != zabCounter(prev)+1 {
					c.addf(c.logTime(i), nil, "primary order: committed log jumps from %s to %s in epoch %d: %s",
						prev, x.Zxid, epoch, zabMissing(zabCounter(prev)+1, counter-1))
				}
				continue
			}
		}
		if counter != 1 {
			c.addf(c.logTime(i), nil, "primary order: epoch %d's first committed txn is %s, not counter 1: %s",
				epoch, x.Zxid, zabMissing(1, counter-1))
		}
	}
}

// zabMissing names the counters missing from lo to hi.
func zabMissing(lo, hi uint32) string {
	if hi < lo {
		return "counter 0 is no txn (it is NEWLEADER's zxid, B1)"
	}
	if lo == hi {
		return fmt.Sprintf("counter %d missing (B5 commits in zxid order)", lo)
	}
	return fmt.Sprintf("counters %d-%d missing (B5 commits in zxid order)", lo, hi)
}

// checkApplied checks agreement (every apply matches the committed log's txn at its zxid), then
// marks the confirmed txns, then checks primary order within every term.
func (c *zabCheck) checkApplied() {
	for _, terms := range c.terms {
		for _, t := range terms {
			for k := range t.applied {
				c.checkAgreement(t.server, &t.applied[k], int(t.pos[k]))
			}
		}
	}
	c.confirmed = make([]bool, len(c.h.Log))
	c.confirmer = make([]zabApply, len(c.h.Log))
	for _, terms := range c.terms {
		for _, t := range terms {
			if !t.served {
				continue
			}
			for k := range t.applied {
				a, i := &t.applied[k], int(t.pos[k])
				if i < 0 || !zabSameTxn(a, c.h.Log[i]) {
					continue
				}
				if !c.confirmed[i] || a.Seq < c.confirmer[i].Seq {
					c.confirmed[i], c.confirmer[i] = true, zabApply{t.server, *a}
				}
			}
		}
	}
	c.confirmedUpTo = make([]int, len(c.h.Log)+1)
	for i, ok := range c.confirmed {
		c.confirmedUpTo[i+1] = c.confirmedUpTo[i]
		if ok {
			c.confirmedUpTo[i+1]++
		}
	}
	for _, terms := range c.terms {
		for _, t := range terms {
			c.checkOrder(t)
		}
	}
}

// checkAgreement checks one apply, at position i of the committed log (-1: not there), against
// the log (B6 Agreement, Total order).
func (c *zabCheck) checkAgreement(server int, a *histories.Applied, i int) {
	if i < 0 {
		c.addf(a.Time, nil, "agreement: %s applied %s at %s, which the committed log lacks",
			histories.ServerName(server), zabDescribe(a.Type, a.Session, a.Cxid, a.Digest), a.Zxid)
		return
	}
	x := c.h.Log[i]
	if zabSameTxn(a, x) {
		return
	}
	by := "the committed log holds"
	if f := &c.first[i]; f.Seq != 0 && zabSameTxn(&f.Applied, x) {
		by = histories.ServerName(f.server) + " applied"
	}
	c.addf(a.Time, nil, "agreement: %s applied %s at %s, but %s %s there",
		histories.ServerName(server), zabDescribe(a.Type, a.Session, a.Cxid, a.Digest), a.Zxid,
		by, zabDescribe(x.Type, x.Session, x.Cxid, x.Digest))
}

func zabSameTxn(a *histories.Applied, x *tree.Txn) bool {
	return a.Zxid == x.Zxid && a.Type == x.Type && a.Session == x.Session && a.Cxid == x.Cxid && a.Digest == x.Digest
}

func zabDescribe(t tree.OpCode, s tree.SessionID, cxid int32, digest uint64) string {
	return fmt.Sprintf("%s session=%s cxid=%d digest=%#x", t, s, cxid, digest)
}

// checkOrder checks primary order within one term: zxids strictly increase, and between two
// consecutive applies the committed log holds no confirmed txn (Local and Global primary order,
// B6). A skipped txn of an earlier epoch than the one applied is a break of primary integrity.
func (c *zabCheck) checkOrder(t *zabTerm) {
	name := histories.ServerName(t.server)
	for k := 1; k < len(t.applied); k++ {
		y, x := &t.applied[k-1], &t.applied[k]
		if x.Zxid <= y.Zxid {
			c.addf(x.Time, nil, "primary order: %s applied %s after %s in incarnation %d without a resync (zxids must increase)",
				name, x.Zxid, y.Zxid, t.incarnation)
			continue
		}
		iy, ix := int(t.pos[k-1]), int(t.pos[k])
		if iy < 0 || ix < 0 || c.confirmedUpTo[ix]-c.confirmedUpTo[iy+1] == 0 {
			continue
		}
		skipped := iy + 1
		for !c.confirmed[skipped] {
			skipped++
		}
		z, by := c.h.Log[skipped].Zxid, c.confirmer[skipped]
		n := c.confirmedUpTo[ix] - c.confirmedUpTo[iy+1]
		if zabEpoch(z) < zabEpoch(x.Zxid) {
			c.addf(x.Time, nil, "primary integrity: %s applied %s (epoch %d) right after %s, without %s of epoch %d (%d committed txn(s) skipped; %s applied it while serving)",
				name, x.Zxid, zabEpoch(x.Zxid), y.Zxid, z, zabEpoch(z), n, histories.ServerName(by.server))
			continue
		}
		c.addf(x.Time, nil, "primary order: %s applied %s right after %s, skipping committed %s (%d committed txn(s) skipped; %s applied it while serving)",
			name, x.Zxid, y.Zxid, z, n, histories.ServerName(by.server))
	}
}

// checkLeaders checks that no two servers were established leaders of one epoch (Leadership1/2,
// B6), and that every leader, when it established, held every confirmed txn of earlier epochs
// (LeaderLogCompleteness, B6; primary integrity): its last applied zxid is at least the newest
// of them. A committed txn is on a quorum, which intersects the quorum that established any later
// leader, so a later leader missing one means a commit without a quorum or an acknowledgement of
// something not on disk.
func (c *zabCheck) checkLeaders() {
	type leader struct {
		server int
		time   histories.Time
	}
	established := map[int64]leader{}
	reported := map[[2]int64]bool{}
	for i := range c.h.Servers {
		e := &c.h.Servers[i]
		if e.Kind != histories.Role || e.Role != histories.Leading || !e.Serving {
			continue
		}
		key := [2]int64{e.Epoch, int64(e.Server)}
		if reported[key] {
			continue
		}
		reported[key] = true
		l, ok := established[e.Epoch]
		if !ok {
			established[e.Epoch] = leader{e.Server, e.Time}
			c.leaders++
		} else if l.server != e.Server {
			c.addf(e.Time, nil, "leadership: two leaders in epoch %d: %s established at %s and %s at %s",
				e.Epoch, histories.ServerName(l.server), FormatTime(l.time), histories.ServerName(e.Server), FormatTime(e.Time))
		}
		if i := c.lastConfirmedBefore(e.Epoch); i >= 0 && c.h.Log[i].Zxid > e.Zxid {
			z, by := c.h.Log[i].Zxid, c.confirmer[i]
			c.addf(e.Time, nil, "primary integrity: %s established epoch %d at %s without %s of epoch %d, which %s applied while serving at %s (a committed txn was lost)",
				histories.ServerName(e.Server), e.Epoch, e.Zxid, z, zabEpoch(z), histories.ServerName(by.server), FormatTime(by.Time))
		}
	}
}

// lastConfirmedBefore returns the position of the newest confirmed txn of an epoch older than
// epoch, or -1.
func (c *zabCheck) lastConfirmedBefore(epoch int64) int {
	bound := tree.Zxid(epoch << 32)
	log := c.h.Log
	if c.sorted {
		end, _ := slices.BinarySearchFunc(log, bound, func(x *tree.Txn, z tree.Zxid) int { return cmp.Compare(x.Zxid, z) })
		for i := end - 1; i >= 0; i-- {
			if c.confirmed[i] {
				return i
			}
		}
		return -1
	}
	last := -1 // checkLog reported the disorder: scan everything
	for i, x := range log {
		if c.confirmed[i] && x.Zxid < bound && (last < 0 || x.Zxid > log[last].Zxid) {
			last = i
		}
	}
	return last
}

// checkAcknowledged checks that every write a server acknowledged survives (A10 Reliability, B6):
// its txn, from the op's session and xid, is in the committed log at the zxid of the reply, and a
// converged ensemble has applied it.
func (c *zabCheck) checkAcknowledged() {
	h := c.h
	for k := range h.Ops {
		op := &h.Ops[k]
		if op.Outcome != histories.OK || !op.IsWrite() {
			continue
		}
		c.acked++
		what := zabAcked{op}
		if op.Zxid == 0 {
			c.addf(op.Return, []int{op.ID}, "%s: the reply carries no zxid", what)
			continue
		}
		i, ok := c.find(op.Zxid)
		if !ok {
			c.addf(op.Return, []int{op.ID}, "%s at %s is missing from the committed log (lost)", what, op.Zxid)
			continue
		}
		if x := h.Log[i]; x.Cxid != op.Xid || op.Session != 0 && x.Session != op.Session {
			c.addf(op.Return, []int{op.ID}, "%s at %s: the committed txn there is %s", what, op.Zxid,
				zabDescribe(x.Type, x.Session, x.Cxid, x.Digest))
			continue
		}
		if !h.Liveness.Converged {
			continue
		}
		var behind []string
		for _, f := range h.Final {
			if f.Up && f.Zxid < op.Zxid {
				behind = append(behind, fmt.Sprintf("%s at %s", histories.ServerName(f.Server), f.Zxid))
			}
		}
		if len(behind) > 0 {
			c.addf(h.Liveness.At, []int{op.ID}, "%s at %s is beyond the converged state: %s",
				what, op.Zxid, strings.Join(behind, ", "))
		}
	}
}

// zabAcked names an acknowledged write in a message; it formats only when a violation is reported.
type zabAcked struct{ op *histories.Op }

func (a zabAcked) String() string {
	op := a.op
	return fmt.Sprintf("acknowledged write op %d (%s %s %s, session %s xid %d)",
		op.ID, histories.ClientName(op.Client), op.Req.Type, op.Req.Path, op.Session, op.Xid)
}

// checkFinal checks the servers' final states. A running server's tree must have the digest the
// leader projected for the last zxid it applied: the same txns in the same order give the same
// state, so a different digest means it applied a different history (B6 PrefixConsistency, as
// ZooKeeper's own digest check reasons). When the run converged, every running server must be at
// the same zxid with the same digest.
func (c *zabCheck) checkFinal() {
	h := c.h
	final := slices.Clone(h.Final)
	slices.SortStableFunc(final, func(a, b histories.Final) int { return cmp.Compare(a.Server, b.Server) })
	var up []histories.Final
	for _, f := range final {
		if !f.Up {
			continue
		}
		up = append(up, f)
		if f.Zxid == 0 {
			continue
		}
		if i, ok := c.find(f.Zxid); ok && h.Log[i].Digest != 0 && f.Digest != h.Log[i].Digest {
			c.addf(h.Header.End, nil, "prefix consistency: %s ended at %s with digest %#x, but the leader projected %#x there: it applied a different history",
				histories.ServerName(f.Server), f.Zxid, f.Digest, h.Log[i].Digest)
		}
	}
	if !h.Liveness.Converged || len(up) == 0 {
		return
	}
	differ := false
	states := make([]string, len(up))
	for k, f := range up {
		differ = differ || f.Zxid != up[0].Zxid || f.Digest != up[0].Digest
		states[k] = fmt.Sprintf("%s %s/%#x", histories.ServerName(f.Server), f.Zxid, f.Digest)
	}
	if differ {
		c.addf(h.Liveness.At, nil, "convergence: the run converged but replicas differ: %s", strings.Join(states, ", "))
		return
	}
	if z := up[0].Zxid; z != 0 {
		if _, ok := c.find(z); !ok {
			c.addf(h.Liveness.At, nil, "convergence: replicas converged at %s, which no server applied as committed", z)
		}
	}
}

func (c *zabCheck) verdict() Verdict {
	slices.SortStableFunc(c.vs, func(a, b Violation) int { return cmp.Compare(a.Time, b.Time) })
	var vs violations
	for _, v := range c.vs {
		vs.add(v)
	}
	applies := 0
	for _, as := range c.h.Applied {
		applies += len(as)
	}
	epochs := 0
	for i, x := range c.h.Log {
		if i == 0 || zabEpoch(x.Zxid) != zabEpoch(c.h.Log[i-1].Zxid) {
			epochs++
		}
	}
	v := vs.verdict("zab", fmt.Sprintf("%d committed txns in %d epochs, %d applies on %d servers, %d leaders, %d acknowledged writes: ZAB invariants hold",
		len(c.h.Log), epochs, applies, c.servers, c.leaders, c.acked))
	v.Metrics = []Metric{
		{Name: "committed_txns", Value: float64(len(c.h.Log)), Unit: "txns"},
		{Name: "epochs", Value: float64(epochs)},
		{Name: "leaders", Value: float64(c.leaders)},
	}
	return v
}

// zabEpoch and zabCounter split a zxid into its epoch and counter (B1).
func zabEpoch(z tree.Zxid) int64    { return int64(uint64(z) >> 32) }
func zabCounter(z tree.Zxid) uint32 { return uint32(uint64(z)) }
