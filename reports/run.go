package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"time"

	"zoosim/histories"
	"zoosim/models"
	"zoosim/testbed"
)

// The files of a run folder besides the plots (testbed.HistoryFile is the history).
const (
	ScenarioFile     = "scenario.json"
	VerdictsFile     = "verdicts.json"
	MetricsFile      = "metrics.csv"
	ReportFile       = "report.html"
	LinearizableFile = "linearizable.html"
)

// RunPlots are the base names of every run's plots; each is saved as name.png and name.svg. A
// run of recipe workloads has one more, the recipe timeline ("recipes").
func RunPlots() []string {
	return []string{plotLatencyRaw, plotLatencyQuantiles, plotThroughput, plotLatencyCDF, plotFaults}
}

// WriteRunFolder writes a run folder into dir, creating it: the history (testbed.HistoryFile,
// histories.Encode) and everything WriteReport writes. replay is the command that replays the
// run, shown on the report page.
func WriteRunFolder(dir string, r *testbed.Result, replay string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	// The history is encoded while the plots are drawn: both take a while on a large run.
	encoded := make(chan error, 1)
	go func() {
		encoded <- writeFile(dir, testbed.HistoryFile, func(w io.Writer) error { return histories.Encode(w, r.History) })
	}()
	err := WriteReport(dir, r, replay)
	if herr := <-encoded; herr != nil {
		return fmt.Errorf("reports: %s: %w", testbed.HistoryFile, herr)
	}
	return err
}

// WriteReport writes everything of a run folder but the history into dir, creating it:
// scenario.json (the scenario as run, indented), verdicts.json, metrics.csv (Metrics with the
// run's Window), the plots as PNG and SVG (RunPlots), linearizable.html when the linearizable
// checker failed (porcupine's visualization of the failing partitions, annotated with the
// faults: models.VisualizeLinearizable), and report.html, one self-contained page (plots inline,
// nothing fetched) with the run's summary, the verdicts, the replay command, the plots, the
// fault timeline, the visualization and the scenario. `zoosim report` rebuilds a folder with it
// without rewriting the history it read.
func WriteReport(dir string, r *testbed.Result, replay string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	var scenario bytes.Buffer
	if err := json.Indent(&scenario, r.Scenario.JSON(), "", "  "); err != nil {
		return fmt.Errorf("reports: the scenario: %w", err)
	}
	scenario.WriteByte('\n')
	if err := os.WriteFile(filepath.Join(dir, ScenarioFile), scenario.Bytes(), 0o644); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	if err := writeFile(dir, VerdictsFile, func(w io.Writer) error { return writeVerdicts(w, r) }); err != nil {
		return fmt.Errorf("reports: %s: %w", VerdictsFile, err)
	}
	d := newRunData(r.History)
	window := Window(time.Duration(d.span))
	rows := d.metrics(window)
	if err := writeFile(dir, MetricsFile, func(w io.Writer) error { return WriteMetricsCSV(w, rows) }); err != nil {
		return fmt.Errorf("reports: %s: %w", MetricsFile, err)
	}
	title := fmt.Sprintf("seed %d", r.Seed)
	figs, err := renderFigures(dir, runFigures(d, rows, title))
	if err != nil {
		return err
	}
	page := newRunPage(r, d, replay, scenario.String(), window, figureViews(figs, true))
	if v := r.Verdict(testbed.CheckerLinearizable); v != nil && v.Status == models.Fail {
		var vis bytes.Buffer
		if err := models.VisualizeLinearizable(r.History, models.LinearizableOptions{}, &vis); err != nil {
			page.PorcupineNote = "porcupine's visualization could not be drawn: " + err.Error()
		} else {
			if err := os.WriteFile(filepath.Join(dir, LinearizableFile), vis.Bytes(), 0o644); err != nil {
				return fmt.Errorf("reports: %w", err)
			}
			if vis.Len() <= maxEmbeddedVisualization {
				page.Porcupine = vis.String()
			} else {
				page.PorcupineNote = fmt.Sprintf("Porcupine's visualization is too large to embed (%d MB): open %s.", vis.Len()>>20, LinearizableFile)
			}
		}
	}
	if err := writeTemplate(filepath.Join(dir, ReportFile), runTemplate, page); err != nil {
		return fmt.Errorf("reports: %s: %w", ReportFile, err)
	}
	return nil
}

// maxEmbeddedVisualization bounds the porcupine visualization report.html embeds; a larger one
// (porcupine's HTML can explode, tooling.md 1.3) is only linked.
const maxEmbeddedVisualization = 32 << 20

// verdictsFile is verdicts.json: the run's identity and each checker's verdict, with statuses
// and times as words.
type verdictsFile struct {
	Seed      uint64        `json:"seed"`
	Status    string        `json:"status"`
	TraceHash string        `json:"trace_hash"`
	Verdicts  []VerdictJSON `json:"verdicts"`
}

