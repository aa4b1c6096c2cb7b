package recipes_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"zoosim/recipes"
	"zoosim/sim"
	"zoosim/sim/cluster"
	"zoosim/zab/client"
)

// barrierProcess starts a client and a process running body with a blocking session over it,
// and returns the process and the client's node (to pause it).
func barrierProcess(e *cluster.Ensemble, name string, body func(p *sim.Proc, s *client.Session)) (*sim.Proc, *sim.Node) {
	c, node := e.NewClient(name, client.Config{})
	return node.Spawn(name, func(p *sim.Proc) { body(p, client.NewSession(c, cluster.NewWaiter(p))) }), node
}

// barrierStaggered has three processes enter a 3-party barrier 100 ms apart; it returns when
// each passed, relative to the first arrival.
func barrierStaggered(t *testing.T, flaws recipes.Flaws) ([]time.Duration, procErrors) {
	e := recipeEnsemble(t, 1, 3)
	var errs procErrors
	start := e.World().Now()
	passed := make([]time.Duration, 3)
	var procs []*sim.Proc
	for i := range 3 {
		name := fmt.Sprintf("p%d", i)
		p, _ := barrierProcess(e, name, func(p *sim.Proc, s *client.Session) {
			if err := s.WaitConnected(); err != nil {
				errs.errorf("%s: connect: %v", name, err)
				return
			}
			p.Sleep(time.Duration(i) * 100 * time.Millisecond)
			b := recipes.NewBarrier(s, "/barriers/a", 3)
			b.Flaws = flaws
			if _, err := b.Enter(nil); err != nil {
				errs.errorf("%s: enter: %v", name, err)
				return
			}
			passed[i] = p.Now().Sub(start)
			if err := b.Exit(); err != nil {
				errs.errorf("%s: exit: %v", name, err)
			}
		})
		procs = append(procs, p)
	}
	runProcesses(t, e, time.Minute, procs...)
	return passed, errs
}

// TestBarrierWaitsForN: nobody passes before the third process arrives at 200 ms, and everyone
// passes soon after.
func TestBarrierWaitsForN(t *testing.T) {
	passed, errs := barrierStaggered(t, nil)
	errs.report(t)
	for i, d := range passed {
		if d < 200*time.Millisecond || d > 300*time.Millisecond {
			t.Errorf("p%d passed %v after the first arrival: want after the third arrived (200ms), within 100ms", i, d)
		}
	}
}

// TestBarrierWaitsForNCatchesFlaw: the same with a barrier that passes at N-1 must show a pass
// before the third arrival, or the test could not fail.
func TestBarrierWaitsForNCatchesFlaw(t *testing.T) {
	passed, errs := barrierStaggered(t, recipes.Flaws{recipes.FlawBarrierPassEarly})
	errs.report(t)
	if passed[0] >= 200*time.Millisecond {
		t.Fatalf("a barrier that passes at N-1: p0 passed at %v, not before the third arrival", passed[0])
	}
}

