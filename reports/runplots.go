package reports

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"zoosim/histories"
)

// The plots of one run, in the order the report shows them.
const (
	plotLatencyRaw       = "latency-raw"
	plotLatencyQuantiles = "latency-quantiles"
	plotThroughput       = "throughput"
	plotLatencyCDF       = "latency-cdf"
	plotFaults           = "faults"
)

// runFigures are the plots of one run.
func runFigures(d *runData, rows []WindowMetrics, title string) []figure {
	figs := []figure{
		{name: plotLatencyRaw, width: figureWidth, height: 5.2 * vg.Inch,
			caption: "Every op's latency (log scale) at its invoke time, colored by op kind and shaped by outcome; an op that never returned is a ring at the latency it had when the run ended. Faults on servers and the network are shaded and labelled; client faults are marks along the bottom.",
			build:   func() (*plot.Plot, *plot.Legend, error) { return latencyRawPlot(d, title, d.rawRange()) }},
		{name: plotLatencyQuantiles, width: figureWidth, height: 3.8 * vg.Inch,
			caption: "Latency quantiles (nearest rank) of the ops invoked in each window, with the faults shaded.",
			build:   func() (*plot.Plot, *plot.Legend, error) { return quantilesPlot(d, rows, title) }},
		{name: plotThroughput, width: figureWidth, height: 3.8 * vg.Inch,
			caption: "Ops completed per second in each window: all ops, and per op kind, with the faults shaded.",
			build:   func() (*plot.Plot, *plot.Legend, error) { return throughputPlot(d, rows, title) }},
		{name: plotLatencyCDF, width: figureWidth, height: 4 * vg.Inch,
			caption: "The latency distribution (empirical CDF) of every op that returned, and per op kind.",
			build:   func() (*plot.Plot, *plot.Legend, error) { return cdfPlot(d, title) }},
		{name: plotFaults, width: figureWidth, height: faultsHeight(d),
			caption: "The fault timeline: the serving leader, each server's faults, the network's, the clients'.",
			build:   func() (*plot.Plot, *plot.Legend, error) { return faultsPlot(d, title) }},
	}
	if f, ok := recipeFigure(d, title); ok {
		figs = append(figs, f)
	}
	return figs
}

// outcomeStyle is how latency-raw draws one outcome.
type outcomeStyle struct {
	name   string
	shape  draw.GlyphDrawer
	radius vg.Length
	// match says whether a sample has this outcome.
	match func(opSample) bool
}

// outcomeStyles are drawn in this order, so the rarer outcomes stay visible on top. Most ops
// are ok: they are filled squares, which at this size look like dots and draw about five times
// faster than circles in PNG and twice as fast in SVG (measured on 100,000 points: 0.21 s
// against 1.08 s, 0.46 s against 1.04 s), the bulk of a large report's time.
var outcomeStyles = []outcomeStyle{
	{"ok", draw.BoxGlyph{}, 1.2, func(s opSample) bool { return s.returned() && s.outcome == histories.OK }},
	{"failed (error reply)", draw.CrossGlyph{}, 1.8, func(s opSample) bool { return s.returned() && s.outcome == histories.Failed }},
	{"unknown (client error)", draw.TriangleGlyph{}, 2.2, func(s opSample) bool {
		return s.returned() && s.outcome != histories.OK && s.outcome != histories.Failed
	}},
	{"no reply (≥ latency)", draw.RingGlyph{}, 2.6, func(s opSample) bool { return !s.returned() }},
}

// rawRange is latency-raw's range of latencies, in milliseconds: the floor, where a latency of
// 0 is drawn, and the highest point.
type rawRange struct{ floor, hi float64 }

// rawPoint is where latency-raw draws a sample: its latency, or, for an op that never
// returned, the time it had waited when the run ended; never below floor.
func (d *runData) rawPoint(s opSample, floor float64) float64 {
	if !s.returned() {
		return math.Max(millis(time.Duration(d.span-s.invoke)), floor)
	}
	return math.Max(millis(s.latency()), floor)
}

