package recipes

import (
	"fmt"
	"strings"

	"zoosim/histories"
	"zoosim/tree"
	"zoosim/zab/client"
)

// Barrier is ZooKeeper's N-party barrier (the entry half of the double barrier in ZooKeeper's
// recipes, "Double Barriers"): each process creates an ephemeral sequential node under the
// barrier's directory, and passes once N processes are present. The process that finds N
// present creates the directory's "ready" node; every other waiter watches only that node
// (an exists watch set before it lists the directory, so the creation cannot slip past it).
//
// Guarantee. A process passes only after N nodes, of N distinct sessions, existed in the
// directory at one moment: the ready node is created by a process that listed them, and a
// passer either created it or saw it. A session that expires while waiting drops out (its node
// goes with it) and no longer counts for those who list after that; a process whose session
// expires after it was counted does not hold the others back, since the ready node stays. A
// waiter whose session expires gets ErrSessionEnded and must enter again with a new session. A
// barrier is single-use: once ready exists every later arrival passes at once, so rounds use a
// directory each (the workload in sim/cluster numbers them).
//
// Nodes are counted by session (the session id is in each node's name), so that a create that
// lost its connection and was repeated (ZooKeeper's recipes, "Recoverable errors and the GUID")
// never counts one process twice.
type Barrier struct {
	s   *client.Session
	dir string
	n   int
	// Flaws, when set, break the recipe on purpose (for the checkers' tests).
	Flaws Flaws

	// node is this process's node, "" before Join and after Exit; readyZxid is the ready
	// node's czxid once Await passed, 0 before.
	node      string
	readyZxid int64
}

// FlawBarrierPassEarly creates the ready node when N-1 processes are present: processes pass
// before N entered.
const FlawBarrierPassEarly Flaw = "barrier-pass-early"

func init() {
	registerFlaw(FlawBarrierPassEarly, histories.RecipeBarrier, "creates the ready node (and passes) when N-1 processes are present")
}

// barrierPrefix starts every process node's name in a barrier's directory; barrierReady is the
// node whose creation lets everyone pass.
const (
	barrierPrefix = "b-"
	barrierReady  = "ready"
)

// NewBarrier returns an n-party barrier on directory dir (created on first use) for the process
// running s.
func NewBarrier(s *client.Session, dir string, n int) *Barrier {
	return &Barrier{s: s, dir: dir, n: max(1, n)}
}

// Dir is the barrier's directory; Parties the N it waits for.
func (b *Barrier) Dir() string  { return b.dir }
func (b *Barrier) Parties() int { return b.n }

// Node is this process's node in the barrier, "" if none.
func (b *Barrier) Node() string { return b.node }

// ReadyZxid is the ready node's czxid once Await passed, 0 before.
func (b *Barrier) ReadyZxid() int64 { return b.readyZxid }

// Enter joins the barrier and blocks until N processes are present: Join, then Await.
func (b *Barrier) Enter(c *Cancel) (int64, error) {
	if err := b.Join(c); err != nil {
		return 0, err
	}
	return b.Await(c)
}

// Join creates this process's node, and returns once it exists: from then on the process
// counts toward N.
func (b *Barrier) Join(c *Cancel) error {
	if b.node != "" {
		return fmt.Errorf("recipes: barrier %s: Join while present with %s", b.dir, b.node)
	}
	node, err := barrierJoin(b.s, c, b.dir)
	b.node = node
	return err
}

// Await blocks until N processes are present (or were: see the guarantee) and returns the ready
// node's czxid. It fails with ErrSessionEnded when the session ends first, or with c's error
// when c is cancelled first; then the node is gone (deleted by Await, or with the session).
func (b *Barrier) Await(c *Cancel) (int64, error) {
	if b.node == "" {
		return 0, fmt.Errorf("%w: barrier %s: Await before Join", ErrNotHeld, b.dir)
	}
	need := b.n
	if b.Flaws.Has(FlawBarrierPassEarly) {
		need--
	}
	zxid, err := barrierAwait(b.s, c, b.dir, b.node, need)
	if err != nil {
		_ = b.Exit()
		return 0, err
	}
	b.readyZxid = zxid
	return zxid, nil
}

// Exit deletes this process's node, riding out a lost connection (ErrSessionEnded when the
// session ended: the node is gone with it). Once ready exists a node counts for nobody, so
// exiting after Await keeps the directory small and changes nothing for the others.
func (b *Barrier) Exit() error {
	node := b.node
	b.node, b.readyZxid = "", 0
	return deleteOwned(b.s, node)
}