// TestBarrierSessionExpiry: a process joins and is paused past its session timeout; its node
// counts until the expiry deletes it. A process arriving after the expiry makes two, not three,
// so nobody passes until a fourth arrives; the paused process learns that its session ended.
func TestBarrierSessionExpiry(t *testing.T) {
	e := recipeEnsemble(t, 3, 3)
	var errs procErrors
	start := e.World().Now()
	var passed []time.Duration
	var pausedErr error
	var aNode *sim.Node
	a, aNode := barrierProcess(e, "a", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		b := recipes.NewBarrier(s, "/barriers/e", 3)
		if err := b.Join(nil); err != nil {
			errs.errorf("a: join: %v", err)
			return
		}
		w := p.World()
		w.After(time.Millisecond, "pause a", func() { _ = w.Pause(aNode.ID()) })
		w.After(20*time.Second, "resume a", func() { _ = w.Resume(aNode.ID()) })
		p.Sleep(2 * time.Millisecond) // wakes after the resume
		_, pausedErr = b.Await(recipes.WithTimeout(s, 10*time.Second))
	})
	procs := []*sim.Proc{a}
	for i, at := range []time.Duration{100 * time.Millisecond, 12 * time.Second, 14 * time.Second} {
		name := fmt.Sprintf("p%d", i)
		p, _ := barrierProcess(e, name, func(p *sim.Proc, s *client.Session) {
			_ = s.WaitConnected()
			p.Sleep(at)
			b := recipes.NewBarrier(s, "/barriers/e", 3)
			if _, err := b.Enter(recipes.WithTimeout(s, 30*time.Second)); err != nil {
				errs.errorf("%s: enter: %v", name, err)
				return
			}
			passed = append(passed, p.Now().Sub(start))
		})
		procs = append(procs, p)
	}
	runProcesses(t, e, time.Minute, procs...)
	errs.report(t)
	t.Logf("passes at %v; the paused process's Await: %v", passed, pausedErr)
	if len(passed) != 3 {
		t.Fatalf("%d of 3 passed", len(passed))
	}
	for _, d := range passed {
		if d < 14*time.Second {
			t.Errorf("a pass at %v: before the fourth arrival (14s), with the paused process's session expired", d)
		}
	}
	if !errors.Is(pausedErr, recipes.ErrSessionEnded) {
		t.Errorf("the paused process's Await = %v, want ErrSessionEnded", pausedErr)
	}
}

// TestBarrierCancel: a waiter that times out gets ErrTimeout and leaves no node behind.
func TestBarrierCancel(t *testing.T) {
	e := recipeEnsemble(t, 2, 3)
	var errs procErrors
	p, _ := barrierProcess(e, "a", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		b := recipes.NewBarrier(s, "/barriers/c", 2)
		_, err := b.Enter(recipes.WithTimeout(s, 100*time.Millisecond))
		if !errors.Is(err, recipes.ErrTimeout) || b.Node() != "" {
			errs.errorf("Enter alone with a timeout = %v, node %q: want ErrTimeout and no node", err, b.Node())
		}
		kids, err := s.GetChildren("/barriers/c", nil)
		if err != nil || len(kids) != 0 {
			errs.errorf("after the timeout the barrier has %v (%v), want nothing", kids, err)
		}
	})
	runProcesses(t, e, time.Minute, p)
	errs.report(t)
}

// TestSimpleBarrier: waiters block while the barrier node exists and proceed once it is
// deleted; a barrier that is down does not block.
func TestSimpleBarrier(t *testing.T) {
	e := recipeEnsemble(t, 4, 3)
	var errs procErrors
	start := e.World().Now()
	raised := false
	coord, _ := barrierProcess(e, "coordinator", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		b := recipes.NewSimpleBarrier(s, "/barriers/simple")
		if err := b.Raise(nil); err != nil {
			errs.errorf("raise: %v", err)
			return
		}
		raised = true
		p.Sleep(300 * time.Millisecond)
		if err := b.Lower(nil); err != nil {
			errs.errorf("lower: %v", err)
		}
	})
	procs := []*sim.Proc{coord}
	for i := range 3 {
		name := fmt.Sprintf("w%d", i)
		p, _ := barrierProcess(e, name, func(p *sim.Proc, s *client.Session) {
			_ = s.WaitConnected()
			for !raised {
				p.Sleep(time.Millisecond)
			}
			b := recipes.NewSimpleBarrier(s, "/barriers/simple")
			if err := b.Wait(nil); err != nil {
				errs.errorf("%s: wait: %v", name, err)
				return
			}
			if d := p.Now().Sub(start); d < 300*time.Millisecond {
				errs.errorf("%s proceeded at %v, before the barrier was lowered", name, d)
			}
			if err := b.Wait(nil); err != nil {
				errs.errorf("%s: wait on a lowered barrier: %v", name, err)
			}
		})
		procs = append(procs, p)
	}
	runProcesses(t, e, time.Minute, procs...)
	errs.report(t)
}
