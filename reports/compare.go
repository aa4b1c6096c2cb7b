package reports

import (
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"zoosim/models"
	"zoosim/testbed"
)

// The files of a compare folder besides the plots.
const (
	CompareFile    = "compare.html"
	CompareCSVFile = "compare.csv"
)

// ErrNoRuns is returned by WriteCompare for labels without runs, or a label count that does
// not match the run sets.
var ErrNoRuns = errors.New("reports: nothing to compare")

// CheckerCounts counts one checker's verdicts over a label's runs.
type CheckerCounts struct {
	Checker      string `json:"checker"`
	Pass         int    `json:"pass"`
	Fail         int    `json:"fail"`
	Inconclusive int    `json:"inconclusive"`
}

// LabelSummary sums up one label's runs in a comparison.
type LabelSummary struct {
	Label string
	// Runs counts the runs; Pass, Fail and Inconclusive split them by overall status.
	Runs, Pass, Fail, Inconclusive int
	// FailingSeeds are the seeds of the runs that did not pass, in run order.
	FailingSeeds []uint64
	// Checkers count each checker's verdicts, in testbed.Checkers order.
	Checkers []CheckerCounts
	// Ops counts the runs' ops; Completed those that returned.
	Ops, Completed int
	// P50 and P99 are the nearest-rank quantiles of every returned op's latency, all runs
	// pooled.
	P50, P99 time.Duration
	// Throughput is the completed ops per second of the time clients were at work (each run's
	// first invoke to its last return), over all runs.
	Throughput float64
}

// Summarize sums up each label's runs (runs[i] are labels[i]'s).
func Summarize(labels []string, runs [][]*testbed.Result) []LabelSummary {
	out := make([]LabelSummary, len(labels))
	for i, label := range labels {
		var rs []*testbed.Result
		if i < len(runs) {
			rs = runs[i]
		}
		out[i] = summarize(label, rs, runDatas(rs))
	}
	return out
}

func runDatas(rs []*testbed.Result) []*runData {
	ds := make([]*runData, len(rs))
	for i, r := range rs {
		ds[i] = newRunData(r.History)
	}
	return ds
}

func summarize(label string, rs []*testbed.Result, ds []*runData) LabelSummary {
	s := LabelSummary{Label: label, Runs: len(rs)}
	counts := map[string]*CheckerCounts{}
	var order []string
	var active time.Duration
	var all []time.Duration
	for i, r := range rs {
		switch r.Status() {
		case models.Pass:
			s.Pass++
		case models.Fail:
			s.Fail++
		default:
			s.Inconclusive++
		}
		if !r.OK() {
			s.FailingSeeds = append(s.FailingSeeds, r.Seed)
		}
		for _, v := range r.Verdicts {
			c := counts[v.Checker]
			if c == nil {
				c = &CheckerCounts{Checker: v.Checker}
				counts[v.Checker] = c
				order = append(order, v.Checker)
			}
			switch v.Status {
			case models.Pass:
				c.Pass++
			case models.Fail:
				c.Fail++
			default:
				c.Inconclusive++
			}
		}
		d := ds[i]
		s.Ops += len(d.samples)
		s.Completed += d.completed()
		active += d.activeSpan()
		all = append(all, latencies(d.samples, nil)...)
	}
	sortCheckers(order)
	for _, name := range order {
		s.Checkers = append(s.Checkers, *counts[name])
	}
	slices.Sort(all)
	if len(all) > 0 {
		s.P50, s.P99 = nearestRank(all, 0.50), nearestRank(all, 0.99)
	}
	if active > 0 {
		s.Throughput = float64(s.Completed) / active.Seconds()
	}
	return s
}

