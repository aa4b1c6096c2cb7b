package election

import (
	"zoosim/tree"
	"zoosim/zab/wire"
)

// NoZxid is the lastLoggedZxid of a server that has no usable log, ZooKeeper's -1. A server
// whose own initial vote carries it ignores every LOOKING notification, and every server
// ignores LOOKING notifications that carry it (FastLeaderElection.lookForLeader, zookeeper.md
// B2). tree.Zxid is a signed 64-bit number, so -1 is representable and lies below every real
// zxid (epoch<<32 | counter, both non-negative, B1).
const NoZxid tree.Zxid = -1

// BetterWithoutEpochGuard is the vote order of ZooKeeper before ZOOKEEPER-1419 (zookeeper.md
// C1): its sid tie-break lacks the equal-epoch guard, so a vote with a lower epoch, the same
// zxid and a higher sid beats a higher-epoch vote. The order is neither total nor transitive
// and a 5-server election can flip votes forever. Put it in Config.Better to re-inject the
// bug (variant fle_predicate_no_epoch_guard).
func BetterWithoutEpochGuard(a, b wire.Vote) bool {
	return a.PeerEpoch > b.PeerEpoch ||
		a.PeerEpoch == b.PeerEpoch && a.Zxid > b.Zxid ||
		a.Zxid == b.Zxid && a.Leader > b.Leader
}
