package cluster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"zoosim/histories"
	"zoosim/sim"
)

// FaultSpec is one fault of a schedule: its kind, when it starts (after the safety phase began),
// how long it lasts, and what it acts on. A drawn plan is a list of FaultSpecs, and so is a
// hand-written schedule: Run executes a schedule as given, so removing entries shrinks it.
//
// What each kind uses:
//
//   - crash: Target is crashed at At and restarted after For.
//   - crash-proposing: armed at At on every server; the first leader that executes a Ready
//     sending a new PROPOSAL is crashed right after those sends, and restarted For later. Not
//     fired within For, it is disarmed and recorded as never triggered.
//   - crash-after-write: armed at At on Target; it crashes the server right after the host
//     appended txns to its log (and sent what that Ready sends), before their fsync completes,
//     and restarts it For later (armed for For, like crash-proposing).
//   - partition: Groups (two or more disjoint sets of server indices) cannot reach each other.
//   - isolate: Target reaches nobody, clients included.
//   - one-way: Groups[0] cannot send to Groups[1]; or, without Groups, Target cannot send to any
//     other server.
//   - bridge: Groups[0] and Groups[2] reach each other only through the one server of Groups[1].
//   - ring: Groups[0] is a ring order of servers; each reaches only its two neighbours (with five
//     or more servers every server still sees a majority, but no two majorities agree).
//   - clog: Target's messages (or, with Peer, those between Target and Peer) are held for For.
//   - swizzle: the servers of Groups[0] are clogged one after another, in that order, with
//     staggered starts; then freed one after another in the order of Unclog (FoundationDB's
//     swizzle-clogging).
//   - pause: Target is paused (SIGSTOP) for For.
//   - disk: Mode "corrupt-tail" (or empty) crashes Target right after a log append with the
//     write in flight landing as garbage, restarted For later (armed for For); Mode "lost-fsync"
//     makes Target's next Count fsyncs lie (an instant fault: they lie whenever they come).
//   - client-reset: the connections of Clients (client slots) to their servers are reset (an
//     instant fault). The history records the clients' indices, and in Servers, in the same
//     order, the server each was connected to.
//
// Network faults (partition, isolate, one-way, bridge, ring) share the kernel's one partition
// state: one that starts while another lasts ends the other first. Crashes and pauses never take
// more than the scenario's MaxDown servers down at once: a fault that would is skipped, and
// recorded as skipped.
type FaultSpec struct {
	Kind histories.FaultKind `json:"kind"`
	At   Duration            `json:"at"`
	For  Duration            `json:"for"`
	// Target and Peer name servers, resolved when the fault is injected (see Target).
	Target Target `json:"target,omitempty"`
	Peer   Target `json:"peer,omitempty"`
	// Groups are sets of server indices (0-based), as each kind says.
	Groups [][]int `json:"groups,omitempty"`
	// Unclog is swizzle's order of freeing the servers of Groups[0].
	Unclog []int `json:"unclog,omitempty"`
	// Clients are client slots (0 to Clients-1): the client a slot runs now is reset.
	Clients []int `json:"clients,omitempty"`
	// Mode and Count shape a disk fault.
	Mode  string `json:"mode,omitempty"`
	Count int    `json:"count,omitempty"`
}

// Disk fault modes.
const (
	DiskCorruptTail = "corrupt-tail"
	DiskLostFsync   = "lost-fsync"
)

// Target names a server in a schedule, resolved when the fault is injected, in index order and
// without drawing anything, so the same run always resolves it the same way:
//
//   - "leader": the server leading in broadcast (or, during an election, one that has won it);
//   - "follower" or "follower:K": the K-th (0-based, modulo their number) running server other
//     than the leader, in index order, preferring servers that follow it;
//   - "server:I": the server with index I (0-based; histories print it as s<I+1>).
type Target string

// The targets a plan draws.
const (
	TargetLeader Target = "leader"
)

// FollowerTarget is "follower:k".
func FollowerTarget(k int) Target { return Target("follower:" + strconv.Itoa(k)) }

// ServerTarget is "server:i".
func ServerTarget(i int) Target { return Target("server:" + strconv.Itoa(i)) }

// targetRef is a parsed Target.
type targetRef struct {
	role  string // "leader", "follower", "server"
	index int
}

