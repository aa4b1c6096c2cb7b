package cluster

import (
	"time"

	"zoosim/sim"
)

// Swarm returns the scenario drawn from seed: DefaultScenario's phases, session timeout and tick
// time, with everything else drawn from the seed's own "swarm" stream: the cluster size, the
// client count, the workload mix and shape, which fault kinds happen and how often, the network
// and disk latencies.
//
// This is swarm testing, as TigerBeetle's VOPR does it (options_swarm): rather than one fixed
// scenario that every seed explores, each seed also picks a scenario, so some runs have no
// partitions and many crashes, others slow disks and only clogs. Feature interactions that a
// balanced mix dilutes get seeds of their own. The same seed always draws the same scenario.
func Swarm(seed uint64) Scenario {
	sc := DefaultScenario()
	sc.Swarm = true
	return sc.Drawn(seed)
}

// drawSwarm draws every knob but base's phases, session timeout, tick time and variants.
func drawSwarm(base Scenario, seed uint64) Scenario {
	// Its own stream, forked from the seed apart from every stream the world forks (those
	// branch off "purpose", "net/...", "disk/..." and "node/..."), so drawing the scenario moves
	// nothing in the run.
	r := sim.NewRand(seed).Fork("swarm")
	sc := base
	sc.Swarm = false
	pickDur := func(ds ...time.Duration) Duration { return Duration(ds[r.IntN(len(ds))]) }

	sc.Servers = []int{3, 3, 5, 5, 7}[r.IntN(5)]
	sc.Clients = int(r.Between(4, 30))
	sc.KnownServers = 0
	if r.IntN(4) == 0 {
		sc.KnownServers = int(r.Between(1, int64(sc.Servers)))
	}

	// The workload: each kind present with probability 3/4 and a weight of 1 to 4; at least one.
	mix := Mix{}
	for _, k := range OpKinds() {
		if r.IntN(4) != 0 {
			mix[k] = int(r.Between(1, 4))
		}
	}
	if len(mix) == 0 {
		mix[WorkloadRegister] = 1
	}
	sc.Workload = Workload{
		Mix:       mix,
		HotPaths:  int(r.Between(1, 6)),
		ValueSize: []int{0, 8, 32, 100, 1000}[r.IntN(5)],
		Think:     pickDur(time.Millisecond, 5*time.Millisecond, 20*time.Millisecond, 50*time.Millisecond, 200*time.Millisecond),
	}

	// The faults: each kind of the default weights present with probability 1/2, weight 1 to 5;
	// one run in ten has none at all.
	weights := FaultWeights{}
	if r.IntN(10) != 0 {
		for _, k := range FaultKinds() {
			if DefaultFaultWeights()[k] > 0 && r.IntN(2) == 0 {
				weights[k] = int(r.Between(1, 5))
			}
		}
	}
	sc.Faults = Faults{
		Weights:      weights,
		MeanGap:      pickDur(300*time.Millisecond, time.Second, 2*time.Second, 5*time.Second),
		MeanDuration: pickDur(100*time.Millisecond, 500*time.Millisecond, 2*time.Second, 5*time.Second),
	}

	// The network and the disks: a LAN, a slow LAN or a WAN; SSDs or spinning disks; disks that
	// lose or tear their unsynced writes.
	median := pickDur(100*time.Microsecond, 300*time.Microsecond, 2*time.Millisecond, 10*time.Millisecond)
	sc.Network = Network{
		Latency:        Dist(sim.LogNormalDist(time.Duration(median)/4, time.Duration(median), int64(r.Between(200, 1000)))),
		DetectionDelay: Dist(sim.UniformIn(time.Duration(median), time.Duration(median)+time.Duration(pickDur(10*time.Millisecond, 50*time.Millisecond, 200*time.Millisecond)))),
	}
	fsync := pickDur(200*time.Microsecond, time.Millisecond, 5*time.Millisecond, 20*time.Millisecond)
	sc.Disk = Disk{
		FsyncLatency: Dist(sim.LogNormalDist(time.Duration(fsync)/4, time.Duration(fsync), int64(r.Between(200, 800)))),
		Crash:        []string{sim.LoseUnsynced.String(), sim.TornUnsynced.String()}[r.IntN(2)],
	}
	return sc
}
