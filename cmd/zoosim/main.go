// Command zoosim runs a ZooKeeper ensemble on the deterministic simulator and checks what its
// clients saw against ZooKeeper's contract.
//
//	zoosim run [flags]        one seeded run of a scenario, judged by every checker
//	zoosim replay PATH        re-run a saved history (a file or a run folder): same trace hash?
//	                          then judge it again
//	zoosim check PATH         judge a saved history as it is, without running anything
//
// `zoosim run` with no flags runs the embedded default scenario (cluster.DefaultScenario: 5
// servers, 20 clients, every workload, faults on, 60 simulated seconds, seed 1). It prints the
// seed and the whole scenario first, then each checker's verdict, the trace hash, and the
// command that replays the run; a run that did not pass is saved as a history file whose replay
// command is printed too. Exit codes: 0 every check holds, 1 a violation (or a verdict that
// could not decide, or a replay that diverged), 2 bad usage or input. Sweeps, shrinking,
// reports and plots come with the CLI issue.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"zoosim/histories"
	"zoosim/models"
	"zoosim/sim/cluster"
	"zoosim/testbed"
	"zoosim/zab"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit codes: 0 every check holds, 1 a violation, 2 bad usage or input.
const (
	exitOK        = 0
	exitViolation = 1
	exitUsage     = 2
)

const usage = "usage: zoosim run [--seed N] [--scenario FILE] [--servers N] [--clients N] [--duration D] [--variant V] [--swarm] [--checkers C] [--out DIR] | zoosim replay [--checkers C] PATH | zoosim check [--checkers C] PATH"

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "zoosim: no command ("+usage+")")
		return exitUsage
	}
	switch args[0] {
	case "run":
		return runCommand(args[1:], stdout, stderr)
	case "replay":
		return replayCommand(args[1:], stdout, stderr)
	case "check":
		return checkCommand(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "zoosim: unknown command %q (%s)\n", args[0], usage)
	return exitUsage
}

// runFlags are `zoosim run`'s flags; a flag left unset keeps the scenario's value.
type runFlags struct {
	seed     uint64
	scenario string
	servers  int
	clients  int
	duration time.Duration
	variant  string
	swarm    bool
	checkers string
	out      string
}

func runCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zoosim run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := runFlags{seed: 1}
	fs.Uint64Var(&f.seed, "seed", f.seed, "the run's seed")
	fs.StringVar(&f.scenario, "scenario", "", "a scenario file (JSON; fields it leaves out keep the default scenario's)")
	fs.IntVar(&f.servers, "servers", 0, "servers in the ensemble")
	fs.IntVar(&f.clients, "clients", 0, "client workloads")
	fs.DurationVar(&f.duration, "duration", 0, "the safety phase: how long workloads run under faults")
	fs.StringVar(&f.variant, "variant", "", "comma-separated protocol variants (zab.Variants)")
	fs.BoolVar(&f.swarm, "swarm", false, "draw the scenario itself from the seed")
	fs.StringVar(&f.checkers, "checkers", "", "comma-separated checkers to run (default all)")
	fs.StringVar(&f.out, "out", "", "save the run's history in this folder (a failing run is saved anyway)")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "zoosim run: %v (%s)\n", err, usage)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "zoosim run: unexpected argument %q (%s)\n", fs.Arg(0), usage)
		return exitUsage
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	sc, err := f.buildScenario(set)
	if err != nil {
		fmt.Fprintf(stderr, "zoosim run: %v\n", err)
		return exitUsage
	}
	opts := testbed.Options{Check: testbed.CheckOptions{Only: splitList(f.checkers)}}
	if err := opts.Check.Validate(); err != nil {
		fmt.Fprintf(stderr, "zoosim run: --checkers: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "zoosim run seed=%d scenario=%s\n", f.seed, sc.JSON())
	start := time.Now()
	r, err := testbed.Run(sc, f.seed, opts)
	if err != nil {
		fmt.Fprintf(stderr, "zoosim run: %v\n", err)
		return exitUsage
	}
	wall := time.Since(start)
	h := r.History
	fmt.Fprintf(stdout, "%d ops, %d faults, %s simulated\n", len(h.Ops), len(h.Faults), models.FormatTime(h.Header.End))
	fmt.Fprint(stdout, r.Table())
	fmt.Fprintf(stdout, "status: %s\n", r.Status())
	fmt.Fprintf(stdout, "trace hash: %#016x\n", h.Header.TraceHash)
	fmt.Fprintf(stdout, "replay: go run ./cmd/zoosim run %s\n", f.replayArgs(set))
	dir := f.out
	if dir == "" && !r.OK() {
		dir = filepath.Join(os.TempDir(), "zoosim-failures")
	}
	if dir != "" {
		path, err := testbed.Save(dir, r)
		if err != nil {
			fmt.Fprintf(stderr, "zoosim run: %v\n", err)
			return exitUsage
		}
		fmt.Fprintf(stdout, "history: %s\nreplay the history: %s\n", path, testbed.ReplayCommand(path))
		fmt.Fprintf(stdout, "judge it without re-running: %s\n", testbed.CheckCommand(path))
	}
	// Wall time goes to stderr: stdout is a function of the seed and the scenario.
	fmt.Fprintf(stderr, "wall time %.2fs (%.0fx virtual time)\n", wall.Seconds(), time.Duration(h.Header.End).Seconds()/wall.Seconds())
	if !r.OK() {
		return exitViolation
	}
	return exitOK
}

// buildScenario is the scenario file's (or the default), with the flags that were set applied.
func (f runFlags) buildScenario(set map[string]bool) (cluster.Scenario, error) {
	sc := cluster.DefaultScenario()
	if f.scenario != "" {
		data, err := os.ReadFile(f.scenario)
		if err != nil {
			return sc, fmt.Errorf("--scenario: %w", err)
		}
		if sc, err = cluster.ParseScenario(data); err != nil {
			return sc, fmt.Errorf("--scenario %s: %w", f.scenario, err)
		}
	}
	if set["servers"] {
		sc.Servers = f.servers
	}
	if set["clients"] {
		sc.Clients = f.clients
	}
	if set["duration"] {
		sc.Safety = cluster.Duration(f.duration)
	}
	if set["swarm"] {
		sc.Swarm = f.swarm
	}
	if set["variant"] {
		vs, err := zab.ParseVariants(f.variant)
		if err != nil {
			return sc, fmt.Errorf("--variant: %w", err)
		}
		sc.Variants = vs
	}
	if err := sc.Validate(); err != nil {
		return sc, err
	}
	return sc, nil
}

// replayArgs are the flags that reproduce this run.
func (f runFlags) replayArgs(set map[string]bool) string {
	args := []string{fmt.Sprintf("--seed %d", f.seed)}
	add := func(name, value string) {
		if set[name] {
			args = append(args, fmt.Sprintf("--%s %s", name, value))
		}
	}
	add("scenario", f.scenario)
	add("servers", fmt.Sprint(f.servers))
	add("clients", fmt.Sprint(f.clients))
	add("duration", f.duration.String())
	add("variant", f.variant)
	if set["swarm"] {
		args = append(args, fmt.Sprintf("--swarm=%v", f.swarm))
	}
	add("checkers", f.checkers)
	return strings.Join(args, " ")
}

// historyArgs parses `replay` and `check`'s arguments: --checkers and one path, which it loads.
func historyArgs(name string, args []string, stderr io.Writer) (*histories.History, testbed.Options, bool) {
	fs := flag.NewFlagSet("zoosim "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	checkers := fs.String("checkers", "", "comma-separated checkers to run (default all)")
	var opts testbed.Options
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "zoosim %s: %v (%s)\n", name, err, usage)
		return nil, opts, false
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "zoosim %s: want one history file or run folder, after the flags (%s)\n", name, usage)
		return nil, opts, false
	}
	opts.Check.Only = splitList(*checkers)
	if err := opts.Check.Validate(); err != nil {
		fmt.Fprintf(stderr, "zoosim %s: --checkers: %v\n", name, err)
		return nil, opts, false
	}
	h, err := testbed.Load(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "zoosim %s: %v\n", name, err)
		return nil, opts, false
	}
	return h, opts, true
}

