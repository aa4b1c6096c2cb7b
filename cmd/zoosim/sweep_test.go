package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"zoosim/reports"
	"zoosim/testbed"
)

// smallSweep are scenario flags for short sweeps: 3 servers, 4 clients, a 3 s safety phase.
var smallSweep = []string{"--servers", "3", "--clients", "4", "--duration", "3s"}

func sweepArgs(extra ...string) []string {
	return append(append([]string{"sweep"}, smallSweep...), extra...)
}

// readOutcomes reads a sweep folder's outcomes.jsonl.
func readOutcomes(t *testing.T, dir string) []testbed.Outcome {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, outcomesFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var outs []testbed.Outcome
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var o testbed.Outcome
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("%s: %v", outcomesFile, err)
		}
		outs = append(outs, o)
	}
	return outs
}

func readSummary(t *testing.T, dir string) sweepSummary {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, summaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var s sweepSummary
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("%s: %v", summaryFile, err)
	}
	return s
}

func outcomeSeeds(outs []testbed.Outcome) []uint64 {
	var seeds []uint64
	for _, o := range outs {
		seeds = append(seeds, o.Seed)
	}
	return seeds
}

// A sweep of the correct protocol passes, prints its range and options first and the summary
// table after, writes outcomes.jsonl (seed order) and summary.json, keeps no run folder, and
// draws no progress bar outside a terminal.
func TestSweepPassesAndWritesItsFolder(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run(sweepArgs("--from", "3", "--to", "6", "--workers", "2", "--out", out), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d, want %d:\n%s%s", code, exitOK, stdout.String(), stderr.String())
	}
	text := stdout.String()
	for _, want := range []string{"zoosim sweep seeds 3..6 (4 seeds), workers=2\nscenario={\"servers\":3,\"clients\":4,",
		"\"safety\":\"3s\"", "out=" + out, "seeds run      4 of 4\npassed         4\nfailed         0\ninconclusive   0\n",
		"  linearizable   0\n", "recovery time  p50 ", "status: pass\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("stdout lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "failing seeds") {
		t.Errorf("a passing sweep lists failing seeds:\n%s", text)
	}
	if e := stderr.String(); strings.Contains(e, "\r") || strings.Count(e, "\n") != 1 || !strings.HasPrefix(e, "wall time ") {
		t.Errorf("stderr should be the wall time alone, no bar: %q", e)
	}
	outs := readOutcomes(t, out)
	if got := outcomeSeeds(outs); !slices.Equal(got, []uint64{3, 4, 5, 6}) {
		t.Fatalf("outcomes for seeds %v, want 3..6", got)
	}
	for _, o := range outs {
		if !o.OK() || o.Folder != "" || o.TraceHash == 0 {
			t.Errorf("seed %d: %+v", o.Seed, o)
		}
	}
	s := readSummary(t, out)
	if s.Seeds != (seedRange{3, 6}) || s.Shard != nil || s.Runs != 4 || s.Passed != 4 || s.Expected != 4 || s.NotRun != 0 ||
		s.Commit != testbed.Commit() || !bytes.Contains(s.Scenario, []byte(`"servers": 3`)) || len(s.Failing) != 0 {
		t.Errorf("summary.json: %+v", s)
	}
	if _, err := os.Stat(filepath.Join(out, reports.SweepFile)); err != nil || !strings.Contains(text, "report: "+filepath.Join(out, reports.SweepFile)) {
		t.Errorf("no sweep report written or named: %v", err)
	}
	if kept, _ := filepath.Glob(filepath.Join(out, "seed-*")); len(kept) > 0 {
		t.Errorf("a passing sweep kept run folders: %v", kept)
	}
}

