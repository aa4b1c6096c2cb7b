package sim

// event is one thing that will happen at a point of virtual time: a timer firing, the head
// message of a connection arriving, an fsync completing, a process waking.
//
// Events are owned by the object that schedules them (a Timer, a flow, a Disk, a Proc) and are
// re-armed rather than reallocated, so that a steady-state run allocates nothing per event.
type event struct {
	// at is when the event fires.
	at Time
	// seq breaks ties between events at the same time: the one scheduled first fires first.
	// Invariant: seq is unique among queued events and increases with every (re)scheduling.
	seq uint64
	// index is the event's position in the heap.
	// Invariant: index >= 0 exactly when state == queued.
	index int
	state eventState
	// owner is the node whose software handles the event, or nil for the world's own events.
	// An owned event is dropped if the node crashed and deferred while it is paused.
	owner *Node
	// incarnation is owner's incarnation when the event was armed: an event armed by software
	// that has since crashed never fires in the software that replaced it.
	incarnation uint32
	fire        func()
}

type eventState uint8

const (
	idle eventState = iota
	queued
	deferred // due while its owner was paused; waits in owner.deferred
)

// eventHeap is a binary min-heap of events ordered by (at, seq). Events know their index, so that
// a timer can be moved or cancelled in logarithmic time.
type eventHeap struct {
	items []*event
}

func (h *eventHeap) len() int { return len(h.items) }

func less(a, b *event) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

func (h *eventHeap) push(e *event) {
	e.state = queued
	h.items = append(h.items, e)
	h.up(len(h.items)-1, e)
}

// pop removes and returns the earliest event; the heap must not be empty.
func (h *eventHeap) pop() *event {
	top := h.items[0]
	h.removeAt(0)
	top.index = -1
	top.state = idle
	return top
}

// peek returns the earliest event without removing it; the heap must not be empty.
func (h *eventHeap) peek() *event { return h.items[0] }

// remove takes a queued event out of the heap.
func (h *eventHeap) remove(e *event) {
	h.removeAt(e.index)
	e.index = -1
	e.state = idle
}

// removeAt fills the slot at i with the last event and restores the order around it.
func (h *eventHeap) removeAt(i int) {
	last := len(h.items) - 1
	moved := h.items[last]
	h.items[last] = nil
	h.items = h.items[:last]
	if i == last {
		return
	}
	if i > 0 && less(moved, h.items[(i-1)/2]) {
		h.up(i, moved)
	} else {
		h.down(i, moved)
	}
}

// fix restores the heap order after e's key changed.
func (h *eventHeap) fix(e *event) {
	if i := e.index; i > 0 && less(e, h.items[(i-1)/2]) {
		h.up(i, e)
	} else {
		h.down(i, e)
	}
}

// up moves the hole at i toward the root while e belongs above it, then puts e in it. Moving a
// hole writes one slot per level where swapping would write two.
func (h *eventHeap) up(i int, e *event) {
	for i > 0 {
		parent := (i - 1) / 2
		p := h.items[parent]
		if !less(e, p) {
			break
		}
		h.items[i] = p
		p.index = i
		i = parent
	}
	h.items[i] = e
	e.index = i
}

// down moves the hole at i toward the leaves while a child belongs above e, then puts e in it.
func (h *eventHeap) down(i int, e *event) {
	n := len(h.items)
	for {
		child := 2*i + 1
		if child >= n {
			break
		}
		c := h.items[child]
		if right := child + 1; right < n && less(h.items[right], c) {
			child, c = right, h.items[right]
		}
		if !less(c, e) {
			break
		}
		h.items[i] = c
		c.index = i
		i = child
	}
	h.items[i] = e
	e.index = i
}

// appendLive appends v to a queue whose live part is q[head:] and returns the queue and its new
// head. When q is full and at least half of it is dead, the live part moves to the front instead
// of the slice growing: a queue that never quite empties (a connection always carrying messages,
// a disk with an fsync always in flight) stays as long as its longest backlog, where plain
// append would grow it with every item ever queued, copying it at each growth.
func appendLive[T any](q []T, head int, v T) ([]T, int) {
	if head > 0 && len(q) == cap(q) && 2*head >= len(q) {
		n := copy(q, q[head:])
		clear(q[n:]) // the moved items' old slots: no stale references
		q, head = q[:n], 0
	}
	return append(q, v), head
}