// checkCommand judges a saved history as it is: the checkers of this commit on the records of
// the run's commit, with no simulation.
func checkCommand(args []string, stdout, stderr io.Writer) int {
	h, opts, ok := historyArgs("check", args, stderr)
	if !ok {
		return exitUsage
	}
	fmt.Fprintf(stdout, "zoosim check seed=%d commit=%s: %d ops, %d faults, %s simulated\n",
		h.Header.Seed, h.Header.Commit, len(h.Ops), len(h.Faults), models.FormatTime(h.Header.End))
	vs, err := testbed.Check(h, opts.Check)
	if err != nil {
		fmt.Fprintf(stderr, "zoosim check: %v\n", err)
		return exitUsage
	}
	for i := range vs {
		fmt.Fprintln(stdout, vs[i].String())
	}
	status := testbed.Overall(vs)
	fmt.Fprintf(stdout, "status: %s\n", status)
	if status != models.Pass {
		return exitViolation
	}
	return exitOK
}

func replayCommand(args []string, stdout, stderr io.Writer) int {
	h, opts, ok := historyArgs("replay", args, stderr)
	if !ok {
		return exitUsage
	}
	fmt.Fprintf(stdout, "zoosim replay seed=%d commit=%s scenario=%s\n", h.Header.Seed, h.Header.Commit, h.Header.Scenario)
	if c := testbed.Commit(); h.Header.Commit != "" && c != "" && c != h.Header.Commit {
		fmt.Fprintf(stdout, "note: this is commit %s; the history was made by %s, so the runs may differ\n", c, h.Header.Commit)
	}
	r, err := testbed.Replay(h, opts)
	diverged := errors.Is(err, cluster.ErrDiverged)
	if err != nil && !diverged {
		fmt.Fprintf(stderr, "zoosim replay: %v\n", err)
		return exitUsage
	}
	if diverged {
		fmt.Fprintf(stdout, "DIVERGED: %v\n", err)
	} else {
		fmt.Fprintf(stdout, "reproduced: trace hash %#016x, %d events\n", r.History.Header.TraceHash, r.History.Header.Events)
	}
	fmt.Fprint(stdout, r.Table())
	fmt.Fprintf(stdout, "status: %s\n", r.Status())
	if diverged || !r.OK() {
		return exitViolation
	}
	return exitOK
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
