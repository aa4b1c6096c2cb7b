package zab

import (
	"fmt"
	"slices"
	"time"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// Config configures one server. Zero durations and counts take ZooKeeper's defaults
// (zookeeper.md A9, B2, B5; zoo_sample.cfg).
type Config struct {
	ID     wire.ServerID
	Voters []wire.ServerID // every voting member, this server included

	TickTime  time.Duration // default 3 s (ZooKeeperServer.DEFAULT_TICK_TIME)
	InitLimit int           // ticks a learner has to connect and sync; default 10
	SyncLimit int           // ticks a learner may go silent; default 5
	// MinSessionTimeout and MaxSessionTimeout clamp requested timeouts; defaults 2 and 20 ticks.
	MinSessionTimeout, MaxSessionTimeout time.Duration

	// FinalizeWait, MinNotificationInterval and MaxNotificationInterval time Fast Leader
	// Election; defaults 200 ms, 200 ms and 60 s (B2).
	FinalizeWait                                     time.Duration
	MinNotificationInterval, MaxNotificationInterval time.Duration

	// SnapCount is how many txns a server applies between snapshots (ZooKeeper's snapCount,
	// 100000 by default; 10000 here, since simulated runs are short).
	SnapCount int
	// CommittedLogSize is how many recent committed txns a server keeps in memory to sync
	// learners with DIFF (ZKDatabase.commitLogCount, 500).
	CommittedLogSize int
	// SnapRetainCount is how many snapshots autopurge keeps (autopurge.snapRetainCount, 3).
	SnapRetainCount int

	Tree     tree.Options
	Variants []Variant
	// Rand returns a seeded value in [0, n); the election jitter draws from it. It must come
	// from the node's own stream (the determinism contract); nil means no jitter.
	Rand func(n int64) int64
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.TickTime == 0 {
		c.TickTime = 3 * time.Second
	}
	if c.InitLimit == 0 {
		c.InitLimit = 10
	}
	if c.SyncLimit == 0 {
		c.SyncLimit = 5
	}
	if c.MinSessionTimeout == 0 {
		c.MinSessionTimeout = 2 * c.TickTime
	}
	if c.MaxSessionTimeout == 0 {
		c.MaxSessionTimeout = 20 * c.TickTime
	}
	if c.FinalizeWait == 0 {
		c.FinalizeWait = 200 * time.Millisecond
	}
	if c.MinNotificationInterval == 0 {
		c.MinNotificationInterval = 200 * time.Millisecond
	}
	if c.MaxNotificationInterval == 0 {
		c.MaxNotificationInterval = 60 * time.Second
	}
	if c.SnapCount == 0 {
		c.SnapCount = 10000
	}
	if c.CommittedLogSize == 0 {
		c.CommittedLogSize = 500
	}
	if c.SnapRetainCount == 0 {
		c.SnapRetainCount = 3
	}
	return c
}

// Validate reports the first field that cannot run, naming it.
func (c Config) Validate() error {
	c = c.withDefaults()
	if len(c.Voters) == 0 {
		return fmt.Errorf("%w: Voters is empty", ErrBadConfig)
	}
	if !slices.Contains(c.Voters, c.ID) {
		return fmt.Errorf("%w: ID %d is not among Voters %v", ErrBadConfig, c.ID, c.Voters)
	}
	sorted := slices.Clone(c.Voters)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(c.Voters) {
		return fmt.Errorf("%w: Voters %v has duplicates", ErrBadConfig, c.Voters)
	}
	switch {
	case c.TickTime < 0:
		return fmt.Errorf("%w: TickTime %v is negative", ErrBadConfig, c.TickTime)
	case c.InitLimit < 0 || c.SyncLimit < 0:
		return fmt.Errorf("%w: InitLimit %d / SyncLimit %d must be positive", ErrBadConfig, c.InitLimit, c.SyncLimit)
	case c.MinSessionTimeout > c.MaxSessionTimeout:
		return fmt.Errorf("%w: MinSessionTimeout %v exceeds MaxSessionTimeout %v", ErrBadConfig, c.MinSessionTimeout, c.MaxSessionTimeout)
	case c.SnapCount < 0 || c.CommittedLogSize < 0 || c.SnapRetainCount < 0:
		return fmt.Errorf("%w: SnapCount, CommittedLogSize and SnapRetainCount must be positive", ErrBadConfig)
	}
	if _, err := newVariantSet(c.Variants); err != nil {
		return err
	}
	return nil
}

// quorum reports whether ids (distinct voters) form a majority of Voters (QuorumMaj, B5).
func (c *Config) quorum(n int) bool { return 2*n > len(c.Voters) }