func (d *runData) rawRange() rawRange {
	r := rawRange{floor: latencyFloor(d.samples)}
	r.hi = r.floor
	for _, s := range d.samples {
		r.hi = math.Max(r.hi, d.rawPoint(s, r.floor))
	}
	return r
}

// union is the range that holds both.
func (r rawRange) union(o rawRange) rawRange {
	return rawRange{floor: math.Min(r.floor, o.floor), hi: math.Max(r.hi, o.hi)}
}

// latencyRawPlot draws every op (Jepsen's latency-raw) on the latency range rr.
func latencyRawPlot(d *runData, title string, rr rawRange) (*plot.Plot, *plot.Legend, error) {
	p := newPlot(title+": latency of every op", "virtual time (s)", "latency")
	legend := newLegend()
	span := seconds(d.span)
	floor, hi := rr.floor, rr.hi
	at := func(s opSample) float64 { return d.rawPoint(s, floor) }
	lo, top := logRange(floor, hi*1.01)
	lanes := faultLanes(d, span)
	nLanes := 0
	for _, l := range lanes {
		nLanes = max(nLanes, l.lane+1)
	}
	// Room for the labels above the data: each lane of labels takes about one line of the
	// plot's height, a factor step on the log axis.
	const lines = 30.0
	logRangeData := math.Log(top / lo)
	if nLanes > 0 {
		logRangeData = math.Log(hi*1.2/lo) / (1 - (float64(nLanes)+0.5)/lines)
	}
	yMax := math.Max(top, lo*math.Exp(logRangeData))
	step := math.Exp(math.Log(yMax/lo) / lines)
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, latencyTicks{}
	p.Y.Min, p.Y.Max = lo, yMax
	p.X.Min, p.X.Max = 0, math.Max(span, 1e-9)

	faultShading(p, nil, d, lo, yMax, lo*step*step)
	// Labels of the faults on servers and the network, in lanes from the top.
	var xys plotter.XYs
	var texts []string
	for _, l := range lanes {
		xys = append(xys, plotter.XY{X: l.x, Y: yMax / math.Pow(step, float64(l.lane)+1)})
		texts = append(texts, l.text)
	}
	if len(xys) > 0 {
		labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
		if err != nil {
			return nil, nil, err
		}
		for i, l := range lanes {
			labels.TextStyle[i].Font.Size = labelFont
			labels.TextStyle[i].Color = darken(faultColor(l.kind))
			labels.TextStyle[i].YAlign = draw.YCenter
		}
		labels.Offset = vg.Point{X: 1}
		p.Add(unboxed{labels})
	}

	legend.Add("op kinds:")
	for _, kind := range d.kinds {
		c := kindColor(d.kinds, kind)
		legend.Add(kind, glyphThumb(draw.BoxGlyph{}, 2.8, c))
	}
	legend.Add("outcomes:")
	for _, os := range outcomeStyles {
		var groups []*plotter.Scatter
		for _, kind := range d.kinds {
			var pts plotter.XYs
			for _, s := range d.samples {
				if s.kind == kind && os.match(s) {
					pts = append(pts, plotter.XY{X: seconds(s.invoke), Y: at(s)})
				}
			}
			if len(pts) == 0 {
				continue
			}
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, nil, err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: kindColor(d.kinds, kind), Radius: os.radius, Shape: os.shape}
			groups = append(groups, sc)
		}
		for _, sc := range groups {
			p.Add(unboxed{sc})
		}
		if len(groups) > 0 {
			legend.Add(os.name, glyphThumb(os.shape, os.radius+0.8, color.Black))
		}
	}
	addFaultLegend(legend, d)
	return p, legend, nil
}

// glyphThumb is a legend thumbnail of one glyph.
func glyphThumb(shape draw.GlyphDrawer, radius vg.Length, c color.Color) *plotter.Scatter {
	sc, _ := plotter.NewScatter(plotter.XYs{{}})
	sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: radius, Shape: shape}
	return sc
}

