package cluster

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// RunOptions.Progress sees the phases advance and end, and changes nothing in the run.
func TestProgressKeepsTheRun(t *testing.T) {
	sc := smallScenario()
	var calls []time.Duration
	var total time.Duration
	with := mustRun(t, sc, 9, RunOptions{Progress: func(done, tot time.Duration) {
		calls = append(calls, done)
		total = tot
	}})
	without := mustRun(t, sc, 9, RunOptions{})
	if diff := cmp.Diff(with, without); diff != "" {
		t.Fatalf("progress reporting changed the run:\n%s", diff)
	}
	if want := time.Duration(sc.Safety + sc.Liveness); total != want {
		t.Errorf("total %v, want safety plus liveness %v", total, want)
	}
	if len(calls) < 10 || len(calls) > 102 {
		t.Errorf("%d progress calls, want one per 1%% at most and some", len(calls))
	}
	for i := 1; i < len(calls); i++ {
		if calls[i] < calls[i-1] {
			t.Fatalf("progress went back: %v after %v", calls[i], calls[i-1])
		}
	}
	if last := calls[len(calls)-1]; last != total {
		t.Errorf("the last progress call says %v of %v", last, total)
	}
}
