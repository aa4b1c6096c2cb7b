package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"zoosim/models"
	"zoosim/reports"
	"zoosim/sim/cluster"
	"zoosim/testbed"
)

func init() {
	register(command{name: "sweep", run: sweepCommand,
		usage: "sweep [--seeds N | --from A --to B] [--shard i/n | --shard auto/n] [--workers N] [--out DIR] [--json] [--checkers C] [the scenario flags of run]"})
}

// The files a sweep folder holds besides the failing seeds' run folders.
const (
	outcomesFile = "outcomes.jsonl"
	summaryFile  = "summary.json"
)

// Sweep defaults and bounds.
const (
	// defaultSweepSeeds is the range `zoosim sweep` runs without --seeds or --from/--to: 1..100.
	defaultSweepSeeds = 100
	// maxSweepSeeds bounds a range: a sweep keeps one Outcome per seed in memory.
	maxSweepSeeds = 10_000_000
	// completionIndexEnv is where a Kubernetes Indexed Job puts each pod's index; --shard auto/n
	// reads it.
	completionIndexEnv = "JOB_COMPLETION_INDEX"
)

// seedRange is a sweep's seeds, From to To inclusive.
type seedRange struct {
	From uint64 `json:"from"`
	To   uint64 `json:"to"`
}

func (r seedRange) count() uint64 { return r.To - r.From + 1 }

func (r seedRange) String() string { return fmt.Sprintf("%d..%d", r.From, r.To) }

// shardSpec is one share of a sweep: the seeds whose position in the range (0 for From) is
// Index modulo Count. Round robin gives every shard the same mix of seeds.
type shardSpec struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

func (s shardSpec) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// folder is the shard's folder inside a sweep's --out: every shard of a sweep can be given the
// same --out (a volume the pods of an Indexed Job share, a CI artifact folder) and `zoosim
// merge` of that one folder finds them all.
func (s shardSpec) folder() string { return fmt.Sprintf("shard-%d-of-%d", s.Index, s.Count) }

// seeds lists the range's seeds that belong to the shard (all of them when shard is nil).
func (r seedRange) seeds(shard *shardSpec) []uint64 {
	var out []uint64
	for pos := uint64(0); pos < r.count(); pos++ {
		if shard == nil || pos%uint64(shard.Count) == uint64(shard.Index) {
			out = append(out, r.From+pos)
		}
	}
	return out
}

// parseShard reads --shard: "i/n", or "auto/n" to take i from $JOB_COMPLETION_INDEX (so every
// pod of an Indexed Job runs the same command, and an image without a shell needs no
// expansion). getenv is os.Getenv outside tests.
func parseShard(s string, getenv func(string) string) (*shardSpec, error) {
	index, count, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(count)
	if !ok || err != nil || n < 1 {
		return nil, fmt.Errorf("--shard %q: want i/n (0 <= i < n) or auto/n", s)
	}
	source := "--shard"
	if index == "auto" {
		index = getenv(completionIndexEnv)
		if index == "" {
			return nil, fmt.Errorf("--shard auto/%d: $%s is not set (it is in a Kubernetes Indexed Job's pods; elsewhere give --shard i/%d)", n, completionIndexEnv, n)
		}
		source = "$" + completionIndexEnv
	}
	i, err := strconv.Atoi(index)
	if err != nil || i < 0 || i >= n {
		return nil, fmt.Errorf("%s: shard index %q out of 0..%d (--shard %s)", source, index, n-1, s)
	}
	return &shardSpec{Index: i, Count: n}, nil
}

// sweepConfig is a parsed `zoosim sweep` command line.
type sweepConfig struct {
	scenario cluster.Scenario
	// flags are the scenario flags as given, to print a command that reruns one seed.
	flags    []string
	checkers []string
	seeds    seedRange
	shard    *shardSpec
	workers  int
	// out is the sweep's folder as given ("" for a new temporary one); dir is where this
	// process writes (out, or the shard's folder inside it).
	out    string
	asJSON bool
}

