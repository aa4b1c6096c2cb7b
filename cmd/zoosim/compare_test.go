package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A compare of the correct protocol and a flawed variant on the same seeds: the table shows
// the variant failing its checker on every seed and the correct protocol passing, the report
// is written, the exit code is 1, and stdout does not depend on how many runs go at once.
func TestCompareTwoVariants(t *testing.T) {
	out := t.TempDir()
	args := func(workers string) []string {
		return []string{"compare", "--seeds", "2", "--servers", "3", "--clients", "4", "--duration", "2s",
			"--checkers", "zxid-order", "--workers", workers, "--out", out, "default", "read-from-uncommitted"}
	}
	var a, errb bytes.Buffer
	if code := run(args("2"), &a, &errb); code != exitViolation {
		t.Fatalf("exit %d, want %d:\n%s%s", code, exitViolation, a.String(), errb.String())
	}
	for _, want := range []string{
		"zoosim compare seeds=1-2 labels=default,read-from-uncommitted workers=2\n",
		"\ndefault                   2     2     0      0 ",
		"\nread-from-uncommitted     2     0     2      0 ",
		"zxid-order 2\n",
		"read-from-uncommitted: 2 of 2 seeds did not pass; the first: go run ./cmd/zoosim run --seed 1 --clients 4 --duration 2s --servers 3 --variant read-from-uncommitted --checkers zxid-order\n",
		"report: " + filepath.Join(out, "compare.html") + "\n",
	} {
		if !strings.Contains(a.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, a.String())
		}
	}
	for _, name := range []string{"compare.html", "compare.csv", "compare-latency-cdf.png", "latency-raw-2-read-from-uncommitted.svg"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("the compare report lacks %s: %v", name, err)
		}
	}
	var b bytes.Buffer
	run(args("1"), &b, &errb)
	if strings.Replace(a.String(), "workers=2", "workers=1", 1) != b.String() {
		t.Errorf("2 workers and 1 worker print different results:\n%s\n---\n%s", a.String(), b.String())
	}
}

// Scenario files are labels too, named by their base names; --json prints the summaries.
func TestCompareScenarioFilesAsJSON(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"three.json": `{"servers": 3, "clients": 3}`, "five.json": `{"servers": 5, "clients": 3}`}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	code := run([]string{"compare", "--seed-from", "4", "--seed-to", "5", "--duration", "2s", "--faults", "none", "--json",
		"--out", t.TempDir(), filepath.Join(dir, "three.json"), filepath.Join(dir, "five.json")}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d, want %d:\n%s%s", code, exitOK, out.String(), errb.String())
	}
	var got compareJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("compare --json: %v:\n%s", err, out.String())
	}
	if !slices.Equal(got.Seeds, []uint64{4, 5}) || len(got.Labels) != 2 || got.Labels[0].Label != "three" || got.Labels[1].Label != "five" {
		t.Fatalf("compare --json: seeds %v, labels %+v", got.Seeds, got.Labels)
	}
	for i, servers := range []int{3, 5} {
		l := got.Labels[i]
		if l.Scenario.Servers != servers || l.Scenario.Faults.Weights == nil || len(l.Scenario.Faults.Weights) != 0 || l.Runs != 2 || l.Pass != 2 || l.Ops == 0 || l.P50ms <= 0 {
			t.Errorf("label %s: %+v", l.Label, l)
		}
	}
}

func TestCompareBadUsageExitsTwoWithOneLine(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"servers": "three"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"compare"}, {"compare", "default"}, {"compare", "default", "bogus"}, {"compare", "default", "default"},
		{"compare", "--seeds", "0", "default", "read-from-uncommitted"},
		{"compare", "--seeds", "2", "--seed-from", "1", "--seed-to", "2", "default", "read-from-uncommitted"},
		{"compare", "--seed-from", "3", "default", "read-from-uncommitted"},
		{"compare", "--seed-from", "5", "--seed-to", "4", "default", "read-from-uncommitted"},
		{"compare", "--workers", "0", "default", "read-from-uncommitted"},
		{"compare", "--variant", "read-from-uncommitted", "default", "read-from-uncommitted"},
		{"compare", "--checkers", "linearisable", "default", "read-from-uncommitted"},
		{"compare", "--servers", "0", "default", "read-from-uncommitted"},
		{"compare", "default", bad}, {"compare", "--bogus", "default", "read-from-uncommitted"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if lines := strings.Count(errb.String(), "\n"); lines != 1 || !strings.HasPrefix(errb.String(), "zoosim compare: ") {
			t.Errorf("%v: want one line of error, got %q", args, errb.String())
		}
	}
}

func TestCompareSeeds(t *testing.T) {
	for _, c := range []struct {
		n                  int
		nSet               bool
		from, to           uint64
		fromSet, toSet, ok bool
		want               []uint64
	}{
		{n: 3, ok: true, want: []uint64{1, 2, 3}},
		{n: 3, nSet: true, ok: true, want: []uint64{1, 2, 3}},
		{n: 5, from: 7, to: 9, fromSet: true, toSet: true, ok: true, want: []uint64{7, 8, 9}},
		{from: 1<<64 - 2, to: 1<<64 - 1, fromSet: true, toSet: true, ok: true, want: []uint64{1<<64 - 2, 1<<64 - 1}},
		{n: 0, nSet: true}, {from: 2, fromSet: true}, {to: 2, toSet: true}, {from: 3, to: 2, fromSet: true, toSet: true},
		{n: 2, nSet: true, from: 1, to: 2, fromSet: true, toSet: true}, {from: 1, to: 1 << 40, fromSet: true, toSet: true},
	} {
		got, err := compareSeeds(c.n, c.nSet, c.from, c.fromSet, c.to, c.toSet)
		if (err == nil) != c.ok || !slices.Equal(got, c.want) {
			t.Errorf("compareSeeds(%+v) = %v, %v", c, got, err)
		}
	}
}
