package reports

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNearestRankQuantiles(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 10; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	got := quantilesOf(lat)
	want := Quantiles{N: 10, P50: 5 * time.Millisecond, P95: 10 * time.Millisecond, P99: 10 * time.Millisecond, Max: 10 * time.Millisecond}
	if got != want {
		t.Errorf("quantiles of 1..10 ms = %+v, want %+v", got, want)
	}
	if got := quantilesOf([]time.Duration{7}); got != (Quantiles{N: 1, P50: 7, P95: 7, P99: 7, Max: 7}) {
		t.Errorf("quantiles of one latency = %+v", got)
	}
	if got := quantilesOf(nil); got != (Quantiles{}) {
		t.Errorf("quantiles of nothing = %+v", got)
	}
}

func TestWindow(t *testing.T) {
	for _, c := range []struct{ span, want time.Duration }{
		{0, time.Second}, {62 * time.Second, time.Second}, {600 * time.Second, time.Second},
		{601 * time.Second, 2 * time.Second}, {time.Hour, 6 * time.Second},
	} {
		if got := Window(c.span); got != c.want {
			t.Errorf("Window(%v) = %v, want %v", c.span, got, c.want)
		}
	}
}

// The metrics of handHistory, worked out by hand (see its doc).
func TestMetricsOnAHandBuiltHistory(t *testing.T) {
	rows := Metrics(handHistory(), time.Second)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	s := func(f float64) int64 { return int64(f * 1e9) }
	type row struct {
		start, end                              int64
		kind                                    string
		invoked, completed, ok, failed, unknown int
		throughput                              float64
		latency                                 Quantiles
	}
	var got []row
	for _, r := range rows {
		got = append(got, row{int64(r.Start), int64(r.End), r.Kind, r.Invoked, r.Completed, r.OK, r.Failed, r.Unknown, r.Throughput, r.Latency})
	}
	getData := Quantiles{N: 100, P50: ms(50), P95: ms(95), P99: ms(99), Max: ms(100)}
	setData := Quantiles{N: 3, P50: ms(20), P95: ms(600), P99: ms(600), Max: ms(600)}
	want := []row{
		{0, s(1), AllKinds, 100, 100, 100, 0, 0, 100, getData},
		{0, s(1), "setData", 0, 0, 0, 0, 0, 0, Quantiles{}},
		{0, s(1), "getData", 100, 100, 100, 0, 0, 100, getData},
		{s(1), s(2), AllKinds, 4, 2, 1, 1, 0, 2, setData},
		{s(1), s(2), "setData", 4, 2, 1, 1, 0, 2, setData},
		{s(1), s(2), "getData", 0, 0, 0, 0, 0, 0, Quantiles{}},
		// The last window ends with the run, at 2.5 s: one op in half a second is 2 ops/s.
		{s(2), s(2.5), AllKinds, 0, 1, 0, 0, 1, 2, Quantiles{}},
		{s(2), s(2.5), "setData", 0, 1, 0, 0, 1, 2, Quantiles{}},
		{s(2), s(2.5), "getData", 0, 0, 0, 0, 0, 0, Quantiles{}},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(row{})); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}

	var buf bytes.Buffer
	if err := WriteMetricsCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+len(rows) || strings.Join(recs[0], ",") != strings.Join(metricsHeader, ",") {
		t.Fatalf("metrics.csv has %d records and header %v:\n%s", len(recs), recs[0], buf.String())
	}
	for _, want := range []string{
		"0,1,getData,100,100,100,0,0,100.000,100,50.000,95.000,99.000,100.000",
		"1,2,setData,4,2,1,1,0,2.000,3,20.000,600.000,600.000,600.000",
		"2,2.5,all,0,1,0,0,1,2.000,0,,,,",
	} {
		if !strings.Contains(buf.String(), want+"\n") {
			t.Errorf("metrics.csv lacks the row %q:\n%s", want, buf.String())
		}
	}
}

// A run that ends exactly at a window's edge has no empty window after it; an empty history
// has one window.
func TestMetricsWindowEdges(t *testing.T) {
	h := handHistory()
	h.Header.End = 3 * 1e9
	if rows := Metrics(h, time.Second); len(rows) != 3*3 || rows[len(rows)-1].End != 3*1e9 {
		t.Errorf("a run ending at 3 s: %d rows, last ends at %v", len(rows), rows[len(rows)-1].End)
	}
	h.Ops, h.Header.End = nil, 0
	if rows := Metrics(h, time.Second); len(rows) != 1 || rows[0].Kind != AllKinds || rows[0].End != 1e9 {
		t.Errorf("an empty history: %+v", rows)
	}
}
