package recipes_test

import (
	"fmt"
	"time"

	"zoosim/recipes"
	"zoosim/sim/cluster"
	"zoosim/zab/client"
)

// A monitor follows a group's members on a simulated 3-server ensemble with one child watch,
// while two workers join and one of them, told to stop, leaves.
func ExampleGroup() {
	e, err := cluster.New(cluster.Options{Seed: 1, Servers: 3})
	if err != nil {
		panic(err)
	}
	defer e.Close()
	if err := e.RunUntilStable(time.Minute); err != nil {
		panic(err)
	}
	e.Spawn("monitor", func(s *client.Session) {
		if err := s.WaitConnected(); err != nil {
			return
		}
		g := recipes.NewGroup(s, "/app/workers")
		for range 4 {
			v, err := g.Next(nil) // the group now, then at each join or leave
			if err != nil {
				return
			}
			fmt.Printf("members: {%s}\n", v)
		}
	})
	e.World().RunFor(time.Second)
	stop := recipes.NewCancel()
	for _, name := range []string{"worker-1", "worker-2"} {
		e.Spawn(name, func(s *client.Session) {
			if err := s.WaitConnected(); err != nil {
				return
			}
			g := recipes.NewGroup(s, "/app/workers")
			if _, err := g.Join(nil, name, []byte("host of "+name)); err != nil {
				fmt.Println(name, "failed:", err)
				return
			}
			if name == "worker-2" {
				for stop.Err() == nil {
					_, _ = g.Next(stop) // work (here: follow the group) until told to stop
				}
				_ = g.Leave()
			}
		})
		e.World().RunFor(time.Second)
	}
	stop.Cancel()
	e.World().RunFor(time.Second)
	// Output:
	// members: {}
	// members: {worker-1}
	// members: {worker-1,worker-2}
	// members: {worker-1}
}