func (t Target) parse(servers int) (targetRef, error) {
	s := string(t)
	role, num, hasNum := strings.Cut(s, ":")
	ref := targetRef{role: role}
	switch role {
	case "leader":
		if hasNum {
			return ref, fmt.Errorf("target %q: leader takes no number", s)
		}
		return ref, nil
	case "follower", "server":
	default:
		return ref, fmt.Errorf("target %q: want leader, follower, follower:K or server:I", s)
	}
	if !hasNum {
		if role == "server" {
			return ref, fmt.Errorf("target %q: server needs an index, server:I", s)
		}
		return ref, nil
	}
	k, err := strconv.Atoi(num)
	if err != nil || k < 0 {
		return ref, fmt.Errorf("target %q: %q is not a non-negative number", s, num)
	}
	if role == "server" && k >= servers {
		return ref, fmt.Errorf("target %q: the ensemble has servers 0 to %d", s, servers-1)
	}
	ref.index = k
	return ref, nil
}

// networkFault reports whether kind uses the kernel's one partition state.
func networkFault(kind histories.FaultKind) bool {
	switch kind {
	case histories.FaultPartition, histories.FaultIsolate, histories.FaultOneWay, histories.FaultBridge, histories.FaultRing:
		return true
	}
	return false
}

// triggered reports whether a fault of spec's kind waits for a moment in the server's work
// (armed for For, then down for For).
func (f *FaultSpec) triggered() bool {
	switch f.Kind {
	case histories.FaultCrashProposing, histories.FaultCrashAfterWrite:
		return true
	case histories.FaultDisk:
		return f.Mode != DiskLostFsync
	}
	return false
}

// takesDown reports whether the fault crashes or pauses a server.
func (f *FaultSpec) takesDown() bool {
	switch f.Kind {
	case histories.FaultCrash, histories.FaultPause:
		return true
	}
	return f.triggered()
}

// instant reports whether the fault happens at one moment rather than lasting For.
func (f *FaultSpec) instant() bool {
	return f.Kind == histories.FaultClientReset || (f.Kind == histories.FaultDisk && f.Mode == DiskLostFsync)
}

// span is how long the fault may keep its server down or its network state: a triggered fault
// may fire until For after At and keeps its server down For after firing.
func (f *FaultSpec) span() time.Duration {
	if f.triggered() {
		return 2 * time.Duration(f.For)
	}
	return time.Duration(f.For)
}

