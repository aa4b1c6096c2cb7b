package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"zoosim/histories"
	"zoosim/models"
	"zoosim/sim/cluster"
	"zoosim/testbed"
)

func init() {
	register(command{name: "replay", run: replayCommand, usage: "replay [--checkers C] PATH"})
	register(command{name: "check", run: checkCommand, usage: "check [--checkers C] PATH"})
}

// historyArgs parses `replay` and `check`'s arguments: --checkers and one path, which it loads.
func historyArgs(name string, args []string, stderr io.Writer) (*histories.History, testbed.Options, bool) {
	fs := flag.NewFlagSet("zoosim "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	checkers := fs.String("checkers", "", "comma-separated checkers to run (default all)")
	var opts testbed.Options
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "zoosim %s: %v (%s)\n", name, err, usage())
		return nil, opts, false
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "zoosim %s: want one history file or run folder, after the flags (%s)\n", name, usage())
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

// replayCommand is `zoosim replay`: re-run a saved history, confirm its trace hash, judge it.
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
