package models

import (
	"fmt"
	"path"
	"slices"

	"zoosim/histories"
	"zoosim/tree"
)

// CheckerBarriers is the name of CheckBarriers's verdicts.
const CheckerBarriers = "barriers"

// BarrierOptions tune CheckBarriers.
type BarrierOptions struct {
	// Recipe is the recipe whose steps are judged: histories.RecipeBarrier (the default) or
	// another recipe that enters barriers with the same steps (the double barrier).
	Recipe string
	// Passed is the step recorded when a process passed ("passed" when empty). Its Name is the
	// barrier's directory, its Token N.
	Passed string
}

// CheckBarriers judges the N-party barrier (recipes.Barrier; issue 7): nobody passes before N
// entered. A pass at time t of the barrier in directory D, whose step says N, needs a moment
// at or before t when N process nodes of N distinct sessions existed in D together.
//
// Why the nodes and not the "entered" steps: a process's entry is its node's creation, which
// the committed log dates (the first apply of the create, the moment the txn committed), while
// the step is recorded when the create's reply arrives, possibly after others passed (a reply
// delayed by a lost connection), or never (the session expired before the reply). A node lives
// from the commit of its create to the commit of its delete or of its session's close, so the
// check counts sessions whose nodes were alive together, as the recipe's last arrival saw them
// when it listed D. The process nodes are D's ephemeral children. A pass by a session that had
// ended is judged too: the rule holds whatever the passer's state.
//
// Soundness: the last arrival read D at some state z, saw N nodes alive there, then created the
// ready node, which every passer saw after z; a node alive at z was created at or before z's
// first apply and deleted at or after it, so at that moment (at or before every pass) the N
// nodes are counted together. Ties count a node as alive, so they never make a violation.
func CheckBarriers(h *histories.History, opts BarrierOptions) Verdict {
	if opts.Recipe == "" {
		opts.Recipe = histories.RecipeBarrier
	}
	if opts.Passed == "" {
		opts.Passed = "passed"
	}
	var vs violations
	passes, dirs := barrierCheckPasses(h, opts.Recipe, opts.Passed, &vs)
	v := vs.verdict(CheckerBarriers, fmt.Sprintf("%d passes of %d barriers: none before N entered", passes, dirs))
	if passes == 0 {
		v.Summary = "no barrier was passed: nothing to check"
	}
	v.Metrics = []Metric{{Name: "passes", Value: float64(passes)}, {Name: "barriers", Value: float64(dirs)}}
	return v
}

// barrierCheckPasses checks every pass step of recipe (see CheckBarriers) and returns how many
// passes and barrier directories it saw.
func barrierCheckPasses(h *histories.History, recipe, passed string, vs *violations) (passes, dirs int) {
	steps := recipeSteps(h, recipe)
	want := map[string]bool{}
	for _, e := range steps {
		if e.Step == passed {
			want[e.Name] = true
		}
	}
	nodes := barrierNodes(h, want)
	for _, e := range steps {
		if e.Step != passed {
			continue
		}
		passes++
		most, at := barrierMostTogether(nodes[e.Name], e.Time)
		if int64(most) < e.Token {
			when := "never"
			if most > 0 {
				when = "at most, at " + FormatTime(at)
			}
			vs.addf(e.Time, nil, "barrier %s: process %d (session %s) passed with N = %d while %d sessions had nodes there together (%s)",
				e.Name, e.Process, e.Session, e.Token, most, when)
		}
	}
	return passes, len(want)
}

// barrierNode is one child node of a recipe directory as the committed log tells it.
type barrierNode struct {
	path string
	// session owns the node: the ephemeral owner, or the creator of a persistent node.
	session   tree.SessionID
	ephemeral bool
	data      []byte
	czxid     tree.Zxid
	// created and gone are the first applies of the create and of the delete (or of the
	// owner's closeSession for an ephemeral); gone is Never while the node exists.
	created, gone histories.Time
	// deleter is the session whose delete removed the node (the owner for a closeSession),
	// deleted whether it was removed at all.
	deleter tree.SessionID
	deleted bool
	// byClose says the node went with its owner's session.
	byClose bool
}

// barrierNodes returns, per directory in dirs, the children created in it as the committed log
// tells (creates and deletes, also inside multis, and the ephemerals each closeSession deletes),
// in creation order.
func barrierNodes(h *histories.History, dirs map[string]bool) map[string][]*barrierNode {
	out := map[string][]*barrierNode{}
	if len(dirs) == 0 {
		return out
	}
	first := firstApplied(h)
	live := map[string]*barrierNode{} // by path, the node that exists now
	applyAt := func(z tree.Zxid) histories.Time {
		if t, ok := first[z]; ok {
			return t
		}
		return histories.Never
	}
	gone := func(p string, z tree.Zxid, by tree.SessionID, byClose bool) {
		if n := live[p]; n != nil {
			n.gone, n.deleter, n.deleted, n.byClose = applyAt(z), by, true, byClose
			delete(live, p)
		}
	}
	var one func(x *tree.Txn, hd tree.Header)
	one = func(x *tree.Txn, hd tree.Header) {
		switch x.Type {
		case tree.OpCreate, tree.OpCreate2, tree.OpCreateContainer, tree.OpCreateTTL:
			dir := path.Dir(x.Path)
			if !dirs[dir] {
				return
			}
			n := &barrierNode{path: x.Path, session: hd.Session, data: x.Data, czxid: hd.Zxid,
				created: applyAt(hd.Zxid), gone: histories.Never}
			if x.EphemeralOwner > 0 {
				n.session, n.ephemeral = tree.SessionID(x.EphemeralOwner), true
			}
			live[x.Path] = n
			out[dir] = append(out[dir], n)
		case tree.OpDelete, tree.OpDeleteContainer:
			gone(x.Path, hd.Zxid, hd.Session, false)
		case tree.OpCloseSession:
			for _, p := range x.Paths {
				gone(p, hd.Zxid, hd.Session, true)
			}
		case tree.OpMulti:
			for i := range x.Ops {
				if x.Ops[i].Type == tree.OpError {
					return // a failed multi changed nothing (A7)
				}
			}
			for i := range x.Ops {
				one(&x.Ops[i], hd)
			}
		}
	}
	// The committed history only: a txn a deposed leader applied and the next leader's
	// history left out (ordCommitted) changed nothing.
	for _, x := range ordCommitted(h) {
		one(x, x.Header)
	}
	return out
}

// barrierMostTogether returns the most distinct sessions whose ephemeral nodes in nodes were
// alive together at some moment at or before t, and that moment. A node is alive from created
// to gone, both included.
func barrierMostTogether(nodes []*barrierNode, t histories.Time) (int, histories.Time) {
	most, at := 0, histories.Time(0)
	var sessions []tree.SessionID
	for _, c := range nodes {
		if !c.ephemeral || c.created > t {
			continue
		}
		// The count can only peak when a node appears: look at each creation.
		t0 := c.created
		sessions = sessions[:0]
		for _, n := range nodes {
			if n.ephemeral && n.created <= t0 && t0 <= n.gone && !slices.Contains(sessions, n.session) {
				sessions = append(sessions, n.session)
			}
		}
		if len(sessions) > most {
			most, at = len(sessions), t0
		}
	}
	return most, at
}
