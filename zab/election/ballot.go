package election

import "zoosim/zab/wire"

// ballot is a vote as an election remembers it: the vote, the round (electionEpoch) and the
// state of the server that sent it. It is ZooKeeper's quorum.Vote with its version left out:
// every server here speaks the same notification version.
type ballot struct {
	wire.Vote
	Round int64
	State wire.ServerState
}

// sameVote reports whether a and b count as the same vote when an election looks for a
// quorum (ZooKeeper's Vote.equals, zookeeper.md B2 and C5). If either was sent LOOKING, every
// field but the state must match. Between two FOLLOWING or LEADING votes only the leader and
// its peer epoch must: members of an established ensemble joined it at different times and
// advertise different zxids and rounds, and since an epoch is used by one leader only, the
// pair names the ensemble (ZOOKEEPER-1732, -1805). full re-injects the pre-1732 comparison.
//
// One difference from ZooKeeper 3.8: it stores recvset's FOLLOWING and LEADING entries without
// the notification's version, and Vote.equals ignores the peer epoch when versions differ, so
// in the same-round rule it compares those entries by leader only. Here both rules compare
// leader and peer epoch, the comparison Vote.equals means to make.
func sameVote(a, b ballot, full bool) bool {
	if full || a.State == wire.Looking || b.State == wire.Looking {
		return a.Vote == b.Vote && a.Round == b.Round
	}
	return a.Leader == b.Leader && a.PeerEpoch == b.PeerEpoch
}

// tally is a set of ballots, one per voter, indexed like Config.Voters (recvset and
// outofelection in FastLeaderElection.lookForLeader). A slice in voter order rather than a
// map keeps every walk over it deterministic.
type tally struct {
	has []bool
	b   []ballot
}

func newTally(n int) tally { return tally{has: make([]bool, n), b: make([]ballot, n)} }

func (t tally) put(i int, b ballot) { t.has[i], t.b[i] = true, b }

func (t tally) get(i int) (ballot, bool) { return t.b[i], t.has[i] }

func (t tally) clear() { clear(t.has) }

// count returns how many voters' ballots are the same vote as b.
func (t tally) count(b ballot, full bool) int {
	n := 0
	for i, ok := range t.has {
		if ok && sameVote(t.b[i], b, full) {
			n++
		}
	}
	return n
}
