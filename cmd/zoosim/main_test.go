package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"zoosim/sim/cluster"
	"zoosim/testbed"
)

func TestBadUsageExitsTwoWithOneLine(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"servers": "three"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	notHistory := filepath.Join(t.TempDir(), "h.jsonl")
	if err := os.WriteFile(notHistory, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		nil, {"sweep-all"}, {"run", "--seed", "x"}, {"run", "--servers", "0"}, {"run", "--variant", "bogus"},
		{"run", "--duration", "-1s"}, {"run", "extra"}, {"run", "--scenario", "/does/not/exist.json"},
		{"run", "--scenario", bad}, {"run", "--checkers", "linearisable"},
		{"run", "--faults", "crash,meteor"}, {"run", "--faults", ","}, {"run", "--liveness", "0s"},
		{"replay"}, {"replay", "/does/not/exist.jsonl"}, {"replay", notHistory}, {"replay", "a", "b"},
		{"check"}, {"check", "/does/not/exist.jsonl"}, {"check", notHistory}, {"check", "--checkers", "x", notHistory},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if lines := strings.Count(errb.String(), "\n"); lines != 1 {
			t.Errorf("%v: %d lines of error, want one: %q", args, lines, errb.String())
		}
	}
}

// A short run passes its checks, and the same seed prints the same report (trace hash included).
func TestShortRunIsCleanAndDeterministic(t *testing.T) {
	args := []string{"run", "--seed", "7", "--servers", "3", "--clients", "4", "--duration", "3s", "--out", t.TempDir()}
	var a, b, errb bytes.Buffer
	if code := run(args, &a, &errb); code != exitOK {
		t.Fatalf("exit %d:\n%s%s", code, a.String(), errb.String())
	}
	run(args, &b, &errb)
	folder := regexp.MustCompile(`(?m)^(run folder|replay the history|report): .*\n`)
	if folder.ReplaceAllString(a.String(), "") != folder.ReplaceAllString(b.String(), "") {
		t.Fatalf("same seed, different reports:\n%s\n---\n%s", a.String(), b.String())
	}
	for _, want := range []string{"zoosim run seed=7 scenario={", "trace hash: 0x", "status: pass",
		"replay: go run ./cmd/zoosim run --seed 7 --clients 4 --duration 3s --servers 3", "zxid-order", "linearizable"} {
		if !strings.Contains(a.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, a.String())
		}
	}
}

// A run of a flawed protocol exits 1, saves its history, and `zoosim replay` of it reproduces the
// trace hash and the violation.
func TestViolationIsSavedAndReplays(t *testing.T) {
	out := t.TempDir()
	args := []string{"run", "--seed", "3", "--servers", "3", "--clients", "4", "--duration", "3s",
		"--variant", "read-from-uncommitted", "--checkers", "zxid-order", "--out", out}
	var a, errb bytes.Buffer
	if code := run(args, &a, &errb); code != exitViolation {
		t.Fatalf("exit %d, want %d:\n%s%s", code, exitViolation, a.String(), errb.String())
	}
	m := regexp.MustCompile(`(?m)^run folder: (.*)$`).FindStringSubmatch(a.String())
	if m == nil {
		t.Fatalf("no history saved:\n%s", a.String())
	}
	hash := regexp.MustCompile(`(?m)^trace hash: (0x[0-9a-f]+)$`).FindStringSubmatch(a.String())
	var r bytes.Buffer
	if code := run([]string{"replay", "--checkers", "zxid-order", m[1]}, &r, &errb); code != exitViolation {
		t.Fatalf("replay exit %d, want %d:\n%s%s", code, exitViolation, r.String(), errb.String())
	}
	if hash == nil || !strings.Contains(r.String(), "reproduced: trace hash "+hash[1]) || !strings.Contains(r.String(), "zxid-order     FAIL") {
		t.Fatalf("replay did not reproduce the run's trace and violation:\n%s\nrun:\n%s", r.String(), a.String())
	}
	var c bytes.Buffer
	if code := run([]string{"check", m[1]}, &c, &errb); code != exitViolation || !strings.Contains(c.String(), "zxid-order     FAIL") {
		t.Fatalf("check exit %d, want %d and the zxid-order violation:\n%s%s", code, exitViolation, c.String(), errb.String())
	}
	for _, cmd := range []string{"check", "replay"} {
		var j bytes.Buffer
		if code := run([]string{cmd, "--json", "--checkers", "zxid-order", m[1]}, &j, &errb); code != exitViolation {
			t.Fatalf("%s --json exit %d, want %d:\n%s%s", cmd, code, exitViolation, j.String(), errb.String())
		}
		var got historyJSON
		if err := json.Unmarshal(j.Bytes(), &got); err != nil {
			t.Fatalf("%s --json is not one JSON object: %v\n%s", cmd, err, j.String())
		}
		if got.Seed != 3 || got.Status != "FAIL" || len(got.Verdicts) != 1 || got.Verdicts[0].Status != "FAIL" ||
			hash == nil || got.TraceHash != hash[1] || (cmd == "replay") != (got.Reproduced != nil && *got.Reproduced) {
			t.Fatalf("%s --json: %+v", cmd, got)
		}
	}
}

// --json prints one object with the verdicts, and --faults none runs without faults.
func TestRunJSON(t *testing.T) {
	var out, errb bytes.Buffer
	args := []string{"run", "--seed", "2", "--servers", "3", "--clients", "3", "--duration", "2s", "--faults", "none", "--json", "--out", t.TempDir()}
	if code := run(args, &out, &errb); code != exitOK {
		t.Fatalf("exit %d:\n%s%s", code, out.String(), errb.String())
	}
	var got runJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out.String())
	}
	if got.Seed != 2 || got.Status != "pass" || len(got.Verdicts) != len(testbed.CheckersFor(cluster.DefaultScenario())) || got.Outcome.Faults != 0 || got.Folder == "" ||
		!strings.Contains(got.Replay, "--faults none") {
		t.Fatalf("unexpected report: %+v", got)
	}
}
