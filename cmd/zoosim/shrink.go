package main

import (
	"bytes"
	"encoding/json"
	"errors"
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
	register(command{name: "shrink", run: shrinkCommand,
		usage: "shrink [--checkers C] [--max-runs N] [--out DIR] [--json] PATH"})
}

// shrinkCommand is `zoosim shrink`: re-run a saved failing history (a history file or a run
// folder) and shrink it to the smallest scenario, with the same seed, that still fails one of
// the checkers that failed (testbed.Shrink), written as a new run folder.
//
// Exit codes follow the run's: 1 when the shrunk run fails (the usual outcome: it is written,
// with its replay command); 0 when the history passes when re-run, so there is nothing to
// shrink (said on stdout: the code has moved since, or the failure was a checker's that
// --checkers left out); 1 too, with nothing written, when the re-run is only inconclusive or its
// failure does not come back with its fault schedule written out; 2 for bad usage or input. A replay that diverged from the history (a
// history from another commit) is shrunk as this commit runs it, with a note.
//
// stdout is a function of the history, the flags and the commit; progress and wall time go to
// stderr.
func shrinkCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zoosim shrink", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	checkers := fs.String("checkers", "", "comma-separated checkers to keep failing (default: those that fail on the replay); only these run")
	maxRuns := fs.Int("max-runs", testbed.DefaultShrinkRuns, "the most candidate runs the shrink tries")
	out := fs.String("out", filepath.Join(os.TempDir(), "zoosim", "shrunk"), "where the shrunk run folder goes (a seed-N folder inside it)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the text report")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "zoosim shrink: %v (%s)\n", err, usage())
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "zoosim shrink: want one history file or run folder, after the flags (%s)\n", usage())
		return exitUsage
	}
	if *maxRuns < 1 {
		fmt.Fprintf(stderr, "zoosim shrink: --max-runs %d: want at least 1\n", *maxRuns)
		return exitUsage
	}
	opts := testbed.Options{Check: testbed.CheckOptions{Only: splitList(*checkers)}}
	if err := opts.Check.Validate(); err != nil {
		fmt.Fprintf(stderr, "zoosim shrink: --checkers: %v\n", err)
		return exitUsage
	}
	h, err := testbed.Load(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "zoosim shrink: %v\n", err)
		return exitUsage
	}

	var text bytes.Buffer // the text report, written only without --json
	fmt.Fprintf(&text, "zoosim shrink seed=%d commit=%s: %d ops, %d faults, %s simulated\n",
		h.Header.Seed, h.Header.Commit, len(h.Ops), len(h.Faults), models.FormatTime(h.Header.End))
	r, err := testbed.Replay(h, opts)
	diverged := errors.Is(err, cluster.ErrDiverged)
	if err != nil && !diverged {
		fmt.Fprintf(stderr, "zoosim shrink: %v\n", err)
		return exitUsage
	}
	if diverged {
		fmt.Fprintf(&text, "note: the replay diverged from the history (%v); shrinking the run as this commit makes it\n", err)
	}
	report := shrinkJSON{Seed: h.Header.Seed, Commit: h.Header.Commit, Diverged: diverged, Status: r.Status().String()}
	if r.Status() != models.Fail {
		msg := fmt.Sprintf("nothing to shrink: the replay of seed %d gives %s", h.Header.Seed, r.Status())
		return finishShrink(stdout, stderr, *asJSON, &text, report, msg, r)
	}

	fmt.Fprintf(stderr, "shrinking seed %d (failing %s), at most %d runs\n", r.Seed, strings.Join(failedCheckers(r), ", "), *maxRuns)
	start := time.Now()
	m, stats, err := testbed.Shrink(r, testbed.ShrinkOptions{
		Checkers: opts.Check.Only,
		MaxRuns:  *maxRuns,
		OnStep: func(s testbed.ShrinkStep) {
			if s.Failed {
				fmt.Fprintf(stderr, "shrink: %s\n", s)
			}
		},
	})
	if errors.Is(err, testbed.ErrNothingToShrink) {
		return finishShrink(stdout, stderr, *asJSON, &text, report, "nothing to shrink: "+err.Error(), r)
	}
	if err != nil {
		fmt.Fprintf(stderr, "zoosim shrink: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "shrink: %d runs in %.2fs\n", stats.Runs, time.Since(start).Seconds())
	folder, err := saveRun(*out, m)
	if err != nil {
		fmt.Fprintf(stderr, "zoosim shrink: %v\n", err)
		return exitUsage
	}

	sched := m.Scenario.Faults.Schedule
	report.Status = m.Status().String()
	report.Stats = statsJSON(stats)
	report.Scenario = json.RawMessage(m.Scenario.JSON())
	report.Verdicts = reports.VerdictsJSON(m.Verdicts)
	report.Folder, report.Replay = folder, testbed.ReplayCommand(folder)
	for _, f := range sched {
		report.Schedule = append(report.Schedule, faultLine(f))
	}
	if *asJSON {
		if err := writeJSON(stdout, report); err != nil {
			fmt.Fprintf(stderr, "zoosim shrink: %v\n", err)
			return exitUsage
		}
	} else {
		var scenario bytes.Buffer
		_ = json.Indent(&scenario, m.Scenario.JSON(), "", "  ") // Scenario.JSON is valid JSON
		fmt.Fprintf(&text, "shrunk: %s\n", stats)
		fmt.Fprintf(&text, "scenario:\n%s\n", scenario.String())
		fmt.Fprintf(&text, "fault schedule (%d):\n", len(sched))
		for _, line := range report.Schedule {
			fmt.Fprintf(&text, "  %s\n", line)
		}
		fmt.Fprint(&text, m.Table())
		fmt.Fprintf(&text, "status: %s\n", m.Status())
		fmt.Fprintf(&text, "run folder: %s\n", folder)
		fmt.Fprintf(&text, "replay the shrunk run: %s\n", report.Replay)
		_, _ = stdout.Write(text.Bytes())
	}
	if m.OK() {
		return exitOK
	}
	return exitViolation
}

// finishShrink reports a history with nothing to shrink: exit 0 when its replay passes, 1 when
// it is inconclusive (as `zoosim replay` would).
func finishShrink(stdout, stderr io.Writer, asJSON bool, text *bytes.Buffer, report shrinkJSON, msg string, r *testbed.Result) int {
	report.Note = msg
	report.Verdicts = reports.VerdictsJSON(r.Verdicts)
	if asJSON {
		if err := writeJSON(stdout, report); err != nil {
			fmt.Fprintf(stderr, "zoosim shrink: %v\n", err)
			return exitUsage
		}
	} else {
		fmt.Fprint(text, r.Table())
		fmt.Fprintln(text, msg)
		_, _ = stdout.Write(text.Bytes())
	}
	if r.OK() {
		return exitOK
	}
	return exitViolation
}

// failedCheckers names the checkers whose verdict is a failure.
func failedCheckers(r *testbed.Result) []string {
	var names []string
	for _, v := range r.Verdicts {
		if v.Status == models.Fail {
			names = append(names, v.Checker)
		}
	}
	return names
}

// shrinkJSON is `zoosim shrink --json`'s output.
type shrinkJSON struct {
	Seed     uint64 `json:"seed"`
	Commit   string `json:"commit"`
	Diverged bool   `json:"replay_diverged"`
	// Status is the shrunk run's (or, with nothing to shrink, the replay's).
	Status   string                `json:"status"`
	Note     string                `json:"note,omitempty"`
	Stats    *shrinkStats          `json:"stats,omitempty"`
	Scenario json.RawMessage       `json:"scenario,omitempty"`
	Schedule []string              `json:"schedule,omitempty"`
	Verdicts []reports.VerdictJSON `json:"verdicts"`
	Folder   string                `json:"folder,omitempty"`
	Replay   string                `json:"replay,omitempty"`
}

// shrinkStats is testbed.ShrinkStats in JSON output (durations in seconds).
type shrinkStats struct {
	Checkers      []string `json:"checkers"`
	Runs          int      `json:"runs"`
	Accepted      int      `json:"accepted"`
	FaultsBefore  int      `json:"faults_before"`
	FaultsAfter   int      `json:"faults_after"`
	SafetyBefore  float64  `json:"safety_before_s"`
	SafetyAfter   float64  `json:"safety_after_s"`
	ServersBefore int      `json:"servers_before"`
	ServersAfter  int      `json:"servers_after"`
	ClientsBefore int      `json:"clients_before"`
	ClientsAfter  int      `json:"clients_after"`
	Minimal       bool     `json:"minimal"`
	Exhausted     bool     `json:"exhausted"`
}

func statsJSON(s testbed.ShrinkStats) *shrinkStats {
	return &shrinkStats{Checkers: s.Checkers, Runs: s.Runs, Accepted: s.Accepted,
		FaultsBefore: s.FaultsBefore, FaultsAfter: s.FaultsAfter,
		SafetyBefore: s.SafetyBefore.Seconds(), SafetyAfter: s.SafetyAfter.Seconds(),
		ServersBefore: s.ServersBefore, ServersAfter: s.ServersAfter,
		ClientsBefore: s.ClientsBefore, ClientsAfter: s.ClientsAfter,
		Minimal: s.Minimal, Exhausted: s.Exhausted}
}

// faultLine is one schedule entry on one line: its kind, when and for how long, and whatever it
// acts on (cluster.FaultSpec says what each kind uses).
func faultLine(f cluster.FaultSpec) string {
	parts := []string{fmt.Sprintf("%s at %v", f.Kind, f.At)}
	if f.For > 0 {
		parts = append(parts, fmt.Sprintf("for %v", f.For))
	}
	if f.Target != "" {
		parts = append(parts, "target "+string(f.Target))
	}
	if f.Peer != "" {
		parts = append(parts, "peer "+string(f.Peer))
	}
	if len(f.Groups) > 0 {
		parts = append(parts, fmt.Sprintf("groups %v", f.Groups))
	}
	if len(f.Unclog) > 0 {
		parts = append(parts, fmt.Sprintf("unclog %v", f.Unclog))
	}
	if len(f.Clients) > 0 {
		parts = append(parts, fmt.Sprintf("clients %v", f.Clients))
	}
	if f.Mode != "" {
		parts = append(parts, "mode "+f.Mode)
	}
	if f.Count > 0 {
		parts = append(parts, fmt.Sprintf("count %d", f.Count))
	}
	return strings.Join(parts, " ")
}
