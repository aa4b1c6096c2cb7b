package models

import (
	"cmp"
	"fmt"
	"slices"

	"zoosim/histories"
	"zoosim/tree"
)

// CheckerQueues is the name of CheckQueues's verdicts.
const CheckerQueues = "queues"

// QueueOptions tune CheckQueues.
type QueueOptions struct {
	// Recipe is the recipe whose steps are judged (histories.RecipeQueue when empty).
	Recipe string
}

// The queue's steps, as the workload records them (sim/cluster): Name is the queue's directory,
// Node the item's node, Value its data, Token its sequence number; "drained" carries in Token
// the virtual time at which the poll that found the queue empty began.
const (
	queueProduced  = "produced"
	queueConsumed  = "consumed"
	queueAmbiguous = "ambiguous"
	queueDrained   = "drained"
)

// CheckQueues judges the distributed queue (recipes.Queue; issue 7) against the committed log,
// where each item is a node created in the queue's directory and the one delete that removed it
// names its owner:
//
//   - at most once: no item is consumed twice, and a consumer that says it took an item is the
//     session whose delete removed it (a consumer that took an item another deleted has taken
//     it twice, whether or not the other said so); the value it got is the item's;
//   - exactly once while consumers live: every item whose put was acknowledged is, by the end,
//     consumed, or ambiguous (a consumer's delete had an unknown outcome: ConnectionLoss, then
//     NoNode or the session's end; the item is out of the queue, taken by that consumer or by
//     another, and counted once, never as a double), or deleted by a consumer whose session
//     ended before it could say so (the deleter owns the item: it is lost with its consumer, as
//     ZooKeeper's queue is at most once). An item deleted by a live session that never said so
//     is lost, and so is an item still in the queue at the end although a consumer found the
//     queue empty in a poll (a sync, then a listing) that began after the item's put returned;
//     the first is judged only when the run converged (no call left in flight at the end);
//   - FIFO as far as it is sound: one consumer session takes items in increasing sequence
//     order. Across consumers nothing is owed: two consumers race for the head, and the loser
//     takes the next item.
func CheckQueues(h *histories.History, opts QueueOptions) Verdict {
	if opts.Recipe == "" {
		opts.Recipe = histories.RecipeQueue
	}
	steps := recipeSteps(h, opts.Recipe)
	dirs := map[string]bool{}
	for _, e := range steps {
		dirs[e.Name] = true
	}
	items := map[string]*barrierNode{}
	for _, list := range barrierNodes(h, dirs) {
		for _, n := range list {
			items[n.path] = n
		}
	}
	ends := sessionEnds(h)
	var vs violations

	// What each session said about each item.
	type said struct {
		path    string
		session tree.SessionID
	}
	consumed := map[string][]*histories.RecipeEvent{}
	ambiguous := map[said]bool{}
	reported := map[said]bool{}
	produced := map[string]*histories.RecipeEvent{}
	drained := 0
	drainedBy := map[string][]histories.Time{} // by queue, the start of each poll that found it empty
	lastSeq := map[said]int64{}                // by queue and session (path holds the queue)
	for _, e := range steps {
		switch e.Step {
		case queueProduced:
			if produced[e.Node] == nil {
				produced[e.Node] = e
			}
		case queueConsumed:
			consumed[e.Node] = append(consumed[e.Node], e)
			reported[said{e.Node, e.Session}] = true
			n := items[e.Node]
			switch {
			case n == nil:
				vs.addf(e.Time, nil, "queue %s: process %d (session %s) consumed %s, which was never put", e.Name, e.Process, e.Session, e.Node)
			case !n.deleted:
				vs.addf(e.Time, nil, "queue %s: process %d (session %s) consumed %s, which was never deleted", e.Name, e.Process, e.Session, e.Node)
			case n.deleter != e.Session:
				vs.addf(e.Time, nil, "queue %s: process %d (session %s) consumed %s, which session %s's delete removed",
					e.Name, e.Process, e.Session, e.Node, n.deleter)
			case string(n.data) != e.Value:
				vs.addf(e.Time, nil, "queue %s: process %d consumed %s with value %q, but the item was put with %q", e.Name, e.Process, e.Node, e.Value, n.data)
			}
			k := said{e.Name, e.Session}
			if last, ok := lastSeq[k]; ok && e.Token <= last {
				vs.addf(e.Time, nil, "queue %s: session %s took item %d after item %d: one consumer's takes go out of sequence order",
					e.Name, e.Session, e.Token, last)
			}
			lastSeq[k] = max(lastSeq[k], e.Token)
		case queueAmbiguous:
			ambiguous[said{e.Node, e.Session}] = true
			reported[said{e.Node, e.Session}] = true
		case queueDrained:
			drained++
			drainedBy[e.Name] = append(drainedBy[e.Name], histories.Time(e.Token))
		}
	}
	paths := make([]string, 0, len(consumed))
	for p := range consumed {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if list := consumed[p]; len(list) > 1 {
			vs.addf(list[1].Time, nil, "queue %s: item %s consumed %d times: by session %s at %s and by session %s at %s",
				list[0].Name, p, len(list), list[0].Session, FormatTime(list[0].Time), list[1].Session, FormatTime(list[1].Time))
		}
	}

	// Every acknowledged item, in the order of its put.
	var acked []*histories.RecipeEvent
	for _, e := range produced {
		acked = append(acked, e)
	}
	slices.SortFunc(acked, func(a, b *histories.RecipeEvent) int { return cmp.Compare(a.Seq, b.Seq) })
	var nConsumed, nAmbiguous, nLostWithConsumer, nUnreported, nLeft int
	for _, e := range acked {
		n := items[e.Node]
		switch {
		case n == nil:
			vs.addf(e.Time, nil, "queue %s: process %d (session %s) put %s, which the committed log never created", e.Name, e.Process, e.Session, e.Node)
		case n.deleted && len(consumed[e.Node]) > 0:
			nConsumed++
		case n.deleted && ambiguous[said{e.Node, n.deleter}]:
			nAmbiguous++
		case n.deleted && !reported[said{e.Node, n.deleter}] && sessionEnd(ends, n.deleter) != histories.Never:
			nLostWithConsumer++
		case n.deleted:
			nUnreported++
			if h.Liveness.Converged {
				vs.addf(n.gone, nil, "queue %s: item %s (put by process %d) was deleted by session %s, alive to the end, which never said it took it",
					e.Name, e.Node, e.Process, n.deleter)
			}
		default:
			nLeft++
			for _, t := range drainedBy[e.Name] {
				if t > e.Time {
					vs.addf(t, nil, "queue %s: item %s, put by process %d at %s, was never consumed although a poll begun at %s found the queue empty",
						e.Name, e.Node, e.Process, FormatTime(e.Time), FormatTime(t))
					break
				}
			}
		}
	}
	v := vs.verdict(CheckerQueues, fmt.Sprintf("%d items put, %d consumed, %d ambiguous, %d lost with their consumer's session, %d left in the queue: each taken at most once, FIFO per consumer",
		len(acked), nConsumed, nAmbiguous, nLostWithConsumer, nLeft))
	if len(acked) == 0 && len(consumed) == 0 {
		v.Summary = "no item was put: nothing to check"
	}
	v.Metrics = []Metric{{Name: "items put", Value: float64(len(acked))}, {Name: "consumed", Value: float64(nConsumed)},
		{Name: "ambiguous", Value: float64(nAmbiguous)}, {Name: "lost with their consumer's session", Value: float64(nLostWithConsumer)},
		{Name: "deleted unreported", Value: float64(nUnreported)}, {Name: "left in the queue", Value: float64(nLeft)},
		{Name: "polls that found the queue empty", Value: float64(drained)}}
	return v
}
