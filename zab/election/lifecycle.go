package election

import (
	"fmt"
	"time"

	"zoosim/zab/wire"
)

// Look starts a round of election (FastLeaderElection.lookForLeader): the server enters
// LOOKING, increments its round (logicalclock), proposes its initial vote and sends it to
// every voter, itself included (zookeeper.md B2). The initial vote is (Self, lastLoggedZxid,
// currentEpoch); a vote for another server panics. Note currentEpoch, not acceptedEpoch: the
// order ranks the epoch of the last NEWLEADER the server accepted. A zxid of NoZxid makes the
// server ignore LOOKING notifications for the round.
//
// The host calls Look when the server starts and whenever it falls back to LOOKING (it lost
// its leader, or as leader lost its quorum). Notifications received before the first Look
// are processed now, after the round started, as ZooKeeper's receive queue would.
func (e *Election) Look(now time.Duration, initial wire.Vote) {
	if initial.Leader != e.cfg.Self {
		panic(fmt.Sprintf("election: server %d: Look with a vote for %d", e.cfg.Self, initial.Leader))
	}
	e.started = true
	e.state = wire.Looking
	e.round++
	e.initial = initial
	e.proposal = e.initial
	e.recv.clear()
	e.ooe.clear()
	e.decided, e.decision = false, Decision{}
	e.finalizing = false
	e.setInterval(e.cfg.MinNotificationInterval)
	e.pollAt = now + e.wait
	// Notifications queued before the first Look stay ahead of the loopback of this
	// broadcast, as they would in ZooKeeper's queue.
	e.broadcast()
	e.drain(now)
}

// Settle records that the server left LOOKING on its own account: state (LEADING,
// FOLLOWING or OBSERVING) and the vote it now answers LOOKING notifications with, in the
// current round. A decision settles the server already, so a host that follows its
// decisions needs Settle only to override them. Settle with LOOKING panics: use Look.
func (e *Election) Settle(state wire.ServerState, v wire.Vote) {
	if state == wire.Looking {
		panic(fmt.Sprintf("election: server %d: Settle(LOOKING); use Look", e.cfg.Self))
	}
	e.started = true
	e.leave(state, v)
}

// UpdatePeerEpoch sets the peer epoch of the vote the server answers with once settled
// (QuorumPeer.updateElectionVote). Leader and followers call it with the new epoch after
// synchronization, so that every member of an ensemble advertises the same (leader, peer
// epoch) pair and a server that restarts can join it (ZOOKEEPER-1732, zookeeper.md B2, C5).
// While LOOKING it changes the settled vote of the last round only, which LOOKING servers do
// not send.
func (e *Election) UpdatePeerEpoch(epoch int64) {
	e.current.PeerEpoch = epoch
}

// decide ends the round with v as the leader's vote (setPeerState and leaveInstance): LEADING
// if the leader is this server, else FOLLOWING. Leaders are always voters here: notifications
// naming any other leader are ignored before they could be adopted.
func (e *Election) decide(v wire.Vote, via Via) {
	state := wire.Following
	if v.Leader == e.cfg.Self {
		state = wire.Leading
	}
	e.decided = true
	e.decision = Decision{Leader: v.Leader, Vote: v, Round: e.round, State: state, Via: via}
	e.leave(state, v)
}

// leave moves the server out of LOOKING: no timers, and what was still queued is dropped
// (leaveInstance clears the receive queue).
func (e *Election) leave(state wire.ServerState, v wire.Vote) {
	e.state = state
	e.current = v
	e.finalizing = false
	e.queue = nil
}
