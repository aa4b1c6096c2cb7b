package election

import "zoosim/zab/wire"

// onSettled handles a FOLLOWING or LEADING notification from a voter while LOOKING
// (receivedFollowingNotification, zookeeper.md B2). Such a sender has decided; its vote says
// whom it follows (or that it leads) and in which round it decided.
//
// In this server's own round the vote joins recvset, and the server decides for its leader
// if those votes form a quorum for it and checkLeader holds. In any round it joins
// outofelection, the votes of servers already out of the election; a quorum there plus
// checkLeader makes the server adopt the sender's round and decide too. That is how a server
// that starts, or falls back to LOOKING, next to an established ensemble finds its leader:
// the members answer its LOOKING notifications with FOLLOWING and LEADING ones.
func (e *Election) onSettled(n wire.Notification) {
	i, _ := e.voter(n.Sid)
	b := ballot{Vote: n.Vote, Round: n.ElectionEpoch, State: n.State}
	full := e.cfg.CompareFullOutOfElection
	if n.ElectionEpoch == e.round {
		e.recv.put(i, b)
		if e.recv.count(b, full) >= e.quorum && e.checkLeader(e.recv, n.Leader, n.ElectionEpoch) {
			e.decide(n.Vote, ViaRound)
			return
		}
	}
	e.ooe.put(i, b)
	if e.ooe.count(b, full) >= e.quorum && e.checkLeader(e.ooe, n.Leader, n.ElectionEpoch) {
		e.round = n.ElectionEpoch
		e.decide(n.Vote, ViaOutOfElection)
	}
}

// checkLeader keeps a server from electing, over and over, a leader that crashed while its
// followers still vouch for it: a quorum for someone else counts only if that leader's own
// vote is in the set and says LEADING. A quorum for this server itself counts only in its
// own round; a leader that restarted into LOOKING (a higher round) while the others still
// follow its old incarnation does not take their word for it, and waits for them to give up
// and look again (zookeeper.md B2, checkLeader).
func (e *Election) checkLeader(t tally, leader wire.ServerID, round int64) bool {
	if leader == e.cfg.Self {
		return e.round == round
	}
	i, _ := e.voter(leader)
	v, ok := t.get(i)
	return ok && v.State == wire.Leading
}
