package cluster

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"zoosim/sim"
	"zoosim/tree"
	"zoosim/zab"
	"zoosim/zab/client"
)

// fastSweep is how many seeds each sweep runs in a plain `go test`.
const fastSweep = 8

var (
	sweepSeeds = flag.Int("cluster.sweep", fastSweep, "run each fault sweep over this many seeds")
	sweepFrom  = flag.Int("cluster.sweep-from", 0, "first seed of the fault sweeps")
	tornDisks  = flag.Bool("cluster.torn", false, "sweeps run on disks that keep torn unsynced writes and land corrupt tails")
	traceFile  = flag.String("cluster.trace", "", "write each sweep run's trace, with every Ready, to this file (use with -run to pick one run)")
)

// TestCrashSweep is a seeded sweep (a fast set by default, -cluster.sweep=N for more): a writer streams creates while servers crash
// and restart, get isolated or paused (the leader half of the time); afterwards the ensemble must serve again, every
// replica must have the same digest, and no acknowledged write may be missing. Replay one run
// with -run 'CrashSweep/seed=N/n=M' -cluster.sweep-from=N -cluster.sweep=1 -cluster.trace=FILE.
func TestCrashSweep(t *testing.T) {
	for seed := *sweepFrom; seed < *sweepFrom+*sweepSeeds; seed++ {
		for _, n := range []int{3, 5} {
			t.Run(fmt.Sprintf("seed=%d/n=%d", seed, n), func(t *testing.T) { crashRun(t, uint64(seed), n) })
		}
	}
}

// replayOnFailure prints, if the run fails, the command that replays it with its trace.
func replayOnFailure(t *testing.T, seed uint64) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		parts := strings.Split(t.Name(), "/")
		for i, p := range parts {
			parts[i] = "^" + p + "$"
		}
		t.Logf("replay: go test ./sim/cluster -run '%s' -cluster.sweep-from=%d -cluster.sweep=1 -cluster.torn=%v -cluster.trace=trace.txt",
			strings.Join(parts, "/"), seed, *tornDisks)
	})
}

// sweepSim returns the kernel options of the sweeps: the defaults, or torn disks (-cluster.torn).
func sweepSim(seed uint64) *sim.Options {
	so := sim.DefaultOptions(seed)
	if *tornDisks {
		so.Disk.Crash = sim.TornUnsynced
		so.Disk.CorruptTail = sim.Frac(1, 2)
	}
	return &so
}

func crashRun(t *testing.T, seed uint64, n int) {
	replayOnFailure(t, seed)
	e, err := New(Options{Seed: seed, Servers: n, TraceReady: *traceFile != "", Sim: sweepSim(seed)})
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
		id := e.Server(i).Node().ID()
		hold := time.Duration(rnd.Between(10, 2000)) * time.Millisecond
		switch rnd.IntN(4) {
		case 0, 1:
			_ = e.Crash(i)
			w.RunFor(hold)
			_ = e.Restart(i)
		case 2:
			_ = w.Isolate(id)
			w.RunFor(hold)
			w.Heal()
		case 3:
			_ = w.Pause(id)
			w.RunFor(hold)
			_ = w.Resume(id)
		}
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
		if hs := s.HostStats(); hs.StuckDeadlines > 0 || hs.BadFrames > 0 {
			t.Errorf("server %d: %+v", s.ID(), hs)
		}
	}
}

// casWorker increments /counter with getData + setData(version) until it succeeded k times or
// gave up; it counts successes and outcomes it cannot know (ConnectionLoss on the setData).
type casWorker struct {
	c           checker
	ok, unknown int
	expired     bool
	done        bool
}

func (cw *casWorker) run(s *client.Session, k int, ephemeral string) {
	defer func() { cw.done = true }()
	for attempts := 0; cw.ok < k && attempts < 20*k; attempts++ {
		err := s.WaitConnected()
		if client.CodeOf(err) == tree.SessionExpired {
			// Legitimate under faults: a paused or cut-off leader heard nothing of the session
			// for its timeout. The session and its ephemeral are gone; so is this worker.
			cw.expired = true
			return
		}
		if !cw.c.ok(err, "connect") {
			return
		}
		if ephemeral != "" {
			_, err := s.Create(ephemeral, nil, acl, tree.Ephemeral)
			if err == nil || client.CodeOf(err) == tree.NodeExists {
				ephemeral = ""
			}
		}
		data, st, err := s.GetData("/counter", nil)
		if err != nil {
			continue
		}
		v, _ := strconv.Atoi(string(data))
		_, err = s.SetData("/counter", []byte(strconv.Itoa(v+1)), st.Version)
		switch client.CodeOf(err) {
		case tree.OK:
			cw.ok++
		case tree.BadVersion:
		case tree.ConnectionLoss:
			cw.unknown++
		case tree.SessionExpired:
			cw.expired = true
			return
		case tree.SessionMoved:
			// Not applied; a client should never see it (TestSessionMovedReachesClient), which
			// that test reports.
		default:
			cw.c.errorf("setData /counter: %v", err)
		}
	}
}

