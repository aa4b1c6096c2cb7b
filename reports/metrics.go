package reports

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"zoosim/histories"
)

// AllKinds is the Kind of the metrics rows that count every op kind together.
const AllKinds = "all"

// Quantiles summarizes a set of latencies: nearest-rank quantiles (the q-quantile of n sorted
// latencies is the ceil(q*n)-th), so each is a latency some op had. All are 0 when N is 0.
type Quantiles struct {
	N                  int
	P50, P95, P99, Max time.Duration
}

// quantilesOf summarizes latencies sorted in increasing order.
func quantilesOf(sorted []time.Duration) Quantiles {
	n := len(sorted)
	if n == 0 {
		return Quantiles{}
	}
	return Quantiles{N: n, P50: nearestRank(sorted, 0.50), P95: nearestRank(sorted, 0.95),
		P99: nearestRank(sorted, 0.99), Max: sorted[n-1]}
}

// nearestRank is the q-quantile of sorted (not empty): its ceil(q*n)-th element, computed in
// integers (per mille) so that 0.95*100 is 95, not 95.00000000000001.
func nearestRank[T any](sorted []T, q float64) T {
	n := len(sorted)
	perMille := int(q*1000 + 0.5)
	rank := (perMille*n + 999) / 1000
	return sorted[min(max(rank, 1), n)-1]
}

// WindowMetrics is one row of metrics.csv: one op kind (or AllKinds) in one window of virtual
// time.
type WindowMetrics struct {
	// Start and End bound the window, [Start, End); the last window ends with the run.
	Start, End histories.Time
	Kind       string
	// Invoked counts the ops invoked in the window; Completed those that returned in it, split
	// by outcome into OK, Failed and Unknown (a client's own ConnectionLoss or SessionExpired).
	Invoked, Completed, OK, Failed, Unknown int
	// Throughput is Completed per second of the window.
	Throughput float64
	// Latency summarizes the latencies of the ops invoked in the window that returned.
	Latency Quantiles
}

// Window is the metrics window for a run that lasted span: 1 s up to ten minutes, then the
// smallest whole number of seconds that keeps the run within 600 windows.
func Window(span time.Duration) time.Duration {
	const maxWindows = 600
	if span <= maxWindows*time.Second {
		return time.Second
	}
	secs := (span + maxWindows*time.Second - 1) / (maxWindows * time.Second)
	return secs * time.Second
}

// opSample is what the reports read of one op.
type opSample struct {
	invoke, ret histories.Time // ret is histories.Never when the op never returned
	kind        string
	outcome     histories.Outcome
}

func (s opSample) returned() bool         { return s.ret != histories.Never }
func (s opSample) latency() time.Duration { return time.Duration(s.ret - s.invoke) }

// runData is a history read once for every plot and table of a report.
type runData struct {
	h       *histories.History
	samples []opSample
	// kinds are the op kinds present, in kindOrder.
	kinds []string
	// span is the run's length: its end, or its last op when that is later.
	span histories.Time
}

func newRunData(h *histories.History) *runData {
	d := &runData{h: h, span: h.Header.End, samples: make([]opSample, len(h.Ops))}
	seen := map[string]bool{}
	for i := range h.Ops {
		op := &h.Ops[i]
		s := opSample{invoke: op.Invoke, ret: histories.Never, kind: op.Req.Type.String(), outcome: op.Outcome}
		if op.Returned() && op.Return != histories.Never {
			s.ret = op.Return
			d.span = max(d.span, s.ret)
		}
		d.span = max(d.span, s.invoke)
		d.samples[i] = s
		if !seen[s.kind] {
			seen[s.kind] = true
			d.kinds = append(d.kinds, s.kind)
		}
	}
	sortKinds(d.kinds)
	return d
}

// preferredKinds fixes the order (and so the colors) of the common op kinds in every plot and
// table; other kinds follow by name.
var preferredKinds = []string{"create", "delete", "setData", "getData", "exists", "getChildren",
	"sync", "multi", "check", "closeSession", "addWatch"}

func kindRank(k string) int {
	if i := slices.Index(preferredKinds, k); i >= 0 {
		return i
	}
	return len(preferredKinds)
}

func sortKinds(kinds []string) {
	slices.SortFunc(kinds, func(a, b string) int {
		return cmp.Or(cmp.Compare(kindRank(a), kindRank(b)), cmp.Compare(a, b))
	})
}

