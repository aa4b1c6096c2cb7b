package sim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestProcessSleepsInVirtualTime(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	var wokeAt []Time
	w.Spawn("sleeper", func(p *Proc) {
		for i := 1; i <= 3; i++ {
			p.Sleep(ms(i))
			wokeAt = append(wokeAt, p.Now())
		}
	})
	w.RunFor(ms(100))
	if want := []Time{at(1), at(3), at(6)}; !slices.Equal(wokeAt, want) {
		t.Fatalf("woke at %v, want %v", wokeAt, want)
	}
	if w.Pending() != 0 {
		t.Fatalf("%d events left after the process finished", w.Pending())
	}
}

func TestAwaitFutureCompletedByEventCode(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	f := NewFuture[string]()
	w.After(ms(5), "reply", func() { f.Resolve("pong") })
	var got string
	var gotAt Time
	w.Spawn("client", func(p *Proc) {
		v, err := Await(p, f)
		if err != nil {
			t.Error(err)
		}
		got, gotAt = v, p.Now()
	})
	w.RunFor(ms(10))
	if got != "pong" || gotAt != at(5) {
		t.Fatalf("got %q at %v, want pong at 5ms", got, gotAt)
	}
	// Completing twice is a programmer error; TryComplete is the race-safe form.
	if f.TryComplete("again", nil) {
		t.Fatal("TryComplete completed a complete future")
	}
}

func TestAwaitTimeout(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	slow := NewFuture[int]()
	w.After(ms(50), "late reply", func() { slow.Resolve(1) })
	var err error
	var at2 Time
	w.Spawn("client", func(p *Proc) {
		_, err = AwaitTimeout(p, slow, ms(20))
		at2 = p.Now()
		p.Sleep(ms(100)) // the late reply must not wake this sleep early
		at2 = p.Now() - at2
	})
	w.RunFor(ms(200))
	if !errors.Is(err, ErrTimeout) || at2 != Time(ms(100)) {
		t.Fatalf("err=%v, slept %v; want a timeout and an undisturbed 100ms sleep", err, at2)
	}
}

func TestMailboxDeliversInOrderToWaitingProcesses(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	var box Mailbox[int]
	var got []string
	for _, name := range []string{"a", "b"} {
		w.Spawn(name, func(p *Proc) {
			for {
				v, err := box.GetTimeout(p, ms(30))
				if err != nil {
					got = append(got, name+":timeout@"+p.Now().String())
					return
				}
				got = append(got, fmt.Sprintf("%s:%d", name, v))
			}
		})
	}
	for i := 0; i < 3; i++ {
		w.After(ms(i+1), "put", func() { box.Put(i) })
	}
	w.RunFor(ms(100))
	want := []string{"a:0", "b:1", "a:2", "b:timeout@" + at(32).String(), "a:timeout@" + at(33).String()}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// A crash kills the node's processes: deferred code runs, blocking calls in it return at once,
// and the dead node's effects go nowhere. World processes survive.
func TestCrashKillsTheNodesProcesses(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	var log []string
	n := w.AddNode("n1", func(n *Node) {
		n.Spawn("worker", func(p *Proc) {
			defer func() {
				log = append(log, "defer@"+p.Now().String())
				p.Sleep(ms(1)) // a blocking call while dying: unwinds again at once
				log = append(log, "unreachable")
			}()
			for {
				p.Sleep(ms(10))
				log = append(log, "tick@"+p.Now().String())
			}
		})
	})
	survivor := w.Spawn("harness", func(p *Proc) { p.Sleep(ms(100)); log = append(log, "harness done") })
	w.RunFor(ms(25))
	_ = w.Crash(n.ID())
	w.RunFor(ms(200))
	want := []string{"tick@" + at(10).String(), "tick@" + at(20).String(), "defer@" + at(25).String(), "harness done"}
	if !slices.Equal(log, want) {
		t.Fatalf("got %v, want %v", log, want)
	}
	if !survivor.Done() || len(w.procs) != 0 {
		t.Fatalf("processes left: %d", len(w.procs))
	}
}

func TestProcessCrashingItsOwnNodeUnwindsAtItsNextBlock(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	var log []string
	w.AddNode("n1", func(n *Node) {
		n.Spawn("suicidal", func(p *Proc) {
			p.Sleep(ms(1))
			_ = w.Crash(n.ID())
			log = append(log, "still running")
			p.Sleep(ms(1))
			log = append(log, "unreachable")
		})
	})
	w.RunFor(ms(10))
	if !slices.Equal(log, []string{"still running"}) {
		t.Fatalf("got %v", log)
	}
}

func TestPausedNodesProcessesWaitForResume(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	var wokeAt Time
	n := w.AddNode("n1", func(n *Node) {
		n.Spawn("sleeper", func(p *Proc) { p.Sleep(ms(5)); wokeAt = p.Now() })
	})
	w.RunFor(ms(1)) // the process starts and sleeps until 5ms
	_ = w.Pause(n.ID())
	w.At(at(20), "resume", func() { _ = w.Resume(n.ID()) })
	w.RunFor(ms(50))
	if wokeAt != at(20) {
		t.Fatalf("woke at %v, want at the resume, 20ms", wokeAt)
	}
}

func TestProcessPanicsReachTheCaller(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	w.Spawn("buggy", func(p *Proc) { p.Sleep(ms(1)); panic("bug in workload") })
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "bug in workload") {
			t.Fatalf("recovered %v, want the process's panic", r)
		}
	}()
	w.RunFor(ms(10))
}

