package models

import (
	"runtime"
	"sync"
	"testing"

	"zoosim/histories"
)

// ordBenchHistory is a correct history of about a million ops, half of them reads, from 32
// clients on 5 servers whose followers lag by up to 50 txns; it is built once per process.
var ordBenchHistory = sync.OnceValue(func() *histories.History {
	return ordGenHistory(&testing.B{}, ordGenConfig{seed: 42, ops: 1_000_000, clients: 32, servers: 5, paths: 64,
		readPct: 50, syncPct: 2, movePct: 1, maxLag: 50, lossPct: 1, closeEnd: true})
})

// BenchmarkZxidOrder measures CheckZxidOrder on a correct history of about a million ops
// (target, issue 5: at least 1M ops/s, linear in the history's length). Run it on one core:
//
//	go test ./models -run '^$' -bench ZxidOrder -cpu 1
func BenchmarkZxidOrder(b *testing.B) {
	h := ordBenchHistory()
	runtime.GC() // the generator's garbage is not the checker's
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if v := CheckZxidOrder(h, ZxidOrderOptions{}); !v.OK() {
			b.Fatal(v.String())
		}
	}
	b.ReportMetric(float64(len(h.Ops))*float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkZxidOrderTenth runs the checker on a tenth of the same workload, to show that the
// time per op does not grow with the history's length.
func BenchmarkZxidOrderTenth(b *testing.B) {
	h := ordGenHistory(b, ordGenConfig{seed: 42, ops: 100_000, clients: 32, servers: 5, paths: 64,
		readPct: 50, syncPct: 2, movePct: 1, maxLag: 50, lossPct: 1, closeEnd: true})
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if v := CheckZxidOrder(h, ZxidOrderOptions{}); !v.OK() {
			b.Fatal(v.String())
		}
	}
	b.ReportMetric(float64(len(h.Ops))*float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkSessions measures CheckSessions on the same million-op history.
func BenchmarkSessions(b *testing.B) {
	h := ordBenchHistory()
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if v := CheckSessions(h, SessionOptions{}); !v.OK() {
			b.Fatal(v.String())
		}
	}
	b.ReportMetric(float64(len(h.Ops))*float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
