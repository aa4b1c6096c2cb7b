package recipes_test

import (
	"fmt"
	"time"

	"zoosim/recipes"
	"zoosim/sim/cluster"
	"zoosim/zab/client"
)

// An operator publishes three versions of a configuration on a simulated 3-server ensemble,
// each based on the one before; a service reads it with a data watch and reads it again at
// each change.
func ExampleConfig() {
	e, err := cluster.New(cluster.Options{Seed: 1, Servers: 3})
	if err != nil {
		panic(err)
	}
	defer e.Close()
	if err := e.RunUntilStable(time.Minute); err != nil {
		panic(err)
	}
	e.Spawn("service", func(s *client.Session) {
		if err := s.WaitConnected(); err != nil {
			return
		}
		cfg := recipes.NewConfig(s, "/app/config")
		for range 4 {
			v, err := cfg.Next(nil) // the configuration now, then at each change
			if err != nil {
				return
			}
			fmt.Printf("service: version %d %q\n", v.Version, v.Data)
		}
	})
	e.World().RunFor(time.Second)
	for i, timeout := range []string{"1s", "2s", "5s"} {
		e.Spawn(fmt.Sprintf("operator-%d", i), func(s *client.Session) {
			if err := s.WaitConnected(); err != nil {
				return
			}
			cfg := recipes.NewConfig(s, "/app/config")
			cur, err := cfg.Read(nil)
			if err != nil {
				return
			}
			if _, err := cfg.Publish(nil, []byte("timeout="+timeout), cur.Version); err != nil {
				fmt.Println("operator:", err)
			}
		})
		e.World().RunFor(time.Second)
	}
	// Output:
	// service: version -1 ""
	// service: version 0 "timeout=1s"
	// service: version 1 "timeout=2s"
	// service: version 2 "timeout=5s"
}
