package testbed

import (
	"cmp"
	"slices"
	"time"

	"zoosim/histories"
	"zoosim/sim/cluster"

	"pgregory.net/rapid"
)

// Property-based runs (DESIGN.md "Tests": rapid property tests of the cluster against the
// checkers; tooling.md 2.5): rapid draws a scenario's structure, the workload mix and an explicit
// fault schedule, plus one seed for the noise below it (latencies, election jitter, each
// client's choices). The seed's streams are split by purpose (DESIGN.md "The determinism
// contract"), so removing a fault or a client does not move the other streams, and rapid's
// shrinking of the drawn schedule (removing entries, moving them earlier, shortening them,
// simpler targets) reads as a smaller run of the same system.

// PropertyScenario is the base every drawn scenario starts from: SweepScenario's phases,
// network and disks with 3 servers, a 3 s safety phase and 2 hot paths per group, so that one
// case (a run and every checker) takes about 10 ms of wall time (measured: 3000 cases in 30 s on
// 2 cores) and rapid can afford the many cases a shrink tries (tooling.md 2.4).
func PropertyScenario() cluster.Scenario {
	sc := cluster.SweepScenario()
	sc.Servers, sc.Clients = 3, 3
	sc.Safety = cluster.Duration(3 * time.Second)
	sc.Workload.HotPaths = 2
	// The schedule is explicit (an empty one injects nothing), never a drawn plan.
	sc.Faults.Weights = nil
	sc.Faults.Schedule = []cluster.FaultSpec{}
	return sc
}

// The bounds of a drawn scenario.
const (
	propertyMaxClients = 4
	propertyMaxWeight  = 3
	// propertyMaxFaults: up to 8 faults (4 on average) let a flaw that needs two at once show;
	// with at most 4, the variants a network fault shows failed half as often (measured).
	propertyMaxFaults = 8
	// A fault lasts from 100 ms, longer than the kernel's detection delay of a cut connection
	// (5 to 50 ms), so the servers notice it, to 2 s, which keeps runs short (a fault that
	// outlasts the safety phase is healed when it ends).
	propertyMinFor = 100 * time.Millisecond
	propertyMaxFor = 2 * time.Second
)

// ScenarioGen draws a scenario from base: its client count (1 to 4), its workload mix (a weight
// of 0 to 3 for each kind, at least one kind) and its fault schedule (ScheduleGen). Everything
// else (servers, phases, latencies, variants) is base's. Each draw is a valid scenario
// (Scenario.Validate).
//
// Shrinking moves toward one client, a register-only workload and an empty schedule, so a
// minimal failing case keeps only what the failure needs.
func ScenarioGen(base cluster.Scenario) *rapid.Generator[cluster.Scenario] {
	return rapid.Custom(func(t *rapid.T) cluster.Scenario {
		sc := base
		sc.Swarm = false
		sc.Clients = rapid.IntRange(1, propertyMaxClients).Draw(t, "clients")
		sc.Workload.Mix = MixGen().Draw(t, "mix")
		sc.Faults.Weights = nil
		sc.Faults.Schedule = ScheduleGen(sc).Draw(t, "schedule")
		return sc
	})
}

// MixGen draws a workload mix: a weight of 0 to 3 for each kind in cluster.WorkloadKinds order;
// all zero means register alone (so the shrunk mix is {register: 1}).
func MixGen() *rapid.Generator[cluster.Mix] {
	return rapid.Custom(func(t *rapid.T) cluster.Mix {
		mix := cluster.Mix{}
		for _, k := range cluster.WorkloadKinds() {
			if w := rapid.IntRange(0, propertyMaxWeight).Draw(t, string(k)); w > 0 {
				mix[k] = w
			}
		}
		if len(mix) == 0 {
			mix[cluster.WorkloadRegister] = 1
		}
		return mix
	})
}

// ScheduleGen draws an explicit fault schedule for sc (its servers, clients and safety phase):
// 0 to 8 entries of FaultGen, sorted by start (stably: equal starts keep their drawn order).
// rapid draws it as a slice, so shrinking removes entries one by one. Entries are drawn
// independently: the runner itself skips a crash that would take more than a minority down and
// ends a network fault when another starts (FaultSpec), so any drawn list is a schedule it runs.
func ScheduleGen(sc cluster.Scenario) *rapid.Generator[[]cluster.FaultSpec] {
	if len(faultKinds(sc)) == 0 {
		return rapid.Just([]cluster.FaultSpec{})
	}
	return rapid.Custom(func(t *rapid.T) []cluster.FaultSpec {
		sched := rapid.SliceOfN(FaultGen(sc), 0, propertyMaxFaults).Draw(t, "faults")
		slices.SortStableFunc(sched, func(a, b cluster.FaultSpec) int { return cmp.Compare(a.At, b.At) })
		return sched
	})
}

