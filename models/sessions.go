package models

import (
	"fmt"
	"strings"
	"time"

	"zoosim/histories"
	"zoosim/tree"
)

// SessionOptions configure CheckSessions.
type SessionOptions struct {
	// Tree are the servers' tree options.
	Tree tree.Options
	// TickTime is the servers' tickTime: the leader's session tracker buckets expiries by it
	// and followers forward touches on every PING, which the leader sends each TickTime/2
	// (zookeeper.md A9). 0 means 3 s (ZooKeeperServer.DEFAULT_TICK_TIME).
	TickTime time.Duration
}

// CheckSessions checks sessions and ephemerals against zookeeper.md A9. It replays the committed
// log as CheckZxidOrder does (h.Log without tentative txns; a txn commits at its first apply)
// and checks:
//
//   - An ephemeral exists exactly from its create to its owner's close or expiry. Replaying the
//     committed log: no node is created with an owner that is closed (or was never created); an
//     ephemeral disappears only through an explicit delete of it or its owner's closeSession; no
//     node of a session remains after its closeSession.
//   - Nothing succeeds on a closed session: no txn of a session commits successfully after its
//     closeSession, and no server answers a session with a zxid at or past its closeSession (a
//     server closes the session's connection when it applies the close). A read that a server
//     behind the close answered is allowed, and counted: followers serve reads from their own,
//     possibly older, state (A11).
//   - A client told that its session expired had it closed in the committed log: a closeSession
//     committed before the client was told, or committed later (the leader refuses a closing
//     session's reconnect from the moment it proposes the close; counted). A client told Expired
//     with no closeSession at all is what a leader that forgets a session without the txn does
//     (the no-ephemeral-cleanup variant): its ephemerals stay. Such an event too close to the end
//     of the run (less than the timeout plus two ticks after it and after the last leader was
//     established) is counted, not failed: a new leader may not have expired it yet.
//   - No session expires while its client kept contact within its timeout. An expiry is a
//     closeSession txn that no client close op of that session sent. See sesPremature for the
//     exact bound; it is checked only when no fault was active in [E - T - 2·tick, E], E being the
//     expiry's commit and T the session's largest negotiated timeout, because a fault can cut the
//     path between the client's server and the leader, so that contact the client saw never
//     reached the leader. Faults that name only clients (a reset, a killed or paused client
//     node) cut no such path and do not count.
func CheckSessions(h *histories.History, opts SessionOptions) Verdict {
	if h == nil {
		return ordInconclusive("sessions", fmt.Errorf("%w: no history", ordErrBadHistory))
	}
	if opts.TickTime <= 0 {
		opts.TickTime = 3 * time.Second
	}
	c := &sesCheck{h: h, opts: opts, tick: histories.Time(opts.TickTime)}
	var err error
	if c.log, err = ordNewLog(h); err != nil {
		return ordInconclusive("sessions", err)
	}
	c.conns = ordNewConnections(h)
	c.bySession = map[tree.SessionID][]ordConnected{}
	for _, list := range c.conns.byClient {
		for _, e := range list {
			c.bySession[e.session] = append(c.bySession[e.session], e)
		}
	}
	c.clientCloses = map[ordTxnKey]int{}
	for i := range h.Ops {
		if op := &h.Ops[i]; op.Req.Type == tree.OpCloseSession {
			c.clientCloses[ordTxnKey{c.conns.session(op), op.Xid}] = i
		}
	}
	c.replay()
	c.checkOpsAfterClose()
	c.checkExpiredEvents()
	c.checkExpiries()
	return c.verdict()
}

// sesCheck is one run of CheckSessions.
type sesCheck struct {
	h     *histories.History
	opts  SessionOptions
	tick  histories.Time
	log   *ordLog
	conns ordConnections
	found ordFindings
	// bySession are each session's Connected events, in Seq order.
	bySession map[tree.SessionID][]ordConnected
	// clientCloses are the client closeSession ops by (session, xid).
	clientCloses map[ordTxnKey]int
	// writeOps are the write ops by (session, xid), built when a message needs one.
	writeOps map[ordTxnKey]int
	// closes holds the first closeSession of each session that has one.
	closes map[tree.SessionID]sesClose
	// expiries are the closeSessions no client op sent, in log order.
	expiries []sesClose
	// final is the state after the whole log.
	final *tree.Tree

	clientClosed, toldBeforeCommit, toldNearEnd, expiredEvents int
	staleAfterClose                                            int
	checked, skippedFault, skippedNoTimeout                    int
}

