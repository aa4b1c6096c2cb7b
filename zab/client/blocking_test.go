package client

import (
	"testing"
	"time"

	"zoosim/tree"
)

// proc is a simulated process: a goroutine that runs only when the loop
// hands it control and hands it back when it parks, so exactly one thing
// runs at a time.
type proc struct {
	l      *loop
	resume chan struct{}
	yield  chan struct{}
	parked bool // between Park and the Unpark that ends it
	woken  bool // Unpark was called for the current Park
	done   bool
	parks  int
	// early makes that many Parks return at once without an Unpark, as a
	// waiter may when the process is woken for something else.
	early int
}

func startProc(l *loop, body func(p *proc)) *proc {
	p := &proc{l: l, resume: make(chan struct{}), yield: make(chan struct{})}
	l.after(0, func() {
		go func() {
			<-p.resume
			body(p)
			p.done = true
			p.yield <- struct{}{}
		}()
		p.step()
	})
	return p
}

// step runs the process until it parks or ends.
func (p *proc) step() {
	p.resume <- struct{}{}
	<-p.yield
}

// Park implements Waiter.
func (p *proc) Park() {
	if p.parked {
		panic("Park while parked")
	}
	p.parks++
	if p.early > 0 {
		p.early--
		return
	}
	p.parked, p.woken = true, false
	p.yield <- struct{}{}
	<-p.resume
	p.parked = false
}

// Unpark implements Waiter.
func (p *proc) Unpark() {
	if !p.parked {
		panic("Unpark while the process is not parked (inside the call?)")
	}
	if p.woken {
		panic("Unpark called twice")
	}
	p.woken = true
	p.l.after(0, p.step)
}

func TestBlockingSession(t *testing.T) {
	h := newHarness(t, 3, nil)
	var log []string
	var elapsed []time.Duration
	p := startProc(h.l, func(p *proc) {
		s := NewSession(h.c, p)
		step := func(what string, err error) {
			log = append(log, what+" "+CodeOf(err).String())
		}
		start := h.l.now
		step("waitConnected", s.WaitConnected())
		elapsed = append(elapsed, h.l.now-start)
		path, err := s.Create("/a", []byte("v"), tree.OpenACLUnsafe, tree.Persistent)
		step("create "+path, err)
		data, st, err := s.GetData("/a", nil)
		step("getData "+string(data)+" "+st.Czxid.String(), err)
		_, ok, err := s.Exists("/missing", nil)
		if ok {
			log = append(log, "exists says yes")
		}
		step("exists missing", err)
		_, err = s.SetData("/a", []byte("w"), 7)
		step("setData", err)
		kids, err := s.GetChildren("/", nil)
		step("children "+kids[0], err)
		step("sync", s.Sync("/"))
		_, err = s.Multi(CheckOp("/a", 0), DeleteOp("/a", 0))
		step("multi", err)
		step("delete", s.Delete("/a", -1))
		s.Close()
		step("closed "+h.c.State().String(), nil)
		_, err = s.Create("/b", nil, tree.OpenACLUnsafe, tree.Persistent)
		step("create after close", err)
		step("waitConnected after close", s.WaitConnected())
	})
	h.l.run(time.Minute)
	if !p.done {
		t.Fatalf("process still parked; log %v", log)
	}
	wantLog(t, log,
		"waitConnected OK",
		"create /a OK",
		"getData v 0x100000001 OK",
		"exists missing OK",
		"setData BadVersion",
		"children a OK",
		"sync OK",
		"multi Unimplemented",
		"delete OK",
		"closed Closed OK",
		"create after close SessionExpired",
		"waitConnected after close SessionExpired",
	)
	if elapsed[0] == 0 || p.parks != 12 {
		t.Fatalf("WaitConnected returned after %v, %d parks: the process must park for every call", elapsed[0], p.parks)
	}
}

// TestSessionParksUntilItsOwnCallCompleted: a Park that returns before the
// call's outcome arrived (the process was woken for something else) does
// not end the call; the session parks again.
func TestSessionParksUntilItsOwnCallCompleted(t *testing.T) {
	h := newHarness(t, 1, nil)
	h.open()
	var got string
	var gotErr error
	p := startProc(h.l, func(p *proc) {
		s := NewSession(h.c, p)
		p.early = 2
		got, gotErr = s.Create("/a", []byte("v"), tree.OpenACLUnsafe, tree.Persistent)
	})
	h.l.run(time.Minute)
	if !p.done || got != "/a" || gotErr != nil {
		t.Fatalf("done %v, create returned %q, %v; want /a, nil", p.done, got, gotErr)
	}
	if p.parks != 3 {
		t.Fatalf("%d parks, want 3 (two early returns, then the real wait)", p.parks)
	}
}
