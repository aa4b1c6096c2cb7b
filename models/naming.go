package models

import (
	"fmt"
	"slices"
	"strings"

	"zoosim/histories"
	"zoosim/tree"
)

// CheckerNaming is the name of CheckNaming's verdicts.
const CheckerNaming = "naming"

// NamingOptions tune CheckNaming.
type NamingOptions struct {
	// Recipe is the recipe whose steps are judged (histories.RecipeNaming when empty).
	Recipe string
}

// The naming workload's steps (sim/cluster): Name is the service's directory. "registered" and
// "deregistered" carry the instance's node in Node and its endpoint in Value; "resolved" and
// "settled" carry the answer's zxid (the directory's pzxid) in Token and its endpoints as
// "name=endpoint" joined by "," in Value; "synced" carries in Token the zxid the settle's sync
// was answered at, and comes just before its "settled".
const (
	namingRegistered = "registered"
	namingResolved   = "resolved"
	namingSynced     = "synced"
	namingSettled    = "settled"
)

// CheckNaming judges the naming recipe (recipes.Service; issue 7) against the committed log,
// replayed with package tree:
//
//   - a registration is real: the node Register returned was created by the registering
//     session, with its endpoint;
//   - every resolved endpoint was registered: its name was a child of the service's directory at
//     the answer's zxid (the listing), and that node, or one created later under the same name
//     (a node may be replaced between the listing and its read), held the endpoint;
//   - one session's answers never go back (A10);
//   - answers converge: a settled answer is exactly the service at its zxid (every child, each
//     with its endpoint), and no older than the service at the zxid its sync was answered at.
//     Nothing more is owed (a registration committed after the sync may miss it), so once the
//     service stops changing before the settles, every settled answer is its final endpoints;
//     the verdict counts those that are.
func CheckNaming(h *histories.History, opts NamingOptions) Verdict {
	if opts.Recipe == "" {
		opts.Recipe = histories.RecipeNaming
	}
	steps := recipeSteps(h, opts.Recipe)
	dirs := map[string]bool{}
	for _, e := range steps {
		dirs[e.Name] = true
	}
	services := groupReplay(h, dirs)
	var vs violations

	lastAnswer := map[tree.SessionID]tree.Zxid{}
	synced := map[int]*histories.RecipeEvent{}
	var registrations, answers, settled, final int
	for _, e := range steps {
		g := services[e.Name]
		switch e.Step {
		case namingRegistered:
			registrations++
			name := e.Node[strings.LastIndexByte(e.Node, '/')+1:]
			ok := false
			if g != nil {
				for _, n := range g.nodes[name] {
					ok = ok || n.owner == e.Session && slices.Contains(n.data, e.Value)
				}
			}
			if !ok {
				vs.addf(e.Time, nil, "service %s: process %d (session %s) registered %s with endpoint %q, but the committed log has no such node of that session",
					e.Name, e.Process, e.Session, e.Node, e.Value)
			}
		case namingSynced:
			synced[e.Process] = e
		case namingResolved, namingSettled:
			answers++
			p := tree.Zxid(e.Token)
			endpoints, bad := namingSplit(e.Value)
			if bad != "" {
				vs.addf(e.Time, nil, "service %s: process %d (session %s) resolved an answer that does not parse (%q): %q", e.Name, e.Process, e.Session, bad, e.Value)
				continue
			}
			st := g.at(p)
			if st == nil {
				vs.addf(e.Time, nil, "service %s: process %d (session %s) resolved {%s} at zxid %s, which is no state of the service's directory",
					e.Name, e.Process, e.Session, e.Value, p)
				continue
			}
			for _, ep := range endpoints {
				if !namingRegisteredAt(g, st, ep, p) {
					vs.addf(e.Time, nil, "service %s: process %d (session %s) resolved %s=%s at zxid %s, which was not registered with that endpoint then (the service was {%s})",
						e.Name, e.Process, e.Session, ep.name, ep.address, p, namingString(st))
				}
			}
			if last, ok := lastAnswer[e.Session]; ok && p < last {
				vs.addf(e.Time, nil, "service %s: process %d (session %s) resolved the service at zxid %s after resolving it at zxid %s: its answers went back",
					e.Name, e.Process, e.Session, p, last)
			}
			lastAnswer[e.Session] = max(lastAnswer[e.Session], p)
			if e.Step != namingSettled {
				continue
			}
			settled++
			if !namingExact(st, endpoints) {
				vs.addf(e.Time, nil, "service %s: process %d (session %s) settled at {%s} for zxid %s, but the service then was {%s}",
					e.Name, e.Process, e.Session, e.Value, p, namingString(st))
			}
			s := synced[e.Process]
			delete(synced, e.Process)
			if s == nil || s.Session != e.Session {
				vs.addf(e.Time, nil, "service %s: process %d (session %s) settled without a sync before it", e.Name, e.Process, e.Session)
				continue
			}
			z := tree.Zxid(s.Token)
			if need := g.pzxidAt(z); p < need {
				vs.addf(e.Time, nil, "service %s: process %d (session %s) settled at the answer of zxid %s, {%s}, but its sync was answered at zxid %s, when the service had changed at zxid %s to {%s}: the answer did not converge",
					e.Name, e.Process, e.Session, p, e.Value, z, need, namingString(g.at(need)))
			}
			if last := g.last(); last != nil && namingExact(last, endpoints) {
				final++
			}
		}
	}
	v := vs.verdict(CheckerNaming, fmt.Sprintf("%d registrations, %d answers of %d services, %d settled (%d at the final endpoints): every endpoint registered, monotonic per session, settled answers exact and converged",
		registrations, answers, len(dirs), settled, final))
	if answers == 0 && registrations == 0 {
		v.Summary = "no service was used: nothing to check"
	}
	v.Metrics = []Metric{{Name: "registrations", Value: float64(registrations)}, {Name: "answers", Value: float64(answers)},
		{Name: "settled answers", Value: float64(settled)}, {Name: "settled answers at the final endpoints", Value: float64(final)}}
	return v
}

