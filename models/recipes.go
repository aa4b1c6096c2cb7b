package models

import (
	"zoosim/histories"
	"zoosim/tree"
)

// This file holds what the recipe checkers share (issue 7): the steps of one recipe, and when
// each session ended in the committed history.

// recipeSteps returns the history's steps of one recipe, in order.
func recipeSteps(h *histories.History, recipe string) []*histories.RecipeEvent {
	var out []*histories.RecipeEvent
	for i := range h.Recipes {
		if h.Recipes[i].Recipe == recipe {
			out = append(out, &h.Recipes[i])
		}
	}
	return out
}

// sessionEnds maps each session that was closed or expired to the moment its closeSession txn
// was committed: the first time any server applied it (a server applies only what is
// committed). From then on the session's ephemerals are gone, so whatever the session held
// through them (a lock, a leadership, a membership) is no longer its own, whether or not its
// client has learned it yet (zookeeper.md A9).
func sessionEnds(h *histories.History) map[tree.SessionID]histories.Time {
	first := firstApplied(h)
	ends := map[tree.SessionID]histories.Time{}
	// Only the committed history counts: a closeSession that a deposed leader applied and the
	// next leader's history left out (ordCommitted) ended nothing.
	for _, x := range ordCommitted(h) {
		if x.Type != tree.OpCloseSession {
			continue
		}
		if t, ok := first[x.Zxid]; ok {
			if old, seen := ends[x.Session]; !seen || t < old {
				ends[x.Session] = t
			}
		}
	}
	return ends
}

// firstApplied maps each zxid to its first apply by any server: for a committed txn, the moment
// it committed.
func firstApplied(h *histories.History) map[tree.Zxid]histories.Time {
	first := map[tree.Zxid]histories.Time{}
	for _, list := range h.Applied {
		for i := range list {
			a := &list[i]
			if t, ok := first[a.Zxid]; !ok || a.Time < t {
				first[a.Zxid] = a.Time
			}
		}
	}
	return first
}

// sessionEnd returns when session s ended, or never.
func sessionEnd(ends map[tree.SessionID]histories.Time, s tree.SessionID) histories.Time {
	if t, ok := ends[s]; ok {
		return t
	}
	return histories.Never
}

// SessionEnds maps each session that was closed or expired to when its end was committed (see
// sessionEnds), for reports that draw what a session held.
func SessionEnds(h *histories.History) map[tree.SessionID]histories.Time { return sessionEnds(h) }
