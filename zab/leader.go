package zab

import (
	"math/bits"
	"slices"
	"time"

	"zoosim/internal/fifo"
	"zoosim/tree"
	"zoosim/zab/wire"
)

// leaderPhase is where a leader is in establishing its epoch (B3–B5).
type leaderPhase uint8

const (
	leaderDiscovery leaderPhase = iota // collecting FOLLOWERINFO and ACKEPOCH
	leaderSync                         // epoch agreed; syncing learners, waiting for NEWLEADER ACKs
	leaderBroadcast                    // established: proposing, committing, serving
)

// learnerPhase is where one learner is, seen from the leader (LearnerHandler).
type learnerPhase uint8

const (
	lhConnected  learnerPhase = iota // waiting for FOLLOWERINFO
	lhInfo                           // FOLLOWERINFO received, LEADERINFO not yet sent
	lhLeaderInfo                     // LEADERINFO sent, waiting for ACKEPOCH
	lhEpochAcked                     // ACKEPOCH received, waiting for the epoch quorum
	lhSyncing                        // sync and NEWLEADER sent, waiting for its ACK
	lhUpToDate                       // UPTODATE sent: a broadcasting follower
)

type learnerHandler struct {
	link         Link
	sid          wire.ServerID
	phase        learnerPhase
	peerLastZxid tree.Zxid
	// forwarding: the learner is in the forwarding set and gets every PROPOSAL and COMMIT.
	forwarding bool
	lastHeard  time.Duration
}

// proposal is an outstanding (uncommitted) txn on the leader.
type proposal struct {
	txn  *tree.Txn
	acks uint64 // bit per voter index
}

type leaderState struct {
	phase    leaderPhase
	epoch    int64
	started  time.Duration // when the current phase began (initLimit timeout)
	fixed    bool          // the epoch is chosen and acceptedEpoch written
	durable  bool          // acceptedEpoch is on disk: LEADERINFO may go out
	electing uint64        // voters that sent FOLLOWERINFO (with the leader): epoch quorum
	epochAck uint64        // voters that ACKEPOCHed with a real currentEpoch (with the leader)
	nlAcks   uint64        // voters that ACKed NEWLEADER (the leader once currentEpoch is on disk)
	// summary is the leader's (currentEpoch, last zxid) when it was elected; a follower more
	// recent than this makes it abdicate (B3 step 4).
	summaryEpoch int64
	summaryZxid  tree.Zxid

	// Invariant: learners is keyed by the host's connection id; sorted is nil or holds the same
	// learners in connection order.
	learners map[uint64]*learnerHandler
	sorted   []*learnerHandler

	nextPing      time.Duration
	lastProposed  tree.Zxid
	lastCommitted tree.Zxid
	// Invariant: outstanding is in zxid order, every zxid > lastCommitted, consecutive
	// (proposals of one epoch).
	outstanding fifo.Queue[proposal]
	prep        *tree.Preparer
	// pendingSyncs holds sync requests that wait for the commit of a zxid (Leader.processSync).
	pendingSyncs map[tree.Zxid][]wire.Forward
	sessions     tracker
	// submitOwner is the owner of the request being prepared, read by the session check.
	submitOwner wire.ServerID
}

// becomeLeader starts discovery as the elected leader (Leader.lead).
func (p *Peer) becomeLeader() {
	p.role = Leading
	p.stats.note(p.now, "leading")
	// The leader's whole log is its initial history (B3, "the implementation relies on FLE
	// having elected the most up-to-date server"): apply what it logged but never saw committed.
	for _, x := range p.data.pending() {
		p.apply(x)
	}
	l := &leaderState{
		phase:        leaderDiscovery,
		epoch:        p.acceptedEpoch + 1,
		started:      p.now,
		summaryEpoch: p.currentEpoch,
		summaryZxid:  p.data.lastLogged(),
		learners:     map[uint64]*learnerHandler{},
		pendingSyncs: map[tree.Zxid][]wire.Forward{},
	}
	l.electing = p.bit(p.cfg.ID)
	p.leader = l
	p.elect.Settle(wire.Leading, p.elect.Vote())
	if p.cfg.quorum(1) { // a one-server ensemble
		l.fixEpoch(p)
	}
}

