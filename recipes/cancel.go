package recipes

import (
	"time"

	"zoosim/zab/client"
)

// Cancel stops blocking recipe calls, as a context.Context would: a call given a Cancel returns
// ErrCanceled (or the Cancel's own error) soon after Cancel is called, having undone what it
// started (a lock waiter deletes its node).
//
// Recipes do not take a context.Context because they run in simulated processes
// (DESIGN.md "Processes"): a context's deadline reads the wall clock, and waking a parked
// process when a context is done would need context.AfterFunc, which calls back on a goroutine
// of its own, racing the event loop. A Cancel wakes the processes blocked on it directly, on the
// event loop, and its deadlines are virtual-time timers.
//
// A nil *Cancel is never cancelled. A Cancel belongs to one simulated world; it may be shared by
// several processes and calls.
type Cancel struct {
	err error
	// waiting are the sessions whose processes are blocked in a call given this Cancel, woken
	// when it is cancelled. Invariant: no session appears twice.
	waiting []*client.Session
	timer   client.Timer
}

// NewCancel returns a Cancel that is not cancelled yet.
func NewCancel() *Cancel { return &Cancel{} }

// WithTimeout returns a Cancel that cancels itself with ErrTimeout once d of virtual time has
// passed, measured on s's clock.
func WithTimeout(s *client.Session, d time.Duration) *Cancel {
	c := &Cancel{}
	c.timer = s.After(d, func() { c.CancelWith(ErrTimeout) })
	return c
}

// Cancel cancels with ErrCanceled.
func (c *Cancel) Cancel() { c.CancelWith(ErrCanceled) }

// CancelWith cancels with err (ErrCanceled when nil) and wakes every process blocked on c.
// Cancelling twice keeps the first error.
func (c *Cancel) CancelWith(err error) {
	if c == nil || c.err != nil {
		return
	}
	if err == nil {
		err = ErrCanceled
	}
	c.err = err
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	waiting := c.waiting
	c.waiting = nil
	for _, s := range waiting {
		s.Wake()
	}
}

// Err is nil until c is cancelled, then the error it was cancelled with.
func (c *Cancel) Err() error {
	if c == nil {
		return nil
	}
	return c.err
}

// enter registers s as blocked on c, so that cancelling c wakes it.
func (c *Cancel) enter(s *client.Session) {
	if c == nil {
		return
	}
	for _, w := range c.waiting {
		if w == s {
			return
		}
	}
	c.waiting = append(c.waiting, s)
}

// leave undoes enter.
func (c *Cancel) leave(s *client.Session) {
	if c == nil {
		return
	}
	for i, w := range c.waiting {
		if w == s {
			c.waiting = append(c.waiting[:i], c.waiting[i+1:]...)
			return
		}
	}
}