// sortCheckers orders checker names as testbed.Checkers does, unknown names last by name.
func sortCheckers(names []string) {
	rank := func(n string) int {
		for i, c := range testbed.Checkers() {
			if c.Name == n {
				return i
			}
		}
		return math.MaxInt
	}
	slices.SortStableFunc(names, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			if ra < rb {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
}

// failingCheckers lists the checkers that did not always pass: "zab 3, linearizable 1 (1?)",
// with the inconclusive verdicts in parentheses; "-" when every verdict passed.
func (s LabelSummary) failingCheckers() string {
	var parts []string
	for _, c := range s.Checkers {
		if c.Fail == 0 && c.Inconclusive == 0 {
			continue
		}
		part := c.Checker + " " + strconv.Itoa(c.Fail)
		if c.Inconclusive > 0 {
			part += fmt.Sprintf(" (%d?)", c.Inconclusive)
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// CompareTable prints the summaries as a fixed-width table: per label the runs by status, ops
// per run, the pooled p50 and p99 latency, the throughput and each checker that did not always
// pass with its failures (and inconclusive verdicts, marked "?").
func CompareTable(rows []LabelSummary) string {
	width := len("label")
	for _, r := range rows {
		width = max(width, len(r.Label))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s %5s %5s %5s %6s %9s %9s %9s %9s  %s\n", width, "label", "runs", "pass", "FAIL", "incon",
		"ops/run", "p50", "p99", "ops/s", "not passing (FAIL, inconclusive?)")
	for _, r := range rows {
		perRun := 0
		if r.Runs > 0 {
			perRun = r.Ops / r.Runs
		}
		fmt.Fprintf(&b, "%-*s %5d %5d %5d %6d %9d %9s %9s %9.1f  %s\n", width, r.Label, r.Runs, r.Pass, r.Fail,
			r.Inconclusive, perRun, formatLatency(r.P50), formatLatency(r.P99), r.Throughput, r.failingCheckers())
	}
	return b.String()
}

// formatLatency prints a latency with three significant digits and its unit.
func formatLatency(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return formatMillis(millis(d))
}

// WriteCompare writes a comparison of labeled sets of runs on the same seeds (runs[i] are
// labels[i]'s) into dir, creating it: the variants overlaid in plots (latency CDF, throughput
// per window, latency p50 and p99 per window, each label one color), each label's first run's
// latency-raw plot side by side on one latency scale, compare.csv (the Summarize table) and
// compare.html, one self-contained page with the table and the plots.
func WriteCompare(dir string, labels []string, runs [][]*testbed.Result) error {
	if len(labels) == 0 || len(labels) != len(runs) {
		return fmt.Errorf("%w: %d labels for %d sets of runs", ErrNoRuns, len(labels), len(runs))
	}
	for i, rs := range runs {
		if len(rs) == 0 {
			return fmt.Errorf("%w: label %q has no runs", ErrNoRuns, labels[i])
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	data := make([][]*runData, len(runs))
	summaries := make([]LabelSummary, len(runs))
	for i, rs := range runs {
		data[i] = runDatas(rs)
		summaries[i] = summarize(labels[i], rs, data[i])
	}
	if err := writeFile(dir, CompareCSVFile, func(w io.Writer) error { return writeCompareCSV(w, summaries) }); err != nil {
		return fmt.Errorf("reports: %s: %w", CompareCSVFile, err)
	}
	overlaid, err := renderFigures(dir, compareFigures(labels, data))
	if err != nil {
		return err
	}
	var rr rawRange
	for i := range data {
		r := data[i][0].rawRange()
		if i == 0 {
			rr = r
		} else {
			rr = rr.union(r)
		}
	}
	var side []figure
	for i, label := range labels {
		d, seed := data[i][0], runs[i][0].Seed
		side = append(side, figure{name: fmt.Sprintf("latency-raw-%d-%s", i+1, fileSlug(label)), width: figureWidth, height: 5.2 * vg.Inch,
			caption: fmt.Sprintf("%s, seed %d: every op's latency, on the same scale for every label.", label, seed),
			build: func() (*plot.Plot, *plot.Legend, error) {
				return latencyRawPlot(d, fmt.Sprintf("%s, seed %d", label, seed), rr)
			}})
	}
	sideBySide, err := renderFigures(dir, side)
	if err != nil {
		return err
	}
	page := comparePage{Labels: labels, Rows: summaries,
		Plots: figureViews(overlaid, true), SideBySide: figureViews(sideBySide, true)}
	seeds := map[uint64]bool{}
	for _, r := range runs[0] {
		if !seeds[r.Seed] {
			seeds[r.Seed] = true
			page.Seeds = append(page.Seeds, r.Seed)
		}
	}
	page.SeedRange = seedRange(page.Seeds)
	for i := range labels {
		page.Scenarios = append(page.Scenarios, scenarioView{Label: labels[i], JSON: string(runs[i][0].Scenario.JSON())})
	}
	if err := writeTemplate(filepath.Join(dir, CompareFile), compareTemplate, page); err != nil {
		return fmt.Errorf("reports: %s: %w", CompareFile, err)
	}
	return nil
}

// seedRange prints seeds compactly: "1-20" for a run of consecutive seeds, else a list.
func seedRange(seeds []uint64) string {
	if len(seeds) == 0 {
		return "none"
	}
	sorted := slices.Clone(seeds)
	slices.Sort(sorted)
	var parts []string
	for i := 0; i < len(sorted); {
		j := i
		for j+1 < len(sorted) && sorted[j+1] == sorted[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", sorted[i], sorted[j]))
		} else {
			parts = append(parts, strconv.FormatUint(sorted[i], 10))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

var slugUnsafe = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fileSlug makes a label safe as part of a file name.
func fileSlug(label string) string {
	s := strings.Trim(slugUnsafe.ReplaceAllString(label, "_"), "_.")
	if s == "" {
		s = "run"
	}
	return s
}

func writeCompareCSV(w io.Writer, rows []LabelSummary) error {
	cw := csv.NewWriter(w)
	var checkers []string
	for _, r := range rows {
		for _, c := range r.Checkers {
			if !slices.Contains(checkers, c.Checker) {
				checkers = append(checkers, c.Checker)
			}
		}
	}
	sortCheckers(checkers)
	header := []string{"label", "runs", "pass", "fail", "inconclusive", "ops", "completed", "p50_ms", "p99_ms", "throughput_per_s"}
	for _, c := range checkers {
		header = append(header, c+"_pass", c+"_fail", c+"_inconclusive")
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, r := range rows {
		rec := []string{r.Label, strconv.Itoa(r.Runs), strconv.Itoa(r.Pass), strconv.Itoa(r.Fail), strconv.Itoa(r.Inconclusive),
			strconv.Itoa(r.Ops), strconv.Itoa(r.Completed), strconv.FormatFloat(millis(r.P50), 'f', 3, 64),
			strconv.FormatFloat(millis(r.P99), 'f', 3, 64), strconv.FormatFloat(r.Throughput, 'f', 3, 64)}
		for _, name := range checkers {
			var c CheckerCounts
			for _, x := range r.Checkers {
				if x.Checker == name {
					c = x
				}
			}
			rec = append(rec, strconv.Itoa(c.Pass), strconv.Itoa(c.Fail), strconv.Itoa(c.Inconclusive))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// compareFigures are the overlaid plots of a comparison.
func compareFigures(labels []string, data [][]*runData) []figure {
	return []figure{
		{name: "compare-latency-cdf", width: figureWidth, height: 4 * vg.Inch,
			caption: "The latency distribution of every op that returned, each label's runs pooled.",
			build:   func() (*plot.Plot, *plot.Legend, error) { return compareCDF(labels, data) }},
		{name: "compare-throughput", width: figureWidth, height: 3.8 * vg.Inch,
			caption: "Ops completed per second in each window, the mean over each label's runs (a run counts in the windows it lasted).",
			build:   func() (*plot.Plot, *plot.Legend, error) { return compareThroughput(labels, data) }},
		{name: "compare-latency-quantiles", width: figureWidth, height: 3.8 * vg.Inch,
			caption: "p99 (solid) and p50 (dashed) latency of the ops invoked in each window, each label's runs pooled.",
			build:   func() (*plot.Plot, *plot.Legend, error) { return compareQuantiles(labels, data) }},
	}
}

// compareSpan is the longest run of a comparison and its metrics window.
func compareSpan(data [][]*runData) (float64, time.Duration) {
	var span float64
	for _, ds := range data {
		for _, d := range ds {
			span = math.Max(span, seconds(d.span))
		}
	}
	return math.Max(span, 1e-9), Window(time.Duration(span * float64(time.Second)))
}

func labelTitle(labels []string) string {
	if len(labels) <= 4 {
		return strings.Join(labels, " vs ")
	}
	return fmt.Sprintf("%d labels", len(labels))
}

func compareCDF(labels []string, data [][]*runData) (*plot.Plot, *plot.Legend, error) {
	p := newPlot(labelTitle(labels)+": latency distribution", "latency", "fraction of ops at or below")
	legend := newLegend()
	legend.Add("labels:")
	pooled := make([][]time.Duration, len(data))
	floor, hi := math.Inf(1), 0.0
	for i, ds := range data {
		for _, d := range ds {
			pooled[i] = append(pooled[i], latencies(d.samples, nil)...)
			floor = math.Min(floor, latencyFloor(d.samples))
		}
		slices.Sort(pooled[i])
		if n := len(pooled[i]); n > 0 {
			hi = math.Max(hi, millis(pooled[i][n-1]))
		}
	}
	lo, top := logRange(floor, math.Max(hi, floor)*1.01)
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, latencyTicks{}
	p.X.Min, p.X.Max = lo, top
	p.Y.Min, p.Y.Max = 0, 1.02
	for i, lat := range pooled {
		if len(lat) == 0 {
			continue
		}
		l := cdfLine(cdfPoints(lat, lo), paletteColor(i), 1.6, nil)
		p.Add(unboxed{l})
		legend.Add(labels[i], l)
	}
	return p, legend, nil
}

func compareThroughput(labels []string, data [][]*runData) (*plot.Plot, *plot.Legend, error) {
	p := newPlot(labelTitle(labels)+": throughput per window", "virtual time (s)", "completed ops/s (mean over runs)")
	legend := newLegend()
	legend.Add("labels:")
	span, window := compareSpan(data)
	p.X.Min, p.X.Max = 0, span
	hi := 1.0
	var lines []*plotter.Line
	for i, ds := range data {
		var sum []float64
		var n []int
		var ends []float64
		for _, d := range ds {
			for wi, r := range windowRows(d.metrics(window), AllKinds) {
				if wi == len(sum) {
					sum, n, ends = append(sum, 0), append(n, 0), append(ends, seconds(r.End))
				}
				sum[wi] += r.Throughput
				n[wi]++
				ends[wi] = math.Max(ends[wi], seconds(r.End))
			}
		}
		var xys plotter.XYs
		for wi := range sum {
			mean := sum[wi] / float64(n[wi])
			hi = math.Max(hi, mean)
			xys = append(xys, plotter.XY{X: float64(wi) * window.Seconds(), Y: mean})
		}
		end := span
		if len(ends) > 0 {
			end = ends[len(ends)-1]
		}
		l := stepLine(xys, end, paletteColor(i), 1.4)
		lines = append(lines, l)
		legend.Add(labels[i], l)
	}
	for _, l := range lines {
		p.Add(unboxed{l})
	}
	p.Y.Min, p.Y.Max = 0, hi*1.08
	return p, legend, nil
}

func compareQuantiles(labels []string, data [][]*runData) (*plot.Plot, *plot.Legend, error) {
	p := newPlot(labelTitle(labels)+": latency p99 and p50 per window", "virtual time (s)", "latency")
	legend := newLegend()
	legend.Add("labels (p99 solid, p50 dashed):")
	span, window := compareSpan(data)
	p.X.Min, p.X.Max = 0, span
	w := window
	nWindows := int(span/w.Seconds()) + 1
	floor, hi := math.Inf(1), 0.0
	type series struct{ p50, p99 []float64 }
	all := make([]series, len(data))
	for i, ds := range data {
		buckets := make([][]time.Duration, nWindows)
		for _, d := range ds {
			floor = math.Min(floor, latencyFloor(d.samples))
			for _, s := range d.samples {
				if s.returned() {
					wi := min(int(time.Duration(s.invoke)/w), nWindows-1)
					buckets[wi] = append(buckets[wi], s.latency())
				}
			}
		}
		all[i] = series{p50: make([]float64, nWindows), p99: make([]float64, nWindows)}
		for wi, b := range buckets {
			all[i].p50[wi], all[i].p99[wi] = math.NaN(), math.NaN()
			if len(b) == 0 {
				continue
			}
			slices.Sort(b)
			all[i].p50[wi], all[i].p99[wi] = millis(nearestRank(b, 0.5)), millis(nearestRank(b, 0.99))
			hi = math.Max(hi, all[i].p99[wi])
		}
	}
	lo, top := logRange(floor, math.Max(hi, floor)*1.01)
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, latencyTicks{}
	p.Y.Min, p.Y.Max = lo, top
	xs := make([]float64, nWindows)
	for wi := range xs {
		xs[wi] = (float64(wi) + 0.5) * w.Seconds()
	}
	clamp := func(ys []float64) []float64 {
		out := make([]float64, len(ys))
		for i, y := range ys {
			out[i] = y
			if !math.IsNaN(y) {
				out[i] = math.Max(y, lo)
			}
		}
		return out
	}
	for i, s := range all {
		c := paletteColor(i)
		l := segmentLines(p, xs, clamp(s.p99), c, 1.5, nil)
		segmentLines(p, xs, clamp(s.p50), c, 1.2, []vg.Length{vg.Points(4), vg.Points(3)})
		legend.Add(labels[i], l)
	}
	return p, legend, nil
}

// comparePage is what compare.html shows.
type comparePage struct {
	Labels     []string
	Seeds      []uint64
	SeedRange  string
	Rows       []LabelSummary
	Plots      []figureView
	SideBySide []figureView
	Scenarios  []scenarioView
}

type scenarioView struct{ Label, JSON string }

func (s LabelSummary) P50Text() string { return formatLatency(s.P50) }
func (s LabelSummary) P99Text() string { return formatLatency(s.P99) }
func (s LabelSummary) OpsPerRun() int  { return s.Ops / max(s.Runs, 1) }
func (s LabelSummary) StatusText() string {
	return fmt.Sprintf("%d / %d / %d", s.Pass, s.Fail, s.Inconclusive)
}
func (s LabelSummary) ThroughputText() string {
	return strconv.FormatFloat(s.Throughput, 'f', 1, 64)
}
func (c CheckerCounts) Text() string {
	return fmt.Sprintf("%d / %d / %d", c.Pass, c.Fail, c.Inconclusive)
}

// Class is the CSS class of the counts: fail when any run failed, inconclusive when any could
// not decide, else pass.
func (c CheckerCounts) Class() string {
	switch {
	case c.Fail > 0:
		return "fail"
	case c.Inconclusive > 0:
		return "inconclusive"
	}
	return "pass"
}

// checkerNames are the checkers any row has, in order.
func (p comparePage) CheckerNames() []string {
	var names []string
	for _, r := range p.Rows {
		for _, c := range r.Checkers {
			if !slices.Contains(names, c.Checker) {
				names = append(names, c.Checker)
			}
		}
	}
	sortCheckers(names)
	return names
}

func (s LabelSummary) Counts(checker string) CheckerCounts {
	for _, c := range s.Checkers {
		if c.Checker == checker {
			return c
		}
	}
	return CheckerCounts{Checker: checker}
}

// FailingText lists the failing seeds, at most 20.
func (s LabelSummary) FailingText() string {
	if len(s.FailingSeeds) == 0 {
		return "-"
	}
	var parts []string
	for i, seed := range s.FailingSeeds {
		if i == 20 {
			parts = append(parts, fmt.Sprintf("… %d more", len(s.FailingSeeds)-20))
			break
		}
		parts = append(parts, strconv.FormatUint(seed, 10))
	}
	return strings.Join(parts, ", ")
}

var compareTemplate = template.Must(template.New("compare").Funcs(pageFuncs).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>zoosim compare: {{join .Labels " vs "}}</title>
<style>` + pageStyle + `</style></head>
<body>
<h1>zoosim compare: {{join .Labels " vs "}}</h1>
<p>{{len .Labels}} labels on the same {{len .Seeds}} seeds ({{.SeedRange}}). All times are virtual.</p>

<h2 id="table">Summary</h2>
<table>
<tr><th>label</th><th>runs</th><th>pass / FAIL / inconclusive</th>{{range $.CheckerNames}}<th>{{.}}<br><span class="small">pass / FAIL / incon.</span></th>{{end}}<th>ops per run</th><th>p50</th><th>p99</th><th>ops/s</th><th>seeds not passing</th></tr>
{{range .Rows}}{{$row := .}}<tr><td>{{.Label}}</td><td class="num">{{.Runs}}</td><td class="num">{{.StatusText}}</td>
{{range $.CheckerNames}}{{with $row.Counts .}}<td class="num {{.Class}}">{{.Text}}</td>{{end}}{{end}}
<td class="num">{{.OpsPerRun}}</td><td class="num">{{.P50Text}}</td><td class="num">{{.P99Text}}</td><td class="num">{{.ThroughputText}}</td><td>{{.FailingText}}</td></tr>
{{end}}</table>
<p class="small">Latency quantiles are nearest-rank over every returned op of a label's runs; ops/s is completed ops per second while clients were at work. The table is also in <a href="compare.csv">compare.csv</a>.</p>

<h2 id="overlaid">The labels overlaid</h2>
{{range .Plots}}<figure id="{{.Name}}"><img {{.Src}} alt="{{.Name}}">
<figcaption>{{.Caption}} <a href="{{.Name}}.svg">SVG</a> · <a href="{{.Name}}.png">PNG</a></figcaption></figure>
{{end}}

<h2 id="side-by-side">Side by side: each label's first seed</h2>
<div class="side">
{{range .SideBySide}}<figure id="{{.Name}}"><img {{.Src}} alt="{{.Name}}">
<figcaption>{{.Caption}} <a href="{{.Name}}.svg">SVG</a></figcaption></figure>
{{end}}</div>

<h2 id="scenarios">Scenarios</h2>
{{range .Scenarios}}<details><summary>{{.Label}}</summary><pre>{{.JSON}}</pre></details>
{{end}}
</body></html>
`))
