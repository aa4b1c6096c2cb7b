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

// rwlockContend has three readers and three writers take one read-write lock five times each,
// holding it a while, and checks every hold against the others: a writer holds alone, readers
// share. It returns the failures seen and the most readers that held at once.
func rwlockContend(t *testing.T, flaws recipes.Flaws) (errs procErrors, mostReaders int) {
	e := recipeEnsemble(t, 1, 3)
	readers, writer := 0, ""
	var lastToken int64
	var procs []*sim.Proc
	for i := range 6 {
		write := i%2 == 1
		name := fmt.Sprintf("r%d", i)
		if write {
			name = fmt.Sprintf("w%d", i)
		}
		p, _ := recipeProcess(e, name, func(p *sim.Proc, s *client.Session) {
			if err := s.WaitConnected(); err != nil {
				errs.errorf("%s: connect: %v", name, err)
				return
			}
			l := recipes.NewRWLock(s, "/locks/rw")
			l.Flaws = flaws
			for range 5 {
				if !write {
					if _, err := l.RLock(nil); err != nil {
						errs.errorf("%s: RLock: %v", name, err)
						return
					}
					if writer != "" {
						errs.errorf("%s read-locked while %s held the write lock", name, writer)
					}
					readers++
					mostReaders = max(mostReaders, readers)
					p.Sleep(5 * time.Millisecond)
					readers--
				} else {
					token, err := l.Lock(nil)
					if err != nil {
						errs.errorf("%s: Lock: %v", name, err)
						return
					}
					if writer != "" || readers > 0 {
						errs.errorf("%s write-locked while writer %q and %d readers held", name, writer, readers)
					}
					if token <= lastToken {
						errs.errorf("%s: write token %d after write token %d", name, token, lastToken)
					}
					writer, lastToken = name, token
					p.Sleep(5 * time.Millisecond)
					writer = ""
				}
				if !l.Held() {
					errs.errorf("%s: Held is false while holding", name)
				}
				if err := l.Unlock(); err != nil {
					errs.errorf("%s: Unlock: %v", name, err)
				}
			}
		})
		procs = append(procs, p)
	}
	runProcesses(t, e, time.Minute, procs...)
	return errs, mostReaders
}

// TestRWLockWritersExclude: no writer holds with anyone else, write tokens increase, and the
// readers do hold together.
func TestRWLockWritersExclude(t *testing.T) {
	errs, most := rwlockContend(t, nil)
	errs.report(t)
	if most < 2 {
		t.Fatalf("at most %d reader held at once: readers do not share", most)
	}
}

// TestRWLockCatchesFlaws runs the same with each flaw: the test's own checks must see a reader
// and a writer at once, or they could not fail.
func TestRWLockCatchesFlaws(t *testing.T) {
	for _, f := range []recipes.Flaw{recipes.FlawRWLockReaderIgnoresWriters, recipes.FlawRWLockWriterIgnoresReaders} {
		if errs, _ := rwlockContend(t, recipes.Flaws{f}); len(errs.list) == 0 {
			t.Errorf("flaw %s: no writer held with anyone else", f)
		}
	}
}

// TestRWLockCancel: a reader waiting behind a writer is cancelled: it returns ErrCanceled and its
// node is gone; a writer waiting behind a reader times out the same way; and a reader behind a
// reader holds at once.
func TestRWLockCancel(t *testing.T) {
	e := recipeEnsemble(t, 2, 3)
	var errs procErrors
	cancel := recipes.NewCancel()
	phase := 0
	a, _ := recipeProcess(e, "a", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		l := recipes.NewRWLock(s, "/locks/rwc")
		if _, err := l.Lock(nil); err != nil {
			errs.errorf("a: Lock: %v", err)
			return
		}
		phase = 1
		p.Sleep(200 * time.Millisecond)
		cancel.Cancel()
		p.Sleep(200 * time.Millisecond)
		if kids, err := s.GetChildren("/locks/rwc", nil); err != nil || len(kids) != 1 {
			errs.errorf("after the cancel the lock has nodes %v (%v), want only the writer's", kids, err)
		}
		_ = l.Unlock()
		if _, err := l.RLock(nil); err != nil {
			errs.errorf("a: RLock: %v", err)
			return
		}
		phase = 2
		p.Sleep(time.Second)
		_ = l.Unlock()
	})
	b, _ := recipeProcess(e, "b", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		for phase < 1 {
			p.Sleep(time.Millisecond)
		}
		l := recipes.NewRWLock(s, "/locks/rwc")
		if _, err := l.RLock(cancel); !errors.Is(err, recipes.ErrCanceled) || l.Held() || l.Node() != "" {
			errs.errorf("b: RLock behind a writer, cancelled = %v, held %v, node %q; want ErrCanceled, not held, no node", err, l.Held(), l.Node())
		}
		for phase < 2 {
			p.Sleep(time.Millisecond)
		}
		if _, err := l.Lock(recipes.WithTimeout(s, 50*time.Millisecond)); !errors.Is(err, recipes.ErrTimeout) {
			errs.errorf("b: Lock with a 50ms timeout behind a reader = %v, want ErrTimeout", err)
		}
		start := p.Now()
		if _, err := l.RLock(recipes.WithTimeout(s, 50*time.Millisecond)); err != nil {
			errs.errorf("b: RLock behind a reader = %v, want it held at once", err)
		} else if d := p.Now().Sub(start); d > 50*time.Millisecond {
			errs.errorf("b: RLock behind a reader took %v", d)
		}
		_ = l.Unlock()
	})
	runProcesses(t, e, time.Minute, a, b)
	errs.report(t)
}

