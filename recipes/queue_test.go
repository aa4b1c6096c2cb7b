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

// queueContend has two producers put 15 items each and three consumers take all 30; it returns
// how often each value was taken and the failures, among them a consumer's takes out of order.
func queueContend(t *testing.T, flaws recipes.Flaws) (map[string]int, procErrors) {
	e := recipeEnsemble(t, 1, 3)
	var errs procErrors
	const perProducer = 15
	taken := map[string]int{}
	total := 0
	var procs []*sim.Proc
	for i := range 2 {
		name := fmt.Sprintf("producer%d", i)
		p, _ := barrierProcess(e, name, func(p *sim.Proc, s *client.Session) {
			_ = s.WaitConnected()
			q := recipes.NewQueue(s, "/queues/a")
			for n := range perProducer {
				if _, err := q.Put(nil, fmt.Appendf(nil, "%s-%d", name, n)); err != nil {
					errs.errorf("%s: put: %v", name, err)
					return
				}
				p.Sleep(3 * time.Millisecond)
			}
		})
		procs = append(procs, p)
	}
	for i := range 3 {
		name := fmt.Sprintf("consumer%d", i)
		p, _ := barrierProcess(e, name, func(p *sim.Proc, s *client.Session) {
			_ = s.WaitConnected()
			q := recipes.NewQueue(s, "/queues/a")
			q.Flaws = flaws
			last := int64(-1)
			for total < 2*perProducer {
				it, err := q.Take(recipes.WithTimeout(s, time.Second))
				if errors.Is(err, recipes.ErrTimeout) {
					continue
				}
				if err != nil {
					errs.errorf("%s: take: %v", name, err)
					return
				}
				taken[string(it.Data)]++
				total++
				if it.Seq <= last {
					errs.errorf("%s took item %d after item %d", name, it.Seq, last)
				}
				last = it.Seq
			}
		})
		procs = append(procs, p)
	}
	runProcesses(t, e, time.Minute, procs...)
	return taken, errs
}

// TestQueueEachItemOnce: every item put is taken exactly once, and each consumer takes in
// sequence order.
func TestQueueEachItemOnce(t *testing.T) {
	taken, errs := queueContend(t, nil)
	errs.report(t)
	if len(taken) != 30 {
		t.Errorf("%d distinct items taken, want 30", len(taken))
	}
	for v, n := range taken {
		if n != 1 {
			t.Errorf("item %s taken %d times", v, n)
		}
	}
}

// TestQueueEachItemOnceCatchesFlaw: with a take that ignores NoNode, some item is taken twice.
func TestQueueEachItemOnceCatchesFlaw(t *testing.T) {
	taken, _ := queueContend(t, recipes.Flaws{recipes.FlawQueueIgnoreNoNode})
	for _, n := range taken {
		if n > 1 {
			return
		}
	}
	t.Fatalf("a take that ignores NoNode took no item twice: %v", taken)
}

// TestQueueTakeBlocksAndPoll: Poll on an empty queue says so at once; Take blocks until an item
// is put, then returns the items in put order; a Take that times out takes nothing.
func TestQueueTakeBlocksAndPoll(t *testing.T) {
	e := recipeEnsemble(t, 2, 3)
	var errs procErrors
	start := e.World().Now()
	c, _ := barrierProcess(e, "consumer", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		q := recipes.NewQueue(s, "/queues/b")
		if _, ok, err := q.Poll(nil); ok || err != nil {
			errs.errorf("Poll on an empty queue = %v, %v: want not ok, no error", ok, err)
		}
		if _, err := q.Take(recipes.WithTimeout(s, 50*time.Millisecond)); !errors.Is(err, recipes.ErrTimeout) {
			errs.errorf("Take on an empty queue with a 50ms timeout = %v, want ErrTimeout", err)
		}
		for _, want := range []string{"first", "second"} {
			it, err := q.Take(nil)
			if err != nil || string(it.Data) != want {
				errs.errorf("Take = %q, %v: want %q", it.Data, err, want)
			}
		}
		if d := p.Now().Sub(start); d < 500*time.Millisecond {
			errs.errorf("Take returned at %v, before the put at 500ms", d)
		}
	})
	pr, _ := barrierProcess(e, "producer", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		p.Sleep(500 * time.Millisecond)
		q := recipes.NewQueue(s, "/queues/b")
		for _, v := range []string{"first", "second"} {
			if _, err := q.Put(nil, []byte(v)); err != nil {
				errs.errorf("put: %v", err)
			}
		}
	})
	runProcesses(t, e, time.Minute, c, pr)
	errs.report(t)
}
