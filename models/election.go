package models

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"zoosim/histories"
	"zoosim/tree"
)

// CheckerElections is the name of CheckElections's verdicts.
const CheckerElections = "elections"

// The election's steps, as sim/cluster's election workload records them.
const (
	elCandidate = "candidate"
	elElected   = "elected"
	elResigned  = "resigned"
	elLost      = "lost"
	elWithdrew  = "withdrew"
)

// ElectionOptions tune CheckElections. Zero durations take the defaults below.
type ElectionOptions struct {
	// Recipe is the recipe whose steps are judged (histories.RecipeElection when empty).
	Recipe string
	// Bound is how long an election may stay without a leader while candidates with live
	// sessions wait and the ensemble is calm (see CheckElections).
	Bound time.Duration
	// Settle is how long after the last disturbance (a fault's end, a serving leader's return,
	// a dead candidate's session end) the clients get to reconnect before the bound runs.
	Settle time.Duration
}

// DefaultElectionBound is ElectionOptions.Bound's default. In a calm ensemble a failover is the
// deletion's commit, one watch event and one listing: milliseconds (over 1,000 seeds of five
// election scenarios, 3 to 7 servers, 8 to 24 candidates, the longest leaderless stretch in
// calm time was 36 ms, with no settle time at all); a second leaves a wide margin and still
// catches an election that waits for something that will not come (a session's end, a watch
// never set).
const DefaultElectionBound = time.Second

// DefaultElectionSettle is ElectionOptions.Settle's default: the calm conditions themselves say
// that every client of the election is connected to a server that serves under the one leader,
// so what is left is the work a client does once reconnected (resending its requests, setting
// its watches again, the recipe's own retry): a few round trips. Half a second is a wide margin.
const DefaultElectionSettle = 500 * time.Millisecond

// CheckElections judges the leader election recipe (recipes.Election; issue 7): per election,
//
//   - at most one leader among live sessions: no two terms overlap, a term lasting from the
//     "elected" step to the leader's "resigned" or "lost" step or to the commit of its session's
//     end, whichever comes first (a leader whose session expired may still believe it leads
//     until its client hears of it; that is what the tokens are for);
//   - each term's token (the leader node's czxid) exceeds the term's before;
//   - a new leader within Bound once the old one is gone (resigned, or its session ended) while
//     candidates with live sessions wait: judged only while the ensemble is calm, and from
//     Settle after it became calm. Calm means no fault active (crashes, partitions, clogs and
//     the messages they still hold, pauses, disk faults, connection resets), every server
//     serving under one leader, every client of the election connected and none paused, and no
//     dead candidate in the line (a candidate whose client node was killed, paused or closed
//     and that has not acted since: the candidates behind it wait, rightly, for its session to
//     expire, which takes a session timeout and more). A partition can prevent any election
//     until it heals, so a bound that ran through faults would flag correct runs.
//
// The metrics report every failover's time (from the old leader's end to the next "elected"),
// faults or not, and the longest leaderless stretch in calm time, the figure Bound is held to.
//
// The first two follow from the recipe as the lock's exclusion does (CheckLocks): a candidate
// leads only after reading, from a server that applied its own node, that every node before
// its own is gone, and a node goes only after its leader recorded the end of its term or its
// session's end was committed. A term begun after its session had already ended (the client
// read a server that had not applied the expiry yet) is no live leader: counted, not judged.
func CheckElections(h *histories.History, opts ElectionOptions) Verdict {
	if opts.Recipe == "" {
		opts.Recipe = histories.RecipeElection
	}
	if opts.Bound <= 0 {
		opts.Bound = DefaultElectionBound
	}
	if opts.Settle <= 0 {
		opts.Settle = DefaultElectionSettle
	}
	els, stale := electionsOf(h, opts.Recipe)
	names := make([]string, 0, len(els))
	for name := range els {
		names = append(names, name)
	}
	slices.Sort(names)

	global := electionUnrest(h)
	var vs violations
	var failovers []histories.Time
	var calmMax histories.Time
	terms, cut, judged := 0, 0, 0
	for _, name := range names {
		el := els[name]
		terms += len(el.terms)
		for _, x := range el.terms {
			if x.endedBy == "session ended" {
				cut++
			}
		}
		electionCheckTerms(name, el.terms, &vs)
		f, longest, n := electionCheckFailover(h, name, el, global, opts, &vs)
		failovers = append(failovers, f...)
		calmMax = max(calmMax, longest)
		judged += n
	}
	v := vs.verdict(CheckerElections, fmt.Sprintf("%d terms in %d elections, %d failovers: one leader at a time among live sessions, tokens increasing, every calm failover within %s",
		terms, len(names), len(failovers), opts.Bound))
	if terms == 0 && v.Status == Pass {
		v.Summary = "no candidate was elected, and none waited in calm time: nothing to check"
	}
	var sum, longest histories.Time
	for _, d := range failovers {
		sum += d
		longest = max(longest, d)
	}
	mean := 0.0
	if len(failovers) > 0 {
		mean = liveSecs(sum) / float64(len(failovers))
	}
	v.Metrics = []Metric{{Name: "terms", Value: float64(terms)},
		{Name: "terms cut by their session's end", Value: float64(cut)},
		{Name: "terms begun after their session ended", Value: float64(stale)},
		{Name: "failovers", Value: float64(len(failovers))},
		{Name: "failover_mean", Value: mean, Unit: "s"},
		{Name: "failover_max", Value: liveSecs(longest), Unit: "s"},
		{Name: "leaderless stretches judged in calm time", Value: float64(judged)},
		{Name: "calm_leaderless_max", Value: liveSecs(calmMax), Unit: "s"}}
	return v
}

