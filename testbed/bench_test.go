package testbed

import (
	"testing"
	"time"

	"zoosim/models"
	"zoosim/sim/cluster"
)

// BenchmarkRunAndCheck is a whole testbed run of the default scenario with a 10 s safety phase
// (cluster.SweepScenario: 5 servers, 20 clients, faults every 1.5 s on average), seed after
// seed: the simulated run, then every checker on its history as Check runs them (sharing what
// they can, such as one replay of the committed log for zxid-order and sessions). It reports
// the time per run (wall-s/run: simulate-s/run plus check-s/run), the virtual time covered and
// the virtual-to-wall ratio of the run alone and with its checks. Each checker is also timed
// on its own (<name>-s/run, outside wall-s/run), to show where the checking time goes:
//
//	go test ./testbed -run '^$' -bench RunAndCheck -cpu 1
func BenchmarkRunAndCheck(b *testing.B) {
	sc := cluster.SweepScenario()
	var simulate, check, virtual time.Duration
	checking := map[string]time.Duration{}
	ops := 0
	for i := 0; i < b.N; i++ {
		start := time.Now()
		h, err := cluster.Run(sc, uint64(i+1), cluster.RunOptions{})
		if err != nil {
			b.Fatal(err)
		}
		simulate += time.Since(start)
		virtual += time.Duration(h.Header.End)
		ops += len(h.Ops)
		start = time.Now()
		vs, err := Check(h, CheckOptions{})
		if err != nil {
			b.Fatal(err)
		}
		check += time.Since(start)
		if status := Overall(vs); status != models.Pass {
			b.Fatalf("seed %d: %s\n%s", i+1, status, (&Result{Verdicts: vs}).Table())
		}
		for _, c := range Checkers() {
			start := time.Now()
			if _, err := Check(h, CheckOptions{Only: []string{c.Name}}); err != nil {
				b.Fatal(err)
			}
			checking[c.Name] += time.Since(start)
		}
	}
	wall := simulate + check
	n := float64(b.N)
	b.ReportMetric(wall.Seconds()/n, "wall-s/run")
	b.ReportMetric(simulate.Seconds()/n, "simulate-s/run")
	b.ReportMetric(check.Seconds()/n, "check-s/run")
	for _, c := range Checkers() {
		b.ReportMetric(checking[c.Name].Seconds()/n, c.Name+"-s/run")
	}
	b.ReportMetric(virtual.Seconds()/n, "virtual-s/run")
	b.ReportMetric(virtual.Seconds()/simulate.Seconds(), "virtual/simulate-wall")
	b.ReportMetric(virtual.Seconds()/wall.Seconds(), "virtual/wall")
	b.ReportMetric(float64(ops)/n, "ops/run")
	b.ReportMetric(0, "ns/op")
}
