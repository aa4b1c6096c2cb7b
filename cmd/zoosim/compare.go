package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"zoosim/histories"
	"zoosim/reports"
	"zoosim/sim/cluster"
	"zoosim/testbed"
	"zoosim/tree"
	"zoosim/zab"
)

func init() {
	register(command{name: "compare", run: compareCommand,
		usage: "compare [--seeds N | --seed-from A --seed-to B] [--scenario FILE] [scenario flags] [--workers N] [--checkers C] [--out DIR] [--json] VARIANT_OR_SCENARIO_FILE..."})
}

// defaultCompareSeeds is how many seeds a compare runs without --seeds or a seed range.
const defaultCompareSeeds = 5

// maxCompareSeeds bounds a compare's seed range: every run of every label is kept in memory
// (lightened) for the plots.
const maxCompareSeeds = 100_000

// compareLabel is one thing a compare runs: a variant set on the base scenario, or a scenario
// file.
type compareLabel struct {
	name     string
	scenario cluster.Scenario
	// replayArgs are the `zoosim run` flags that run this label's scenario (without --seed).
	replayArgs []string
}

// compareCommand is `zoosim compare`: two or more protocol variants ("default" for the correct
// protocol, or a comma-separated set of variants) or scenario files, each run on the same seeds
// with every checker (testbed.Run), on all cores; a table per label (runs by status, each
// checker's failures, ops, latency, throughput) on stdout and the compare report
// (reports.WriteCompare: the labels' latency CDFs, throughput and latency quantiles overlaid,
// each label's first seed side by side) in --out.
//
// The scenario flags (--scenario, --servers, --duration, ...) set the base scenario the variants
// run on, and apply on top of each scenario file too. Runs go to a pool of --workers goroutines
// and are put back in seed order, so stdout is a function of the arguments and the commit (wall
// time goes to stderr).
//
// Exit codes: 0 when every run of every label passes, 1 when one does not (as a flawed variant
// usually does; the table says which), 2 for bad usage or input.
func compareCommand(args []string, stdout, stderr io.Writer) int {
	tuneGCForSweeps() // compare only runs seeds, as a sweep does
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "zoosim compare: "+format+"\n", a...)
		return exitUsage
	}
	fs := flag.NewFlagSet("zoosim compare", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	scf := addScenarioFlags(fs, cluster.DefaultScenario())
	seeds := fs.Int("seeds", defaultCompareSeeds, "run seeds 1 to N")
	seedFrom := fs.Uint64("seed-from", 0, "the first seed of a range (with --seed-to)")
	seedTo := fs.Uint64("seed-to", 0, "the last seed of a range, included (with --seed-from)")
	workers := fs.Int("workers", runtime.NumCPU(), "runs at once (default: every core)")
	checkers := fs.String("checkers", "", "comma-separated checkers to run (default all)")
	out := fs.String("out", filepath.Join(os.TempDir(), "zoosim", "compare"), "the folder the compare report goes to")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the table")
	if err := fs.Parse(args); err != nil {
		return fail("%v (%s)", err, usage())
	}
	given := func(name string) bool {
		set := false
		fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
		return set
	}
	if given("variant") {
		return fail("--variant: name the variants to compare as arguments (\"default\" for the correct protocol), not with --variant")
	}
	seedList, err := compareSeeds(*seeds, given("seeds"), *seedFrom, given("seed-from"), *seedTo, given("seed-to"))
	if err != nil {
		return fail("%v", err)
	}
	if *workers < 1 {
		return fail("--workers %d: want at least 1", *workers)
	}
	opts := testbed.Options{Check: testbed.CheckOptions{Only: splitList(*checkers)}}
	if err := opts.Check.Validate(); err != nil {
		return fail("--checkers: %v", err)
	}
	if fs.NArg() < 2 {
		return fail("want two or more variants (%s, or default) or scenario files to compare, after the flags", strings.Join(variantNames(), ", "))
	}
	labels, err := compareLabels(scf, fs.Args())
	if err != nil {
		return fail("%v", err)
	}
	for i := range labels {
		if *checkers != "" {
			labels[i].replayArgs = append(labels[i].replayArgs, "--checkers "+shellWord(*checkers))
		}
	}

	names := make([]string, len(labels))
	for i, l := range labels {
		names[i] = l.name
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "zoosim compare seeds=%s labels=%s workers=%d\n", seedSpan(seedList), strings.Join(names, ","), *workers)
		for _, l := range labels {
			fmt.Fprintf(stdout, "%s: scenario=%s\n", l.name, l.scenario.JSON())
		}
	}
	start := time.Now()
	runs, err := runCompare(labels, seedList, opts, *workers)
	if err != nil {
		return fail("%v", err)
	}
	wall := time.Since(start)
	if err := reports.WriteCompare(*out, names, runs); err != nil {
		return fail("%v", err)
	}
	summaries := reports.Summarize(names, runs)
	page := filepath.Join(*out, reports.CompareFile)
	allPass := true
	for _, s := range summaries {
		allPass = allPass && s.Pass == s.Runs
	}
	if *asJSON {
		if err := writeJSON(stdout, compareReport(seedList, labels, summaries, page)); err != nil {
			return fail("%v", err)
		}
	} else {
		fmt.Fprint(stdout, reports.CompareTable(summaries))
		for i, s := range summaries {
			if len(s.FailingSeeds) > 0 {
				fmt.Fprintf(stdout, "%s: %d of %d seeds did not pass; the first: %s\n", s.Label, len(s.FailingSeeds), s.Runs,
					replayCompareRun(labels[i], s.FailingSeeds[0]))
			}
		}
		fmt.Fprintf(stdout, "report: %s\n", page)
	}
	fmt.Fprintf(stderr, "wall time %.2fs for %d runs\n", wall.Seconds(), len(labels)*len(seedList))
	if !allPass {
		return exitViolation
	}
	return exitOK
}

