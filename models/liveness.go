package models

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"zoosim/histories"
)

// LivenessOptions are the bounds CheckLiveness holds the run to. A zero bound is no bound: the
// measurement is reported, never failed.
type LivenessOptions struct {
	// MaxElection bounds each stretch without a serving leader (from the start, a leader's
	// crash, isolation, pause or stepping down, until a leader serves again).
	MaxElection time.Duration
	// MaxFirstWrite bounds the time from healing to the first successful client write.
	MaxFirstWrite time.Duration
	// MaxUnavailable bounds each unavailability window.
	MaxUnavailable time.Duration
	// MaxConvergence bounds the time from healing to convergence.
	MaxConvergence time.Duration
	// MinWindow is the shortest stretch without an answered write, while clients were writing,
	// that counts as an unavailability window; shorter ones are ordinary latency. Zero means
	// DefaultMinWindow.
	MinWindow time.Duration
}

// DefaultMinWindow is LivenessOptions.MinWindow's default: a third of zab's default tick (3 s),
// longer than any write's latency in a healthy ensemble and shorter than any election.
const DefaultMinWindow = time.Second

// CheckLiveness checks that the run recovered: after every fault healed, the ensemble converged
// (a stable leader, every running server at the same zxid and digest, no op outstanding;
// DESIGN.md "Runs, faults and phases"). It fails when it did not, quoting why, and when a
// measurement exceeds its bound in opts. It reports, in virtual seconds:
//
//   - elections, election_mean, election_max: the stretches without a serving leader, from the
//     start, a leader's crash or halt, a fault that cuts the leader off from a quorum (isolation,
//     pause, a partition or one-way cut that leaves it a minority), or a leader stepping down,
//     until a leader serves again (B2-B4: election, discovery and synchronization);
//   - first_write_after_heal: from healing to the first successful write's return;
//   - unavailable_windows, unavailable_total, unavailable_max: the maximal stretches in which
//     clients were writing and no server answered any write (liveWindows), counted when they
//     last at least MinWindow;
//   - convergence: from healing to convergence.
func CheckLiveness(h *histories.History, opts LivenessOptions) Verdict {
	if h == nil {
		return Verdict{Checker: "liveness", Status: Inconclusive, Summary: "models: no history"}
	}
	if opts.MinWindow <= 0 {
		opts.MinWindow = DefaultMinWindow
	}
	l := h.Liveness
	end := liveEnd(h)
	var vs []Violation
	addf := func(t histories.Time, format string, args ...any) {
		vs = append(vs, Violation{Time: t, Message: fmt.Sprintf(format, args...)})
	}
	var metrics []Metric
	var summary []string

	outages := liveOutages(h, end)
	var sum, longest histories.Time
	for _, o := range outages {
		d := o.end - o.start
		sum += d
		longest = max(longest, d)
		if opts.MaxElection > 0 && time.Duration(d) > opts.MaxElection {
			addf(o.start, "no serving leader for %s from %s%s (bound %s)", liveSeconds(d), FormatTime(o.start), o.open(), opts.MaxElection)
		}
	}
	metrics = append(metrics, Metric{Name: "elections", Value: float64(len(outages))})
	if len(outages) > 0 {
		metrics = append(metrics,
			Metric{Name: "election_mean", Value: liveSecs(sum) / float64(len(outages)), Unit: "s"},
			Metric{Name: "election_max", Value: liveSecs(longest), Unit: "s"})
		summary = append(summary, fmt.Sprintf("%s (max %s)", livePlural(len(outages), "election"), liveSeconds(longest)))
	}

	first, issued := liveFirstWrite(h, l.Healed)
	switch {
	case first != histories.Never:
		d := first - l.Healed
		metrics = append(metrics, Metric{Name: "first_write_after_heal", Value: liveSecs(d), Unit: "s"})
		summary = append(summary, fmt.Sprintf("first write %s after healing", liveSeconds(d)))
		if opts.MaxFirstWrite > 0 && time.Duration(d) > opts.MaxFirstWrite {
			addf(l.Healed, "the first successful write after healing at %s returned %s later (bound %s)",
				FormatTime(l.Healed), liveSeconds(d), opts.MaxFirstWrite)
		}
	case issued > 0 && opts.MaxFirstWrite > 0:
		addf(l.Healed, "no write succeeded after healing at %s, though clients issued %d", FormatTime(l.Healed), issued)
	}

	windows := liveWindows(h, end, histories.Time(opts.MinWindow))
	var total, widest histories.Time
	for _, w := range windows {
		d := w.end - w.start
		total += d
		widest = max(widest, d)
		if opts.MaxUnavailable > 0 && time.Duration(d) > opts.MaxUnavailable {
			addf(w.start, "no write was answered for %s from %s%s while clients were writing (bound %s)",
				liveSeconds(d), FormatTime(w.start), w.open(), opts.MaxUnavailable)
		}
	}
	metrics = append(metrics,
		Metric{Name: "unavailable_windows", Value: float64(len(windows))},
		Metric{Name: "unavailable_total", Value: liveSecs(total), Unit: "s"},
		Metric{Name: "unavailable_max", Value: liveSecs(widest), Unit: "s"})
	if len(windows) > 0 {
		summary = append(summary, fmt.Sprintf("%s (max %s)", livePlural(len(windows), "unavailability window"), liveSeconds(widest)))
	}

	status, pending := Pass, ""
	switch {
	case l.Converged:
		d := l.At - l.Healed
		metrics = append(metrics, Metric{Name: "convergence", Value: liveSecs(d), Unit: "s"})
		summary = append([]string{fmt.Sprintf("converged %s after healing at %s", liveSeconds(d), FormatTime(l.Healed))}, summary...)
		if opts.MaxConvergence > 0 && time.Duration(d) > opts.MaxConvergence {
			addf(l.At, "converged %s after healing at %s (bound %s)", liveSeconds(d), FormatTime(l.Healed), opts.MaxConvergence)
		}
	case l.Pending == "":
		// A run that did not converge says why; with neither, the runner recorded no liveness
		// phase, and nothing can be concluded.
		status = Inconclusive
	default:
		pending = fmt.Sprintf("did not converge after healing at %s: %s", FormatTime(l.Healed), l.Pending)
		addf(end, "%s", pending)
	}

	slices.SortStableFunc(vs, func(a, b Violation) int { return cmp.Compare(a.Time, b.Time) })
	var list violations
	for _, v := range vs {
		list.add(v)
	}
	v := list.verdict("liveness", strings.Join(summary, "; "))
	v.Metrics = metrics
	if pending != "" {
		// Why the run did not converge is the headline, whatever failed earlier.
		v.Summary = pending
		if v.Total > 1 {
			v.Summary += fmt.Sprintf(" (and %d more violation(s))", v.Total-1)
		}
	}
	if status == Inconclusive && v.Status == Pass {
		v.Status = Inconclusive
		v.Summary = "the history records no liveness phase (not converged, no pending reason)"
	}
	return v
}

