package models

import (
	"fmt"
	"slices"
	"sort"
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
//     exact bound. The leader that committed the expiry is the one that established the
//     close's epoch (its zxid's); every touch that reaches it after it was established pushes
//     the session's deadline a timeout on (A9), so only contact made through a server that
//     followed that leader (or through the leader itself) counts, and only from a tick after
//     it was established: a new leader restarts every session's expiry from its own start (A9
//     "Leader change"), so contact before it only delays the expiry. The expiry is judged only
//     when, in [E - T - 2·tick, E] (E the expiry's commit, T the session's largest negotiated
//     timeout), no other server took the lead and no fault could cut or slow the path of that
//     contact (see sesPath): a fault on a server the client reached or on the leader, a
//     network fault between them, or faults on so many other servers that the leader's quorum,
//     and so the close's commit, could be slowed. Faults on other servers, and faults that
//     name only clients (a reset, a killed client node, or another client's paused node), do
//     not excuse an expiry.
func CheckSessions(h *histories.History, opts SessionOptions) Verdict {
	if h == nil {
		return ordInconclusive("sessions", fmt.Errorf("%w: no history", ordErrBadHistory))
	}
	if opts.TickTime <= 0 {
		opts.TickTime = 3 * time.Second
	}
	log, err := ordNewLog(h)
	if err != nil {
		return ordInconclusive("sessions", err)
	}
	c := newSesCheck(h, opts, log, ordNewConnections(h), nil)
	replayLog(log.txns, opts.Tree, c)
	return c.finish()
}

// newSesCheck prepares CheckSessions's replay of log; opts.TickTime must be set. ord, if not
// nil, is CheckZxidOrder's run on h with the same log and connections, whose classify pass
// already found what this one would look for in the ops.
func newSesCheck(h *histories.History, opts SessionOptions, log *ordLog, conns ordConnections, ord *ordCheck) *sesCheck {
	c := &sesCheck{h: h, opts: opts, tick: histories.Time(opts.TickTime), log: log, conns: conns, ord: ord}
	c.bySession = map[tree.SessionID][]ordConnected{}
	for _, list := range c.conns.byClient {
		for j := 0; j < len(list); {
			s, k := list[j].session, j+1
			for k < len(list) && list[k].session == s {
				k++
			}
			// A session's events are usually one run of its client's list: share it (capped,
			// so that nothing appends into the next run) rather than copy it.
			if prev, ok := c.bySession[s]; ok {
				c.bySession[s] = append(prev, list[j:k]...)
			} else {
				c.bySession[s] = list[j:k:k]
			}
			j = k
		}
	}
	c.clientCloses = map[ordTxnKey]int{}
	if ord != nil {
		for _, i := range ord.closeOps {
			op := &h.Ops[i]
			c.clientCloses[ordTxnKey{c.conns.session(op), op.Xid}] = int(i)
		}
		return c
	}
	for i := range h.Ops {
		if op := &h.Ops[i]; op.Req.Type == tree.OpCloseSession {
			c.clientCloses[ordTxnKey{c.conns.session(op), op.Xid}] = i
		}
	}
	return c
}

// finish is CheckSessions after the replay.
func (c *sesCheck) finish() Verdict {
	if c.ord != nil {
		c.checkOpsAfterClosePacked()
	} else {
		c.checkOpsAfterClose()
	}
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
	// ord, when set, is CheckZxidOrder's run on the same history (see
	// CheckZxidOrderAndSessions): its packed ops stand in for the Ops where they can.
	ord *ordCheck
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
	// owners are the live ephemerals with their owning session, during the replay.
	owners map[string]tree.SessionID

	clientClosed, toldBeforeCommit, toldNearEnd, expiredEvents int
	staleAfterClose                                            int
	checked, skippedFault, skippedLeader, skippedNoTimeout     int
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

// The replay applies the log, following every ephemeral from its create to its delete and
// every session to its close (replayLog: begin, step, end).

func (c *sesCheck) begin(*tree.Tree) {
	c.closes = map[tree.SessionID]sesClose{}
	c.owners = map[string]tree.SessionID{}
}

func (c *sesCheck) step(t *tree.Tree, i int, x *tree.Txn, a *tree.Applied) {
	owners := c.owners
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
		return
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

func (c *sesCheck) end(t *tree.Tree) { c.final = t }

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
		if cl, ok := c.closes[session]; ok {
			c.opAfterClose(i, session, op.Zxid, op.InvokeSeq, &cl)
		}
	}
}

// checkOpsAfterClosePacked is checkOpsAfterClose from CheckZxidOrder's packed ops: a replied
// op that is no write has kind ordOtherReplied or ordSyncReplied, its reply zxid and invoke,
// and its session's view; a session's close is looked up once per view. Only a violation
// touches its Op.
func (c *sesCheck) checkOpsAfterClosePacked() {
	if len(c.closes) == 0 {
		return
	}
	views := c.ord.views
	closes := make([]sesClose, len(views))
	for v := range views {
		if cl, ok := c.closes[views[v].session]; ok {
			closes[v] = cl
		}
	}
	for i := range c.ord.ops {
		o := &c.ord.ops[i]
		if o.kind != ordOtherReplied && o.kind != ordSyncReplied {
			continue
		}
		// A close's zxid is positive: a zero one is no close.
		if cl := &closes[o.view]; cl.zxid != 0 {
			c.opAfterClose(i, cl.session, o.zxid, o.invoke, cl)
		}
	}
}

// opAfterClose checks replied op i of session, answered at zxid and invoked at invoke, against
// the session's close cl.
func (c *sesCheck) opAfterClose(i int, session tree.SessionID, zxid tree.Zxid, invoke histories.Seq, cl *sesClose) {
	switch {
	case zxid >= cl.zxid:
		op := &c.h.Ops[i]
		c.found.add(op.Return, op.ReturnSeq, []int{i},
			"%s of session %s was answered on %s at zxid %s, at or after the session's closeSession at zxid %s",
			ordDescribe(op), session, histories.ServerName(op.Server), op.Zxid, cl.zxid)
	case cl.seq != 0 && invoke > cl.seq:
		c.staleAfterClose++
	}
}

// checkExpiredEvents checks that every session a client was told had expired was closed in the
// committed log.
func (c *sesCheck) checkExpiredEvents() {
	leaders := c.ord.leaderEpochs()
	if leaders == nil {
		leaders = ordNewLeaderEpochs(c.h)
	}
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

// checkExpiries checks each expiry whose committing leader stayed in charge and whose client's
// path to it no fault could cut (see the CheckSessions doc).
func (c *sesCheck) checkExpiries() {
	if len(c.expiries) == 0 {
		return
	}
	expired := map[tree.SessionID]bool{}
	for _, ex := range c.expiries {
		expired[ex.session] = true
	}
	contacts := map[tree.SessionID][]sesContact{}
	for i := range c.h.Ops {
		op := &c.h.Ops[i]
		if !ordReplied(op) {
			continue
		}
		if s := c.conns.session(op); expired[s] {
			contacts[s] = append(contacts[s], sesContact{op.Return, op.ReturnSeq, i, op.Server})
		}
	}
	for i := range c.h.Events {
		e := &c.h.Events[i]
		if e.IsSession() && e.State == histories.Connected && e.Client >= 0 && expired[e.Session] {
			contacts[e.Session] = append(contacts[e.Session], sesContact{e.Time, e.Seq, -1, e.Server})
		}
	}
	clientOf := map[tree.SessionID]int{}
	for client, list := range c.conns.byClient {
		for _, e := range list {
			clientOf[e.session] = client
		}
	}
	servers := sesNewServers(c.h)
	for _, ex := range c.expiries {
		if ex.seq == 0 || len(c.bySession[ex.session]) == 0 {
			c.skippedNoTimeout++
			continue
		}
		E := ex.time
		from := E - c.timeout(ex.session, true) - 2*c.tick
		est := servers.committer(ex, from)
		if est == nil {
			c.skippedLeader++
			continue
		}
		// The contacts that would contradict the expiry, and the servers they came through.
		var worst *sesContact
		path, commits := []int{est.Server}, []histories.Time{E}
		for k := range contacts[ex.session] {
			ct := &contacts[ex.session][k]
			T := c.timeoutAt(ex.session, ct.seq)
			if T <= 0 || !sesPremature(ct.at, E, T, c.tick) || !servers.relayed(ct, est, ex.seq, c.tick) {
				continue
			}
			if !slices.Contains(path, ct.server) {
				path = append(path, ct.server)
			}
			commits = append(commits, ct.at)
			if worst == nil || ct.at > worst.at {
				worst = ct
			}
		}
		client, known := clientOf[ex.session]
		if !known {
			client = -1
		}
		if c.pathCut(from, E, path, client, servers.n, commits) {
			c.skippedFault++
			continue
		}
		c.checked++
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
			"session %s expired (closeSession at zxid %s committed at %s by leader %s) although its client got %s on %s at %s, within its timeout %s of the expiry, with no fault on that path",
			ex.session, ex.zxid, FormatTime(E), histories.ServerName(est.Server), what, histories.ServerName(worst.server),
			FormatTime(worst.at), time.Duration(c.timeoutAt(ex.session, worst.seq)))
	}
}

// sesContact is contact a client of a session saw: a reply, or a Connected event.
type sesContact struct {
	at  histories.Time
	seq histories.Seq
	// op is the replied op, or -1 for a Connected event.
	op int
	// server is the server that answered, or -1 if unknown.
	server int
}

// sesServers is each server's life from its server events.
type sesServers struct {
	// events[s] are server s's events of every kind, in Seq order.
	events [][]*histories.ServerEvent
	// n is the number of servers.
	n int
}

func sesNewServers(h *histories.History) *sesServers {
	s := &sesServers{n: h.Header.Servers}
	for i := range h.Servers {
		e := &h.Servers[i]
		if e.Server < 0 {
			continue
		}
		for len(s.events) <= e.Server {
			s.events = append(s.events, nil)
		}
		s.events[e.Server] = append(s.events[e.Server], e)
		s.n = max(s.n, e.Server+1)
	}
	return s
}

// lastBefore is server's last event with Seq below seq, or nil.
func (s *sesServers) lastBefore(server int, seq histories.Seq) *histories.ServerEvent {
	if server < 0 || server >= len(s.events) {
		return nil
	}
	list := s.events[server]
	k := sort.Search(len(list), func(k int) bool { return list[k].Seq >= seq })
	if k == 0 {
		return nil
	}
	return list[k-1]
}

// committer returns the Role event by which the leader that committed ex established itself:
// the one that established the close's epoch, if it still led when the close committed (its
// last server event before the commit) and no other server took the lead between its
// establishment, or from when the window opened if later, and the commit. Otherwise nil: a
// leader elected meanwhile may have committed a close its predecessor decided long before
// (a leader applies its whole log when elected, B3).
func (s *sesServers) committer(ex sesClose, from histories.Time) *histories.ServerEvent {
	epoch := int64(ex.zxid) >> 32
	var est *histories.ServerEvent
	for server := range s.events {
		last := s.lastBefore(server, ex.seq)
		if last != nil && last.Kind == histories.Role && last.Role == histories.Leading && last.Serving && last.Epoch == epoch {
			est = last
		}
	}
	if est == nil {
		return nil
	}
	for server, list := range s.events {
		if server == est.Server {
			continue
		}
		for _, e := range list {
			if e.Seq < ex.seq && (e.Seq > est.Seq || e.Time >= from) && e.Kind == histories.Role && e.Role == histories.Leading {
				return nil
			}
		}
	}
	return est
}

// relayed reports whether a touch the contact ct made reached the leader est before the expiry
// decided at seq, barring faults: the contact came a tick after the leader was established, and
// its server was the leader, or followed it and served since before the touch (a tick before
// the contact) with no change until the expiry. A follower that still follows an older leader
// (it has not noticed the change) or has just lost its leader forwards its touches nowhere.
func (s *sesServers) relayed(ct *sesContact, est *histories.ServerEvent, seq histories.Seq, tick histories.Time) bool {
	since := ct.at - tick
	if since <= est.Time {
		return false
	}
	if ct.server == est.Server {
		return true // the leader's own last event is est (committer)
	}
	last := s.lastBefore(ct.server, seq)
	return last != nil && last.Time < since && last.Kind == histories.Role && last.Role == histories.Following &&
		last.Leader == est.Server && last.Epoch == est.Epoch && last.Serving
}

// pathCut reports whether a fault active at some time in [from, to] could cut or slow the path
// of contact from the servers in path to the leader path[0], or delay a commit that the contact
// or the expiry waited for (zookeeper.md A9): a fault on a server of path (crashed, paused,
// clogged, isolated, its disk), a network fault that separates one of them from the leader, a
// pause of the session's own client (it reads a reply late), or, within a tick before one of
// the times in commits (the expiry's commit and the contacts: a write's reply, or a read queued
// behind one, waits for its commit too), faults on so many other servers at once that those
// still in touch with the leader are no quorum: a commit waits for a quorum's acks. A fault on
// another server counts against the quorum until two ticks after it ended, for a restarted or
// reconnected server to sync with the leader again, so a commit held up by it shows within
// that tick. Faults on other servers otherwise, and faults that name only other clients or only
// reset or kill a client, leave the path alone: a killed client sees nothing more, a reset
// connection drops its replies.
func (c *sesCheck) pathCut(from, to histories.Time, path []int, client, servers int, commits []histories.Time) bool {
	leader := path[0]
	// others are the faults on servers off the path, with the servers each one cuts off from
	// the leader.
	type other struct {
		start, end histories.Time
		cut        []int
	}
	var others []other
	for i := range c.h.Faults {
		f := &c.h.Faults[i]
		end := f.End
		if f.EndSeq == 0 {
			end = histories.Never
		}
		if f.Start > to || end < from {
			continue
		}
		switch f.Kind {
		case histories.FaultClientReset, histories.FaultClientKill:
			continue
		case histories.FaultClientPause:
			if client < 0 || slices.Contains(f.Clients, client) {
				return true
			}
			continue
		}
		for _, x := range path {
			if sesCuts(f, x, leader) {
				return true
			}
		}
		o := other{start: f.Start, end: end}
		if end != histories.Never {
			o.end = end + 2*c.tick
		}
		for y := range servers {
			if !slices.Contains(path, y) && sesCuts(f, y, leader) {
				o.cut = append(o.cut, y)
			}
		}
		if len(o.cut) > 0 {
			others = append(others, o)
		}
	}
	// The set of faults in force only grows at a start: check the quorum at the start of each
	// interval and at each fault start in it.
	for _, commit := range commits {
		lo := commit - c.tick
		for _, first := range others {
			at := max(first.start, lo)
			if at > commit || first.end < at {
				continue
			}
			cut := map[int]bool{}
			for _, o := range others {
				if o.start <= at && at <= o.end {
					for _, y := range o.cut {
						cut[y] = true
					}
				}
			}
			if 2*(servers-len(cut)) <= servers {
				return true
			}
		}
	}
	return false
}

// sesCuts reports whether fault f can cut or slow the link between server x and the leader
// (x == leader: the leader itself), per sim/cluster's faults: node faults act on Servers (for a
// link clog, on the link between its two servers), network faults on the links between their
// Groups. A fault of an unknown kind, or a network fault that does not place both servers,
// cuts.
func sesCuts(f *histories.Fault, x, leader int) bool {
	group := func(g []int, s int) bool { return slices.Contains(g, s) }
	side := func(s int) int {
		for k, g := range f.Groups {
			if group(g, s) {
				return k
			}
		}
		return -1
	}
	switch f.Kind {
	case histories.FaultCrash, histories.FaultPause, histories.FaultDisk, histories.FaultCrashAfterWrite,
		histories.FaultCrashProposing, histories.FaultSwizzle:
		return len(f.Servers) == 0 || group(f.Servers, x) || group(f.Servers, leader)
	case histories.FaultClog:
		if len(f.Servers) == 2 { // a link clog slows that link only, not the leader's others
			return (f.Servers[0] == x && f.Servers[1] == leader) || (f.Servers[0] == leader && f.Servers[1] == x)
		}
		return len(f.Servers) == 0 || group(f.Servers, x) || group(f.Servers, leader)
	case histories.FaultIsolate:
		return len(f.Servers) == 0 || group(f.Servers, x) || group(f.Servers, leader)
	case histories.FaultPartition:
		sx, sl := side(x), side(leader)
		return sx < 0 || sl < 0 || sx != sl
	case histories.FaultOneWay, histories.FaultBridge:
		if len(f.Groups) < 2 {
			return true
		}
		a, b := f.Groups[0], f.Groups[len(f.Groups)-1]
		if f.Kind == histories.FaultBridge && len(f.Groups) != 3 {
			return true
		}
		return (group(a, x) && group(b, leader)) || (group(a, leader) && group(b, x))
	case histories.FaultRing:
		if len(f.Groups) != 1 {
			return true
		}
		ring := f.Groups[0]
		px, pl := slices.Index(ring, x), slices.Index(ring, leader)
		if px < 0 || pl < 0 {
			return true
		}
		d := (px - pl + len(ring)) % len(ring)
		return d != 0 && d != 1 && d != len(ring)-1
	}
	return true
}

// sesPremature reports whether contact a client saw at time t proves that an expiry committed
// at E with timeout T came too early, when no fault is active on the path from the client's
// server to the leader (zookeeper.md A9; checkExpiries decides which contact that is).
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
// With no fault on that path, d, RTT and c are far below half a tick (network and disk latencies),
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

func (c *sesCheck) verdict() Verdict {
	summary := fmt.Sprintf("%d sessions closed (%d by clients, %d expiries, %d checked for premature expiry), %d Expired events: consistent",
		len(c.closes), c.clientClosed, len(c.expiries), c.checked, c.expiredEvents)
	v := c.found.verdict("sessions", summary)
	v.Metrics = []Metric{
		{Name: "sessions closed by clients", Value: float64(c.clientClosed)},
		{Name: "expiries", Value: float64(len(c.expiries))},
		{Name: "expiries checked", Value: float64(c.checked)},
		{Name: "expiries skipped (fault active)", Value: float64(c.skippedFault)},
		{Name: "expiries skipped (leader change)", Value: float64(c.skippedLeader)},
		{Name: "expiries skipped (no timeout or commit time)", Value: float64(c.skippedNoTimeout)},
		{Name: "Expired events", Value: float64(c.expiredEvents)},
		{Name: "Expired told before the close committed", Value: float64(c.toldBeforeCommit)},
		{Name: "Expired without close, too near the end", Value: float64(c.toldNearEnd)},
		{Name: "stale replies after close", Value: float64(c.staleAfterClose), Unit: "ops"},
	}
	return v
}
