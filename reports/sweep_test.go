package reports

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"zoosim/testbed"
)

// handOutcomes are six seeds of a sweep: 1, 2 and 4 pass; 3 fails two checkers and was saved
// as a run folder with a report; 5 is inconclusive and was saved as a history file; 6 fails,
// did not converge and was not saved.
func handOutcomes(t *testing.T, runs string) []testbed.Outcome {
	folder3 := filepath.Join(runs, "seed-3")
	file5 := filepath.Join(runs, "seed-5", testbed.HistoryFile)
	for _, p := range []string{filepath.Join(folder3, ReportFile), file5} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pass := func(seed uint64, recovery, election float64) testbed.Outcome {
		return testbed.Outcome{Seed: seed, Status: "pass", Servers: 5, Clients: 20, Ops: 1000, Faults: 4, Virtual: 12,
			Converged: true, Recovery: recovery, ElectionMax: election}
	}
	o3 := pass(3, 1.5, 2)
	o3.Status, o3.Failing, o3.First, o3.Folder = "FAIL", []string{testbed.CheckerZab, testbed.CheckerLinearizable}, "a committed txn was lost", folder3
	o5 := pass(5, 0.5, 0.25)
	o5.Status, o5.Failing, o5.Folder = "inconclusive", []string{testbed.CheckerLinearizable}, file5
	o6 := pass(6, 0, 9)
	o6.Status, o6.Failing, o6.Converged, o6.First = "FAIL", []string{testbed.CheckerLiveness}, false, "no leader <for> 9s"
	return []testbed.Outcome{pass(1, 0.25, 0.5), pass(2, 0.75, 1), o3, pass(4, 1, 1.5), o5, o6}
}

func TestWriteSweep(t *testing.T) {
	root := t.TempDir()
	outcomes := handOutcomes(t, filepath.Join(root, "runs"))
	dir := filepath.Join(root, "sweep")
	if err := WriteSweep(dir, outcomes); err != nil {
		t.Fatal(err)
	}
	for _, p := range SweepPlots() {
		for _, ext := range []string{".png", ".svg"} {
			if fi, err := os.Stat(filepath.Join(dir, p+ext)); err != nil || fi.Size() == 0 {
				t.Errorf("%s%s: missing or empty (%v)", p, ext, err)
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, SweepFile))
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	checkSelfContained(t, SweepFile, page)
	if n := len(regexp.MustCompile(`<img src="data:image/png;base64,`).FindAllString(page, -1)); n != len(SweepPlots()) {
		t.Errorf("sweep.html embeds %d plots, want %d", n, len(SweepPlots()))
	}
	for _, want := range []string{
		"zoosim sweep: 6 runs", "Seeds 1-6.",
		// all: 6 runs, 3 pass, 2 FAIL, 1 inconclusive, 1 not converged, 6000 ops, 24 faults, 72 s.
		`<td>all</td><td class="num">6</td><td class="num pass">3</td><td class="num fail">2</td><td class="num inconclusive">1</td><td class="num">1</td><td class="num">6000</td><td class="num">24</td><td class="num">72.0s</td>`,
		// Recovery of the 5 converged runs (0.25 0.5 0.75 1 1.5): p50 0.75, p99 1.5, max 1.5.
		"0.75s / 1.5s / 1.5s",
		`<a href="../runs/seed-3/report.html">report</a>`, `<a href="../runs/seed-3/">`,
		`<a href="../runs/seed-5/history.jsonl">`, "not saved", "no leader &lt;for&gt; 9s",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("sweep.html lacks %q", want)
		}
	}
	for _, seed := range []string{"1", "2", "4"} {
		if strings.Contains(page, `<tr><td class="num">`+seed+`</td>`) {
			t.Errorf("sweep.html lists passing seed %s among the failing ones", seed)
		}
	}
}

func TestViolationsPerChecker(t *testing.T) {
	outcomes := handOutcomes(t, t.TempDir())
	checkers := []string{testbed.CheckerZab, testbed.CheckerLinearizable, testbed.CheckerLiveness, testbed.CheckerWatches}
	got := violationsPerChecker(outcomes, "", checkers)
	if want := []float64{1, 2, 1, 0}; !slices.Equal(got, want) {
		t.Errorf("violations per checker %v = %v, want %v", checkers, got, want)
	}
	if got := violationsPerChecker(outcomes, "other", checkers); !slices.Equal(got, []float64{0, 0, 0, 0}) {
		t.Errorf("another label's violations = %v", got)
	}
}

// Outcomes with labels get a summary row per label and one bar per label.
func TestWriteSweepWithLabels(t *testing.T) {
	outcomes := handOutcomes(t, t.TempDir())
	for i := range outcomes {
		outcomes[i].Label = []string{"x", "y"}[i%2]
	}
	dir := t.TempDir()
	if err := WriteSweep(dir, outcomes); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(dir, SweepFile))
	for _, want := range []string{"<td>x</td>", "<td>y</td>", "<td>all</td>"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("sweep.html lacks the row %q", want)
		}
	}
}

// An empty sweep still draws its (empty) plots and page.
func TestWriteSweepOfNothing(t *testing.T) {
	dir := t.TempDir()
	if err := WriteSweep(dir, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, SweepFile)); err != nil {
		t.Fatal(err)
	}
}
