package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"zoosim/models"
	"zoosim/reports"
	"zoosim/sim/cluster"
	"zoosim/testbed"
)

func init() {
	register(command{name: "run", run: runCommand,
		usage: "run [--seed N] [--scenario FILE] [--servers N] [--clients N] [--duration D] [--liveness D] [--faults KINDS|none] [--variant V] [--swarm] [--recipe R] [--mix K=W,...] [--recipe-flaw F] [--checkers C] [--out DIR] [--json]"})
}

// runCommand is `zoosim run`: one run, judged by every checker. stdout is a function of the seed,
// the scenario and the commit (wall time goes to stderr), so two runs can be diffed.
func runCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zoosim run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	scf := addScenarioFlags(fs, cluster.DefaultScenario())
	seed := fs.Uint64("seed", 1, "the run's seed")
	checkers := fs.String("checkers", "", "comma-separated checkers to run (default all)")
	out := fs.String("out", filepath.Join(os.TempDir(), "zoosim", "runs"), "where the run folder goes (a seed-N folder inside it)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the text report")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "zoosim run: %v (%s)\n", err, usage())
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "zoosim run: unexpected argument %q (%s)\n", fs.Arg(0), usage())
		return exitUsage
	}
	sc, err := scf.scenario()
	if err != nil {
		fmt.Fprintf(stderr, "zoosim run: %v\n", err)
		return exitUsage
	}
	opts := testbed.Options{Check: testbed.CheckOptions{Only: splitList(*checkers)}}
	if err := opts.Check.Validate(); err != nil {
		fmt.Fprintf(stderr, "zoosim run: --checkers: %v\n", err)
		return exitUsage
	}
	replay := append([]string{"go run ./cmd/zoosim run", fmt.Sprintf("--seed %d", *seed)}, scf.args()...)
	if *checkers != "" {
		replay = append(replay, "--checkers "+shellWord(*checkers))
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "zoosim run seed=%d scenario=%s\n", *seed, sc.JSON())
	}
	var done func()
	opts.Progress, done = virtualProgress(stderr)
	start := time.Now()
	r, err := testbed.Run(sc, *seed, opts)
	done()
	if err != nil {
		fmt.Fprintf(stderr, "zoosim run: %v\n", err)
		return exitUsage
	}
	wall := time.Since(start)
	folder, err := saveRun(*out, r)
	if err != nil {
		fmt.Fprintf(stderr, "zoosim run: %v\n", err)
		return exitUsage
	}
	if *asJSON {
		if err := writeJSON(stdout, runReport(r, strings.Join(replay, " "), folder)); err != nil {
			fmt.Fprintf(stderr, "zoosim run: %v\n", err)
			return exitUsage
		}
	} else {
		h := r.History
		fmt.Fprintf(stdout, "%d ops, %d faults, %s simulated\n", len(h.Ops), len(h.Faults), models.FormatTime(h.Header.End))
		fmt.Fprint(stdout, r.Table())
		fmt.Fprintf(stdout, "status: %s\n", r.Status())
		fmt.Fprintf(stdout, "trace hash: %#016x\n", h.Header.TraceHash)
		fmt.Fprintf(stdout, "replay: %s\n", strings.Join(replay, " "))
		fmt.Fprintf(stdout, "run folder: %s\n", folder)
		fmt.Fprintf(stdout, "replay the history: %s\n", testbed.ReplayCommand(folder))
		fmt.Fprintf(stdout, "report: %s\n", filepath.Join(folder, reports.ReportFile))
	}
	// Wall time goes to stderr: stdout is a function of the seed and the scenario.
	fmt.Fprintf(stderr, "wall time %.2fs (%.0fx virtual time)\n", wall.Seconds(), time.Duration(r.History.Header.End).Seconds()/wall.Seconds())
	if !r.OK() {
		return exitViolation
	}
	return exitOK
}

// runJSON is `zoosim run --json`'s output.
type runJSON struct {
	Seed      uint64                `json:"seed"`
	Scenario  json.RawMessage       `json:"scenario"`
	Commit    string                `json:"commit"`
	Status    string                `json:"status"`
	Verdicts  []reports.VerdictJSON `json:"verdicts"`
	Outcome   testbed.Outcome       `json:"outcome"`
	TraceHash string                `json:"trace_hash"`
	Replay    string                `json:"replay"`
	Folder    string                `json:"folder"`
}

func runReport(r *testbed.Result, replay, folder string) runJSON {
	h := r.History
	o := r.Outcome()
	o.Folder = folder
	return runJSON{Seed: r.Seed, Scenario: h.Header.Scenario, Commit: h.Header.Commit, Status: r.Status().String(),
		Verdicts: reports.VerdictsJSON(r.Verdicts), Outcome: o, TraceHash: fmt.Sprintf("%#016x", h.Header.TraceHash),
		Replay: replay, Folder: folder}
}

// writeJSON writes v as indented JSON and a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