// parseSweep reads `zoosim sweep`'s arguments. Errors are one line naming the flag.
func parseSweep(args []string, getenv func(string) string) (*sweepConfig, error) {
	fs := flag.NewFlagSet("zoosim sweep", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	scf := addScenarioFlags(fs, cluster.SweepScenario())
	nSeeds := fs.Uint64("seeds", 0, "run seeds 1..N")
	from := fs.Uint64("from", 1, "the first seed (with --to)")
	to := fs.Uint64("to", 0, "the last seed, included")
	shard := fs.String("shard", "", "run one share of the seeds: i/n, or auto/n for i from $"+completionIndexEnv)
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "runs at once (default: every core Go may use)")
	checkers := fs.String("checkers", "", "comma-separated checkers to run (default all)")
	out := fs.String("out", "", "the sweep's folder (default: a new folder under "+filepath.Join(os.TempDir(), "zoosim")+")")
	asJSON := fs.Bool("json", false, "print the summary as JSON (summary.json's contents) instead of text")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c := &sweepConfig{checkers: splitList(*checkers), workers: *workers, out: *out, asJSON: *asJSON}
	var err error
	if c.scenario, err = scf.scenario(); err != nil {
		return nil, err
	}
	c.flags = scf.args()
	if err := (testbed.CheckOptions{Only: c.checkers}).Validate(); err != nil {
		return nil, fmt.Errorf("--checkers: %w", err)
	}
	if c.workers < 1 {
		return nil, fmt.Errorf("--workers %d: want at least 1", c.workers)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	switch {
	case given["seeds"] && (given["from"] || given["to"]):
		return nil, errors.New("give --seeds N or --from A --to B, not both")
	case given["seeds"]:
		if *nSeeds < 1 {
			return nil, errors.New("--seeds 0: want at least one seed")
		}
		c.seeds = seedRange{1, *nSeeds}
	case given["to"]:
		if *from > *to {
			return nil, fmt.Errorf("--from %d --to %d: the range is empty", *from, *to)
		}
		c.seeds = seedRange{*from, *to}
	case given["from"]:
		return nil, fmt.Errorf("--from %d needs --to", *from)
	default:
		c.seeds = seedRange{1, defaultSweepSeeds}
	}
	if c.seeds.To-c.seeds.From >= maxSweepSeeds {
		return nil, fmt.Errorf("seeds %s: at most %d seeds per sweep (split it with --shard)", c.seeds, maxSweepSeeds)
	}
	if *shard != "" {
		if c.shard, err = parseShard(*shard, getenv); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// tuneGCForSweeps sets the collector's target to testbed.SweepGCPercent for a process that only
// runs seeds, trading memory for time, unless GOGC in the environment already chose one.
func tuneGCForSweeps() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(testbed.SweepGCPercent)
	}
}

// sweepCommand is `zoosim sweep`: a seed range (or one shard of it) on every core. The first
// Ctrl-C (or the SIGTERM a Kubernetes pod gets) stops it cleanly: the runs under way finish and
// what finished is written; a second one kills it.
func sweepCommand(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // the next signal kills, as usual
	}()
	tuneGCForSweeps()
	return sweep(ctx, args, os.Getenv, stdout, stderr)
}

func sweep(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c, err := parseSweep(args, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "zoosim sweep: %v (%s)\n", err, usage())
		return exitUsage
	}
	dir, err := c.folder()
	if err != nil {
		fmt.Fprintf(stderr, "zoosim sweep: --out: %v\n", err)
		return exitUsage
	}
	seeds := c.seeds.seeds(c.shard)
	sum := sweepSummary{
		Commit: testbed.Commit(), Scenario: c.scenario.JSON(), OnlyCheckers: c.checkers,
		Seeds: c.seeds, Shard: c.shard, Expected: len(seeds), Workers: c.workers,
	}
	if !c.asJSON {
		share := ""
		if c.shard != nil {
			share = fmt.Sprintf(", shard %s: %d of them", c.shard, len(seeds))
		}
		fmt.Fprintf(stdout, "zoosim sweep seeds %s (%d seeds%s), workers=%d\n", c.seeds, c.seeds.count(), share, c.workers)
		fmt.Fprintf(stdout, "scenario=%s\n", sum.Scenario)
		if len(c.checkers) > 0 {
			fmt.Fprintf(stdout, "checkers=%s\n", strings.Join(c.checkers, ","))
		}
		fmt.Fprintf(stdout, "commit=%s\n", sum.Commit)
		fmt.Fprintf(stdout, "out=%s\n", dir)
	}

	bar := newSeedBar(stderr, len(seeds), !c.asJSON)
	failed := 0
	onResult := func(r *testbed.Result, o *testbed.Outcome) error {
		if !o.OK() {
			folder, err := saveRun(dir, r)
			if err != nil {
				return err
			}
			o.Folder = relativeTo(dir, folder)
			failed++
			bar.note(fmt.Sprintf("seed %d: %s %s; kept in %s", o.Seed, o.Status, strings.Join(o.Failing, ","), folder))
			bar.describe(fmt.Sprintf("sweep (%d not passed)", failed))
		}
		bar.add()
		return nil
	}
	start := time.Now()
	outcomes, err := testbed.Sweep(ctx, c.scenario, seeds,
		testbed.SweepOptions{Workers: c.workers, Run: testbed.Options{Check: testbed.CheckOptions{Only: c.checkers}}, OnResult: onResult})
	bar.finish()
	wall := time.Since(start)
	sum.Interrupted = errors.Is(err, context.Canceled)
	sum.WallS = wall.Seconds()
	sum.add(outcomes, dir)
	code := exitOK
	if err != nil && !sum.Interrupted {
		fmt.Fprintf(stderr, "zoosim sweep: %v\n", err)
		code = exitUsage
	}
	// What finished is written even when the sweep stopped early.
	if werr := writeSweepFolder(dir, outcomes, &sum); werr != nil {
		fmt.Fprintf(stderr, "zoosim sweep: %v\n", werr)
		return exitUsage
	}
	if code != exitOK {
		return code
	}
	if c.asJSON {
		if err := writeJSON(stdout, sum); err != nil {
			fmt.Fprintf(stderr, "zoosim sweep: %v\n", err)
			return exitUsage
		}
	} else {
		sum.print(stdout, dir)
	}
	// Wall time goes to stderr: the same flags (--out included) on the same commit print the same
	// stdout, so two sweeps diff.
	fmt.Fprintf(stderr, "wall time %.1fs: %.2f seeds/s, workers=%d\n", wall.Seconds(), float64(len(outcomes))/wall.Seconds(), c.workers)
	if sum.Interrupted {
		fmt.Fprintf(stderr, "zoosim sweep: interrupted after %d of %d seeds; what finished is in %s\n", len(outcomes), len(seeds), dir)
	}
	return sum.exitCode()
}