// Metrics computes the per-window metrics of a history: for each window of the given length
// from time 0 to the end of the run, a row for AllKinds and then one for each op kind the
// history holds (in a fixed order: the common kinds first, then by name), windows with no op
// included, so that a plot shows an outage as zero throughput.
func Metrics(h *histories.History, window time.Duration) []WindowMetrics {
	return newRunData(h).metrics(window)
}

func (d *runData) metrics(window time.Duration) []WindowMetrics {
	if window <= 0 {
		window = time.Second
	}
	w := histories.Time(window)
	n := int(d.span/w) + 1
	if d.span > 0 && d.span%w == 0 {
		n-- // the run ends exactly at a window's edge
	}
	cols := len(d.kinds) + 1
	kindCol := make(map[string]int, len(d.kinds))
	for i, k := range d.kinds {
		kindCol[k] = i + 1
	}
	rows := make([]WindowMetrics, n*cols)
	lat := make([][]time.Duration, n*cols)
	for wi := range n {
		start := histories.Time(wi) * w
		end := start + w
		if wi == n-1 && d.span > start {
			end = min(end, d.span) // the last window ends with the run
		}
		for c := range cols {
			r := &rows[wi*cols+c]
			r.Start, r.End, r.Kind = start, end, AllKinds
			if c > 0 {
				r.Kind = d.kinds[c-1]
			}
		}
	}
	windowOf := func(t histories.Time) int { return min(int(t/w), n-1) }
	for _, s := range d.samples {
		c := kindCol[s.kind]
		wi := windowOf(s.invoke)
		for _, col := range []int{0, c} {
			rows[wi*cols+col].Invoked++
			if s.returned() {
				lat[wi*cols+col] = append(lat[wi*cols+col], s.latency())
			}
		}
		if !s.returned() {
			continue
		}
		wr := windowOf(s.ret)
		for _, col := range []int{0, c} {
			r := &rows[wr*cols+col]
			r.Completed++
			switch s.outcome {
			case histories.OK:
				r.OK++
			case histories.Failed:
				r.Failed++
			default:
				r.Unknown++
			}
		}
	}
	for i := range rows {
		r := &rows[i]
		if secs := time.Duration(r.End - r.Start).Seconds(); secs > 0 {
			r.Throughput = float64(r.Completed) / secs
		}
		slices.Sort(lat[i])
		r.Latency = quantilesOf(lat[i])
	}
	return rows
}

// metricsHeader is metrics.csv's header row.
var metricsHeader = []string{"window_start_s", "window_end_s", "kind", "invoked", "completed", "ok", "failed",
	"unknown", "throughput_per_s", "latency_n", "p50_ms", "p95_ms", "p99_ms", "max_ms"}

// WriteMetricsCSV writes rows as CSV with a header: times in seconds, latencies in
// milliseconds (empty when no op of the row returned), throughput in ops per second.
func WriteMetricsCSV(w io.Writer, rows []WindowMetrics) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(metricsHeader); err != nil {
		return err
	}
	secs := func(t histories.Time) string { return strconv.FormatFloat(time.Duration(t).Seconds(), 'f', -1, 64) }
	ms := func(d time.Duration, n int) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64)
	}
	for _, r := range rows {
		q := r.Latency
		rec := []string{secs(r.Start), secs(r.End), r.Kind, strconv.Itoa(r.Invoked), strconv.Itoa(r.Completed),
			strconv.Itoa(r.OK), strconv.Itoa(r.Failed), strconv.Itoa(r.Unknown),
			strconv.FormatFloat(r.Throughput, 'f', 3, 64), strconv.Itoa(q.N),
			ms(q.P50, q.N), ms(q.P95, q.N), ms(q.P99, q.N), ms(q.Max, q.N)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("reports: metrics.csv: %w", err)
	}
	return nil
}

// latencies returns the sorted latencies of the returned samples that keep(s) accepts.
func latencies(samples []opSample, keep func(opSample) bool) []time.Duration {
	var out []time.Duration
	for _, s := range samples {
		if s.returned() && (keep == nil || keep(s)) {
			out = append(out, s.latency())
		}
	}
	slices.Sort(out)
	return out
}

// activeSpan is the time clients were at work in a run: from the first invoke to the last
// return (0 without a returned op).
func (d *runData) activeSpan() time.Duration {
	first, last := histories.Never, histories.Time(0)
	for _, s := range d.samples {
		first = min(first, s.invoke)
		if s.returned() {
			last = max(last, s.ret)
		}
	}
	if first == histories.Never || last <= first {
		return 0
	}
	return time.Duration(last - first)
}

// completed counts the samples that returned.
func (d *runData) completed() int {
	n := 0
	for _, s := range d.samples {
		if s.returned() {
			n++
		}
	}
	return n
}
