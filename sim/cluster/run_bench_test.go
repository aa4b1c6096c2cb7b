package cluster

import (
	"testing"
	"time"
)

// BenchmarkRun runs whole scenarios, seed after seed: the sweep preset (a 10 s safety phase with
// faults) and DefaultScenario (60 s). It reports the wall time per run, the virtual time a run
// covers (from the start to convergence), their ratio, and the client ops per run:
//
//	go test ./sim/cluster -run '^$' -bench Run -cpu 1
func BenchmarkRun(b *testing.B) {
	for _, c := range []struct {
		name string
		sc   Scenario
	}{{"sweep", SweepScenario()}, {"default", DefaultScenario()}} {
		b.Run(c.name, func(b *testing.B) {
			var virtual time.Duration
			ops := 0
			for i := 0; i < b.N; i++ {
				h, err := Run(c.sc, uint64(i+1), RunOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if !h.Liveness.Converged {
					b.Fatalf("seed %d did not converge: %s", i+1, h.Liveness.Pending)
				}
				virtual += time.Duration(h.Header.End)
				ops += len(h.Ops)
			}
			wall := b.Elapsed()
			b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/run")
			b.ReportMetric(virtual.Seconds()/float64(b.N), "virtual-s/run")
			b.ReportMetric(virtual.Seconds()/wall.Seconds(), "virtual/wall")
			b.ReportMetric(float64(ops)/float64(b.N), "ops/run")
			b.ReportMetric(0, "ns/op")
		})
	}
}
