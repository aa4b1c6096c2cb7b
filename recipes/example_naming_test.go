package recipes_test

import (
	"fmt"
	"time"

	"zoosim/recipes"
	"zoosim/sim/cluster"
	"zoosim/zab/client"
)

// Two instances of a service register their endpoints on a simulated 3-server ensemble; a
// client resolves the service, and when one instance's session ends its endpoint goes.
func ExampleService() {
	e, err := cluster.New(cluster.Options{Seed: 1, Servers: 3})
	if err != nil {
		panic(err)
	}
	defer e.Close()
	if err := e.RunUntilStable(time.Minute); err != nil {
		panic(err)
	}
	stop := recipes.NewCancel()
	for i, name := range []string{"api-1", "api-2"} {
		e.Spawn(name, func(s *client.Session) {
			if err := s.WaitConnected(); err != nil {
				return
			}
			svc := recipes.NewService(s, "/services/api")
			if _, err := svc.Register(nil, name, fmt.Sprintf("10.0.0.%d:8080", i+1)); err != nil {
				fmt.Println(name, "failed:", err)
				return
			}
			if name == "api-2" {
				for stop.Err() == nil {
					_, _ = svc.Next(stop) // serve until told to stop
				}
				s.Close() // the instance goes away: its session's end deregisters it
			}
		})
	}
	e.World().RunFor(time.Second)
	e.Spawn("client", func(s *client.Session) {
		if err := s.WaitConnected(); err != nil {
			return
		}
		svc := recipes.NewService(s, "/services/api")
		res, _ := svc.Resolve(nil)
		fmt.Printf("endpoints: %s\n", res)
		stop.Cancel()
		res, _ = svc.Next(nil)
		fmt.Printf("endpoints: %s\n", res)
	})
	e.World().RunFor(time.Second)
	// Output:
	// endpoints: api-1=10.0.0.1:8080,api-2=10.0.0.2:8080
	// endpoints: api-1=10.0.0.1:8080
}
