package recipes_test

import (
	"fmt"
	"time"

	"zoosim/recipes"
	"zoosim/sim/cluster"
	"zoosim/zab/client"
)

// A master assigns the tasks a client submits to a worker on a simulated 3-server ensemble; the
// client learns which worker did each. A backup candidate waits behind the master and would take
// over from the tree if the master's session ended.
func ExampleMaster() {
	e, err := cluster.New(cluster.Options{Seed: 1, Servers: 3})
	if err != nil {
		panic(err)
	}
	defer e.Close()
	if err := e.RunUntilStable(time.Minute); err != nil {
		panic(err)
	}
	stop := recipes.NewCancel()
	for _, name := range []string{"master", "backup"} {
		e.Spawn(name, func(s *client.Session) {
			if err := s.WaitConnected(); err != nil {
				return
			}
			_ = recipes.NewMaster(s, "/app").Run(stop) // campaign, lead until stopped, resign
		})
	}
	e.Spawn("worker", func(s *client.Session) {
		if err := s.WaitConnected(); err != nil {
			return
		}
		w := recipes.NewWorker(s, "/app", "worker-1")
		if err := w.Register(stop); err != nil {
			return
		}
		for {
			task, err := w.Next(stop)
			if err != nil {
				return
			}
			// Execute the task here, then mark it done.
			if err := w.Complete(stop, task); err != nil {
				return
			}
		}
	})
	e.Spawn("client", func(s *client.Session) {
		if err := s.WaitConnected(); err != nil {
			return
		}
		sb := recipes.NewSubmitter(s, "/app")
		for _, job := range []string{"resize image", "send mail"} {
			task, err := sb.Submit(nil, []byte(job))
			if err != nil {
				fmt.Println("submit:", err)
				return
			}
			by, err := sb.WaitDone(nil, task)
			fmt.Printf("%q done by %s: %v\n", job, by, err)
		}
		stop.Cancel()
	})
	e.World().RunFor(10 * time.Second)
	// Output:
	// "resize image" done by worker-1: <nil>
	// "send mail" done by worker-1: <nil>
}
