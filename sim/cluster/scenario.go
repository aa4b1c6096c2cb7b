package cluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"zoosim/histories"
	"zoosim/recipes"
	"zoosim/sim"
	"zoosim/zab"
)

// ErrBadScenario is returned (wrapped, with a one-line reason naming the field) for a scenario a
// run cannot execute.
var ErrBadScenario = errors.New("cluster: bad scenario")

// Scenario is everything a run executes besides its seed (DESIGN.md "Runs, faults and phases"):
// the ensemble, the clients and their workloads, the fault plan, the protocol variants, the
// phases' durations and the latency and disk models. A run is Run(scenario, seed); the history's
// header keeps the scenario as JSON, so a history names what produced it.
//
// Scenarios are plain data: they encode with encoding/json (durations as "10s", distributions
// and ratios in the kernel's text forms) and ParseScenario reads them back, so a scenario file
// can be written by hand, kept next to a failing history, or shrunk.
type Scenario struct {
	// Servers is the ensemble size, 1 to MaxServers (3, 5 and 7 are the usual sizes).
	Servers int `json:"servers"`
	// Clients is the number of client workloads, each a simulated process with its own session.
	Clients int `json:"clients"`
	// SessionTimeout is the timeout every client asks for; the servers clamp it to
	// [2, 20] ticks (A9).
	SessionTimeout Duration `json:"session_timeout"`
	// KnownServers is how many servers each client knows (its connect string), 0 for all.
	// Client i knows servers i, i+1, ... (mod Servers), so the clients spread over the ensemble.
	KnownServers int `json:"known_servers"`
	// TickTime is the servers' tickTime; 0 means zab's default (3 s). It scales the session
	// timeout bounds and the quorum timeouts (initLimit, syncLimit).
	TickTime Duration `json:"tick_time"`
	// Workload says what the clients do.
	Workload Workload `json:"workload"`
	// Faults says what goes wrong during the safety phase.
	Faults Faults `json:"faults"`
	// Variants are the protocol variants every server runs (zab.Variants); none is the correct
	// protocol.
	Variants []zab.Variant `json:"variants"`
	// RecipeFlaws break the coordination recipes that recipe workloads run, on purpose
	// (recipes.Flaw), to show that the recipe checkers catch them; none runs them correctly.
	RecipeFlaws []recipes.Flaw `json:"recipe_flaws,omitempty"`
	// Safety is how long the safety phase lasts: workloads run and faults are injected.
	Safety Duration `json:"safety"`
	// Cooldown is how long the workloads keep running once every fault is healed, so the
	// liveness phase sees clients make progress again; then they stop issuing new ops.
	Cooldown Duration `json:"cooldown"`
	// Liveness bounds the liveness phase: from the heal, the ensemble must converge (a stable
	// leader, every running server at the same zxid and digest, no client op outstanding)
	// within it.
	Liveness Duration `json:"liveness"`
	// Network and Disk are the kernel's latency and disk models.
	Network Network `json:"network"`
	Disk    Disk    `json:"disk"`
	// Swarm draws the scenario itself from the seed (cluster size, workload mix, fault kinds and
	// rates, latencies), as TigerBeetle's VOPR swarm testing does; see Drawn.
	Swarm bool `json:"swarm"`
}

// Workload says what the clients do: each client runs one workload kind, apportioned by the
// mix's weights (see WorkloadKind for what each does).
type Workload struct {
	// Mix weighs the workload kinds: client counts are apportioned to the weights, and every
	// kind with a weight gets a client when there are enough clients.
	Mix Mix `json:"mix"`
	// HotPaths is how many shared paths each group of clients of one kind works on (a group is
	// at most MaxWritersPerPath clients, which keeps each path's linearizability check small).
	HotPaths int `json:"hot_paths"`
	// ValueSize is the size of every written value; values are unique ("c<client>:<n>" padded
	// with dots), so a checker can tell which write a read saw.
	ValueSize int `json:"value_size"`
	// Think is the mean pause between a client's ops (drawn uniformly in [0, 2*Think]).
	Think Duration `json:"think"`
}