func (p *Peer) bit(id wire.ServerID) uint64 {
	if i, ok := p.voters[id]; ok {
		return 1 << uint(i)
	}
	return 0
}

func (p *Peer) quorumOf(set uint64) bool { return p.cfg.quorum(bits.OnesCount64(set)) }

// sortedLearners returns the learners in connection order; the list is rebuilt only when a
// learner comes or goes, since every proposal and commit walks it.
func (l *leaderState) sortedLearners() []*learnerHandler {
	if l.sorted != nil || len(l.learners) == 0 {
		return l.sorted
	}
	out := make([]*learnerHandler, 0, len(l.learners))
	for _, lh := range l.learners {
		out = append(out, lh)
	}
	slices.SortFunc(out, func(a, b *learnerHandler) int { return cmpU64(a.link.Conn, b.link.Conn) })
	l.sorted = out
	return out
}

func (l *leaderState) deadline(p *Peer) time.Duration {
	if l.phase != leaderBroadcast {
		return l.started + time.Duration(p.cfg.InitLimit)*p.cfg.TickTime
	}
	return min(l.nextPing, l.sessions.nextCheck)
}

func (l *leaderState) accept(p *Peer, link Link) {
	if old := l.findSid(link.Peer); old != nil {
		// A learner reconnected: its old handler is dead (LearnerHandler for the same sid).
		l.drop(p, old.link)
		p.send(Envelope{Kind: ClosePeer, Link: old.link})
	}
	l.learners[link.Conn] = &learnerHandler{link: link, sid: link.Peer, lastHeard: p.now}
	l.sorted = nil
}

func (l *leaderState) findSid(sid wire.ServerID) *learnerHandler {
	for _, lh := range l.learners {
		if lh.sid == sid {
			return lh
		}
	}
	return nil
}

func (l *leaderState) drop(p *Peer, link Link) {
	lh, ok := l.learners[link.Conn]
	if !ok {
		return
	}
	delete(l.learners, link.Conn)
	l.sorted = nil
	b := p.bit(lh.sid)
	if l.phase == leaderDiscovery {
		l.electing &^= b
		l.epochAck &^= b
	}
	if l.phase != leaderBroadcast {
		l.nlAcks &^= b
	}
}

// fixEpoch chooses the new epoch once a quorum (with the leader) connected, and persists it as
// acceptedEpoch before proposing it (ZOOKEEPER-1291, B3 step 2).
func (l *leaderState) fixEpoch(p *Peer) {
	l.fixed = true
	p.acceptedEpoch = l.epoch
	p.disk(DiskOp{Kind: DiskAcceptedEpoch, Epoch: l.epoch})
	p.requestSync(syncWait{epochDurable: true})
	if p.variant.ackBeforeFsync {
		l.durable = true
		l.sendLeaderInfos(p)
	}
}

func (l *leaderState) sendLeaderInfos(p *Peer) {
	for _, lh := range l.sortedLearners() {
		if lh.phase == lhInfo {
			lh.phase = lhLeaderInfo
			p.sendPacket(lh.link, &wire.Packet{Type: wire.PacketLeaderInfo, Zxid: makeZxid(l.epoch, 0)})
		}
	}
}

func (l *leaderState) synced(p *Peer, w syncWait) {
	if w.epochDurable && !l.durable {
		l.durable = true
		l.sendLeaderInfos(p)
	}
	if w.newLeaderAck {
		l.nlAcks |= p.bit(p.cfg.ID)
		l.maybeEstablish(p)
	}
	if w.selfAck != 0 {
		self := p.bit(p.cfg.ID)
		for i := range l.outstanding.Len() {
			pr := l.outstanding.At(i)
			if pr.txn.Zxid > w.selfAck {
				break
			}
			pr.acks |= self
		}
		l.tryCommit(p)
	}
}