// VerdictJSON is one checker's verdict as verdicts.json and every command's --json output give
// it: statuses and times as words, metrics in the checker's order.
type VerdictJSON struct {
	Checker    string          `json:"checker"`
	Status     string          `json:"status"`
	Summary    string          `json:"summary"`
	Total      int             `json:"total_violations"`
	Violations []violationJSON `json:"violations,omitempty"`
	Metrics    []metricJSON    `json:"metrics,omitempty"`
}

type violationJSON struct {
	Time    string `json:"time"`
	TimeNS  int64  `json:"time_ns"`
	Ops     []int  `json:"ops,omitempty"`
	Message string `json:"message"`
}

type metricJSON struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit,omitempty"`
}

// VerdictsJSON converts verdicts for JSON output (never nil, so an empty list encodes as []).
func VerdictsJSON(vs []models.Verdict) []VerdictJSON {
	out := []VerdictJSON{}
	for _, v := range vs {
		vj := VerdictJSON{Checker: v.Checker, Status: v.Status.String(), Summary: v.Summary, Total: v.Total}
		for _, x := range v.Violations {
			vj.Violations = append(vj.Violations, violationJSON{Time: models.FormatTime(x.Time), TimeNS: int64(x.Time), Ops: x.Ops, Message: x.Message})
		}
		for _, m := range v.Metrics {
			vj.Metrics = append(vj.Metrics, metricJSON(m))
		}
		out = append(out, vj)
	}
	return out
}

