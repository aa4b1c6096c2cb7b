package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"zoosim/histories"
)

// figure is one plot of a report. build draws it afresh each time, so that each format is
// drawn by its own goroutine without sharing a plot.
type figure struct {
	// name is the files' base name (name.png, name.svg) and the HTML anchor.
	name    string
	caption string
	width   vg.Length
	height  vg.Length
	build   func() (*plot.Plot, *plot.Legend, error)
}

// rendered is a figure as drawn: its PNG is what the report page embeds.
type rendered struct {
	figure
	png []byte
}

// The layout of the plots: time-series plots share one width and one legend column, so their
// time axes line up on the report page.
const (
	figureWidth  = 11 * vg.Inch
	legendWidth  = 1.9 * vg.Inch
	legendFont   = 8
	labelFont    = 7
	dataFontSize = 9
)

// renderFigures draws every figure as PNG and SVG into dir (when dir is not "") and returns
// them with their PNGs, in order. The formats and figures are drawn in parallel: plots are
// independent and a 100,000-op latency-raw plot is most of a report's time.
func renderFigures(dir string, figs []figure) ([]rendered, error) {
	type job struct {
		fig    int
		format string
	}
	var jobs []job
	for i := range figs {
		jobs = append(jobs, job{i, "png"})
		if dir != "" {
			jobs = append(jobs, job{i, "svg"})
		}
	}
	out := make([]rendered, len(figs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for j, jb := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f := figs[jb.fig]
			data, err := drawFigure(f, jb.format)
			if err == nil && dir != "" {
				err = os.WriteFile(filepath.Join(dir, f.name+"."+jb.format), data, 0o644)
			}
			if err != nil {
				errs[j] = fmt.Errorf("reports: plot %s.%s: %w", f.name, jb.format, err)
				return
			}
			if jb.format == "png" {
				out[jb.fig] = rendered{figure: f, png: data}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// drawFigure draws f in one format ("png" or "svg"), with its legend, if any, in a column on
// the right.
func drawFigure(f figure, format string) ([]byte, error) {
	p, legend, err := f.build()
	if err != nil {
		return nil, err
	}
	c, err := draw.NewFormattedCanvas(f.width, f.height, format)
	if err != nil {
		return nil, err
	}
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	if legend == nil {
		p.Draw(dc)
	} else {
		p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
		legend.Draw(draw.Crop(dc, f.width-legendWidth+6, 0, 0, -24))
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// newPlot is a plot with the reports' common look.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 12
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = dataFontSize + 1
		a.Tick.Label.Font.Size = dataFontSize
	}
	p.X.Tick.Marker = timeTicks{}
	p.Add(plotter.NewGrid())
	return p
}

// newLegend is a legend for the column next to a plot.
func newLegend() *plot.Legend {
	l := plot.NewLegend()
	l.Top, l.Left = true, true
	l.TextStyle.Font.Size = legendFont
	l.ThumbnailWidth = 0.3 * vg.Inch
	l.Padding = 1
	return &l
}

// unboxed hides a plotter's glyph boxes: the axes' ranges are set explicitly, and without boxes
// the plot keeps the same data area whatever it draws near its edges (so time axes line up
// from plot to plot), and 100,000 glyphs need no 100,000 boxes.
type unboxed struct{ plot.Plotter }

// palette colors op kinds, labels and servers: Tableau's ten colors, then two more.
var palette = []color.NRGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff}, {0x00, 0x00, 0x80, 0xff}, {0x80, 0x80, 0x00, 0xff},
}

func paletteColor(i int) color.NRGBA { return palette[i%len(palette)] }

// kindColor is an op kind's color: fixed for the common kinds, so a kind looks the same in
// every report.
func kindColor(kinds []string, kind string) color.NRGBA {
	if r := kindRank(kind); r < len(preferredKinds) {
		return paletteColor(r)
	}
	for i, k := range kinds {
		if k == kind {
			return paletteColor(len(preferredKinds) + i)
		}
	}
	return paletteColor(7)
}

// faultKinds fixes the order and color of fault kinds.
var faultKinds = []histories.FaultKind{
	histories.FaultCrash, histories.FaultCrashProposing, histories.FaultCrashAfterWrite,
	histories.FaultPartition, histories.FaultIsolate, histories.FaultOneWay, histories.FaultBridge,
	histories.FaultRing, histories.FaultClog, histories.FaultSwizzle, histories.FaultPause,
	histories.FaultDisk, histories.FaultClientReset, histories.FaultClientKill, histories.FaultClientPause,
}

var faultPalette = []color.NRGBA{
	{0xd6, 0x27, 0x28, 0xff}, {0xff, 0x4f, 0x8b, 0xff}, {0xa0, 0x1c, 0x4c, 0xff},
	{0x1f, 0x77, 0xb4, 0xff}, {0x17, 0xbe, 0xcf, 0xff}, {0x4a, 0x4a, 0xd0, 0xff}, {0x6b, 0x8e, 0xff, 0xff},
	{0x00, 0x80, 0x80, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0xbc, 0x8f, 0x00, 0xff}, {0x94, 0x67, 0xbd, 0xff},
	{0x8c, 0x56, 0x4b, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0x55, 0x55, 0x55, 0xff}, {0x7f, 0xb0, 0x40, 0xff},
}

func faultColor(k histories.FaultKind) color.NRGBA {
	for i, fk := range faultKinds {
		if fk == k {
			return faultPalette[i]
		}
	}
	return color.NRGBA{0x60, 0x60, 0x60, 0xff}
}

func withAlpha(c color.NRGBA, a uint8) color.NRGBA { c.A = a; return c }

// isClientFault reports whether a fault acts on clients only (their nodes or connections).
func isClientFault(f *histories.Fault) bool { return strings.HasPrefix(string(f.Kind), "client-") }

// faultLabel names a fault and what it acted on, in a few characters: "crash s3",
// "partition s1,s2|s3,s4,s5", "client-kill c12".
func faultLabel(f *histories.Fault) string {
	names := func(ids []int, name func(int) string) string {
		parts := make([]string, len(ids))
		for i, id := range ids {
			parts[i] = name(id)
		}
		return strings.Join(parts, ",")
	}
	var target string
	switch {
	case isClientFault(f):
		target = names(f.Clients, histories.ClientName)
	case len(f.Groups) > 0:
		groups := make([]string, len(f.Groups))
		for i, g := range f.Groups {
			groups[i] = names(g, histories.ServerName)
		}
		target = strings.Join(groups, "|")
	default:
		target = names(f.Servers, histories.ServerName)
	}
	if target == "" {
		return string(f.Kind)
	}
	return string(f.Kind) + " " + target
}

// faultEnd is when a fault ended, or the end of the run for one still on.
func faultEnd(f *histories.Fault, span histories.Time) histories.Time {
	if f.End == histories.Never || f.EndSeq == 0 && f.End < f.Start {
		return span
	}
	return f.End
}

func seconds(t histories.Time) float64 { return time.Duration(t).Seconds() }

func millis(d time.Duration) float64 { return float64(d) / 1e6 }

// rect is an axis-aligned rectangle in data coordinates.
func rect(x0, x1, y0, y1 float64) plotter.XYs {
	return plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
}

// band is a filled rectangle without outline.
func band(x0, x1, y0, y1 float64, c color.Color) *plotter.Polygon {
	poly, _ := plotter.NewPolygon(rect(x0, x1, y0, y1))
	poly.Color = c
	poly.LineStyle.Width = 0
	return poly
}

// minBandWidth makes an instant fault visible: a band of at least 1/800 of the time axis.
func minBandWidth(span float64) float64 { return span / 800 }

// faultShading adds the faults of d to p: faults on servers and the network as translucent
// bands over [ylo, yhi] colored by kind, client faults as short marks along the bottom
// [ylo, rugTop]; it adds one legend entry per kind present. Bands are added before the data so
// they are drawn underneath.
func faultShading(p *plot.Plot, legend *plot.Legend, d *runData, ylo, yhi, rugTop float64) {
	span := seconds(d.span)
	var kinds []histories.FaultKind
	for i := range d.h.Faults {
		f := &d.h.Faults[i]
		x0, x1 := seconds(f.Start), seconds(faultEnd(f, d.span))
		if x1-x0 < minBandWidth(span) {
			x1 = x0 + minBandWidth(span)
		}
		c := faultColor(f.Kind)
		if isClientFault(f) {
			p.Add(unboxed{band(x0, x1, ylo, rugTop, withAlpha(c, 200))})
		} else {
			p.Add(unboxed{band(x0, x1, ylo, yhi, withAlpha(c, 45))})
		}
		if !containsKind(kinds, f.Kind) {
			kinds = append(kinds, f.Kind)
		}
	}
	if legend == nil || len(kinds) == 0 {
		return
	}
	legend.Add("faults:")
	for _, k := range faultKinds {
		if containsKind(kinds, k) {
			legend.Add(string(k), band(0, 1, 0, 1, withAlpha(faultColor(k), 120)))
		}
	}
}

func containsKind(ks []histories.FaultKind, k histories.FaultKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// timeTicks marks a linear axis at a round step (1, 2 or 5 times a power of ten) that gives
// about ten major ticks, with a minor tick between each two.
type timeTicks struct{}

func (timeTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: trimFloat(lo)}}
	}
	raw := (hi - lo) / 10
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	step := pow * 10
	for _, m := range []float64{1, 2, 5} {
		if m*pow >= raw {
			step = m * pow
			break
		}
	}
	// Labels keep the step's decimals and no more: 0.6, not 0.6000000000000001.
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	for i := math.Ceil(lo / step); i*step <= hi+step*1e-9; i++ {
		v := i * step
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', decimals, 64)})
		if m := v + step/2; m <= hi {
			ticks = append(ticks, plot.Tick{Value: m})
		}
	}
	return ticks
}