func (l *leaderState) packet(p *Peer, link Link, pkt *wire.Packet) {
	lh, ok := l.learners[link.Conn]
	if !ok {
		return
	}
	lh.lastHeard = p.now
	switch pkt.Type {
	case wire.PacketFollowerInfo:
		l.followerInfo(p, lh, pkt)
	case wire.PacketAckEpoch:
		l.ackEpoch(p, lh, pkt)
	case wire.PacketAck:
		l.ack(p, lh, pkt.Zxid)
	case wire.PacketPing:
		for _, t := range pkt.Touches {
			l.sessions.touch(p, t.Session, t.Timeout)
		}
	case wire.PacketRequest:
		if l.phase == leaderBroadcast && pkt.Forward != nil {
			p.leaderSubmit(pkt.Forward, lh)
		}
	case wire.PacketRevalidate:
		valid := l.phase == leaderBroadcast && l.sessions.revalidate(p, pkt.Session, lh.sid, pkt.Timeout)
		p.sendPacket(lh.link, &wire.Packet{Type: wire.PacketRevalidate, Session: pkt.Session, Valid: valid})
	}
}

// followerInfo handles FOLLOWERINFO (B3 steps 1–2).
func (l *leaderState) followerInfo(p *Peer, lh *learnerHandler, pkt *wire.Packet) {
	if lh.phase != lhConnected {
		return
	}
	lh.sid = pkt.Sid
	if _, voter := p.voters[lh.sid]; !voter {
		l.drop(p, lh.link)
		p.send(Envelope{Kind: ClosePeer, Link: lh.link})
		return
	}
	lh.phase = lhInfo
	if !l.fixed {
		l.epoch = max(l.epoch, epochOf(pkt.Zxid)+1)
		l.electing |= p.bit(lh.sid)
		if p.quorumOf(l.electing) {
			l.fixEpoch(p)
		}
		return
	}
	if l.durable {
		l.sendLeaderInfos(p)
	}
}

// ackEpoch handles ACKEPOCH (B3 step 4).
func (l *leaderState) ackEpoch(p *Peer, lh *learnerHandler, pkt *wire.Packet) {
	if lh.phase != lhLeaderInfo {
		return
	}
	// Only during discovery: once the epoch is established ZooKeeper's waitForEpochAck returns
	// at once, and a rejoining learner with stray txns is truncated instead.
	if l.phase == leaderDiscovery && pkt.Epoch != -1 &&
		(pkt.Epoch > l.summaryEpoch || pkt.Epoch == l.summaryEpoch && pkt.Zxid > l.summaryZxid) {
		p.lookForLeader("follower " + itoa(int64(lh.sid)) + " is ahead of the leader")
		return
	}
	lh.peerLastZxid = pkt.Zxid
	lh.phase = lhEpochAcked
	if l.phase != leaderDiscovery {
		l.syncLearner(p, lh)
		return
	}
	if pkt.Epoch != -1 {
		l.epochAck |= p.bit(lh.sid)
	}
	if !p.quorumOf(l.epochAck | p.bit(p.cfg.ID)) {
		return
	}
	// Discovery is over: the leader persists currentEpoch and syncs everyone who acked.
	l.phase = leaderSync
	l.started = p.now
	p.currentEpoch = l.epoch
	p.disk(DiskOp{Kind: DiskCurrentEpoch, Epoch: l.epoch})
	p.requestSync(syncWait{newLeaderAck: true})
	if p.variant.ackBeforeFsync {
		l.nlAcks |= p.bit(p.cfg.ID)
	}
	l.lastProposed = makeZxid(l.epoch, 0)
	l.lastCommitted = p.data.tree.LastZxid()
	for _, other := range l.sortedLearners() {
		if other.phase == lhEpochAcked {
			l.syncLearner(p, other)
		}
	}
}