func TestBlockingOutsideTheProcessPanics(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	p := w.Spawn("p", func(p *Proc) { p.Sleep(ms(100)) })
	w.RunFor(ms(1))
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "outside its own body") {
			t.Fatalf("recovered %v, want a clear programmer-error panic", r)
		}
	}()
	p.Sleep(ms(1))
}

// interleaving runs processes that sleep for drawn durations, exchange values through futures and
// a mailbox, and crash with their node, and returns the order in which they stepped.
func interleaving(seed uint64, procs int, crashAt Duration) []string {
	w := MustNew(plainOptions(seed))
	defer w.Close()
	var log []string
	var box Mailbox[string]
	futures := make([]*Future[int], procs)
	for i := range futures {
		futures[i] = NewFuture[int]()
	}
	n := w.AddNode("n", func(n *Node) {
		for i := 0; i < procs; i++ {
			n.Spawn(fmt.Sprintf("p%d", i), func(p *Proc) {
				for step := 0; step < 5; step++ {
					p.Sleep(Duration(n.Rand().IntN(3)) * ms(1))
					log = append(log, fmt.Sprintf("%s.%d@%v", p.Name(), step, p.Now()))
					if step == 2 && i+1 < procs {
						futures[i+1].Resolve(i)
					}
					if step == 3 && i > 0 {
						v, _ := Await(p, futures[i])
						box.Put(fmt.Sprint(v))
					}
				}
			})
		}
	})
	w.Spawn("drain", func(p *Proc) {
		for {
			log = append(log, "got "+box.Get(p)+"@"+p.Now().String())
		}
	})
	w.After(crashAt, "crash", func() { _ = w.Crash(n.ID()) })
	w.RunFor(ms(100))
	return log
}

func TestProcessesInterleaveIdenticallyAcrossRuns(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		procs := rapid.IntRange(1, 8).Draw(t, "procs")
		crashAt := ms(rapid.IntRange(0, 20).Draw(t, "crash ms"))
		first := interleaving(seed, procs, crashAt)
		if second := interleaving(seed, procs, crashAt); !slices.Equal(first, second) {
			t.Fatalf("same seed, different interleavings:\n%v\n%v", first, second)
		}
	})
}

// An item put for a waiting process whose node crashes before it runs goes to the next waiter.
func TestMailboxItemGoesToTheNextWaiterWhenTheEntitledOneDies(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	var box Mailbox[int]
	var got []string
	n := w.AddNode("n1", func(n *Node) {
		n.Spawn("doomed", func(p *Proc) { got = append(got, fmt.Sprint("doomed:", box.Get(p))) })
	})
	w.Spawn("survivor", func(p *Proc) { got = append(got, fmt.Sprint("survivor:", box.Get(p))) })
	w.RunFor(ms(1))
	w.At(at(2), "put, then crash", func() {
		box.Put(7) // wakes doomed, the first waiter
		_ = w.Crash(n.ID())
	})
	w.RunFor(ms(5))
	if !slices.Equal(got, []string{"survivor:7"}) {
		t.Fatalf("got %v, want the survivor to get the item", got)
	}
	if _, ok := box.TryGet(); ok || box.Len() != 0 {
		t.Fatal("the item was left in the mailbox too")
	}
}

func TestParkUntilUnparkedByEventCode(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	var wokeAt []Time
	var p *Proc
	p = w.Spawn("waiter", func(p *Proc) {
		for range 3 {
			p.Park()
			wokeAt = append(wokeAt, p.Now())
		}
	})
	wake := p.Unpark // taken once, reused for every wait
	for i := 1; i <= 3; i++ {
		w.At(at(10*i), "reply", wake)
	}
	w.RunFor(ms(100))
	if want := []Time{at(10), at(20), at(30)}; !slices.Equal(wokeAt, want) || !p.Done() {
		t.Fatalf("woke at %v (done %v), want %v", wokeAt, p.Done(), want)
	}
}

