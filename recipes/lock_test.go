package recipes_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"zoosim/recipes"
	"zoosim/sim"
	"zoosim/tree"
	"zoosim/zab/client"
)

// TestLockExclusive has five processes take one lock five times each, holding it a while: no
// two hold it at once and the fencing tokens increase from each holder to the next.
func TestLockExclusive(t *testing.T) {
	errs, holds := lockContend(t, nil)
	errs.report(t)
	if holds != 25 {
		t.Fatalf("%d holds, want 25", holds)
	}
}

// TestLockExclusiveCatchesFlaw runs the same with a lock that skips the predecessor check: the
// test's own checks must see two holders at once, or they could not fail.
func TestLockExclusiveCatchesFlaw(t *testing.T) {
	errs, _ := lockContend(t, recipes.Flaws{recipes.FlawLockSkipPredecessor})
	if len(errs.list) == 0 {
		t.Fatal("a lock that skips the predecessor check gave no two holders at once")
	}
}

func lockContend(t *testing.T, flaws recipes.Flaws) (errs procErrors, holds int) {
	e := recipeEnsemble(t, 1, 3)
	holder := ""
	var lastToken int64
	var procs []*sim.Proc
	for i := range 5 {
		name := fmt.Sprintf("p%d", i)
		p, _ := recipeProcess(e, name, func(p *sim.Proc, s *client.Session) {
			if err := s.WaitConnected(); err != nil {
				errs.errorf("%s: connect: %v", name, err)
				return
			}
			l := recipes.NewLock(s, "/locks/a")
			l.Flaws = flaws
			for range 5 {
				token, err := l.Acquire(nil)
				if err != nil {
					errs.errorf("%s: acquire: %v", name, err)
					return
				}
				if holder != "" {
					errs.errorf("%s acquired the lock while %s held it", name, holder)
				}
				if token <= lastToken {
					errs.errorf("%s: token %d after token %d", name, token, lastToken)
				}
				holder, lastToken = name, token
				holds++
				p.Sleep(5 * time.Millisecond)
				holder = ""
				if err := l.Release(); err != nil {
					errs.errorf("%s: release: %v", name, err)
				}
			}
		})
		procs = append(procs, p)
	}
	runProcesses(t, e, time.Minute, procs...)
	return errs, holds
}

// TestLockCancel: a waiter whose Cancel is cancelled returns ErrCanceled and removes its lock
// node, so the next waiter is not blocked by it; a WithTimeout cancel returns ErrTimeout.
func TestLockCancel(t *testing.T) {
	e := recipeEnsemble(t, 2, 3)
	var errs procErrors
	cancel := recipes.NewCancel()
	holding, waiterDone := false, false
	a, _ := recipeProcess(e, "a", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		l := recipes.NewLock(s, "/locks/c")
		if _, err := l.Acquire(nil); err != nil {
			errs.errorf("a: %v", err)
			return
		}
		holding = true
		p.Sleep(200 * time.Millisecond)
		cancel.Cancel()
		p.Sleep(200 * time.Millisecond)
		if !waiterDone {
			errs.errorf("the cancelled waiter has not returned 200ms after the cancel")
		}
		kids, err := s.GetChildren("/locks/c", nil)
		if err != nil || len(kids) != 1 {
			errs.errorf("after the cancel the lock has nodes %v (%v), want only the holder's", kids, err)
		}
		_ = l.Release()
	})
	b, _ := recipeProcess(e, "b", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		for !holding {
			p.Sleep(time.Millisecond)
		}
		l := recipes.NewLock(s, "/locks/c")
		_, err := l.Acquire(cancel)
		waiterDone = true
		if !errors.Is(err, recipes.ErrCanceled) || l.Held() || l.Node() != "" {
			errs.errorf("b: Acquire after cancel = %v, held %v, node %q; want ErrCanceled, not held, no node", err, l.Held(), l.Node())
		}
		// A timeout cancels the same way.
		_, err = l.Acquire(recipes.WithTimeout(s, 50*time.Millisecond))
		if !errors.Is(err, recipes.ErrTimeout) {
			errs.errorf("b: Acquire with a 50ms timeout while a holds = %v, want ErrTimeout", err)
		}
	})
	runProcesses(t, e, time.Minute, a, b)
	errs.report(t)
}