// liveInterval is a stretch of virtual time; unended says it had not ended when the run did.
type liveInterval struct {
	start, end histories.Time
	unended    bool
}

func (i liveInterval) open() string {
	if i.unended {
		return " until the end of the run"
	}
	return ""
}

// liveEnd is when the run ended: the header's end, or the last time recorded.
func liveEnd(h *histories.History) histories.Time {
	end := h.Header.End
	for i := range h.Servers {
		end = max(end, h.Servers[i].Time)
	}
	for i := range h.Ops {
		end = max(end, h.Ops[i].Invoke)
		if h.Ops[i].Returned() {
			end = max(end, h.Ops[i].Return)
		}
	}
	return end
}

// livePoint is one moment that can change whether the ensemble has a serving leader: a server
// event, or a fault starting or ending.
type livePoint struct {
	time  histories.Time
	seq   histories.Seq
	event *histories.ServerEvent
	fault *histories.Fault
	start bool
}

// liveOutages returns the stretches with no effective leader: no server that is an established
// leader (Role Leading and Serving) and is not cut off from a quorum by a fault. A leader that a
// partition leaves in a minority keeps believing it leads until it misses a quorum of pings
// (B5), but clients behind it get no writes committed, so the stretch starts at the fault.
func liveOutages(h *histories.History, end histories.Time) []liveInterval {
	n := max(h.Header.Servers, len(h.Final), len(h.Applied))
	for i := range h.Servers {
		n = max(n, h.Servers[i].Server+1)
	}
	var points []livePoint
	for i := range h.Servers {
		e := &h.Servers[i]
		points = append(points, livePoint{time: e.Time, seq: e.Seq, event: e})
	}
	for i := range h.Faults {
		f := &h.Faults[i]
		if len(liveCut(f, n)) == 0 {
			continue
		}
		points = append(points, livePoint{time: f.Start, seq: f.StartSeq, fault: f, start: true})
		if f.EndSeq != 0 {
			points = append(points, livePoint{time: f.End, seq: f.EndSeq, fault: f})
		}
	}
	slices.SortStableFunc(points, func(a, b livePoint) int { return cmp.Compare(a.seq, b.seq) })

	leading := make([]bool, n)
	cut := make([]int, n)
	effective := func() bool {
		for s := range n {
			if leading[s] && cut[s] == 0 {
				return true
			}
		}
		return false
	}
	var out []liveInterval
	down, since := true, histories.Time(0)
	for _, p := range points {
		switch {
		case p.event != nil && p.event.Server >= 0:
			e := p.event
			leading[e.Server] = e.Kind == histories.Role && e.Role == histories.Leading && e.Serving
		case p.fault != nil:
			d := 1
			if !p.start {
				d = -1
			}
			for _, s := range liveCut(p.fault, n) {
				cut[s] += d
			}
		}
		switch now := effective(); {
		case down && now:
			out = append(out, liveInterval{start: since, end: p.time})
			down = false
		case !down && !now:
			down, since = true, p.time
		}
	}
	if down && len(points) > 0 {
		out = append(out, liveInterval{start: since, end: max(end, since), unended: true})
	}
	return out
}

