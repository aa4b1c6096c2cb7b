package recipes

import (
	"fmt"

	"zoosim/histories"
	"zoosim/zab/client"
)

// Lock is ZooKeeper's exclusive lock recipe: each contender creates an ephemeral sequential node
// under the lock's directory; the one with the lowest sequence number holds the lock, and every
// other contender watches only the node just before its own (no herd effect: a release wakes one
// waiter).
//
// Guarantee. Among holders whose sessions are alive, at most one holds the lock at a time. A
// session that expires loses the lock without being told at once (its node is deleted by the
// expiry, and the next contender may take the lock before the old holder's client learns of
// it), so a holder can believe it holds the lock after it lost it. Fencing tokens make that
// safe for a resource that checks them: Acquire returns the lock node's czxid, which is larger
// for every later holder of the same lock, so a resource that refuses tokens lower than the
// highest it has seen refuses the stale holder.
//
// A create that fails with ConnectionLoss may have created the node, possibly later: the node's
// name carries the session id and the time of the attempt, Acquire looks for it before trying
// again (ZooKeeper's recipes, "Recoverable errors and the GUID"), and a node of a lost attempt
// that turns up later is deleted (ownedNodes), so that it cannot block the contenders behind it.
type Lock struct {
	s   *client.Session
	dir string
	// Flaws, when set, break the recipe on purpose (for the checkers' tests).
	Flaws Flaws

	// node is the lock node this Lock created, "" when it has none; held says whether Acquire
	// succeeded with it. Invariant: held implies node != "".
	node  string
	held  bool
	token int64
	// own creates the lock nodes and deletes those of lost create attempts that turn up late.
	own ownedNodes
}

// FlawLockSkipPredecessor takes the lock as soon as the lock node exists, without waiting for
// the nodes before it: mutual exclusion is gone.
const FlawLockSkipPredecessor Flaw = "lock-skip-predecessor"

// FlawLockWatchFirst watches the lowest node instead of the predecessor, and takes the lock when
// that node goes, whatever other nodes are before its own: two waiters can both take it.
const FlawLockWatchFirst Flaw = "lock-watch-first"

func init() {
	registerFlaw(FlawLockSkipPredecessor, histories.RecipeLock, "holds as soon as its node exists, ignoring the nodes before it")
	registerFlaw(FlawLockWatchFirst, histories.RecipeLock, "waits for the lowest node to go rather than its predecessor, then holds without looking again")
}

// lockPrefix starts every lock node's name.
const lockPrefix = "lock-"

// NewLock returns a lock on directory dir (created on first use) for the process running s.
func NewLock(s *client.Session, dir string) *Lock {
	return &Lock{s: s, dir: dir, own: ownedNodes{s: s, dir: dir}}
}

// Dir is the lock's directory.
func (l *Lock) Dir() string { return l.dir }

// Node is the lock node this Lock holds or waits with, "" if none.
func (l *Lock) Node() string { return l.node }

// Token is the fencing token of the current hold (the lock node's czxid), 0 when not held.
func (l *Lock) Token() int64 {
	if !l.held {
		return 0
	}
	return l.token
}

// Held reports whether Acquire succeeded and the lock was not released since, and the session
// is still alive as far as the client knows. A partitioned client cannot know that its session
// expired: see the guarantee on Lock.
func (l *Lock) Held() bool { return l.held && l.s.Client().State().IsAlive() }

// Acquire blocks until the lock is held and returns its fencing token. It fails with
// ErrSessionEnded when the session ends first, or with c's error when c is cancelled first; in
// both cases the lock node is gone (deleted by Acquire, or with the session), so the lock is not
// held.
func (l *Lock) Acquire(c *Cancel) (int64, error) {
	if l.node != "" {
		return 0, fmt.Errorf("recipes: lock %s: Acquire while holding or waiting with %s", l.dir, l.node)
	}
	if err := ensurePath(l.s, c, l.dir); err != nil {
		return 0, err
	}
	node, token, err := l.own.create(c, lockPrefix)
	if err != nil {
		return 0, err
	}
	l.node, l.token = node, token
	if err := l.wait(c); err != nil {
		l.abandon()
		return 0, err
	}
	l.held = true
	return l.token, nil
}

// wait blocks until l.node is the lowest lock node.
func (l *Lock) wait(c *Cancel) error {
	if l.Flaws.Has(FlawLockSkipPredecessor) {
		return nil
	}
	me := base(l.node)
	for {
		kids, err := listSequential(l.s, c, l.dir, lockPrefix)
		if err != nil {
			return err
		}
		if kids, err = l.own.sweep(kids, l.node); err != nil {
			return err
		}
		i := indexOf(kids, me)
		switch {
		case i < 0:
			// Only the session's end deletes our node.
			return fmt.Errorf("%w: lock node %s is gone", ErrSessionEnded, l.node)
		case i == 0:
			return nil
		}
		watch := kids[i-1]
		if l.Flaws.Has(FlawLockWatchFirst) {
			watch = kids[0]
		}
		gone, err := waitGone(l.s, c, join(l.dir, watch))
		if err != nil {
			return err
		}
		if gone && l.Flaws.Has(FlawLockWatchFirst) {
			return nil
		}
	}
}

// Release gives the lock up: it deletes the lock node, riding out a lost connection. When the
// session ended the node is gone already and Release returns ErrSessionEnded: the lock was lost
// at some point before, so the caller's critical section may not have been exclusive to the end
// (fencing tokens tell). Either way the Lock no longer holds.
func (l *Lock) Release() error {
	if !l.held {
		return fmt.Errorf("%w: lock %s", ErrNotHeld, l.dir)
	}
	l.held = false
	return l.abandon()
}

// abandon deletes the lock node, whatever the state of the wait, and forgets it, and deletes
// the nodes of lost attempts that exist now.
func (l *Lock) abandon() error {
	node := l.node
	l.node, l.token = "", 0
	if err := deleteOwned(l.s, node); err != nil {
		return err
	}
	return l.own.cleanup()
}
