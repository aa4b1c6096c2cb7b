package fifo

import (
	"testing"

	"pgregory.net/rapid"
)

// TestQueueMatchesSlice checks the queue against a plain slice under random pushes, batch
// pushes, pops and discards.
func TestQueueMatchesSlice(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q Queue[int]
		var model []int
		for i, n := 0, rapid.IntRange(0, 400).Draw(t, "steps"); i < n; i++ {
			switch op := rapid.IntRange(0, 3).Draw(t, "op"); {
			case len(model) > 0 && op == 0:
				if got := q.Pop(); got != model[0] {
					t.Fatalf("Pop = %d, want %d", got, model[0])
				}
				model = model[1:]
			case len(model) > 0 && op == 1:
				q.Discard()
				model = model[1:]
			case op == 2:
				vs := make([]int, rapid.IntRange(0, 9).Draw(t, "n"))
				for k := range vs {
					vs[k] = 1000*i + k
				}
				q.PushAll(vs)
				model = append(model, vs...)
			default:
				q.Push(i)
				model = append(model, i)
			}
			if q.Len() != len(model) {
				t.Fatalf("Len = %d, want %d", q.Len(), len(model))
			}
			for k := range model {
				if *q.At(k) != model[k] {
					t.Fatalf("At(%d) = %d, want %d", k, *q.At(k), model[k])
				}
			}
			if len(model) > 0 && *q.Front() != model[0] {
				t.Fatalf("Front = %d, want %d", *q.Front(), model[0])
			}
		}
	})
}

// TestQueueSteadyStateAllocatesNothing is the reason the package exists: a push-pop loop runs
// without allocating once the array has grown.
func TestQueueSteadyStateAllocatesNothing(t *testing.T) {
	var q Queue[[4]int]
	for i := 0; i < 8; i++ {
		q.Push([4]int{i})
	}
	allocs := testing.AllocsPerRun(1000, func() {
		q.Push([4]int{1})
		q.Pop()
	})
	if allocs != 0 {
		t.Fatalf("a push-pop loop allocates %.1f times per iteration", allocs)
	}
}

// TestQueuePopReleasesValues checks the invariant that popped slots hold zero values.
func TestQueuePopReleasesValues(t *testing.T) {
	var q Queue[*int]
	x := 1
	q.Push(&x)
	q.Push(&x)
	q.Push(&x)
	q.Pop()
	q.Discard()
	if q.items[0] != nil || q.items[1] != nil {
		t.Fatal("a popped or discarded slot still points at its value")
	}
	q.Clear()
	if q.Len() != 0 || len(q.items) != 0 {
		t.Fatal("Clear left values queued")
	}
}

func TestQueuePanicsWhenEmpty(t *testing.T) {
	for name, f := range map[string]func(*Queue[int]){
		"Pop":     func(q *Queue[int]) { q.Pop() },
		"Discard": func(q *Queue[int]) { q.Discard() },
		"Front":   func(q *Queue[int]) { q.Front() },
		"At":      func(q *Queue[int]) { q.At(0) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			var q Queue[int]
			f(&q)
		})
	}
}
