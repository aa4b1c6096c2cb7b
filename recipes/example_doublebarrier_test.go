package recipes_test

import (
	"fmt"
	"time"

	"zoosim/recipes"
	"zoosim/sim/cluster"
	"zoosim/zab/client"
)

// Three workers compute together in a double barrier: they enter when all three are present,
// work for different times, and nobody's Leave returns before the slowest has finished.
func ExampleDoubleBarrier() {
	e, err := cluster.New(cluster.Options{Seed: 1, Servers: 3})
	if err != nil {
		panic(err)
	}
	defer e.Close()
	if err := e.RunUntilStable(time.Minute); err != nil {
		panic(err)
	}
	finished := 0 // workers done with their work
	for i, name := range []string{"ann", "bob", "cid"} {
		e.Spawn(name, func(s *client.Session) {
			if err := s.WaitConnected(); err != nil {
				return
			}
			b := recipes.NewDoubleBarrier(s, "/app/double", 3)
			if _, err := b.Enter(nil); err != nil {
				fmt.Println(name, "failed:", err)
				return
			}
			// The work: 100 ms for ann, 200 for bob, 300 for cid. (A process may be woken for
			// something else, such as a watch that fired after it stopped waiting: it parks
			// until the time has come.)
			work := time.Duration(i+1) * 100 * time.Millisecond
			until := s.Now() + work
			s.After(work, s.Wake)
			for s.Now() < until {
				s.Park()
			}
			finished++
			if err := b.Leave(nil); err != nil {
				fmt.Println(name, "failed:", err)
				return
			}
			fmt.Printf("%s left after all three finished: %v\n", name, finished == 3)
		})
	}
	e.World().RunFor(10 * time.Second)
	// Unordered output:
	// ann left after all three finished: true
	// bob left after all three finished: true
	// cid left after all three finished: true
}
