package cluster

import (
	"time"

	"zoosim/sim"
	"zoosim/zab/wire"
)

// The ports every server listens on, ZooKeeper's defaults.
const (
	// ElectionPort carries Fast Leader Election notifications (electionPort, 3888).
	ElectionPort = 3888
	// QuorumPort carries leader/learner packets; learners dial the leader's (quorumPort, 2888).
	QuorumPort = 2888
	// ClientPort carries the client protocol (clientPort, 2181).
	ClientPort = 2181
)

// roster is the one place that maps simulated nodes to ZooKeeper server ids and back. Server i
// (0-based) has myid i+1, as ZooKeeper numbers servers from 1.
type roster struct {
	// Invariant: nodes[id-1] is the node of server id; the slice never changes after New.
	nodes []sim.NodeID
	// txns lets the ensemble's servers share the txns they decode from quorum packets (see
	// wire.TxnShare): the roster is the one value every server of the ensemble, and only of
	// this ensemble, holds.
	txns wire.TxnShare
}

// serverID returns the myid of the server on node n; ok is false for a node that is no server
// (a client host).
func (r *roster) serverID(n sim.NodeID) (id wire.ServerID, ok bool) {
	for i, m := range r.nodes {
		if m == n {
			return wire.ServerID(i + 1), true
		}
	}
	return 0, false
}

// node returns the node of server id.
func (r *roster) node(id wire.ServerID) (sim.NodeID, bool) {
	if id < 1 || int(id) > len(r.nodes) {
		return 0, false
	}
	return r.nodes[id-1], true
}

// serverIDOf is the myid of the server with index i.
func serverIDOf(i int) wire.ServerID { return wire.ServerID(i + 1) }

// virtual converts kernel time to the peer's clock: both are nanoseconds since the world
// started, so the conversion is exact.
func virtual(t sim.Time) time.Duration { return time.Duration(t) }

// kernel converts a peer deadline back to kernel time.
func kernel(d time.Duration) sim.Time { return sim.Time(d) }
