package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zoosim/reports"
	"zoosim/sim/cluster"
	"zoosim/testbed"
	"zoosim/zab"
)

// reportFolder runs a short scenario (3 servers, 4 clients, 3 s) with the variants and saves it as
// a run folder under a temporary directory; it returns the folder.
func reportFolder(t *testing.T, seed uint64, opts testbed.Options, variants ...zab.Variant) string {
	t.Helper()
	sc := cluster.SweepScenario()
	sc.Servers, sc.Clients = 3, 4
	sc.Safety = cluster.Duration(3 * time.Second)
	sc.Variants = variants
	r, err := testbed.Run(sc, seed, opts)
	if err != nil {
		t.Fatal(err)
	}
	path, err := testbed.Save(t.TempDir(), r)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(path)
}

// `zoosim report` rebuilds a run folder's report from its history: every plot, the page, the
// verdicts of this commit's checkers, and the exit code of the status; the history stays as
// it was.
func TestReportRebuildsARunFolder(t *testing.T) {
	only := testbed.Options{Check: testbed.CheckOptions{Only: []string{testbed.CheckerZxidOrder}}}
	failing := reportFolder(t, 3, only, zab.ReadFromUncommitted)
	history, err := os.ReadFile(filepath.Join(failing, testbed.HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"report", "--checkers", "zxid-order", failing}, &out, &errb); code != exitViolation {
		t.Fatalf("exit %d, want %d:\n%s%s", code, exitViolation, out.String(), errb.String())
	}
	for _, want := range []string{"zoosim report seed=3 ", "zxid-order     FAIL", "status: FAIL", "trace hash: 0x",
		"report: " + filepath.Join(failing, reports.ReportFile)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}
	files := []string{reports.ReportFile, reports.ScenarioFile, reports.VerdictsFile, reports.MetricsFile}
	for _, p := range reports.RunPlots() {
		files = append(files, p+".png", p+".svg")
	}
	for _, name := range files {
		if fi, err := os.Stat(filepath.Join(failing, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: missing or empty after zoosim report (%v)", name, err)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(failing, testbed.HistoryFile)); !bytes.Equal(after, history) {
		t.Errorf("zoosim report changed the history it read")
	}
	page, _ := os.ReadFile(filepath.Join(failing, reports.ReportFile))
	if !strings.Contains(string(page), "go run ./cmd/zoosim replay "+failing) {
		t.Errorf("report.html lacks the replay command of the folder")
	}

	// A history file works too, the report going next to it; a passing run exits 0; --json
	// prints one object.
	passing := reportFolder(t, 7, testbed.Options{})
	out.Reset()
	if code := run([]string{"report", "--json", filepath.Join(passing, testbed.HistoryFile)}, &out, &errb); code != exitOK {
		t.Fatalf("a passing run: exit %d, want %d:\n%s%s", code, exitOK, out.String(), errb.String())
	}
	var got struct {
		Seed     uint64 `json:"seed"`
		Status   string `json:"status"`
		Verdicts []struct {
			Checker string `json:"checker"`
		} `json:"verdicts"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || got.Seed != 7 || got.Status != "pass" || len(got.Verdicts) != len(testbed.CheckersFor(cluster.DefaultScenario())) {
		t.Errorf("report --json: %+v (%v):\n%s", got, err, out.String())
	}
	if _, err := os.Stat(filepath.Join(passing, reports.ReportFile)); err != nil {
		t.Errorf("the report of a history file is not next to it: %v", err)
	}
}

func TestReportBadInputExitsTwoWithOneLine(t *testing.T) {
	empty := t.TempDir()
	damaged := filepath.Join(t.TempDir(), testbed.HistoryFile)
	if err := os.WriteFile(damaged, []byte("{\"format\":\"zoosim-history/1\"\n{{{\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"report"}, {"report", "a", "b"}, {"report", "/does/not/exist"}, {"report", empty},
		{"report", damaged}, {"report", filepath.Dir(damaged)}, {"report", "--checkers", "bogus", empty}, {"report", "--bogus", empty},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if lines := strings.Count(errb.String(), "\n"); lines != 1 || !strings.HasPrefix(errb.String(), "zoosim report: ") {
			t.Errorf("%v: want one line of error, got %q", args, errb.String())
		}
	}
}