// compareSeeds reads the seed flags: --seeds N (seeds 1 to N) or --seed-from A --seed-to B (A to
// B, both included), not both.
func compareSeeds(n int, nGiven bool, from uint64, fromGiven bool, to uint64, toGiven bool) ([]uint64, error) {
	switch {
	case nGiven && (fromGiven || toGiven):
		return nil, errors.New("--seeds and --seed-from/--seed-to: give one or the other")
	case fromGiven != toGiven:
		return nil, errors.New("--seed-from and --seed-to go together: give both")
	case fromGiven:
		if from > to {
			return nil, fmt.Errorf("--seed-from %d is after --seed-to %d", from, to)
		}
		if to-from >= maxCompareSeeds {
			return nil, fmt.Errorf("--seed-from %d --seed-to %d: more than %d seeds", from, to, maxCompareSeeds)
		}
		var out []uint64
		for s := from; ; s++ {
			out = append(out, s)
			if s == to {
				return out, nil
			}
		}
	}
	if n < 1 || n > maxCompareSeeds {
		return nil, fmt.Errorf("--seeds %d: want 1 to %d", n, maxCompareSeeds)
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out, nil
}

// seedSpan prints seeds as "A-B" (they are consecutive).
func seedSpan(seeds []uint64) string {
	if len(seeds) == 1 {
		return fmt.Sprint(seeds[0])
	}
	return fmt.Sprintf("%d-%d", seeds[0], seeds[len(seeds)-1])
}

// variantNames are the variants' names, for messages.
func variantNames() []string {
	var names []string
	for _, v := range zab.Variants() {
		names = append(names, string(v))
	}
	return names
}

// compareLabels resolves the arguments: "default" is the base scenario with the correct
// protocol, a variant name (or a comma-separated set) the base scenario with those variants,
// anything else a scenario file, read with the scenario flags applied on top.
func compareLabels(scf *scenarioFlags, args []string) ([]compareLabel, error) {
	base, err := scf.scenario()
	if err != nil {
		return nil, err
	}
	// The base scenario's flags, for the replay command: a scenario file argument replaces
	// --scenario.
	var baseArgs, flagArgs []string
	for _, a := range scf.args() {
		baseArgs = append(baseArgs, a)
		if !strings.HasPrefix(a, "--scenario ") {
			flagArgs = append(flagArgs, a)
		}
	}
	var labels []compareLabel
	seen := map[string]bool{}
	for _, arg := range args {
		if seen[arg] {
			return nil, fmt.Errorf("%q is given twice", arg)
		}
		seen[arg] = true
		var l compareLabel
		switch vs, verr := zab.ParseVariants(arg); {
		case arg == "default":
			l = compareLabel{name: arg, scenario: base, replayArgs: baseArgs}
			l.scenario.Variants = nil
		case verr == nil && len(vs) > 0:
			l = compareLabel{name: arg, scenario: base, replayArgs: append(slices.Clone(baseArgs), "--variant "+shellWord(arg))}
			l.scenario.Variants = vs
		default:
			if _, err := os.Stat(arg); err != nil {
				return nil, fmt.Errorf("%q is neither a variant (%s, or default) nor a scenario file", arg, strings.Join(variantNames(), ", "))
			}
			file := *scf
			file.file = arg
			sc, err := file.scenario()
			if err != nil {
				return nil, err
			}
			name := strings.TrimSuffix(filepath.Base(arg), filepath.Ext(arg))
			l = compareLabel{name: name, scenario: sc, replayArgs: append([]string{"--scenario " + shellWord(arg)}, flagArgs...)}
		}
		labels = append(labels, l)
	}
	// Two scenario files with the same base name are told apart by their paths.
	count := map[string]int{}
	for _, l := range labels {
		count[l.name]++
	}
	for i, l := range labels {
		if count[l.name] > 1 {
			labels[i].name = args[i]
		}
	}
	return labels, nil
}

// replayCompareRun is the command that runs one label's seed alone.
func replayCompareRun(l compareLabel, seed uint64) string {
	return strings.Join(append([]string{"go run ./cmd/zoosim run", fmt.Sprintf("--seed %d", seed)}, l.replayArgs...), " ")
}

// runCompare runs every label on every seed, workers at a time, and returns the runs in label
// then seed order, whatever order they finished in. A run that cannot start (a scenario the
// runner refuses) is an error.
func runCompare(labels []compareLabel, seeds []uint64, opts testbed.Options, workers int) ([][]*testbed.Result, error) {
	runs := make([][]*testbed.Result, len(labels))
	for i := range runs {
		runs[i] = make([]*testbed.Result, len(seeds))
	}
	type job struct{ label, seed int }
	jobs := make(chan job)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range min(workers, len(labels)*len(seeds)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r, err := testbed.Run(labels[j.label].scenario, seeds[j.seed], opts)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("%s, seed %d: %w", labels[j.label].name, seeds[j.seed], err)
					}
					mu.Unlock()
					continue
				}
				lighten(r)
				runs[j.label][j.seed] = r
			}
		}()
	}
	// Seeds outermost: the labels of one seed run side by side, so a compare cut short by an
	// error has compared whole seeds.
	for s := range seeds {
		for l := range labels {
			jobs <- job{l, s}
		}
	}
	close(jobs)
	wg.Wait()
	return runs, firstErr
}

