package testbed

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"zoosim/histories"
	"zoosim/models"
	"zoosim/sim/cluster"
)

// ErrNothingToShrink is returned by Shrink for a run that does not fail: a passing run, one
// whose verdicts are only inconclusive, or one whose failure does not come back when it is run
// again with its fault schedule written out.
var ErrNothingToShrink = errors.New("testbed: nothing to shrink")

// DefaultShrinkRuns bounds a shrink's candidate runs when ShrinkOptions.MaxRuns is 0.
const DefaultShrinkRuns = 300

// ShrinkOptions tune Shrink.
type ShrinkOptions struct {
	// Checkers are the checkers that must keep failing: a candidate counts as failing the same
	// way when at least one of them fails. None means the checkers whose verdict in the run
	// being shrunk is a failure. Only these checkers run on candidates.
	Checkers []string
	// MaxRuns bounds the candidate runs (0 means DefaultShrinkRuns). A shrink that reaches it
	// returns the smallest failing scenario found so far, with ShrinkStats.Exhausted set.
	MaxRuns int
	// Commit is the revision for the candidates' headers ("" means Commit()).
	Commit string
	// LinearizableTimeout bounds porcupine's search per run (CheckOptions.LinearizableTimeout).
	LinearizableTimeout time.Duration
	// OnStep, if not nil, is called after every candidate run, for progress.
	OnStep func(ShrinkStep)
}

// The stages of a shrink, as ShrinkStep.Stage names them.
const (
	ShrinkStageBaseline = "baseline"
	ShrinkStageFaults   = "faults"
	ShrinkStageTiming   = "timing"
	ShrinkStageSafety   = "safety"
	ShrinkStageWorkload = "workload"
	ShrinkStageServers  = "servers"
)

// ShrinkStep is one candidate run of a shrink.
type ShrinkStep struct {
	// Run counts the candidate runs so far, this one included; MaxRuns is the bound.
	Run, MaxRuns int
	// Stage is what the shrink was reducing (ShrinkStage...), Change what this candidate tried.
	Stage, Change string
	// Failed reports whether the candidate still failed: then it became the current scenario.
	Failed bool
	// The current scenario's size, after this step.
	Faults, Servers, Clients int
	Safety                   time.Duration
}

// String is the step as one progress line.
func (s ShrinkStep) String() string {
	outcome := "passes, rejected"
	if s.Failed {
		outcome = "still fails, accepted"
	}
	return fmt.Sprintf("run %d/%d %s: %s: %s (now %d faults, %v safety, %d servers, %d clients)",
		s.Run, s.MaxRuns, s.Stage, s.Change, outcome, s.Faults, s.Safety, s.Servers, s.Clients)
}

// ShrinkStats say what a shrink did.
type ShrinkStats struct {
	// Checkers are the checkers the shrink kept failing.
	Checkers []string
	// Runs is how many candidates ran (the baseline included); Accepted how many of them still
	// failed and became the current scenario.
	Runs, Accepted int
	// The scenario's size before and after: faults in the schedule, the safety phase, servers,
	// clients.
	FaultsBefore, FaultsAfter   int
	SafetyBefore, SafetyAfter   time.Duration
	ServersBefore, ServersAfter int
	ClientsBefore, ClientsAfter int
	// Minimal reports that the result is 1-minimal in its faults: without any one of its
	// schedule's entries the run passes (every such run was tried on the final scenario).
	Minimal bool
	// Exhausted reports that MaxRuns stopped the shrink before it was done.
	Exhausted bool
}

// String is the stats on one line.
func (s ShrinkStats) String() string {
	var notes []string
	if s.Minimal {
		notes = append(notes, "1-minimal in faults")
	}
	if s.Exhausted {
		notes = append(notes, "stopped at the run bound")
	}
	note := ""
	if len(notes) > 0 {
		note = " (" + strings.Join(notes, ", ") + ")"
	}
	return fmt.Sprintf("faults %d -> %d, safety %v -> %v, servers %d -> %d, clients %d -> %d; %d runs, %d accepted%s",
		s.FaultsBefore, s.FaultsAfter, s.SafetyBefore, s.SafetyAfter, s.ServersBefore, s.ServersAfter,
		s.ClientsBefore, s.ClientsAfter, s.Runs, s.Accepted, note)
}