func writeVerdicts(w io.Writer, r *testbed.Result) error {
	out := verdictsFile{Seed: r.Seed, Status: r.Status().String(),
		TraceHash: fmt.Sprintf("%#016x", r.History.Header.TraceHash), Verdicts: VerdictsJSON(r.Verdicts)}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// runPage is what report.html shows.
type runPage struct {
	Title, Status                       string
	Seed                                uint64
	Commit, TraceHash, End, Window      string
	Events                              uint64
	Ops, OK, Failed, Unknown, NoReply   int
	Servers, Clients, Processes, Faults int
	Liveness, Replay, Scenario          string
	Verdicts                            []verdictView
	Plots                               []figureView
	Timeline                            figureView
	FaultList                           []faultView
	ClientFaults                        int
	Porcupine, PorcupineNote            string
	PlotNames                           []string
	Files                               []string
	LinearizableStatus                  string
	HasLinearizable                     bool
}

type verdictView struct {
	Checker, Status, Summary string
	Violations               []string
	More                     int
	Metrics                  []string
}

type faultView struct {
	ID                    int
	Kind, Label, Detail   string
	Start, End, Duration  string
	Client, Open, Instant bool
}

func newRunPage(r *testbed.Result, d *runData, replay, scenario string, window time.Duration, figs []figureView) *runPage {
	h := r.History
	p := &runPage{
		Title: fmt.Sprintf("zoosim run seed %d", r.Seed), Status: r.Status().String(), Seed: r.Seed,
		Commit: h.Header.Commit, TraceHash: fmt.Sprintf("%#016x", h.Header.TraceHash), Events: h.Header.Events,
		End: models.FormatTime(h.Header.End), Window: window.String(), Servers: h.Header.Servers, Clients: r.Scenario.Clients, Processes: h.Header.Clients,
		Faults: len(h.Faults), Replay: replay, Scenario: scenario, PlotNames: figureNames(figs),
		Files: []string{testbed.HistoryFile, ScenarioFile, VerdictsFile, MetricsFile},
	}
	if p.Commit == "" {
		p.Commit = "unknown"
	}
	for _, s := range d.samples {
		p.Ops++
		switch {
		case !s.returned():
			p.NoReply++
		case s.outcome == histories.OK:
			p.OK++
		case s.outcome == histories.Failed:
			p.Failed++
		default:
			p.Unknown++
		}
	}
	lv := h.Liveness
	switch {
	case lv.Converged:
		p.Liveness = fmt.Sprintf("every fault healed at %s; converged at %s (%s later)", models.FormatTime(lv.Healed),
			models.FormatTime(lv.At), time.Duration(lv.At-lv.Healed).Round(time.Millisecond))
	case lv.Healed == 0 && lv.Pending == "":
		p.Liveness = "no liveness phase recorded"
	default:
		p.Liveness = fmt.Sprintf("every fault healed at %s; did not converge: %s", models.FormatTime(lv.Healed), lv.Pending)
	}
	for _, v := range r.Verdicts {
		vv := verdictView{Checker: v.Checker, Status: v.Status.String(), Summary: v.Summary, More: v.Total - len(v.Violations)}
		for _, x := range v.Violations {
			vv.Violations = append(vv.Violations, x.String())
		}
		for _, m := range v.Metrics {
			vv.Metrics = append(vv.Metrics, fmt.Sprintf("%s=%g%s", m.Name, m.Value, m.Unit))
		}
		p.Verdicts = append(p.Verdicts, vv)
		if v.Checker == testbed.CheckerLinearizable {
			p.HasLinearizable = true
			p.LinearizableStatus = v.Status.String()
		}
	}
	for _, f := range figs {
		if f.Name == plotFaults {
			p.Timeline = f
		} else {
			p.Plots = append(p.Plots, f)
		}
	}
	for i := range h.Faults {
		f := &h.Faults[i]
		fv := faultView{ID: f.ID, Kind: string(f.Kind), Label: faultLabel(f), Detail: f.Detail,
			Start: models.FormatTime(f.Start), End: models.FormatTime(f.End), Client: isClientFault(f),
			Open: f.End == histories.Never, Instant: f.End == f.Start}
		if !fv.Open {
			fv.Duration = time.Duration(f.End - f.Start).Round(time.Millisecond).String()
		}
		if fv.Client {
			p.ClientFaults++
		}
		p.FaultList = append(p.FaultList, fv)
	}
	return p
}

var runTemplate = template.Must(template.New("report").Funcs(pageFuncs).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}: {{.Status}}</title>
<style>` + pageStyle + `</style></head>
<body>
<h1>{{.Title}} <span class="badge {{statusClass .Status}}">{{.Status}}</span></h1>
<table>
<tr><th>seed</th><td>{{.Seed}}</td><th>commit</th><td><code>{{.Commit}}</code></td></tr>
<tr><th>trace hash</th><td><code>{{.TraceHash}}</code></td><th>kernel events</th><td class="num">{{.Events}}</td></tr>
<tr><th>ensemble</th><td>{{.Servers}} servers, {{.Clients}} clients ({{.Processes}} client processes, replacements included)</td><th>virtual time</th><td>{{.End}}</td></tr>
<tr><th>ops</th><td colspan="3">{{.Ops}}: {{.OK}} ok, {{.Failed}} failed (an error reply), {{.Unknown}} unknown (the client's own error), {{.NoReply}} without a reply</td></tr>
<tr><th>faults</th><td colspan="3">{{.Faults}} ({{.ClientFaults}} on clients)</td></tr>
<tr><th>liveness</th><td colspan="3">{{.Liveness}}</td></tr>
</table>
<p class="small">All times are virtual: seconds since the start of the simulated run.</p>

<h2 id="replay">Replay</h2>
<pre>{{.Replay}}</pre>

<h2 id="verdicts">Verdicts</h2>
<table>
<tr><th>checker</th><th>status</th><th>summary</th><th>metrics</th></tr>
{{range .Verdicts}}<tr><td>{{.Checker}}</td><td class="{{statusClass .Status}}">{{.Status}}</td><td>{{.Summary}}{{if .Violations}}
<ul class="violations">{{range .Violations}}<li>{{.}}</li>{{end}}{{if gt .More 0}}<li>… and {{.More}} more</li>{{end}}</ul>{{end}}</td>
<td>{{join .Metrics ", "}}</td></tr>
{{end}}</table>

<h2 id="plots">Plots</h2>
<p class="small">Metrics per {{.Window}} window of virtual time are in <a href="metrics.csv">metrics.csv</a>.</p>
{{range .Plots}}<figure id="{{.Name}}"><img {{.Src}} alt="{{.Name}}">
<figcaption>{{.Caption}} <a href="{{.Name}}.svg">SVG</a> · <a href="{{.Name}}.png">PNG</a></figcaption></figure>
{{end}}

<h2 id="faults">Fault timeline</h2>
{{with .Timeline}}<figure id="{{.Name}}"><img {{.Src}} alt="{{.Name}}">
<figcaption>{{.Caption}} <a href="{{.Name}}.svg">SVG</a> · <a href="{{.Name}}.png">PNG</a></figcaption></figure>{{end}}
{{if .FaultList}}<details{{if lt (len .FaultList) 40}} open{{end}}><summary>{{len .FaultList}} faults</summary>
<table>
<tr><th>#</th><th>fault</th><th>start</th><th>end</th><th>lasted</th><th>detail</th></tr>
{{range .FaultList}}<tr><td class="num">{{.ID}}</td><td>{{.Label}}</td><td class="num">{{.Start}}</td><td class="num">{{if .Open}}still on{{else}}{{.End}}{{end}}</td><td class="num">{{if .Instant}}instant{{else}}{{.Duration}}{{end}}</td><td>{{.Detail}}</td></tr>
{{end}}</table></details>{{else}}<p>No faults.</p>{{end}}

{{if .HasLinearizable}}<h2 id="linearizable">Linearizability</h2>
{{if .Porcupine}}<p>Porcupine's visualization of the failing partitions (at most three, each cut to the ops around
where linearization got stuck), with the faults as annotations. Also in <a href="linearizable.html">linearizable.html</a>.</p>
<iframe class="porcupine" title="porcupine visualization" srcdoc="{{.Porcupine}}"></iframe>
{{else if .PorcupineNote}}<p>{{.PorcupineNote}}</p>
{{else}}<p>The linearizable checker's verdict is {{.LinearizableStatus}}: nothing to visualize.</p>{{end}}{{end}}

<h2 id="scenario">Scenario</h2>
<pre>{{.Scenario}}</pre>

<h2 id="files">Files</h2>
<p>{{range .Files}}<a href="{{.}}">{{.}}</a> · {{end}}plots: {{range .PlotNames}}{{.}} (<a href="{{.}}.png">PNG</a>, <a href="{{.}}.svg">SVG</a>) {{end}}</p>
</body></html>
`))
