package sim

// Timer calls a function at a point of virtual time. It can be stopped, and re-armed with Reset
// as often as needed without allocating: election timeouts, pings, session expiry checks and
// retries all re-arm one Timer.
//
// A node's timer belongs to the node's current incarnation: if the node crashes, the timer never
// fires again, and while the node is paused it fires late, when the node resumes.
type Timer struct {
	w     *World
	ev    event
	id    uint64
	label string
	fn    func()
}

func (w *World) newTimer(owner *Node, label string, fn func()) *Timer {
	if fn == nil {
		panic("sim: timer " + label + " has no function")
	}
	w.timerSeq++
	t := &Timer{w: w, id: w.timerSeq, label: label, fn: fn}
	t.ev.owner = owner
	t.ev.index = -1
	t.ev.fire = t.fire
	return t
}

func (t *Timer) fire() {
	t.w.record(&record{kind: recTimer, node: t.ev.owner, a: t.id, label: t.label})
	t.fn()
}

// Reset arms the timer to fire after d, replacing any earlier arming.
func (t *Timer) Reset(d Duration) { t.w.schedule(&t.ev, t.w.now.Add(d)) }

// ResetAt arms the timer to fire at time at, which must not be in the past.
func (t *Timer) ResetAt(at Time) { t.w.schedule(&t.ev, at) }

// Stop disarms the timer and reports whether it was armed.
func (t *Timer) Stop() bool {
	armed := t.ev.state != idle
	t.w.unschedule(&t.ev)
	return armed
}

// Armed reports whether the timer will fire (late, if its node is paused).
func (t *Timer) Armed() bool { return t.ev.state != idle }

// When returns when an armed timer is due.
func (t *Timer) When() Time { return t.ev.at }