// Shrink finds a smaller scenario, with r's seed, that still fails the way r did: at least one
// of opts.Checkers (by default the checkers that failed in r) fails. It is delta debugging
// (Zeller and Hildebrandt's ddmin) over the fault schedule, then fewer clients and workload
// kinds, a smaller ensemble, shorter and earlier faults and a shorter safety phase, each
// accepted only when the run still fails. Rounds of these repeat until one changes nothing
// after its ddmin, so the result's schedule is 1-minimal (ShrinkStats.Minimal: without any one
// of its faults the run passes) unless the run bound stopped the shrink.
//
// It first writes the fault schedule out (cluster.Scenario.Schedule): the plan drawn from the
// seed becomes an explicit list that runs exactly as drawn, and since every random choice draws
// from its own stream (DESIGN.md "The determinism contract"), removing or moving a fault does
// not change the workload's draws. Fewer clients, another mix or another ensemble do change the
// run (the client layout, the servers' streams), so the failure may come from elsewhere in it;
// it still fails one of the same checkers, which is what the shrink keeps.
//
// Every candidate is a whole Run, judged by the shrink's checkers only, cheapest first and up to
// the first failure; the result's verdicts are those of every checker r was judged by, on the
// smallest run. A run that does not fail is ErrNothingToShrink. The same r and options give the
// same result (except where porcupine's wall-clock timeout cut a linearizability search short,
// which counts as not failing).
func Shrink(r *Result, opts ShrinkOptions) (*Result, ShrinkStats, error) {
	if r == nil || r.History == nil {
		return nil, ShrinkStats{}, fmt.Errorf("%w: no run", ErrNothingToShrink)
	}
	targets := opts.Checkers
	if len(targets) == 0 {
		for i := range r.Verdicts {
			if r.Verdicts[i].Status == models.Fail {
				targets = append(targets, r.Verdicts[i].Checker)
			}
		}
		if len(targets) == 0 {
			return nil, ShrinkStats{}, fmt.Errorf("%w: seed %d did not fail (%s)", ErrNothingToShrink, r.Seed, r.Status())
		}
	}
	check := CheckOptions{Only: targets, LinearizableTimeout: opts.LinearizableTimeout}
	if err := check.Validate(); err != nil {
		return nil, ShrinkStats{}, err
	}
	if opts.MaxRuns <= 0 {
		opts.MaxRuns = DefaultShrinkRuns
	}

	sc := r.Scenario.Drawn(r.Seed)
	sched := sc.Schedule(r.Seed)
	if sched == nil {
		sched = []cluster.FaultSpec{}
	}
	sc.Faults.Schedule = sched
	sc.Faults.Weights = nil // a schedule replaces the plan: the weights only mislead a reader
	s := &shrinker{
		seed:    r.Seed,
		opts:    opts,
		targets: targets,
		cur:     sc,
		tried:   map[string]*Result{},
		stats: ShrinkStats{
			Checkers:     slices.Clone(targets),
			FaultsBefore: len(sched), SafetyBefore: time.Duration(sc.Safety),
			ServersBefore: sc.Servers, ClientsBefore: sc.Clients,
		},
	}
	if !s.try(ShrinkStageBaseline, "the run with its schedule written out", sc) {
		if s.err != nil {
			return nil, s.stats, s.err
		}
		return nil, s.stats, fmt.Errorf("%w: seed %d with its schedule written out passes checkers %s",
			ErrNothingToShrink, r.Seed, strings.Join(targets, ", "))
	}

	// Rounds until one changes nothing after its ddmin: every step has then been tried on the
	// result, and ddmin's last tries were every single removal from it.
	for !s.exhausted() {
		s.faults()
		if s.exhausted() {
			break
		}
		afterFaults := s.stats.Accepted
		// The smaller workload and ensemble first: they make every later run cheaper.
		s.workload()
		s.servers()
		s.timing()
		s.safety()
		if !s.exhausted() && s.stats.Accepted == afterFaults {
			s.stats.Minimal = true
			break
		}
	}
	if s.err != nil {
		return nil, s.stats, s.err
	}

	s.stats.Exhausted = s.exhausted()
	s.stats.FaultsAfter = len(s.cur.Faults.Schedule)
	s.stats.SafetyAfter = time.Duration(s.cur.Safety)
	s.stats.ServersAfter, s.stats.ClientsAfter = s.cur.Servers, s.cur.Clients

	// The smallest run's verdicts, by the checkers r was judged by (the shrink ran only its
	// own): judging the history again runs nothing.
	out := *s.curResult
	var names []string
	for i := range r.Verdicts {
		names = append(names, r.Verdicts[i].Checker)
	}
	for _, t := range targets {
		if !slices.Contains(names, t) {
			names = append(names, t)
		}
	}
	vs, err := Check(out.History, CheckOptions{Only: names, LinearizableTimeout: opts.LinearizableTimeout})
	if err != nil {
		return nil, s.stats, err
	}
	out.Verdicts = vs
	return &out, s.stats, nil
}