// syncLearner chooses DIFF, TRUNC+DIFF or SNAP for one learner, queues the outstanding
// proposals, and sends NEWLEADER (LearnerHandler.syncFollower and startForwarding, B4).
//
// A learner behind the committed window gets SNAP. ZooKeeper first tries its on-disk txn log
// there (B4 case 4), but only when the log files from the learner's zxid on are smaller than
// snapshotSizeFactor (0.33) times the newest snapshot file; its log files are preallocated in
// 64 MB blocks and measured by file length, so with the defaults that path is taken only for
// snapshots above about 194 MB, far beyond a simulated tree. Modelling it would change nothing a
// run can reach.
func (l *leaderState) syncLearner(p *Peer, lh *learnerHandler) {
	peer := lh.peerLastZxid
	applied := p.data.tree.LastZxid()
	var trunc tree.Zxid
	var send []*tree.Txn // committed txns the learner lacks, sent after DIFF or TRUNC
	mode := wire.PacketSnap
	lo, hi, have := p.data.committedRange()
	newEpochZxid := counterOf(peer) == 0
	switch {
	case peer == applied:
		mode = wire.PacketDiff
	case peer > applied && !newEpochZxid:
		// The learner holds txns this leader never had: they were never committed.
		mode, trunc = wire.PacketTrunc, applied
	case peer > applied && newEpochZxid:
		mode = wire.PacketDiff
	case have && peer >= lo && peer <= hi:
		mode, trunc, send = l.queueCommitted(p, peer)
	}
	stat := p.stats.syncCounter(mode)
	*stat++
	switch mode {
	case wire.PacketDiff:
		p.sendPacket(lh.link, &wire.Packet{Type: wire.PacketDiff, Zxid: applied})
	case wire.PacketTrunc:
		p.sendPacket(lh.link, &wire.Packet{Type: wire.PacketTrunc, Zxid: trunc})
	case wire.PacketSnap:
		send = nil
		p.sendPacket(lh.link, &wire.Packet{Type: wire.PacketSnap, Zxid: applied, Snapshot: p.data.currentSnapshot()})
	}
	for _, x := range send {
		p.sendPacket(lh.link, &wire.Packet{Type: wire.PacketProposal, Zxid: x.Zxid, Txn: x})
		p.sendPacket(lh.link, &wire.Packet{Type: wire.PacketCommit, Zxid: x.Zxid})
	}
	// startForwarding: proposals still outstanding follow, and from now on the learner gets
	// every PROPOSAL and COMMIT.
	for i := range l.outstanding.Len() {
		x := l.outstanding.At(i).txn
		p.sendPacket(lh.link, &wire.Packet{Type: wire.PacketProposal, Zxid: x.Zxid, Txn: x})
	}
	lh.forwarding = true
	lh.phase = lhSyncing
	p.sendPacket(lh.link, &wire.Packet{Type: wire.PacketNewLeader, Zxid: makeZxid(l.epoch, 0)})
}

// queueCommitted handles a learner inside the committed window (B4 case 3): DIFF (or TRUNC to
// the largest zxid below the learner's, when it diverged, returned as trunc) followed by a
// PROPOSAL/COMMIT pair for each txn of send, the tail of the committed window from the first txn
// the learner lacks. TRUNC never crosses an epoch: then the learner gets SNAP.
func (l *leaderState) queueCommitted(p *Peer, peer tree.Zxid) (mode wire.PacketType, trunc tree.Zxid, send []*tree.Txn) {
	var prev tree.Zxid // the largest zxid below the learner's; the window starts at or below it
	for i, x := range p.data.committed {
		z := x.Zxid
		switch {
		case z < peer:
			prev = z
			continue
		case z == peer:
			return wire.PacketDiff, 0, p.data.committed[i+1:]
		case counterOf(peer) == 0:
			return wire.PacketDiff, 0, p.data.committed[i:]
		case epochOf(z) != epochOf(peer):
			return wire.PacketSnap, 0, nil
		}
		return wire.PacketTrunc, prev, p.data.committed[i:]
	}
	return wire.PacketDiff, 0, nil
}