// Faults is the fault plan of the safety phase: either weighted kinds drawn at a mean rate, or an
// explicit Schedule.
type Faults struct {
	// Weights weigh the fault kinds the plan draws from; none means no faults.
	Weights FaultWeights `json:"weights"`
	// MeanGap is the mean time between two fault starts (drawn uniformly in [gap/2, 3gap/2]).
	MeanGap Duration `json:"mean_gap"`
	// MeanDuration is the mean length of a fault (drawn uniformly in [d/2, 3d/2]).
	MeanDuration Duration `json:"mean_duration"`
	// MaxDown bounds how many servers are crashed or paused at once; 0 means a minority,
	// (Servers-1)/2, so a quorum always stays up.
	MaxDown int `json:"max_down"`
	// Schedule, when not null, is the exact list of faults to inject instead of a drawn plan
	// (an empty list injects none). A drawn plan becomes such a list first (Scenario.Schedule),
	// so a failing run's schedule can be shrunk entry by entry.
	Schedule []FaultSpec `json:"schedule"`
}

// Network is the latency model of the simulated network.
type Network struct {
	// Latency is each message's one-way delay.
	Latency Dist `json:"latency"`
	// DetectionDelay is how long each end of a broken connection takes to notice.
	DetectionDelay Dist `json:"detection_delay"`
}

// Disk is the model of every server's disk.
type Disk struct {
	// FsyncLatency is how long an fsync takes.
	FsyncLatency Dist `json:"fsync_latency"`
	// Crash says what a crash does to unsynced writes: "lose-unsynced" or "torn-unsynced".
	Crash string `json:"crash"`
	// LostFsync is the chance that an fsync reports success without persisting anything. It
	// breaks the disk's promise, so the correct protocol may lose acknowledged writes under it.
	LostFsync Ratio `json:"lost_fsync"`
	// CorruptTail is the chance that a crash lands the write in flight as garbage.
	CorruptTail Ratio `json:"corrupt_tail"`
}

// DefaultScenario is `zoosim run`'s default: 5 servers, 20 clients running every workload kind,
// every fault kind that the protocol must survive, a 60 s safety phase and a 60 s bound on
// convergence, on the kernel's default LAN and SSDs.
func DefaultScenario() Scenario {
	so := sim.DefaultOptions(0)
	return Scenario{
		Servers:        5,
		Clients:        20,
		SessionTimeout: Duration(10 * time.Second),
		TickTime:       Duration(2 * time.Second), // zoo_sample.cfg's tickTime
		Workload: Workload{
			Mix: Mix{WorkloadRegister: 4, WorkloadChurn: 2, WorkloadSequential: 2, WorkloadEphemeral: 2,
				WorkloadWatcher: 2, WorkloadMulti: 2, WorkloadSyncRead: 2},
			// Four hot paths per group keep contention high and each path's history short.
			HotPaths:  4,
			ValueSize: 32,
			Think:     Duration(20 * time.Millisecond),
		},
		Faults: Faults{
			Weights:      DefaultFaultWeights(),
			MeanGap:      Duration(3 * time.Second),
			MeanDuration: Duration(2 * time.Second),
		},
		Safety:   Duration(60 * time.Second),
		Cooldown: Duration(2 * time.Second),
		Liveness: Duration(60 * time.Second),
		Network:  Network{Latency: Dist(so.Network.Latency), DetectionDelay: Dist(so.Network.DetectionDelay)},
		Disk:     Disk{FsyncLatency: Dist(so.Disk.FsyncLatency), Crash: so.Disk.Crash.String()},
	}
}

// SweepScenario is the preset for seed sweeps: DefaultScenario with a 10 s safety phase and
// faults coming faster, so a short run still sees several.
func SweepScenario() Scenario {
	sc := DefaultScenario()
	sc.Safety = Duration(10 * time.Second)
	sc.Faults.MeanGap = Duration(1500 * time.Millisecond)
	sc.Faults.MeanDuration = Duration(time.Second)
	return sc
}