// shrinker is one shrink in progress: the current (smallest failing) scenario and its run.
type shrinker struct {
	seed      uint64
	opts      ShrinkOptions
	targets   []string
	cur       cluster.Scenario
	curResult *Result
	// tried maps a candidate's JSON to its run if it failed, nil if it passed or was invalid.
	tried map[string]*Result
	stats ShrinkStats
	// err is a run that could not execute although its scenario validated.
	err error
}

func (s *shrinker) exhausted() bool { return s.stats.Runs >= s.opts.MaxRuns || s.err != nil }

// try runs candidate sc and reports whether it still fails; if it does, it becomes the current
// scenario. An invalid candidate (cluster.Scenario.Validate) is not run and does not fail; nor
// does any candidate once the run bound is reached.
func (s *shrinker) try(stage, change string, sc cluster.Scenario) bool {
	if sc.Validate() != nil {
		return false
	}
	key := string(sc.JSON())
	r, seen := s.tried[key]
	if !seen {
		if s.exhausted() {
			return false
		}
		res, failed, err := s.judge(sc)
		s.stats.Runs++
		if err != nil {
			s.err = fmt.Errorf("testbed: shrink: %s: %w", change, err)
			return false
		}
		if failed {
			r = res
		}
		s.tried[key] = r
	}
	if r != nil {
		s.cur, s.curResult = sc, r
		s.stats.Accepted++
	}
	if !seen && s.opts.OnStep != nil {
		s.opts.OnStep(ShrinkStep{Run: s.stats.Runs, MaxRuns: s.opts.MaxRuns, Stage: stage, Change: change, Failed: r != nil,
			Faults: len(s.cur.Faults.Schedule), Servers: s.cur.Servers, Clients: s.cur.Clients, Safety: time.Duration(s.cur.Safety)})
	}
	return r != nil
}

// judge runs candidate sc and judges it with the shrink's checkers one at a time, cheapest first
// (the order of Checkers), up to the first that fails: one failure is enough, and the
// linearizable checker, the slow one, then mostly does not run. An inconclusive verdict is no
// failure: it shows nothing.
func (s *shrinker) judge(sc cluster.Scenario) (*Result, bool, error) {
	var r *Result
	for _, c := range checkers {
		if !slices.Contains(s.targets, c.Name) {
			continue
		}
		only := CheckOptions{Only: []string{c.Name}, LinearizableTimeout: s.opts.LinearizableTimeout}
		if r == nil {
			var err error
			if r, err = Run(sc, s.seed, Options{Commit: s.opts.Commit, Check: only}); err != nil {
				return nil, false, err
			}
		} else {
			vs, err := Check(r.History, only)
			if err != nil {
				return nil, false, err
			}
			r.Verdicts = append(r.Verdicts, vs...)
		}
		if r.Verdicts[len(r.Verdicts)-1].Status == models.Fail {
			return r, true, nil
		}
	}
	return r, false, nil
}

