package election

import "errors"

// Errors New returns for a configuration that cannot run an election. Misuse of a built
// Election (Settle with LOOKING, a Jitter that returns out of range) is a programmer error and
// panics instead.
var (
	// ErrSelfNotVoter: Config.Self is not in Config.Voters. ZooKeeper lets observers and
	// non-voting members run FLE with a Long.MIN_VALUE vote (zookeeper.md B2); this package
	// models voting members only.
	ErrSelfNotVoter = errors.New("election: self is not a voter")
	// ErrDuplicateVoter: a server id appears twice in Config.Voters.
	ErrDuplicateVoter = errors.New("election: duplicate voter")
	// ErrBadTiming: a negative FinalizeWait or notification interval, or a
	// MaxNotificationInterval below MinNotificationInterval.
	ErrBadTiming = errors.New("election: bad timing")
)