// ack handles an ACK: of NEWLEADER (counter 0) during sync, else of a proposal (B4 step 5, B5).
func (l *leaderState) ack(p *Peer, lh *learnerHandler, z tree.Zxid) {
	if counterOf(z) == 0 {
		if z != makeZxid(l.epoch, 0) || lh.phase != lhSyncing {
			return // "NEWLEADER ACK is from a different epoch" (ZOOKEEPER-4685)
		}
		l.nlAcks |= p.bit(lh.sid)
		if l.phase == leaderBroadcast {
			l.upToDate(p, lh)
			return
		}
		l.maybeEstablish(p)
		return
	}
	if z <= l.lastCommitted {
		return
	}
	if l.outstanding.Len() == 0 {
		return
	}
	i := int(z - l.outstanding.Front().txn.Zxid)
	if i < 0 || i >= l.outstanding.Len() || l.outstanding.At(i).txn.Zxid != z {
		return
	}
	l.outstanding.At(i).acks |= p.bit(lh.sid)
	l.tryCommit(p)
}

// maybeEstablish starts broadcast once a quorum including the leader ACKed NEWLEADER
// (waitForNewLeaderAck, B4 step 5).
func (l *leaderState) maybeEstablish(p *Peer) {
	if l.phase != leaderSync || l.nlAcks&p.bit(p.cfg.ID) == 0 || !p.quorumOf(l.nlAcks) {
		return
	}
	l.phase = leaderBroadcast
	l.nextPing = p.now
	p.stats.note(p.now, "established epoch "+itoa(l.epoch))
	p.elect.UpdatePeerEpoch(l.epoch)
	l.sessions.start(p)
	for _, lh := range l.sortedLearners() {
		if lh.phase == lhSyncing && l.nlAcks&p.bit(lh.sid) != 0 {
			l.upToDate(p, lh)
		}
	}
	l.prep = tree.NewPreparer(p.data.tree)
	l.prep.CheckSession = func(s tree.SessionID) tree.Code { return l.sessions.check(s, l.submitOwner) }
	p.srv.start(p)
}

func (l *leaderState) upToDate(p *Peer, lh *learnerHandler) {
	lh.phase = lhUpToDate
	p.sendPacket(lh.link, &wire.Packet{Type: wire.PacketUpToDate})
}

// leaderTick handles timeouts: initLimit during discovery and sync; pings, the synced-quorum
// check and session expiry during broadcast (B5).
func (p *Peer) leaderTick() {
	l := p.leader
	if l.phase != leaderBroadcast {
		if p.now >= l.started+time.Duration(p.cfg.InitLimit)*p.cfg.TickTime {
			p.lookForLeader("timed out waiting for a quorum of learners")
		}
		return
	}
	if p.now >= l.nextPing {
		l.nextPing = p.now + p.cfg.TickTime/2
		synced := p.bit(p.cfg.ID)
		limit := time.Duration(p.cfg.SyncLimit) * p.cfg.TickTime
		for _, lh := range l.sortedLearners() {
			if lh.phase == lhUpToDate || lh.phase == lhSyncing {
				p.sendPacket(lh.link, &wire.Packet{Type: wire.PacketPing, Zxid: l.lastCommitted})
			}
			if lh.phase == lhUpToDate && p.now-lh.lastHeard <= limit {
				synced |= p.bit(lh.sid)
			}
		}
		if !p.quorumOf(synced) {
			p.lookForLeader("not sufficient followers synced")
			return
		}
	}
	if p.now >= l.sessions.nextCheck {
		l.sessions.expire(p)
	}
}

