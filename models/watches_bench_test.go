package models

import (
	"fmt"
	"testing"

	"zoosim/histories"
)

// watBenchHistory is a generated history of 5 servers and 20 clients (watGen), with steps
// random steps, settled at the end.
func watBenchHistory(steps int) *histories.History {
	g := watNewGen(42, 5, 20)
	for _, c := range g.cl {
		g.reconnect(c)
	}
	for range steps {
		g.step()
	}
	g.settle()
	return g.finish()
}

// BenchmarkWatches measures CheckWatches on histories of two sizes, ten times apart: the
// target is at least 1 million registrations and events per second, and the same rate at
// both sizes (linear in the history).
//
//	go test ./models -run '^$' -bench BenchmarkWatches -benchtime 20x
func BenchmarkWatches(b *testing.B) {
	for _, steps := range []int{100_000, 1_000_000} {
		h := watBenchHistory(steps)
		v := CheckWatches(h, WatchOptions{})
		if !v.OK() {
			b.Fatalf("the generated history fails: %s", v.String())
		}
		work := watMetric(v, "registrations") + watMetric(v, "watch events")
		b.Run(fmt.Sprintf("ops=%d/log=%d/regs+events=%d", len(h.Ops), len(h.Log), int(work)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				CheckWatches(h, WatchOptions{})
			}
			b.ReportMetric(work*float64(b.N)/b.Elapsed().Seconds(), "regs+events/s")
		})
	}
}
