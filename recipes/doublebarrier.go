package recipes

import (
	"fmt"

	"zoosim/histories"
	"zoosim/zab/client"
)

// DoubleBarrier is ZooKeeper's double barrier (ZooKeeper's recipes, "Double Barriers"): processes
// enter together, compute, and leave together. Enter is the N-party Barrier's: an ephemeral
// sequential node each, and a "ready" node created by the process that finds N present. Leave
// waits until every process node is gone, without a herd: the process with the lowest node waits
// for the highest to go, every other process deletes its own node and waits for the lowest, so a
// departure wakes one waiter, and the lowest leaves last.
//
// Guarantee. Enter returns only after N nodes of N distinct sessions existed at one moment (as
// Barrier). Leave returns only once every node created before the ready node is gone: each of
// those processes has begun to leave (deleted its node) or its session ended (the expiry deleted
// it). A session that expires before Leave releases the others once the expiry is committed, not
// before: a process that is paused while inside the barrier holds the others in Leave for up to
// its session timeout, which is the price of "leave when all left". A process whose session
// ends gets ErrSessionEnded from Enter or Leave and is no longer in the barrier. Processes that
// arrive after the ready node exists pass Enter at once and are waited for in Leave like the
// others; a process that arrives after every other left passes and leaves alone. A double
// barrier is single-use too: rounds use a directory each.
type DoubleBarrier struct {
	s   *client.Session
	dir string
	n   int
	// Flaws, when set, break the recipe on purpose (for the checkers' tests).
	Flaws Flaws

	// node is this process's node, "" before Join and after Leave; readyZxid the ready node's
	// czxid once Enter passed; deleted says whether Leave deleted node already.
	node      string
	readyZxid int64
	deleted   bool
}

// FlawDoubleBarrierLeaveEarly deletes the process's node in Leave and returns at once, without
// waiting for the others to leave.
const FlawDoubleBarrierLeaveEarly Flaw = "double-barrier-leave-early"

func init() {
	registerFlaw(FlawDoubleBarrierLeaveEarly, histories.RecipeDoubleBarrier, "Leave deletes its node and returns without waiting for the others to leave")
}

// NewDoubleBarrier returns an n-party double barrier on directory dir (created on first use)
// for the process running s.
func NewDoubleBarrier(s *client.Session, dir string, n int) *DoubleBarrier {
	return &DoubleBarrier{s: s, dir: dir, n: max(1, n)}
}

// Dir is the barrier's directory; Parties the N it waits for.
func (b *DoubleBarrier) Dir() string  { return b.dir }
func (b *DoubleBarrier) Parties() int { return b.n }

// Node is this process's node in the barrier, "" if none.
func (b *DoubleBarrier) Node() string { return b.node }

// ReadyZxid is the ready node's czxid once Enter passed, 0 before.
func (b *DoubleBarrier) ReadyZxid() int64 { return b.readyZxid }

// Enter joins the barrier and blocks until N processes are present: Join, then Await.
func (b *DoubleBarrier) Enter(c *Cancel) (int64, error) {
	if err := b.Join(c); err != nil {
		return 0, err
	}
	return b.Await(c)
}

// Join creates this process's node; from then on the process counts toward N and is waited for
// in Leave.
func (b *DoubleBarrier) Join(c *Cancel) error {
	if b.node != "" {
		return fmt.Errorf("recipes: double barrier %s: Join while present with %s", b.dir, b.node)
	}
	node, err := barrierJoin(b.s, c, b.dir)
	b.node, b.deleted = node, false
	return err
}

// Await blocks until N processes are present and returns the ready node's czxid; on an error
// (ErrSessionEnded, or c's) the process is out of the barrier, its node gone.
func (b *DoubleBarrier) Await(c *Cancel) (int64, error) {
	if b.node == "" {
		return 0, fmt.Errorf("%w: double barrier %s: Await before Join", ErrNotHeld, b.dir)
	}
	zxid, err := barrierAwait(b.s, c, b.dir, b.node, b.n)
	if err != nil {
		_ = b.drop()
		return 0, err
	}
	b.readyZxid = zxid
	return zxid, nil
}

// Leave blocks until every process node of the barrier is gone, its own last if it is the
// lowest. When c is cancelled first it deletes its own node (so that it holds nobody up) and
// returns c's error; when the session ends first, ErrSessionEnded. Either way the process is out
// of the barrier.
func (b *DoubleBarrier) Leave(c *Cancel) error {
	if b.node == "" {
		return fmt.Errorf("%w: double barrier %s: Leave without Enter", ErrNotHeld, b.dir)
	}
	if b.Flaws.Has(FlawDoubleBarrierLeaveEarly) {
		return b.drop()
	}
	err := b.leave(c)
	if err != nil {
		_ = b.drop()
		return err
	}
	b.node, b.readyZxid, b.deleted = "", 0, false
	return nil
}

func (b *DoubleBarrier) leave(c *Cancel) error {
	me := base(b.node)
	for {
		kids, err := listSequential(b.s, c, b.dir, barrierPrefix)
		if err != nil {
			return err
		}
		i := indexOf(kids, me)
		switch {
		case i < 0 && !b.deleted:
			return fmt.Errorf("%w: double barrier node %s is gone", ErrSessionEnded, b.node)
		case len(kids) == 0:
			return nil
		case i == 0 && len(kids) == 1:
			// The last one: leaving deletes the node everyone else waits for.
			b.deleted = true
			return deleteOwned(b.s, b.node)
		case i == 0:
			// The lowest leaves last: wait for the highest.
			if _, err := waitGone(b.s, c, join(b.dir, kids[len(kids)-1])); err != nil {
				return err
			}
		default:
			if !b.deleted {
				if err := deleteOwned(b.s, b.node); err != nil {
					return err
				}
				b.deleted = true
			}
			if _, err := waitGone(b.s, c, join(b.dir, kids[0])); err != nil {
				return err
			}
		}
	}
}

// drop deletes this process's node unless Leave deleted it already, and forgets it.
func (b *DoubleBarrier) drop() error {
	node, deleted := b.node, b.deleted
	b.node, b.readyZxid, b.deleted = "", 0, false
	if deleted {
		return nil
	}
	return deleteOwned(b.s, node)
}
