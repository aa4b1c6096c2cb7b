package recipes_test

import (
	"fmt"
	"testing"
	"time"

	"zoosim/recipes"
	"zoosim/sim"
	"zoosim/sim/cluster"
	"zoosim/zab/client"
)

// BenchmarkElectionFailover has 20 candidates contend in one election on a 3-server ensemble and
// measures the failover: the virtual time from the moment the leader goes to the next
// candidate's election (issue 7: "election failover time in virtual time under 20 contending
// clients"), reported as virtual-ms/failover. One op is one failover. The leader goes in one of
// three ways:
//
//   - resign: it resigns (deletes its node) and runs again at the back of the line;
//   - session-closed: it closes its session (its ephemeral node goes with the close), and a new
//     candidate on a new client node takes its place;
//   - session-expired: its client node crashes and the ensemble must expire its session: the
//     session timeout (the 4 s that recipeEnsemble asks for is raised to 6 s, twice the
//     ensemble's 3 s tick, zookeeper.md A9) plus the wait for the leader's next expiry tick;
//     a new candidate takes its place.
//
// ns/op is the wall-clock cost of simulating one failover. In the session variants it includes
// adding a client node, whose cost grows with the nodes already in the world, so it grows with
// b.N; the resign variant adds no node.
func BenchmarkElectionFailover(b *testing.B) {
	for _, how := range []string{"resign", "session-closed", "session-expired"} {
		b.Run(how, func(b *testing.B) { electionBenchFailover(b, how) })
	}
}

func electionBenchFailover(b *testing.B, how string) {
	e := recipeEnsemble(b, 1, 3)
	w := e.World()
	const candidates = 20
	failovers, spawned := 0, 0
	var total time.Duration
	gone := sim.Never // when the last leader went
	stop := recipes.NewCancel()
	var spawn func()
	spawn = func() {
		name := fmt.Sprintf("c%d", spawned)
		spawned++
		c, node := e.NewClient(name, client.Config{})
		node.Spawn(name, func(p *sim.Proc) {
			s := client.NewSession(c, cluster.NewWaiter(p))
			if s.WaitConnected() != nil {
				return
			}
			el := recipes.NewElection(s, "/bench/election", name)
			for {
				if _, err := el.Campaign(stop); err != nil {
					if stop.Err() == nil {
						b.Errorf("%s: campaign: %v", name, err)
					}
					return
				}
				if gone != sim.Never {
					failovers++
					total += p.Now().Sub(gone)
				}
				if failovers >= b.N {
					stop.Cancel()
					return
				}
				gone = p.Now()
				switch how {
				case "resign":
					if err := el.Resign(); err != nil {
						b.Errorf("%s: resign: %v", name, err)
						return
					}
				case "session-closed":
					s.Close()
					w.After(0, "replace "+name, spawn)
					return
				default:
					w.After(0, "crash "+name, func() {
						_ = w.Crash(node.ID())
						spawn()
					})
					for {
						p.Park() // the crash unwinds the process
					}
				}
			}
		})
	}
	for range candidates {
		spawn()
	}
	b.ResetTimer()
	limit := time.Duration(b.N)*10*time.Second + time.Minute
	if w.RunWhile(func() bool { return stop.Err() == nil }, w.Now().Add(limit)) {
		b.Fatalf("%d of %d failovers after %v of virtual time:\n%s", failovers, b.N, limit, e.Status())
	}
	b.StopTimer()
	if failovers > 0 {
		b.ReportMetric(float64(total)/float64(failovers)/1e6, "virtual-ms/failover")
	}
}
