package reports

import (
	"fmt"
	"html/template"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"zoosim/models"
	"zoosim/testbed"
)

// SweepFile is a sweep's report page.
const SweepFile = "sweep.html"

// SweepPlots are the base names of a sweep's plots; each is saved as name.png and name.svg.
func SweepPlots() []string {
	return []string{"sweep-recovery", "sweep-election", "sweep-violations"}
}

// maxFailingRows bounds the failing seeds sweep.html lists.
const maxFailingRows = 1000

// WriteSweep writes the report of a sweep into dir, creating it: the distribution of the
// recovery time (Outcome.Recovery, from the heal to convergence, of the runs that converged)
// and of the longest election (Outcome.ElectionMax) as histograms, the runs that did not pass
// per checker as a bar chart (one bar per label when the outcomes carry labels), and
// sweep.html, one self-contained page with a summary table (per label when there are labels)
// and the failing seeds with links to their run folders (Outcome.Folder, relative to dir).
func WriteSweep(dir string, outcomes []testbed.Outcome) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	labels := sweepLabels(outcomes)
	figs, err := renderFigures(dir, sweepFigures(outcomes, labels))
	if err != nil {
		return err
	}
	page := sweepPage{Plots: figureViews(figs, true), Runs: len(outcomes)}
	if len(labels) > 1 {
		for _, l := range labels {
			page.Rows = append(page.Rows, sweepSummary(l, filterLabel(outcomes, l)))
		}
	}
	page.Rows = append(page.Rows, sweepSummary("all", outcomes))
	var seeds []uint64
	for _, o := range outcomes {
		seeds = append(seeds, o.Seed)
	}
	page.SeedRange = seedRange(uniqueSeeds(seeds))
	absDir, _ := filepath.Abs(dir)
	for _, o := range outcomes {
		if o.OK() {
			continue
		}
		if len(page.Failing) == maxFailingRows {
			page.MoreFailing++
			continue
		}
		fv := failingView{Seed: o.Seed, Label: o.Label, Status: o.Status, Failing: strings.Join(o.Failing, ", "), First: o.First, Folder: o.Folder}
		fv.Href, fv.ReportHref = folderLinks(absDir, o.Folder)
		page.Failing = append(page.Failing, fv)
	}
	if err := writeTemplate(filepath.Join(dir, SweepFile), sweepTemplate, page); err != nil {
		return fmt.Errorf("reports: %s: %w", SweepFile, err)
	}
	return nil
}

func uniqueSeeds(seeds []uint64) []uint64 {
	out := slices.Clone(seeds)
	slices.Sort(out)
	return slices.Compact(out)
}

// sweepLabels are the outcomes' labels in first-seen order.
func sweepLabels(outcomes []testbed.Outcome) []string {
	var labels []string
	for _, o := range outcomes {
		if !slices.Contains(labels, o.Label) {
			labels = append(labels, o.Label)
		}
	}
	return labels
}

func filterLabel(outcomes []testbed.Outcome, label string) []testbed.Outcome {
	var out []testbed.Outcome
	for _, o := range outcomes {
		if o.Label == label {
			out = append(out, o)
		}
	}
	return out
}

// folderLinks are the links of a saved run, relative to the page's folder: to the folder (or
// history file) and, when the folder holds one, to its report page. Links are "" for a run
// that was not saved.
func folderLinks(absDir, folder string) (href, report string) {
	if folder == "" {
		return "", ""
	}
	abs, err := filepath.Abs(folder)
	if err != nil {
		return "", ""
	}
	rel, err := filepath.Rel(absDir, abs)
	if err != nil {
		rel = abs
	}
	href = pathURL(rel)
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		href += "/"
		if _, err := os.Stat(filepath.Join(abs, ReportFile)); err == nil {
			report = href + ReportFile
		}
	}
	return href, report
}