// folder makes the folder this process writes into and returns it.
func (c *sweepConfig) folder() (string, error) {
	out := c.out
	if out == "" {
		parent := filepath.Join(os.TempDir(), "zoosim")
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return "", err
		}
		var err error
		if out, err = os.MkdirTemp(parent, "sweep-"); err != nil {
			return "", err
		}
	}
	dir := out
	if c.shard != nil {
		dir = filepath.Join(out, c.shard.folder())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return filepath.Abs(dir)
}

// relativeTo returns path relative to dir: outcomes name their run folders relative to the
// folder holding outcomes.jsonl, so a sweep folder can be copied (out of a pod's volume, into a
// CI artifact) and still find them.
func relativeTo(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil {
		return rel
	}
	return path
}

// resolve returns a folder named in an outcome written in dir as a path.
func resolve(dir, folder string) string {
	if folder == "" || filepath.IsAbs(folder) {
		return folder
	}
	return filepath.Join(dir, folder)
}

// sweepSummary is summary.json: what ran (so `zoosim merge` can tell shards of one sweep from
// strangers) and what the outcomes add up to.
type sweepSummary struct {
	Commit       string          `json:"commit"`
	Scenario     json.RawMessage `json:"scenario"`
	OnlyCheckers []string        `json:"only_checkers,omitempty"`
	Seeds        seedRange       `json:"seeds"`
	// Shard is the share of Seeds that ran (none: all of them).
	Shard *shardSpec `json:"shard,omitempty"`
	// Merged are the sweep folders a merge joined.
	Merged []string `json:"merged,omitempty"`
	// Expected is how many seeds should have run; NotRun how many did not (an interrupted sweep,
	// a missing shard).
	Expected    int     `json:"expected"`
	NotRun      int     `json:"not_run"`
	Interrupted bool    `json:"interrupted,omitempty"`
	Workers     int     `json:"workers,omitempty"`
	WallS       float64 `json:"wall_s"`

	Runs         int                       `json:"runs"`
	Passed       int                       `json:"passed"`
	Failed       int                       `json:"failed"`
	Inconclusive int                       `json:"inconclusive"`
	Checkers     []testbed.CheckerFailures `json:"checkers"`
	Recovery     testbed.Quantiles         `json:"recovery_s"`
	Unconverged  int                       `json:"unconverged"`
	Failing      []failingSeed             `json:"failing"`
}

// failingSeed is a seed that did not pass, with the command that replays its saved run.
type failingSeed struct {
	testbed.Outcome
	Replay string `json:"replay,omitempty"`
}

// add fills in the totals from the outcomes, whose folders are relative to dir (or absolute).
func (s *sweepSummary) add(outcomes []testbed.Outcome, dir string) {
	t := testbed.Summarize(outcomes)
	s.Runs, s.Passed, s.Failed, s.Inconclusive = t.Runs, t.Passed, t.Failed, t.Inconclusive
	s.Checkers, s.Recovery, s.Unconverged = t.Checkers, t.Recovery, t.Unconverged
	s.NotRun = max(0, s.Expected-t.Runs)
	s.Failing = []failingSeed{}
	for _, o := range t.Failing {
		f := failingSeed{Outcome: o}
		if o.Folder != "" {
			f.Replay = testbed.ReplayCommand(resolve(dir, o.Folder))
		}
		s.Failing = append(s.Failing, f)
	}
}