// barrierJoin creates a process node in dir, with the session id in its name.
func barrierJoin(s *client.Session, c *Cancel, dir string) (string, error) {
	if err := ensurePath(s, c, dir); err != nil {
		return "", err
	}
	node, _, err := createOwned(s, c, dir, barrierPrefix)
	return node, err
}

// barrierAwait blocks until dir's ready node exists, creating it when need distinct sessions
// have nodes in dir; node is the caller's own, which must still be there. It returns the ready
// node's czxid.
func barrierAwait(s *client.Session, c *Cancel, dir, node string, need int) (int64, error) {
	ready := join(dir, barrierReady)
	me := base(node)
	for {
		// The watch goes on before the listing: a ready node created after this exists call
		// fires it, whatever the listing says.
		sig := newSignal(s)
		var stat tree.Stat
		var ok bool
		if err := retry(s, c, func() (err error) { stat, ok, err = s.Exists(ready, sig.w); return err }); err != nil {
			return 0, err
		}
		if ok {
			return int64(stat.Czxid), nil
		}
		kids, err := listSequential(s, c, dir, barrierPrefix)
		if err != nil {
			return 0, err
		}
		if indexOf(kids, me) < 0 {
			// Only the session's end deletes our node while we wait.
			return 0, fmt.Errorf("%w: barrier node %s is gone", ErrSessionEnded, node)
		}
		if barrierSessions(kids) >= need {
			return barrierCreateReady(s, c, ready)
		}
		if err := sig.await(c); err != nil {
			return 0, err
		}
	}
}

// barrierCreateReady creates the ready node, or finds it created (by another process, or by an
// attempt of ours whose reply was lost), and returns its czxid.
func barrierCreateReady(s *client.Session, c *Cancel, ready string) (int64, error) {
	for {
		var stat tree.Stat
		err := retry(s, c, func() (err error) {
			_, stat, err = s.Create2(ready, nil, tree.OpenACLUnsafe, tree.Persistent, 0)
			return err
		})
		switch {
		case err == nil:
			return int64(stat.Czxid), nil
		case client.CodeOf(err) != tree.NodeExists:
			return 0, fmt.Errorf("recipes: creating %s: %w", ready, err)
		}
		var ok bool
		if err := retry(s, c, func() (err error) { stat, ok, err = s.Exists(ready, nil); return err }); err != nil {
			return 0, err
		}
		if ok {
			return int64(stat.Czxid), nil
		}
	}
}

// barrierSessions counts the distinct sessions among process nodes named by createOwned
// (prefix, the session id in hex, "-", ...).
func barrierSessions(kids []string) int {
	seen := make(map[string]bool, len(kids))
	for _, k := range kids {
		rest := strings.TrimPrefix(k, barrierPrefix)
		sid, _, _ := strings.Cut(rest, "-")
		seen[sid] = true
	}
	return len(seen)
}

// SimpleBarrier is ZooKeeper's simple barrier (ZooKeeper's recipes, "Barriers"): the barrier is
// up while its node exists; a waiter calls exists on the node with a watch and proceeds once the
// node is gone. One process (the coordinator) raises and lowers it.
//
// Guarantee. Wait returns only after the barrier node was deleted (or when it was never raised).
// The node is persistent, so a coordinator whose session expires leaves the barrier up: another
// process must Lower it. A waiter's session expiry ends its Wait with ErrSessionEnded; waiting
// again with a new session is safe.
type SimpleBarrier struct {
	s    *client.Session
	path string
}

// NewSimpleBarrier returns a simple barrier whose node is path.
func NewSimpleBarrier(s *client.Session, path string) *SimpleBarrier {
	return &SimpleBarrier{s: s, path: path}
}

// Raise puts the barrier up (creates its node and missing parents); raising a raised barrier is
// no error.
func (b *SimpleBarrier) Raise(c *Cancel) error { return ensurePath(b.s, c, b.path) }

// Lower takes the barrier down; lowering a lowered barrier is no error.
func (b *SimpleBarrier) Lower(c *Cancel) error {
	return retry(b.s, c, func() error {
		err := b.s.Delete(b.path, -1)
		if client.CodeOf(err) == tree.NoNode {
			return nil
		}
		return err
	})
}

// Wait blocks until the barrier is down.
func (b *SimpleBarrier) Wait(c *Cancel) error {
	for {
		gone, err := waitGone(b.s, c, b.path)
		if err != nil || !gone {
			return err
		}
	}
}
