package cluster

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"zoosim/sim"
	"zoosim/tree"
	"zoosim/zab/client"
)

// BenchmarkEnsemble runs the workload: 50 clients, each in a loop of getData and
// setData (half each, 100-byte values) on 10 hot paths, against a 3- or 5-server ensemble with
// the kernel's default latencies and fsyncs. Each iteration is 10 simulated seconds after the
// ensemble is stable. It reports completed client operations per wall-clock second, the
// virtual-time throughput, and the mean and p99 latency in virtual time:
//
//	go test ./sim/cluster -run '^$' -bench Ensemble -cpu 1
func BenchmarkEnsemble(b *testing.B) {
	for _, n := range []int{3, 5} {
		b.Run(fmt.Sprintf("servers=%d", n), func(b *testing.B) { benchEnsemble(b, n) })
	}
}

func benchEnsemble(b *testing.B, servers int) {
	const clients, paths, window = 50, 10, 10 * time.Second
	var ops int
	var lat []time.Duration
	var mallocs, bytes uint64
	var before, after runtime.MemStats
	b.ResetTimer()
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		e, err := New(Options{Seed: uint64(i + 1), Servers: servers})
		if err != nil {
			b.Fatal(err)
		}
		if err := e.RunUntilStable(time.Minute); err != nil {
			b.Fatal(err)
		}
		value := make([]byte, 100)
		hot := make([]string, paths)
		for k := range hot {
			hot[k] = fmt.Sprintf("/hot%d", k)
		}
		setup := e.Spawn("setup", func(s *client.Session) {
			for k := 0; k < paths; k++ {
				if _, err := s.Create(hot[k], value, tree.OpenACLUnsafe, tree.Persistent); err != nil {
					b.Errorf("setup: %v", err)
				}
			}
		})
		w := e.World()
		w.RunWhile(func() bool { return !setup.Done() }, w.Now().Add(time.Minute))
		start := w.Now()
		end := start.Add(window)
		for c := 0; c < clients; c++ {
			e.Spawn(fmt.Sprintf("c%d", c), func(s *client.Session) {
				if err := s.WaitConnected(); err != nil {
					return
				}
				r := w.Stream(fmt.Sprintf("bench/%d", c))
				for k := 0; ; k++ {
					path := hot[r.IntN(paths)]
					t0 := w.Now()
					if t0 >= end {
						return
					}
					var err error
					if k%2 == 0 {
						_, _, err = s.GetData(path, nil)
					} else {
						_, err = s.SetData(path, value, -1)
					}
					if err == nil && w.Now() <= end {
						ops++
						lat = append(lat, w.Now().Sub(t0))
					}
				}
			})
		}
		runtime.ReadMemStats(&before)
		b.StartTimer()
		w.RunUntil(end)
		b.StopTimer()
		runtime.ReadMemStats(&after)
		mallocs += after.Mallocs - before.Mallocs
		bytes += after.TotalAlloc - before.TotalAlloc
		e.Close()
	}
	wall := b.Elapsed().Seconds()
	if wall > 0 {
		b.ReportMetric(float64(ops)/wall, "ops/wall-s")
	}
	b.ReportMetric(float64(ops)/(float64(b.N)*window.Seconds()), "ops/virtual-s")
	if ops > 0 {
		b.ReportMetric(float64(mallocs)/float64(ops), "allocs/client-op")
		b.ReportMetric(float64(bytes)/float64(ops), "B/client-op")
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		var sum time.Duration
		for _, d := range lat {
			sum += d
		}
		b.ReportMetric(float64(sum.Microseconds())/float64(len(lat))/1000, "mean-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
	b.ReportMetric(0, "ns/op")
}

// BenchmarkLeaderFailover measures, in virtual time with the default timeouts (tickTime 3 s,
// syncLimit 5, FLE's 200 ms finalize wait, the kernel's detection delay), how long a 3- or
// 5-server ensemble takes from a leader crash until a new leader serves and a client write
// succeeds again:
//
//	go test ./sim/cluster -run '^$' -bench LeaderFailover -cpu 1
func BenchmarkLeaderFailover(b *testing.B) {
	for _, n := range []int{3, 5} {
		b.Run(fmt.Sprintf("servers=%d", n), func(b *testing.B) {
			var total, worst time.Duration
			for i := 0; i < b.N; i++ {
				d := failover(b, n, uint64(i+1))
				total += d
				worst = max(worst, d)
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "virtual-s/failover")
			b.ReportMetric(worst.Seconds(), "worst-virtual-s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

func failover(b *testing.B, n int, seed uint64) time.Duration {
	e, err := New(Options{Seed: seed, Servers: n})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	if err := e.RunUntilStable(time.Minute); err != nil {
		b.Fatal(err)
	}
	w := e.World()
	l, _ := e.Leader()
	crashed := w.Now()
	var recovered sim.Time
	if err := e.Crash(l); err != nil {
		b.Fatal(err)
	}
	e.Spawn("writer", func(s *client.Session) {
		for k := 0; ; k++ {
			if _, err := s.Create(fmt.Sprintf("/after%d", k), nil, tree.OpenACLUnsafe, tree.Persistent); err == nil {
				recovered = w.Now()
				return
			}
		}
	})
	w.RunWhile(func() bool { return recovered == 0 }, crashed.Add(5*time.Minute))
	if recovered == 0 {
		b.Fatalf("seed %d: no write succeeded within 5 minutes of the crash:\n%s", seed, e.Status())
	}
	return recovered.Sub(crashed)
}