// leaderSubmit prepares a client request (local or forwarded by learner from) and proposes it;
// sync requests wait for the last proposal to commit (Leader.processSync, A10).
func (p *Peer) leaderSubmit(f *wire.Forward, from *learnerHandler) {
	l := p.leader
	if f.Req.Type == tree.OpSync {
		if l.outstanding.Len() == 0 {
			l.completeSync(p, f)
		} else {
			l.pendingSyncs[l.lastProposed] = append(l.pendingSyncs[l.lastProposed], *f)
		}
		return
	}
	if counterOf(l.lastProposed) == 0xffffffff {
		// ZOOKEEPER-1277: the counter would roll over; force a new epoch (A12).
		p.lookForLeader("zxid counter rolled over")
		return
	}
	if f.Req.Type == tree.OpCreateSession {
		l.sessions.add(p, f.Session, f.Req.Timeout, f.Owner)
	}
	if f.Req.Type == tree.OpCloseSession {
		l.sessions.closing(f.Session)
	}
	zxid := l.lastProposed + 1
	l.submitOwner = f.Owner
	x := l.prep.Prepare(tree.Header{Session: f.Session, Cxid: f.Cxid, Zxid: zxid, Time: p.now.Milliseconds()}, &f.Req, f.Auth)
	l.submitOwner = 0
	if x == nil {
		return // not a write: the server layer never forwards one
	}
	p.propose(x)
}

// propose logs a txn, sends it to the forwarding learners, and waits for acks (B5).
func (p *Peer) propose(x *tree.Txn) {
	l := p.leader
	l.lastProposed = x.Zxid
	pr := proposal{txn: x}
	if p.variant.ackBeforeFsync {
		pr.acks |= p.bit(p.cfg.ID)
	}
	l.outstanding.Push(pr)
	p.data.log = append(p.data.log, x)
	p.disk(DiskOp{Kind: DiskAppend, Txn: x})
	if !p.variant.ackBeforeFsync {
		p.requestSync(syncWait{selfAck: x.Zxid})
	}
	pkt := &wire.Packet{Type: wire.PacketProposal, Zxid: x.Zxid, Txn: x}
	for _, lh := range l.sortedLearners() {
		if lh.forwarding {
			p.sendPacket(lh.link, pkt)
		}
	}
	p.stats.proposals++
	if p.variant.readFromUncommitted {
		p.applyEarly(x)
	}
	l.tryCommit(p)
}

// tryCommit commits outstanding proposals in zxid order while the head has a quorum of acks
// including the leader's own (Leader.tryToCommit, B5).
func (l *leaderState) tryCommit(p *Peer) {
	self := p.bit(p.cfg.ID)
	for l.outstanding.Len() > 0 {
		pr := l.outstanding.Front()
		if pr.acks&self == 0 || (!p.quorumOf(pr.acks) && !p.variant.commitWithoutQuorum) {
			return
		}
		x := l.outstanding.Pop().txn // pr is dead from here
		z := x.Zxid
		l.lastCommitted = z
		pkt := &wire.Packet{Type: wire.PacketCommit, Zxid: z}
		for _, lh := range l.sortedLearners() {
			if lh.forwarding {
				p.sendPacket(lh.link, pkt)
			}
		}
		l.prep.Committed(z)
		p.apply(x)
		if syncs, ok := l.pendingSyncs[z]; ok {
			delete(l.pendingSyncs, z)
			for i := range syncs {
				l.completeSync(p, &syncs[i])
			}
		}
	}
}

// completeSync answers a sync: on the leader's own client, or as a SYNC packet to the learner
// that forwarded it, behind every COMMIT already sent on that FIFO connection (A10).
func (l *leaderState) completeSync(p *Peer, f *wire.Forward) {
	if f.Owner == p.cfg.ID {
		p.srv.syncDone(p, f.Session, f.Cxid)
		return
	}
	if lh := l.findSid(f.Owner); lh != nil {
		// f is the caller's (often on its stack); the envelope outlives the call.
		p.rd.forwards = append(p.rd.forwards, *f)
		p.sendPacket(lh.link, &wire.Packet{Type: wire.PacketSync, Forward: &p.rd.forwards[len(p.rd.forwards)-1]})
	}
}
