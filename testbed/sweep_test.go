package testbed

import (
	"fmt"
	"testing"

	"zoosim/sim/cluster"
)

// TestSweepDefault is the fixed-seed sweep of the correct protocol (DESIGN.md "Tests"):
// SweepScenario's 5 servers, 20 clients, every workload and every fault kind the protocol must
// survive for 10 simulated seconds, then healing. Every checker must pass: zero violations and
// zero inconclusive verdicts. A fast set by default; -testbed.seeds=N or ZOOSIM_SWEEP=N for the
// long sweep. A failing seed is saved under testdata/failures with the command that replays it.
func TestSweepDefault(t *testing.T) {
	sweep(t, "sweep", cluster.SweepScenario(), sweepSeeds(t, 40))
}

// TestSweepSwarm is the same over swarm scenarios: each seed draws the cluster size, the
// workload mix, the fault kinds and rates and the latencies (cluster.Swarm).
func TestSweepSwarm(t *testing.T) {
	sc := cluster.SweepScenario()
	sc.Swarm = true
	sweep(t, "swarm", sc, sweepSeeds(t, 24))
}

func sweep(t *testing.T, name string, sc cluster.Scenario, seeds int) {
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		t.Run(fmt.Sprintf("%s/seed=%d", name, seed), func(t *testing.T) {
			t.Parallel()
			r, err := Run(sc, seed, Options{})
			if err != nil {
				t.Fatal(err)
			}
			mustPass(t, r)
		})
	}
}
