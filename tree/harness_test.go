package tree

import (
	"testing"
)

// harness runs requests through the whole write pipeline of one server:
// prepare against the view, apply, commit, and trigger watches. After every
// txn it checks the tree's invariants and the leader's expected digest.
type harness struct {
	t       testing.TB
	tree    *Tree
	prep    *Preparer
	watches *Watches
	zxid    Zxid
	now     int64 // ms
	events  []WatchEvent
	auth    map[SessionID]Auth
}

func newHarness(t testing.TB, opts Options) *harness {
	t.Helper()
	tr := New(opts)
	if err := tr.CheckInvariants(); err != nil {
		t.Fatalf("a fresh tree breaks its invariants: %v", err)
	}
	return &harness{t: t, tree: tr, prep: NewPreparer(tr), watches: NewWatches(), zxid: 0x100000000, now: 1000, auth: map[SessionID]Auth{}}
}

// header returns the next header for session s; each txn moves the clock by
// one millisecond.
func (h *harness) header(s SessionID) Header {
	h.zxid++
	h.now++
	return Header{Session: s, Cxid: int32(h.zxid), Zxid: h.zxid, Time: h.now}
}

// session creates session s with a 30 s timeout.
func (h *harness) session(s SessionID) {
	h.t.Helper()
	h.do(s, Request{Type: OpCreateSession, Timeout: 30000})
	if _, ok := h.auth[s]; !ok {
		h.auth[s] = NewAuth("10.0.0.1")
	}
}

// prepare only prepares, as a leader with requests in flight does.
func (h *harness) prepare(s SessionID, req Request) *Txn {
	h.t.Helper()
	x := h.prep.Prepare(h.header(s), &req, h.auth[s])
	if x == nil {
		h.t.Fatalf("Prepare(%s) returned nil", req.String())
	}
	return x
}

// apply applies a prepared txn, commits it and checks everything.
func (h *harness) apply(x *Txn) Result {
	h.t.Helper()
	a := h.tree.Apply(x)
	if a.Skipped {
		h.t.Fatalf("txn %s skipped", x)
	}
	if a.DigestErr != nil {
		h.t.Fatalf("after %s: %v", x, a.DigestErr)
	}
	h.prep.Committed(x.Zxid)
	h.events = h.watches.Trigger(a.Changes, h.events)
	if err := h.tree.CheckInvariants(); err != nil {
		h.t.Fatalf("after %s: %v", x, err)
	}
	return a.Result
}

// do prepares and applies one write.
func (h *harness) do(s SessionID, req Request) Result {
	h.t.Helper()
	return h.apply(h.prepare(s, req))
}

// read serves a read for session s.
func (h *harness) read(s SessionID, req Request) Result {
	h.t.Helper()
	res, events := h.tree.Read(&req, s, h.auth[s], h.watches)
	h.events = append(h.events, events...)
	return res
}

// takeEvents returns the watch events since the last call.
func (h *harness) takeEvents() []WatchEvent {
	out := h.events
	h.events = nil
	return out
}

func (h *harness) stat(path string) Stat {
	h.t.Helper()
	st, ok := h.tree.Stat(path)
	if !ok {
		h.t.Fatalf("%s does not exist", path)
	}
	return st
}

func create(path string, mode CreateMode) Request {
	typ := OpCreate
	switch {
	case mode.IsContainer():
		typ = OpCreateContainer
	case mode.IsTTL():
		typ = OpCreateTTL
	}
	return Request{Type: typ, Path: path, Data: []byte("x"), ACL: OpenACLUnsafe, Mode: mode}
}

func del(path string, version int32) Request {
	return Request{Type: OpDelete, Path: path, Version: version}
}

func setData(path string, data string, version int32) Request {
	return Request{Type: OpSetData, Path: path, Data: []byte(data), Version: version}
}
