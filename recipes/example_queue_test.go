package recipes_test

import (
	"fmt"
	"time"

	"zoosim/recipes"
	"zoosim/sim/cluster"
	"zoosim/zab/client"
)

// A producer puts three jobs on a queue; a consumer that started first, on an empty queue,
// blocks until they come and takes them in order, each once.
func ExampleQueue() {
	e, err := cluster.New(cluster.Options{Seed: 1, Servers: 3})
	if err != nil {
		panic(err)
	}
	defer e.Close()
	if err := e.RunUntilStable(time.Minute); err != nil {
		panic(err)
	}
	e.Spawn("consumer", func(s *client.Session) {
		if err := s.WaitConnected(); err != nil {
			return
		}
		q := recipes.NewQueue(s, "/app/jobs")
		for range 3 {
			it, err := q.Take(nil)
			if err != nil {
				fmt.Println("take:", err)
				return
			}
			fmt.Println("took", string(it.Data))
		}
	})
	e.Spawn("producer", func(s *client.Session) {
		if err := s.WaitConnected(); err != nil {
			return
		}
		until := s.Now() + time.Second
		s.After(time.Second, s.Wake)
		for s.Now() < until {
			s.Park()
		}
		q := recipes.NewQueue(s, "/app/jobs")
		for _, job := range []string{"resize", "encode", "upload"} {
			if _, err := q.Put(nil, []byte(job)); err != nil {
				fmt.Println("put:", err)
			}
		}
	})
	e.World().RunFor(10 * time.Second)
	// Output:
	// took resize
	// took encode
	// took upload
}
