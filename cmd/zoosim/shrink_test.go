package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"zoosim/sim/cluster"
	"zoosim/testbed"
	"zoosim/zab"
)

// savedRun runs sc with seed and saves it as a run folder under a temporary directory.
func savedRun(t *testing.T, sc cluster.Scenario, seed uint64) (string, *testbed.Result) {
	t.Helper()
	r, err := testbed.Run(sc, seed, testbed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	folder, err := saveRun(t.TempDir(), r)
	if err != nil {
		t.Fatal(err)
	}
	return folder, r
}

// failingRun is a small run of skip-truncate-on-sync (its catch's scenario with 4 clients and a
// 3 s safety phase) that fails at seed 1, saved as a run folder.
func failingRun(t *testing.T) string {
	t.Helper()
	i := slices.IndexFunc(testbed.VariantCatches(), func(c testbed.VariantCatch) bool { return c.Variant == zab.SkipTruncateOnSync })
	sc := testbed.VariantCatches()[i].Flawed()
	sc.Clients, sc.Safety = 4, cluster.Duration(3*time.Second)
	folder, r := savedRun(t, sc, 1)
	if r.OK() {
		t.Fatalf("the run passes; the test needs a failing one:\n%s", r.Table())
	}
	return folder
}

// Shrinking a saved failing run writes a new run folder with fewer faults whose replay
// reproduces the failure; the report names the schedule, the stats and the replay command.
func TestShrinkCommandWritesAFolderThatReplays(t *testing.T) {
	folder := failingRun(t)
	out := t.TempDir()
	var a, errb bytes.Buffer
	if code := run([]string{"shrink", "--out", out, "--max-runs", "150", folder}, &a, &errb); code != exitViolation {
		t.Fatalf("shrink exit %d, want %d:\n%s%s", code, exitViolation, a.String(), errb.String())
	}
	text := a.String()
	shrunk := regexp.MustCompile(`(?m)^run folder: (.*)$`).FindStringSubmatch(text)
	faults := regexp.MustCompile(`(?m)^shrunk: faults (\d+) -> (\d+),`).FindStringSubmatch(text)
	sched := regexp.MustCompile(`(?m)^fault schedule \((\d+)\):\n((?:  .*\n)*)`).FindStringSubmatch(text)
	if shrunk == nil || faults == nil || sched == nil {
		t.Fatalf("the report lacks the run folder, the stats or the schedule:\n%s", text)
	}
	before, _ := strconv.Atoi(faults[1])
	after, _ := strconv.Atoi(faults[2])
	listed, _ := strconv.Atoi(sched[1])
	if after >= before || after != listed || strings.Count(sched[2], "\n") != listed {
		t.Errorf("faults %d -> %d, a schedule of %d in %d lines:\n%s", before, after, listed, strings.Count(sched[2], "\n"), text)
	}
	if !strings.Contains(text, "replay the shrunk run: "+testbed.ReplayCommand(shrunk[1])) || !strings.HasPrefix(shrunk[1], out) {
		t.Errorf("the shrunk run is not under --out, or its replay command is missing:\n%s", text)
	}
	if !strings.Contains(errb.String(), "accepted") {
		t.Errorf("no progress on stderr:\n%s", errb.String())
	}

	var r bytes.Buffer
	errb.Reset()
	if code := run([]string{"replay", shrunk[1]}, &r, &errb); code != exitViolation {
		t.Fatalf("replay of the shrunk run: exit %d, want %d:\n%s%s", code, exitViolation, r.String(), errb.String())
	}
	if !strings.Contains(r.String(), "reproduced: trace hash") || !strings.Contains(r.String(), "zab            FAIL") {
		t.Fatalf("the shrunk run's replay does not reproduce the zab failure:\n%s", r.String())
	}
}

// --json prints one object; a shrink stopped by --max-runs still writes the smallest failing
// run it found, and says it stopped.
func TestShrinkCommandJSON(t *testing.T) {
	folder := failingRun(t)
	var a, errb bytes.Buffer
	if code := run([]string{"shrink", "--json", "--max-runs", "3", "--checkers", "zab", "--out", t.TempDir(), folder}, &a, &errb); code != exitViolation {
		t.Fatalf("exit %d, want %d:\n%s%s", code, exitViolation, a.String(), errb.String())
	}
	var got shrinkJSON
	if err := json.Unmarshal(a.Bytes(), &got); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, a.String())
	}
	if got.Seed != 1 || got.Status != "FAIL" || got.Stats == nil || !got.Stats.Exhausted || got.Stats.Runs != 3 ||
		!slices.Equal(got.Stats.Checkers, []string{"zab"}) || len(got.Schedule) != got.Stats.FaultsAfter || len(got.Verdicts) != 1 {
		t.Fatalf("unexpected report:\n%s", a.String())
	}
	if _, err := os.Stat(filepath.Join(got.Folder, testbed.HistoryFile)); err != nil {
		t.Fatalf("no shrunk history: %v", err)
	}
}