func darken(c color.NRGBA) color.NRGBA {
	return color.NRGBA{R: uint8(int(c.R) * 2 / 3), G: uint8(int(c.G) * 2 / 3), B: uint8(int(c.B) * 2 / 3), A: 0xff}
}

// faultLane places one fault's label.
type faultLane struct {
	x    float64
	lane int
	text string
	kind histories.FaultKind
}

// maxLabelLanes bounds the rows of fault labels; a fault that finds no room keeps its band and
// its legend entry but no label.
const maxLabelLanes = 5

// faultLanes lays out the labels of the faults on servers and the network: each starts at its
// fault's start, in the first lane (from the top) where it does not overlap the previous label,
// whose width is estimated from its length (about 4 points per character at 7 points).
func faultLanes(d *runData, span float64) []faultLane {
	dataWidth := float64((figureWidth - legendWidth - 0.9*vg.Inch) / vg.Points(1))
	perChar := 4.0 / dataWidth * span
	var out []faultLane
	var laneEnd []float64
	for i := range d.h.Faults {
		f := &d.h.Faults[i]
		if isClientFault(f) {
			continue
		}
		text := faultLabel(f)
		x := seconds(f.Start)
		w := float64(len(text)+1) * perChar
		lane := slices.IndexFunc(laneEnd, func(end float64) bool { return end <= x })
		if lane < 0 {
			if len(laneEnd) == maxLabelLanes {
				continue
			}
			lane = len(laneEnd)
			laneEnd = append(laneEnd, 0)
		}
		laneEnd[lane] = x + w
		out = append(out, faultLane{x: x, lane: lane, text: text, kind: f.Kind})
	}
	return out
}