// validate checks one schedule entry against the scenario.
func (f *FaultSpec) validate(sc Scenario) error {
	if !slices.Contains(FaultKinds(), f.Kind) {
		return fmt.Errorf("kind %q: want one of %s", f.Kind, joinKinds(FaultKinds()))
	}
	if f.At < 0 || f.At >= sc.Safety {
		return fmt.Errorf("at %v: want a time in the safety phase, [0, %v)", f.At, sc.Safety)
	}
	if f.For < 0 || (f.For == 0 && !f.instant()) {
		return fmt.Errorf("for %v: want above 0", f.For)
	}
	checkTarget := func(name string, t Target, required bool) error {
		if t == "" {
			if required {
				return fmt.Errorf("%s: a %s fault needs one", name, f.Kind)
			}
			return nil
		}
		_, err := t.parse(sc.Servers)
		return err
	}
	checkServers := func(name string, g []int, min int) error {
		if len(g) < min {
			return fmt.Errorf("%s: %v has fewer than %d servers", name, g, min)
		}
		for _, i := range g {
			if i < 0 || i >= sc.Servers {
				return fmt.Errorf("%s: server %d is not in 0 to %d", name, i, sc.Servers-1)
			}
		}
		return nil
	}
	checkGroups := func(n, min int) error {
		if n > 0 && len(f.Groups) != n {
			return fmt.Errorf("groups: a %s fault takes %d groups, not %d", f.Kind, n, len(f.Groups))
		}
		if len(f.Groups) < 2 && n == 0 {
			return fmt.Errorf("groups: a %s fault takes at least 2 groups", f.Kind)
		}
		seen := map[int]bool{}
		for gi, g := range f.Groups {
			if err := checkServers(fmt.Sprintf("groups[%d]", gi), g, min); err != nil {
				return err
			}
			for _, i := range g {
				if seen[i] {
					return fmt.Errorf("groups: server %d appears twice", i)
				}
				seen[i] = true
			}
		}
		return nil
	}
	switch f.Kind {
	case histories.FaultCrash, histories.FaultCrashAfterWrite, histories.FaultIsolate, histories.FaultPause:
		return checkTarget("target", f.Target, true)
	case histories.FaultCrashProposing:
		return nil
	case histories.FaultPartition:
		return checkGroups(0, 1)
	case histories.FaultOneWay:
		if len(f.Groups) == 0 {
			return checkTarget("target", f.Target, true)
		}
		return checkGroups(2, 1)
	case histories.FaultBridge:
		if err := checkGroups(3, 1); err != nil {
			return err
		}
		if len(f.Groups[1]) != 1 {
			return fmt.Errorf("groups[1]: the bridge is one server, not %v", f.Groups[1])
		}
	case histories.FaultRing:
		if len(f.Groups) != 1 {
			return fmt.Errorf("groups: a ring takes one group, the ring order")
		}
		return checkGroups(1, 3)
	case histories.FaultClog:
		if err := checkTarget("target", f.Target, true); err != nil {
			return err
		}
		return checkTarget("peer", f.Peer, false)
	case histories.FaultSwizzle:
		if err := checkGroups(1, 1); err != nil {
			return err
		}
		a, b := slices.Sorted(slices.Values(f.Groups[0])), slices.Sorted(slices.Values(f.Unclog))
		if !slices.Equal(a, b) {
			return fmt.Errorf("unclog: %v must order the servers of groups[0], %v", f.Unclog, f.Groups[0])
		}
	case histories.FaultDisk:
		switch f.Mode {
		case "", DiskCorruptTail:
		case DiskLostFsync:
			if f.Count < 1 {
				return fmt.Errorf("count: %d, a lost-fsync fault loses at least 1", f.Count)
			}
		default:
			return fmt.Errorf("mode %q: want %s or %s", f.Mode, DiskCorruptTail, DiskLostFsync)
		}
		return checkTarget("target", f.Target, true)
	case histories.FaultClientReset:
		if len(f.Clients) == 0 {
			return fmt.Errorf("clients: a client-reset fault needs client slots")
		}
		for _, c := range f.Clients {
			if c < 0 || c >= sc.Clients {
				return fmt.Errorf("clients: slot %d is not in 0 to %d", c, sc.Clients-1)
			}
		}
	}
	return nil
}

// Schedule returns the fault schedule a run of sc with seed executes: the scenario's explicit
// Schedule, or its plan drawn from the run's "faults" stream. Removing entries from it and
// setting it as Faults.Schedule shrinks a run.
func (sc Scenario) Schedule(seed uint64) []FaultSpec {
	sc = sc.Drawn(seed)
	if sc.Faults.Schedule != nil {
		return slices.Clone(sc.Faults.Schedule)
	}
	// The run's world forks its "faults" stream from the seed alone: a bare world gives the
	// same stream.
	return planFaults(sc, sim.MustNew(sim.DefaultOptions(seed)).Stream("faults"))
}

// planFaults draws a schedule from the plan: fault starts a mean gap apart over the safety
// phase, each of a kind drawn by weight, skipping a draw that would overlap a network fault with
// another or take more than MaxDown servers down at once.
func planFaults(sc Scenario, r *sim.Rand) []FaultSpec {
	f := sc.Faults
	var kinds []histories.FaultKind
	var weights []int
	total := 0
	for _, k := range FaultKinds() {
		if w := f.Weights[k]; w > 0 && sc.Plannable(k) {
			kinds, weights = append(kinds, k), append(weights, w)
			total += w
		}
	}
	if total == 0 {
		return nil
	}
	around := func(mean Duration) Duration {
		return mean/2 + Duration(r.Between(0, int64(mean)))
	}
	var out []FaultSpec
	for at := around(f.MeanGap); at < sc.Safety; at += around(f.MeanGap) {
		pick := r.IntN(total)
		k := 0
		for pick >= weights[k] {
			pick -= weights[k]
			k++
		}
		spec := drawFault(sc, r, kinds[k], at, around(f.MeanDuration))
		if fits(&spec, out, sc.maxDown()) {
			out = append(out, spec)
		}
	}
	return out
}