// latencyTicks marks a log axis of milliseconds at each power of ten, labelled as durations
// ("100µs", "1ms", "10s"), with minor ticks between.
type latencyTicks struct{}

func (latencyTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		v := math.Pow(10, e)
		ticks = append(ticks, plot.Tick{Value: v, Label: formatMillis(v)})
		for i := 2; i < 10; i++ {
			ticks = append(ticks, plot.Tick{Value: v * float64(i)})
		}
	}
	return ticks
}

// formatMillis prints a latency given in milliseconds as a short duration.
func formatMillis(ms float64) string {
	switch {
	case ms >= 1000:
		return trimFloat(ms/1000) + "s"
	case ms >= 1:
		return trimFloat(ms) + "ms"
	default:
		return trimFloat(ms*1000) + "µs"
	}
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.3g", v)
	if strings.ContainsAny(s, "e") {
		return fmt.Sprintf("%.0f", v)
	}
	return s
}

// logRange is a log axis's range for positive values in [lo, hi]: whole powers of ten around
// them (1µs .. 10ms when there is nothing).
func logRange(lo, hi float64) (float64, float64) {
	if !(lo > 0) || math.IsInf(lo, 0) {
		lo = 1e-3
	}
	if !(hi > lo) {
		hi = lo * 10
	}
	return math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
}