// DefaultFaultWeights weighs every fault kind the correct protocol must survive (crashes,
// triggered crashes, partitions, clogs, pauses, corrupted tails, connection resets). Lost fsyncs
// are left out: they break the disk's promise (Disk.LostFsync), so a schedule must ask for them.
func DefaultFaultWeights() FaultWeights {
	return FaultWeights{
		histories.FaultCrash: 3, histories.FaultCrashProposing: 1, histories.FaultCrashAfterWrite: 1,
		histories.FaultPartition: 2, histories.FaultIsolate: 2, histories.FaultOneWay: 1,
		histories.FaultBridge: 1, histories.FaultRing: 1, histories.FaultClog: 2,
		histories.FaultSwizzle: 1, histories.FaultPause: 2, histories.FaultDisk: 1,
		histories.FaultClientReset: 2,
	}
}

// Drawn returns the scenario a run with seed executes: sc itself, or, when sc.Swarm is set, the
// scenario drawn from the seed (Swarm) with sc's phases, session timeout, tick time and variants,
// and Swarm cleared, so the drawn scenario replays by itself.
func (sc Scenario) Drawn(seed uint64) Scenario {
	if !sc.Swarm {
		return sc
	}
	return drawSwarm(sc, seed)
}

// minority is the default bound on servers down at once: a quorum always stays up.
func (sc Scenario) maxDown() int {
	if sc.Faults.MaxDown > 0 {
		return sc.Faults.MaxDown
	}
	return (sc.Servers - 1) / 2
}

// tickTime is the servers' tickTime: the scenario's, or zab's default.
func (sc Scenario) tickTime() time.Duration {
	if sc.TickTime == 0 {
		return 3 * time.Second // zab.Config's default (ZooKeeperServer.DEFAULT_TICK_TIME)
	}
	return time.Duration(sc.TickTime)
}

// simOptions returns the kernel options the scenario's models describe (Validate has checked
// them).
func (sc Scenario) simOptions(seed uint64) sim.Options {
	so := sim.DefaultOptions(seed)
	so.Network.Latency = sim.Distribution(sc.Network.Latency)
	so.Network.DetectionDelay = sim.Distribution(sc.Network.DetectionDelay)
	so.Disk.FsyncLatency = sim.Distribution(sc.Disk.FsyncLatency)
	so.Disk.Crash, _ = sim.ParseCrashMode(sc.Disk.Crash)
	so.Disk.LostFsync = sim.Ratio(sc.Disk.LostFsync)
	so.Disk.CorruptTail = sim.Ratio(sc.Disk.CorruptTail)
	return so
}

// ParseScenario reads a scenario file: JSON whose fields override DefaultScenario's (a field the
// file leaves out keeps its default; a weights map given replaces the default one whole). An
// unknown field, a malformed value or a scenario Validate refuses is a one-line error wrapping
// ErrBadScenario.
func ParseScenario(data []byte) (Scenario, error) {
	sc := DefaultScenario()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return Scenario{}, fmt.Errorf("%w: %s", ErrBadScenario, oneLine(err.Error()))
	}
	if dec.More() {
		return Scenario{}, fmt.Errorf("%w: data after the scenario's JSON object", ErrBadScenario)
	}
	if err := sc.Validate(); err != nil {
		return Scenario{}, err
	}
	return sc, nil
}

// JSON encodes the scenario as ParseScenario reads it.
func (sc Scenario) JSON() []byte {
	b, err := json.Marshal(sc)
	if err != nil {
		panic(fmt.Sprintf("cluster: a scenario does not encode: %v", err)) // every field encodes
	}
	return b
}

// Bounds of the scenario's knobs: beyond them a run is either meaningless or too slow to be
// useful, and a typo (a value size of 10 MB) is more likely than intent.
const (
	maxClients   = 1000
	maxHotPaths  = 64
	maxValueSize = 64 << 10
	maxWeight    = 1000
)

