package recipes_test

import (
	"errors"
	"fmt"
	"time"

	"zoosim/recipes"
	"zoosim/sim/cluster"
	"zoosim/zab/client"
)

// Three candidates run for leader on a simulated 3-server ensemble. Each leader asks who leads,
// leads a while and resigns; the next candidate in line takes over, with a larger token.
func ExampleElection() {
	e, err := cluster.New(cluster.Options{Seed: 1, Servers: 3})
	if err != nil {
		panic(err)
	}
	defer e.Close()
	if err := e.RunUntilStable(time.Minute); err != nil {
		panic(err)
	}
	var tokens []int64
	for _, name := range []string{"alice", "bob", "carol"} {
		e.Spawn(name, func(s *client.Session) {
			if err := s.WaitConnected(); err != nil {
				return
			}
			el := recipes.NewElection(s, "/app/election", name)
			token, err := el.Campaign(nil)
			if err != nil {
				fmt.Println(name, "failed:", err)
				return
			}
			tokens = append(tokens, token)
			_, leader, _ := recipes.Leader(s, nil, "/app/election")
			fmt.Printf("%s leads (term %d); the leader query says %s\n", name, len(tokens), leader)
			// Lead for 100 ms unless the leadership is lost first.
			if err := el.WaitLost(recipes.WithTimeout(s, 100*time.Millisecond)); !errors.Is(err, recipes.ErrTimeout) {
				fmt.Println(name, "lost the leadership:", err)
			}
			if err := el.Resign(); err != nil {
				fmt.Println(name, "resign:", err)
			}
		})
	}
	e.World().RunFor(10 * time.Second)
	fmt.Println("tokens increase:", len(tokens) == 3 && tokens[0] < tokens[1] && tokens[1] < tokens[2])
	// Output:
	// bob leads (term 1); the leader query says bob
	// carol leads (term 2); the leader query says carol
	// alice leads (term 3); the leader query says alice
	// tokens increase: true
}
