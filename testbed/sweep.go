package testbed

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"sync"

	"zoosim/models"
	"zoosim/sim/cluster"
)

// SweepOptions are a sweep's options besides the scenario and the seeds.
type SweepOptions struct {
	// Workers is how many runs go at once, each on its own goroutine; 0 means
	// runtime.GOMAXPROCS(0): every core Go may use, which (unlike runtime.NumCPU) follows a
	// container's CPU limit and the GOMAXPROCS variable.
	// A run is single-threaded and shares nothing with the others (DESIGN.md "Determinism"),
	// so the outcomes do not depend on it: only the wall time does.
	Workers int
	// Run are every run's options. Trace and Progress must be nil: they would receive several
	// concurrent runs at once.
	Run Options
	// OnResult, if not nil, is told of every finished run with its outcome, as runs finish (not
	// in seed order), one call at a time and always from the goroutine that called Sweep, so it
	// needs no locks. It may keep the result (save a failing run) and fill in o.Folder; Sweep
	// itself keeps only the outcome. An error stops the sweep and Sweep returns it.
	OnResult func(r *Result, o *Outcome) error
}

// Sweep runs the scenario once per seed (Run) on a pool of opts.Workers goroutines and returns
// the outcomes in the order of seeds. Only outcomes are kept, so a sweep of a million seeds
// holds a million Outcomes and at most Workers histories at a time.
//
// When ctx is cancelled (a Ctrl-C), no new run starts; the runs under way finish (a run cannot
// be stopped half way: it is one deterministic computation) and Sweep returns the outcomes of
// every finished run, still in seed order with the unfinished seeds left out, and ctx's
// error (none if every seed had run by then). A run that cannot start (a scenario or options Run refuses) stops the sweep the same
// way, with that error.
func Sweep(ctx context.Context, sc cluster.Scenario, seeds []uint64, opts SweepOptions) ([]Outcome, error) {
	if opts.Workers < 0 {
		return nil, fmt.Errorf("testbed: sweep: %d workers (want at least 1, or 0 for one per CPU)", opts.Workers)
	}
	if opts.Run.Trace != nil || opts.Run.Progress != nil {
		return nil, errors.New("testbed: sweep: Options.Trace and Options.Progress follow one run; a sweep's runs are concurrent")
	}
	if err := opts.Run.Check.Validate(); err != nil {
		return nil, err
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	workers := opts.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(seeds))

	sweepCtx, stop := context.WithCancel(ctx)
	defer stop()

	// The feeder hands out seed indices until the seeds run out or the sweep stops.
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range seeds {
			select {
			case next <- i:
			case <-sweepCtx.Done():
				return
			}
		}
	}()

	type finished struct {
		index  int
		result *Result
		err    error
	}
	results := make(chan finished)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				if sweepCtx.Err() != nil {
					continue // stopped: drain the feeder without starting runs
				}
				r, err := Run(sc, seeds[i], opts.Run)
				results <- finished{i, r, err}
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	// Collect on this goroutine, so OnResult is serialized; drain until every worker is done
	// even after an error, so none is left blocked on a send.
	outcomes := make([]Outcome, len(seeds))
	done := make([]bool, len(seeds))
	var firstErr error
	for f := range results {
		if f.err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("seed %d: %w", seeds[f.index], f.err)
				stop()
			}
			continue
		}
		o := f.result.Outcome()
		if opts.OnResult != nil && firstErr == nil {
			if err := opts.OnResult(f.result, &o); err != nil {
				firstErr = err
				stop()
			}
		}
		outcomes[f.index], done[f.index] = o, true
	}

	kept := outcomes[:0]
	for i := range outcomes {
		if done[i] {
			kept = append(kept, outcomes[i])
		}
	}
	switch {
	case firstErr != nil:
		return kept, firstErr
	case len(kept) == len(seeds):
		return kept, nil // every seed ran, whatever happened to ctx since
	}
	return kept, ctx.Err()
}

// SweepSummary is what a sweep's outcomes add up to: the summary table of `zoosim sweep` and
// `zoosim merge`.
type SweepSummary struct {
	// Runs is how many outcomes there are; Passed, Failed and Inconclusive split them by status.
	Runs         int `json:"runs"`
	Passed       int `json:"passed"`
	Failed       int `json:"failed"`
	Inconclusive int `json:"inconclusive"`
	// Checkers counts, for every checker (in Checkers order, then any other name the outcomes
	// carry, sorted), the runs it did not pass.
	Checkers []CheckerFailures `json:"checkers"`
	// Failing are the outcomes that did not pass, in the order given.
	Failing []Outcome `json:"failing,omitempty"`
	// Recovery is the distribution of recovery times (Outcome.Recovery) of the runs whose
	// liveness phase converged; Unconverged counts the others.
	Recovery    Quantiles `json:"recovery_s"`
	Unconverged int       `json:"unconverged"`
}

// CheckerFailures is how many runs one checker did not pass.
type CheckerFailures struct {
	Checker string `json:"checker"`
	Runs    int    `json:"runs"`
}

// Quantiles summarizes a sample: its size, median, 99th percentile and maximum (nearest rank).
type Quantiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Summarize adds outcomes up.
func Summarize(outcomes []Outcome) SweepSummary {
	s := SweepSummary{Runs: len(outcomes)}
	perChecker := map[string]int{}
	var recovery []float64
	for _, o := range outcomes {
		switch o.Status {
		case models.Pass.String():
			s.Passed++
		case models.Fail.String():
			s.Failed++
		default:
			s.Inconclusive++
		}
		if !o.OK() {
			s.Failing = append(s.Failing, o)
		}
		for _, c := range o.Failing {
			perChecker[c]++
		}
		if o.Converged {
			recovery = append(recovery, o.Recovery)
		} else {
			s.Unconverged++
		}
	}
	for _, c := range Checkers() {
		s.Checkers = append(s.Checkers, CheckerFailures{c.Name, perChecker[c.Name]})
		delete(perChecker, c.Name)
	}
	for _, name := range slices.Sorted(maps.Keys(perChecker)) {
		s.Checkers = append(s.Checkers, CheckerFailures{name, perChecker[name]})
	}
	s.Recovery = quantiles(recovery)
	return s
}

// quantiles returns the sample's quantiles by nearest rank: the q-quantile is the smallest value
// with at least q of the sample at or below it.
func quantiles(xs []float64) Quantiles {
	if len(xs) == 0 {
		return Quantiles{}
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	rank := func(q float64) float64 {
		return xs[max(0, int(math.Ceil(q*float64(len(xs))))-1)]
	}
	return Quantiles{N: len(xs), P50: rank(0.5), P99: rank(0.99), Max: xs[len(xs)-1]}
}

// SweepGCPercent is the garbage collector's target (debug.SetGCPercent) for a process that
// does nothing but sweep, as `zoosim sweep` and `zoosim compare` set it (unless GOGC is set):
// runs allocate fast and keep little, so with Go's default of 100 two workers spend much of
// their time collecting. Measured on 2 cores with `zoosim sweep --seeds 300`, runs alternated
// on the same machine: 400 took 20.9, 20.1 and 19.9 s where 800 took 19.4, 19.2 and 19.1 s
// (peak RSS 250 MB against 410 MB); 1600 was no faster (19.0 and 20.2 s) with more system time
// and 800 MB; off is slower, from page faults. (Earlier, with more garbage per run: 98 s per
// 1000 seeds at 100, 71 s at 400.) It trades memory for time: each worker's heap may grow to
// about 9x its live data (a sweep run's is tens of MB).
const SweepGCPercent = 800