// A sweep of a flawed protocol exits 1, keeps every failing seed's run folder (which replays),
// and lists each failing seed with its replay command; --json prints summary.json's contents.
func TestSweepOfVariantFailsAndKeepsFolders(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := sweepArgs("--seeds", "3", "--variant", "read-from-uncommitted", "--checkers", "zxid-order", "--out", out, "--json")
	if code := run(args, &stdout, &stderr); code != exitViolation {
		t.Fatalf("exit %d, want %d:\n%s%s", code, exitViolation, stdout.String(), stderr.String())
	}
	var s sweepSummary
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("--json: stdout is not one summary: %v\n%s", err, stdout.String())
	}
	if s.Runs != 3 || s.Failed == 0 || len(s.Failing) != s.Failed+s.Inconclusive || !slices.Equal(s.OnlyCheckers, []string{"zxid-order"}) {
		t.Fatalf("summary %+v", s)
	}
	for _, f := range s.Failing {
		folder := filepath.Join(out, f.Folder)
		if f.Folder == "" || filepath.IsAbs(f.Folder) {
			t.Errorf("seed %d: folder %q, want one relative to the sweep folder", f.Seed, f.Folder)
		}
		if _, err := os.Stat(filepath.Join(folder, testbed.HistoryFile)); err != nil {
			t.Errorf("seed %d: no run folder kept: %v", f.Seed, err)
		}
		if f.Replay != testbed.ReplayCommand(folder) || !slices.Equal(f.Failing, []string{"zxid-order"}) {
			t.Errorf("seed %d: replay %q, failing %v", f.Seed, f.Replay, f.Failing)
		}
		if !strings.Contains(stderr.String(), "kept in "+folder) {
			t.Errorf("seed %d: stderr does not say where it was kept:\n%s", f.Seed, stderr.String())
		}
	}
	if got := readSummary(t, out); got.Failed != s.Failed || len(got.Failing) != len(s.Failing) {
		t.Errorf("summary.json differs from --json's output")
	}

	// The text summary lists the failing seeds with their replay commands, and the first one
	// replays.
	stdout.Reset()
	if code := run(sweepArgs("--seeds", "1", "--variant", "read-from-uncommitted", "--checkers", "zxid-order", "--out", out), &stdout, &stderr); code != exitViolation {
		t.Fatalf("exit %d, want %d", code, exitViolation)
	}
	m := regexp.MustCompile(`(?m)^  seed 1  FAIL  zxid-order: .*\n    replay: go run ./cmd/zoosim replay (.*)$`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no failing seed with its replay command:\n%s", stdout.String())
	}
	if m[1] != filepath.Join(out, "seed-1.2") {
		t.Errorf("the second sweep into one folder kept seed 1 in %s, want a new sibling seed-1.2", m[1])
	}
	var r bytes.Buffer
	if code := run([]string{"replay", "--checkers", "zxid-order", m[1]}, &r, &stderr); code != exitViolation || !strings.Contains(r.String(), "reproduced: trace hash") {
		t.Errorf("replay of the kept folder: exit %d\n%s", code, r.String())
	}
}

