package recipes_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"zoosim/recipes"
	"zoosim/sim"
	"zoosim/zab/client"
)

// doubleBarrierRound has three processes enter a 3-party double barrier, compute for 10, 50
// and 150 ms, and leave; it returns when each began to leave and when its Leave returned,
// relative to the start.
func doubleBarrierRound(t *testing.T, flaws recipes.Flaws) (leaving, left []time.Duration, errs procErrors) {
	e := recipeEnsemble(t, 1, 3)
	start := e.World().Now()
	leaving, left = make([]time.Duration, 3), make([]time.Duration, 3)
	var procs []*sim.Proc
	for i, work := range []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 150 * time.Millisecond} {
		name := fmt.Sprintf("p%d", i)
		p, _ := barrierProcess(e, name, func(p *sim.Proc, s *client.Session) {
			if err := s.WaitConnected(); err != nil {
				errs.errorf("%s: connect: %v", name, err)
				return
			}
			b := recipes.NewDoubleBarrier(s, "/barriers/double", 3)
			b.Flaws = flaws
			if _, err := b.Enter(nil); err != nil {
				errs.errorf("%s: enter: %v", name, err)
				return
			}
			p.Sleep(work)
			leaving[i] = p.Now().Sub(start)
			if err := b.Leave(nil); err != nil {
				errs.errorf("%s: leave: %v", name, err)
				return
			}
			left[i] = p.Now().Sub(start)
		})
		procs = append(procs, p)
	}
	runProcesses(t, e, time.Minute, procs...)
	return leaving, left, errs
}

// doubleBarrierEarlyLeaves lists the Leaves that returned before the last process began to
// leave.
func doubleBarrierEarlyLeaves(leaving, left []time.Duration) []string {
	var early []string
	for i, d := range left {
		for j, l := range leaving {
			if d < l {
				early = append(early, fmt.Sprintf("p%d left at %v, before p%d began to leave at %v", i, d, j, l))
			}
		}
	}
	return early
}

// TestDoubleBarrierLeavesTogether: no Leave returns before the slowest process began to leave,
// and the directory is empty afterwards.
func TestDoubleBarrierLeavesTogether(t *testing.T) {
	leaving, left, errs := doubleBarrierRound(t, nil)
	errs.report(t)
	if early := doubleBarrierEarlyLeaves(leaving, left); len(early) > 0 {
		t.Fatalf("leaves before the others: %v", early)
	}
}

// TestDoubleBarrierLeavesTogetherCatchesFlaw: a Leave that does not wait must show up.
func TestDoubleBarrierLeavesTogetherCatchesFlaw(t *testing.T) {
	leaving, left, errs := doubleBarrierRound(t, recipes.Flaws{recipes.FlawDoubleBarrierLeaveEarly})
	errs.report(t)
	if early := doubleBarrierEarlyLeaves(leaving, left); len(early) == 0 {
		t.Fatalf("a Leave that does not wait returned after the others began to leave: %v %v", leaving, left)
	}
}

// TestDoubleBarrierExpiredMemberReleases: a process paused inside the barrier holds the others
// in Leave until its session expires, then they leave; when it resumes it learns its session
// ended.
func TestDoubleBarrierExpiredMemberReleases(t *testing.T) {
	e := recipeEnsemble(t, 5, 3)
	var errs procErrors
	start := e.World().Now()
	var left []time.Duration
	var pausedErr error
	var cNode *sim.Node
	c, cNode := barrierProcess(e, "c", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		b := recipes.NewDoubleBarrier(s, "/barriers/expiry", 3)
		if _, err := b.Enter(nil); err != nil {
			errs.errorf("c: enter: %v", err)
			return
		}
		w := p.World()
		w.After(time.Millisecond, "pause c", func() { _ = w.Pause(cNode.ID()) })
		w.After(20*time.Second, "resume c", func() { _ = w.Resume(cNode.ID()) })
		p.Sleep(2 * time.Millisecond) // wakes after the resume
		pausedErr = b.Leave(recipes.WithTimeout(s, 10*time.Second))
	})
	procs := []*sim.Proc{c}
	for _, name := range []string{"a", "b"} {
		p, _ := barrierProcess(e, name, func(p *sim.Proc, s *client.Session) {
			_ = s.WaitConnected()
			b := recipes.NewDoubleBarrier(s, "/barriers/expiry", 3)
			if _, err := b.Enter(nil); err != nil {
				errs.errorf("%s: enter: %v", name, err)
				return
			}
			p.Sleep(10 * time.Millisecond)
			if err := b.Leave(nil); err != nil {
				errs.errorf("%s: leave: %v", name, err)
				return
			}
			left = append(left, p.Now().Sub(start))
		})
		procs = append(procs, p)
	}
	runProcesses(t, e, time.Minute, procs...)
	errs.report(t)
	t.Logf("leaves at %v; the paused process's Leave: %v", left, pausedErr)
	if len(left) != 2 {
		t.Fatalf("%d of 2 left", len(left))
	}
	for _, d := range left {
		if d < 4*time.Second || d > 20*time.Second {
			t.Errorf("a leave at %v: want after the paused process's 4 s session timeout, before it resumed at 20 s", d)
		}
	}
	if !errors.Is(pausedErr, recipes.ErrSessionEnded) {
		t.Errorf("the paused process's Leave = %v, want ErrSessionEnded", pausedErr)
	}
}
