package sim

import (
	"fmt"
	"iter"
	"slices"
)

// Proc is a simulated process: straight-line Go code (a client workload, a lock recipe) that
// blocks on futures, mailboxes or Park (until an Unpark) and sleeps in virtual time, as if it ran
// on its own thread.
//
// It runs as a coroutine (iter.Pull) that only the kernel resumes, from inside Step, so exactly
// one thing runs at a time and a process switch is a direct hand-off, with no scheduler between.
// A process of a node dies with the node: when the node crashes, the process's next blocking
// call unwinds its stack (deferred calls run, and their effects on the dead node are ignored).
type Proc struct {
	w    *World
	node *Node
	name string
	id   uint64
	body func(p *Proc)
	next func() (struct{}, bool)
	stop func()
	// yield is the coroutine's hand-back; valid while the body runs.
	yield func(struct{}) bool
	// wake resumes the process: armed by Sleep, by a completed future, or at spawn.
	wake    event
	started bool
	// done is set when the body returned or the process was killed.
	done bool
	// killed is set when the process's node crashed or the world closed.
	killed bool
	// blockedOn is what the process waits on (a future, a mailbox), so that a killed process
	// can leave it and not hold up the processes waiting behind it.
	blockedOn waitList
	// parked is set while the process waits in Park.
	parked bool
	// unparked records an Unpark that Park has not consumed yet.
	// Invariant: while parked, the wake event is armed exactly when unparked is set.
	unparked bool
}

// waitList is something processes block on in order.
type waitList interface {
	leave(p *Proc)
}

// procKilled unwinds a killed process's stack.
type procKilled struct{}

// Spawn starts a process on the node; it begins running at the current time, after the events
// already due now.
func (n *Node) Spawn(name string, body func(p *Proc)) *Proc {
	if !n.up {
		panic(fmt.Sprintf("sim: spawning %s on %s, which is down", name, n.name))
	}
	p := n.w.spawn(n, name, body)
	n.procs = append(n.procs, p)
	return p
}

// Spawn starts a process of the world's own (a fault schedule, a test driver) that belongs to no
// node and survives every crash.
func (w *World) Spawn(name string, body func(p *Proc)) *Proc { return w.spawn(nil, name, body) }

func (w *World) spawn(n *Node, name string, body func(p *Proc)) *Proc {
	if w.closed {
		panic("sim: spawning " + name + " in a closed world")
	}
	w.procSeq++
	p := &Proc{w: w, node: n, name: name, id: w.procSeq, body: body}
	p.next, p.stop = iter.Pull(p.run)
	p.wake.owner = n
	p.wake.index = -1
	p.wake.fire = p.resume
	w.procs = append(w.procs, p)
	w.schedule(&p.wake, w.now)
	return p
}

// run is the coroutine: the body, with the unwinding of a kill caught at the top.
func (p *Proc) run(yield func(struct{}) bool) {
	p.yield = yield
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(procKilled); !ok {
				panic(r)
			}
		}
	}()
	if !p.killed {
		p.body(p)
	}
}

// resume hands control to the process until it blocks or returns.
func (p *Proc) resume() {
	if p.done {
		return
	}
	kind := recProcWake
	if !p.started {
		kind, p.started = recProcStart, true
	}
	p.w.record(&record{kind: kind, node: p.node, a: p.id, label: p.name})
	prev := p.w.current
	p.w.current = p
	_, alive := p.next()
	p.w.current = prev
	if !alive {
		p.finish()
	}
}

func (p *Proc) finish() {
	if p.done {
		return
	}
	p.done = true
	p.w.procs = slices.DeleteFunc(p.w.procs, func(q *Proc) bool { return q == p })
	if p.node != nil {
		p.node.procs = slices.DeleteFunc(p.node.procs, func(q *Proc) bool { return q == p })
	}
	p.w.record(&record{kind: recProcExit, node: p.node, a: p.id, label: p.name})
}

// kill ends the process. A process that is running now (it crashed its own node) unwinds at its
// next blocking call; any other is unwound at once.
func (p *Proc) kill() {
	if p.done || p.killed {
		return
	}
	p.killed = true
	p.w.unschedule(&p.wake)
	if q := p.blockedOn; q != nil {
		p.blockedOn = nil
		q.leave(p)
	}
	if p.w.current == p {
		return
	}
	prev := p.w.current
	p.w.current = p
	p.stop()
	p.w.current = prev
	p.finish()
}

// park hands control back to the kernel until the process's wake event fires.
func (p *Proc) park() {
	if p.killed {
		panic(procKilled{})
	}
	if p.w.current != p {
		panic(fmt.Sprintf("sim: process %s blocked from outside its own body", p.name))
	}
	if !p.yield(struct{}{}) || p.killed {
		panic(procKilled{})
	}
}

// blockOn parks the process while it waits on q.
func (p *Proc) blockOn(q waitList) {
	p.blockedOn = q
	defer func() { p.blockedOn = nil }()
	p.park()
}

// wakeNow makes a parked process runnable at the current time.
func (p *Proc) wakeNow() {
	if !p.done && !p.killed {
		p.w.schedule(&p.wake, p.w.now)
	}
}

// Name returns the process's name.
func (p *Proc) Name() string { return p.name }

// Node returns the node the process runs on, or nil for a world process.
func (p *Proc) Node() *Node { return p.node }

// World returns the world the process runs in.
func (p *Proc) World() *World { return p.w }

// Now returns the current virtual time.
func (p *Proc) Now() Time { return p.w.now }

// Done reports whether the process has finished or was killed.
func (p *Proc) Done() bool { return p.done }

// Sleep blocks the process for d of virtual time.
func (p *Proc) Sleep(d Duration) { p.SleepUntil(p.w.now.Add(d)) }

// SleepUntil blocks the process until time t (at once if t is not in the future).
func (p *Proc) SleepUntil(t Time) {
	p.w.schedule(&p.wake, t.Max(p.w.now))
	p.park()
}

// Yield lets every other event due now run before the process continues.
func (p *Proc) Yield() { p.SleepUntil(p.w.now) }

// Park blocks the process until Unpark is called for it, then returns. It is the cheapest way to
// wait for an event-driven callback: a process that issues an asynchronous call with p.Unpark as
// its completion, then parks, allocates nothing, wait after wait (no future, no waiter list).
//
// An Unpark that came before Park (the process was not parked) is kept: Park then returns at
// once, without letting other events run. Several Unparks before one Park count as one, so the
// caller must make sure every Unpark answers the wait at hand: one that belongs to an earlier wait
// ends the next one early. A killed process unwinds at Park, like at every blocking call.
//
// Park is the process's own blocking call, like Sleep: calling it from outside the process's body
// panics. Between Unpark and the return from Park, the trace shows the process's wake-up exactly
// as it shows a future completing for a process in Await.
func (p *Proc) Park() {
	if p.killed {
		panic(procKilled{})
	}
	if p.w.current != p {
		panic(fmt.Sprintf("sim: process %s parked from outside its own body", p.name))
	}
	for !p.unparked {
		p.parked = true
		p.park()
		p.parked = false
	}
	p.unparked = false
}

// Unpark wakes the process from Park at the current time, after the events already due now; if
// it is not parked, its next Park returns at once. It is meant for the event loop (a callback, a
// timer, a Received) or another process; it does nothing for a process that finished or was
// killed. It allocates nothing, but p.Unpark taken as a func value does: take it once per process
// and reuse it.
func (p *Proc) Unpark() {
	if p.done || p.killed || p.unparked {
		return
	}
	p.unparked = true
	if p.parked {
		p.wakeNow()
	}
}