// Shards 0/2 and 1/2 of a sweep, given the same --out, write into their own shard folders, and
// `zoosim merge` of that folder gives the unsharded sweep's outcomes (trace hashes included),
// with the failing seeds' folders still found.
func TestShardsMergeToTheUnshardedSweep(t *testing.T) {
	flags := []string{"--seeds", "6", "--variant", "read-from-uncommitted", "--checkers", "zxid-order,linearizable"}
	whole, shards := t.TempDir(), t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run(sweepArgs(append(flags, "--out", whole)...), &stdout, &stderr); code != exitViolation {
		t.Fatalf("unsharded: exit %d:\n%s", code, stderr.String())
	}
	for i, want := range [][]uint64{{1, 3, 5}, {2, 4, 6}} {
		shard := strconv.Itoa(i) + "/2"
		if code := run(sweepArgs(append(flags, "--shard", shard, "--workers", "1", "--out", shards)...), &stdout, &stderr); code != exitViolation {
			t.Fatalf("shard %s: exit %d:\n%s", shard, code, stderr.String())
		}
		dir := filepath.Join(shards, "shard-"+strconv.Itoa(i)+"-of-2")
		if got := outcomeSeeds(readOutcomes(t, dir)); !slices.Equal(got, want) {
			t.Errorf("shard %s ran seeds %v, want %v", shard, got, want)
		}
		if s := readSummary(t, dir); s.Shard == nil || *s.Shard != (shardSpec{i, 2}) || s.Expected != 3 || s.Seeds != (seedRange{1, 6}) {
			t.Errorf("shard %s: summary.json %+v", shard, s)
		}
	}

	merged := filepath.Join(shards, "merged")
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"merge", "--out", merged, shards}, &stdout, &stderr); code != exitViolation {
		t.Fatalf("merge: exit %d, want %d:\n%s%s", code, exitViolation, stdout.String(), stderr.String())
	}
	if strings.Contains(stderr.String(), "warning") {
		t.Errorf("merge of complete shards warned:\n%s", stderr.String())
	}
	want, got := readOutcomes(t, whole), readOutcomes(t, merged)
	if len(got) != len(want) {
		t.Fatalf("merged %d outcomes, the unsharded sweep has %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Folder != "" {
			if _, err := os.Stat(filepath.Join(merged, got[i].Folder, testbed.HistoryFile)); err != nil {
				t.Errorf("seed %d: merged folder %q not found: %v", got[i].Seed, got[i].Folder, err)
			}
		}
		if (got[i].Folder == "") != (want[i].Folder == "") {
			t.Errorf("seed %d: folder %q merged, %q unsharded", got[i].Seed, got[i].Folder, want[i].Folder)
		}
		got[i].Folder, want[i].Folder = "", ""
		if !jsonEqual(t, got[i], want[i]) {
			t.Errorf("seed %d: merged %+v\nunsharded %+v", want[i].Seed, got[i], want[i])
		}
	}
	if _, err := os.Stat(filepath.Join(merged, reports.SweepFile)); err != nil {
		t.Errorf("merge --out wrote no sweep report: %v", err)
	}
	s, w := readSummary(t, merged), readSummary(t, whole)
	if s.Shard != nil || s.Runs != w.Runs || s.Failed != w.Failed || s.Expected != 6 || s.NotRun != 0 || len(s.Merged) != 2 ||
		!jsonEqual(t, s.Checkers, w.Checkers) || s.Recovery != w.Recovery {
		t.Errorf("merged summary %+v\nunsharded %+v", s, w)
	}
	for _, line := range []string{"zoosim merge of 2 sweep folders: seeds 1..6", "seeds run      6 of 6", "status: FAIL"} {
		if !strings.Contains(stdout.String(), line) {
			t.Errorf("merge output lacks %q:\n%s", line, stdout.String())
		}
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

// --shard auto/n takes the shard's index from $JOB_COMPLETION_INDEX, as a Kubernetes Indexed
// Job's pods have it.
func TestShardAutoReadsJobCompletionIndex(t *testing.T) {
	out := t.TempDir()
	t.Setenv(completionIndexEnv, "1")
	var stdout, stderr bytes.Buffer
	if code := run(sweepArgs("--seeds", "4", "--shard", "auto/2", "--out", out), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	dir := filepath.Join(out, "shard-1-of-2")
	if got := outcomeSeeds(readOutcomes(t, dir)); !slices.Equal(got, []uint64{2, 4}) {
		t.Errorf("shard auto/2 with index 1 ran seeds %v, want [2 4]", got)
	}
	if !strings.Contains(stdout.String(), "(4 seeds, shard 1/2: 2 of them)") {
		t.Errorf("the header does not name the shard:\n%s", stdout.String())
	}
	for _, c := range []struct{ env, want string }{
		{"", "$JOB_COMPLETION_INDEX is not set"},
		{"2", `$JOB_COMPLETION_INDEX: shard index "2" out of 0..1`},
		{"one", `$JOB_COMPLETION_INDEX: shard index "one" out of 0..1`},
	} {
		t.Setenv(completionIndexEnv, c.env)
		stderr.Reset()
		if code := run(sweepArgs("--seeds", "4", "--shard", "auto/2", "--out", out), &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("JOB_COMPLETION_INDEX=%q: exit %d, %q; want %d and %q", c.env, code, stderr.String(), exitUsage, c.want)
		}
	}
}

// A sweep stopped before it ends (Ctrl-C) writes what finished and exits 1; a merge of it warns
// that seeds did not run.
func TestInterruptedSweepWritesWhatFinished(t *testing.T) {
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	if code := sweep(ctx, sweepArgs("--seeds", "3", "--out", out)[1:], os.Getenv, &stdout, &stderr); code != exitViolation {
		t.Fatalf("exit %d, want %d:\n%s%s", code, exitViolation, stdout.String(), stderr.String())
	}
	s := readSummary(t, out)
	if !s.Interrupted || s.Runs != 0 || s.NotRun != 3 || !strings.Contains(stdout.String(), "status: incomplete") ||
		!strings.Contains(stderr.String(), "interrupted after 0 of 3 seeds") {
		t.Errorf("summary %+v\n%s%s", s, stdout.String(), stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"merge", out}, &stdout, &stderr); code != exitViolation || !strings.Contains(stderr.String(), "warning: 3 of the 3 seeds 1..3 did not run (first: 1, 2, 3)") {
		t.Errorf("merge of an interrupted sweep: exit %d\n%s", code, stderr.String())
	}
}

func TestSweepBadUsageExitsTwoWithOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"--shard", "3/2"}, {"--shard", "x"}, {"--shard", "1/0"}, {"--shard", "-1/2"}, {"--shard", "auto/x"},
		{"--workers", "0"}, {"--workers", "-2"}, {"--variant", "bogus"}, {"--seeds", "0"}, {"--seeds", "3", "--from", "1"},
		{"--from", "5", "--to", "3"}, {"--from", "5"}, {"--from", "0", "--to", "18446744073709551615"},
		{"--checkers", "nope"}, {"--duration", "-1s"}, {"extra"}, {"--seeds", "x"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"sweep"}, args...), &stdout, &stderr); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if lines := strings.Count(stderr.String(), "\n"); lines != 1 {
			t.Errorf("%v: %d lines of error, want one: %q", args, lines, stderr.String())
		}
		if stdout.Len() > 0 {
			t.Errorf("%v: printed %q before refusing", args, stdout.String())
		}
	}
}

