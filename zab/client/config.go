package client

import (
	"fmt"
	"math"
	"time"

	"zoosim/tree"
)

// Config says how a client reaches its ensemble and what session it asks for.
type Config struct {
	// Servers is the number of servers; Env.Dial takes an index in
	// [0, Servers). The client tries them in a seeded shuffled order.
	Servers int
	// SessionTimeout is the timeout requested in every ConnectRequest, sent
	// in milliseconds. The server's negotiated value sets the client's
	// timers (zookeeper.md A9).
	SessionTimeout time.Duration
	// Watcher is the default watcher: it receives every session event and
	// the events of watches set with [Client.DefaultWatcher]. May be nil.
	Watcher func(Event)
	// Auth lists digest credentials ("user:password") to add before the
	// first connection, as if AddAuth had been called at once.
	Auth []string
	// SessionID and Passwd resume an existing session instead of asking
	// for a new one (the ZooKeeper constructor with sessionId and passwd).
	SessionID tree.SessionID
	Passwd    []byte
	// Observer, if set, records invocations, returns and events.
	Observer Observer
}

// validate rejects configurations the client cannot run with.
func (cfg *Config) validate() error {
	if cfg.Servers < 1 {
		return fmt.Errorf("client: Config.Servers is %d, need at least 1", cfg.Servers)
	}
	ms := cfg.SessionTimeout.Milliseconds()
	if ms <= 0 || ms > math.MaxInt32 {
		return fmt.Errorf("client: Config.SessionTimeout %v is not a positive 32-bit millisecond count", cfg.SessionTimeout)
	}
	return nil
}
