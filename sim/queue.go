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

// eventHeap is a 4-ary min-heap of events ordered by (at, seq). Events know their index, so that
// a timer can be moved or cancelled in logarithmic time.
//
// Four children per node rather than two halve the heap's depth: a pop moves the hole through
// half as many levels (one slot write and one index update each) for about the same number of
// comparisons, and a push climbs half as far. Keys are unique, so the pop order, and with it
// the run, does not depend on the heap's shape.
//
// Each slot holds its event's key beside the pointer: sifting compares keys in the heap's own
// array instead of loading every event it passes (a run keeps hundreds of events queued,
// scattered over the heap; the loads were most of the heap's time).
type eventHeap struct {
	// Invariant: items[i].ev.index == i, items[i].at and seq are items[i].ev's, and no item
	// is less than its parent, items[(i-1)/heapArity].
	items []heapItem
}

// heapArity is the number of children of a heap node: node i's are heapArity*i+1 to
// heapArity*i+heapArity. down picks the smallest of a full set of children in straight-line code
// written for four.
const heapArity = 4

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

// parent returns the index of the parent of node i > 0. The division is unsigned because i is
// never negative: by a power of two it is a single shift, without a signed division's rounding fix.
func parent(i int) int { return int(uint(i-1) / heapArity) }

func (h *eventHeap) push(e *event) {
	e.state = queued
	h.items = append(h.items, heapItem{})
	h.up(len(h.items)-1, heapItem{e.at, e.seq, e})
}

// pop removes and returns the earliest event; the heap must not be empty.
//
// It is removeAt(0) written out for the root, which has no parent to compare with: one pop per
// event the world handles.
func (h *eventHeap) pop() *event {
	items := h.items
	last := len(items) - 1
	top := items[0].ev
	moved := items[last]
	items[last] = heapItem{}
	h.items = items[:last]
	if last > 0 {
		h.down(0, moved)
	}
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
	if i > 0 && less(&moved, &h.items[parent(i)]) {
		h.up(i, moved)
	} else {
		h.down(i, moved)
	}
}

// fix restores the heap order after e's key changed.
func (h *eventHeap) fix(e *event) {
	it := heapItem{e.at, e.seq, e}
	if i := e.index; i > 0 && less(&it, &h.items[parent(i)]) {
		h.up(i, it)
	} else {
		h.down(i, it)
	}
}

// up moves the hole at i toward the root while it belongs above it, then puts it in it. Moving a
// hole writes one slot per level where swapping would write two.
func (h *eventHeap) up(i int, it heapItem) {
	items := h.items
	hole := &items[i] // the slot at i, held as a pointer: no index arithmetic or bounds check per move
	for i > 0 {
		pi := parent(i)
		p := &items[pi]
		if !less(&it, p) {
			break
		}
		*hole = *p
		p.ev.index = i
		hole, i = p, pi
	}
	*hole = it
	it.ev.index = i
}

// down moves the hole at i toward the leaves while a child belongs above it, then puts it in it.
func (h *eventHeap) down(i int, it heapItem) {
	items := h.items
	n := len(items)
	hole := &items[i] // the slot at i, as in up
	for {
		first := heapArity*i + 1
		if first >= n {
			break
		}
		// m and c become the smallest child's index and slot.
		m, c := first, &items[first]
		if first+heapArity <= n {
			// All four children: one bounds check for them all.
			kids := items[first : first+heapArity : first+heapArity]
			if less(&kids[1], c) {
				m, c = first+1, &kids[1]
			}
			if less(&kids[2], c) {
				m, c = first+2, &kids[2]
			}
			if less(&kids[3], c) {
				m, c = first+3, &kids[3]
			}
		} else {
			for j := first + 1; j < n; j++ {
				if less(&items[j], c) {
					m, c = j, &items[j]
				}
			}
		}
		if !less(c, &it) {
			break
		}
		*hole = *c
		c.ev.index = i
		hole, i = c, m
	}
	*hole = it
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