// liveCut returns the servers a fault cuts off from a quorum (a majority of n): the servers it
// crashes, isolates or pauses, and the servers a partition, one-way cut or bridge leaves able to
// exchange messages with fewer than a majority. Clogging slows links without cutting them, and a
// majorities ring leaves every server a majority of neighbours.
func liveCut(f *histories.Fault, n int) []int {
	quorum := n/2 + 1
	var cut []int
	add := func(servers []int, reach int) {
		if reach < quorum {
			for _, s := range servers {
				if s >= 0 && s < n {
					cut = append(cut, s)
				}
			}
		}
	}
	g := f.Groups
	switch f.Kind {
	case histories.FaultCrash, histories.FaultCrashAfterWrite, histories.FaultCrashProposing,
		histories.FaultIsolate, histories.FaultPause:
		add(f.Servers, 0)
	case histories.FaultPartition:
		for _, side := range g {
			add(side, len(side))
		}
	case histories.FaultOneWay:
		// Groups[0] cannot send to Groups[1]: neither side can exchange messages with the other.
		if len(g) >= 2 {
			add(g[0], n-len(g[1]))
			add(g[1], n-len(g[0]))
		}
	case histories.FaultBridge:
		// Groups[0] and Groups[2] reach each other only through Groups[1].
		if len(g) >= 3 {
			add(g[0], n-len(g[2]))
			add(g[2], n-len(g[0]))
		}
	}
	slices.Sort(cut)
	return slices.Compact(cut)
}

// liveFirstWrite returns when the first write that succeeded after healed returned (Never when
// none did), and how many writes clients invoked at or after healed.
func liveFirstWrite(h *histories.History, healed histories.Time) (first histories.Time, issued int) {
	first = histories.Never
	for i := range h.Ops {
		op := &h.Ops[i]
		if !op.IsWrite() {
			continue
		}
		if op.Invoke >= healed {
			issued++
		}
		if op.Outcome == histories.OK && op.Returned() && op.Return >= healed {
			first = min(first, op.Return)
		}
	}
	return first, issued
}

// liveWindows returns the maximal stretches, at least minWindow long, in which clients were
// writing and no write was answered. A write the server answered, successfully or with an error
// (a failed write is a txn too, A7.1), shows the ensemble was available; one that failed at the
// client (ConnectionLoss, SessionExpired) or never returned does not. A stretch starts when a
// write is invoked with none outstanding, or when a write is answered with others outstanding; it
// ends at the next answer. A client retrying after a failure keeps it open, but when no write is
// outstanding for minWindow, the clients stopped trying and the stretch ended with their last
// failure.
func liveWindows(h *histories.History, end histories.Time, minWindow histories.Time) []liveInterval {
	type edge struct {
		time histories.Time
		seq  histories.Seq
		// invoke, else return; answered says a server answered the write.
		invoke, answered bool
	}
	edges := make([]edge, 0, 2*len(h.Ops)) // at most two per op: grown by appends, they cost more
	for i := range h.Ops {
		op := &h.Ops[i]
		if !op.IsWrite() {
			continue
		}
		edges = append(edges, edge{time: op.Invoke, seq: op.InvokeSeq, invoke: true})
		if op.Returned() {
			edges = append(edges, edge{time: op.Return, seq: op.ReturnSeq, answered: op.Outcome != histories.Unknown})
		}
	}
	slices.SortStableFunc(edges, func(a, b edge) int { return cmp.Compare(a.seq, b.seq) })
	var out []liveInterval
	outstanding := 0
	open := false
	// since is when the open stretch started; idle, when the last write of a still open stretch
	// failed with no other outstanding.
	var since, idle histories.Time
	closeAt := func(t histories.Time, unended bool) {
		if t-since >= minWindow {
			out = append(out, liveInterval{start: since, end: t, unended: unended})
		}
		open = false
	}
	for _, e := range edges {
		if e.invoke {
			if open && outstanding == 0 && e.time-idle >= minWindow {
				closeAt(idle, false)
			}
			if !open {
				open, since = true, e.time
			}
			outstanding++
			continue
		}
		outstanding--
		switch {
		case e.answered:
			closeAt(e.time, false)
			if outstanding > 0 {
				open, since = true, e.time
			}
		case outstanding == 0:
			idle = e.time
		}
	}
	switch {
	case open && outstanding > 0:
		closeAt(max(end, since), true)
	case open:
		closeAt(idle, false)
	}
	return out
}

func livePlural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func liveSecs(d histories.Time) float64 { return float64(d) / 1e9 }

// liveSeconds prints a duration of virtual time as seconds with millisecond precision.
func liveSeconds(d histories.Time) string { return FormatTime(d) }