// exitCode is 0 when every expected seed ran and passed, else 1.
func (s *sweepSummary) exitCode() int {
	if s.Runs > 0 && s.Passed == s.Runs && s.NotRun == 0 && !s.Interrupted {
		return exitOK
	}
	return exitViolation
}

// status is the sweep's one-word verdict.
func (s *sweepSummary) status() string {
	switch {
	case s.Failed > 0:
		return models.Fail.String()
	case s.Inconclusive > 0:
		return models.Inconclusive.String()
	case s.NotRun > 0 || s.Interrupted || s.Runs == 0:
		return "incomplete"
	}
	return models.Pass.String()
}

// print writes the summary table. dir is the sweep folder the table describes ("" for none).
func (s *sweepSummary) print(w io.Writer, dir string) {
	fmt.Fprintf(w, "seeds run      %d of %d", s.Runs, s.Expected)
	if s.NotRun > 0 {
		fmt.Fprintf(w, " (%d not run)", s.NotRun)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "passed         %d\nfailed         %d\ninconclusive   %d\n", s.Passed, s.Failed, s.Inconclusive)
	fmt.Fprintln(w, "runs each checker did not pass:")
	for _, c := range s.Checkers {
		fmt.Fprintf(w, "  %-14s %d\n", c.Checker, c.Runs)
	}
	if s.Recovery.N > 0 {
		fmt.Fprintf(w, "recovery time  p50 %.3fs  p99 %.3fs  max %.3fs  (%d converged, %d did not)\n",
			s.Recovery.P50, s.Recovery.P99, s.Recovery.Max, s.Recovery.N, s.Unconverged)
	} else {
		fmt.Fprintf(w, "recovery time  none converged (%d runs)\n", s.Runs)
	}
	if len(s.Failing) > 0 {
		fmt.Fprintln(w, "failing seeds:")
		for _, f := range s.Failing {
			fmt.Fprintf(w, "  seed %d  %s  %s: %s\n", f.Seed, f.Status, strings.Join(f.Failing, ","), f.First)
			if f.Replay != "" {
				fmt.Fprintf(w, "    replay: %s\n", f.Replay)
			}
		}
	}
	if dir != "" {
		fmt.Fprintf(w, "outcomes: %s\n", filepath.Join(dir, outcomesFile))
		fmt.Fprintf(w, "summary: %s\n", filepath.Join(dir, summaryFile))
		fmt.Fprintf(w, "report: %s\n", filepath.Join(dir, reports.SweepFile))
	}
	fmt.Fprintf(w, "status: %s\n", s.status())
}

// writeSweepFolder writes outcomes.jsonl (one outcome a line, in seed order), summary.json and
// the sweep's report (reports.WriteSweep: recovery, election and violation plots, sweep.html
// linking the failing seeds' run folders) into dir.
func writeSweepFolder(dir string, outcomes []testbed.Outcome, sum *sweepSummary) error {
	if err := writeFile(filepath.Join(dir, outcomesFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for i := range outcomes {
			if err := enc.Encode(&outcomes[i]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, summaryFile), func(w io.Writer) error { return writeJSON(w, sum) }); err != nil {
		return err
	}
	return reports.WriteSweep(dir, outcomes)
}

// writeFile writes a file through a temporary sibling and a rename, so a killed sweep never
// leaves half a file where a merge will look.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Rename(f.Name(), path)
}

// seedBar is the sweep's progress bar (seeds done, rate, ETA) on a terminal's stderr; on
// anything else (a pipe, a file, a test's buffer, --json) it draws nothing and notes go straight
// to the writer.
type seedBar struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func newSeedBar(w io.Writer, seeds int, show bool) *seedBar {
	b := &seedBar{w: w}
	if show && isTerminal(w) {
		b.bar = progressbar.NewOptions(seeds,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("sweep"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("seeds"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish())
	}
	return b
}

func (b *seedBar) add() {
	if b.bar != nil {
		_ = b.bar.Add(1)
	}
}

func (b *seedBar) describe(s string) {
	if b.bar != nil {
		b.bar.Describe(s)
	}
}

// note prints a line above the bar.
func (b *seedBar) note(line string) {
	if b.bar != nil {
		_ = b.bar.Clear()
	}
	fmt.Fprintln(b.w, line)
}

func (b *seedBar) finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
	}
}
