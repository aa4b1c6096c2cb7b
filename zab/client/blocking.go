package client

import (
	"time"

	"zoosim/tree"
)

// Waiter parks and resumes the simulated process that runs a Session. The
// host implements it (sim/cluster, on sim.Proc's Park and Unpark): a
// process is a coroutine that only the kernel resumes, so exactly one
// thing runs at a time (DESIGN.md, sim "Processes").
//
// A Session issues its request first, from the process itself, then calls
// Park, which blocks the process until Unpark is called. The Session calls
// Unpark once per call, from the event loop, while the process is parked:
// the client never runs a callback inside a call, so the outcome cannot
// come before Park. Park may also return early (an Unpark meant for
// something else the process waits on): the Session parks again until its
// own call has completed.
//
// The interface has no per-call argument, so a waiter that parks the
// process itself (not a future made per call) lets a call allocate
// nothing.
type Waiter interface {
	Park()
	Unpark()
}

// Session is the blocking facade over a Client for straight-line code
// running as a simulated process (recipes, workloads). Each method issues
// the asynchronous call and parks the process until its callback ran.
// Watch events and session events still go to watchers from the event
// loop. Several processes may share one Client, each with its own Session
// and Waiter; one Session makes one call at a time.
//
// The Session is the completer of its own calls: the outcome is copied
// into res and err and the process is resumed, so a call allocates no
// closure, and the process reads the outcome there, without copying it
// again.
type Session struct {
	c *Client
	w Waiter
	// busy is set from the issue of a call until its outcome arrived.
	busy bool
	// res and err are the outcome of the last call, set by complete. They
	// stay until the next call completes, which overwrites them whole: a
	// process reads its outcome right after wait, before its next call.
	res tree.Result
	err error
}

// NewSession returns a blocking facade over c that parks through w.
func NewSession(c *Client, w Waiter) *Session { return &Session{c: c, w: w} }

// Client returns the asynchronous client underneath.
func (s *Session) Client() *Client { return s.c }

// complete receives the outcome of the call in progress, on the event
// loop, and resumes the process.
func (s *Session) complete(res *tree.Result, err error) {
	s.res, s.err, s.busy = *res, err, false
	s.w.Unpark()
}

// issue marks a call in progress; the caller then makes the call with s as
// its completer and waits.
func (s *Session) issue() *Session {
	s.busy = true
	return s
}

// wait parks until the call just issued completed and returns its outcome.
// The result is the Session's own, good until the next call: callers take
// the fields they return from it at once.
func (s *Session) wait() (*tree.Result, error) {
	for s.busy {
		s.w.Park()
	}
	return &s.res, s.err
}

// WaitConnected blocks until the client is Connected, or fails with the
// error requests would get if it ends first.
func (s *Session) WaitConnected() error {
	s.c.waitConnected(s.issue())
	_, err := s.wait()
	return err
}

// Close closes the session and blocks until the client is Closed.
func (s *Session) Close() {
	s.c.close(s.issue())
	s.wait()
}

// AddAuth adds a digest credential; it does not block (see Client.AddAuth).
func (s *Session) AddAuth(userPassword string) { s.c.AddAuth(userPassword) }

// Create is the blocking Client.Create.
func (s *Session) Create(path string, data []byte, acl []tree.ACL, mode tree.CreateMode) (string, error) {
	s.c.create(createOpcode(mode), path, data, acl, mode, 0, s.issue())
	r, err := s.wait()
	return r.Path, err
}

// Create2 is the blocking Client.Create2.
func (s *Session) Create2(path string, data []byte, acl []tree.ACL, mode tree.CreateMode, ttl time.Duration) (string, tree.Stat, error) {
	s.c.create(create2Opcode(mode), path, data, acl, mode, ttl, s.issue())
	r, err := s.wait()
	return r.Path, r.Stat, err
}

// Delete is the blocking Client.Delete.
func (s *Session) Delete(path string, version int32) error {
	s.c.call(tree.Request{Type: tree.OpDelete, Path: path, Version: version}, s.issue())
	_, err := s.wait()
	return err
}

