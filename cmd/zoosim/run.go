package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"zoosim/models"
	"zoosim/sim/cluster"
	"zoosim/testbed"
	"zoosim/zab"
)

func init() {
	register(command{name: "run", run: runCommand,
		usage: "run [--seed N] [--scenario FILE] [--servers N] [--clients N] [--duration D] [--variant V] [--swarm] [--checkers C] [--out DIR]"})
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

// runCommand is `zoosim run`: one run, judged by every checker.
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
		fmt.Fprintf(stderr, "zoosim run: %v (%s)\n", err, usage())
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "zoosim run: unexpected argument %q (%s)\n", fs.Arg(0), usage())
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
	var done func()
	opts.Progress, done = virtualProgress(stderr)
	start := time.Now()
	r, err := testbed.Run(sc, f.seed, opts)
	done()
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
		folder, err := saveRun(dir, r)
		if err != nil {
			fmt.Fprintf(stderr, "zoosim run: %v\n", err)
			return exitUsage
		}
		path := filepath.Join(folder, testbed.HistoryFile)
		fmt.Fprintf(stdout, "run folder: %s\nhistory: %s\nreplay the history: %s\n", folder, path, testbed.ReplayCommand(folder))
		fmt.Fprintf(stdout, "judge it without re-running: %s\n", testbed.CheckCommand(folder))
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
