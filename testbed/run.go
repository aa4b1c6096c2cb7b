package testbed

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"zoosim/histories"
	"zoosim/models"
	"zoosim/sim/cluster"
)

// Options are what a run and its checks need besides the scenario and the seed.
type Options struct {
	// Commit is the source revision for the history's header; "" means Commit().
	Commit string
	// Trace, if not nil, receives the kernel's trace (cluster.RunOptions.Trace).
	Trace io.Writer
	// Progress, if not nil, follows the run in virtual time (cluster.RunOptions.Progress).
	Progress func(done, total time.Duration)
	// Check chooses and tunes the checkers.
	Check CheckOptions
}

// runOptions are the cluster.RunOptions of a run with these options.
func (o Options) runOptions(commit string) cluster.RunOptions {
	return cluster.RunOptions{Commit: commit, Trace: o.Trace, Progress: o.Progress}
}

// Result is one run and its verdicts.
type Result struct {
	// Seed and Scenario are what ran: the scenario as drawn from the seed when Swarm is on.
	Seed     uint64
	Scenario cluster.Scenario
	History  *histories.History
	// Verdicts are the checkers' conclusions, in the order of Checkers.
	Verdicts []models.Verdict
}

// Status is the run's overall status (Overall of its verdicts).
func (r *Result) Status() models.Status { return Overall(r.Verdicts) }

// OK reports whether every verdict is a pass.
func (r *Result) OK() bool { return r.Status() == models.Pass }

// Verdict returns the verdict of the named checker, or nil if it did not run.
func (r *Result) Verdict(checker string) *models.Verdict {
	for i := range r.Verdicts {
		if r.Verdicts[i].Checker == checker {
			return &r.Verdicts[i]
		}
	}
	return nil
}

// Failing returns the names of the checkers that did not pass, in order.
func (r *Result) Failing() []string {
	var names []string
	for i := range r.Verdicts {
		if r.Verdicts[i].Status != models.Pass {
			names = append(names, r.Verdicts[i].Checker)
		}
	}
	return names
}

// Table prints the verdicts, one line each (and one per listed violation).
func (r *Result) Table() string {
	var b strings.Builder
	for i := range r.Verdicts {
		b.WriteString(r.Verdicts[i].String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Run executes sc with seed (cluster.Run) and checks the history (Check). A scenario that
// cannot run, or checker options that name no checker, are errors; whatever the protocol does
// is a verdict.
func Run(sc cluster.Scenario, seed uint64, opts Options) (*Result, error) {
	if err := opts.Check.Validate(); err != nil {
		return nil, err
	}
	commit := opts.Commit
	if commit == "" {
		commit = Commit()
	}
	h, err := cluster.Run(sc, seed, opts.runOptions(commit))
	if err != nil {
		return nil, err
	}
	return judge(h, seed, opts.Check)
}

// Replay runs a history's header again (cluster.Replay) and checks the new run. The error
// wraps cluster.ErrDiverged, with where the runs parted, when the replay did not reproduce the
// history; the result is then the new run's.
func Replay(h *histories.History, opts Options) (*Result, error) {
	if err := opts.Check.Validate(); err != nil {
		return nil, err
	}
	got, err := cluster.Replay(h, opts.runOptions(opts.Commit))
	if got == nil {
		return nil, err
	}
	r, cerr := judge(got, h.Header.Seed, opts.Check)
	if cerr != nil {
		return nil, cerr
	}
	return r, err
}

// judge checks a run's history.
func judge(h *histories.History, seed uint64, opts CheckOptions) (*Result, error) {
	sc, err := cluster.ParseScenario(h.Header.Scenario)
	if err != nil {
		return nil, fmt.Errorf("testbed: the run's header: %w", err)
	}
	vs, err := Check(h, opts)
	if err != nil {
		return nil, err
	}
	return &Result{Seed: seed, Scenario: sc, History: h, Verdicts: vs}, nil
}

// ErrNoHistoryFile is returned by Load for a path that is neither a history file nor a run
// folder holding one.
var ErrNoHistoryFile = errors.New("testbed: no history file")

// HistoryFile is the name of the history in a run folder.
const HistoryFile = "history.jsonl"

// NewRunFolder creates a fresh run folder for seed under dir, dir/seed-<seed> (numbered,
// dir/seed-<seed>.2 and on, when that one already holds a history), and returns its path: a
// folder is never overwritten with another run.
func NewRunFolder(dir string, seed uint64) (string, error) {
	base := filepath.Join(dir, fmt.Sprintf("seed-%d", seed))
	folder := base
	for n := 2; ; n++ {
		if _, err := os.Stat(filepath.Join(folder, HistoryFile)); err != nil {
			break // free, or unusable: MkdirAll says why
		}
		folder = fmt.Sprintf("%s.%d", base, n)
	}
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return "", fmt.Errorf("testbed: a run folder: %w", err)
	}
	return folder, nil
}

// Save writes the run's history as history.jsonl in a new run folder under dir (NewRunFolder)
// and returns the file's path. Package reports writes whole run folders (plots, report); Save
// is for callers that keep only the history.
func Save(dir string, r *Result) (string, error) {
	folder, err := NewRunFolder(dir, r.Seed)
	if err != nil {
		return "", err
	}
	path := filepath.Join(folder, HistoryFile)
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("testbed: saving the history: %w", err)
	}
	if err := histories.Encode(f, r.History); err != nil {
		f.Close()
		return "", fmt.Errorf("testbed: saving the history: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("testbed: saving the history: %w", err)
	}
	return path, nil
}

// Load reads a history file, or the history.jsonl of a run folder. A damaged or foreign file
// is an error naming the problem (histories.ErrBadHistory, histories.ErrNotHistory).
func Load(path string) (*histories.History, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, HistoryFile)
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s does not exist", ErrNoHistoryFile, path)
		}
		return nil, fmt.Errorf("testbed: %w", err)
	}
	defer f.Close()
	h, err := histories.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// ReplayCommand is the one command, run from the repository's root, that replays a saved
// history and checks it again.
func ReplayCommand(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return "go run ./cmd/zoosim replay " + shellQuote(path)
}

// CheckCommand is the command, run from the repository's root, that judges a saved history as
// it is, without running anything (useful when the code has moved since the history was made).
func CheckCommand(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return "go run ./cmd/zoosim check " + shellQuote(path)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