// electionTerm is one leader's term.
type electionTerm struct {
	process int
	session tree.SessionID
	node    string
	token   int64
	start   histories.Time
	// end is the resignation, the loss, the commit of the session's end, or the end of the run;
	// endedBy says which.
	end     histories.Time
	endedBy string
}

func (x *electionTerm) String() string {
	return fmt.Sprintf("%s (process %d, session %s, token %d, %s to %s, %s)", x.node, x.process, x.session, x.token,
		FormatTime(x.start), FormatTime(x.end), x.endedBy)
}

// electionCandidacy is a stretch in which a process waits to lead: from its "candidate" step
// (or the end of its term, should it stay a candidate) to its election, its withdrawal, or the
// commit of its session's end.
type electionCandidacy struct {
	process    int
	client     int
	session    tree.SessionID
	start, end histories.Time
}

// election is one election's terms and candidacies, each in start order.
type election struct {
	terms []*electionTerm
	cands []*electionCandidacy
	// clients are the history's clients that took part.
	clients []int
}

// electionsOf pairs the steps of each election into terms and candidacies, cut at their
// session's end. It returns them by election, and how many terms began after their session
// had ended.
func electionsOf(h *histories.History, recipe string) (map[string]*election, int) {
	ends := sessionEnds(h)
	els := map[string]*election{}
	get := func(name string) *election {
		el := els[name]
		if el == nil {
			el = &election{}
			els[name] = el
		}
		return el
	}
	// A process's steps are keyed by session: a process whose client was killed goes on with a
	// new session while the old one's candidacy lives on until that session ends.
	type key struct {
		name    string
		session tree.SessionID
	}
	terms := map[key]*electionTerm{}
	cands := map[key]*electionCandidacy{}
	stale := 0
	closeCand := func(k key, at histories.Time) {
		if c := cands[k]; c != nil {
			c.end = min(c.end, at)
			delete(cands, k)
		}
	}
	for _, e := range recipeSteps(h, recipe) {
		k := key{e.Name, e.Session}
		if el := get(e.Name); !slices.Contains(el.clients, e.Client) {
			el.clients = append(el.clients, e.Client)
		}
		end := sessionEnd(ends, e.Session)
		switch e.Step {
		case elCandidate:
			closeCand(k, e.Time)
			if end <= e.Time {
				continue
			}
			c := &electionCandidacy{process: e.Process, client: e.Client, session: e.Session, start: e.Time, end: min(end, h.Header.End)}
			get(e.Name).cands = append(get(e.Name).cands, c)
			cands[k] = c
		case elWithdrew:
			closeCand(k, e.Time)
		case elElected:
			closeCand(k, e.Time)
			delete(terms, k)
			if end <= e.Time {
				stale++
				continue
			}
			x := &electionTerm{process: e.Process, session: e.Session, node: e.Node, token: e.Token,
				start: e.Time, end: h.Header.End, endedBy: "the run ended"}
			if end < x.end {
				x.end, x.endedBy = end, "session ended"
			}
			get(e.Name).terms = append(get(e.Name).terms, x)
			terms[k] = x
		case elResigned, elLost:
			if x := terms[k]; x != nil && x.node == e.Node {
				if e.Time < x.end {
					x.end, x.endedBy = e.Time, e.Step
				}
				delete(terms, k)
			}
		}
	}
	return els, stale
}