// lighten drops what the compare report does not read from a run's history (the servers'
// logs and applies, the events, the ops' payloads), so that a compare of many long runs fits in
// memory: it keeps the header, each op's kind, times and outcome, the faults and the liveness
// phase.
func lighten(r *testbed.Result) {
	h := r.History
	light := &histories.History{Header: h.Header, Faults: h.Faults, Liveness: h.Liveness, Ops: make([]histories.Op, len(h.Ops))}
	for i, op := range h.Ops {
		light.Ops[i] = histories.Op{ID: op.ID, Client: op.Client, Req: tree.Request{Type: op.Req.Type},
			Invoke: op.Invoke, InvokeSeq: op.InvokeSeq, Return: op.Return, ReturnSeq: op.ReturnSeq,
			Outcome: op.Outcome, Err: op.Err, Server: op.Server}
	}
	r.History = light
}

// compareJSON is `zoosim compare --json`'s output.
type compareJSON struct {
	Seeds  []uint64           `json:"seeds"`
	Labels []compareLabelJSON `json:"labels"`
	Report string             `json:"report"`
}

type compareLabelJSON struct {
	Label        string                  `json:"label"`
	Scenario     cluster.Scenario        `json:"scenario"`
	Runs         int                     `json:"runs"`
	Pass         int                     `json:"pass"`
	Fail         int                     `json:"fail"`
	Inconclusive int                     `json:"inconclusive"`
	FailingSeeds []uint64                `json:"failing_seeds"`
	Checkers     []reports.CheckerCounts `json:"checkers"`
	Ops          int                     `json:"ops"`
	Completed    int                     `json:"completed"`
	P50ms        float64                 `json:"p50_ms"`
	P99ms        float64                 `json:"p99_ms"`
	Throughput   float64                 `json:"throughput_per_s"`
	FirstFailing string                  `json:"first_failing_replay,omitempty"`
}

func compareReport(seeds []uint64, labels []compareLabel, summaries []reports.LabelSummary, page string) compareJSON {
	out := compareJSON{Seeds: seeds, Report: page}
	for i, s := range summaries {
		lj := compareLabelJSON{Label: s.Label, Scenario: labels[i].scenario, Runs: s.Runs, Pass: s.Pass, Fail: s.Fail,
			Inconclusive: s.Inconclusive, FailingSeeds: s.FailingSeeds, Checkers: s.Checkers, Ops: s.Ops,
			Completed: s.Completed, P50ms: float64(s.P50) / 1e6, P99ms: float64(s.P99) / 1e6, Throughput: s.Throughput}
		if lj.FailingSeeds == nil {
			lj.FailingSeeds = []uint64{}
		}
		if len(s.FailingSeeds) > 0 {
			lj.FirstFailing = replayCompareRun(labels[i], s.FailingSeeds[0])
		}
		out.Labels = append(out.Labels, lj)
	}
	return out
}
