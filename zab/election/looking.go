package election

import (
	"time"

	"zoosim/zab/wire"
)

// onLooking handles a LOOKING notification from a voter (zookeeper.md B2):
//
//   - a higher round: adopt the round, forget this round's votes, propose the better of the
//     sender's vote and this server's initial vote, and send it;
//   - a lower round: ignore (the receiver already answered);
//   - the same round: adopt the sender's vote if it beats the proposal, and send it.
//
// Then the sender's vote goes into recvset, and if the proposal has a quorum there the
// server starts the finalize wait.
func (e *Election) onLooking(now time.Duration, n wire.Notification) {
	if e.initial.Zxid == NoZxid || n.Zxid == NoZxid {
		return
	}
	switch {
	case n.ElectionEpoch > e.round:
		e.round = n.ElectionEpoch
		e.recv.clear()
		if e.cfg.Better(n.Vote, e.initial) {
			e.proposal = n.Vote
		} else {
			e.proposal = e.initial
		}
		e.broadcast()
	case n.ElectionEpoch < e.round:
		return
	case e.cfg.Better(n.Vote, e.proposal):
		e.proposal = n.Vote
		e.broadcast()
	}
	i, _ := e.voter(n.Sid)
	e.recv.put(i, ballot{Vote: n.Vote, Round: n.ElectionEpoch, State: wire.Looking})
	// A LOOKING ballot matches in full whatever the variant (sameVote).
	mine := ballot{Vote: e.proposal, Round: e.round, State: wire.Looking}
	if e.recv.count(mine, false) >= e.quorum {
		e.finalizing = true
		e.finalizeAt = now + e.cfg.FinalizeWait
	}
}