// TestLockSessionExpiry: a holder paused past its session timeout loses the lock: its node goes
// with the session, the waiter takes the lock with a higher token, and the old holder, once it
// runs again, sees that it does not hold it and its Release says the session ended.
func TestLockSessionExpiry(t *testing.T) {
	e := recipeEnsemble(t, 3, 3)
	var errs procErrors
	var tokenA, tokenB int64
	bAcquired := sim.Never
	var aNode *sim.Node
	a, aNode := recipeProcess(e, "a", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		l := recipes.NewLock(s, "/locks/e")
		var err error
		if tokenA, err = l.Acquire(nil); err != nil {
			errs.errorf("a: %v", err)
			return
		}
		// The pause: the node stops for longer than the session timeout (the 4 s asked for is
		// raised to two ticks, 6 s) and the leader's expiry granularity.
		w := p.World()
		w.After(time.Millisecond, "pause a", func() { _ = w.Pause(aNode.ID()) })
		w.After(10*time.Second, "resume a", func() { _ = w.Resume(aNode.ID()) })
		p.Sleep(2 * time.Millisecond)
		p.Sleep(time.Second) // wakes after the resume
		for s.Client().State() == client.Connecting || s.Client().State() == client.Connected {
			p.Sleep(100 * time.Millisecond) // until the client learns of the expiry
			if p.Now() > sim.Time(60*time.Second) {
				break
			}
		}
		if l.Held() {
			errs.errorf("a still believes it holds the lock after its session expired")
		}
		if err := l.Release(); !errors.Is(err, recipes.ErrSessionEnded) {
			errs.errorf("a: Release after expiry = %v, want ErrSessionEnded", err)
		}
	})
	b, _ := recipeProcess(e, "b", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		p.Sleep(100 * time.Millisecond)
		l := recipes.NewLock(s, "/locks/e")
		var err error
		if tokenB, err = l.Acquire(nil); err != nil {
			errs.errorf("b: %v", err)
			return
		}
		bAcquired = p.Now()
		_ = l.Release()
	})
	start := e.World().Now()
	runProcesses(t, e, time.Minute, a, b)
	errs.report(t)
	if bAcquired == sim.Never || tokenB <= tokenA {
		t.Fatalf("b acquired at %v with token %d (a's token %d): want b to take the lock after a's session expired, with a higher token", bAcquired, tokenB, tokenA)
	}
	if d := bAcquired.Sub(start); d < 6*time.Second || d > 10*time.Second {
		t.Fatalf("b acquired %v after the start: want after a's 6 s session timeout and before a resumed at 10 s", d)
	}
}

// TestLockLateLostCreate plays a create lost to ConnectionLoss and committed late: the node of
// the lost attempt belongs to b's live session and lies between the holder's node and b's own.
// b deletes it when it lists the lock, so b takes the lock as soon as a releases it, not when
// b's session ends.
func TestLockLateLostCreate(t *testing.T) {
	e := recipeEnsemble(t, 6, 3)
	var errs procErrors
	const dir = "/locks/late"
	var released, acquired sim.Time
	aHolds := false
	a, _ := recipeProcess(e, "a", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		l := recipes.NewLock(s, dir)
		if _, err := l.Acquire(nil); err != nil {
			errs.errorf("a: %v", err)
			return
		}
		aHolds = true
		p.Sleep(200 * time.Millisecond)
		released = p.Now()
		_ = l.Release()
	})
	b, _ := recipeProcess(e, "b", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		for !aHolds {
			p.Sleep(time.Millisecond)
		}
		l := recipes.NewLock(s, dir)
		stem := fmt.Sprintf("lock-%x-1-", uint64(s.Client().SessionID()))
		l.AddLostAttemptForTest(stem)
		if _, err := s.Create(dir+"/"+stem, nil, tree.OpenACLUnsafe, tree.EphemeralSequential); err != nil {
			errs.errorf("b: creating the lost attempt's node: %v", err)
		}
		if _, err := l.Acquire(recipes.WithTimeout(s, 3*time.Second)); err != nil {
			errs.errorf("b: %v", err)
			return
		}
		acquired = p.Now()
		kids, _ := s.GetChildren(dir, nil)
		if len(kids) != 1 {
			errs.errorf("b holds with nodes %v in the lock: want only its own", kids)
		}
		_ = l.Release()
	})
	runProcesses(t, e, time.Minute, a, b)
	errs.report(t)
	if d := acquired.Sub(released); acquired == 0 || d > 50*time.Millisecond {
		t.Fatalf("b acquired %v after a released: want within 50ms", d)
	}
}
