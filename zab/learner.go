package zab

import (
	"fmt"
	"slices"
	"time"

	"zoosim/internal/fifo"
	"zoosim/tree"
	"zoosim/zab/wire"
)

// followerPhase is where a follower is in joining its leader (Learner, B3–B4).
type followerPhase uint8

const (
	fpConnecting     followerPhase = iota // dialing the leader
	fpInfo                                // FOLLOWERINFO sent, waiting for LEADERINFO
	fpEpochAcked                          // ACKEPOCH sent, waiting for DIFF/TRUNC/SNAP
	fpSyncing                             // sync mode known, buffering until NEWLEADER
	fpNewLeaderAcked                      // NEWLEADER handled, waiting for UPTODATE
	fpBroadcast                           // following: logging proposals, applying commits, serving
)

// dialRetries is how often a follower tries to connect before it gives up on a leader, and
// dialRetryDelay how long it waits between tries: Learner.connectToLeader in 3.6+ tries five
// times, sleeping zookeeper.leaderConnectDelayDuringRetryMs (100 ms by default) after each
// failure (3.4 slept a second).
const (
	dialRetries    = 5
	dialRetryDelay = 100 * time.Millisecond
)

type learnerState struct {
	leaderID wire.ServerID
	link     Link // Conn is 0 until connected
	phase    followerPhase
	// deadline: give up on the leader if nothing happens by then (initLimit while connecting
	// and syncing, syncLimit after the last packet while following, or the next dial retry).
	deadline time.Duration
	dials    int
	retrying bool // deadline is the next dial attempt, not a give-up time
	newEpoch int64
	mode     wire.PacketType
	// notLogged buffers the PROPOSALs received during sync, committed marks those a COMMIT
	// named (packetsNotLogged / packetsCommitted).
	notLogged []*tree.Txn
	committed tree.Zxid
	// Invariant: awaiting holds logged txns waiting for their COMMIT, in zxid order. A queue
	// that reuses its array: a slice popped from the front reallocated at about every PROPOSAL.
	awaiting fifo.Queue[*tree.Txn]
	// toAck are txns logged at NEWLEADER that still need their ACK, sent at UPTODATE.
	toAck []tree.Zxid
	// epochPending holds the new epoch's txns received during sync, logged once currentEpoch
	// is on disk; newLeaderZxid is the NEWLEADER being answered.
	epochPending  []*tree.Txn
	newLeaderZxid tree.Zxid
	// touches are sessions this server's clients touched since the last PING reply.
	touches map[tree.SessionID]int32
}

func (p *Peer) becomeFollower(leader wire.ServerID) {
	p.role = Following
	p.stats.note(p.now, fmt.Sprintf("following %d", leader))
	p.learner = &learnerState{leaderID: leader, touches: map[tree.SessionID]int32{}}
	p.elect.Settle(wire.Following, p.elect.Vote())
	p.dialLeader()
}

func (p *Peer) dialLeader() {
	ls := p.learner
	ls.dials++
	ls.phase, ls.retrying = fpConnecting, false
	ls.deadline = p.now + time.Duration(p.cfg.InitLimit)*p.cfg.TickTime
	p.send(Envelope{Kind: DialLeader, To: ls.leaderID})
}

func (p *Peer) learnerConnected(l Link) {
	ls := p.learner
	ls.link = l
	ls.phase = fpInfo
	ls.deadline = p.now + time.Duration(p.cfg.InitLimit)*p.cfg.TickTime
	p.sendPacket(l, &wire.Packet{Type: wire.PacketFollowerInfo, Zxid: makeZxid(p.acceptedEpoch, 0), Sid: p.cfg.ID})
}

func (p *Peer) learnerLost(l Link) {
	ls := p.learner
	if ls.phase <= fpInfo && ls.dials < dialRetries {
		// The leader is not accepting learners yet (ZooKeeper's leader binds its quorum port
		// only once it leads): retry shortly, as Learner.connectToLeader does.
		ls.phase, ls.link, ls.retrying = fpConnecting, Link{}, true
		ls.deadline = p.now + dialRetryDelay
		return
	}
	p.lookForLeader(fmt.Sprintf("lost leader %d", ls.leaderID))
}

func (p *Peer) learnerTick() {
	ls := p.learner
	if p.now < ls.deadline {
		return
	}
	if ls.phase == fpConnecting && ls.link.Conn == 0 && ls.dials < dialRetries && ls.retrying {
		p.dialLeader()
		return
	}
	p.lookForLeader(fmt.Sprintf("leader %d silent (%s)", ls.leaderID, ls.phaseName()))
}

func (ls *learnerState) phaseName() string {
	return [...]string{"connecting", "waiting for LEADERINFO", "waiting for sync", "syncing", "waiting for UPTODATE", "following"}[ls.phase]
}

