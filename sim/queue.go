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
// a timer can be moved or cancelled in logarithmic time. Each slot holds its event's key beside
// the pointer: sifting compares keys in the heap's own array instead of loading every event it
// passes (a run keeps hundreds of events queued, scattered over the heap; the loads were most of
// the heap's time).
type eventHeap struct {
	// Invariant: items[i].ev.index == i, and items[i].at and seq are items[i].ev's.
	items []heapItem
}

// heapItem is a queued event and its key.
type heapItem struct {
	at  Time
	seq uint64
	ev  *event
}

func (h *eventHeap) len() int { return len(h.items) }

// less orders heap items by time, then sequence.
func less(a, b *heapItem) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

func (h *eventHeap) push(e *event) {
	e.state = queued
	h.items = append(h.items, heapItem{})
	h.up(len(h.items)-1, heapItem{e.at, e.seq, e})
}

// pop removes and returns the earliest event; the heap must not be empty.
func (h *eventHeap) pop() *event {
	top := h.items[0].ev
	h.removeAt(0)
	top.index = -1
	top.state = idle
	return top
}

// peek returns the earliest event without removing it; the heap must not be empty.
func (h *eventHeap) peek() *event { return h.items[0].ev }

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
	h.items[last] = heapItem{}
	h.items = h.items[:last]
	if i == last {
		return
	}
	if i > 0 && less(&moved, &h.items[(i-1)/2]) {
		h.up(i, moved)
	} else {
		h.down(i, moved)
	}
}

// fix restores the heap order after e's key changed.
func (h *eventHeap) fix(e *event) {
	it := heapItem{e.at, e.seq, e}
	if i := e.index; i > 0 && less(&it, &h.items[(i-1)/2]) {
		h.up(i, it)
	} else {
		h.down(i, it)
	}
}

// up moves the hole at i toward the root while it belongs above it, then puts it in it. Moving a
// hole writes one slot per level where swapping would write two.
func (h *eventHeap) up(i int, it heapItem) {
	for i > 0 {
		parent := (i - 1) / 2
		p := &h.items[parent]
		if !less(&it, p) {
			break
		}
		h.items[i] = *p
		p.ev.index = i
		i = parent
	}
	h.items[i] = it
	it.ev.index = i
}

// down moves the hole at i toward the leaves while a child belongs above it, then puts it in it.
func (h *eventHeap) down(i int, it heapItem) {
	n := len(h.items)
	for {
		child := 2*i + 1
		if child >= n {
			break
		}
		c := &h.items[child]
		if right := child + 1; right < n && less(&h.items[right], c) {
			child, c = right, &h.items[right]
		}
		if !less(c, &it) {
			break
		}
		h.items[i] = *c
		c.ev.index = i
		i = child
	}
	h.items[i] = it
	it.ev.index = i
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
