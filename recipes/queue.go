package recipes

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"zoosim/histories"
	"zoosim/tree"
	"zoosim/zab/client"
)

// Queue is ZooKeeper's distributed queue (ZooKeeper's recipes, "Queues"): a producer puts an item
// as a persistent sequential node under the queue's directory; a consumer lists the directory,
// reads the lowest item and deletes it. The delete is the claim: of all the consumers that try,
// exactly one succeeds (the others get NoNode and try the next item), so the deleter owns the
// item. A consumer that finds the queue empty waits on a child watch of the directory.
//
// Guarantee. Each item is taken at most once: Take returns an item only when its own delete
// succeeded. A single consumer takes items in increasing sequence order (the order of their
// puts). Items are persistent: an item outlives its producer's session, and a consumer whose
// session expires loses no item it did not take. The delete is the hand-over, so an item taken
// by a consumer that then dies (its session expired right after the delete) is gone with it: the
// queue delivers at most once, not exactly once. Two cases have an unknown outcome, as any
// ZooKeeper write whose connection was lost (zookeeper.md A5):
//
//   - a delete that lost its connection and then got NoNode (or whose session ended, or whose
//     Cancel fired, before the retry) may have taken the item or not: Take returns the item with
//     ErrTakeUnknown, and no other consumer can take it either;
//   - a put that lost its connection looks for its node (the node's name carries the session id
//     and the time of the attempt: "Recoverable errors and the GUID") before creating it again;
//     if a consumer took the first copy before the put looked, the item is in the queue twice.
//
// Waiting consumers share one child watch on the directory: every put wakes each of them, a herd
// that ZooKeeper's queue recipe accepts, since every waiter may take the new item.
type Queue struct {
	s   *client.Session
	dir string
	// Flaws, when set, break the recipe on purpose (for the checkers' tests).
	Flaws Flaws
}

// Item is an item taken from a queue: its node (the path it had), its sequence number and its
// data.
type Item struct {
	Node string
	Seq  int64
	Data []byte
}

// ErrTakeUnknown is returned, with the item, when a take's delete had an unknown outcome: the
// item is out of the queue, but this consumer may or may not be the one that took it.
var ErrTakeUnknown = errors.New("recipes: the take's outcome is unknown")

// FlawQueueIgnoreNoNode takes an item when its delete fails with NoNode, as if the read before
// the delete had claimed it: two consumers take the same item.
const FlawQueueIgnoreNoNode Flaw = "queue-ignore-nonode"

func init() {
	registerFlaw(FlawQueueIgnoreNoNode, histories.RecipeQueue, "reads the lowest item, deletes it and takes it even when the delete says NoNode")
}

// queuePrefix starts every item's name.
const queuePrefix = "item-"

// NewQueue returns a queue on directory dir (created on first use) for the process running s.
func NewQueue(s *client.Session, dir string) *Queue { return &Queue{s: s, dir: dir} }

// Dir is the queue's directory.
func (q *Queue) Dir() string { return q.dir }

// Put adds an item with data at the tail and returns its node. It rides out lost connections
// (see Queue for the duplicate a lost connection can cause); when the session ends first it
// returns ErrSessionEnded, and the item may or may not be in the queue if a create had lost its
// connection before.
func (q *Queue) Put(c *Cancel, data []byte) (string, error) {
	s := q.s
	if err := ensurePath(s, c, q.dir); err != nil {
		return "", err
	}
	var guids []string // the names of every attempt whose outcome is unknown
	for {
		if err := c.Err(); err != nil {
			return "", err
		}
		guid := queuePrefix + strconv.FormatUint(uint64(s.Client().SessionID()), 16) + "-" + strconv.FormatInt(int64(s.Now()), 10) + "-"
		path, err := s.Create(join(q.dir, guid), data, tree.OpenACLUnsafe, tree.PersistentSequential)
		switch {
		case err == nil:
			return path, nil
		case sessionEnded(err):
			return "", fmt.Errorf("%w: %v", ErrSessionEnded, err)
		case !connectionLost(err):
			return "", fmt.Errorf("recipes: putting an item in %s: %w", q.dir, err)
		}
		guids = append(guids, guid)
		if err := awaitConnected(s, c); err != nil {
			return "", err
		}
		var kids []string
		if err := retry(s, c, func() (err error) { kids, err = s.GetChildren(q.dir, nil); return err }); err != nil {
			return "", err
		}
		for _, k := range kids {
			for _, g := range guids {
				if strings.HasPrefix(k, g) {
					return join(q.dir, k), nil
				}
			}
		}
	}
}

