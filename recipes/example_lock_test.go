package recipes_test

import (
	"fmt"
	"time"

	"zoosim/recipes"
	"zoosim/sim/cluster"
	"zoosim/zab/client"
)

// Two processes take turns with a lock on a simulated 3-server ensemble. Each hold comes with a
// fencing token, the lock node's czxid, which the second holder's exceeds.
func ExampleLock() {
	e, err := cluster.New(cluster.Options{Seed: 1, Servers: 3})
	if err != nil {
		panic(err)
	}
	defer e.Close()
	if err := e.RunUntilStable(time.Minute); err != nil {
		panic(err)
	}
	var tokens []int64
	for _, name := range []string{"alice", "bob"} {
		e.Spawn(name, func(s *client.Session) {
			if err := s.WaitConnected(); err != nil {
				return
			}
			l := recipes.NewLock(s, "/app/lock")
			token, err := l.Acquire(nil)
			if err != nil {
				fmt.Println(name, "failed:", err)
				return
			}
			tokens = append(tokens, token)
			fmt.Printf("%s holds the lock (hold %d)\n", name, len(tokens))
			if err := l.Release(); err != nil {
				fmt.Println(name, "release:", err)
			}
		})
	}
	e.World().RunFor(10 * time.Second)
	fmt.Println("tokens increase:", len(tokens) == 2 && tokens[1] > tokens[0])
	// Output:
	// bob holds the lock (hold 1)
	// alice holds the lock (hold 2)
	// tokens increase: true
}
