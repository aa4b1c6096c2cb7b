package models

import (
	"time"

	"zoosim/histories"
	"zoosim/tree"
)

// logReplayer is a checker's part of a replay of the committed log: it looks at the tree before
// the first txn (begin), after each txn with what Apply returned (step; a.Changes is the tree's
// buffer, good until the next Apply), and at the end (end, which may keep the tree). A replayer
// only reads the tree, so several can share one replay.
type logReplayer interface {
	begin(t *tree.Tree)
	step(t *tree.Tree, i int, x *tree.Txn, a *tree.Applied)
	end(t *tree.Tree)
}

// replayLog applies txns to an empty tree once, showing every state to each replayer in turn.
// The tree keeps the txns' Data slices (Apply takes ownership); neither it nor a replayer writes
// to them, so the history's txns need no copy.
func replayLog(txns []*tree.Txn, opts tree.Options, rs ...logReplayer) {
	t := tree.New(opts)
	for _, r := range rs {
		r.begin(t)
	}
	// One Applied for the whole replay: the replayers take its address, which moves it to the
	// heap, and an allocation per txn would cost more than the replay saves.
	var a tree.Applied
	for i, x := range txns {
		a = t.Apply(x)
		for _, r := range rs {
			r.step(t, i, x, &a)
		}
	}
	for _, r := range rs {
		r.end(t)
	}
}

// CheckZxidOrderAndSessions returns CheckZxidOrder(h, ordOpts) and CheckSessions(h, sesOpts),
// the same verdicts, computed with one index of the committed log and one replay of it for both
// checkers instead of one each: the replay (applying every committed txn to a tree) is most of
// what either costs. Options with different tree options cannot share a tree, and are checked
// apart.
func CheckZxidOrderAndSessions(h *histories.History, ordOpts ZxidOrderOptions, sesOpts SessionOptions) (zxidOrder, sessions Verdict) {
	if h == nil || ordOpts.Tree != sesOpts.Tree {
		return CheckZxidOrder(h, ordOpts), CheckSessions(h, sesOpts)
	}
	if sesOpts.TickTime <= 0 {
		sesOpts.TickTime = 3 * time.Second
	}
	log, err := ordNewLog(h)
	if err != nil {
		return ordInconclusive("zxid-order", err), ordInconclusive("sessions", err)
	}
	conns := ordNewConnections(h)
	ord, ordErr := newOrdCheck(h, ordOpts, log, conns)
	if ordErr != nil {
		ses := newSesCheck(h, sesOpts, log, conns, nil)
		replayLog(log.txns, sesOpts.Tree, ses)
		return ordInconclusive("zxid-order", ordErr), ses.finish()
	}
	// Sessions reads zxid-order's packed ops instead of going over the Ops again.
	ses := newSesCheck(h, sesOpts, log, conns, ord)
	replayLog(log.txns, ordOpts.Tree, ord, ses)
	zxidOrder = ord.finish() // first: sessions reuses what its sweep computed
	return zxidOrder, ses.finish()
}