// sesClose is a session's closeSession in the log.
type sesClose struct {
	session tree.SessionID
	idx     int
	zxid    tree.Zxid
	// seq and time are its commit (first apply); 0 when no server recorded applying it.
	seq  histories.Seq
	time histories.Time
	// op is the client op that sent it, or -1 for an expiry.
	op int
}

// replay applies the log, following every ephemeral from its create to its delete and every
// session to its close.
func (c *sesCheck) replay() {
	t := tree.New(c.opts.Tree)
	c.closes = map[tree.SessionID]sesClose{}
	// owners are the live ephemerals with their owning session.
	owners := map[string]tree.SessionID{}
	for i, x := range c.log.txns {
		a := t.Apply(x)
		at, seq := c.log.commitTime[i], c.log.commitSeq[i]
		flagged := false
		for _, ch := range a.Changes {
			switch ch.Type {
			case tree.EventNodeCreated:
				st, _ := t.Stat(ch.Path)
				if st.EphemeralOwner == 0 {
					continue
				}
				owner := tree.SessionID(st.EphemeralOwner)
				owners[ch.Path] = owner
				if cl, closed := c.closes[owner]; closed {
					flagged = true
					c.found.add(at, seq, c.opsOf(x),
						"ephemeral %s of session %s was created at zxid %s, after the session's closeSession at zxid %s: it outlives its owner",
						ch.Path, owner, x.Zxid, cl.zxid)
				} else if _, live := t.SessionTimeout(owner); !live {
					flagged = true
					c.found.add(at, seq, c.opsOf(x),
						"ephemeral %s was created at zxid %s for session %s, which the log never created", ch.Path, x.Zxid, owner)
				}
			case tree.EventNodeDeleted:
				owner, ok := owners[ch.Path]
				if !ok {
					continue
				}
				delete(owners, ch.Path)
				if sesDeletes(x, ch.Path) || (x.Type == tree.OpCloseSession && x.Session == owner) {
					continue
				}
				c.found.add(at, seq, c.opsOf(x),
					"ephemeral %s of session %s was removed at zxid %s by a %s txn of session %s, neither a delete of it nor its owner's close",
					ch.Path, owner, x.Zxid, x.Type, x.Session)
			}
		}
		if x.Session == 0 {
			continue
		}
		cl, closed := c.closes[x.Session]
		switch {
		case closed && !flagged && x.Type != tree.OpCloseSession && a.Result.Err == tree.OK:
			c.found.add(at, seq, c.opsOf(x),
				"session %s's %s txn at zxid %s succeeded after the session's closeSession at zxid %s",
				x.Session, x.Type, x.Zxid, cl.zxid)
		case !closed && x.Type == tree.OpCloseSession:
			if left := t.Ephemerals(x.Session); len(left) > 0 {
				c.found.add(at, seq, c.opsOf(x), "ephemerals %s of session %s remain after its closeSession at zxid %s",
					strings.Join(left, ", "), x.Session, x.Zxid)
			}
			cl := sesClose{session: x.Session, idx: i, zxid: x.Zxid, seq: seq, time: at, op: -1}
			if id, ok := c.clientCloses[ordTxnKey{x.Session, x.Cxid}]; ok {
				cl.op = id
				c.clientClosed++
			} else {
				c.expiries = append(c.expiries, cl)
			}
			c.closes[x.Session] = cl
		}
	}
	c.final = t
}

// sesDeletes reports whether x deletes path explicitly: a delete, or a multi with one.
func sesDeletes(x *tree.Txn, path string) bool {
	switch x.Type {
	case tree.OpDelete:
		return x.Path == path
	case tree.OpMulti:
		for i := range x.Ops {
			if x.Ops[i].Type == tree.OpDelete && x.Ops[i].Path == path {
				return true
			}
		}
	}
	return false
}

// opsOf returns the client op that x became, if one is known by its session and cxid.
func (c *sesCheck) opsOf(x *tree.Txn) []int {
	if c.writeOps == nil {
		c.writeOps = map[ordTxnKey]int{}
		for i := range c.h.Ops {
			if op := &c.h.Ops[i]; op.IsWrite() {
				c.writeOps[ordTxnKey{c.conns.session(op), op.Xid}] = i
			}
		}
	}
	if id, ok := c.writeOps[ordTxnKey{x.Session, x.Cxid}]; ok {
		return []int{id}
	}
	return nil
}

