package sim

import (
	"cmp"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// The heap pops in (time, sequence) order whatever mix of pushes, removals and re-keyings came
// before: checked against a sorted slice. Up to 100 events make heaps four levels deep, with
// nodes that have all four children and a last parent that has fewer.
func TestEventHeapPopsInTimeThenSequenceOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var h eventHeap
		var model []*event
		var seq uint64
		events := make([]*event, rapid.IntRange(1, 100).Draw(t, "events"))
		for i := range events {
			events[i] = &event{index: -1}
		}
		steps := rapid.IntRange(1, 400).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			e := events[rapid.IntRange(0, len(events)-1).Draw(t, "event")]
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0, 1: // schedule or re-schedule
				seq++
				e.at, e.seq = Time(rapid.IntRange(0, 10).Draw(t, "at")), seq
				if e.state == queued {
					h.fix(e)
				} else {
					h.push(e)
					model = append(model, e)
				}
			case 2:
				if e.state == queued {
					h.remove(e)
					model = slices.DeleteFunc(model, func(x *event) bool { return x == e })
				}
			case 3:
				if h.len() > 0 {
					slices.SortFunc(model, func(a, b *event) int {
						return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq))
					})
					got := h.pop()
					if got != model[0] {
						t.Fatalf("popped (%d,%d), want (%d,%d)", got.at, got.seq, model[0].at, model[0].seq)
					}
					model = model[1:]
				}
			}
			for j, it := range h.items {
				if e := it.ev; e.index != j || e.state != queued || it.at != e.at || it.seq != e.seq {
					t.Fatalf("item %d (key %d,%d) has index %d state %d key %d,%d", j, it.at, it.seq, e.index, e.state, e.at, e.seq)
				}
				if j == 0 {
					continue
				}
				if p := &h.items[parent(j)]; less(&it, p) {
					t.Fatalf("item %d (key %d,%d) is less than its parent (key %d,%d)", j, it.at, it.seq, p.at, p.seq)
				}
			}
		}
		if h.len() != len(model) {
			t.Fatalf("heap has %d items, model %d", h.len(), len(model))
		}
	})
}

// A queue that never empties keeps a bounded slice, in order, and leaves no stale values behind.
func TestAppendLiveReusesTheDeadPrefix(t *testing.T) {
	var q []int
	head, next, want := 0, 1, 1
	q, head = appendLive(q, head, next) // one item stays live throughout
	next++
	for round := 0; round < 1000; round++ {
		for range 3 {
			q, head = appendLive(q, head, next)
			next++
			for i, v := range q[len(q):cap(q)] {
				if v != 0 {
					t.Fatalf("round %d: slot %d past the end holds %d", round, len(q)+i, v)
				}
			}
		}
		for range 3 {
			if q[head] != want {
				t.Fatalf("took %d, want %d", q[head], want)
			}
			q[head] = 0
			head++
			want++
		}
		if cap(q) > 16 {
			t.Fatalf("round %d: cap %d for %d live items", round, cap(q), len(q)-head)
		}
		for i, v := range q[:cap(q)] {
			if (i < head || i >= len(q)) && v != 0 {
				t.Fatalf("round %d: dead slot %d holds %d", round, i, v)
			}
		}
	}
}