// A history that passes when re-run has nothing to shrink: exit 0, said on stdout, nothing
// written. So does one whose failing checker --checkers leaves out.
func TestShrinkCommandNothingToShrink(t *testing.T) {
	sc := cluster.SweepScenario()
	sc.Servers, sc.Clients, sc.Safety = 3, 4, cluster.Duration(3*time.Second)
	folder, r := savedRun(t, sc, 1)
	if !r.OK() {
		t.Fatalf("the run fails; the test needs a passing one:\n%s", r.Table())
	}
	out := filepath.Join(t.TempDir(), "shrunk")
	for _, args := range [][]string{
		{"shrink", "--out", out, folder},
		{"shrink", "--out", out, "--checkers", "sessions", failingRun(t)},
	} {
		var a, errb bytes.Buffer
		if code := run(args, &a, &errb); code != exitOK {
			t.Fatalf("%v: exit %d, want %d:\n%s%s", args, code, exitOK, a.String(), errb.String())
		}
		if !strings.Contains(a.String(), "nothing to shrink: the replay of seed 1 gives pass") {
			t.Errorf("%v: does not say there is nothing to shrink:\n%s", args, a.String())
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("something was written to %s (%v)", out, err)
	}
}

// Bad usage or input exits 2 with one line on stderr.
func TestShrinkCommandBadInput(t *testing.T) {
	folder := failingRun(t)
	data, err := os.ReadFile(filepath.Join(folder, testbed.HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	lines[len(lines)/2] = "{\"op\": garbage\n"
	damaged := filepath.Join(t.TempDir(), "damaged.jsonl")
	if err := os.WriteFile(damaged, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"shrink"}, {"shrink", "/does/not/exist"}, {"shrink", damaged}, {"shrink", folder, folder},
		{"shrink", "--max-runs", "0", folder}, {"shrink", "--max-runs", "x", folder},
		{"shrink", "--checkers", "linearisable", folder}, {"shrink", "--bogus", folder},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s%s", args, code, exitUsage, out.String(), errb.String())
		}
		if lines := strings.Count(errb.String(), "\n"); lines != 1 {
			t.Errorf("%v: %d lines of error, want one: %q", args, lines, errb.String())
		}
	}
}

func TestFaultLine(t *testing.T) {
	for _, c := range []struct {
		f    cluster.FaultSpec
		want string
	}{
		{cluster.FaultSpec{Kind: "crash", At: cluster.Duration(1500 * time.Millisecond), For: cluster.Duration(time.Second), Target: "leader"},
			"crash at 1.5s for 1s target leader"},
		{cluster.FaultSpec{Kind: "partition", For: cluster.Duration(time.Second), Groups: [][]int{{0}, {1, 2}}},
			"partition at 0s for 1s groups [[0] [1 2]]"},
		{cluster.FaultSpec{Kind: "client-reset", At: 1, Clients: []int{3}}, "client-reset at 1ns clients [3]"},
		{cluster.FaultSpec{Kind: "disk", Mode: "lost-fsync", Count: 2, Target: "server:1"}, "disk at 0s target server:1 mode lost-fsync count 2"},
	} {
		if got := faultLine(c.f); got != c.want {
			t.Errorf("faultLine(%+v) = %q, want %q", c.f, got, c.want)
		}
	}
}
