package recipes_test

import (
	"testing"
	"time"

	"zoosim/recipes"
	"zoosim/sim"
	"zoosim/zab/client"
)

// BenchmarkLockHandoff has 20 processes contend for one lock on a 3-server ensemble, each
// taking it and releasing it at once, over and over (issue 7: "lock acquire/release cycles ...
// in virtual time under 20 contending clients, and wall-clock cost per simulated lock
// handoff"). One op is one handoff: ns/op is the wall-clock cost of simulating it, and
// virtual-ms/handoff the virtual time between two holders.
func BenchmarkLockHandoff(b *testing.B) {
	e := recipeEnsemble(b, 1, 3)
	const contenders = 20
	handoffs, ready := 0, 0
	var first, last sim.Time
	var procs []*sim.Proc
	for i := range contenders {
		p, _ := recipeProcess(e, "c"+string(rune('a'+i)), func(p *sim.Proc, s *client.Session) {
			if s.WaitConnected() != nil {
				return
			}
			ready++
			for ready < contenders {
				p.Sleep(time.Millisecond)
			}
			l := recipes.NewLock(s, "/bench/lock")
			for handoffs < b.N {
				if _, err := l.Acquire(nil); err != nil {
					b.Errorf("acquire: %v", err)
					return
				}
				if handoffs == 0 {
					first = p.Now()
				}
				handoffs++
				last = p.Now()
				if err := l.Release(); err != nil {
					b.Errorf("release: %v", err)
					return
				}
			}
		})
		procs = append(procs, p)
	}
	b.ResetTimer()
	runProcesses(b, e, time.Duration(b.N)*time.Second+time.Minute, procs...)
	b.StopTimer()
	if handoffs > 1 {
		b.ReportMetric(float64(last.Sub(first))/float64(handoffs-1)/1e6, "virtual-ms/handoff")
		b.ReportMetric(float64(handoffs-1)/last.Sub(first).Seconds(), "handoffs/virtual-s")
	}
}
