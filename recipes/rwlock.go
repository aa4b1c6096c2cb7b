package recipes

import (
	"fmt"
	"strings"

	"zoosim/histories"
	"zoosim/zab/client"
)

// RWLock is ZooKeeper's shared/exclusive lock recipe (ZooKeeper's recipes, D/recipes.md "Shared Locks"):
// readers create "read-" and writers "write-" ephemeral sequential nodes in the lock's one
// directory, so that the sequence numbers order every contender. A reader holds once no write
// node comes before its own, and watches only the last write node before it; a writer holds
// once its node is the lowest of all, and watches only the node just before it. A release
// wakes the readers up to the next writer, or that writer: never everyone (no herd effect).
//
// Guarantee. Among holders whose sessions are alive, a writer holds alone: no reader and no
// other writer holds while it does; readers hold together. A session that expires loses its
// hold without being told at once (its node is deleted by the expiry, and the next contender
// may take the lock before the old holder's client learns of it), as with Lock. The write
// holds' fencing tokens (the write node's czxid) increase from each writer to the next, so a
// resource that refuses a write token lower than the highest it has seen refuses a stale
// writer. A read hold's token is its read node's czxid: it orders it among the writers (a
// reader holds after every writer with a lower token and before every writer with a higher
// one).
//
// A create that fails with ConnectionLoss may have created the node, then or later; RWLock
// finds it by the unique prefix of its name before trying again, and deletes the nodes of such
// attempts that turn up later (ownedNodes), so that no node of a live session that nobody holds
// or waits with blocks the others.
type RWLock struct {
	s   *client.Session
	dir string
	// Flaws, when set, break the recipe on purpose (for the checkers' tests).
	Flaws Flaws

	// node is the node this RWLock created, "" when it has none; held says whether the
	// acquisition succeeded with it, write whether it is a write node. Invariant: held
	// implies node != "".
	node  string
	held  bool
	write bool
	token int64
	// own creates the nodes and deletes those of lost attempts.
	own ownedNodes
}

// FlawRWLockReaderIgnoresWriters lets a reader hold as soon as its read node exists, without
// waiting for the write nodes before it: a reader and a writer can hold at once.
const FlawRWLockReaderIgnoresWriters Flaw = "rwlock-reader-ignores-writers"

// FlawRWLockWriterIgnoresReaders has a writer wait only for the write nodes before it, as if
// readers did not exclude writers: a writer and readers can hold at once.
const FlawRWLockWriterIgnoresReaders Flaw = "rwlock-writer-ignores-readers"

func init() {
	registerFlaw(FlawRWLockReaderIgnoresWriters, histories.RecipeRWLock, "a reader holds as soon as its node exists, ignoring the write nodes before it")
	registerFlaw(FlawRWLockWriterIgnoresReaders, histories.RecipeRWLock, "a writer waits only for the write nodes before it, as if readers could share with it")
}

// The prefixes of the read and write nodes' names.
const (
	rwReadPrefix  = "read-"
	rwWritePrefix = "write-"
)

// NewRWLock returns a read-write lock on directory dir (created on first use) for the process
// running s. One RWLock holds or waits for one hold at a time, shared or exclusive.
func NewRWLock(s *client.Session, dir string) *RWLock {
	return &RWLock{s: s, dir: dir, own: ownedNodes{s: s, dir: dir}}
}

// Dir is the lock's directory.
func (l *RWLock) Dir() string { return l.dir }

// Node is the node this RWLock holds or waits with, "" if none.
func (l *RWLock) Node() string { return l.node }

// Exclusive reports whether the current hold (or wait) is a writer's.
func (l *RWLock) Exclusive() bool { return l.node != "" && l.write }

// Token is the current hold's token (its node's czxid), 0 when not held. For a writer it is a
// fencing token: see the guarantee on RWLock.
func (l *RWLock) Token() int64 {
	if !l.held {
		return 0
	}
	return l.token
}

