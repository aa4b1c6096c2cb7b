package sim

import (
	"errors"
	"slices"
)

// ErrTimeout is returned by AwaitTimeout and Mailbox.GetTimeout when time ran out.
var ErrTimeout = errors.New("sim: timed out")

// Future is a value that event-driven code (a client library receiving a reply) completes later
// and a process waits for. Completing it wakes its waiting processes at the current time, in the
// order they started waiting, and runs its callbacks at once.
type Future[T any] struct {
	done bool
	val  T
	err  error
	// waiters are the processes blocked on the future, in the order they blocked.
	waiters   []*Proc
	callbacks []func(T, error)
}

// NewFuture returns a future that is not complete.
func NewFuture[T any]() *Future[T] { return &Future[T]{} }

// Resolve completes the future with a value; completing a future twice panics.
func (f *Future[T]) Resolve(v T) { f.Complete(v, nil) }

// Fail completes the future with an error.
func (f *Future[T]) Fail(err error) {
	var zero T
	f.Complete(zero, err)
}

// Complete completes the future with a value and an error; completing it twice panics.
func (f *Future[T]) Complete(v T, err error) {
	if !f.TryComplete(v, err) {
		panic("sim: future completed twice")
	}
}

// TryComplete completes the future unless it is complete already, and reports whether it did:
// for races such as a reply against a timeout.
func (f *Future[T]) TryComplete(v T, err error) bool {
	if f.done {
		return false
	}
	f.done, f.val, f.err = true, v, err
	waiters, callbacks := f.waiters, f.callbacks
	f.waiters, f.callbacks = nil, nil
	for _, p := range waiters {
		p.wakeNow()
	}
	for _, cb := range callbacks {
		cb(v, err)
	}
	return true
}

// Done reports whether the future is complete.
func (f *Future[T]) Done() bool { return f.done }

// Result returns the value and error of a complete future; it panics if it is not complete.
func (f *Future[T]) Result() (T, error) {
	if !f.done {
		panic("sim: Result of an incomplete future")
	}
	return f.val, f.err
}

// OnDone calls cb when the future completes, or at once if it already has.
func (f *Future[T]) OnDone(cb func(v T, err error)) {
	if f.done {
		cb(f.val, f.err)
		return
	}
	f.callbacks = append(f.callbacks, cb)
}

func (f *Future[T]) addWaiter(p *Proc) {
	if !slices.Contains(f.waiters, p) {
		f.waiters = append(f.waiters, p)
	}
}

// leave takes p out of the waiters (it timed out, or was killed).
func (f *Future[T]) leave(p *Proc) {
	f.waiters = slices.DeleteFunc(f.waiters, func(q *Proc) bool { return q == p })
}

// Await blocks the process until the future completes and returns its result.
func Await[T any](p *Proc, f *Future[T]) (T, error) {
	for !f.done {
		f.addWaiter(p)
		p.blockOn(f)
	}
	return f.val, f.err
}

// AwaitTimeout is Await with a limit: after d without completion it returns ErrTimeout.
func AwaitTimeout[T any](p *Proc, f *Future[T], d Duration) (T, error) {
	deadline := p.w.now.Add(d)
	for !f.done {
		if p.w.now >= deadline {
			f.leave(p)
			var zero T
			return zero, ErrTimeout
		}
		f.addWaiter(p)
		p.w.schedule(&p.wake, deadline)
		p.blockOn(f)
	}
	return f.val, f.err
}

// Mailbox is an unbounded FIFO queue that event-driven code fills and processes drain: watch
// events for a recipe, replies for a pipelining client. It is fair: items go to the waiting
// processes in the order they started waiting, and an item is not taken by TryGet while a process
// waits for it.
type Mailbox[T any] struct {
	items []T
	head  int
	// waiters are the processes blocked in Get, in the order they started waiting; the first
	// Len() of them are entitled to an item.
	waiters []*Proc
}

// Put appends v and wakes the waiting process entitled to it.
func (m *Mailbox[T]) Put(v T) {
	m.items = append(m.items, v)
	m.wakeEntitled()
}

// Len returns how many items wait in the mailbox.
func (m *Mailbox[T]) Len() int { return len(m.items) - m.head }

// TryGet takes the oldest item if there is one that no waiting process is entitled to.
func (m *Mailbox[T]) TryGet() (T, bool) {
	if m.Len() <= len(m.waiters) {
		var zero T
		return zero, false
	}
	return m.take(), true
}

// Get blocks the process until an item is there for it and takes it.
func (m *Mailbox[T]) Get(p *Proc) T {
	v, _ := m.get(p, Never)
	return v
}

// GetTimeout is Get with a limit: after d without an item it returns ErrTimeout.
func (m *Mailbox[T]) GetTimeout(p *Proc, d Duration) (T, error) {
	return m.get(p, p.w.now.Add(d))
}

func (m *Mailbox[T]) get(p *Proc, deadline Time) (T, error) {
	if !slices.Contains(m.waiters, p) {
		m.waiters = append(m.waiters, p)
	}
	for {
		if i := slices.Index(m.waiters, p); i < m.Len() {
			m.leave(p)
			return m.take(), nil
		}
		if p.w.now >= deadline {
			m.leave(p)
			var zero T
			return zero, ErrTimeout
		}
		if deadline != Never {
			p.w.schedule(&p.wake, deadline)
		}
		p.blockOn(m)
	}
}

func (m *Mailbox[T]) take() T {
	var zero T
	v := m.items[m.head]
	m.items[m.head] = zero
	m.head++
	if m.head == len(m.items) {
		m.items, m.head = m.items[:0], 0
	}
	return v
}

// leave takes p out of the waiters (it got an item, timed out, or was killed) and wakes whoever
// that made entitled.
func (m *Mailbox[T]) leave(p *Proc) {
	m.waiters = slices.DeleteFunc(m.waiters, func(q *Proc) bool { return q == p })
	m.wakeEntitled()
}

func (m *Mailbox[T]) wakeEntitled() {
	for i := 0; i < len(m.waiters) && i < m.Len(); i++ {
		m.waiters[i].wakeNow()
	}
}
