package models

import (
	"strconv"
	"strings"
	"testing"

	"zoosim/histories"
	"zoosim/tree"
)

const queueTestDir = "/q"

// queueTestItem is the node of item i.
func queueTestItem(i int) string { return queueTestDir + "/item-" + strconv.Itoa(1000000000+i) }

func queueTestStep(p int, step string, item int) histories.RecipeEvent {
	e := histories.RecipeEvent{Process: p, Session: tree.SessionID(0x10 + p), Recipe: histories.RecipeQueue, Step: step, Name: queueTestDir}
	if item >= 0 {
		e.Node, e.Token, e.Value = queueTestItem(item), int64(1000000000+item), "v"+strconv.Itoa(item)
	}
	return e
}

// queuePut commits item i's create by process p at a time and records "produced" 1 ms later.
func queuePut(b *recipeHistory, at histories.Time, p, i int) {
	barrierCreate(b, at, queueTestItem(i), tree.SessionID(0x10+p), false, "v"+strconv.Itoa(i))
	b.step(at+ms, queueTestStep(p, "produced", i))
}

// queueTake commits process p's delete of item i at a time and records step 1 ms later
// ("" records nothing).
func queueTake(b *recipeHistory, at histories.Time, p, i int, step string) {
	barrierDelete(b, at, queueTestItem(i), tree.SessionID(0x10+p))
	if step != "" {
		b.step(at+ms, queueTestStep(p, step, i))
	}
}

func queueMetric(v Verdict, name string) float64 {
	for _, m := range v.Metrics {
		if m.Name == name {
			return m.Value
		}
	}
	return -1
}

func TestQueuesPassesEachItemOnce(t *testing.T) {
	b := newRecipeHistory()
	queuePut(b, 10*ms, 0, 1)
	queuePut(b, 12*ms, 0, 2)
	queuePut(b, 14*ms, 0, 3)
	queueTake(b, 15*ms, 1, 1, "consumed")
	queueTake(b, 16*ms, 2, 2, "consumed")
	queueTake(b, 18*ms, 1, 3, "consumed")
	b.step(20*ms, histories.RecipeEvent{Process: 2, Session: 0x12, Recipe: histories.RecipeQueue, Step: "drained", Name: queueTestDir, Token: int64(19 * ms)})
	v := CheckQueues(b.finish(40*ms), QueueOptions{})
	if v.Status != Pass || !strings.Contains(v.Summary, "3 items put, 3 consumed") {
		t.Fatalf("three items taken once each: %s", v.String())
	}
}

// TestQueuesCatchesDoubleTake plants what FlawQueueIgnoreNoNode does: two consumers read the
// head, both delete it, and the one whose delete said NoNode takes it too.
func TestQueuesCatchesDoubleTake(t *testing.T) {
	b := newRecipeHistory()
	queuePut(b, 10*ms, 0, 1)
	queueTake(b, 15*ms, 1, 1, "consumed")
	b.step(17*ms, queueTestStep(2, "consumed", 1))
	v := CheckQueues(b.finish(40*ms), QueueOptions{})
	if v.Status != Fail || v.Total != 2 || !strings.Contains(v.Summary, "which session 0x11's delete removed") {
		t.Fatalf("an item taken twice: %s", v.String())
	}
}

// TestQueuesCatchesTakeOfAnothersItem: a consumer says it took an item whose delete was
// another's, even when that other could not tell (its delete's outcome was unknown to it).
func TestQueuesCatchesTakeOfAnothersItem(t *testing.T) {
	b := newRecipeHistory()
	queuePut(b, 10*ms, 0, 1)
	queueTake(b, 15*ms, 1, 1, "ambiguous")
	b.step(17*ms, queueTestStep(2, "consumed", 1))
	v := CheckQueues(b.finish(40*ms), QueueOptions{})
	if v.Status != Fail || v.Total != 1 {
		t.Fatalf("an item taken by one consumer and claimed by another: %s", v.String())
	}
}

