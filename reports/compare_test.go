package reports

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"zoosim/models"
	"zoosim/testbed"
)

// handCompare is two labels of hand-built runs: "a" with a passing run (seed 1) and one whose
// linearizable verdict failed (seed 2), "b" with one run whose zab verdict was inconclusive.
func handCompare() ([]string, [][]*testbed.Result) {
	return []string{"a", "b"}, [][]*testbed.Result{
		{handResult(1, nil), handResult(2, map[string]models.Status{testbed.CheckerLinearizable: models.Fail})},
		{handResult(1, map[string]models.Status{testbed.CheckerZab: models.Inconclusive})},
	}
}

// Summarize's numbers on handHistory, worked out by hand: label a pools two copies of its 103
// latencies (1..100 ms, 10, 20, 600 ms): the 103rd of 206 is 50 ms, the 204th is 100 ms; each
// run's clients work from 0.1 s to 2.1 s, so 206 completed ops in 4 s are 51.5 ops/s. Label b's
// 103 latencies put 100 ms at the 102nd, its p99, and 600 ms at the 103rd.
func TestSummarize(t *testing.T) {
	labels, runs := handCompare()
	got := Summarize(labels, runs)
	counts := func(fail, incon map[string]int) []CheckerCounts {
		var out []CheckerCounts
		for _, c := range testbed.Checkers() {
			out = append(out, CheckerCounts{Checker: c.Name, Fail: fail[c.Name], Inconclusive: incon[c.Name]})
		}
		return out
	}
	a := counts(map[string]int{testbed.CheckerLinearizable: 1}, nil)
	for i := range a {
		a[i].Pass = 2 - a[i].Fail
	}
	b := counts(nil, map[string]int{testbed.CheckerZab: 1})
	for i := range b {
		b[i].Pass = 1 - b[i].Inconclusive
	}
	want := []LabelSummary{
		{Label: "a", Runs: 2, Pass: 1, Fail: 1, FailingSeeds: []uint64{2}, Checkers: a, Ops: 208, Completed: 206,
			P50: 50 * time.Millisecond, P99: 100 * time.Millisecond, Throughput: 51.5},
		{Label: "b", Runs: 1, Inconclusive: 1, FailingSeeds: []uint64{1}, Checkers: b, Ops: 104, Completed: 103,
			P50: 50 * time.Millisecond, P99: 100 * time.Millisecond, Throughput: 51.5},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summarize (-want +got):\n%s", diff)
	}
	table := CompareTable(got)
	for _, want := range []string{
		"label  runs  pass  FAIL  incon   ops/run       p50       p99     ops/s  not passing (FAIL, inconclusive?)\n",
		"a         2     1     1      0       104      50ms     100ms      51.5  linearizable 1\n",
		"b         1     0     0      1       104      50ms     100ms      51.5  zab 0 (1?)\n",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
}

func TestWriteCompare(t *testing.T) {
	labels, runs := handCompare()
	dir := filepath.Join(t.TempDir(), "cmp")
	if err := WriteCompare(dir, labels, runs); err != nil {
		t.Fatal(err)
	}
	files := []string{CompareFile, CompareCSVFile}
	for _, p := range []string{"compare-latency-cdf", "compare-throughput", "compare-latency-quantiles", "latency-raw-1-a", "latency-raw-2-b"} {
		files = append(files, p+".png", p+".svg")
	}
	for _, name := range files {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: missing or empty (%v)", name, err)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, CompareFile))
	checkSelfContained(t, CompareFile, string(page))
	if n := len(regexp.MustCompile(`<img src="data:image/png;base64,`).FindAllString(string(page), -1)); n != 5 {
		t.Errorf("compare.html embeds %d plots, want 5", n)
	}
	for _, want := range []string{"zoosim compare: a vs b", "<td>a</td>", "<td>b</td>", "1 / 1 / 0", "0 / 0 / 1"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("compare.html lacks %q", want)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(dir, CompareCSVFile))
	if !strings.HasPrefix(string(csv), "label,runs,pass,fail,inconclusive,ops,completed,p50_ms,p99_ms,throughput_per_s,zab_pass,") ||
		!strings.Contains(string(csv), "\na,2,1,1,0,208,206,50.000,100.000,51.500,") {
		t.Errorf("compare.csv:\n%s", csv)
	}
}

func TestWriteCompareRefusesNothing(t *testing.T) {
	labels, runs := handCompare()
	for _, c := range []struct {
		labels []string
		runs   [][]*testbed.Result
	}{{nil, nil}, {labels[:1], runs}, {labels, [][]*testbed.Result{runs[0], nil}}} {
		if err := WriteCompare(t.TempDir(), c.labels, c.runs); !errors.Is(err, ErrNoRuns) {
			t.Errorf("%d labels, %d run sets: error %v, want ErrNoRuns", len(c.labels), len(c.runs), err)
		}
	}
}