// namingEndpoint is one "name=endpoint" of an answer.
type namingEndpoint struct{ name, address string }

// namingSplit parses an answer, returning the part that does not parse, if any.
func namingSplit(s string) ([]namingEndpoint, string) {
	if s == "" {
		return nil, ""
	}
	var out []namingEndpoint
	for _, part := range strings.Split(s, ",") {
		name, address, ok := strings.Cut(part, "=")
		if !ok {
			return nil, part
		}
		out = append(out, namingEndpoint{name, address})
	}
	return out, ""
}

// namingRegisteredAt reports whether ep's name was a child in st (the state at zxid p) and
// that node, or a later one of the same name, held ep's endpoint.
func namingRegisteredAt(g *groupDir, st *groupState, ep namingEndpoint, p tree.Zxid) bool {
	listed := false
	for _, n := range st.children {
		listed = listed || n.name == ep.name
	}
	if !listed {
		return false
	}
	for _, n := range g.nodes[ep.name] {
		if (n.gone == 0 || n.gone > p) && slices.Contains(n.data, ep.address) {
			return true
		}
	}
	return false
}

// namingString prints a state as the workload prints an answer: "name=endpoint" joined by ",",
// each node with the data it was created with.
func namingString(st *groupState) string {
	if st == nil {
		return ""
	}
	parts := make([]string, len(st.children))
	for i, n := range st.children {
		parts[i] = n.name + "=" + n.data[0]
	}
	return strings.Join(parts, ",")
}

// namingExact reports whether endpoints are exactly st's children, each with data its node held.
func namingExact(st *groupState, endpoints []namingEndpoint) bool {
	if len(endpoints) != len(st.children) {
		return false
	}
	for i, n := range st.children {
		if endpoints[i].name != n.name || !slices.Contains(n.data, endpoints[i].address) {
			return false
		}
	}
	return true
}
