package models

import (
	"cmp"
	"fmt"
	"slices"

	"zoosim/histories"
)

// CheckerRWLocks is the name of CheckRWLocks's verdicts.
const CheckerRWLocks = "rwlocks"

// The read-write lock's steps, as sim/cluster's rwlock workload records them.
const (
	rwReadAcquired  = "read-acquired"
	rwReadReleased  = "read-released"
	rwWriteAcquired = "write-acquired"
	rwWriteReleased = "write-released"
)

// RWLockOptions tune CheckRWLocks; the zero value judges histories.RecipeRWLock.
type RWLockOptions struct {
	// Recipe is the recipe whose steps are judged (histories.RecipeRWLock when empty).
	Recipe string
}

// CheckRWLocks judges the read-write lock recipe (recipes.RWLock; issue 7): per lock,
//
//   - a writer holds alone among live sessions: no other hold, shared or exclusive, overlaps a
//     write hold, a hold lasting from the return of its acquisition to the holder's release or
//     to the commit of its session's end, whichever comes first (as in CheckLocks: a holder
//     whose session expired may still believe it holds; fencing tokens are for that). Read
//     holds may overlap each other;
//   - the write holds' fencing tokens strictly increase from one writer to the next.
//
// Both follow from the recipe: a contender holds only after reading, from a server that applied
// its own node, that every node before it that excludes it is gone, and a node goes only after
// its holder recorded the release or its session's end was committed.
//
// A hold that began after its session had already ended (the client read a server that had not
// applied the expiry yet) is no live holder: it is counted, not judged.
func CheckRWLocks(h *histories.History, opts RWLockOptions) Verdict {
	if opts.Recipe == "" {
		opts.Recipe = histories.RecipeRWLock
	}
	reads, staleReads := lockHolds(h, LockOptions{Recipe: opts.Recipe, Acquired: rwReadAcquired, Released: rwReadReleased})
	writes, staleWrites := lockHolds(h, LockOptions{Recipe: opts.Recipe, Acquired: rwWriteAcquired, Released: rwWriteReleased})
	names := make([]string, 0, len(reads)+len(writes))
	for name := range reads {
		names = append(names, name)
	}
	for name := range writes {
		if _, dup := reads[name]; !dup {
			names = append(names, name)
		}
	}
	slices.Sort(names)

	var vs violations
	nReads, nWrites, cut, maxReaders := 0, 0, 0, 0
	for _, name := range names {
		nReads += len(reads[name])
		nWrites += len(writes[name])
		rwCheckWriters(name, writes[name], reads[name], &vs)
		maxReaders = max(maxReaders, rwMaxOverlap(reads[name]))
		for _, list := range [][]*lockHold{reads[name], writes[name]} {
			for _, x := range list {
				if x.endedBy == "session ended" {
					cut++
				}
			}
		}
	}
	v := vs.verdict(CheckerRWLocks, fmt.Sprintf("%d read and %d write holds of %d locks: writers alone among live sessions, write tokens increasing",
		nReads, nWrites, len(names)))
	if nReads+nWrites == 0 {
		v.Summary = "no read-write lock was held: nothing to check"
	}
	v.Metrics = []Metric{{Name: "read holds", Value: float64(nReads)}, {Name: "write holds", Value: float64(nWrites)},
		{Name: "most readers at once", Value: float64(maxReaders)},
		{Name: "holds cut by their session's end", Value: float64(cut)},
		{Name: "holds begun after their session ended", Value: float64(staleReads + staleWrites)}}
	return v
}

// rwCheckWriters finds holds that overlap a write hold, and write tokens that do not increase.
// Both lists are sorted by start (lockHolds appends in step order).
func rwCheckWriters(name string, writes, reads []*lockHold, vs *violations) {
	for i, w := range writes {
		if i > 0 && w.token <= writes[i-1].token {
			vs.addf(w.start, nil, "rwlock %s: write token %d of %s does not exceed token %d of the write hold before, %s",
				name, w.token, w.String(), writes[i-1].token, writes[i-1].String())
		}
		for j, x := range writes {
			// Each pair of writers once: the later one is the offender.
			if j != i && (x.start < w.start || (x.start == w.start && j < i)) && x.end > w.start {
				vs.addf(w.start, nil, "rwlock %s: writer %s held while writer %s still held", name, w.String(), x.String())
			}
		}
		for _, r := range reads {
			if r.start < w.end && r.end > w.start {
				at := max(r.start, w.start)
				vs.addf(at, nil, "rwlock %s: reader %s and writer %s held at once", name, r.String(), w.String())
			}
		}
	}
}

// rwMaxOverlap returns the most holds that overlap at one time: how much the readers shared.
func rwMaxOverlap(holds []*lockHold) int {
	type edge struct {
		t     histories.Time
		delta int
	}
	edges := make([]edge, 0, 2*len(holds))
	for _, x := range holds {
		edges = append(edges, edge{x.start, 1}, edge{x.end, -1})
	}
	// Ends before starts at the same time: a hold ending when another begins does not overlap.
	slices.SortFunc(edges, func(a, b edge) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.delta, b.delta)
	})
	n, most := 0, 0
	for _, e := range edges {
		n += e.delta
		most = max(most, n)
	}
	return most
}
