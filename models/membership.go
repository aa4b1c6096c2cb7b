package models

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"zoosim/histories"
	"zoosim/tree"
)

// CheckerMembership is the name of CheckMembership's verdicts.
const CheckerMembership = "membership"

// MembershipOptions tune CheckMembership.
type MembershipOptions struct {
	// Recipe is the recipe whose steps are judged (histories.RecipeMembership when empty).
	Recipe string
}

// The group membership workload's steps (sim/cluster): Name is the group's directory. "joined"
// and "left" carry the member node in Node and the member's name in Value; "view" and "settled"
// carry the view's zxid (the directory's pzxid) in Token and the members joined by "," in Value;
// "synced" carries in Token the zxid the settle's sync was answered at, and comes just before
// its "settled".
const (
	membershipJoined  = "joined"
	membershipLeft    = "left"
	membershipView    = "view"
	membershipSynced  = "synced"
	membershipSettled = "settled"
)

// CheckMembership judges the group membership recipe (recipes.Group; issue 7) against the
// committed log, replayed with package tree:
//
//   - every view is exact: the group's directory had exactly the view's members at the view's
//     zxid (its pzxid), so no view holds a member whose session had ended by then, nor misses
//     one that had joined;
//   - one session's views never go back (A10: a session's reads are monotonic);
//   - a member sees itself: a view its session lists between its "joined" and its "left"
//     holds it, unless its session's end was committed by the view's zxid;
//   - views converge: a settled view is no older than the group at the zxid its sync was
//     answered at (the directory's last change up to that zxid is at or before the view's
//     zxid). The recipe owes this and no more: a join or leave committed after the sync may
//     miss the view. So once the group stops changing before the settles, every settled view is
//     the final membership; the verdict counts those that are.
//
// Views are judged at zxids, not at times: a view is read at one server at some zxid, and the
// server may lag the leader, so "the session had ended before the view was read" in real time
// would fail correct runs.
func CheckMembership(h *histories.History, opts MembershipOptions) Verdict {
	if opts.Recipe == "" {
		opts.Recipe = histories.RecipeMembership
	}
	steps := recipeSteps(h, opts.Recipe)
	dirs := map[string]bool{}
	for _, e := range steps {
		dirs[e.Name] = true
	}
	groups := groupReplay(h, dirs)
	closes := groupCloses(h)
	var vs violations

	type member struct {
		session tree.SessionID
		name    string
	}
	joined := map[int]member{}                 // by process, while a member
	lastView := map[tree.SessionID]tree.Zxid{} // per session, the newest view's zxid
	synced := map[int]*histories.RecipeEvent{} // by process, the sync before a settle
	var views, settled, final, selfChecked int
	for _, e := range steps {
		g := groups[e.Name]
		switch e.Step {
		case membershipJoined:
			joined[e.Process] = member{e.Session, e.Value}
		case membershipLeft:
			delete(joined, e.Process)
		case membershipSynced:
			synced[e.Process] = e
		case membershipView, membershipSettled:
			views++
			p := tree.Zxid(e.Token)
			members := groupSplit(e.Value)
			st := g.at(p)
			switch {
			case st == nil:
				vs.addf(e.Time, nil, "group %s: process %d (session %s) viewed {%s} at zxid %s, which is no state of the group's directory",
					e.Name, e.Process, e.Session, e.Value, p)
			case !slices.Equal(members, st.names()):
				vs.addf(e.Time, nil, "group %s: process %d (session %s) viewed {%s} at zxid %s, but the group then was {%s}",
					e.Name, e.Process, e.Session, e.Value, p, strings.Join(st.names(), ","))
			}
			if last, ok := lastView[e.Session]; ok && p < last {
				vs.addf(e.Time, nil, "group %s: process %d (session %s) viewed the group at zxid %s after viewing it at zxid %s: its views went back",
					e.Name, e.Process, e.Session, p, last)
			}
			lastView[e.Session] = max(lastView[e.Session], p)
			if m, ok := joined[e.Process]; ok && m.session == e.Session {
				selfChecked++
				if _, in := slices.BinarySearch(members, m.name); !in {
					if end, closed := closes[e.Session]; !closed || end > p {
						vs.addf(e.Time, nil, "group %s: member %s (process %d, session %s, alive at zxid %s) viewed the group at zxid %s without itself: {%s}",
							e.Name, m.name, e.Process, e.Session, p, p, e.Value)
					}
				}
			}
			if e.Step != membershipSettled {
				continue
			}
			settled++
			s := synced[e.Process]
			delete(synced, e.Process)
			if s == nil || s.Session != e.Session {
				vs.addf(e.Time, nil, "group %s: process %d (session %s) settled without a sync before it", e.Name, e.Process, e.Session)
				continue
			}
			z := tree.Zxid(s.Token)
			if need := g.pzxidAt(z); p < need {
				vs.addf(e.Time, nil, "group %s: process %d (session %s) settled at the view of zxid %s, {%s}, but its sync was answered at zxid %s, when the group had changed at zxid %s to {%s}: the view did not converge",
					e.Name, e.Process, e.Session, p, e.Value, z, need, strings.Join(g.at(need).names(), ","))
			}
			if last := g.last(); last != nil && slices.Equal(members, last.names()) {
				final++
			}
		}
	}
	v := vs.verdict(CheckerMembership, fmt.Sprintf("%d views of %d groups, %d settled (%d at the final membership): exact, monotonic per session, members see themselves, settled views converge",
		views, len(dirs), settled, final))
	if views == 0 {
		v.Summary = "no group was viewed: nothing to check"
	}
	v.Metrics = []Metric{{Name: "views", Value: float64(views)}, {Name: "views by members, checked for themselves", Value: float64(selfChecked)},
		{Name: "settled views", Value: float64(settled)}, {Name: "settled views at the final membership", Value: float64(final)}}
	return v
}