// learnerPacket handles a packet from the leader.
func (p *Peer) learnerPacket(pkt *wire.Packet) {
	ls := p.learner
	if ls.phase == fpBroadcast {
		ls.deadline = p.now + time.Duration(p.cfg.SyncLimit)*p.cfg.TickTime
	}
	switch pkt.Type {
	case wire.PacketLeaderInfo:
		p.leaderInfo(pkt)
	case wire.PacketDiff, wire.PacketTrunc, wire.PacketSnap:
		p.syncMode(pkt)
	case wire.PacketProposal:
		p.followerProposal(pkt)
	case wire.PacketCommit:
		p.followerCommit(pkt.Zxid)
	case wire.PacketNewLeader:
		p.newLeader(pkt)
	case wire.PacketUpToDate:
		p.upToDate()
	case wire.PacketPing:
		p.followerPing()
	case wire.PacketSync:
		if pkt.Forward != nil {
			p.srv.syncDone(p, pkt.Forward.Session, pkt.Forward.Cxid)
		}
	case wire.PacketRevalidate:
		p.srv.revalidated(p, pkt.Session, pkt.Valid)
	}
}

// leaderInfo handles LEADERINFO (B3 step 3): a newer epoch is persisted as acceptedEpoch before
// ACKEPOCH leaves; the same epoch is acked with currentEpoch -1; an older one is refused.
func (p *Peer) leaderInfo(pkt *wire.Packet) {
	ls := p.learner
	if ls.phase != fpInfo {
		return
	}
	e := epochOf(pkt.Zxid)
	ls.newEpoch = e
	ls.phase = fpEpochAcked
	ack := &wire.Packet{Type: wire.PacketAckEpoch, Zxid: p.data.lastLogged(), Epoch: p.currentEpoch}
	switch {
	case e > p.acceptedEpoch:
		p.acceptedEpoch = e
		p.disk(DiskOp{Kind: DiskAcceptedEpoch, Epoch: e})
		p.sendPacketDurable(ls.link, ack)
	case e == p.acceptedEpoch:
		ack.Epoch = -1
		p.sendPacket(ls.link, ack)
	default:
		p.lookForLeader(fmt.Sprintf("leader's epoch %d is older than acceptedEpoch %d", e, p.acceptedEpoch))
	}
}

// syncMode handles DIFF, TRUNC and SNAP (Learner.syncWithLeader step 1, B4).
func (p *Peer) syncMode(pkt *wire.Packet) {
	ls := p.learner
	if ls.phase != fpEpochAcked {
		if ls.phase == fpSyncing && pkt.Type == wire.PacketTrunc {
			// TRUNC after DIFF cannot happen: queueCommitted sends one or the other.
			p.lookForLeader("unexpected TRUNC during sync")
		}
		return
	}
	ls.phase = fpSyncing
	ls.mode = pkt.Type
	switch pkt.Type {
	case wire.PacketTrunc:
		if !p.variant.skipTruncate {
			if err := p.data.truncate(pkt.Zxid); err != nil {
				p.lookForLeader(err.Error())
				return
			}
			p.disk(DiskOp{Kind: DiskTruncate, Zxid: pkt.Zxid})
		}
	case wire.PacketSnap:
		if err := p.data.install(pkt.Zxid, pkt.Snapshot); err != nil {
			p.lookForLeader("bad SNAP: " + err.Error())
			return
		}
		// The log's records past the snapshot belong to a history the leader replaced.
		p.disk(DiskOp{Kind: DiskTruncate, Zxid: pkt.Zxid})
		p.disk(DiskOp{Kind: DiskSnapshot, Zxid: pkt.Zxid, Snapshot: pkt.Snapshot})
		p.srv.resetWatches()
	}
	// What this server logged up to here is part of the leader's history: apply it.
	for _, x := range p.data.pending() {
		p.apply(x)
	}
}

func (p *Peer) followerProposal(pkt *wire.Packet) {
	ls := p.learner
	x := pkt.Txn
	if x == nil {
		return
	}
	switch ls.phase {
	case fpSyncing:
		ls.notLogged = append(ls.notLogged, x)
	case fpNewLeaderAcked, fpBroadcast:
		if ls.epochPending != nil {
			ls.epochPending = append(ls.epochPending, x) // still waiting for currentEpoch
			return
		}
		if last := p.data.lastLogged(); x.Zxid <= last {
			return // a duplicate (Zab issue 2): ignore
		}
		p.data.log = append(p.data.log, x)
		ls.awaiting.Push(x)
		p.disk(DiskOp{Kind: DiskAppend, Txn: x})
		if ls.phase == fpBroadcast {
			p.sendPacketDurable(ls.link, &wire.Packet{Type: wire.PacketAck, Zxid: x.Zxid})
		} else {
			p.requestSync(syncWait{})
			ls.toAck = append(ls.toAck, x.Zxid)
		}
		if p.variant.readFromUncommitted {
			p.applyEarly(x)
		}
	}
}