// Plannable reports whether a fault of kind k fits sc's ensemble (enough servers for its
// groups, a crash allowed by MaxDown, a client to reset): a drawn plan only draws such kinds,
// and so do generators of schedules (testbed's rapid tests).
func (sc Scenario) Plannable(k histories.FaultKind) bool {
	n := sc.Servers
	switch k {
	case histories.FaultCrash, histories.FaultCrashProposing, histories.FaultPause:
		return sc.maxDown() >= 1
	case histories.FaultCrashAfterWrite, histories.FaultDisk:
		return sc.maxDown() >= 1 && n >= 2
	case histories.FaultPartition, histories.FaultIsolate, histories.FaultOneWay, histories.FaultSwizzle:
		return n >= 2
	case histories.FaultBridge:
		return n >= 3
	case histories.FaultRing:
		return n >= 4
	case histories.FaultClientReset:
		return sc.Clients >= 1
	}
	return true
}

// fits reports whether spec can join the schedule: no two network faults at once, and never
// more than maxDown servers down at once (counted conservatively: every overlapping down fault).
func fits(spec *FaultSpec, sched []FaultSpec, maxDown int) bool {
	start, end := spec.At, spec.At+Duration(spec.span())
	down := 0
	for i := range sched {
		o := &sched[i]
		if o.At >= end || o.At+Duration(o.span()) <= start {
			continue
		}
		if networkFault(spec.Kind) && networkFault(o.Kind) {
			return false
		}
		if o.takesDown() {
			down++
		}
	}
	return !spec.takesDown() || down < maxDown
}

// drawFault draws the targets of one fault of kind k.
func drawFault(sc Scenario, r *sim.Rand, k histories.FaultKind, at, d Duration) FaultSpec {
	n := sc.Servers
	spec := FaultSpec{Kind: k, At: at, For: d}
	leaderOrFollower := func() Target {
		if n == 1 || r.IntN(2) == 0 {
			return TargetLeader
		}
		return FollowerTarget(r.IntN(n - 1))
	}
	perm := func() []int {
		p := make([]int, n)
		for i := range p {
			p[i] = i
		}
		r.Shuffle(n, func(i, j int) { p[i], p[j] = p[j], p[i] })
		return p
	}
	switch k {
	case histories.FaultCrash, histories.FaultPause, histories.FaultIsolate:
		spec.Target = leaderOrFollower()
	case histories.FaultCrashAfterWrite:
		spec.Target = FollowerTarget(r.IntN(n - 1))
	case histories.FaultDisk:
		spec.Target, spec.Mode = leaderOrFollower(), DiskCorruptTail
	case histories.FaultPartition:
		p := perm()
		cut := 1 + r.IntN(n/2) // the minority side: 1 to n/2 servers
		spec.Groups = [][]int{sortedInts(p[:cut]), sortedInts(p[cut:])}
	case histories.FaultOneWay:
		if r.IntN(2) == 0 {
			spec.Target = leaderOrFollower()
		} else {
			p := perm()
			cut := 1 + r.IntN(n-1)
			spec.Groups = [][]int{sortedInts(p[:cut]), sortedInts(p[cut:])}
		}
	case histories.FaultBridge:
		p := perm()
		half := (n - 1) / 2
		spec.Groups = [][]int{sortedInts(p[:half]), {p[half]}, sortedInts(p[half+1:])}
	case histories.FaultRing:
		spec.Groups = [][]int{perm()}
	case histories.FaultClog:
		spec.Target = leaderOrFollower()
		if n > 1 && r.IntN(2) == 0 {
			// A link to another server: one of the others, by index.
			t := r.IntN(n)
			spec.Peer = ServerTarget(t)
			if ref, _ := spec.Target.parse(n); ref.role == "server" && ref.index == t {
				spec.Peer = ServerTarget((t + 1) % n)
			}
		}
	case histories.FaultSwizzle:
		p := perm()[:(n+1)/2]
		spec.Groups = [][]int{p}
		spec.Unclog = slices.Clone(p)
		r.Shuffle(len(p), func(i, j int) { spec.Unclog[i], spec.Unclog[j] = spec.Unclog[j], spec.Unclog[i] })
		if len(p) > 1 && slices.Equal(p, spec.Unclog) {
			slices.Reverse(spec.Unclog) // "in a different order"
		}
	case histories.FaultClientReset:
		m := 1 + r.IntN(min(3, sc.Clients))
		seen := map[int]bool{}
		for len(spec.Clients) < m {
			c := r.IntN(sc.Clients)
			if !seen[c] {
				seen[c] = true
				spec.Clients = append(spec.Clients, c)
			}
		}
		slices.Sort(spec.Clients)
		spec.For = 0
	}
	return spec
}

func sortedInts(s []int) []int { return slices.Sorted(slices.Values(s)) }
