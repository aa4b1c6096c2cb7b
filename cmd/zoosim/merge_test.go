package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sweepShard runs `zoosim sweep` of seeds 1..n, shard, into out, and returns the shard's folder.
func sweepShard(t *testing.T, out, seeds, shard string, extra ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args := sweepArgs(append([]string{"--seeds", seeds, "--shard", shard, "--out", out}, extra...)...)
	if code := run(args, &stdout, &stderr); code != exitOK {
		t.Fatalf("%v: exit %d:\n%s%s", args, code, stdout.String(), stderr.String())
	}
	i, n, _ := strings.Cut(shard, "/")
	return filepath.Join(out, "shard-"+i+"-of-"+n)
}

// Folders that are not shards of one sweep do not merge: one line says which and why.
func TestMergeRefusesFoldersOfDifferentSweeps(t *testing.T) {
	out := t.TempDir()
	shard0 := sweepShard(t, out, "4", "0/2")
	otherScenario := sweepShard(t, t.TempDir(), "4", "1/2", "--duration", "2s")
	otherCount := sweepShard(t, t.TempDir(), "4", "1/3")
	otherRange := sweepShard(t, t.TempDir(), "2", "1/2")
	otherCheckers := sweepShard(t, t.TempDir(), "4", "1/2", "--checkers", "zab")
	damaged := sweepShard(t, t.TempDir(), "4", "1/2")
	if err := os.WriteFile(filepath.Join(damaged, outcomesFile), []byte("{\"seed\":2}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notAFolder := filepath.Join(shard0, summaryFile)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{shard0, otherScenario}, "ran different scenarios"},
		{[]string{shard0, otherCount}, "is shard 0/2 and " + otherCount + " is shard 1/3"},
		{[]string{shard0, otherRange}, "swept seeds 1..4 and " + otherRange + " seeds 1..2"},
		{[]string{shard0, otherCheckers}, "ran different checkers"},
		{[]string{shard0, shard0}, "shard 0/2 given twice"},
		{[]string{shard0, damaged}, filepath.Join(damaged, outcomesFile) + ":2: not an outcome"},
		{[]string{t.TempDir()}, "not a sweep folder"},
		{[]string{notAFolder}, "is not a folder"},
		{[]string{"/does/not/exist"}, "no such file"},
		{nil, "no sweep folder given"},
		{[]string{"--bogus", shard0}, "flag provided but not defined"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"merge"}, c.args...), &stdout, &stderr)
		if code != exitUsage || strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("merge %v: exit %d, %q; want %d and one line with %q", c.args, code, stderr.String(), exitUsage, c.want)
		}
	}
}

// A merge with a shard missing, or of shards built from different commits, warns (one line
// each); seeds that did not run make it exit 1.
func TestMergeWarnsOfMissingShardsAndOtherCommits(t *testing.T) {
	out := t.TempDir()
	shard0 := sweepShard(t, out, "4", "0/2")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"merge", out}, &stdout, &stderr); code != exitViolation {
		t.Errorf("merge of half a sweep: exit %d, want %d", code, exitViolation)
	}
	for _, want := range []string{"zoosim merge: warning: shard 1/2 is missing: its seeds did not run\n",
		"zoosim merge: warning: 2 of the 4 seeds 1..4 did not run (first: 2, 4)\n"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if !strings.Contains(stdout.String(), "seeds run      2 of 4 (2 not run)") || !strings.Contains(stdout.String(), "status: incomplete") {
		t.Errorf("merge output:\n%s", stdout.String())
	}

	shard1 := sweepShard(t, out, "4", "1/2")
	var s map[string]any
	data, err := os.ReadFile(filepath.Join(shard1, summaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	s["commit"] = "0123abcd"
	if data, err = json.Marshal(s); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shard1, summaryFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"merge", "--json", shard0, shard1}, &stdout, &stderr); code != exitOK {
		t.Errorf("merge of a whole passing sweep: exit %d, want %d:\n%s", code, exitOK, stderr.String())
	}
	if !strings.Contains(stderr.String(), "warning: the folders ran different commits (") || !strings.Contains(stderr.String(), "0123abcd): their trace hashes do not compare") {
		t.Errorf("no warning of different commits:\n%s", stderr.String())
	}
	var merged sweepSummary
	if err := json.Unmarshal(stdout.Bytes(), &merged); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout.String())
	}
	if merged.Runs != 4 || merged.Passed != 4 || merged.NotRun != 0 || !strings.Contains(merged.Commit, "0123abcd") {
		t.Errorf("merged summary %+v", merged)
	}
}