// withSchedule is the current scenario with another fault schedule (never nil: a nil schedule
// would draw the plan again).
func (s *shrinker) withSchedule(sched []cluster.FaultSpec) cluster.Scenario {
	sc := s.cur
	if sched == nil {
		sched = []cluster.FaultSpec{}
	}
	sc.Faults.Schedule = sched
	return sc
}

// faults is ddmin over the schedule's entries (Zeller and Hildebrandt, "Simplifying and
// Isolating Failure-Inducing Input", 2002): split the schedule into n chunks; keep a chunk that
// fails alone, else a complement that fails, else split finer; it ends when n reaches the
// schedule's length and no single removal fails, so the schedule is 1-minimal. The empty
// schedule is tried first: a failure that needs no fault has none.
func (s *shrinker) faults() {
	if len(s.cur.Faults.Schedule) == 0 || s.try(ShrinkStageFaults, "no faults at all", s.withSchedule(nil)) {
		return
	}
	n := 2
	for len(s.cur.Faults.Schedule) >= 2 && !s.exhausted() {
		sched := s.cur.Faults.Schedule
		chunks := split(len(sched), n)
		reduced := false
		for _, c := range chunks {
			if s.try(ShrinkStageFaults, fmt.Sprintf("keep %s of %d", faultRange(c), len(sched)),
				s.withSchedule(slices.Clone(sched[c[0]:c[1]]))) {
				n, reduced = 2, true
				break
			}
		}
		if !reduced && n > 2 {
			for _, c := range chunks {
				rest := slices.Concat(sched[:c[0]], sched[c[1]:])
				if s.try(ShrinkStageFaults, fmt.Sprintf("remove %s of %d", faultRange(c), len(sched)), s.withSchedule(rest)) {
					n, reduced = max(n-1, 2), true
					break
				}
			}
		}
		if !reduced {
			if n >= len(sched) {
				return
			}
			n = min(2*n, len(sched))
		}
	}
}

// split cuts [0, length) into n contiguous chunks of near-equal size, as [start, end) pairs.
func split(length, n int) [][2]int {
	var out [][2]int
	start := 0
	for i := range n {
		end := start + (length-start)/(n-i)
		out = append(out, [2]int{start, end})
		start = end
	}
	return out
}

// faultRange names a chunk of the schedule, 1-based: "fault 3" or "faults 3 to 5".
func faultRange(c [2]int) string {
	if c[1]-c[0] == 1 {
		return fmt.Sprintf("fault %d", c[1])
	}
	return fmt.Sprintf("faults %d to %d", c[0]+1, c[1])
}

// Resolutions of the timing steps: a fault's start and length are not searched closer than
// this (or a sixteenth of the value), the safety phase not closer than safetyResolution.
const (
	timingResolution = 50 * time.Millisecond
	safetyResolution = 250 * time.Millisecond
	// minFaultLength is the shortest a lasting fault is made.
	minFaultLength = 10 * time.Millisecond
	// safetyMargin is how long the safety phase is kept past the last fault's end: the
	// workload needs a moment after a fault to show what it did.
	safetyMargin = time.Second
	// minSafety is the shortest safety phase a shrink tries.
	minSafety = time.Second
)

