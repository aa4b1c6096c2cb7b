// Package fifo is a first-in-first-out queue that reuses its array. The simulator's hot paths
// (a session's pending requests, a host's acknowledgements waiting for an fsync) push and pop in
// a loop for the whole run; slicing the head off a plain slice loses capacity with every pop and
// reallocates forever, while a Queue settles at its high-water mark and allocates nothing more.
package fifo

// Queue is a FIFO queue. The zero value is an empty queue ready to use.
type Queue[T any] struct {
	// Invariant: items[head:] are the queued values, oldest first; items[:head] are zero values,
	// so popped values are not kept alive.
	items []T
	head  int
}

// Len returns the number of queued values.
func (q *Queue[T]) Len() int { return len(q.items) - q.head }

// Front returns the oldest value, which stays queued; it panics on an empty queue.
func (q *Queue[T]) Front() *T {
	if q.head == len(q.items) {
		panic("fifo: Front of an empty queue")
	}
	return &q.items[q.head]
}

// At returns the i-th oldest value (0 is the front); it panics when i is out of range.
func (q *Queue[T]) At(i int) *T {
	if i < 0 || i >= q.Len() {
		panic("fifo: index out of range")
	}
	return &q.items[q.head+i]
}

// Push adds v at the back.
func (q *Queue[T]) Push(v T) {
	if q.head > 0 && len(q.items) == cap(q.items) && q.head >= len(q.items)/2 {
		// Full, and at least half of the array is dead front: slide down instead of growing.
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, v)
}

// PushAll adds vs at the back, oldest first: Push for each, without copying large values twice.
func (q *Queue[T]) PushAll(vs []T) {
	if q.head > 0 && len(q.items)+len(vs) > cap(q.items) && q.head >= len(q.items)/2 {
		// No room, and at least half of the array is dead front: slide down first.
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, vs...)
}

// Discard removes the oldest value, as Pop does, without returning it: with Front, a large value
// is used in place instead of copied out. It panics on an empty queue.
func (q *Queue[T]) Discard() {
	if q.head == len(q.items) {
		panic("fifo: Discard of an empty queue")
	}
	var zero T
	q.items[q.head] = zero
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
}

// Pop removes and returns the oldest value; it panics on an empty queue.
func (q *Queue[T]) Pop() T {
	if q.head == len(q.items) {
		panic("fifo: Pop of an empty queue")
	}
	v := q.items[q.head]
	q.Discard()
	return v
}

// Clear empties the queue, keeping its array.
func (q *Queue[T]) Clear() {
	clear(q.items)
	q.items, q.head = q.items[:0], 0
}