// Exists is the blocking Client.Exists. Like the Java client's synchronous
// exists it reports a missing node as ok == false with a nil error; the
// watch (an exist watch) is set all the same.
func (s *Session) Exists(path string, w *Watcher) (stat tree.Stat, ok bool, err error) {
	s.c.read(tree.OpExists, path, w, s.issue())
	r, err := s.wait()
	if CodeOf(err) == tree.NoNode {
		return tree.Stat{}, false, nil
	}
	return r.Stat, err == nil, err
}

// GetData is the blocking Client.GetData.
func (s *Session) GetData(path string, w *Watcher) ([]byte, tree.Stat, error) {
	s.c.read(tree.OpGetData, path, w, s.issue())
	r, err := s.wait()
	return r.Data, r.Stat, err
}

// SetData is the blocking Client.SetData.
func (s *Session) SetData(path string, data []byte, version int32) (tree.Stat, error) {
	s.c.call(tree.Request{Type: tree.OpSetData, Path: path, Data: data, Version: version}, s.issue())
	r, err := s.wait()
	return r.Stat, err
}

// GetChildren is the blocking Client.GetChildren.
func (s *Session) GetChildren(path string, w *Watcher) ([]string, error) {
	s.c.read(tree.OpGetChildren, path, w, s.issue())
	r, err := s.wait()
	return r.Children, err
}

// GetChildren2 is the blocking Client.GetChildren2.
func (s *Session) GetChildren2(path string, w *Watcher) ([]string, tree.Stat, error) {
	s.c.read(tree.OpGetChildren2, path, w, s.issue())
	r, err := s.wait()
	return r.Children, r.Stat, err
}

// GetACL is the blocking Client.GetACL.
func (s *Session) GetACL(path string) ([]tree.ACL, tree.Stat, error) {
	s.c.call(tree.Request{Type: tree.OpGetACL, Path: path}, s.issue())
	r, err := s.wait()
	return r.ACL, r.Stat, err
}

// SetACL is the blocking Client.SetACL.
func (s *Session) SetACL(path string, acl []tree.ACL, version int32) (tree.Stat, error) {
	s.c.setACL(path, acl, version, s.issue())
	r, err := s.wait()
	return r.Stat, err
}

// Sync is the blocking Client.Sync.
func (s *Session) Sync(path string) error {
	s.c.call(tree.Request{Type: tree.OpSync, Path: path}, s.issue())
	_, err := s.wait()
	return err
}

// Multi is the blocking Client.Multi.
func (s *Session) Multi(ops ...tree.Request) ([]tree.Result, error) {
	s.c.multi(ops, s.issue())
	r, err := s.wait()
	return r.Multi, err
}

// AddWatch is the blocking Client.AddWatch.
func (s *Session) AddWatch(path string, w *Watcher, mode tree.WatchMode) error {
	s.c.addWatch(path, w, mode, s.issue())
	_, err := s.wait()
	return err
}

// RemoveWatches is the blocking Client.RemoveWatches.
func (s *Session) RemoveWatches(path string, w *Watcher, t tree.WatcherType, local bool) error {
	s.c.removeWatchesOf(path, w, t, local, s.issue())
	_, err := s.wait()
	return err
}

// RemoveAllWatches is the blocking Client.RemoveAllWatches.
func (s *Session) RemoveAllWatches(path string, t tree.WatcherType, local bool) error {
	s.c.removeWatches(tree.OpRemoveWatches, path, nil, t, local, s.issue())
	_, err := s.wait()
	return err
}

// Park blocks the process until Wake is called. It is how code built on
// the Session (the recipes) waits for a watch event, a session event, a
// timer or another process: a watcher's callback runs on the event loop and
// calls Wake. Park may return early, so callers loop on their own
// condition:
//
//	for !fired {
//		s.Park()
//	}
//
// A Wake that comes while the process is not parked is kept for its next
// Park.
func (s *Session) Park() { s.w.Park() }

// Wake resumes the process parked in Park; it may be called from the event
// loop (a watcher, a timer) or from another process.
func (s *Session) Wake() { s.w.Unpark() }

// After runs fn on the event loop once d of virtual time has passed,
// unless the timer is stopped first; fn typically sets a flag and calls
// Wake. It is the only clock a process running a Session may use
// (DESIGN.md, the determinism contract).
func (s *Session) After(d time.Duration, fn func()) Timer { return s.c.env.After(d, fn) }

// Now is the virtual time.
func (s *Session) Now() time.Duration { return s.c.env.Now() }
