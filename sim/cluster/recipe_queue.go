package cluster

import (
	"errors"
	"strconv"

	"zoosim/histories"
	"zoosim/recipes"
)

// WorkloadQueue runs recipes.Queue: in each group, the clients at even positions produce and
// the others consume, on one queue (the group's directory). A producer puts items with unique
// values ("p<slot>.<client>.<n>") and records "produced" once Put returned; a consumer takes
// items (Take, blocking while the queue is empty) and records "consumed" when Take returned an
// item, "ambiguous" when its delete had an unknown outcome (recipes.ErrTakeUnknown). Node is
// the item's node, Value its data, Token its sequence number. Sessions are lost right after a
// put or a take (loseSession): a consumer whose session ends right after its delete owns the
// item all the same.
//
// Once every fault is healed, producers stop producing and every client drains the queue with
// Poll (sync, then take without waiting); a client that finds it empty records "drained"
// (Token: the virtual time at which the poll began), so that models.CheckQueues can tell an item
// that was never consumed although consumers lived from one the run ended too soon to consume.
const WorkloadQueue WorkloadKind = "queue"

// The queue workload's steps (histories.RecipeEvent.Step).
const (
	StepQueueProduced  = "produced"
	StepQueueConsumed  = "consumed"
	StepQueueAmbiguous = "ambiguous"
	StepQueueDrained   = "drained"
)

func init() {
	registerRecipe(&recipeDriver{kind: WorkloadQueue, recipe: histories.RecipeQueue, step: queueStep})
}

// queueClient is a queue client's state for its session.
type queueClient struct {
	q *recipes.Queue
	// drained says whether the last poll found the queue empty, so that "drained" is recorded
	// once each time the queue is found empty.
	drained bool
}

func queueStep(wk *worker) {
	qc, _ := wk.recipe.(*queueClient)
	if qc == nil {
		qc = &queueClient{q: recipes.NewQueue(wk.sess, wk.recipeDir())}
		qc.q.Flaws = wk.r.sc.RecipeFlaws
		wk.recipe = qc
	}
	q := qc.q
	switch {
	case wk.r.healed:
		// Drain without pausing: the cooldown is short, and the queue may hold what the
		// consumers could not take while faults held them up.
		for !wk.r.stopping {
			start := wk.r.now()
			wk.beginRecipe("queue poll " + q.Dir())
			it, ok, err := q.Poll(wk.cancel)
			wk.end()
			switch {
			case err != nil:
				queueTakeFailed(wk, q, it, err)
				return
			case ok:
				qc.drained = false
				wk.recipeStep(StepQueueConsumed, q.Dir(), it.Node, it.Seq, string(it.Data))
			default:
				if !qc.drained {
					qc.drained = true
					wk.recipeStep(StepQueueDrained, q.Dir(), "", int64(start), "")
				}
				return
			}
		}
		return
	case queueProducer(wk):
		wk.beginRecipe("queue put " + q.Dir())
		value := "p" + strconv.Itoa(wk.slot) + "." + strconv.Itoa(wk.vals.client) + "." + strconv.Itoa(wk.vals.n+1)
		wk.vals.n++
		node, err := q.Put(wk.cancel, []byte(value))
		wk.end()
		if err != nil {
			if !errors.Is(err, recipes.ErrSessionEnded) && !errors.Is(err, recipes.ErrCanceled) {
				wk.recipeStep("error", q.Dir(), "", 0, err.Error())
			}
			return
		}
		seq, _ := strconv.ParseInt(node[max(0, len(node)-10):], 10, 64)
		wk.recipeStep(StepQueueProduced, q.Dir(), node, seq, value)
		// Consumers race for the head, and each loss costs a read and a failed delete: half
		// as many puts keep the queue short enough to drain once the faults are healed.
		wk.hold()
	default:
		wk.beginRecipe("queue take " + q.Dir())
		it, err := q.Take(wk.cancel)
		wk.end()
		if err != nil {
			queueTakeFailed(wk, q, it, err)
			return
		}
		wk.recipeStep(StepQueueConsumed, q.Dir(), it.Node, it.Seq, string(it.Data))
	}
	if wk.loseSession() {
		return
	}
	wk.hold()
}

// queueTakeFailed records a take whose outcome is unknown, or an unexpected failure.
func queueTakeFailed(wk *worker, q *recipes.Queue, it recipes.Item, err error) {
	switch {
	case errors.Is(err, recipes.ErrTakeUnknown):
		wk.recipeStep(StepQueueAmbiguous, q.Dir(), it.Node, it.Seq, string(it.Data))
	case errors.Is(err, recipes.ErrSessionEnded), errors.Is(err, recipes.ErrCanceled):
	default:
		wk.recipeStep("error", q.Dir(), "", 0, err.Error())
	}
}

// queueProducer reports whether the worker produces: its position among its group's clients is
// even.
func queueProducer(wk *worker) bool {
	pos := 0
	for slot, k := range wk.r.lay.kinds[:wk.slot] {
		if k == wk.kind && wk.r.lay.group[slot] == wk.group {
			pos++
		}
	}
	return pos%2 == 0
}