// TestRWLockSessionExpiry: a reader paused past its session timeout loses its hold: the writer
// behind it takes the lock once the expiry deletes the read node, and the old reader, once it
// runs again, sees that it does not hold it and its Unlock says the session ended.
func TestRWLockSessionExpiry(t *testing.T) {
	e := recipeEnsemble(t, 3, 3)
	var errs procErrors
	written := sim.Never
	var rNode *sim.Node
	r, rNode := recipeProcess(e, "r", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		l := recipes.NewRWLock(s, "/locks/rwe")
		if _, err := l.RLock(nil); err != nil {
			errs.errorf("r: %v", err)
			return
		}
		w := p.World()
		w.After(time.Millisecond, "pause r", func() { _ = w.Pause(rNode.ID()) })
		w.After(10*time.Second, "resume r", func() { _ = w.Resume(rNode.ID()) })
		p.Sleep(2 * time.Millisecond)
		p.Sleep(time.Second) // wakes after the resume
		for s.Client().State().IsAlive() && p.Now() < sim.Time(60*time.Second) {
			p.Sleep(100 * time.Millisecond) // until the client learns of the expiry
		}
		if l.Held() {
			errs.errorf("r still believes it holds the lock after its session expired")
		}
		if err := l.Unlock(); !errors.Is(err, recipes.ErrSessionEnded) {
			errs.errorf("r: Unlock after expiry = %v, want ErrSessionEnded", err)
		}
	})
	w, _ := recipeProcess(e, "w", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		p.Sleep(100 * time.Millisecond)
		l := recipes.NewRWLock(s, "/locks/rwe")
		if _, err := l.Lock(nil); err != nil {
			errs.errorf("w: %v", err)
			return
		}
		written = p.Now()
		_ = l.Unlock()
	})
	start := e.World().Now()
	runProcesses(t, e, time.Minute, r, w)
	errs.report(t)
	if d := written.Sub(start); written == sim.Never || d < 4*time.Second || d > 10*time.Second {
		t.Fatalf("the writer held %v after the start: want after the reader's 4 s session timeout and before it resumed at 10 s", d)
	}
}

// TestRWLockLateLostCreate plays creates lost to ConnectionLoss and committed late, as
// TestElectionLateLostCreate does: a writer deletes its lost attempt's node when it finds it
// before its own (b), a reader when it unlocks (c, whose lost attempt landed behind its node,
// before d's), so that the writers behind are not blocked until those sessions end.
func TestRWLockLateLostCreate(t *testing.T) {
	e := recipeEnsemble(t, 5, 3)
	var errs procErrors
	const dir = "/locks/late"
	step := 0
	acquired, released := map[string]sim.Time{}, map[string]sim.Time{}
	lostAttempt := func(s *client.Session, l *recipes.RWLock, prefix string) {
		stem := fmt.Sprintf("%s%x-1-", prefix, uint64(s.Client().SessionID()))
		l.AddLostAttemptForTest(stem)
		if _, err := s.Create(dir+"/"+stem, nil, tree.OpenACLUnsafe, tree.EphemeralSequential); err != nil {
			errs.errorf("creating the lost attempt's node: %v", err)
		}
	}
	var procs []*sim.Proc
	for i, name := range []string{"a", "b", "c", "d"} {
		p, _ := recipeProcess(e, name, func(p *sim.Proc, s *client.Session) {
			_ = s.WaitConnected()
			l := recipes.NewRWLock(s, dir)
			// a writes; b writes behind its own lost write attempt; c reads, and its lost
			// read attempt lands behind its node; d writes behind that.
			for step < i {
				p.Sleep(time.Millisecond)
			}
			p.Sleep(50 * time.Millisecond) // for the one before to queue its node
			acquire := l.Lock
			switch name {
			case "b":
				lostAttempt(s, l, "write-")
			case "c":
				acquire = l.RLock
			}
			// a's and c's turns end once they hold, b's and d's once they wait.
			if name == "b" || name == "d" {
				step++
			}
			if _, err := acquire(recipes.WithTimeout(s, 3*time.Second)); err != nil {
				errs.errorf("%s: %v", name, err)
				return
			}
			if name == "c" {
				lostAttempt(s, l, "read-")
			}
			if name == "a" || name == "c" {
				step++
			}
			acquired[name] = p.Now()
			p.Sleep(100 * time.Millisecond)
			released[name] = p.Now()
			if err := l.Unlock(); err != nil {
				errs.errorf("%s: unlock: %v", name, err)
			}
		})
		procs = append(procs, p)
	}
	runProcesses(t, e, time.Minute, procs...)
	errs.report(t)
	for _, next := range [][2]string{{"a", "b"}, {"b", "c"}, {"c", "d"}} {
		if d := acquired[next[1]].Sub(released[next[0]]); acquired[next[1]] == 0 || d > 50*time.Millisecond {
			t.Errorf("%s held %v after %s released: want within 50ms", next[1], d, next[0])
		}
	}
}