// windowXs are the windows' midpoints in seconds, for the rows of AllKinds.
func windowRows(rows []WindowMetrics, kind string) []WindowMetrics {
	var out []WindowMetrics
	for _, r := range rows {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

func midpoint(r WindowMetrics) float64 { return (seconds(r.Start) + seconds(r.End)) / 2 }

// quantilesPlot draws p50, p95, p99 and max per window.
func quantilesPlot(d *runData, rows []WindowMetrics, title string) (*plot.Plot, *plot.Legend, error) {
	p := newPlot(title+": latency quantiles per window", "virtual time (s)", "latency")
	legend := newLegend()
	all := windowRows(rows, AllKinds)
	floor := latencyFloor(d.samples)
	hi := floor
	for _, r := range all {
		hi = math.Max(hi, millis(r.Latency.Max))
	}
	lo, top := logRange(floor, hi*1.01)
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, latencyTicks{}
	p.Y.Min, p.Y.Max = lo, top
	p.X.Min, p.X.Max = 0, math.Max(seconds(d.span), 1e-9)
	faultShading(p, nil, d, lo, top, lo*math.Pow(top/lo, 1.0/25))
	xs := make([]float64, len(all))
	for i, r := range all {
		xs[i] = midpoint(r)
	}
	quantiles := []struct {
		name string
		get  func(Quantiles) time.Duration
		c    color.NRGBA
	}{
		{"max", func(q Quantiles) time.Duration { return q.Max }, color.NRGBA{0x40, 0x40, 0x40, 0xff}},
		{"p99", func(q Quantiles) time.Duration { return q.P99 }, paletteColor(3)},
		{"p95", func(q Quantiles) time.Duration { return q.P95 }, paletteColor(1)},
		{"p50", func(q Quantiles) time.Duration { return q.P50 }, paletteColor(0)},
	}
	legend.Add("quantiles:")
	for _, q := range quantiles {
		ys := make([]float64, len(all))
		for i, r := range all {
			ys[i] = math.NaN()
			if r.Latency.N > 0 {
				ys[i] = math.Max(millis(q.get(r.Latency)), lo)
			}
		}
		legend.Add(q.name, segmentLines(p, xs, ys, q.c, 1.5, nil))
	}
	addFaultLegend(legend, d)
	return p, legend, nil
}

// addFaultLegend lists the fault kinds of a run, as faultShading's legend does.
func addFaultLegend(legend *plot.Legend, d *runData) {
	scratch := plot.New()
	faultShading(scratch, legend, d, 0, 1, 1)
}

// throughputPlot draws completed ops per second per window.
func throughputPlot(d *runData, rows []WindowMetrics, title string) (*plot.Plot, *plot.Legend, error) {
	p := newPlot(title+": throughput per window", "virtual time (s)", "completed ops/s")
	legend := newLegend()
	all := windowRows(rows, AllKinds)
	hi := 1.0
	for _, r := range all {
		hi = math.Max(hi, r.Throughput)
	}
	p.Y.Min, p.Y.Max = 0, hi*1.08
	span := math.Max(seconds(d.span), 1e-9)
	p.X.Min, p.X.Max = 0, span
	faultShading(p, nil, d, 0, hi*1.08, hi*1.08/40)
	line := func(rs []WindowMetrics, c color.Color, width vg.Length) *plotter.Line {
		var xys plotter.XYs
		for _, r := range rs {
			xys = append(xys, plotter.XY{X: seconds(r.Start), Y: r.Throughput})
		}
		end := span
		if len(rs) > 0 {
			end = seconds(rs[len(rs)-1].End)
		}
		l := stepLine(xys, end, c, width)
		p.Add(unboxed{l})
		return l
	}
	legend.Add("ops:")
	legend.Add("all", line(all, color.Black, 1.6))
	for _, kind := range d.kinds {
		legend.Add(kind, line(windowRows(rows, kind), kindColor(d.kinds, kind), 0.8))
	}
	addFaultLegend(legend, d)
	return p, legend, nil
}

// cdfPlot draws the latency CDF of all ops and of each op kind.
func cdfPlot(d *runData, title string) (*plot.Plot, *plot.Legend, error) {
	p := newPlot(title+": latency distribution", "latency", "fraction of ops at or below")
	legend := newLegend()
	floor := latencyFloor(d.samples)
	all := latencies(d.samples, nil)
	hi := floor
	if len(all) > 0 {
		hi = math.Max(hi, millis(all[len(all)-1]))
	}
	lo, top := logRange(floor, hi*1.01)
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, latencyTicks{}
	p.X.Min, p.X.Max = lo, top
	p.Y.Min, p.Y.Max = 0, 1.02
	legend.Add("ops:")
	if len(all) == 0 {
		return p, legend, nil
	}
	l := cdfLine(cdfPoints(all, lo), color.Black, 1.8, nil)
	p.Add(unboxed{l})
	legend.Add(fmt.Sprintf("all (%d)", len(all)), l)
	for _, kind := range d.kinds {
		lat := latencies(d.samples, func(s opSample) bool { return s.kind == kind })
		if len(lat) == 0 {
			continue
		}
		l := cdfLine(cdfPoints(lat, lo), kindColor(d.kinds, kind), 1, nil)
		p.Add(unboxed{l})
		legend.Add(fmt.Sprintf("%s (%d)", kind, len(lat)), l)
	}
	return p, legend, nil
}

// The rows of the fault timeline, from the top: the serving leader, each server, the network,
// the clients.
const (
	rowLeader  = "leader"
	rowNetwork = "network"
	rowClients = "clients"
)

func faultRows(d *runData) []string {
	rows := []string{rowLeader}
	for i := range d.h.Header.Servers {
		rows = append(rows, histories.ServerName(i))
	}
	return append(rows, rowNetwork, rowClients)
}

func faultsHeight(d *runData) vg.Length {
	return 1.1*vg.Inch + vg.Length(len(faultRows(d)))*0.3*vg.Inch
}

// leaderTerm is a stretch of time with one serving leader.
type leaderTerm struct {
	server     int
	epoch      int64
	start, end histories.Time
}

// leaderTerms reads the serving leaders from the servers' role events: a server leads from the
// role event that makes it an established (serving) leader to its next role change, crash or
// halt. When two overlap (an old leader that has not yet noticed), the newer one is shown.
func leaderTerms(h *histories.History, span histories.Time) []leaderTerm {
	var terms []leaderTerm
	open := map[int]int{} // server -> index in terms
	for _, e := range h.Servers {
		idx, leading := open[e.Server]
		nowLeading := e.Kind == histories.Role && e.Role == histories.Leading && e.Serving
		if leading && !nowLeading {
			terms[idx].end = e.Time
			delete(open, e.Server)
		}
		if nowLeading && !leading {
			open[e.Server] = len(terms)
			terms = append(terms, leaderTerm{server: e.Server, epoch: e.Epoch, start: e.Time, end: histories.Never})
		}
	}
	for i := range terms {
		if terms[i].end == histories.Never {
			terms[i].end = span
		}
		if i > 0 && terms[i-1].end > terms[i].start {
			terms[i-1].end = terms[i].start
		}
	}
	return terms
}

// faultsPlot draws the fault timeline.
func faultsPlot(d *runData, title string) (*plot.Plot, *plot.Legend, error) {
	p := newPlot(title+": faults and leaders", "virtual time (s)", "")
	legend := newLegend()
	rows := faultRows(d)
	// NominalY puts the first name at the bottom; the leader row goes on top.
	names := slices.Clone(rows)
	slices.Reverse(names)
	p.NominalY(names...)
	p.Y.Min, p.Y.Max = -0.6, float64(len(rows))-0.4
	span := math.Max(seconds(d.span), 1e-9)
	p.X.Min, p.X.Max = 0, span
	rowY := func(name string) float64 { return float64(len(rows) - 1 - slices.Index(rows, name)) }
	bar := func(row string, x0, x1 float64, c color.Color) {
		if x1-x0 < minBandWidth(span) {
			x1 = x0 + minBandWidth(span)
		}
		y := rowY(row)
		p.Add(unboxed{band(x0, x1, y-0.35, y+0.35, c)})
	}
	var labels plotter.XYs
	var texts []string
	for _, t := range leaderTerms(d.h, d.span) {
		x0, x1 := seconds(t.start), seconds(t.end)
		bar(rowLeader, x0, x1, withAlpha(paletteColor(t.server), 150))
		if (x1-x0)/span > 0.03 {
			labels = append(labels, plotter.XY{X: x0, Y: rowY(rowLeader)})
			texts = append(texts, fmt.Sprintf("%s e%d", histories.ServerName(t.server), t.epoch))
		}
	}
	for i := range d.h.Faults {
		f := &d.h.Faults[i]
		x0, x1 := seconds(f.Start), seconds(faultEnd(f, d.span))
		c := withAlpha(faultColor(f.Kind), 170)
		switch {
		case isClientFault(f):
			bar(rowClients, x0, x1, c)
		case len(f.Groups) > 0:
			bar(rowNetwork, x0, x1, c)
		case len(f.Servers) > 0:
			for _, s := range f.Servers {
				if s >= 0 && s < d.h.Header.Servers {
					bar(histories.ServerName(s), x0, x1, c)
				}
			}
		default:
			bar(rowNetwork, x0, x1, c)
		}
	}
	if len(labels) > 0 {
		l, err := plotter.NewLabels(plotter.XYLabels{XYs: labels, Labels: texts})
		if err != nil {
			return nil, nil, err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].Font.Size = labelFont
			l.TextStyle[i].YAlign = draw.YCenter
		}
		l.Offset = vg.Point{X: 2}
		p.Add(unboxed{l})
	}
	legend.Add("leader: color by server")
	addFaultLegend(legend, d)
	return p, legend, nil
}