// checkOpsAfterClose checks that no server answered a session with a zxid at or past its
// close: a server closes the session's connection when it applies the close (A9). Writes are
// checked in the replay (no txn of a closed session succeeds).
func (c *sesCheck) checkOpsAfterClose() {
	if len(c.closes) == 0 {
		return
	}
	for i := range c.h.Ops {
		op := &c.h.Ops[i]
		if !ordReplied(op) || op.IsWrite() {
			continue
		}
		session := c.conns.session(op)
		cl, ok := c.closes[session]
		if !ok {
			continue
		}
		switch {
		case op.Zxid >= cl.zxid:
			c.found.add(op.Return, op.ReturnSeq, []int{i},
				"%s of session %s was answered on %s at zxid %s, at or after the session's closeSession at zxid %s",
				ordDescribe(op), session, histories.ServerName(op.Server), op.Zxid, cl.zxid)
		case cl.seq != 0 && op.InvokeSeq > cl.seq:
			c.staleAfterClose++
		}
	}
}

// checkExpiredEvents checks that every session a client was told had expired was closed in the
// committed log.
func (c *sesCheck) checkExpiredEvents() {
	leaders := ordNewLeaderEpochs(c.h)
	for i := range c.h.Events {
		e := &c.h.Events[i]
		if !e.IsSession() || e.State != histories.Expired {
			continue
		}
		c.expiredEvents++
		session := e.Session
		if session == 0 {
			session = c.lastSession(e.Client, e.Seq)
		}
		cl, closed := c.closes[session]
		switch {
		case closed && (cl.seq == 0 || cl.seq < e.Seq):
			continue
		case closed:
			c.toldBeforeCommit++
			continue
		}
		// A leader established after the event restarts the session's expiry (A9 "Leader
		// change"): give it a timeout and two ticks to expire the session again.
		from := e.Time
		for _, est := range leaders.established {
			if est.seq > e.Seq {
				from = max(from, est.time)
			}
		}
		if c.h.Header.End < from+c.timeout(session, true)+2*c.tick {
			c.toldNearEnd++
			continue
		}
		left := "no ephemerals"
		if es := c.final.Ephemerals(session); len(es) > 0 {
			left = "ephemerals " + strings.Join(es, ", ")
		}
		c.found.add(e.Time, e.Seq, nil,
			"%s was told on %s that session %s expired, but the committed log has no closeSession of it (%s remain)",
			histories.ClientName(e.Client), histories.ServerName(e.Server), session, left)
	}
}

// lastSession is client's session at seq: that of its last Connected event before it.
func (c *sesCheck) lastSession(client int, seq histories.Seq) tree.SessionID {
	if client < 0 || client >= len(c.conns.byClient) {
		return 0
	}
	var s tree.SessionID
	for _, e := range c.conns.byClient[client] {
		if e.seq < seq {
			s = e.session
		}
	}
	return s
}

// timeout is a session's negotiated timeout: the largest (or smallest) its Connected events
// report, else the one its createSession carried if it is still live at the end; 0 if unknown.
func (c *sesCheck) timeout(session tree.SessionID, largest bool) histories.Time {
	var ms int64
	for _, e := range c.bySession[session] {
		if ms == 0 || (largest && e.timeout > ms) || (!largest && e.timeout < ms) {
			ms = e.timeout
		}
	}
	if ms == 0 {
		if to, ok := c.final.SessionTimeout(session); ok {
			ms = int64(to)
		}
	}
	return histories.Time(ms) * histories.Time(time.Millisecond)
}

// checkExpiries checks each expiry whose window was free of faults for contact the leader must
// have heard.
func (c *sesCheck) checkExpiries() {
	if len(c.expiries) == 0 {
		return
	}
	type contact struct {
		at  histories.Time
		seq histories.Seq
		op  int
	}
	expired := map[tree.SessionID]bool{}
	for _, ex := range c.expiries {
		expired[ex.session] = true
	}
	contacts := map[tree.SessionID][]contact{}
	for i := range c.h.Ops {
		op := &c.h.Ops[i]
		if !ordReplied(op) {
			continue
		}
		if s := c.conns.session(op); expired[s] {
			contacts[s] = append(contacts[s], contact{op.Return, op.ReturnSeq, i})
		}
	}
	for s := range expired {
		for _, e := range c.bySession[s] {
			contacts[s] = append(contacts[s], contact{e.time, e.seq, -1})
		}
	}
	for _, ex := range c.expiries {
		if ex.seq == 0 || len(c.bySession[ex.session]) == 0 {
			c.skippedNoTimeout++
			continue
		}
		E := ex.time
		if c.faultActive(E-c.timeout(ex.session, true)-2*c.tick, E) {
			c.skippedFault++
			continue
		}
		c.checked++
		var worst *contact
		for k := range contacts[ex.session] {
			ct := &contacts[ex.session][k]
			T := c.timeoutAt(ex.session, ct.seq)
			if T > 0 && sesPremature(ct.at, E, T, c.tick) && (worst == nil || ct.at > worst.at) {
				worst = ct
			}
		}
		if worst == nil {
			continue
		}
		what := "a Connected event"
		var ops []int
		if worst.op >= 0 {
			what = "a reply to " + ordDescribe(&c.h.Ops[worst.op])
			ops = []int{worst.op}
		}
		c.found.add(E, ex.seq, ops,
			"session %s expired (closeSession at zxid %s committed at %s) although its client got %s at %s, within its timeout %s of the expiry, with no fault active",
			ex.session, ex.zxid, FormatTime(E), what, FormatTime(worst.at), time.Duration(c.timeoutAt(ex.session, worst.seq)))
	}
}

