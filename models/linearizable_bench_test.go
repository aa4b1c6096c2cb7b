package models

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"zoosim/histories"
)

// linBenchHistories caches generated histories across benchmark runs (generation is not what
// is measured).
var linBenchHistories sync.Map // linWorkload → *histories.History

func linBenchHistory(b *testing.B, w linWorkload) *histories.History {
	if h, ok := linBenchHistories.Load(w); ok {
		return h.(*histories.History)
	}
	h := linGenerate(b, w)
	linBenchHistories.Store(w, h)
	return h
}

// BenchmarkLinearizable checks a correct 100,000-op history of 20 clients (linGenerate's
// realistic workload: hot registers with conditional setData, create/delete churn, sequential
// creates and deletes under two parents, ephemerals with closes and expiries, multis; 1% of
// replies lost, resolved by oracle patching). Target: under 10 s on one core
// (go test ./models -run '^$' -bench Linearizable -cpu 1 -benchtime 1x).
func BenchmarkLinearizable(b *testing.B) {
	h := linBenchHistory(b, linWorkload{seed: 42, clients: 20, ops: 100_000, unknown: 0.01})
	b.ResetTimer()
	var v Verdict
	for b.Loop() {
		v = CheckLinearizable(h, LinearizableOptions{Timeout: 5 * time.Minute})
	}
	b.StopTimer()
	if v.Status != Pass {
		b.Fatalf("want pass, got\n%s", v.String())
	}
	b.ReportMetric(float64(len(h.Ops))*float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(linMetric(v, "largest partition"), "largest-partition-ops")
	b.Logf("%s", v.Summary)
}

// BenchmarkLinearizableUnpatched shows how the check scales with unknown outcomes when they
// are not patched (tooling.md 1.4: each returns at infinity and overlaps every later op of its
// partition): 20,000-op histories of 20 clients with a growing share of lost replies, checked
// unpatched with a 10 s timeout (a timed-out run reports timed-out=1 and its ns/op is the
// timeout), and patched for comparison.
func BenchmarkLinearizableUnpatched(b *testing.B) {
	for _, unknown := range []float64{0, 0.0025, 0.005, 0.01, 0.02} {
		for _, unpatched := range []bool{true, false} {
			mode := "patched"
			if unpatched {
				mode = "unpatched"
			}
			b.Run(fmt.Sprintf("unknown=%.2f%%/%s", unknown*100, mode), func(b *testing.B) {
				h := linBenchHistory(b, linWorkload{seed: 42, clients: 20, ops: 20_000, unknown: unknown})
				b.ResetTimer()
				var v Verdict
				for b.Loop() {
					v = CheckLinearizable(h, LinearizableOptions{Timeout: 10 * time.Second, Unpatched: unpatched})
				}
				b.StopTimer()
				if v.Status == Fail {
					b.Fatalf("want pass, got\n%s", v.String())
				}
				b.ReportMetric(linMetric(v, "unknown")+linMetric(v, "patched"), "unknown-ops")
				if v.Status == Inconclusive {
					b.ReportMetric(1, "timed-out")
				}
			})
		}
	}
}