// electionCheckTerms finds overlapping terms and tokens that do not increase, in terms sorted by
// start.
func electionCheckTerms(name string, terms []*electionTerm, vs *violations) {
	var last *electionTerm // the term that ends last among those before
	for i, x := range terms {
		if last != nil && x.start < last.end {
			vs.addf(x.start, nil, "election %s: %s led while %s still led", name, x.String(), last.String())
		}
		if i > 0 && x.token <= terms[i-1].token {
			vs.addf(x.start, nil, "election %s: token %d of %s does not exceed token %d of the term before, %s",
				name, x.token, x.String(), terms[i-1].token, terms[i-1].String())
		}
		if last == nil || x.end > last.end {
			last = x
		}
	}
}

// electionSpan is a stretch of virtual time [start, end).
type electionSpan struct{ start, end histories.Time }

// electionUnrest returns the stretches in which the ensemble is not calm for any election:
// every fault but a client's kill or pause (those concern the elections of that client only),
// and every stretch in which the servers do not all serve under one leader (a server down,
// looking, or syncing with its leader, or a deposed leader that has not noticed yet). A server
// that rejoins after a fault may take seconds (its election's notification timeouts), and the
// clients it dropped meanwhile look for another server; a leader cut off from the others goes
// on serving its clients, who get nothing done, until it notices that it lost its quorum: until
// every server serves under the one leader again, a client's progress has no short bound.
func electionUnrest(h *histories.History) []electionSpan {
	end := h.Header.End
	var out []electionSpan
	for i := range h.Faults {
		f := &h.Faults[i]
		if f.Kind == histories.FaultClientKill || f.Kind == histories.FaultClientPause {
			continue
		}
		out = append(out, electionSpan{f.Start, min(electionFaultEnd(f, end), end)})
	}
	n := max(h.Header.Servers, len(h.Final), len(h.Applied))
	for i := range h.Servers {
		n = max(n, h.Servers[i].Server+1)
	}
	// Each server's leader while it serves, -1 while it does not.
	leader := make([]int, n)
	for i := range leader {
		leader[i] = -1
	}
	down, since := true, histories.Time(0)
	for i := range h.Servers {
		e := &h.Servers[i]
		if e.Server < 0 || e.Server >= n {
			continue
		}
		leader[e.Server] = -1
		if e.Kind == histories.Role && e.Serving {
			leader[e.Server] = e.Leader
		}
		all := leader[0] >= 0 && !slices.ContainsFunc(leader, func(l int) bool { return l != leader[0] })
		switch {
		case down && all:
			out = append(out, electionSpan{since, e.Time})
			down = false
		case !down && !all:
			down, since = true, e.Time
		}
	}
	if down {
		out = append(out, electionSpan{since, end})
	}
	return out
}

// electionFaultEnd returns when a fault's effects end: its end, except for a clog healed before
// its time (every fault is healed when the liveness phase begins): the messages it held keep
// their departure times (sim.World.Unclog), so the links stay slow until the clog's planned
// end. The fault's detail says how long it was planned for ("clogged for D" for a clog, "S
// apart" for a swizzle, whose last server is freed 2n-1 steps after the start); a detail that
// does not say counts as lasting to the end of the run.
func electionFaultEnd(f *histories.Fault, end histories.Time) histories.Time {
	var planned time.Duration
	var ok bool
	switch f.Kind {
	case histories.FaultClog:
		planned, ok = electionDetailDuration(f.Detail, "clogged for ", "")
	case histories.FaultSwizzle:
		var step time.Duration
		step, ok = electionDetailDuration(f.Detail, ", ", " apart")
		planned = step * time.Duration(2*len(f.Servers)-1)
	default:
		return f.End
	}
	if !ok {
		return end
	}
	return max(f.End, f.Start+histories.Time(planned))
}

