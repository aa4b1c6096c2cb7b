package cluster

import (
	"errors"
	"fmt"
	"io"
	"time"

	"zoosim/sim"
	"zoosim/zab"
	"zoosim/zab/storage"
	"zoosim/zab/wire"
)

// MaxServers bounds Options.Servers: ensembles bigger than ZooKeeper deployments use (3, 5, 7,
// rarely 9) only slow a run down.
const MaxServers = 9

// DefaultSessionTimeout is the session timeout Spawn's clients ask for; every server clamps it
// to [MinSessionTimeout, MaxSessionTimeout] of its config.
const DefaultSessionTimeout = 10 * time.Second

// Options say what ensemble to build. The zero value but for Servers is a correct ensemble on a
// healthy simulated LAN (sim.DefaultOptions).
type Options struct {
	// Seed determines every random choice of the run.
	Seed uint64
	// Servers is the number of servers, 1 to MaxServers (3, 5 and 7 are the usual sizes).
	Servers int
	// Server is the zab config template of every server: tick time, limits, election timing,
	// snapshot counts, tree options. ID, Voters and Rand must be left zero (the ensemble sets
	// them per server), and so must Variants (see below).
	Server zab.Config
	// Variants are the protocol variants every server runs (zab.Variant); none is the correct
	// protocol.
	Variants []zab.Variant
	// Sim overrides the kernel's options (network, disks); nil means sim.DefaultOptions(Seed).
	// Its Seed must be 0 or equal to Seed.
	Sim *sim.Options
	// Storage shapes every server's store on its disk (log file size).
	Storage storage.Options
	// SessionTimeout is the session timeout Spawn's clients ask for; 0 means
	// DefaultSessionTimeout.
	SessionTimeout time.Duration
	// TraceReady adds every server's Ready (disk ops, sends, fsyncs, commits) to the world's
	// trace, one line each, for debugging a run. It changes the trace, so a run's trace hash
	// depends on it.
	TraceReady bool
	// KeepApplied makes every server keep the txns it applied, for Server.Applied. Off by
	// default: a long run would hold every txn of the run three or five times over.
	KeepApplied bool
	// Trace, if not nil, receives the world's trace from its start, the servers' first boots
	// included (sim.World.TraceTo). It does not change the run.
	Trace io.Writer
}

// Validate returns every reason the options cannot be used, each naming its field, joined.
func (o Options) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrBadOptions}, args...)...))
	}
	if o.Servers < 1 || o.Servers > MaxServers {
		bad("Servers is %d, want 1 to %d", o.Servers, MaxServers)
	}
	if o.Server.ID != 0 {
		bad("Server.ID is %d; the ensemble numbers its servers, leave it 0", o.Server.ID)
	}
	if o.Server.Voters != nil {
		bad("Server.Voters is %v; the ensemble lists its servers, leave it nil", o.Server.Voters)
	}
	if o.Server.Rand != nil {
		bad("Server.Rand is set; each server draws from its node's stream, leave it nil")
	}
	if o.Server.Variants != nil {
		bad("Server.Variants is %v; use Options.Variants", o.Server.Variants)
	}
	if o.Sim != nil && o.Sim.Seed != 0 && o.Sim.Seed != o.Seed {
		bad("Sim.Seed is %d but Seed is %d; leave Sim.Seed 0", o.Sim.Seed, o.Seed)
	}
	if o.Storage.LogFileBytes < 0 {
		bad("Storage.LogFileBytes is %d, negative", o.Storage.LogFileBytes)
	}
	if o.SessionTimeout < 0 {
		bad("SessionTimeout is %v, negative", o.SessionTimeout)
	}
	if len(errs) == 0 {
		// zab names its own fields; say they belong to Server (or Variants).
		if err := o.serverConfig(1).Validate(); err != nil {
			bad("Server (or Variants): %w", err)
		}
		if err := o.simOptions().Validate(); err != nil {
			bad("Sim: %w", err)
		}
	}
	return errors.Join(errs...)
}

// simOptions returns the kernel's options for the run.
func (o Options) simOptions() sim.Options {
	so := sim.DefaultOptions(o.Seed)
	if o.Sim != nil {
		so = *o.Sim
		so.Seed = o.Seed
	}
	return so
}

// serverConfig returns the zab config of server id (Rand is set at each boot).
func (o Options) serverConfig(id wire.ServerID) zab.Config {
	cfg := o.Server
	cfg.ID = id
	cfg.Voters = make([]wire.ServerID, o.Servers)
	for i := range cfg.Voters {
		cfg.Voters[i] = serverIDOf(i)
	}
	cfg.Variants = append([]zab.Variant(nil), o.Variants...)
	return cfg
}

func (o Options) sessionTimeout() time.Duration {
	if o.SessionTimeout == 0 {
		return DefaultSessionTimeout
	}
	return o.SessionTimeout
}
