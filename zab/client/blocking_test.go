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
	arming bool
	done   bool
	parks  int
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

// Wait implements Waiter.
func (p *proc) Wait(arm func(wake func())) {
	woken := false
	p.arming = true
	arm(func() {
		if p.arming {
			panic("wake called inside arm")
		}
		if woken {
			panic("wake called twice")
		}
		woken = true
		p.l.after(0, p.step)
	})
	p.arming = false
	p.parks++
	p.yield <- struct{}{}
	<-p.resume
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
