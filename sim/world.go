package sim

import (
	"fmt"
	"slices"
)

// World is one simulated run: the virtual clock, the event queue, the seeded streams, the nodes
// with their disks, the network between them, and the trace.
//
// A World is driven by one goroutine, the caller's. Step handles the earliest event and jumps the
// clock to it; nothing else ever runs. Simulated processes are coroutines that the World resumes
// one at a time from inside Step (see Proc).
type World struct {
	opts Options
	// now is the current virtual time.
	// Invariant: now never decreases, and no queued event is earlier than now.
	now   Time
	seq   uint64
	queue eventHeap
	// root is the run seed's stream; the kernel forks its own streams from it by name ("net/...",
	// "disk/...", "node/...").
	root *Rand
	// purposes is the branch the callers' streams fork from, so that no purpose name can
	// collide with a kernel stream.
	purposes *Rand
	// streams holds the shared stream of each purpose, created on first use.
	streams map[string]*Rand
	// nodes are indexed by NodeID.
	nodes []*Node
	net   network
	trace tracer
	// current is the process running now, or nil when the kernel itself is running.
	current *Proc
	// procs holds every process not yet finished, in spawn order, so Close can stop them.
	procs   []*Proc
	procSeq uint64
	// timerSeq numbers timers, for the trace.
	timerSeq uint64
	closed   bool
}

// New returns a World at time zero with no nodes. It returns an error if the options are invalid.
func New(opts Options) (*World, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	root := NewRand(opts.Seed)
	w := &World{
		opts:     opts,
		root:     root,
		purposes: root.Fork("purpose"),
		streams:  map[string]*Rand{},
	}
	w.net.init(w)
	return w, nil
}

// MustNew is New for options known to be valid, such as DefaultOptions; it panics otherwise.
func MustNew(opts Options) *World {
	w, err := New(opts)
	if err != nil {
		panic(err)
	}
	return w
}

// Options returns the options the world was built with.
func (w *World) Options() Options { return w.opts }

// Now returns the current virtual time.
func (w *World) Now() Time { return w.now }

// Stream returns the shared random stream for a purpose ("faults", "workload", ...), forked by
// name from the run's seed. Everything drawing for one purpose shares its stream; purposes never
// move each other.
func (w *World) Stream(purpose string) *Rand {
	r, ok := w.streams[purpose]
	if !ok {
		r = w.purposes.Fork(purpose)
		w.streams[purpose] = r
	}
	return r
}

// nextSeq returns the tie-breaker for the next scheduled event.
func (w *World) nextSeq() uint64 {
	w.seq++
	return w.seq
}

// schedule arms e to fire at t, moving it if it was already armed.
func (w *World) schedule(e *event, t Time) {
	if t < w.now {
		panic(fmt.Sprintf("sim: scheduling an event at %v, before now (%v)", t, w.now))
	}
	if e.owner != nil {
		e.incarnation = e.owner.incarnation
	}
	switch e.state {
	case queued:
		e.at, e.seq = t, w.nextSeq()
		w.queue.fix(e)
		return
	case deferred:
		e.owner.undefer(e)
	}
	e.at, e.seq = t, w.nextSeq()
	w.queue.push(e)
}

// unschedule disarms e if it is armed.
func (w *World) unschedule(e *event) {
	switch e.state {
	case queued:
		w.queue.remove(e)
	case deferred:
		e.owner.undefer(e)
	}
}

// Step handles the earliest event, jumping the clock to it, and reports whether there was one.
func (w *World) Step() bool {
	if w.queue.len() == 0 {
		return false
	}
	e := w.queue.pop()
	w.now = e.at
	if n := e.owner; n != nil {
		if !n.up || e.incarnation != n.incarnation {
			return true // armed by software that has since crashed
		}
		if n.paused {
			e.state = deferred
			n.deferred = append(n.deferred, e)
			return true
		}
	}
	e.fire()
	return true
}

// RunUntil handles every event due at or before t, then sets the clock to t.
func (w *World) RunUntil(t Time) {
	for w.queue.len() > 0 && w.queue.peek().at <= t {
		w.Step()
	}
	if t > w.now {
		w.now = t
	}
}

// RunFor runs the world for d of virtual time.
func (w *World) RunFor(d Duration) { w.RunUntil(w.now.Add(d)) }

// RunWhile handles events while cond holds and the next event is due at or before limit. It
// reports whether cond still held when it stopped (true means the limit or the end of events was
// reached first).
func (w *World) RunWhile(cond func() bool, limit Time) bool {
	for cond() {
		if w.queue.len() == 0 || w.queue.peek().at > limit {
			return true
		}
		w.Step()
	}
	return false
}

// Pending returns how many events are queued.
func (w *World) Pending() int { return w.queue.len() }

// NextEventAt returns when the next event is due, or Never if none is queued.
func (w *World) NextEventAt() Time {
	if w.queue.len() == 0 {
		return Never
	}
	return w.queue.peek().at
}

// At arms a world timer (one that belongs to no node: a harness step, a fault schedule) to call
// fn at time t.
func (w *World) At(t Time, label string, fn func()) *Timer {
	tm := w.newTimer(nil, label, fn)
	w.schedule(&tm.ev, t)
	return tm
}

// After arms a world timer to call fn after d.
func (w *World) After(d Duration, label string, fn func()) *Timer {
	return w.At(w.now.Add(d), label, fn)
}

// NewTimer returns an unarmed world timer; Reset arms it.
func (w *World) NewTimer(label string, fn func()) *Timer { return w.newTimer(nil, label, fn) }

// Close stops every process that has not finished, so that their coroutines are released. The
// world must not be used afterwards.
func (w *World) Close() {
	if w.closed {
		return
	}
	w.closed = true
	for _, p := range slices.Clone(w.procs) { // each kill removes its process from w.procs
		p.kill()
	}
	w.procs = nil
}
