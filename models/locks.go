package models

import (
	"fmt"
	"slices"

	"zoosim/histories"
	"zoosim/tree"
)

// CheckerLocks is the name of CheckLocks's verdicts.
const CheckerLocks = "locks"

// LockOptions tune CheckLocks.
type LockOptions struct {
	// Recipe is the recipe whose steps are judged: histories.RecipeLock (the default) or
	// another recipe whose exclusive holds are recorded with the same steps.
	Recipe string
	// Acquired and Released are the steps that begin and end a hold ("acquired" and
	// "released" when empty).
	Acquired, Released string
}

// CheckLocks judges the lock recipe (recipes.Lock; issue 7): per lock,
//
//   - mutual exclusion among live sessions: no two holds overlap, a hold lasting from the
//     return of Acquire to the holder's release or to the commit of its session's end,
//     whichever comes first (a holder whose session expired may still believe it holds the
//     lock; that is what fencing tokens are for);
//   - fencing tokens strictly increase from one hold to the next.
//
// A hold that began after its session had already ended (the client read a server that had not
// applied the expiry yet) is no live holder: it is counted, not judged.
func CheckLocks(h *histories.History, opts LockOptions) Verdict {
	if opts.Recipe == "" {
		opts.Recipe = histories.RecipeLock
	}
	if opts.Acquired == "" {
		opts.Acquired = "acquired"
	}
	if opts.Released == "" {
		opts.Released = "released"
	}
	holds, stale := lockHolds(h, opts)
	var vs violations
	names := make([]string, 0, len(holds))
	for name := range holds {
		names = append(names, name)
	}
	slices.Sort(names)
	total := 0
	for _, name := range names {
		list := holds[name]
		total += len(list)
		checkLockHolds(name, list, &vs)
	}
	v := vs.verdict(CheckerLocks, fmt.Sprintf("%d holds of %d locks: exclusive among live sessions, fencing tokens increasing", total, len(names)))
	if total == 0 {
		v.Summary = "no lock was held: nothing to check"
	}
	cut := 0
	for _, list := range holds {
		for _, x := range list {
			if x.endedBy == "session ended" {
				cut++
			}
		}
	}
	v.Metrics = []Metric{{Name: "holds", Value: float64(total)}, {Name: "holds cut by their session's end", Value: float64(cut)},
		{Name: "holds begun after their session ended", Value: float64(stale)}}
	return v
}

// lockHold is one hold of a lock: from the return of Acquire to the end of the hold.
type lockHold struct {
	process int
	client  int
	session tree.SessionID
	node    string
	token   int64
	start   histories.Time
	// end is the release, the commit of the session's end, or the end of the run.
	end histories.Time
	// endedBy says which: "released", "session ended", "the run ended".
	endedBy string
}

func (x *lockHold) String() string {
	return fmt.Sprintf("%s (process %d, session %s, token %d, %s to %s, %s)", x.node, x.process, x.session, x.token,
		FormatTime(x.start), FormatTime(x.end), x.endedBy)
}

// lockHolds pairs each acquired step with its release, per lock, and cuts each hold at its
// session's end. It returns the holds by lock, in start order, and how many holds began after
// their session had ended.
func lockHolds(h *histories.History, opts LockOptions) (map[string][]*lockHold, int) {
	ends := sessionEnds(h)
	holds := map[string][]*lockHold{}
	// open are the holds not yet released, by process.
	open := map[int]*lockHold{}
	stale := 0
	for _, e := range recipeSteps(h, opts.Recipe) {
		switch e.Step {
		case opts.Acquired:
			end := sessionEnd(ends, e.Session)
			if end <= e.Time {
				stale++
				delete(open, e.Process)
				continue
			}
			x := &lockHold{process: e.Process, client: e.Client, session: e.Session, node: e.Node, token: e.Token,
				start: e.Time, end: h.Header.End, endedBy: "the run ended"}
			if end < x.end {
				x.end, x.endedBy = end, "session ended"
			}
			holds[e.Name] = append(holds[e.Name], x)
			open[e.Process] = x
		case opts.Released:
			if x := open[e.Process]; x != nil && x.node == e.Node {
				if e.Time < x.end {
					x.end, x.endedBy = e.Time, "released"
				}
				delete(open, e.Process)
			}
		}
	}
	return holds, stale
}

// checkLockHolds finds overlapping holds and fencing tokens that do not increase, in holds
// sorted by start.
func checkLockHolds(name string, holds []*lockHold, vs *violations) {
	var last *lockHold // the hold that ends last among those before
	for i, x := range holds {
		if last != nil && x.start < last.end {
			vs.addf(x.start, nil, "lock %s: %s was held while %s still held it", name, x.String(), last.String())
		}
		if i > 0 && x.token <= holds[i-1].token {
			vs.addf(x.start, nil, "lock %s: fencing token %d of %s does not exceed token %d of the hold before, %s",
				name, x.token, x.String(), holds[i-1].token, holds[i-1].String())
		}
		if last == nil || x.end > last.end {
			last = x
		}
	}
}