// electionDetailDuration reads the duration that follows the last before in detail, up to after
// (or the end of detail, or the next space or comma).
func electionDetailDuration(detail, before, after string) (time.Duration, bool) {
	i := strings.LastIndex(detail, before)
	if i < 0 {
		return 0, false
	}
	rest := detail[i+len(before):]
	if after != "" {
		j := strings.Index(rest, after)
		if j < 0 {
			return 0, false
		}
		rest = rest[:j]
	} else if j := strings.IndexAny(rest, " ,"); j >= 0 {
		rest = rest[:j]
	}
	d, err := time.ParseDuration(rest)
	return d, err == nil && d >= 0
}

// electionClientUnrest returns the stretches in which a client of el was disturbed: its node
// paused (its connection may need a new server afterwards, and a leader that resigns right after
// a pause deletes its node only once reconnected), and each candidate that could not act though
// its session lived: from its client node's kill or pause to the end of its candidacy. A killed
// candidate's candidacy ends with its session; a paused one may outlive the pause (the leader
// changed meanwhile, which restarts the expiry clocks), and its process may sleep on past the
// pause's end (a pause healed early does not shorten the process's sleep), so it counts as dead
// until it acts again (is elected or withdraws) or its session ends. A candidate whose client
// was closed, or told that its session expired, is as dead until its session's end commits: a
// close that failed with ConnectionLoss leaves the session to expire, and while leaders keep
// changing, each restarting the expiry clocks, that can take long.
func electionClientUnrest(h *histories.History, el *election) []electionSpan {
	var out []electionSpan
	gone := map[int]histories.Time{} // when a client was closed or told of its expiry
	for i := range h.Events {
		ev := &h.Events[i]
		if ev.IsSession() && (ev.State == histories.Closed || ev.State == histories.Expired) {
			if _, seen := gone[ev.Client]; !seen {
				gone[ev.Client] = ev.Time
			}
		}
	}
	for _, c := range el.cands {
		if t, ok := gone[c.client]; ok && max(t, c.start) <= c.end {
			out = append(out, electionSpan{max(t, c.start), c.end})
		}
	}
	for i := range h.Faults {
		f := &h.Faults[i]
		if f.Kind != histories.FaultClientKill && f.Kind != histories.FaultClientPause {
			continue
		}
		if f.Kind == histories.FaultClientPause && slices.ContainsFunc(f.Clients, func(c int) bool { return slices.Contains(el.clients, c) }) {
			out = append(out, electionSpan{f.Start, min(f.End, h.Header.End)})
		}
		for _, c := range el.cands {
			if !slices.Contains(f.Clients, c.client) {
				continue
			}
			dead := electionSpan{max(f.Start, c.start), c.end}
			if dead.start <= dead.end {
				out = append(out, dead)
			}
		}
	}
	return out
}

// electionDisconnected returns the stretches in which a client of el had lost its connection
// while its session lived: from its Disconnected event to its next Connected event, or to the
// end of its session (an Expired or Closed event, or the commit of the session's end).
func electionDisconnected(h *histories.History, el *election) []electionSpan {
	ends := sessionEnds(h)
	since := map[int]histories.Time{}
	var out []electionSpan
	for i := range h.Events {
		ev := &h.Events[i]
		if !ev.IsSession() || !slices.Contains(el.clients, ev.Client) {
			continue
		}
		from, lost := since[ev.Client]
		switch {
		case ev.State == histories.Disconnected && !lost:
			since[ev.Client] = ev.Time
		case ev.State != histories.Disconnected && lost:
			out = append(out, electionSpan{from, min(ev.Time, sessionEnd(ends, ev.Session))})
			delete(since, ev.Client)
		}
	}
	for i := range h.Events {
		// The clients still cut off at the end of the run, each once.
		ev := &h.Events[i]
		if from, lost := since[ev.Client]; lost {
			out = append(out, electionSpan{from, min(h.Header.End, sessionEnd(ends, ev.Session))})
			delete(since, ev.Client)
		}
	}
	return out
}

// electionMerge sorts intervals and joins those that overlap or touch.
func electionMerge(list []electionSpan) []electionSpan {
	slices.SortFunc(list, func(a, b electionSpan) int { return cmp.Compare(a.start, b.start) })
	var out []electionSpan
	for _, x := range list {
		if n := len(out); n > 0 && x.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, x.end)
			continue
		}
		out = append(out, x)
	}
	return out
}