// Validate returns the first reason the scenario cannot run, as one line naming the field and
// wrapping ErrBadScenario.
func (sc Scenario) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrBadScenario, field, oneLine(fmt.Sprintf(format, args...)))
	}
	switch {
	case sc.Servers < 1 || sc.Servers > MaxServers:
		return bad("servers", "%d, want 1 to %d", sc.Servers, MaxServers)
	case sc.Clients < 0 || sc.Clients > maxClients:
		return bad("clients", "%d, want 0 to %d", sc.Clients, maxClients)
	case sc.SessionTimeout <= 0 || time.Duration(sc.SessionTimeout) > 24*time.Hour:
		return bad("session_timeout", "%v, want above 0 and at most 24h", sc.SessionTimeout)
	case sc.KnownServers < 0 || sc.KnownServers > sc.Servers:
		return bad("known_servers", "%d, want 0 (all) to %d", sc.KnownServers, sc.Servers)
	case sc.TickTime < 0:
		return bad("tick_time", "%v is negative", sc.TickTime)
	case sc.Safety <= 0:
		return bad("safety", "%v, want above 0", sc.Safety)
	case sc.Cooldown < 0:
		return bad("cooldown", "%v is negative", sc.Cooldown)
	case sc.Liveness <= sc.Cooldown:
		return bad("liveness", "%v, want more than cooldown (%v)", sc.Liveness, sc.Cooldown)
	}
	if err := sc.Workload.validate(sc.Clients, bad); err != nil {
		return err
	}
	if err := sc.Faults.validate(sc, bad); err != nil {
		return err
	}
	names := make([]string, len(sc.Variants))
	for i, v := range sc.Variants {
		names[i] = string(v)
	}
	if _, err := zab.ParseVariants(strings.Join(names, ",")); err != nil {
		return bad("variants", "%v", err)
	}
	for _, f := range sc.RecipeFlaws {
		if _, err := recipes.ParseFlaw(string(f)); err != nil {
			return bad("recipe_flaws", "%v", err)
		}
	}
	for _, d := range []struct {
		field string
		dist  Dist
	}{{"network.latency", sc.Network.Latency}, {"network.detection_delay", sc.Network.DetectionDelay}, {"disk.fsync_latency", sc.Disk.FsyncLatency}} {
		if err := sim.Distribution(d.dist).Validate(); err != nil {
			return bad(d.field, "%v", err)
		}
	}
	if _, err := sim.ParseCrashMode(sc.Disk.Crash); err != nil {
		return bad("disk.crash", "%q, want lose-unsynced or torn-unsynced", sc.Disk.Crash)
	}
	if err := sim.Ratio(sc.Disk.LostFsync).Validate(); err != nil {
		return bad("disk.lost_fsync", "%v", err)
	}
	if err := sim.Ratio(sc.Disk.CorruptTail).Validate(); err != nil {
		return bad("disk.corrupt_tail", "%v", err)
	}
	// The whole ensemble config, as the ensemble will check it (the session timeout against the
	// tick's bounds is the server's business: it clamps).
	if err := sc.options(1).Validate(); err != nil {
		return bad("servers", "%v", err)
	}
	return nil
}

func (wl Workload) validate(clients int, bad func(field, format string, args ...any) error) error {
	total := 0
	for _, k := range sortedKeys(wl.Mix) {
		if !slices.Contains(WorkloadKinds(), k) {
			return bad("workload.mix", "unknown workload %q (known: %s)", k, joinKinds(WorkloadKinds()))
		}
		if w := wl.Mix[k]; w < 0 || w > maxWeight {
			return bad("workload.mix."+string(k), "weight %d, want 0 to %d", w, maxWeight)
		}
		total += wl.Mix[k]
	}
	switch {
	case clients > 0 && total == 0:
		return bad("workload.mix", "no workload has a weight, but there are %d clients", clients)
	case wl.HotPaths < 1 || wl.HotPaths > maxHotPaths:
		return bad("workload.hot_paths", "%d, want 1 to %d", wl.HotPaths, maxHotPaths)
	case wl.ValueSize < 0 || wl.ValueSize > maxValueSize:
		return bad("workload.value_size", "%d, want 0 to %d", wl.ValueSize, maxValueSize)
	case wl.Think < 0:
		return bad("workload.think", "%v is negative", wl.Think)
	}
	return nil
}

