package reports

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"zoosim/histories"
	"zoosim/models"
	"zoosim/sim/cluster"
	"zoosim/testbed"
	"zoosim/tree"
)

// smallScenario is a short run with faults: 3 servers, 4 clients, 3 simulated seconds of
// SweepScenario (about 0.3 s of wall time with every checker).
func smallScenario() cluster.Scenario {
	sc := cluster.SweepScenario()
	sc.Servers, sc.Clients = 3, 4
	sc.Safety = cluster.Duration(3 * time.Second)
	return sc
}

var (
	smallOnce   sync.Once
	smallResult *testbed.Result
	smallErr    error
)

// smallRun is one run of smallScenario (seed 2), shared by the tests: they only read it.
func smallRun(t testing.TB) *testbed.Result {
	t.Helper()
	smallOnce.Do(func() { smallResult, smallErr = testbed.Run(smallScenario(), 2, testbed.Options{}) })
	if smallErr != nil {
		t.Fatal(smallErr)
	}
	if len(smallResult.History.Faults) == 0 || len(smallResult.History.Ops) < 100 {
		t.Fatalf("the small run has %d faults and %d ops: too little to draw", len(smallResult.History.Faults), len(smallResult.History.Ops))
	}
	return smallResult
}

var (
	brokenOnce   sync.Once
	brokenResult *testbed.Result
	brokenErr    error
)

// nonLinearizableRun is the small run with one acknowledged setData's returned version moved
// far ahead, a reply no linearization explains, judged again by every checker: its
// linearizable verdict fails.
func nonLinearizableRun(t testing.TB) *testbed.Result {
	t.Helper()
	r := smallRun(t)
	brokenOnce.Do(func() {
		h, err := cloneHistory(r.History)
		if err != nil {
			brokenErr = err
			return
		}
		for i := range h.Ops {
			op := &h.Ops[i]
			if op.Req.Type == tree.OpSetData && op.Outcome == histories.OK {
				op.Result.Stat.Version += 1000
				break
			}
		}
		vs, err := testbed.Check(h, testbed.CheckOptions{})
		if err != nil {
			brokenErr = err
			return
		}
		brokenResult = &testbed.Result{Seed: r.Seed, Scenario: r.Scenario, History: h, Verdicts: vs}
	})
	if brokenErr != nil {
		t.Fatal(brokenErr)
	}
	if v := brokenResult.Verdict(testbed.CheckerLinearizable); v == nil || v.Status != models.Fail {
		t.Fatalf("the corrupted history passes the linearizable checker:\n%s", brokenResult.Table())
	}
	return brokenResult
}

// cloneHistory copies a history through its encoding.
func cloneHistory(h *histories.History) (*histories.History, error) {
	var buf bytes.Buffer
	if err := histories.Encode(&buf, h); err != nil {
		return nil, err
	}
	return histories.Decode(&buf)
}

// handHistory is a history built by hand, for metrics that can be worked out on paper (see
// TestMetricsOnAHandBuiltHistory). Windows of 1 s; the run ends at 2.5 s.
//
//	window 0: 100 getData, all invoked at 100 ms, latencies 1, 2, ..., 100 ms, all OK;
//	window 1: 4 setData invoked at 1.5 s: OK after 10 ms, Failed after 20 ms, Unknown
//	          (ConnectionLoss) after 600 ms (it returns in window 2), and one never returned.
func handHistory() *histories.History {
	h := &histories.History{Header: histories.Header{Format: histories.Format, Seed: 9, Servers: 3, Clients: 2,
		End: histories.Time(2500 * time.Millisecond), Scenario: cluster.DefaultScenario().JSON()}}
	ms := func(n int) histories.Time { return histories.Time(time.Duration(n) * time.Millisecond) }
	seq := histories.Seq(1)
	add := func(kind tree.OpCode, invoke histories.Time, latency histories.Time, outcome histories.Outcome) {
		op := histories.Op{ID: len(h.Ops), Req: tree.Request{Type: kind}, Invoke: invoke, InvokeSeq: seq,
			Return: histories.Never, Outcome: outcome, Server: -1}
		seq++
		if latency >= 0 {
			op.Return, op.ReturnSeq = invoke+latency, seq
			seq++
		}
		h.Ops = append(h.Ops, op)
	}
	for i := 1; i <= 100; i++ {
		add(tree.OpGetData, ms(100), ms(i), histories.OK)
	}
	add(tree.OpSetData, ms(1500), ms(10), histories.OK)
	add(tree.OpSetData, ms(1500), ms(20), histories.Failed)
	add(tree.OpSetData, ms(1500), ms(600), histories.Unknown)
	add(tree.OpSetData, ms(1500), -1, histories.Unknown)
	h.Faults = []histories.Fault{
		{ID: 0, Kind: histories.FaultCrash, Servers: []int{1}, Start: ms(1200), StartSeq: seq, End: ms(1800), EndSeq: seq + 1},
		{ID: 1, Kind: histories.FaultClientKill, Clients: []int{1}, Start: ms(2000), StartSeq: seq + 2, End: ms(2000), EndSeq: seq + 3},
	}
	return h
}

// handResult is handHistory as a run with the given verdict statuses, one per checker name.
func handResult(seed uint64, statuses map[string]models.Status) *testbed.Result {
	r := &testbed.Result{Seed: seed, Scenario: cluster.DefaultScenario(), History: handHistory()}
	r.History.Header.Seed = seed
	for _, c := range testbed.Checkers() {
		s, ok := statuses[c.Name]
		if !ok {
			s = models.Pass
		}
		r.Verdicts = append(r.Verdicts, models.Verdict{Checker: c.Name, Status: s, Summary: "by hand"})
	}
	return r
}