// An Unpark that comes first is kept, and Park returns at once without letting anything else run;
// several count as one.
func TestUnparkBeforePark(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	var steps []string
	waiter := w.Spawn("waiter", func(p *Proc) {
		p.Unpark()
		p.Unpark()
		p.Park()
		steps = append(steps, fmt.Sprintf("first park returned at %v", p.Now()))
		p.Park() // the second Unpark was not a second permit
		steps = append(steps, fmt.Sprintf("second park returned at %v", p.Now()))
	})
	w.Spawn("other", func(*Proc) { steps = append(steps, "other ran") })
	w.At(at(5), "late", waiter.Unpark)
	w.RunFor(ms(10))
	want := []string{"first park returned at 00:00:00.000000000", "other ran", "second park returned at 00:00:00.005000000"}
	if !slices.Equal(steps, want) {
		t.Fatalf("steps %q, want %q", steps, want)
	}
}

// An Unpark while the process sleeps does not cut the sleep short; it makes the next Park return
// at once.
func TestUnparkDuringSleepIsKeptForPark(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	var sleptUntil, parkedUntil Time
	p := w.Spawn("sleeper", func(p *Proc) {
		p.Sleep(ms(10))
		sleptUntil = p.Now()
		p.Park()
		parkedUntil = p.Now()
	})
	w.At(at(3), "early unpark", p.Unpark)
	w.RunFor(ms(20))
	if sleptUntil != at(10) || parkedUntil != at(10) || !p.Done() {
		t.Fatalf("slept until %v, parked until %v; want both 10ms", sleptUntil, parkedUntil)
	}
}

// A parked process of a crashed node unwinds (its deferred calls run), and an Unpark that comes
// later for it does nothing.
func TestParkedProcessKilledByCrash(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	n := w.AddNode("n", noSoftware)
	unwound, returned := false, false
	p := n.Spawn("waiter", func(p *Proc) {
		defer func() { unwound = true }()
		p.Park()
		returned = true
	})
	w.RunFor(ms(1))
	w.At(at(2), "crash", func() { _ = w.Crash(n.ID()) })
	w.At(at(3), "stale unpark", p.Unpark)
	w.RunFor(ms(10))
	if !unwound || returned || !p.Done() || w.Pending() != 0 {
		t.Fatalf("unwound %v, returned %v, done %v, %d events pending", unwound, returned, p.Done(), w.Pending())
	}
}

// An Unpark for a process of a paused node wakes it only when the node resumes.
func TestUnparkOnAPausedNodeWaitsForResume(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	n := w.AddNode("n", noSoftware)
	var wokeAt Time
	p := n.Spawn("waiter", func(p *Proc) {
		p.Park()
		wokeAt = p.Now()
	})
	w.RunFor(ms(1))
	_ = w.Pause(n.ID())
	w.At(at(2), "unpark", p.Unpark)
	w.At(at(7), "resume", func() { _ = w.Resume(n.ID()) })
	w.RunFor(ms(10))
	if wokeAt != at(7) {
		t.Fatalf("woke at %v, want 7ms (the resume)", wokeAt)
	}
}

func TestParkFromOutsideTheProcessPanics(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	p := w.Spawn("waiter", func(p *Proc) { p.Park() })
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "outside its own body") {
			t.Fatalf("recovered %v", r)
		}
	}()
	p.Park()
}

// Park and Unpark leave the same trace as the future-based wait they replace (a fresh future
// completed by the callback, awaited by the process), so a host can switch without moving a run.
func TestParkTracesLikeAwait(t *testing.T) {
	run := func(park bool) (uint64, uint64) {
		w := MustNew(DefaultOptions(3))
		defer w.Close()
		n := w.AddNode("n", noSoftware)
		r := w.Stream("test")
		for i := range 3 {
			n.Spawn(fmt.Sprint("client", i), func(p *Proc) {
				wake := p.Unpark
				for range 50 {
					// The asynchronous call: a reply after a random delay (sometimes zero: after
					// the events already due).
					arm := func(done func()) { n.After(Duration(r.IntN(3))*ms(1), "reply", done) }
					if park {
						arm(wake)
						p.Park()
					} else {
						f := NewFuture[struct{}]()
						arm(func() { f.TryComplete(struct{}{}, nil) })
						_, _ = Await(p, f)
					}
					p.Sleep(Duration(r.IntN(2)) * ms(1))
				}
			})
		}
		w.RunFor(time.Second)
		return w.TraceHash(), w.Events()
	}
	h1, e1 := run(false)
	h2, e2 := run(true)
	if e1 < 400 {
		t.Fatalf("only %d events", e1)
	}
	if h1 != h2 || e1 != e2 {
		t.Fatalf("await: hash %016x after %d events; park: %016x after %d", h1, e1, h2, e2)
	}
}