// timing rounds the faults' times to the millisecond (a schedule a person can read and edit),
// moves the whole schedule earlier (the faults keep their spacing, which a failure often
// needs), then shortens each remaining fault (its For) and moves it earlier (its At), one at a
// time.
func (s *shrinker) timing() {
	rounded := slices.Clone(s.cur.Faults.Schedule)
	for i := range rounded {
		rounded[i].At -= rounded[i].At % cluster.Duration(time.Millisecond)
		if f := rounded[i].For % cluster.Duration(time.Millisecond); f != 0 && rounded[i].For > f {
			rounded[i].For -= f
		}
	}
	if !slices.EqualFunc(rounded, s.cur.Faults.Schedule, func(a, b cluster.FaultSpec) bool { return a.At == b.At && a.For == b.For }) {
		s.try(ShrinkStageTiming, "every fault's times to the millisecond", s.withSchedule(rounded))
	}
	if len(s.cur.Faults.Schedule) > 0 {
		first := slices.MinFunc(s.cur.Faults.Schedule, func(a, b cluster.FaultSpec) int { return int(a.At - b.At) }).At
		reduce(time.Duration(first), 0, timingResolution, time.Millisecond, func(d time.Duration) bool {
			shift := first - cluster.Duration(d)
			sched := slices.Clone(s.cur.Faults.Schedule)
			for i := range sched {
				sched[i].At -= shift
			}
			return s.try(ShrinkStageTiming, fmt.Sprintf("every fault earlier, the first at %v", d), s.withSchedule(sched))
		})
	}
	for i := 0; i < len(s.cur.Faults.Schedule) && !s.exhausted(); i++ {
		f := s.cur.Faults.Schedule[i]
		if f.For > 0 {
			reduce(time.Duration(f.For), minFaultLength, timingResolution, time.Millisecond, func(d time.Duration) bool {
				sched := slices.Clone(s.cur.Faults.Schedule)
				sched[i].For = cluster.Duration(d)
				return s.try(ShrinkStageTiming, fmt.Sprintf("fault %d (%s) lasts %v", i+1, f.Kind, d), s.withSchedule(sched))
			})
		}
		reduce(time.Duration(s.cur.Faults.Schedule[i].At), 0, timingResolution, time.Millisecond, func(d time.Duration) bool {
			sched := slices.Clone(s.cur.Faults.Schedule)
			sched[i].At = cluster.Duration(d)
			return s.try(ShrinkStageTiming, fmt.Sprintf("fault %d (%s) starts at %v", i+1, f.Kind, d), s.withSchedule(sched))
		})
	}
}

// safety shortens the safety phase toward the last fault's end plus safetyMargin.
func (s *shrinker) safety() {
	floor := minSafety
	for _, f := range s.cur.Faults.Schedule {
		floor = max(floor, faultEnd(f)+safetyMargin)
	}
	floor = floor.Round(time.Millisecond) + time.Millisecond
	reduce(time.Duration(s.cur.Safety), floor, safetyResolution, time.Millisecond, func(d time.Duration) bool {
		sc := s.cur
		sc.Safety = cluster.Duration(d)
		return s.try(ShrinkStageSafety, fmt.Sprintf("safety phase of %v", d), sc)
	})
}

// faultEnd is when a fault may last until, from the safety phase's start: a triggered fault
// (crash-proposing, crash-after-write, a corrupt-tail disk fault) is armed for For and keeps its
// server down For after it fires (cluster.FaultSpec's doc).
func faultEnd(f cluster.FaultSpec) time.Duration {
	switch {
	case f.Kind == histories.FaultCrashProposing, f.Kind == histories.FaultCrashAfterWrite,
		f.Kind == histories.FaultDisk && f.Mode != cluster.DiskLostFsync:
		return time.Duration(f.At) + 2*time.Duration(f.For)
	}
	return time.Duration(f.At + f.For)
}