// Take removes the item at the head and returns it, blocking while the queue is empty. It fails
// with ErrSessionEnded when the session ends, or c's error when c is cancelled, having taken
// nothing; with ErrTakeUnknown (and the item) when the outcome of its delete is unknown.
func (q *Queue) Take(c *Cancel) (Item, error) {
	it, _, err := q.take(c, true)
	return it, err
}

// Poll is Take without the wait: ok is false when the queue was empty. It syncs first, so an
// item whose put returned before Poll was called is seen (zookeeper.md A10, sync then read).
func (q *Queue) Poll(c *Cancel) (it Item, ok bool, err error) { return q.take(c, false) }

func (q *Queue) take(c *Cancel, block bool) (Item, bool, error) {
	s := q.s
	if err := ensurePath(s, c, q.dir); err != nil {
		return Item{}, false, err
	}
	if !block {
		if err := retry(s, c, func() error { return s.Sync(q.dir) }); err != nil {
			return Item{}, false, err
		}
	}
	for {
		var sig *signal
		var w *client.Watcher
		if block {
			sig = newSignal(s)
			w = sig.w
		}
		var kids []string
		if err := retry(s, c, func() (err error) { kids, err = s.GetChildren(q.dir, w); return err }); err != nil {
			return Item{}, false, err
		}
		items := kids[:0]
		for _, k := range kids {
			if strings.HasPrefix(k, queuePrefix) {
				items = append(items, k)
			}
		}
		sortBySequence(items)
		for _, k := range items {
			it, taken, err := q.claim(c, join(q.dir, k))
			if err != nil || taken {
				return it, taken, err
			}
		}
		switch {
		case len(items) > 0:
			// Every item listed was taken by others meanwhile: list again.
		case !block:
			return Item{}, false, nil
		default:
			if err := sig.await(c); err != nil {
				return Item{}, false, err
			}
		}
	}
}

// claim tries to take the item at path: read it, delete it. It reports taken when the delete
// succeeded; neither taken nor an error when another consumer had it first.
func (q *Queue) claim(c *Cancel, path string) (Item, bool, error) {
	s := q.s
	it := Item{Node: path}
	it.Seq, _ = sequenceOf(base(path))
	var data []byte
	err := retry(s, c, func() (err error) { data, _, err = s.GetData(path, nil); return err })
	switch {
	case client.CodeOf(err) == tree.NoNode:
		return it, false, nil
	case err != nil:
		return it, false, err
	}
	it.Data = data
	lost := false // a delete lost its connection: it may have succeeded
	unknown := func(cause error) (Item, bool, error) {
		return it, false, fmt.Errorf("%w (%s): %w", ErrTakeUnknown, path, cause)
	}
	for {
		if err := c.Err(); err != nil {
			if lost {
				return unknown(err)
			}
			return it, false, err
		}
		err := s.Delete(path, -1)
		switch {
		case err == nil:
			return it, true, nil
		case client.CodeOf(err) == tree.NoNode:
			if q.Flaws.Has(FlawQueueIgnoreNoNode) {
				return it, true, nil
			}
			if lost {
				return unknown(err)
			}
			return it, false, nil
		case sessionEnded(err):
			if lost {
				return unknown(ErrSessionEnded)
			}
			return it, false, fmt.Errorf("%w: %v", ErrSessionEnded, err)
		case connectionLost(err):
			lost = true
			if err := awaitConnected(s, c); err != nil {
				return unknown(err)
			}
		default:
			return it, false, fmt.Errorf("recipes: taking %s: %w", path, err)
		}
	}
}