// TestQueuesAmbiguousIsNotDouble: a consumer whose delete lost its connection and then got
// NoNode reports the item ambiguous; another consumer took it. That is one take, not two, and
// an ambiguous take by the deleter itself counts once too.
func TestQueuesAmbiguousIsNotDouble(t *testing.T) {
	b := newRecipeHistory()
	queuePut(b, 10*ms, 0, 1)
	queuePut(b, 11*ms, 0, 2)
	queueTake(b, 15*ms, 1, 1, "consumed")
	b.step(17*ms, queueTestStep(2, "ambiguous", 1))
	queueTake(b, 18*ms, 2, 2, "ambiguous")
	v := CheckQueues(b.finish(40*ms), QueueOptions{})
	if v.Status != Pass || queueMetric(v, "consumed") != 1 || queueMetric(v, "ambiguous") != 1 {
		t.Fatalf("one taken and one ambiguous: %s %+v", v.String(), v.Metrics)
	}
}

// TestQueuesLostWithConsumer: a consumer deleted an item and its session ended before it could
// say so: the item is its, lost with it, not a violation. The same delete by a session alive to
// the end of a run that converged is a lost item.
func TestQueuesLostWithConsumer(t *testing.T) {
	for _, ended := range []bool{true, false} {
		b := newRecipeHistory()
		queuePut(b, 10*ms, 0, 1)
		queueTake(b, 15*ms, 1, 1, "")
		if ended {
			barrierClose(b, 16*ms, 0x11)
		}
		h := b.finish(40 * ms)
		h.Liveness.Converged = true
		v := CheckQueues(h, QueueOptions{})
		if want := map[bool]Status{true: Pass, false: Fail}[ended]; v.Status != want {
			t.Errorf("an unreported delete, the deleter's session ended %v: %s, want %s", ended, v.String(), want)
		}
		if ended && queueMetric(v, "lost with their consumer's session") != 1 {
			t.Errorf("lost with the consumer: metrics %+v", v.Metrics)
		}
	}
}

// TestQueuesCatchesItemNeverConsumed: an acknowledged item still in the queue at the end is a
// violation when a poll that began after its put found the queue empty, not otherwise.
func TestQueuesCatchesItemNeverConsumed(t *testing.T) {
	for _, tc := range []struct {
		pollAt histories.Time
		want   Status
	}{{pollAt: 10 * ms, want: Pass}, {pollAt: 12 * ms, want: Fail}} {
		b := newRecipeHistory()
		queuePut(b, 10*ms, 0, 1) // acknowledged at 11ms
		b.step(20*ms, histories.RecipeEvent{Process: 2, Session: 0x12, Recipe: histories.RecipeQueue, Step: "drained", Name: queueTestDir, Token: int64(tc.pollAt)})
		v := CheckQueues(b.finish(40*ms), QueueOptions{})
		if v.Status != tc.want {
			t.Errorf("an item left, a poll begun at %s found the queue empty: %s, want %s", FormatTime(tc.pollAt), v.String(), tc.want)
		}
	}
}

// TestQueuesCatchesOutOfOrderTakes: one consumer takes item 2, then item 1.
func TestQueuesCatchesOutOfOrderTakes(t *testing.T) {
	b := newRecipeHistory()
	queuePut(b, 10*ms, 0, 1)
	queuePut(b, 11*ms, 0, 2)
	queueTake(b, 15*ms, 1, 2, "consumed")
	queueTake(b, 17*ms, 1, 1, "consumed")
	v := CheckQueues(b.finish(40*ms), QueueOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "out of sequence order") {
		t.Fatalf("takes out of order: %s", v.String())
	}
}

// TestQueuesCatchesWrongValue: the value a consumer got is not the item's.
func TestQueuesCatchesWrongValue(t *testing.T) {
	b := newRecipeHistory()
	queuePut(b, 10*ms, 0, 1)
	barrierDelete(b, 15*ms, queueTestItem(1), 0x11)
	e := queueTestStep(1, "consumed", 1)
	e.Value = "v9"
	b.step(16*ms, e)
	v := CheckQueues(b.finish(40*ms), QueueOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "was put with") {
		t.Fatalf("a wrong value: %s", v.String())
	}
}
