package recipes_test

import (
	"fmt"
	"time"

	"zoosim/recipes"
	"zoosim/sim/cluster"
	"zoosim/zab/client"
)

// Two readers and a writer share a read-write lock on a simulated 3-server ensemble. The readers
// hold it together; the writer holds it alone, with a fencing token.
func ExampleRWLock() {
	e, err := cluster.New(cluster.Options{Seed: 1, Servers: 3})
	if err != nil {
		panic(err)
	}
	defer e.Close()
	if err := e.RunUntilStable(time.Minute); err != nil {
		panic(err)
	}
	// work stands for the critical section: it blocks the process for d of virtual time.
	work := func(s *client.Session, d time.Duration) {
		done := false
		s.After(d, func() { done = true; s.Wake() })
		for !done {
			s.Park()
		}
	}
	readers, most := 0, 0
	for _, name := range []string{"reader-1", "reader-2", "writer"} {
		e.Spawn(name, func(s *client.Session) {
			if err := s.WaitConnected(); err != nil {
				return
			}
			l := recipes.NewRWLock(s, "/app/rwlock")
			if name == "writer" {
				token, err := l.Lock(nil)
				if err != nil {
					fmt.Println(name, "failed:", err)
					return
				}
				fmt.Printf("%s holds the lock alone (readers holding: %d, has a fencing token: %v)\n", name, readers, token > 0)
				work(s, 100*time.Millisecond)
			} else {
				if _, err := l.RLock(nil); err != nil {
					fmt.Println(name, "failed:", err)
					return
				}
				readers++
				most = max(most, readers)
				work(s, 100*time.Millisecond)
				readers--
			}
			_ = l.Unlock()
		})
	}
	e.World().RunFor(10 * time.Second)
	fmt.Println("most readers at once:", most)
	// Output:
	// writer holds the lock alone (readers holding: 0, has a fencing token: true)
	// most readers at once: 2
}