// The Kubernetes manifest's sweep is a valid zoosim command whose shard count is the Job's
// completions, and each index gets its own shard and shard folder.
func TestIndexedJobManifest(t *testing.T) {
	data, err := os.ReadFile("../../deploy/k8s/indexed-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	field := func(name string) string {
		m := regexp.MustCompile(`(?m)^\s+` + name + `: (\S+)$`).FindSubmatch(data)
		if m == nil {
			t.Fatalf("the manifest has no %s", name)
		}
		return string(m[1])
	}
	if mode := field("completionMode"); mode != "Indexed" {
		t.Fatalf("completionMode %s, want Indexed", mode)
	}
	completions, err := strconv.Atoi(field("completions"))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := strconv.Atoi(field("parallelism")); err != nil || p < 1 || p > completions {
		t.Errorf("parallelism %d, want 1..completions (%d)", p, completions)
	}
	// The container's args: the "- " lines under "args:".
	m := regexp.MustCompile(`(?m)^(\s+)args:\n((?:\s+- .*\n)+)`).FindSubmatch(data)
	if m == nil {
		t.Fatal("the manifest has no args list")
	}
	var args []string
	for _, line := range strings.Split(strings.TrimSpace(string(m[2])), "\n") {
		args = append(args, strings.Trim(strings.TrimPrefix(strings.TrimSpace(line), "- "), `"`))
	}
	if args[0] != "sweep" {
		t.Fatalf("the container runs %q, want zoosim sweep", args)
	}
	folders := map[string]bool{}
	for i := range completions {
		c, err := parseSweep(args[1:], func(name string) string {
			if name == completionIndexEnv {
				return strconv.Itoa(i)
			}
			return ""
		})
		if err != nil {
			t.Fatalf("index %d: zoosim %s: %v", i, strings.Join(args, " "), err)
		}
		if c.shard == nil || *c.shard != (shardSpec{i, completions}) || c.out == "" {
			t.Fatalf("index %d: shard %v, out %q; want shard %d/%d and an --out on the volume", i, c.shard, c.out, i, completions)
		}
		folders[filepath.Join(c.out, c.shard.folder())] = true
	}
	if len(folders) != completions {
		t.Errorf("%d shard folders for %d indices", len(folders), completions)
	}
}
