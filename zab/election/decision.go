package election

import (
	"fmt"

	"zoosim/zab/wire"
)

// Decision is how a round of election ended for this server: whom it follows or that it
// leads (lookForLeader's return value, zookeeper.md B2).
type Decision struct {
	Leader wire.ServerID    // the elected leader; always Vote.Leader
	Vote   wire.Vote        // the leader's vote as the server decided it
	Round  int64            // the round (logicalclock) the decision belongs to
	State  wire.ServerState // Leading if Leader is this server, else Following
	Via    Via              // which rule decided
}

func (d Decision) String() string {
	return fmt.Sprintf("%s leader %d round %d vote %s via %s", d.State, d.Leader, d.Round, d.Vote, d.Via)
}

// Via names the rule of lookForLeader that ended a round (zookeeper.md B2).
type Via int8

const (
	// ViaQuorum: the server's own proposal had a quorum of votes in its round and no better
	// vote arrived within FinalizeWait.
	ViaQuorum Via = iota + 1
	// ViaRound: FOLLOWING or LEADING notifications of the server's own round formed a quorum
	// for their leader, and checkLeader held.
	ViaRound
	// ViaOutOfElection: FOLLOWING or LEADING notifications of any rounds (outofelection)
	// formed a quorum for their leader, and checkLeader held; the server adopts the leader's
	// round. This is how a server joins an established ensemble.
	ViaOutOfElection
)

func (v Via) String() string {
	switch v {
	case ViaQuorum:
		return "quorum"
	case ViaRound:
		return "round"
	case ViaOutOfElection:
		return "outofelection"
	}
	return fmt.Sprintf("Via(%d)", int8(v))
}