func (p *Peer) followerCommit(z tree.Zxid) {
	ls := p.learner
	switch ls.phase {
	case fpSyncing:
		ls.committed = max(ls.committed, z)
	case fpNewLeaderAcked, fpBroadcast:
		if ls.epochPending != nil {
			ls.committed = max(ls.committed, z)
			return
		}
		if ls.awaiting.Len() == 0 || (*ls.awaiting.Front()).Zxid != z {
			if z <= p.data.tree.LastZxid() && !p.variant.readFromUncommitted {
				return
			}
			p.lookForLeader(fmt.Sprintf("COMMIT %s does not match the next pending txn", z))
			return
		}
		p.apply(ls.awaiting.Pop())
	}
}

// newLeader handles NEWLEADER (Learner.syncWithLeader step 3, 3.9.4 order): log and fsync every
// buffered txn of older epochs, apply the committed ones, persist currentEpoch only after them
// (ZOOKEEPER-4643/4785), then ACK once all of it is on disk (ZOOKEEPER-4646).
//
// Txns of the new epoch itself are logged only after currentEpoch is on disk: were they on disk
// first, a crash in between would leave a log whose last zxid is in an epoch newer than
// currentEpoch, and the server would refuse to start (B1, the ZOOKEEPER-1653 symptom). A torn
// write can keep unsynced log bytes, so this takes a second fsync, not just an order of writes.
func (p *Peer) newLeader(pkt *wire.Packet) {
	ls := p.learner
	if ls.phase != fpSyncing {
		return
	}
	if epochOf(pkt.Zxid) != ls.newEpoch {
		p.lookForLeader("NEWLEADER for another epoch")
		return
	}
	var newer []*tree.Txn
	for _, x := range ls.notLogged {
		if x.Zxid <= p.data.lastLogged() {
			continue
		}
		if epochOf(x.Zxid) >= ls.newEpoch {
			newer = append(newer, x)
			continue
		}
		p.logSynced(x)
	}
	ls.notLogged = nil
	p.currentEpoch = ls.newEpoch
	p.disk(DiskOp{Kind: DiskCurrentEpoch, Epoch: ls.newEpoch})
	ls.phase = fpNewLeaderAcked
	ls.newLeaderZxid = pkt.Zxid
	if len(newer) == 0 {
		p.ackNewLeader()
		return
	}
	ls.epochPending = newer
	p.requestSync(syncWait{learnerEpoch: true})
	if p.variant.ackBeforeFsync {
		p.learnerEpochDurable()
	}
}

// logSynced logs a txn received during sync and applies it if the leader committed it.
func (p *Peer) logSynced(x *tree.Txn) {
	ls := p.learner
	p.data.log = append(p.data.log, x)
	p.disk(DiskOp{Kind: DiskAppend, Txn: x})
	if x.Zxid <= ls.committed {
		p.apply(x)
	} else {
		ls.awaiting.Push(x)
		ls.toAck = append(ls.toAck, x.Zxid)
	}
}

// learnerEpochDurable logs the new epoch's txns once currentEpoch is on disk, then ACKs
// NEWLEADER after they are too.
func (p *Peer) learnerEpochDurable() {
	ls := p.learner
	if ls == nil || ls.epochPending == nil {
		return
	}
	for _, x := range ls.epochPending {
		p.logSynced(x)
	}
	ls.epochPending = nil
	p.ackNewLeader()
}

func (p *Peer) ackNewLeader() {
	ls := p.learner
	p.sendPacketDurable(ls.link, &wire.Packet{Type: wire.PacketAck, Zxid: ls.newLeaderZxid})
}

// upToDate starts following: the txns logged at NEWLEADER are acked, and clients are served
// (B4 step 4).
func (p *Peer) upToDate() {
	ls := p.learner
	if ls.phase != fpNewLeaderAcked {
		return
	}
	ls.phase = fpBroadcast
	ls.deadline = p.now + time.Duration(p.cfg.SyncLimit)*p.cfg.TickTime
	for _, z := range ls.toAck {
		p.sendPacketDurable(ls.link, &wire.Packet{Type: wire.PacketAck, Zxid: z})
	}
	ls.toAck = nil
	p.elect.UpdatePeerEpoch(ls.newEpoch)
	p.stats.note(p.now, fmt.Sprintf("following %d in epoch %d", ls.leaderID, ls.newEpoch))
	p.srv.start(p)
}

// followerPing answers the leader's PING with the sessions touched since the last one
// (Learner.ping, A9).
func (p *Peer) followerPing() {
	ls := p.learner
	pkt := &wire.Packet{Type: wire.PacketPing}
	if len(ls.touches) > 0 {
		ids := make([]tree.SessionID, 0, len(ls.touches))
		for id := range ls.touches {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			pkt.Touches = append(pkt.Touches, wire.Touch{Session: id, Timeout: ls.touches[id]})
		}
		clear(ls.touches)
	}
	p.sendPacket(ls.link, pkt)
}

// forward sends a client request to the leader (Learner.request).
func (p *Peer) forward(f *wire.Forward) {
	p.rd.forwards = append(p.rd.forwards, *f)
	p.sendPacket(p.learner.link, &wire.Packet{Type: wire.PacketRequest, Forward: &p.rd.forwards[len(p.rd.forwards)-1]})
}