// sesPremature reports whether contact a client saw at time t proves that an expiry committed
// at E with timeout T came too early, when no fault is active (zookeeper.md A9).
//
// The leader expires a session only once its deadline passed; a touch at time u sets the
// deadline to ((u+T)/tick + 1)·tick, which is after u+T, and the expiry's closeSession commits
// after the deadline: so every touch the leader applied before it decided the expiry came
// before E - T. A reply at t means the server touched the session when the request arrived, at
// u >= t - d, d being the time from the request's arrival to the reply's receipt; a Connected
// event means the leader revalidated the session at u >= t - d. A follower forwards its touches
// on its reply to the leader's next PING, sent every tick/2, so a touch at u reached the leader
// by u + tick/2 + RTT, and the leader decided the expiry at E - c, c being the close's commit
// delay. Hence a correct expiry is contradicted by any contact with
//
//	t - d >= E - T           (the touch came within the timeout before the expiry)
//	t + tick/2 + RTT <= E - c (and reached the leader before it decided)
//
// With no fault active, d, RTT and c are far below half a tick (network and disk latencies),
// so taking d <= tick and tick/2 + RTT + c <= tick gives the window
//
//	E - T + tick < t < E - tick.
//
// The bucket rounding only moves the expiry later, so it needs no slack; the tick of slack on
// each side is for the latencies. A timeout of at most two ticks leaves the window empty.
func sesPremature(t, E, T, tick histories.Time) bool {
	return t > E-T+tick && t < E-tick
}

// timeoutAt is the timeout the session's connection had negotiated at seq: that of its last
// Connected event at or before it (a touch counts with its connection's timeout).
func (c *sesCheck) timeoutAt(session tree.SessionID, seq histories.Seq) histories.Time {
	var ms int64
	for _, e := range c.bySession[session] {
		if e.seq <= seq {
			ms = e.timeout
		}
	}
	return histories.Time(ms) * histories.Time(time.Millisecond)
}

// faultActive reports whether a fault that can cut a server's path to the leader was active at
// some time in [from, to]. A fault that names only clients (a client's connection reset, its
// node killed or paused) leaves the servers alone: contact any client saw still reached the
// leader.
func (c *sesCheck) faultActive(from, to histories.Time) bool {
	for i := range c.h.Faults {
		f := &c.h.Faults[i]
		if len(f.Servers) == 0 && len(f.Groups) == 0 && len(f.Clients) > 0 {
			continue
		}
		end := f.End
		if f.EndSeq == 0 {
			end = histories.Never
		}
		if f.Start <= to && end >= from {
			return true
		}
	}
	return false
}

func (c *sesCheck) verdict() Verdict {
	summary := fmt.Sprintf("%d sessions closed (%d by clients, %d expiries, %d checked for premature expiry), %d Expired events: consistent",
		len(c.closes), c.clientClosed, len(c.expiries), c.checked, c.expiredEvents)
	v := c.found.verdict("sessions", summary)
	v.Metrics = []Metric{
		{Name: "sessions closed by clients", Value: float64(c.clientClosed)},
		{Name: "expiries", Value: float64(len(c.expiries))},
		{Name: "expiries checked", Value: float64(c.checked)},
		{Name: "expiries skipped (fault active)", Value: float64(c.skippedFault)},
		{Name: "expiries skipped (no timeout or commit time)", Value: float64(c.skippedNoTimeout)},
		{Name: "Expired events", Value: float64(c.expiredEvents)},
		{Name: "Expired told before the close committed", Value: float64(c.toldBeforeCommit)},
		{Name: "Expired without close, too near the end", Value: float64(c.toldNearEnd)},
		{Name: "stale replies after close", Value: float64(c.staleAfterClose), Unit: "ops"},
	}
	return v
}