// latencyFloor is the smallest latency a log axis shows: the smallest positive latency of the
// samples rounded down to a power of ten. A latency of 0 is drawn there.
func latencyFloor(samples []opSample) float64 {
	lo := math.Inf(1)
	for _, s := range samples {
		if s.returned() && s.ret > s.invoke {
			lo = math.Min(lo, millis(s.latency()))
		}
	}
	floor, _ := logRange(lo, lo*10)
	return floor
}

// stepLine is a post-step line through (x_i, y_i) that holds the last value until xEnd.
func stepLine(xys plotter.XYs, xEnd float64, c color.Color, width vg.Length) *plotter.Line {
	if len(xys) > 0 {
		xys = append(xys, plotter.XY{X: xEnd, Y: xys[len(xys)-1].Y})
	}
	l, _ := plotter.NewLine(xys)
	l.StepStyle = plotter.PostStep
	l.Color = c
	l.Width = width
	return l
}

// segmentLines draws ys (NaN for a window with nothing to show) as lines broken at the gaps;
// the first segment is returned for the legend (nil when there is none).
func segmentLines(p *plot.Plot, xs, ys []float64, c color.Color, width vg.Length, dashes []vg.Length) *plotter.Line {
	var first *plotter.Line
	var seg plotter.XYs
	flush := func() {
		if len(seg) == 0 {
			return
		}
		if len(seg) == 1 { // a lone window: a short flat stroke
			seg = append(seg, plotter.XY{X: seg[0].X + 0.0001, Y: seg[0].Y})
		}
		l, _ := plotter.NewLine(seg)
		l.Color, l.Width, l.Dashes = c, width, dashes
		p.Add(unboxed{l})
		if first == nil {
			first = l
		}
		seg = nil
	}
	for i := range xs {
		if math.IsNaN(ys[i]) {
			flush()
			continue
		}
		seg = append(seg, plotter.XY{X: xs[i], Y: ys[i]})
	}
	flush()
	if first == nil {
		first, _ = plotter.NewLine(plotter.XYs{{}, {X: 1}})
		first.Color, first.Width, first.Dashes = c, width, dashes
	}
	return first
}

// cdfPoints are the points of the empirical CDF of sorted latencies: every latency up to
// maxCDFPoints of them, else maxCDFPoints evenly spaced ranks and the last.
func cdfPoints(sorted []time.Duration, floor float64) plotter.XYs {
	const maxCDFPoints = 2000
	n := len(sorted)
	if n == 0 {
		return nil
	}
	var xys plotter.XYs
	add := func(i int) {
		xys = append(xys, plotter.XY{X: math.Max(millis(sorted[i]), floor), Y: float64(i+1) / float64(n)})
	}
	if n <= maxCDFPoints {
		for i := range n {
			add(i)
		}
		return xys
	}
	for j := 1; j <= maxCDFPoints; j++ {
		add((j*n+maxCDFPoints-1)/maxCDFPoints - 1)
	}
	return xys
}

// cdfLine is the step line of a CDF from its points, starting at 0 at the first latency.
func cdfLine(xys plotter.XYs, c color.Color, width vg.Length, dashes []vg.Length) *plotter.Line {
	pts := plotter.XYs{{X: xys[0].X, Y: 0}}
	pts = append(pts, xys...)
	l, _ := plotter.NewLine(pts)
	l.StepStyle = plotter.PostStep
	l.Color, l.Width, l.Dashes = c, width, dashes
	return l
}