// electionGap is a stretch in which an election had no live leader and at least one live
// candidate.
type electionGap struct {
	electionSpan
	// failover says whether it began with a term's end, elected whether it ended with a new
	// term.
	failover, elected bool
	// waiting are the processes that were candidates in it, for the report.
	waiting []int
}

// electionLeaderlessOf returns the stretches in which el had no live leader and at least one
// live candidate, and for each whether it began with a term's end (a failover) and whether it
// ended with a new term.
func electionLeaderlessOf(el *election, end histories.Time) []electionGap {
	type point struct {
		t     histories.Time
		term  bool
		delta int
	}
	var pts []point
	for _, x := range el.terms {
		pts = append(pts, point{t: x.start, term: true, delta: 1}, point{t: x.end, term: true, delta: -1})
	}
	for _, c := range el.cands {
		pts = append(pts, point{t: c.start, delta: 1}, point{t: c.end, delta: -1})
	}
	slices.SortStableFunc(pts, func(a, b point) int { return cmp.Compare(a.t, b.t) })
	var out []electionGap
	leaders, cands := 0, 0
	var cur *electionGap
	for i := 0; i < len(pts); {
		// Everything that happens at one time happens together: a candidacy that ends with its
		// election leaves no gap.
		t, termEnded := pts[i].t, false
		for ; i < len(pts) && pts[i].t == t; i++ {
			if pts[i].term {
				leaders += pts[i].delta
				termEnded = termEnded || pts[i].delta < 0
			} else {
				cands += pts[i].delta
			}
		}
		pending := leaders == 0 && cands > 0
		switch {
		case pending && cur == nil:
			cur = &electionGap{electionSpan: electionSpan{start: t}, failover: termEnded}
		case !pending && cur != nil:
			cur.end, cur.elected = t, leaders > 0
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		cur.end = end
		out = append(out, *cur)
	}
	for i := range out {
		for _, c := range el.cands {
			if c.start < out[i].end && c.end > out[i].start && !slices.Contains(out[i].waiting, c.process) {
				out[i].waiting = append(out[i].waiting, c.process)
			}
		}
		slices.Sort(out[i].waiting)
	}
	return out
}

// electionCheckFailover holds el's leaderless stretches to the bound in calm time. It returns
// the failover times, the longest leaderless time in calm time, and how many stretches had
// calm time to judge.
func electionCheckFailover(h *histories.History, name string, el *election, global []electionSpan, opts ElectionOptions, vs *violations) ([]histories.Time, histories.Time, int) {
	end := h.Header.End
	unrest := slices.Clone(global)
	unrest = append(unrest, electionClientUnrest(h, el)...)
	unrest = append(unrest, electionDisconnected(h, el)...)
	unrest = electionMerge(unrest)
	// The calm stretches, each from Settle after the unrest before it.
	var calm []electionSpan
	from := histories.Time(0)
	for _, u := range unrest {
		if u.start > from {
			calm = append(calm, electionSpan{from, u.start})
		}
		from = max(from, u.end)
	}
	if from < end {
		calm = append(calm, electionSpan{from, end})
	}
	settle, bound := histories.Time(opts.Settle), histories.Time(opts.Bound)
	var failovers []histories.Time
	var longest histories.Time
	judged := 0
	for _, l := range electionLeaderlessOf(el, end) {
		if l.failover && l.elected {
			failovers = append(failovers, l.end-l.start)
		}
		counted := false
		for _, c := range calm {
			from := max(l.start, c.start+settle)
			to := min(l.end, c.end)
			if to <= from {
				continue
			}
			if !counted {
				judged++
				counted = true
			}
			longest = max(longest, to-from)
			if to-from > bound {
				vs.addf(from+bound, nil, "election %s: no leader from %s to %s while candidates %s waited with live sessions, %s of it in a calm ensemble from %s (bound %s)",
					name, FormatTime(l.start), electionUntil(l), electionProcs(l.waiting), FormatTime(to-from), FormatTime(from), opts.Bound)
			}
		}
	}
	return failovers, longest, judged
}

func electionUntil(l electionGap) string {
	if l.elected {
		return FormatTime(l.end) + " (elected)"
	}
	return FormatTime(l.end)
}

func electionProcs(procs []int) string {
	s := make([]string, len(procs))
	for i, p := range procs {
		s[i] = fmt.Sprintf("p%d", p)
	}
	return strings.Join(s, ", ")
}
