package election

import (
	"time"

	"zoosim/zab/wire"
)

// Receive handles a notification from another server (or a non-voter), in any state.
//
// It first does what ZooKeeper's receiver thread (WorkerReceiver) does on arrival: answer a
// non-voter with this server's vote; when not LOOKING, answer a LOOKING sender with the
// settled vote and state, so that it can find the ensemble; when LOOKING, answer a LOOKING
// sender of an older round with the current proposal so that it catches up. Then, if this
// server is LOOKING, the notification joins the receive queue and lookForLeader's loop
// processes it (zookeeper.md B2).
func (e *Election) Receive(now time.Duration, n wire.Notification) {
	if !e.started {
		// Before the first Look the receive queue only fills (there is no round yet, so no
		// sender can be behind, and no vote to answer with).
		if _, ok := e.voter(n.Sid); ok {
			e.queue = append(e.queue, n)
		}
		return
	}
	if !e.admit(n) {
		return
	}
	e.queue = append(e.queue, n)
	e.drain(now)
}

// admit answers what the receiver thread answers and reports whether n goes to the queue.
func (e *Election) admit(n wire.Notification) bool {
	if _, ok := e.voter(n.Sid); !ok {
		// ZooKeeper answers with QuorumPeer.currentVote, which while LOOKING is the vote of
		// the previous election; the proposal is the closest this package keeps.
		e.send(n.Sid, e.Vote(), e.round, e.state)
		return false
	}
	if e.state != wire.Looking {
		if n.State == wire.Looking {
			e.send(n.Sid, e.current, e.round, e.state)
		}
		return false
	}
	if n.State == wire.Looking && n.ElectionEpoch < e.round {
		e.send(n.Sid, e.proposal, e.round, wire.Looking)
	}
	return true
}

// drain processes the receive queue in order until it is empty or the round is decided.
func (e *Election) drain(now time.Duration) {
	for len(e.queue) > 0 && e.state == wire.Looking {
		n := e.queue[0]
		e.queue = e.queue[1:]
		e.process(now, n)
	}
	if len(e.queue) == 0 {
		e.queue = nil // release the backing array
	}
}

// process is one pass of lookForLeader's loop over a notification taken from the queue.
func (e *Election) process(now time.Duration, n wire.Notification) {
	if e.finalizing {
		// The finalize wait takes notifications off the queue and looks only for a better
		// vote: one that is not better is dropped unrecorded, and the wait starts again.
		// A better one ends the wait and goes back to the tail of the queue, for the main
		// loop to process.
		if !e.cfg.Better(n.Vote, e.proposal) {
			e.finalizeAt = now + e.cfg.FinalizeWait
			return
		}
		e.finalizing = false
		e.pollAt = now + e.wait
		e.queue = append(e.queue, n)
		return
	}
	e.pollAt = now + e.wait // the main loop's poll returned; its wait starts again
	if _, ok := e.voter(n.Leader); !ok {
		return // a vote for a non-voter: ignored (validVoter)
	}
	switch n.State {
	case wire.Looking:
		e.onLooking(now, n)
	case wire.Following, wire.Leading:
		e.onSettled(n)
	default:
		// OBSERVING notifications carry nothing for the election.
	}
}
