package testbed

import (
	"errors"
	"slices"
	"testing"
	"time"

	"zoosim/histories"
	"zoosim/models"
	"zoosim/sim/cluster"
	"zoosim/zab"
)

// shrinkCase is a small failing run of a variant whose failure needs faults: its catch's
// scenario cut to 4 clients and a 3 s safety phase (tens of milliseconds a run), and a seed at
// which that fails.
type shrinkCase struct {
	variant zab.Variant
	seed    uint64
}

var shrinkCases = []shrinkCase{
	{zab.SkipTruncateOnSync, 1},
	{zab.AckBeforeFsync, 30},
}

// shrinkMaxRuns bounds each test shrink; the cases above need 50 to 80 runs.
const shrinkMaxRuns = 150

func (c shrinkCase) run(t *testing.T) *Result {
	t.Helper()
	i := slices.IndexFunc(VariantCatches(), func(vc VariantCatch) bool { return vc.Variant == c.variant })
	catch := VariantCatches()[i]
	sc := catch.Flawed()
	sc.Clients, sc.Safety = 4, cluster.Duration(3*time.Second)
	r, err := Run(sc, c.seed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v := r.Verdict(catch.Checker); v.Status != models.Fail {
		t.Fatalf("%s at seed %d: checker %s gives %s; the test needs a failing run", c.variant, c.seed, catch.Checker, v.Status)
	}
	return r
}

// Shrinking a failing variant run gives a run with fewer faults that still fails one of the
// checkers that failed; the result is 1-minimal in faults (checked here by removing each
// remaining fault: the run then passes those checkers); it replays by itself; and shrinking the
// same run again gives the same result.
func TestShrinkVariant(t *testing.T) {
	for _, c := range shrinkCases {
		t.Run(string(c.variant), func(t *testing.T) {
			t.Parallel()
			r := c.run(t)
			var steps []ShrinkStep
			m, stats, err := Shrink(r, ShrinkOptions{MaxRuns: shrinkMaxRuns, OnStep: func(s ShrinkStep) { steps = append(steps, s) }})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s seed %d: %s", c.variant, c.seed, stats)
			sched := m.Scenario.Faults.Schedule
			switch {
			case stats.Exhausted || !stats.Minimal:
				t.Fatalf("the shrink did not finish within %d runs: %s", shrinkMaxRuns, stats)
			case stats.FaultsAfter >= stats.FaultsBefore || stats.FaultsAfter != len(sched):
				t.Fatalf("faults %d -> %d (schedule of %d): no smaller", stats.FaultsBefore, stats.FaultsAfter, len(sched))
			case len(sched) == 0:
				t.Fatalf("the failure needs no fault: the test needs a variant whose failure does")
			case stats.ServersAfter > stats.ServersBefore || stats.ClientsAfter > stats.ClientsBefore ||
				stats.SafetyAfter > stats.SafetyBefore:
				t.Fatalf("the scenario grew: %s", stats)
			case len(steps) != stats.Runs || steps[len(steps)-1].Run != stats.Runs:
				t.Fatalf("OnStep saw %d steps for %d runs", len(steps), stats.Runs)
			case !slices.Equal(stats.Checkers, failed(r)):
				t.Fatalf("shrunk for checkers %v, want the failing ones %v", stats.Checkers, failed(r))
			}
			if !slices.ContainsFunc(m.Verdicts, func(v models.Verdict) bool {
				return v.Status == models.Fail && slices.Contains(stats.Checkers, v.Checker)
			}) {
				t.Fatalf("the shrunk run does not fail checkers %v:\n%s", stats.Checkers, m.Table())
			}
			if len(m.Verdicts) != len(r.Verdicts) {
				t.Errorf("the shrunk run has %d verdicts, want those of every checker the run had (%d)", len(m.Verdicts), len(r.Verdicts))
			}

			// It replays: the history's header alone reproduces the run and its failure.
			again, err := Replay(m.History, Options{Check: CheckOptions{Only: stats.Checkers}})
			if err != nil {
				t.Fatalf("the shrunk run does not replay: %v", err)
			}
			if again.Status() != models.Fail {
				t.Fatalf("the replayed shrunk run gives %s", again.Status())
			}

			// 1-minimal: without any one of its faults, the run passes the shrink's checkers.
			for i := range sched {
				sc := m.Scenario
				sc.Faults.Schedule = slices.Delete(slices.Clone(sched), i, i+1)
				without, err := Run(sc, m.Seed, Options{Check: CheckOptions{Only: stats.Checkers}})
				if err != nil {
					t.Fatal(err)
				}
				if without.Status() == models.Fail {
					t.Errorf("without fault %d (%s at %v) the run still fails: not 1-minimal\n%s", i+1, sched[i].Kind, sched[i].At, without.Table())
				}
			}

			// Deterministic: the same run shrinks to the same scenario.
			m2, stats2, err := Shrink(r, ShrinkOptions{MaxRuns: shrinkMaxRuns})
			if err != nil {
				t.Fatal(err)
			}
			if string(m2.Scenario.JSON()) != string(m.Scenario.JSON()) || stats2.String() != stats.String() {
				t.Fatalf("a second shrink differs:\n%s\n%s\nfirst:\n%s\n%s", m2.Scenario.JSON(), stats2, m.Scenario.JSON(), stats)
			}
		})
	}
}

// failed names the checkers whose verdict is a failure (Result.Failing adds the inconclusive
// ones).
func failed(r *Result) []string {
	var names []string
	for _, v := range r.Verdicts {
		if v.Status == models.Fail {
			names = append(names, v.Checker)
		}
	}
	return names
}

// A shrink stopped by its run bound returns the smallest failing run found so far and says it
// was stopped (and does not claim minimality).
func TestShrinkRunBound(t *testing.T) {
	r := shrinkCases[0].run(t)
	m, stats, err := Shrink(r, ShrinkOptions{MaxRuns: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !stats.Exhausted || stats.Minimal || stats.Runs != 4 {
		t.Fatalf("a shrink bounded to 4 runs: %s", stats)
	}
	if m.Status() != models.Fail {
		t.Fatalf("the bounded shrink's run gives %s", m.Status())
	}
}

// A run that passes, or whose only non-pass is inconclusive, has nothing to shrink.
func TestShrinkNeedsAFailure(t *testing.T) {
	r, err := Run(smallScenario(), 1, Options{Check: CheckOptions{Only: []string{CheckerZab}}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("the small scenario fails at seed 1:\n%s", r.Table())
	}
	if _, _, err := Shrink(r, ShrinkOptions{}); !errors.Is(err, ErrNothingToShrink) {
		t.Fatalf("shrinking a passing run: %v, want ErrNothingToShrink", err)
	}
	inconclusive := *r
	inconclusive.Verdicts = []models.Verdict{{Checker: CheckerLinearizable, Status: models.Inconclusive}}
	if _, _, err := Shrink(&inconclusive, ShrinkOptions{}); !errors.Is(err, ErrNothingToShrink) {
		t.Fatalf("shrinking an inconclusive run: %v, want ErrNothingToShrink", err)
	}
	// Asked to keep a checker failing that passes, the baseline passes: nothing to shrink.
	if _, _, err := Shrink(r, ShrinkOptions{Checkers: []string{CheckerZab}}); !errors.Is(err, ErrNothingToShrink) {
		t.Fatalf("shrinking for a checker that passes: %v, want ErrNothingToShrink", err)
	}
	if _, _, err := Shrink(r, ShrinkOptions{Checkers: []string{"linearisable"}}); !errors.Is(err, ErrUnknownChecker) {
		t.Fatalf("shrinking for an unknown checker: %v, want ErrUnknownChecker", err)
	}
}

// Fewer servers keep the faults on the servers that remain; a fault that would change its
// meaning, or name a server that is gone, makes the candidate invalid. Fewer clients keep the
// client resets of the slots that remain.
func TestShrinkEnsembleAndClients(t *testing.T) {
	sc := cluster.SweepScenario()
	sc.Faults.Schedule = []cluster.FaultSpec{
		{Kind: histories.FaultPartition, At: 1, For: 1, Groups: [][]int{{0, 3}, {1, 2, 4}}},
		{Kind: histories.FaultSwizzle, At: 1, For: 1, Groups: [][]int{{4, 1, 0}}, Unclog: []int{0, 4, 1}},
		{Kind: histories.FaultClientReset, At: 1, Clients: []int{1, 7}},
	}
	got, ok := withServers(sc, 3)
	if !ok {
		t.Fatal("5 -> 3 servers refused")
	}
	if g := got.Faults.Schedule[0].Groups; len(g) != 2 || !slices.Equal(g[0], []int{0}) || !slices.Equal(g[1], []int{1, 2}) {
		t.Errorf("the partition became %v, want [[0] [1 2]]", g)
	}
	if f := got.Faults.Schedule[1]; !slices.Equal(f.Groups[0], []int{1, 0}) || !slices.Equal(f.Unclog, []int{0, 1}) {
		t.Errorf("the swizzle became %v unclog %v, want [[1 0]] unclog [0 1]", f.Groups, f.Unclog)
	}
	if !slices.Equal(sc.Faults.Schedule[0].Groups[0], []int{0, 3}) {
		t.Errorf("withServers changed the scenario it was given")
	}

	gone := sc
	gone.Faults.Schedule = []cluster.FaultSpec{{Kind: histories.FaultCrash, At: 1, For: 1, Target: cluster.ServerTarget(4)}}
	if _, ok := withServers(gone, 3); ok {
		t.Error("a crash of server 4 kept in a 3-server ensemble")
	}
	bridge := sc
	bridge.Faults.Schedule = []cluster.FaultSpec{{Kind: histories.FaultBridge, At: 1, For: 1, Groups: [][]int{{0, 1}, {4}, {2, 3}}}}
	if _, ok := withServers(bridge, 3); ok {
		t.Error("a bridge through server 4 kept in a 3-server ensemble")
	}

	fewer, ok := withClients(sc, 4)
	if !ok || !slices.Equal(fewer.Faults.Schedule[2].Clients, []int{1}) {
		t.Errorf("4 clients: ok %v, reset slots %v, want [1]", ok, fewer.Faults.Schedule[2].Clients)
	}
	if _, ok := withClients(sc, 1); ok {
		t.Error("a reset of slots 1 and 7 kept with 1 client")
	}
}

func TestReduce(t *testing.T) {
	// Values from 37 up fail: the floor first, then bisection until within 100/16.
	var tried []int
	reduce(100, 1, 1, 1, func(v int) bool { tried = append(tried, v); return v >= 37 })
	if want := []int{1, 50, 25, 37, 31}; !slices.Equal(tried, want) {
		t.Errorf("tried %v, want %v", tried, want)
	}
	tried = nil
	reduce(100, 1, 1, 1, func(v int) bool { tried = append(tried, v); return true })
	if !slices.Equal(tried, []int{1}) {
		t.Errorf("the floor fails: tried %v, want [1]", tried)
	}
	tried = nil
	reduce(1, 1, 1, 1, func(v int) bool { tried = append(tried, v); return true })
	if len(tried) != 0 {
		t.Errorf("at the floor already: tried %v", tried)
	}
}
