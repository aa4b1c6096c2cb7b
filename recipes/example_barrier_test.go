package recipes_test

import (
	"fmt"
	"time"

	"zoosim/recipes"
	"zoosim/sim/cluster"
	"zoosim/zab/client"
)

// Three workers meet at a 3-party barrier on a simulated 3-server ensemble: the first two wait
// for the third, then all go on.
func ExampleBarrier() {
	e, err := cluster.New(cluster.Options{Seed: 1, Servers: 3})
	if err != nil {
		panic(err)
	}
	defer e.Close()
	if err := e.RunUntilStable(time.Minute); err != nil {
		panic(err)
	}
	start := e.World().Now()
	for i, name := range []string{"ann", "bob", "cid"} {
		e.Spawn(name, func(s *client.Session) {
			if err := s.WaitConnected(); err != nil {
				return
			}
			// The workers arrive a second apart.
			until := s.Now() + time.Duration(i)*time.Second
			s.After(time.Duration(i)*time.Second, s.Wake)
			for s.Now() < until {
				s.Park()
			}
			b := recipes.NewBarrier(s, "/app/barrier", 3)
			if _, err := b.Enter(nil); err != nil {
				fmt.Println(name, "failed:", err)
				return
			}
			fmt.Printf("%s passed after the third arrival: %v\n", name, time.Duration(s.Now())-time.Duration(start) >= 2*time.Second)
			_ = b.Exit()
		})
	}
	e.World().RunFor(10 * time.Second)
	// Unordered output:
	// ann passed after the third arrival: true
	// bob passed after the third arrival: true
	// cid passed after the third arrival: true
}
