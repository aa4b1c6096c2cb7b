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

// eventHeap is a binary min-heap of events ordered by (at, seq).
type eventHeap struct {
	items []*event
}

func (h *eventHeap) len() int { return len(h.items) }

func less(a, b *event) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

func (h *eventHeap) push(e *event) {
	e.index = len(h.items)
	e.state = queued
	h.items = append(h.items, e)
	h.up(e.index)
}

// pop removes and returns the earliest event; the heap must not be empty.
func (h *eventHeap) pop() *event {
	last := len(h.items) - 1
	top := h.items[0]
	h.swap(0, last)
	h.items[last] = nil
	h.items = h.items[:last]
	if last > 0 {
		h.down(0)
	}
	top.index = -1
	top.state = idle
	return top
}

// peek returns the earliest event without removing it; the heap must not be empty.
func (h *eventHeap) peek() *event { return h.items[0] }

// remove takes a queued event out of the heap.
func (h *eventHeap) remove(e *event) {
	i, last := e.index, len(h.items)-1
	if i != last {
		h.swap(i, last)
	}
	h.items[last] = nil
	h.items = h.items[:last]
	if i != last {
		if !h.down(i) {
			h.up(i)
		}
	}
	e.index = -1
	e.state = idle
}

// fix restores the heap order after e's key changed.
func (h *eventHeap) fix(e *event) {
	if !h.down(e.index) {
		h.up(e.index)
	}
}

func (h *eventHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index = i
	h.items[j].index = j
}

func (h *eventHeap) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !less(h.items[i], h.items[parent]) {
			return
		}
		h.swap(i, parent)
		i = parent
	}
}

// down sifts the item at i toward the leaves and reports whether it moved.
func (h *eventHeap) down(i int) bool {
	start, n := i, len(h.items)
	for {
		child := 2*i + 1
		if child >= n {
			break
		}
		if right := child + 1; right < n && less(h.items[right], h.items[child]) {
			child = right
		}
		if !less(h.items[child], h.items[i]) {
			break
		}
		h.swap(i, child)
		i = child
	}
	return i > start
}