// groupSplit splits a view's members joined by ",", "" being no member.
func groupSplit(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// groupDir is what the committed log did to one recipe directory and its children.
type groupDir struct {
	// states are the directory's children after each txn that moved its pzxid, in zxid order;
	// the first is the directory's creation.
	states []*groupState
	// nodes are the incarnations of each child name, in creation order.
	nodes map[string][]*groupNode
}

// groupState is the directory's children after one txn, sorted by name.
type groupState struct {
	zxid     tree.Zxid // the txn
	pzxid    tree.Zxid // the directory's pzxid after it
	children []*groupNode
}

// groupNode is one incarnation of a child node: from its create to its delete (or its owner's
// closeSession), with every data it held.
type groupNode struct {
	name  string
	owner tree.SessionID // the ephemeral owner, 0 for a persistent node
	czxid tree.Zxid
	// gone is the zxid of the delete, 0 while the node exists.
	gone tree.Zxid
	data []string
}

func (s *groupState) names() []string {
	out := make([]string, len(s.children))
	for i, n := range s.children {
		out[i] = n.name
	}
	return out
}

// at returns the state whose pzxid is p, or nil.
func (g *groupDir) at(p tree.Zxid) *groupState {
	if g == nil {
		return nil
	}
	i := sort.Search(len(g.states), func(i int) bool { return g.states[i].pzxid >= p })
	if i < len(g.states) && g.states[i].pzxid == p {
		return g.states[i]
	}
	return nil
}

// pzxidAt returns the directory's pzxid after the committed log up to zxid z (0 before the
// directory existed).
func (g *groupDir) pzxidAt(z tree.Zxid) tree.Zxid {
	if g == nil {
		return 0
	}
	i := sort.Search(len(g.states), func(i int) bool { return g.states[i].zxid > z })
	if i == 0 {
		return 0
	}
	return g.states[i-1].pzxid
}

// last is the directory's final state, nil if it never existed.
func (g *groupDir) last() *groupState {
	if g == nil || len(g.states) == 0 {
		return nil
	}
	return g.states[len(g.states)-1]
}

// groupReplay replays the committed log (ordCommitted) with package tree and returns, per
// directory in dirs, its children's history: the state after each txn that moved the
// directory's pzxid (a child created or deleted, also by a multi or a closeSession), and each
// child's incarnations.
func groupReplay(h *histories.History, dirs map[string]bool) map[string]*groupDir {
	out := map[string]*groupDir{}
	if len(dirs) == 0 {
		return out
	}
	for d := range dirs {
		out[d] = &groupDir{nodes: map[string][]*groupNode{}}
	}
	t := tree.New(tree.Options{})
	live := map[string]*groupNode{} // by path
	touched := map[string]bool{}
	for _, x := range ordCommitted(h) {
		a := t.Apply(x)
		clear(touched)
		for _, ch := range a.Changes {
			parent := tree.ParentPath(ch.Path)
			g := out[parent]
			if dirs[ch.Path] {
				touched[ch.Path] = true
			}
			if g == nil {
				continue
			}
			touched[parent] = true
			name := tree.BaseName(ch.Path)
			switch ch.Type {
			case tree.EventNodeCreated:
				data, st, _ := t.Get(ch.Path)
				n := &groupNode{name: name, owner: tree.SessionID(st.EphemeralOwner), czxid: x.Zxid, data: []string{string(data)}}
				live[ch.Path] = n
				g.nodes[name] = append(g.nodes[name], n)
			case tree.EventNodeDataChanged:
				if n := live[ch.Path]; n != nil {
					data, _, _ := t.Get(ch.Path)
					n.data = append(n.data, string(data))
				}
			case tree.EventNodeDeleted:
				if n := live[ch.Path]; n != nil {
					n.gone = x.Zxid
					delete(live, ch.Path)
				}
			}
		}
		for d := range touched {
			g := out[d]
			st, ok := t.Stat(d)
			if !ok {
				continue
			}
			if last := g.last(); last != nil && last.pzxid == st.Pzxid {
				continue
			}
			kids, _ := t.Children(d)
			s := &groupState{zxid: x.Zxid, pzxid: st.Pzxid, children: make([]*groupNode, 0, len(kids))}
			for _, k := range kids {
				p := d + "/" + k
				if d == "/" {
					p = "/" + k
				}
				if n := live[p]; n != nil {
					s.children = append(s.children, n)
				}
			}
			slices.SortFunc(s.children, func(a, b *groupNode) int { return strings.Compare(a.name, b.name) })
			g.states = append(g.states, s)
		}
	}
	return out
}

// groupCloses maps each session to the zxid of its closeSession in the committed log.
func groupCloses(h *histories.History) map[tree.SessionID]tree.Zxid {
	out := map[tree.SessionID]tree.Zxid{}
	for _, x := range ordCommitted(h) {
		if x.Type == tree.OpCloseSession {
			if _, seen := out[x.Session]; !seen {
				out[x.Session] = x.Zxid
			}
		}
	}
	return out
}