// workload lowers the number of clients, then drops workload kinds from the mix and lowers
// their weights to 1. Each changes which client runs what, so the run changes.
func (s *shrinker) workload() {
	kinds := func() []cluster.WorkloadKind {
		var ks []cluster.WorkloadKind
		for _, k := range cluster.WorkloadKinds() {
			if s.cur.Workload.Mix[k] > 0 {
				ks = append(ks, k)
			}
		}
		return ks
	}
	withMix := func(k cluster.WorkloadKind, w int) cluster.Scenario {
		sc := s.cur
		sc.Workload.Mix = cluster.Mix{}
		for kk, ww := range s.cur.Workload.Mix {
			if ww > 0 && kk != k {
				sc.Workload.Mix[kk] = ww
			}
		}
		if w > 0 {
			sc.Workload.Mix[k] = w
		}
		return sc
	}
	reduce(s.cur.Clients, 1, 1, 1, func(n int) bool {
		sc, ok := withClients(s.cur, n)
		return ok && s.try(ShrinkStageWorkload, fmt.Sprintf("%d client(s)", n), sc)
	})
	for _, k := range kinds() {
		if len(kinds()) > 1 && !s.exhausted() {
			s.try(ShrinkStageWorkload, fmt.Sprintf("no %s clients", k), withMix(k, 0))
		}
	}
	for _, k := range kinds() {
		if w := s.cur.Workload.Mix[k]; w > 1 && !s.exhausted() {
			s.try(ShrinkStageWorkload, fmt.Sprintf("%s weight 1 (was %d)", k, w), withMix(k, 1))
		}
	}
}

// withClients is sc with n clients; client-reset faults keep only the slots that still exist,
// and a reset left with none makes the candidate invalid.
func withClients(sc cluster.Scenario, n int) (cluster.Scenario, bool) {
	sc.Clients = n
	sched := slices.Clone(sc.Faults.Schedule)
	for i := range sched {
		if sched[i].Kind != histories.FaultClientReset {
			continue
		}
		var kept []int
		for _, c := range sched[i].Clients {
			if c < n {
				kept = append(kept, c)
			}
		}
		if len(kept) == 0 {
			return sc, false
		}
		sched[i].Clients = kept
	}
	sc.Faults.Schedule = sched
	return sc, true
}

// servers tries the smaller odd ensembles, smallest first (an even ensemble tolerates no more
// failures than the odd one below it, zookeeper.md B1's majorities). Faults keep the servers
// that still exist: groups lose the others; a fault that names a server that no longer exists
// (server:I), or whose groups no longer make sense, makes the candidate invalid.
func (s *shrinker) servers() {
	for _, n := range []int{3, 5} {
		if n >= s.cur.Servers || s.exhausted() {
			return
		}
		sc, ok := withServers(s.cur, n)
		if ok && s.try(ShrinkStageServers, fmt.Sprintf("%d servers", n), sc) {
			return
		}
	}
}

// withServers is sc with n servers, its faults' groups cut to the servers that remain.
func withServers(sc cluster.Scenario, n int) (cluster.Scenario, bool) {
	sc.Servers = n
	sc.KnownServers = min(sc.KnownServers, n)
	sc.Faults.MaxDown = min(sc.Faults.MaxDown, n)
	keep := func(ids []int) []int {
		var out []int
		for _, i := range ids {
			if i < n {
				out = append(out, i)
			}
		}
		return out
	}
	sched := slices.Clone(sc.Faults.Schedule)
	for i := range sched {
		f := &sched[i]
		var groups [][]int
		for _, g := range f.Groups {
			if g = keep(g); len(g) > 0 {
				groups = append(groups, g)
			}
		}
		if len(groups) != len(f.Groups) && f.Kind != histories.FaultPartition {
			return sc, false // a bridge, one-way, ring or swizzle with a side gone is another fault
		}
		f.Groups, f.Unclog = groups, keep(f.Unclog)
	}
	sc.Faults.Schedule = sched
	return sc, sc.Validate() == nil
}

// reduce lowers v, a value that fails, toward floor: floor itself first, then a bisection
// between the highest value that passed and the lowest that failed, until they are within res
// (or a sixteenth of v). Bisection points are multiples of grain, for readable schedules. try
// runs a candidate and reports whether it failed (then it became the current scenario).
func reduce[T ~int | ~int64](v, floor, res, grain T, try func(T) bool) {
	if v <= floor {
		return
	}
	if try(floor) {
		return
	}
	res = max(res, v/16)
	lo, hi := floor, v
	for hi-lo > res {
		mid := lo + (hi-lo)/2
		mid -= mid % grain
		if mid <= lo || mid >= hi {
			return
		}
		if try(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
}
