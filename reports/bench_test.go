package reports

import (
	"path/filepath"
	"testing"
	"time"

	"zoosim/sim/cluster"
	"zoosim/testbed"
)

// benchOps is the size of the run BenchmarkRunFolder reports on (issue 6: "the report of a
// 100,000-operation run, all plots included: under 3 seconds").
const benchOps = 100_000

// BenchmarkRunFolder writes the whole run folder (history, metrics, every plot as PNG and SVG,
// report.html) of a run of at least benchOps ops: the default scenario with a 135 s safety
// phase (60 s gives about 49,000 ops), run and judged once before the timed loop.
//
//	go test ./reports -run '^$' -bench BenchmarkRunFolder -benchtime 5x
func BenchmarkRunFolder(b *testing.B) {
	sc := cluster.DefaultScenario()
	sc.Safety = cluster.Duration(135 * time.Second)
	r, err := testbed.Run(sc, 1, testbed.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if n := len(r.History.Ops); n < benchOps {
		b.Fatalf("the run has %d ops, want at least %d", n, benchOps)
	}
	dir := b.TempDir()
	for b.Loop() {
		if err := WriteRunFolder(filepath.Join(dir, "run"), r, "replay"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(r.History.Ops)), "ops")
}
