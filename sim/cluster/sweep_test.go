package cluster

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"zoosim/zab/client"
)

var (
	sweepSeeds = flag.Int("cluster.sweep", 0, "run the crash/restart sweep over this many seeds")
	sweepFrom  = flag.Int("cluster.sweep-from", 0, "first seed of the crash/restart sweep")
	traceFile  = flag.String("cluster.trace", "", "write each sweep run's trace, with every Ready, to this file (use with -run to pick one run)")
)

// TestCrashSweep is a seeded sweep behind a flag: a writer streams creates while servers crash
// and restart (the leader half of the time); afterwards the ensemble must serve again, every
// replica must have the same digest, and no acknowledged write may be missing. Replay one run
// with -run 'CrashSweep/seed=N/n=M' -cluster.sweep-from=N -cluster.sweep=1 -cluster.trace=FILE.
func TestCrashSweep(t *testing.T) {
	if *sweepSeeds == 0 {
		t.Skip("a long sweep: -cluster.sweep=N runs N seeds")
	}
	for seed := *sweepFrom; seed < *sweepFrom+*sweepSeeds; seed++ {
		for _, n := range []int{3, 5} {
			t.Run(fmt.Sprintf("seed=%d/n=%d", seed, n), func(t *testing.T) { crashRun(t, uint64(seed), n) })
		}
	}
}

func crashRun(t *testing.T, seed uint64, n int) {
	e, err := New(Options{Seed: seed, Servers: n, TraceReady: *traceFile != ""})
	if err != nil {
		t.Fatal(err)
	}
	w := e.World()
	defer w.Close()
	if *traceFile != "" {
		f, err := os.Create(*traceFile)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		w.TraceTo(f)
	}
	if err := e.RunUntilStable(time.Minute); err != nil {
		t.Fatal(err)
	}
	var wr writer
	p := e.Spawn("writer", func(s *client.Session) { wr.run(s, 200) })
	rnd := w.Stream("faults")
	for range 6 {
		w.RunFor(time.Duration(rnd.Between(10, 400)) * time.Millisecond)
		i := rnd.IntN(n)
		if l, ok := e.Leader(); ok && rnd.IntN(2) == 0 {
			i = l
		}
		_ = e.Crash(i)
		w.RunFor(time.Duration(rnd.Between(10, 2000)) * time.Millisecond)
		_ = e.Restart(i)
	}
	runProcs(t, e, 10*time.Minute, p)
	wr.c.report(t)
	if err := e.RunUntilStable(time.Minute); err != nil {
		t.Fatal(err)
	}
	w.RunFor(time.Second)
	if !e.Converged() {
		t.Fatalf("replicas differ: %v\n%s", e.Digests(), e.Status())
	}
	for _, s := range e.Servers() {
		if s.Peer() == nil {
			t.Fatalf("server %d does not run: %s", s.ID(), s.Status())
		}
		for _, path := range wr.acked {
			if _, _, ok := s.Peer().Tree().Get(path); !ok {
				t.Errorf("server %d lost acknowledged write %s", s.ID(), path)
			}
		}
		if errs := s.Errors(); len(errs) > 0 {
			t.Errorf("server %d errors: %v", s.ID(), errs)
		}
		if s.StuckDeadlines() > 0 || s.BadFrames() > 0 {
			t.Errorf("server %d: %d stuck deadlines, %d bad frames", s.ID(), s.StuckDeadlines(), s.BadFrames())
		}
	}
}