// pathURL turns a file path into a relative URL, escaping each segment.
func pathURL(p string) string {
	parts := strings.Split(filepath.ToSlash(p), "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// sweepRow summarizes outcomes.
type sweepRow struct {
	Label                                      string
	Runs, Pass, Fail, Inconclusive, NotConverg int
	Ops, Faults                                int
	Virtual                                    float64
	Recovery, Election                         distribution
}

// distribution is the nearest-rank p50, p99 and max of a set of seconds.
type distribution struct {
	N             int
	P50, P99, Max float64
}

func (d distribution) Text() string {
	if d.N == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3gs / %.3gs / %.3gs", d.P50, d.P99, d.Max)
}

func distributionOf(vs []float64) distribution {
	if len(vs) == 0 {
		return distribution{}
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	return distribution{N: len(s), P50: nearestRank(s, 0.5), P99: nearestRank(s, 0.99), Max: s[len(s)-1]}
}

func sweepSummary(label string, outcomes []testbed.Outcome) sweepRow {
	r := sweepRow{Label: label, Runs: len(outcomes)}
	if label == "" {
		r.Label = "(no label)"
	}
	var recovery, election []float64
	for _, o := range outcomes {
		switch o.Status {
		case models.Pass.String():
			r.Pass++
		case models.Fail.String():
			r.Fail++
		default:
			r.Inconclusive++
		}
		r.Ops += o.Ops
		r.Faults += o.Faults
		r.Virtual += o.Virtual
		if o.Converged {
			recovery = append(recovery, o.Recovery)
		} else {
			r.NotConverg++
		}
		election = append(election, o.ElectionMax)
	}
	r.Recovery, r.Election = distributionOf(recovery), distributionOf(election)
	return r
}

func (r sweepRow) VirtualText() string { return strconv.FormatFloat(r.Virtual, 'f', 1, 64) + "s" }

// sweepFigures are a sweep's plots.
func sweepFigures(outcomes []testbed.Outcome, labels []string) []figure {
	var recovery, election []float64
	for _, o := range outcomes {
		if o.Converged {
			recovery = append(recovery, o.Recovery)
		}
		election = append(election, o.ElectionMax)
	}
	names := SweepPlots()
	return []figure{
		{name: names[0], width: 8 * vg.Inch, height: 3.6 * vg.Inch,
			caption: "Recovery time: from the heal of every fault to convergence, for the runs that converged.",
			build: func() (*plot.Plot, *plot.Legend, error) {
				return histogramPlot(fmt.Sprintf("recovery time (%d of %d runs converged)", len(recovery), len(outcomes)), "seconds from the heal", recovery)
			}},
		{name: names[1], width: 8 * vg.Inch, height: 3.6 * vg.Inch,
			caption: "The longest stretch of each run without a serving leader (the liveness checker's election_max).",
			build: func() (*plot.Plot, *plot.Legend, error) {
				return histogramPlot(fmt.Sprintf("longest election (%d runs)", len(election)), "seconds without a serving leader", election)
			}},
		{name: names[2], width: 8 * vg.Inch, height: 3.6 * vg.Inch,
			caption: "Runs in which each checker did not pass (failed or could not decide).",
			build:   func() (*plot.Plot, *plot.Legend, error) { return violationsPlot(outcomes, labels) }},
	}
}

// histogramPlot is a histogram of vs (about sqrt(n) bins, 5 to 50).
func histogramPlot(title, xLabel string, vs []float64) (*plot.Plot, *plot.Legend, error) {
	p := newPlot(title, xLabel, "runs")
	if len(vs) == 0 {
		p.Title.Text += ": none"
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
		return p, nil, nil
	}
	bins := min(50, max(5, int(math.Sqrt(float64(len(vs))))))
	lo, hi := slices.Min(vs), slices.Max(vs)
	if hi == lo {
		bins = 1
	}
	h, err := plotter.NewHist(plotter.Values(vs), bins)
	if err != nil {
		return nil, nil, err
	}
	h.FillColor = withAlpha(paletteColor(0), 200)
	h.LineStyle.Width = 0.5
	p.Add(h)
	p.Y.Min = 0
	return p, nil, nil
}

// violationsPlot counts, per checker, the runs it did not pass, one bar per label.
func violationsPlot(outcomes []testbed.Outcome, labels []string) (*plot.Plot, *plot.Legend, error) {
	p := newPlot("runs not passing, per checker", "", "runs")
	var checkers []string
	for _, c := range testbed.Checkers() {
		if c.Workload == "" { // a recipe checker gets a bar when it failed somewhere
			checkers = append(checkers, c.Name)
		}
	}
	for _, o := range outcomes {
		for _, c := range o.Failing {
			if !slices.Contains(checkers, c) {
				checkers = append(checkers, c)
			}
		}
	}
	sortCheckers(checkers)
	p.X.Tick.Marker = plot.DefaultTicks{}
	p.NominalX(checkers...)
	barWidth := vg.Points(40) / vg.Length(max(1, len(labels)))
	var legend *plot.Legend
	if len(labels) > 1 {
		legend = newLegend()
		legend.Add("labels:")
	}
	top := 1.0
	for li, label := range labels {
		counts := violationsPerChecker(outcomes, label, checkers)
		bars, err := plotter.NewBarChart(counts, barWidth)
		if err != nil {
			return nil, nil, err
		}
		bars.Color = paletteColor(li)
		if len(labels) == 1 {
			bars.Color = paletteColor(3)
		}
		bars.LineStyle.Width = 0
		bars.Offset = barWidth * (vg.Length(li) - vg.Length(len(labels)-1)/2)
		p.Add(bars)
		if legend != nil {
			name := label
			if name == "" {
				name = "(no label)"
			}
			legend.Add(name, bars)
		}
		top = math.Max(top, slices.Max(counts))
	}
	p.Y.Min, p.Y.Max = 0, top*1.1
	p.X.Min, p.X.Max = -0.6, float64(len(checkers))-0.4 // room for the outer bars
	return p, legend, nil
}

// violationsPerChecker counts, for each of checkers, the runs with the label that it did not
// pass.
func violationsPerChecker(outcomes []testbed.Outcome, label string, checkers []string) plotter.Values {
	counts := make(plotter.Values, len(checkers))
	for _, o := range outcomes {
		if o.Label != label {
			continue
		}
		for _, c := range o.Failing {
			if i := slices.Index(checkers, c); i >= 0 {
				counts[i]++
			}
		}
	}
	return counts
}

// sweepPage is what sweep.html shows.
type sweepPage struct {
	Runs        int
	SeedRange   string
	Rows        []sweepRow
	Plots       []figureView
	Failing     []failingView
	MoreFailing int
}

type failingView struct {
	Seed                                  uint64
	Label, Status, Failing, First, Folder string
	Href, ReportHref                      string
}

var sweepTemplate = template.Must(template.New("sweep").Funcs(pageFuncs).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>zoosim sweep: {{.Runs}} runs</title>
<style>` + pageStyle + `</style></head>
<body>
<h1>zoosim sweep: {{.Runs}} runs</h1>
<p>Seeds {{.SeedRange}}. All times are virtual.</p>

<h2 id="summary">Summary</h2>
<table>
<tr><th>label</th><th>runs</th><th>pass</th><th>FAIL</th><th>inconclusive</th><th>not converged</th><th>ops</th><th>faults</th><th>virtual time</th><th>recovery p50 / p99 / max</th><th>longest election p50 / p99 / max</th></tr>
{{range .Rows}}<tr><td>{{.Label}}</td><td class="num">{{.Runs}}</td><td class="num pass">{{.Pass}}</td><td class="num{{if .Fail}} fail{{end}}">{{.Fail}}</td><td class="num{{if .Inconclusive}} inconclusive{{end}}">{{.Inconclusive}}</td><td class="num">{{.NotConverg}}</td><td class="num">{{.Ops}}</td><td class="num">{{.Faults}}</td><td class="num">{{.VirtualText}}</td><td class="num">{{.Recovery.Text}}</td><td class="num">{{.Election.Text}}</td></tr>
{{end}}</table>

<h2 id="plots">Plots</h2>
<div class="side">
{{range .Plots}}<figure id="{{.Name}}"><img {{.Src}} alt="{{.Name}}">
<figcaption>{{.Caption}} <a href="{{.Name}}.svg">SVG</a> · <a href="{{.Name}}.png">PNG</a></figcaption></figure>
{{end}}</div>

<h2 id="failing">Seeds that did not pass</h2>
{{if .Failing}}<table>
<tr><th>seed</th><th>label</th><th>status</th><th>checkers</th><th>first violation</th><th>run</th></tr>
{{range .Failing}}<tr><td class="num">{{.Seed}}</td><td>{{.Label}}</td><td class="{{statusClass .Status}}">{{.Status}}</td><td>{{.Failing}}</td><td>{{.First}}</td>
<td>{{if .ReportHref}}<a href="{{.ReportHref}}">report</a> · {{end}}{{if .Href}}<a href="{{.Href}}">{{.Folder}}</a>{{else}}not saved{{end}}</td></tr>
{{end}}</table>{{if .MoreFailing}}<p>… and {{.MoreFailing}} more.</p>{{end}}
{{else}}<p>Every run passed.</p>{{end}}
</body></html>
`))