func (f Faults) validate(sc Scenario, bad func(field, format string, args ...any) error) error {
	weighted := false
	for _, k := range sortedKeys(f.Weights) {
		if !slices.Contains(FaultKinds(), k) {
			return bad("faults.weights", "unknown fault kind %q (known: %s)", k, joinKinds(FaultKinds()))
		}
		if w := f.Weights[k]; w < 0 || w > maxWeight {
			return bad("faults.weights."+string(k), "weight %d, want 0 to %d", w, maxWeight)
		}
		weighted = weighted || f.Weights[k] > 0
	}
	switch {
	case f.MaxDown < 0 || f.MaxDown > sc.Servers:
		return bad("faults.max_down", "%d, want 0 (a minority) to %d", f.MaxDown, sc.Servers)
	case f.Schedule == nil && weighted && f.MeanGap <= 0:
		return bad("faults.mean_gap", "%v, want above 0", f.MeanGap)
	case f.Schedule == nil && weighted && f.MeanDuration <= 0:
		return bad("faults.mean_duration", "%v, want above 0", f.MeanDuration)
	}
	for i := range f.Schedule {
		if err := f.Schedule[i].validate(sc); err != nil {
			return bad(fmt.Sprintf("faults.schedule[%d]", i), "%v", err)
		}
	}
	return nil
}

// oneLine keeps an error message on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func joinKinds[K ~string](ks []K) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Duration is a time.Duration that scenario files write as text ("10s", "250ms").
type Duration time.Duration

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes d as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what time.ParseDuration reads.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: want a number with a unit, like 10s or 250ms", b)
	}
	*d = Duration(v)
	return nil
}

// Dist is a kernel latency distribution (sim.Distribution) that scenario files write in its
// text form: "const(1ms)", "uniform(1ms,5ms)", "exp(mean=2ms)",
// "lognormal(median=300µs,sigma=0.5,floor=100µs)".
type Dist sim.Distribution

func (d Dist) String() string { return sim.Distribution(d).String() }

// MarshalText writes d's text form.
func (d Dist) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a distribution's text form.
func (d *Dist) UnmarshalText(b []byte) error {
	v, err := sim.ParseDistribution(string(b))
	if err != nil {
		return err
	}
	*d = Dist(v)
	return nil
}

// Ratio is a probability (sim.Ratio) that scenario files write as "num/den", "0" or "1".
type Ratio sim.Ratio

func (r Ratio) String() string { return sim.Ratio(r).String() }

// MarshalText writes r as "num/den".
func (r Ratio) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads "num/den", "0" or "1".
func (r *Ratio) UnmarshalText(b []byte) error {
	v, err := sim.ParseRatio(string(b))
	if err != nil {
		return err
	}
	*r = Ratio(v)
	return nil
}

// Mix weighs the workload kinds. In a scenario file it is an object, {"register": 4, ...}; one
// given replaces the default mix whole.
type Mix map[WorkloadKind]int

// UnmarshalJSON replaces the mix rather than merging into it.
func (m *Mix) UnmarshalJSON(b []byte) error {
	var v map[WorkloadKind]int
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = v
	return nil
}

// FaultWeights weighs the fault kinds a plan draws. In a scenario file it is an object,
// {"crash": 3, ...}; one given replaces the default weights whole.
type FaultWeights map[histories.FaultKind]int

// UnmarshalJSON replaces the weights rather than merging into them.
func (f *FaultWeights) UnmarshalJSON(b []byte) error {
	var v map[histories.FaultKind]int
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = v
	return nil
}

// FaultKinds lists the fault kinds the runner injects, in a fixed order (histories names them).
func FaultKinds() []histories.FaultKind {
	return []histories.FaultKind{
		histories.FaultCrash, histories.FaultCrashProposing, histories.FaultCrashAfterWrite,
		histories.FaultPartition, histories.FaultIsolate, histories.FaultOneWay, histories.FaultBridge,
		histories.FaultRing, histories.FaultClog, histories.FaultSwizzle, histories.FaultPause,
		histories.FaultDisk, histories.FaultClientReset,
	}
}