// Held reports whether an acquisition succeeded and was not released since, and the session is
// still alive as far as the client knows (a partitioned client cannot know that its session
// expired: see the guarantee on RWLock).
func (l *RWLock) Held() bool { return l.held && l.s.Client().State().IsAlive() }

// RLock blocks until the lock is held shared, and returns the read node's czxid. It fails with
// ErrSessionEnded when the session ends first, or with c's error when c is cancelled first; in
// both cases the read node is gone and nothing is held.
func (l *RWLock) RLock(c *Cancel) (int64, error) { return l.acquire(c, false) }

// Lock blocks until the lock is held exclusively, and returns the fencing token (the write
// node's czxid). It fails as RLock does.
func (l *RWLock) Lock(c *Cancel) (int64, error) { return l.acquire(c, true) }

func (l *RWLock) acquire(c *Cancel, write bool) (int64, error) {
	if l.node != "" {
		return 0, fmt.Errorf("recipes: rwlock %s: acquiring while holding or waiting with %s", l.dir, l.node)
	}
	if err := ensurePath(l.s, c, l.dir); err != nil {
		return 0, err
	}
	prefix := rwReadPrefix
	if write {
		prefix = rwWritePrefix
	}
	node, token, err := l.own.create(c, prefix)
	if err != nil {
		return 0, err
	}
	l.node, l.token, l.write = node, token, write
	if err := l.wait(c); err != nil {
		l.abandon()
		return 0, err
	}
	l.held = true
	return l.token, nil
}

// wait blocks until nothing before l.node excludes it: no write node for a reader, no node at
// all for a writer.
func (l *RWLock) wait(c *Cancel) error {
	if !l.write && l.Flaws.Has(FlawRWLockReaderIgnoresWriters) {
		return nil
	}
	me := base(l.node)
	for {
		kids, err := rwListNodes(l.s, c, l.dir)
		if err != nil {
			return err
		}
		if kids, err = l.own.sweep(kids, l.node); err != nil {
			return err
		}
		i := indexOf(kids, me)
		if i < 0 {
			// Only the session's end deletes our node.
			return fmt.Errorf("%w: rwlock node %s is gone", ErrSessionEnded, l.node)
		}
		blocker := rwBlocker(kids[:i], l.write && !l.Flaws.Has(FlawRWLockWriterIgnoresReaders))
		if blocker == "" {
			return nil
		}
		if _, err := waitGone(l.s, c, join(l.dir, blocker)); err != nil {
			return err
		}
	}
}

// rwBlocker returns the node a contender must wait for, among the nodes before its own (in
// sequence order): the last of them when any node excludes it (a writer), else the last write
// node (a reader, which shares with readers); "" when it holds.
func rwBlocker(before []string, anyNode bool) string {
	for i := len(before) - 1; i >= 0; i-- {
		if anyNode || strings.HasPrefix(before[i], rwWritePrefix) {
			return before[i]
		}
	}
	return ""
}

// rwListNodes returns the read and write nodes in dir, in sequence order: the sequence counter
// is the directory's, shared by both kinds, so it orders readers and writers together.
func rwListNodes(s *client.Session, c *Cancel, dir string) ([]string, error) {
	return listOwnedKind(s, c, dir, rwReadPrefix, rwWritePrefix)
}

// Unlock gives the hold up, shared or exclusive: it deletes the node, riding out a lost
// connection. When the session ended the node is gone already and Unlock returns
// ErrSessionEnded: the hold was lost at some point before (fencing tokens tell). Either way the
// RWLock no longer holds.
func (l *RWLock) Unlock() error {
	if !l.held {
		return fmt.Errorf("%w: rwlock %s", ErrNotHeld, l.dir)
	}
	l.held = false
	return l.abandon()
}

// abandon deletes the node, whatever the state of the wait, and forgets it, and deletes the
// nodes of lost attempts.
func (l *RWLock) abandon() error {
	node := l.node
	l.node, l.token, l.write = "", 0, false
	if err := deleteOwned(l.s, node); err != nil {
		return err
	}
	return l.own.cleanup()
}