// TestCASSweep is a seeded sweep like TestCrashSweep: several clients increment one counter with versioned setData while servers
// crash, restart, get isolated and paused. Afterwards the counter lies between the increments
// acknowledged and those plus the ones whose outcome was lost, and the sessions' ephemerals
// exist exactly while their sessions live.
func TestCASSweep(t *testing.T) {
	for seed := *sweepFrom; seed < *sweepFrom+*sweepSeeds; seed++ {
		for _, n := range []int{3, 5} {
			t.Run(fmt.Sprintf("seed=%d/n=%d", seed, n), func(t *testing.T) { casRun(t, uint64(seed), n) })
		}
	}
}

func casRun(t *testing.T, seed uint64, n int) {
	replayOnFailure(t, seed)
	e, err := New(Options{Seed: seed, Servers: n, TraceReady: *traceFile != "", Sim: sweepSim(seed),
		Server: zab.Config{TickTime: 500 * time.Millisecond}, SessionTimeout: 4 * time.Second})
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
	creates(t, e, "setup", "/counter", "/eph")
	workers := make([]*casWorker, 4)
	var procs []*sim.Proc
	for i := range workers {
		cw := &casWorker{}
		workers[i] = cw
		eph := fmt.Sprintf("/eph/w%d", i)
		procs = append(procs, e.Spawn(fmt.Sprintf("cas%d", i), func(s *client.Session) {
			cw.run(s, 15, eph)
			s.Close()
		}))
	}
	rnd := w.Stream("faults")
	for range 5 {
		w.RunFor(time.Duration(rnd.Between(10, 400)) * time.Millisecond)
		i := rnd.IntN(n)
		if l, ok := e.Leader(); ok && rnd.IntN(2) == 0 {
			i = l
		}
		id := e.Server(i).Node().ID()
		hold := time.Duration(rnd.Between(10, 2000)) * time.Millisecond
		switch rnd.IntN(3) {
		case 0:
			_ = e.Crash(i)
			w.RunFor(hold)
			_ = e.Restart(i)
		case 1:
			_ = w.Isolate(id)
			w.RunFor(hold)
			w.Heal()
		case 2:
			_ = w.Pause(id)
			w.RunFor(hold)
			_ = w.Resume(id)
		}
	}
	runProcs(t, e, 10*time.Minute, procs...)
	ok, unknown := 0, 0
	for _, cw := range workers {
		cw.c.report(t)
		ok += cw.ok
		unknown += cw.unknown
	}
	if err := e.RunUntilStable(time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d increments acknowledged, %d unknown, at %v", ok, unknown, w.Now())
	w.RunFor(10 * time.Second) // closed sessions' ephemerals go; expired ones too
	if !e.Converged() {
		t.Fatalf("replicas differ: %v\n%s", e.Digests(), e.Status())
	}
	for _, s := range e.Servers() {
		tr := s.Peer().Tree()
		data, _, _ := tr.Get("/counter")
		v, _ := strconv.Atoi(string(data))
		if v < ok || v > ok+unknown {
			t.Errorf("server %d: counter %d, want %d acknowledged increments plus at most %d unknown", s.ID(), v, ok, unknown)
		}
		if kids, _ := tr.Children("/eph"); len(kids) > 0 {
			t.Errorf("server %d: ephemerals %v outlived their closed sessions", s.ID(), kids)
		}
		if hs := s.HostStats(); hs.StuckDeadlines > 0 || hs.BadFrames > 0 {
			t.Errorf("server %d: %+v", s.ID(), hs)
		}
		if errs := s.Errors(); len(errs) > 0 {
			t.Errorf("server %d errors: %v", s.ID(), errs)
		}
	}
}
