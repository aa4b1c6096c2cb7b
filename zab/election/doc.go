// Package election is ZooKeeper's Fast Leader Election (FastLeaderElection.java, 3.8) as a
// pure state machine, in the style of etcd raft's RawNode: no goroutines, no clock, no I/O.
// Time comes in as an argument (virtual time since start), notifications go out through an
// outbox, and the host delivers notifications over its network. The reference is
// ../shared/reference/zookeeper.md, section B2; the bugs it can re-inject are C1
// (ZOOKEEPER-1419) and C5 (ZOOKEEPER-1732).
//
// # The algorithm
//
// A server looking for a leader proposes a vote (leader, zxid, peer epoch), initially its
// own (Self, lastLoggedZxid, currentEpoch), and sends it to every voter. Votes are ordered by
// (peer epoch, zxid, leader), wire.Vote.Beats. Each server counts rounds (logicalclock): a
// notification from a higher round pulls it into that round, one from a lower round is
// answered and otherwise ignored, and within a round a server adopts any vote that beats its
// proposal and sends it on. When a majority of voters propose the same vote as this server,
// it waits FinalizeWait (200 ms) for a better one and then decides: it leads if the vote is
// its own, else it follows. A server that receives nothing retransmits, doubling its wait
// from 200 ms up to 60 s. Servers that have decided answer LOOKING notifications with their
// decided vote and state, and a LOOKING server that sees a quorum of those (outofelection)
// follows the same leader: that is how a server joins an ensemble that already runs.
//
// Election only picks, with high probability, a leader whose (epoch, zxid) is highest among
// a quorum; it promises nothing when messages are late: two servers can decide different
// leaders in the same round if a vote reaches one of them after its finalize wait. Zab's
// discovery phase, not the election, keeps two leaders from both establishing (B3).
//
// # Usage
//
// The host (package zab's server) owns one Election per server and its network:
//
//  1. New(Config) once per process incarnation; a restarted server gets a new Election,
//     so its round starts again from zero, as ZooKeeper's logicalclock does.
//  2. Look(now, (Self, lastLoggedZxid, currentEpoch)) to start a round, at startup and whenever the
//     server falls back to LOOKING.
//  3. Receive(now, n) for every notification that arrives, in every state; Tick(now) at or
//     after Deadline(); after each call, send every Outgoing of Outbox() to its server.
//     Notifications to Self never appear in the outbox: the election loops them back itself,
//     in the order ZooKeeper's receive queue would hold them.
//  4. After each call, Decision() says whether the round ended, and how. The election then
//     already advertises its decided state; Settle overrides it, and UpdatePeerEpoch refreshes
//     the advertised peer epoch after synchronization (ZOOKEEPER-1732).
//
// The network may lose notifications (retransmission recovers them) but should keep them in
// order per pair of servers, as ZooKeeper's TCP connections do.
//
// # What is left out
//
// Observers and non-voting members (they vote Long.MIN_VALUE in ZooKeeper), reconfiguration
// (the qv field and the current-and-next voting views), QuorumOracleMaj for two-server
// ensembles, and the notification format versions.
package election
