package election

import (
	"fmt"
	"slices"
	"time"

	"zoosim/zab/wire"
)

// ZooKeeper's timing constants (FastLeaderElection.finalizeWait, minNotificationInterval,
// maxNotificationInterval; zookeeper.md B2). A zero field of Config takes these values.
const (
	DefaultFinalizeWait            = 200 * time.Millisecond
	DefaultMinNotificationInterval = 200 * time.Millisecond
	DefaultMaxNotificationInterval = 60 * time.Second
)

// Config configures one server's election. The zero value of each optional field means
// ZooKeeper's behaviour.
type Config struct {
	// Self is this server's myid.
	Self wire.ServerID
	// Voters lists every voting member, Self included, in any order. Quorums are majorities
	// of Voters.
	Voters []wire.ServerID

	// FinalizeWait is how long a server whose proposal has a quorum waits for a better vote
	// before it decides; every notification that is not better restarts the wait (B2).
	// Zero means DefaultFinalizeWait.
	FinalizeWait time.Duration
	// MinNotificationInterval and MaxNotificationInterval bound the retransmission wait: a
	// LOOKING server that receives nothing for the current interval sends its vote again and
	// doubles the interval, up to the maximum (B2). Zero means the defaults above.
	MinNotificationInterval, MaxNotificationInterval time.Duration

	// Jitter, if not nil, returns a value in [0, n). Each retransmission wait is lengthened by
	// Jitter(interval/2) nanoseconds, so that servers which started together do not retransmit
	// in lockstep forever. The host seeds it from the run's election stream. ZooKeeper has no
	// jitter here; nil gives ZooKeeper's exact timing.
	Jitter func(n int64) int64

	// Better, if not nil, replaces the total order on votes (nil means wire.Vote.Beats,
	// FastLeaderElection.totalOrderPredicate). It exists to re-inject a broken order as a
	// variant (BetterWithoutEpochGuard, ZOOKEEPER-1419) and for tests that plant one.
	Better func(a, b wire.Vote) bool

	// CompareFullOutOfElection re-injects ZOOKEEPER-1732 (variant fle_ooe_compare_full_vote,
	// zookeeper.md C5): FOLLOWING and LEADING votes count as the same vote only if leader,
	// zxid, round and peer epoch are all equal, instead of leader and peer epoch only. The
	// other half of that bug, not refreshing the advertised vote after sync, is the host's:
	// it does not call UpdatePeerEpoch.
	CompareFullOutOfElection bool
}

// validate checks c and returns a copy with defaults filled in and Voters sorted, so that
// broadcasts and descriptions go in id order.
func (c Config) validate() (Config, error) {
	c.Voters = slices.Clone(c.Voters)
	slices.Sort(c.Voters)
	for i := 1; i < len(c.Voters); i++ {
		if c.Voters[i] == c.Voters[i-1] {
			return c, fmt.Errorf("%w: %d", ErrDuplicateVoter, c.Voters[i])
		}
	}
	if _, ok := slices.BinarySearch(c.Voters, c.Self); !ok {
		return c, fmt.Errorf("%w: %d not in %v", ErrSelfNotVoter, c.Self, c.Voters)
	}
	if c.FinalizeWait == 0 {
		c.FinalizeWait = DefaultFinalizeWait
	}
	if c.MinNotificationInterval == 0 {
		c.MinNotificationInterval = DefaultMinNotificationInterval
	}
	if c.MaxNotificationInterval == 0 {
		c.MaxNotificationInterval = DefaultMaxNotificationInterval
	}
	switch {
	case c.FinalizeWait < 0:
		return c, fmt.Errorf("%w: FinalizeWait %v < 0", ErrBadTiming, c.FinalizeWait)
	case c.MinNotificationInterval < 0:
		return c, fmt.Errorf("%w: MinNotificationInterval %v < 0", ErrBadTiming, c.MinNotificationInterval)
	case c.MaxNotificationInterval < c.MinNotificationInterval:
		return c, fmt.Errorf("%w: MaxNotificationInterval %v < MinNotificationInterval %v",
			ErrBadTiming, c.MaxNotificationInterval, c.MinNotificationInterval)
	}
	if c.Better == nil {
		c.Better = wire.Vote.Beats
	}
	return c, nil
}