// faultKinds are the kinds FaultGen draws for sc: those of cluster.DefaultFaultWeights (the
// faults the correct protocol must survive; lost fsyncs break the disk's promise and are left
// out) that sc's ensemble can have, in cluster.FaultKinds order, crash first, so a kind shrinks
// toward a plain crash.
func faultKinds(sc cluster.Scenario) []histories.FaultKind {
	var kinds []histories.FaultKind
	weights := cluster.DefaultFaultWeights()
	for _, k := range cluster.FaultKinds() {
		if weights[k] > 0 && sc.Plannable(k) {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// FaultGen draws one schedule entry for sc: a kind of cluster.DefaultFaultWeights, a start in
// the safety phase (in whole milliseconds, shrinking toward its beginning), a length of 100 ms to
// 2 s (shrinking toward 100 ms), and what the kind acts on, as the runner's plan shapes it
// (sim/cluster schedule.go drawFault): a target among the leader, the followers and the servers
// by index (shrinking toward the leader), groups cut from a permutation of the servers, client
// slots for a reset. Kinds sc's ensemble cannot have (a bridge needs 3 servers, a ring 4, a
// reset a client) are not drawn; FaultGen panics when sc can have none (one server and no
// clients).
func FaultGen(sc cluster.Scenario) *rapid.Generator[cluster.FaultSpec] {
	n := sc.Servers
	kinds := faultKinds(sc)
	targets := []cluster.Target{cluster.TargetLeader}
	for k := range n - 1 {
		targets = append(targets, cluster.FollowerTarget(k))
	}
	for i := range n {
		targets = append(targets, cluster.ServerTarget(i))
	}
	return rapid.Custom(func(t *rapid.T) cluster.FaultSpec {
		spec := cluster.FaultSpec{Kind: rapid.SampledFrom(kinds).Draw(t, "kind")}
		spec.At = drawMillis(t, "at", 0, time.Duration(sc.Safety)-time.Millisecond)
		spec.For = drawMillis(t, "for", propertyMinFor, propertyMaxFor)
		target := func() cluster.Target { return rapid.SampledFrom(targets).Draw(t, "target") }
		// cut splits a permutation of the servers into groups of the given sizes (summing to n).
		cut := func(sizes ...int) [][]int {
			p := rapid.Permutation(serverIndices(n)).Draw(t, "servers")
			var groups [][]int
			for _, s := range sizes {
				groups = append(groups, slices.Sorted(slices.Values(p[:s])))
				p = p[s:]
			}
			return groups
		}
		switch spec.Kind {
		case histories.FaultCrash, histories.FaultPause, histories.FaultIsolate:
			spec.Target = target()
		case histories.FaultCrashAfterWrite:
			// A follower (as the plan draws it): the leader has its own triggered crash.
			spec.Target = cluster.FollowerTarget(rapid.IntRange(0, n-2).Draw(t, "follower"))
		case histories.FaultCrashProposing:
			// Armed on every server: nothing to choose.
		case histories.FaultDisk:
			spec.Target, spec.Mode = target(), cluster.DiskCorruptTail
		case histories.FaultPartition:
			minority := rapid.IntRange(1, n/2).Draw(t, "minority")
			spec.Groups = cut(minority, n-minority)
		case histories.FaultOneWay:
			if rapid.Bool().Draw(t, "groups") {
				senders := rapid.IntRange(1, n-1).Draw(t, "senders")
				spec.Groups = cut(senders, n-senders)
			} else {
				spec.Target = target()
			}
		case histories.FaultBridge:
			side := (n - 1) / 2
			spec.Groups = cut(side, 1, n-1-side)
		case histories.FaultRing:
			spec.Groups = cut(n)
		case histories.FaultClog:
			spec.Target = target()
			if rapid.Bool().Draw(t, "link") {
				spec.Peer = cluster.ServerTarget(rapid.IntRange(0, n-1).Draw(t, "peer"))
			}
		case histories.FaultSwizzle:
			clogged := cut((n+1)/2, n-(n+1)/2)[0]
			spec.Groups = [][]int{rapid.Permutation(clogged).Draw(t, "clog_order")}
			spec.Unclog = rapid.Permutation(clogged).Draw(t, "unclog_order")
		case histories.FaultClientReset:
			spec.Clients = slices.Sorted(slices.Values(
				rapid.SliceOfNDistinct(rapid.IntRange(0, sc.Clients-1), 1, min(3, sc.Clients), rapid.ID[int]).Draw(t, "clients")))
			spec.For = 0 // an instant fault
		}
		return spec
	})
}

// drawMillis draws a duration in [lo, hi] in whole milliseconds, shrinking toward lo.
func drawMillis(t *rapid.T, label string, lo, hi time.Duration) cluster.Duration {
	ms := rapid.Int64Range(int64(lo/time.Millisecond), int64(hi/time.Millisecond)).Draw(t, label+"_ms")
	return cluster.Duration(time.Duration(ms) * time.Millisecond)
}

func serverIndices(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
