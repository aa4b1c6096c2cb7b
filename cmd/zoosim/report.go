package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"zoosim/models"
	"zoosim/reports"
	"zoosim/sim/cluster"
	"zoosim/testbed"
)

func init() {
	register(command{name: "report", run: reportCommand, usage: "report [--checkers C] [--json] PATH"})
}

// reportCommand is `zoosim report`: rebuild the report of a run folder (or of a history file,
// in the folder that holds it) from its history: the checkers of this commit judge the history
// again, as it is (testbed.Check, as `zoosim check` does; nothing re-runs), and reports.WriteReport
// writes the verdicts, the metrics, the plots and report.html next to the history, which it
// leaves as it is.
//
// Exit codes: 0 when every verdict passes, 1 when one does not, 2 for bad usage or input (a
// missing folder, a damaged or foreign history, a header without a readable scenario).
func reportCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zoosim report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	checkers := fs.String("checkers", "", "comma-separated checkers to run (default all)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the text report")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "zoosim report: %v (%s)\n", err, usage())
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "zoosim report: want one run folder or history file, after the flags (%s)\n", usage())
		return exitUsage
	}
	opts := testbed.CheckOptions{Only: splitList(*checkers)}
	if err := opts.Validate(); err != nil {
		fmt.Fprintf(stderr, "zoosim report: --checkers: %v\n", err)
		return exitUsage
	}
	path := fs.Arg(0)
	h, err := testbed.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "zoosim report: %v\n", err)
		return exitUsage
	}
	folder := path
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		folder = filepath.Dir(path)
	}
	sc, err := cluster.ParseScenario(h.Header.Scenario)
	if err != nil {
		fmt.Fprintf(stderr, "zoosim report: %s: the history's header: %v\n", path, err)
		return exitUsage
	}
	vs, err := testbed.Check(h, opts)
	if err != nil {
		fmt.Fprintf(stderr, "zoosim report: %v\n", err)
		return exitUsage
	}
	r := &testbed.Result{Seed: h.Header.Seed, Scenario: sc, History: h, Verdicts: vs}
	if err := reports.WriteReport(folder, r, testbed.ReplayCommand(path)); err != nil {
		fmt.Fprintf(stderr, "zoosim report: %v\n", err)
		return exitUsage
	}
	page := filepath.Join(folder, reports.ReportFile)
	if *asJSON {
		if err := writeJSON(stdout, runReport(r, testbed.ReplayCommand(path), folder)); err != nil {
			fmt.Fprintf(stderr, "zoosim report: %v\n", err)
			return exitUsage
		}
	} else {
		fmt.Fprintf(stdout, "zoosim report seed=%d commit=%s: %d ops, %d faults, %s simulated\n",
			h.Header.Seed, h.Header.Commit, len(h.Ops), len(h.Faults), models.FormatTime(h.Header.End))
		fmt.Fprint(stdout, r.Table())
		fmt.Fprintf(stdout, "status: %s\n", r.Status())
		fmt.Fprintf(stdout, "trace hash: %#016x\n", h.Header.TraceHash)
		fmt.Fprintf(stdout, "report: %s\n", page)
	}
	if !r.OK() {
		return exitViolation
	}
	return exitOK
}
