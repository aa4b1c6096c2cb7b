package client

import (
	"time"

	"zoosim/tree"
)

// Waiter parks the calling simulated process until wake is called from the
// event loop. The host implements it (sim/cluster): a process is a
// coroutine that only the kernel resumes, so exactly one thing runs at a
// time (DESIGN.md, sim "Processes").
//
// Wait calls arm once, with the function that resumes the process. The
// session passes an arm that issues the request, so the request is made
// by the process itself, in its turn. wake is called exactly once, from
// the event loop, never inside arm: the client never runs a callback
// inside a call.
type Waiter interface{ Wait(arm func(wake func())) }

// Session is the blocking facade over a Client for straight-line code
// running as a simulated process (recipes, workloads). Each method issues
// the asynchronous call and parks the process until its callback ran.
// Watch events and session events still go to watchers from the event
// loop. Several processes may share one Client, each with its own Session
// and Waiter.
type Session struct {
	c *Client
	w Waiter
}

// NewSession returns a blocking facade over c that parks through w.
func NewSession(c *Client, w Waiter) *Session { return &Session{c: c, w: w} }

// Client returns the asynchronous client underneath.
func (s *Session) Client() *Client { return s.c }

// await issues a call through start and parks until it calls done.
func (s *Session) await(start func(done func())) {
	s.w.Wait(func(wake func()) { start(wake) })
}

// WaitConnected blocks until the client is Connected, or fails with the
// error requests would get if it ends first.
func (s *Session) WaitConnected() error {
	var err error
	s.await(func(done func()) { s.c.WaitConnected(func(e error) { err = e; done() }) })
	return err
}

// Close closes the session and blocks until the client is Closed.
func (s *Session) Close() {
	s.await(func(done func()) { s.c.Close(done) })
}

// AddAuth adds a digest credential; it does not block (see Client.AddAuth).
func (s *Session) AddAuth(userPassword string) { s.c.AddAuth(userPassword) }

// Create is the blocking Client.Create.
func (s *Session) Create(path string, data []byte, acl []tree.ACL, mode tree.CreateMode) (string, error) {
	var out string
	var err error
	s.await(func(done func()) {
		s.c.Create(path, data, acl, mode, func(p string, e error) { out, err = p, e; done() })
	})
	return out, err
}

// Create2 is the blocking Client.Create2.
func (s *Session) Create2(path string, data []byte, acl []tree.ACL, mode tree.CreateMode, ttl time.Duration) (string, tree.Stat, error) {
	var out string
	var st tree.Stat
	var err error
	s.await(func(done func()) {
		s.c.Create2(path, data, acl, mode, ttl, func(p string, x tree.Stat, e error) { out, st, err = p, x, e; done() })
	})
	return out, st, err
}

// Delete is the blocking Client.Delete.
func (s *Session) Delete(path string, version int32) error {
	var err error
	s.await(func(done func()) { s.c.Delete(path, version, func(e error) { err = e; done() }) })
	return err
}

// Exists is the blocking Client.Exists. Like the Java client's synchronous
// exists it reports a missing node as ok == false with a nil error; the
// watch (an exist watch) is set all the same.
func (s *Session) Exists(path string, w *Watcher) (stat tree.Stat, ok bool, err error) {
	s.await(func(done func()) {
		s.c.Exists(path, w, func(x tree.Stat, e error) { stat, err = x, e; done() })
	})
	if CodeOf(err) == tree.NoNode {
		return tree.Stat{}, false, nil
	}
	return stat, err == nil, err
}

// GetData is the blocking Client.GetData.
func (s *Session) GetData(path string, w *Watcher) ([]byte, tree.Stat, error) {
	var data []byte
	var st tree.Stat
	var err error
	s.await(func(done func()) {
		s.c.GetData(path, w, func(d []byte, x tree.Stat, e error) { data, st, err = d, x, e; done() })
	})
	return data, st, err
}

// SetData is the blocking Client.SetData.
func (s *Session) SetData(path string, data []byte, version int32) (tree.Stat, error) {
	var st tree.Stat
	var err error
	s.await(func(done func()) {
		s.c.SetData(path, data, version, func(x tree.Stat, e error) { st, err = x, e; done() })
	})
	return st, err
}

// GetChildren is the blocking Client.GetChildren.
func (s *Session) GetChildren(path string, w *Watcher) ([]string, error) {
	var kids []string
	var err error
	s.await(func(done func()) {
		s.c.GetChildren(path, w, func(k []string, e error) { kids, err = k, e; done() })
	})
	return kids, err
}

// GetChildren2 is the blocking Client.GetChildren2.
func (s *Session) GetChildren2(path string, w *Watcher) ([]string, tree.Stat, error) {
	var kids []string
	var st tree.Stat
	var err error
	s.await(func(done func()) {
		s.c.GetChildren2(path, w, func(k []string, x tree.Stat, e error) { kids, st, err = k, x, e; done() })
	})
	return kids, st, err
}

// GetACL is the blocking Client.GetACL.
func (s *Session) GetACL(path string) ([]tree.ACL, tree.Stat, error) {
	var acl []tree.ACL
	var st tree.Stat
	var err error
	s.await(func(done func()) {
		s.c.GetACL(path, func(a []tree.ACL, x tree.Stat, e error) { acl, st, err = a, x, e; done() })
	})
	return acl, st, err
}

// SetACL is the blocking Client.SetACL.
func (s *Session) SetACL(path string, acl []tree.ACL, version int32) (tree.Stat, error) {
	var st tree.Stat
	var err error
	s.await(func(done func()) {
		s.c.SetACL(path, acl, version, func(x tree.Stat, e error) { st, err = x, e; done() })
	})
	return st, err
}

// Sync is the blocking Client.Sync.
func (s *Session) Sync(path string) error {
	var err error
	s.await(func(done func()) { s.c.Sync(path, func(e error) { err = e; done() }) })
	return err
}

// Multi is the blocking Client.Multi.
func (s *Session) Multi(ops ...tree.Request) ([]tree.Result, error) {
	var res []tree.Result
	var err error
	s.await(func(done func()) {
		s.c.Multi(ops, func(r []tree.Result, e error) { res, err = r, e; done() })
	})
	return res, err
}

// AddWatch is the blocking Client.AddWatch.
func (s *Session) AddWatch(path string, w *Watcher, mode tree.WatchMode) error {
	var err error
	s.await(func(done func()) { s.c.AddWatch(path, w, mode, func(e error) { err = e; done() }) })
	return err
}

// RemoveWatches is the blocking Client.RemoveWatches.
func (s *Session) RemoveWatches(path string, w *Watcher, t tree.WatcherType, local bool) error {
	var err error
	s.await(func(done func()) { s.c.RemoveWatches(path, w, t, local, func(e error) { err = e; done() }) })
	return err
}

// RemoveAllWatches is the blocking Client.RemoveAllWatches.
func (s *Session) RemoveAllWatches(path string, t tree.WatcherType, local bool) error {
	var err error
	s.await(func(done func()) { s.c.RemoveAllWatches(path, t, local, func(e error) { err = e; done() }) })
	return err
}
