package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"zoosim/histories"
	"zoosim/models"
	"zoosim/reports"
	"zoosim/sim/cluster"
	"zoosim/testbed"
)

func init() {
	register(command{name: "replay", run: replayCommand, usage: "replay [--checkers C] [--json] PATH"})
	register(command{name: "check", run: checkCommand, usage: "check [--checkers C] [--json] PATH"})
}

// historyArgs parses `replay` and `check`'s arguments: --checkers and one path, which it loads.
func historyArgs(name string, args []string, stderr io.Writer) (*histories.History, testbed.Options, bool, bool) {
	fs := flag.NewFlagSet("zoosim "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	checkers := fs.String("checkers", "", "comma-separated checkers to run (default all)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the text report")
	var opts testbed.Options
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "zoosim %s: %v (%s)\n", name, err, usage())
		return nil, opts, false, false
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "zoosim %s: want one history file or run folder, after the flags (%s)\n", name, usage())
		return nil, opts, false, false
	}
	opts.Check.Only = splitList(*checkers)
	if err := opts.Check.Validate(); err != nil {
		fmt.Fprintf(stderr, "zoosim %s: --checkers: %v\n", name, err)
		return nil, opts, false, false
	}
	h, err := testbed.Load(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "zoosim %s: %v\n", name, err)
		return nil, opts, false, false
	}
	return h, opts, *asJSON, true
}

// historyJSON is `zoosim check --json` and `zoosim replay --json`'s output.
type historyJSON struct {
	Seed   uint64 `json:"seed"`
	Commit string `json:"commit"`
	Status string `json:"status"`
	// Replay only: whether the run reproduced the history, and if not where they parted.
	Reproduced *bool                 `json:"reproduced,omitempty"`
	Divergence string                `json:"divergence,omitempty"`
	TraceHash  string                `json:"trace_hash"`
	Verdicts   []reports.VerdictJSON `json:"verdicts"`
}

// checkCommand judges a saved history as it is: the checkers of this commit on the records of
// the run's commit, with no simulation.
func checkCommand(args []string, stdout, stderr io.Writer) int {
	h, opts, asJSON, ok := historyArgs("check", args, stderr)
	if !ok {
		return exitUsage
	}
	vs, err := testbed.Check(h, opts.Check)
	if err != nil {
		fmt.Fprintf(stderr, "zoosim check: %v\n", err)
		return exitUsage
	}
	status := testbed.Overall(vs)
	if asJSON {
		if err := writeJSON(stdout, historyJSON{Seed: h.Header.Seed, Commit: h.Header.Commit, Status: status.String(),
			TraceHash: fmt.Sprintf("%#016x", h.Header.TraceHash), Verdicts: reports.VerdictsJSON(vs)}); err != nil {
			fmt.Fprintf(stderr, "zoosim check: %v\n", err)
			return exitUsage
		}
	} else {
		fmt.Fprintf(stdout, "zoosim check seed=%d commit=%s: %d ops, %d faults, %s simulated\n",
			h.Header.Seed, h.Header.Commit, len(h.Ops), len(h.Faults), models.FormatTime(h.Header.End))
		for i := range vs {
			fmt.Fprintln(stdout, vs[i].String())
		}
		fmt.Fprintf(stdout, "status: %s\n", status)
	}
	if status != models.Pass {
		return exitViolation
	}
	return exitOK
}

// replayCommand is `zoosim replay`: re-run a saved history, confirm its trace hash, judge it.
func replayCommand(args []string, stdout, stderr io.Writer) int {
	h, opts, asJSON, ok := historyArgs("replay", args, stderr)
	if !ok {
		return exitUsage
	}
	if !asJSON {
		fmt.Fprintf(stdout, "zoosim replay seed=%d commit=%s scenario=%s\n", h.Header.Seed, h.Header.Commit, h.Header.Scenario)
		if c := testbed.Commit(); h.Header.Commit != "" && c != "" && c != h.Header.Commit {
			fmt.Fprintf(stdout, "note: this is commit %s; the history was made by %s, so the runs may differ\n", c, h.Header.Commit)
		}
	}
	r, err := testbed.Replay(h, opts)
	diverged := errors.Is(err, cluster.ErrDiverged)
	if err != nil && !diverged {
		fmt.Fprintf(stderr, "zoosim replay: %v\n", err)
		return exitUsage
	}
	if asJSON {
		reproduced := !diverged
		out := historyJSON{Seed: h.Header.Seed, Commit: h.Header.Commit, Status: r.Status().String(), Reproduced: &reproduced,
			TraceHash: fmt.Sprintf("%#016x", r.History.Header.TraceHash), Verdicts: reports.VerdictsJSON(r.Verdicts)}
		if diverged {
			out.Divergence = err.Error()
		}
		if err := writeJSON(stdout, out); err != nil {
			fmt.Fprintf(stderr, "zoosim replay: %v\n", err)
			return exitUsage
		}
	} else if diverged {
		fmt.Fprintf(stdout, "DIVERGED: %v\n", err)
	} else {
		fmt.Fprintf(stdout, "reproduced: trace hash %#016x, %d events\n", r.History.Header.TraceHash, r.History.Header.Events)
	}
	if !asJSON {
		fmt.Fprint(stdout, r.Table())
		fmt.Fprintf(stdout, "status: %s\n", r.Status())
	}
	if diverged || !r.OK() {
		return exitViolation
	}
	return exitOK
}
