package reports

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"zoosim/histories"
	"zoosim/sim/cluster"
	"zoosim/testbed"
)

// runFolderFiles are the files every run folder holds.
func runFolderFiles() []string {
	files := []string{testbed.HistoryFile, ScenarioFile, VerdictsFile, MetricsFile, ReportFile}
	for _, p := range RunPlots() {
		files = append(files, p+".png", p+".svg")
	}
	return files
}

func TestRunFolderHasEveryFile(t *testing.T) {
	r := smallRun(t)
	dir := filepath.Join(t.TempDir(), "seed-2")
	const replay = "go run ./cmd/zoosim run --seed 2 --servers 3 --clients 4 --duration 3s"
	if err := WriteRunFolder(dir, r, replay); err != nil {
		t.Fatal(err)
	}
	for _, name := range runFolderFiles() {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Size() == 0 {
			t.Errorf("%s: missing or empty (%v)", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, LinearizableFile)); err == nil {
		t.Errorf("a passing run has %s", LinearizableFile)
	}

	// The history reads back as the run's; the scenario as the run's.
	h, err := testbed.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if h.Header.TraceHash != r.History.Header.TraceHash || len(h.Ops) != len(r.History.Ops) {
		t.Errorf("history.jsonl: trace hash %#x and %d ops, want %#x and %d", h.Header.TraceHash, len(h.Ops), r.History.Header.TraceHash, len(r.History.Ops))
	}
	data, err := os.ReadFile(filepath.Join(dir, ScenarioFile))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := cluster.ParseScenario(data)
	if err != nil || !bytes.Equal(sc.JSON(), r.Scenario.JSON()) {
		t.Errorf("scenario.json does not read back as the run's scenario (%v):\n%s", err, data)
	}

	var verdicts verdictsFile
	data, _ = os.ReadFile(filepath.Join(dir, VerdictsFile))
	if err := json.Unmarshal(data, &verdicts); err != nil {
		t.Fatalf("verdicts.json: %v", err)
	}
	if verdicts.Seed != 2 || verdicts.Status != r.Status().String() || len(verdicts.Verdicts) != len(r.Verdicts) {
		t.Errorf("verdicts.json: %+v", verdicts)
	}
	for i, v := range verdicts.Verdicts {
		if v.Checker != r.Verdicts[i].Checker || v.Status != r.Verdicts[i].Status.String() {
			t.Errorf("verdicts.json[%d] = %s %s, want %s %s", i, v.Checker, v.Status, r.Verdicts[i].Checker, r.Verdicts[i].Status)
		}
	}

	for _, p := range RunPlots() {
		f, err := os.Open(filepath.Join(dir, p+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 500 || img.Bounds().Dy() < 200 {
			t.Errorf("%s.png: not a plot-sized PNG (%v)", p, err)
			continue
		}
		svg, _ := os.ReadFile(filepath.Join(dir, p+".svg"))
		if !bytes.Contains(svg, []byte("<svg")) {
			t.Errorf("%s.svg is no SVG", p)
		}
	}

	page, _ := os.ReadFile(filepath.Join(dir, ReportFile))
	checkSelfContained(t, ReportFile, string(page))
	embedded := regexp.MustCompile(`<img src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"`).FindAllString(string(page), -1)
	if len(embedded) != len(RunPlots()) {
		t.Errorf("report.html embeds %d plots, want %d", len(embedded), len(RunPlots()))
	}
	for _, want := range []string{replay, "trace hash", "Fault timeline", "Verdicts", `"servers": 3`} {
		if !strings.Contains(htmlUnescape(string(page)), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, v := range r.Verdicts {
		if !strings.Contains(string(page), "<td>"+v.Checker+"</td>") {
			t.Errorf("report.html lacks the verdict of %s", v.Checker)
		}
	}
	for i := range r.History.Faults {
		if label := faultLabel(&r.History.Faults[i]); !strings.Contains(string(page), label) {
			t.Errorf("report.html's fault list lacks %q", label)
		}
	}
}

// externalRef finds what would make a browser fetch something: an src, href or srcset (the
// latter in any attribute) with a scheme or a network-path reference, a CSS url() or @import
// of anything but a data URI. Links to the files next to the page (relative hrefs) and data
// URIs are fine.
var externalRef = regexp.MustCompile(`(?i)(src|href|srcset|action|poster|data)\s*=\s*["']?\s*(https?:|//|ftp:|ws:)|url\(\s*["']?\s*(https?:|//)|@import`)

// checkSelfContained fails when page refers to anything outside itself, directly or inside
// the srcdoc of an iframe.
func checkSelfContained(t *testing.T, name, page string) {
	t.Helper()
	for _, text := range []string{page, htmlUnescape(page)} {
		if m := externalRef.FindString(text); m != "" {
			t.Errorf("%s refers to something outside itself: %q", name, m)
		}
	}
	for _, m := range regexp.MustCompile(`<script[^>]*\ssrc=|<link[^>]*\shref=`).FindAllString(page, -1) {
		t.Errorf("%s loads a script or a style sheet: %q", name, m)
	}
}

// htmlUnescape undoes attribute escaping, so that checkSelfContained also reads srcdoc pages.
func htmlUnescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`, "&quot;", `"`, "&#39;", "'", "&amp;", "&").Replace(s)
}

// A failing linearizable verdict brings porcupine's visualization into the report, inline,
// with the faults as annotations.
func TestReportEmbedsPorcupineForALinearizabilityFailure(t *testing.T) {
	r := nonLinearizableRun(t)
	dir := t.TempDir()
	if err := WriteReport(dir, r, "replay-me"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, testbed.HistoryFile)); err == nil {
		t.Errorf("WriteReport wrote the history")
	}
	vis, err := os.ReadFile(filepath.Join(dir, LinearizableFile))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(dir, ReportFile))
	checkSelfContained(t, ReportFile, string(page))
	m := regexp.MustCompile(`<iframe class="porcupine"[^>]*srcdoc="([^"]*)"`).FindStringSubmatch(string(page))
	if m == nil {
		t.Fatalf("report.html has no porcupine iframe")
	}
	if len(m[1]) < len(vis) || !strings.Contains(htmlUnescape(m[1]), "<script") {
		t.Errorf("the iframe's srcdoc (%d bytes) does not hold the visualization (%d bytes)", len(m[1]), len(vis))
	}
	// The small run's faults overlap its writes, so the visualization (cut to the failing
	// partition's window) carries at least one as an annotation (models' faultAnnotations).
	if !regexp.MustCompile(`fault \d+ [a-z-]+ from \d+\.\d+s`).Match(vis) {
		t.Errorf("porcupine's visualization has no fault annotation")
	}
}

// The report of the same run is the same file, but for nothing: no wall-clock time or map
// order reaches it.
func TestReportIsDeterministic(t *testing.T) {
	r := smallRun(t)
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := WriteRunFolder(dir, r, "replay"); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range runFolderFiles() {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two reports of the same run", name)
		}
	}
}

func TestWriteRunFolderErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteRunFolder(filepath.Join(file, "sub"), smallRun(t), "")
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("a folder under a file: error %v, want one line", err)
	}
}

// Runs at the edges draw too: no ops at all; an op that never returned and a fault still on
// when the run ended (only a failed run leaves one open).
func TestReportOfEdgeCases(t *testing.T) {
	empty := handResult(1, nil)
	empty.History.Ops, empty.History.Faults = nil, nil
	open := handResult(2, nil)
	open.History.Faults = append(open.History.Faults, histories.Fault{ID: 2, Kind: histories.FaultPartition,
		Groups: [][]int{{0}, {1, 2}}, Start: 2e9, StartSeq: 1000, End: histories.Never})
	for _, r := range []*testbed.Result{empty, open} {
		dir := t.TempDir()
		if err := WriteRunFolder(dir, r, "replay"); err != nil {
			t.Fatalf("seed %d: %v", r.Seed, err)
		}
		for _, name := range runFolderFiles() {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
				t.Errorf("seed %d: %s missing or empty (%v)", r.Seed, name, err)
			}
		}
	}
}
