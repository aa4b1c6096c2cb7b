package testbed

import (
	"bytes"
	"context"
	"errors"
	"runtime/debug"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"zoosim/sim/cluster"
)

// A sweep's outcomes are a function of the scenario and the seeds: one worker and two give the
// same outcomes (trace hashes included), in the order the seeds were given, and every run is
// handed to OnResult exactly once.
func TestSweepOutcomesDoNotDependOnWorkers(t *testing.T) {
	sc := smallScenario()
	seeds := []uint64{4, 2, 7, 1}
	var byWorkers [][]Outcome
	for _, workers := range []int{1, 2} {
		var told []uint64
		outs, err := Sweep(context.Background(), sc, seeds, SweepOptions{Workers: workers,
			OnResult: func(r *Result, o *Outcome) error {
				if r.Seed != o.Seed || r.History.Header.TraceHash != o.TraceHash {
					t.Errorf("OnResult: result of seed %d with the outcome of seed %d", r.Seed, o.Seed)
				}
				told = append(told, r.Seed)
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		if got := seedsOf(outs); !slices.Equal(got, seeds) {
			t.Fatalf("%d workers: outcomes for seeds %v, want %v", workers, got, seeds)
		}
		if slices.Sort(told); !slices.Equal(told, []uint64{1, 2, 4, 7}) {
			t.Errorf("%d workers: OnResult saw seeds %v, want each once", workers, told)
		}
		byWorkers = append(byWorkers, outs)
	}
	if diff := cmp.Diff(byWorkers[0], byWorkers[1]); diff != "" {
		t.Fatalf("1 worker and 2 workers differ (-1 +2):\n%s", diff)
	}
	for _, o := range byWorkers[0] {
		if o.TraceHash == 0 || o.Ops == 0 {
			t.Errorf("seed %d: empty outcome %+v", o.Seed, o)
		}
	}
}

// A cancelled sweep starts no new run, returns the finished ones in seed order and says it was
// cancelled.
func TestSweepStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seeds := []uint64{1, 2, 3, 4, 5, 6}
	calls := 0
	outs, err := Sweep(ctx, smallScenario(), seeds, SweepOptions{Workers: 1, OnResult: func(*Result, *Outcome) error {
		calls++
		cancel()
		return nil
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	// The one worker may have taken the next seed before the cancel: at most two runs finish.
	if len(outs) == 0 || len(outs) > 2 || len(outs) != calls {
		t.Fatalf("%d outcomes, %d OnResult calls; want 1 or 2 of each", len(outs), calls)
	}
	if got := seedsOf(outs); !slices.Equal(got, seeds[:len(got)]) {
		t.Fatalf("outcomes for seeds %v, want a prefix of %v", got, seeds)
	}

	cancel()
	outs, err = Sweep(ctx, smallScenario(), seeds, SweepOptions{Workers: 2})
	if !errors.Is(err, context.Canceled) || len(outs) != 0 {
		t.Fatalf("already cancelled: %d outcomes, error %v; want none and context.Canceled", len(outs), err)
	}
}

// An error from OnResult (a failing run that could not be saved) stops the sweep and is returned.
func TestSweepStopsOnOnResultError(t *testing.T) {
	boom := errors.New("disk full")
	outs, err := Sweep(context.Background(), smallScenario(), []uint64{1, 2, 3, 4, 5}, SweepOptions{Workers: 1,
		OnResult: func(*Result, *Outcome) error { return boom }})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
	if len(outs) == 0 || len(outs) > 2 {
		t.Fatalf("%d outcomes after the first OnResult failed, want 1 or 2", len(outs))
	}
}

// Options a sweep cannot honour are refused before anything runs.
func TestSweepRefusesBadOptions(t *testing.T) {
	bad := smallScenario()
	bad.Servers = 0
	for name, c := range map[string]struct {
		sc   cluster.Scenario
		opts SweepOptions
	}{
		"negative workers": {smallScenario(), SweepOptions{Workers: -1}},
		"trace":            {smallScenario(), SweepOptions{Run: Options{Trace: &bytes.Buffer{}}}},
		"progress":         {smallScenario(), SweepOptions{Run: Options{Progress: func(_, _ time.Duration) {}}}},
		"unknown checker":  {smallScenario(), SweepOptions{Run: Options{Check: CheckOptions{Only: []string{"nope"}}}}},
		"bad scenario":     {bad, SweepOptions{}},
	} {
		ran := false
		c.opts.OnResult = func(*Result, *Outcome) error { ran = true; return nil }
		if _, err := Sweep(context.Background(), c.sc, []uint64{1}, c.opts); err == nil || ran {
			t.Errorf("%s: error %v, ran %v; want an error and no run", name, err, ran)
		}
	}
}

func TestSummarize(t *testing.T) {
	outs := []Outcome{
		{Seed: 1, Status: "pass", Converged: true, Recovery: 3},
		{Seed: 2, Status: "FAIL", Failing: []string{CheckerLinearizable, CheckerZab}, Converged: true, Recovery: 1},
		{Seed: 3, Status: "inconclusive", Failing: []string{CheckerLinearizable}},
		{Seed: 4, Status: "pass", Converged: true, Recovery: 2},
		{Seed: 5, Status: "FAIL", Failing: []string{"retired-checker"}, Converged: true, Recovery: 4},
	}
	s := Summarize(outs)
	if s.Runs != 5 || s.Passed != 2 || s.Failed != 2 || s.Inconclusive != 1 || s.Unconverged != 1 {
		t.Errorf("counts %+v", s)
	}
	if got := seedsOf(s.Failing); !slices.Equal(got, []uint64{2, 3, 5}) {
		t.Errorf("failing seeds %v, want [2 3 5]", got)
	}
	want := map[string]int{CheckerLinearizable: 2, CheckerZab: 1, "retired-checker": 1}
	var names []string
	for _, c := range s.Checkers {
		names = append(names, c.Checker)
		if c.Runs != want[c.Checker] {
			t.Errorf("%s: %d runs, want %d", c.Checker, c.Runs, want[c.Checker])
		}
	}
	var order []string
	for _, c := range Checkers() {
		order = append(order, c.Name)
	}
	if !slices.Equal(names, append(order, "retired-checker")) {
		t.Errorf("checkers in order %v, want Checkers() then the others", names)
	}
	if s.Recovery != (Quantiles{N: 4, P50: 2, P99: 4, Max: 4}) {
		t.Errorf("recovery %+v, want n=4 p50=2 p99=4 max=4", s.Recovery)
	}
	if got := quantiles(nil); got != (Quantiles{}) {
		t.Errorf("quantiles of nothing: %+v", got)
	}
}

func seedsOf(outs []Outcome) []uint64 {
	seeds := make([]uint64, len(outs))
	for i, o := range outs {
		seeds[i] = o.Seed
	}
	return seeds
}

// BenchmarkSweep measures issue 6's target, "a sweep of 1000 seeds of a 10-simulated-second
// default scenario: under 60 seconds on 2 cores": b.N seeds of cluster.SweepScenario (5
// servers, 20 clients, a 10 s safety phase) on 2 workers, every checker included. It reports
// seeds per second and the projected wall time of 1000 seeds:
//
//	go test ./testbed -run '^$' -bench Sweep -benchtime 100x -cpu 2
func BenchmarkSweep(b *testing.B) {
	sc := cluster.SweepScenario()
	seeds := make([]uint64, b.N)
	for i := range seeds {
		seeds[i] = uint64(i + 1)
	}
	failed := 0
	Commit()                                                     // once per process (it may ask git): not part of any sweep's cost per seed
	defer debug.SetGCPercent(debug.SetGCPercent(SweepGCPercent)) // as zoosim sweep runs
	b.ResetTimer()
	outs, err := Sweep(context.Background(), sc, seeds, SweepOptions{Workers: 2})
	if err != nil {
		b.Fatal(err)
	}
	for _, o := range outs {
		if !o.OK() {
			failed++
		}
	}
	wall := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/wall, "seeds/s")
	b.ReportMetric(1000*wall/float64(b.N), "s/1000seeds")
	b.ReportMetric(float64(failed), "failed")
	b.ReportMetric(0, "ns/op")
}
