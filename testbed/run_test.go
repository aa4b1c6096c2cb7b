package testbed

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zoosim/histories"
	"zoosim/models"
	"zoosim/sim/cluster"
	"zoosim/zab"

	"github.com/google/go-cmp/cmp"
)

// smallScenario is a 3-server, 4-client scenario with 3 s of faults: a run takes a few tens of
// milliseconds of wall time.
func smallScenario() cluster.Scenario {
	sc := cluster.SweepScenario()
	sc.Servers, sc.Clients = 3, 4
	sc.Safety = cluster.Duration(3 * time.Second)
	return sc
}

func TestOverall(t *testing.T) {
	v := func(s ...models.Status) []models.Verdict {
		var out []models.Verdict
		for _, x := range s {
			out = append(out, models.Verdict{Status: x})
		}
		return out
	}
	for _, c := range []struct {
		vs   []models.Verdict
		want models.Status
	}{
		{nil, models.Inconclusive},
		{v(models.Pass, models.Pass), models.Pass},
		{v(models.Pass, models.Inconclusive), models.Inconclusive},
		{v(models.Inconclusive, models.Fail, models.Pass), models.Fail},
		{v(models.Pass, 0), models.Inconclusive},
	} {
		if got := Overall(c.vs); got != c.want {
			t.Errorf("Overall(%v) = %s, want %s", c.vs, got, c.want)
		}
	}
}

func TestRunChecksEverything(t *testing.T) {
	r, err := Run(smallScenario(), 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range CheckersFor(smallScenario()) {
		names = append(names, c.Name)
	}
	var got []string
	for _, v := range r.Verdicts {
		got = append(got, v.Checker)
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("verdicts of %v, want every checker %v", got, names)
	}
	mustPass(t, r)
	if len(r.History.Ops) == 0 || len(r.History.Faults) == 0 {
		t.Fatalf("a run with %d ops and %d faults: the scenario did nothing", len(r.History.Ops), len(r.History.Faults))
	}
	if r.History.Header.Commit == "" {
		t.Log("no commit found for the header (not in a git checkout?)")
	}
}

func TestCheckOnly(t *testing.T) {
	r, err := Run(smallScenario(), 2, Options{Check: CheckOptions{Only: []string{CheckerZab, CheckerWatches}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Verdicts) != 2 || r.Verdict(CheckerZab) == nil || r.Verdict(CheckerWatches) == nil {
		t.Fatalf("Only zab and watches gave %s", r.Table())
	}
	_, err = Run(smallScenario(), 2, Options{Check: CheckOptions{Only: []string{"linearisable"}}})
	if !errors.Is(err, ErrUnknownChecker) || !strings.Contains(err.Error(), `"linearisable"`) || !strings.Contains(err.Error(), "linearizable") {
		t.Fatalf("an unknown checker gave %v", err)
	}
}

// A failing run is saved, loads back equal, and replays to the same trace and verdicts.
func TestSaveLoadReplay(t *testing.T) {
	sc := smallScenario()
	sc.Variants = []zab.Variant{zab.ReadFromUncommitted}
	r, err := Run(sc, 3, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path, err := Save(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "seed-3", HistoryFile); path != want {
		t.Fatalf("saved as %s, want %s", path, want)
	}
	again, err := Save(dir, r)
	if err != nil || again == path {
		t.Fatalf("a second save went to %s (%v), over the first", again, err)
	}
	h, err := Load(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(h.Header, r.History.Header) {
		t.Fatalf("loaded header %+v, saved %+v", h.Header, r.History.Header)
	}
	rr, err := Replay(h, Options{})
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if rr.Table() != r.Table() {
		t.Fatalf("replayed verdicts differ:\n%s\nwant\n%s", rr.Table(), r.Table())
	}
	if cmd := ReplayCommand(path); !strings.HasPrefix(cmd, "go run ./cmd/zoosim replay /") {
		t.Fatalf("replay command %q", cmd)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "nope.jsonl")); !errors.Is(err, ErrNoHistoryFile) {
		t.Errorf("a missing file gave %v", err)
	}
	if _, err := Load(dir); !errors.Is(err, ErrNoHistoryFile) {
		t.Errorf("a folder without a history gave %v", err)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"hello\": 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(bad)
	if !errors.Is(err, histories.ErrNotHistory) && !errors.Is(err, histories.ErrBadHistory) {
		t.Errorf("a foreign file gave %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "\n") {
		t.Errorf("the error is not one line: %q", err)
	}
}

func TestCheckNeedsTheScenario(t *testing.T) {
	h := &histories.History{}
	if _, err := Check(h, CheckOptions{}); !errors.Is(err, cluster.ErrBadScenario) {
		t.Fatalf("a header without a scenario gave %v", err)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"/a/b.jsonl": "/a/b.jsonl", "/a b/c": "'/a b/c'", "it's": `'it'\''s'`} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestOutcome(t *testing.T) {
	sc := smallScenario()
	sc.Variants = []zab.Variant{zab.ReadFromUncommitted}
	r, err := Run(sc, 3, Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := r.Outcome()
	if o.OK() || o.Status != "FAIL" || len(o.Failing) == 0 || o.First == "" {
		t.Fatalf("a failing run summarized as %+v", o)
	}
	if o.Seed != 3 || o.Servers != 3 || o.Clients != 4 || o.Ops != len(r.History.Ops) || o.TraceHash != r.History.Header.TraceHash {
		t.Fatalf("outcome %+v does not describe the run", o)
	}
	if o.Converged && (o.Recovery <= 0 || o.Recovery > time.Duration(sc.Liveness).Seconds()) {
		t.Fatalf("recovery %vs outside (0, liveness]", o.Recovery)
	}
	if o.ElectionMax <= 0 {
		t.Fatalf("no election measured: %+v", o)
	}
}
