package models

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"zoosim/histories"
	"zoosim/tree"
)

// liveMetric returns the named metric's value, failing the test when it is absent.
func liveMetric(t *testing.T, v Verdict, name string) float64 {
	t.Helper()
	for _, m := range v.Metrics {
		if m.Name == name {
			return m.Value
		}
	}
	t.Fatalf("no metric %q in %v", name, v.Metrics)
	return 0
}

func liveWantMetrics(t *testing.T, v Verdict, want map[string]float64) {
	t.Helper()
	for name, w := range want {
		if got := liveMetric(t, v, name); math.Abs(got-w) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
}

// TestLivenessHealthyRun measures zabHealthy: the first election takes 110 ms, s1 crashes at
// 500 ms and s2 serves at 810 ms; the last write (the only one after healing at 1 s) returns at
// 1.202 s; the run converges at 1.5 s; no write waits a second.
func TestLivenessHealthyRun(t *testing.T) {
	v := CheckLiveness(zabHealthy(nil), LivenessOptions{})
	zabWant(t, v, Pass, "converged 0.500s after healing at 1.000s", "2 elections (max 0.310s)", "first write 0.202s after healing")
	liveWantMetrics(t, v, map[string]float64{
		"elections": 2, "election_mean": 0.21, "election_max": 0.31,
		"first_write_after_heal": 0.202,
		"unavailable_windows":    0, "unavailable_total": 0, "unavailable_max": 0,
		"convergence": 0.5,
	})
	var names []string
	for _, m := range v.Metrics {
		names = append(names, m.Name)
	}
	want := []string{"elections", "election_mean", "election_max", "first_write_after_heal",
		"unavailable_windows", "unavailable_total", "unavailable_max", "convergence"}
	if !slices.Equal(names, want) {
		t.Errorf("metrics %v, want %v in that order", names, want)
	}

	// Counting every wait, however short, each of the five writes is a 2 ms window.
	v = CheckLiveness(zabHealthy(nil), LivenessOptions{MinWindow: time.Millisecond})
	liveWantMetrics(t, v, map[string]float64{"unavailable_windows": 5, "unavailable_total": 0.010, "unavailable_max": 0.002})
}

func TestLivenessFailsWhenTheRunDidNotConverge(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.write(200, 0, 1, 1, 0, 1, 2)
	b.live = histories.Liveness{Healed: zabMs(1000), At: histories.Never, Pending: "server 3 at 0x2_0000000a, leader at 0x2_0000000c"}
	v := CheckLiveness(b.finish(5000), LivenessOptions{})
	zabWant(t, v, Fail, "did not converge after healing at 1.000s: server 3 at 0x2_0000000a, leader at 0x2_0000000c")
	if !strings.Contains(v.Summary, "server 3 at 0x2_0000000a, leader at 0x2_0000000c") || v.Violations[0].Time != zabMs(5000) {
		t.Errorf("summary should quote the pending reason at the end of the run:\n%s", v.String())
	}
	for _, m := range v.Metrics {
		if m.Name == "convergence" {
			t.Errorf("a run that did not converge has no convergence time: %v", v.Metrics)
		}
	}
}

func TestLivenessWithoutALivenessPhaseIsInconclusive(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	v := CheckLiveness(b.finish(500), LivenessOptions{})
	zabWant(t, v, Inconclusive, "no liveness phase")
	zabWant(t, CheckLiveness(nil, LivenessOptions{}), Inconclusive, "no history")
}

// TestLivenessElectionsAfterFaults: a leader cut off by a fault stops counting as a serving
// leader at the fault's start, though its role does not change, until another leader serves or
// the fault ends with it still leading. A partition that leaves the leader a majority costs no
// election.
func TestLivenessElectionsAfterFaults(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2) // [0, 110 ms]
	isolate := b.r.FaultStart(zabMs(1000), histories.Fault{Kind: histories.FaultIsolate, Servers: []int{0}})
	b.looking(1100, 1, 2)
	b.elect(2000, 2, 1, 2) // [1000, 2010 ms]
	b.looking(2500, 0)
	b.r.FaultEnd(zabMs(3000), isolate)
	pause := b.r.FaultStart(zabMs(4000), histories.Fault{Kind: histories.FaultPause, Servers: []int{1}})
	b.r.FaultEnd(zabMs(4200), pause) // [4000, 4200 ms]: s2 still leads when resumed
	majority := b.r.FaultStart(zabMs(5000), histories.Fault{Kind: histories.FaultPartition, Groups: [][]int{{0}, {1, 2}}})
	b.r.FaultEnd(zabMs(5500), majority)
	minority := b.r.FaultStart(zabMs(6000), histories.Fault{Kind: histories.FaultPartition, Groups: [][]int{{1}, {0, 2}}})
	b.r.FaultEnd(zabMs(6100), minority) // [6000, 6100 ms]
	clog := b.r.FaultStart(zabMs(7000), histories.Fault{Kind: histories.FaultClog, Servers: []int{1}})
	b.r.FaultEnd(zabMs(7500), clog)
	b.role(8000, 1, histories.Looking, 2, -1, false) // s2 steps down
	b.elect(8300, 3, 1, 0, 2)                        // [8000, 8310 ms]
	b.converged(6100, 9000)
	h := b.finish(9000)
	v := CheckLiveness(h, LivenessOptions{})
	zabWant(t, v, Pass, "5 elections (max 1.010s)")
	liveWantMetrics(t, v, map[string]float64{
		"elections": 5, "election_max": 1.01, "election_mean": (0.110 + 1.010 + 0.200 + 0.100 + 0.310) / 5,
	})

	v = CheckLiveness(h, LivenessOptions{MaxElection: time.Second})
	zabWant(t, v, Fail, "no serving leader for 1.010s from 1.000s (bound 1s)")
	if v.Total != 1 || v.Violations[0].Time != zabMs(1000) {
		t.Errorf("want one violation at the isolation:\n%s", v.String())
	}
}

func TestLivenessOpenElectionLastsToTheEnd(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.crash(1000, 0)
	b.looking(1010, 1, 2)
	b.live = histories.Liveness{Healed: zabMs(1500), At: histories.Never, Pending: "no leader"}
	v := CheckLiveness(b.finish(4000), LivenessOptions{MaxElection: 2 * time.Second})
	zabWant(t, v, Fail, "no serving leader for 3.000s from 1.000s until the end of the run (bound 2s)", "did not converge")
	if v.Summary != "did not converge after healing at 1.500s: no leader (and 1 more violation(s))" {
		t.Errorf("the summary should lead with the reason the run did not converge: %q", v.Summary)
	}
	liveWantMetrics(t, v, map[string]float64{"elections": 2, "election_max": 3})
}

func TestLiveCut(t *testing.T) {
	for _, c := range []struct {
		f    histories.Fault
		n    int
		want []int
	}{
		{histories.Fault{Kind: histories.FaultIsolate, Servers: []int{2}}, 3, []int{2}},
		{histories.Fault{Kind: histories.FaultPause, Servers: []int{0}}, 5, []int{0}},
		{histories.Fault{Kind: histories.FaultCrash, Servers: []int{1}}, 3, []int{1}},
		{histories.Fault{Kind: histories.FaultPartition, Groups: [][]int{{0, 1}, {2, 3, 4}}}, 5, []int{0, 1}},
		{histories.Fault{Kind: histories.FaultPartition, Groups: [][]int{{0}, {1}, {2}}}, 3, []int{0, 1, 2}},
		{histories.Fault{Kind: histories.FaultOneWay, Groups: [][]int{{0}, {1, 2}}}, 3, []int{0}},
		{histories.Fault{Kind: histories.FaultOneWay, Groups: [][]int{{0, 1}, {2}}}, 3, []int{2}},
		{histories.Fault{Kind: histories.FaultBridge, Groups: [][]int{{0, 1}, {2}, {3, 4}}}, 5, nil},
		{histories.Fault{Kind: histories.FaultBridge, Groups: [][]int{{0}, {1}, {2, 3, 4}}}, 5, []int{0}},
		{histories.Fault{Kind: histories.FaultClog, Servers: []int{0, 1, 2}}, 3, nil},
		{histories.Fault{Kind: histories.FaultRing, Groups: [][]int{{0, 1, 2, 3, 4}}}, 5, nil},
		{histories.Fault{Kind: histories.FaultDisk, Servers: []int{0}}, 3, nil},
	} {
		if got := liveCut(&c.f, c.n); !slices.Equal(got, c.want) {
			t.Errorf("%s %v %v of %d: cut %v, want %v", c.f.Kind, c.f.Servers, c.f.Groups, c.n, got, c.want)
		}
	}
}

// TestLivenessUnavailabilityWindows plants, on three clients:
//   - a write at 1 s answered in 10 ms: no window;
//   - c1's write at 2 s lost (ConnectionLoss at 3.5 s) while c2's, from 2.5 s, succeeds at 4 s:
//     nothing answered from 2 s to 4 s;
//   - a write at 5 s the server fails (BadVersion) at 5.1 s: answered, a 0.1 s wait;
//   - c1 retrying after ConnectionLoss from 6 s, answered at 7.5 s: one 1.5 s window;
//   - c2 giving up after a ConnectionLoss at 8.1 s, writing again only at 12 s: the window ends
//     with its failure (0.1 s), the idle time is no unavailability;
//   - a write at 13 s that never returns: open to the end of the run at 16 s.
func TestLivenessUnavailabilityWindows(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	req := &tree.Request{Type: tree.OpSetData, Path: "/k", Version: -1}
	xid := map[int]int32{}
	invoke := func(ms int64, client int) int32 {
		xid[client]++
		b.r.Invoke(zabMs(ms), client, zabSession(client), xid[client], req)
		return xid[client]
	}
	answer := func(ms int64, client int, x int32, err tree.Code) {
		b.r.Return(zabMs(ms), client, x, err, 0, zabZxid(1, uint32(ms)), &tree.Result{})
	}
	lose := func(ms int64, client int, x int32) { b.r.Return(zabMs(ms), client, x, tree.ConnectionLoss, -1, 0, nil) }

	answer(1010, 0, invoke(1000, 0), tree.OK)
	lost, won := invoke(2000, 1), invoke(2500, 2)
	b.r.Invoke(zabMs(2600), 2, zabSession(2), 100, &tree.Request{Type: tree.OpGetData, Path: "/k"}) // reads do not count
	b.r.Return(zabMs(2700), 2, 100, tree.OK, 0, zabZxid(1, 1), &tree.Result{})
	lose(3500, 1, lost)
	answer(4000, 2, won, tree.OK)
	answer(5100, 0, invoke(5000, 0), tree.BadVersion)
	for ms := int64(6000); ms < 7300; ms += 100 {
		lose(ms+80, 1, invoke(ms, 1))
	}
	answer(7500, 1, invoke(7300, 1), tree.OK)
	lose(8100, 2, invoke(8000, 2))
	answer(12010, 2, invoke(12000, 2), tree.OK)
	invoke(13000, 0)
	b.converged(0, 15000)
	h := b.finish(16000)

	v := CheckLiveness(h, LivenessOptions{})
	zabWant(t, v, Pass, "3 unavailability windows (max 3.000s)")
	liveWantMetrics(t, v, map[string]float64{"unavailable_windows": 3, "unavailable_total": 6.5, "unavailable_max": 3,
		"first_write_after_heal": 1.010})

	v = CheckLiveness(h, LivenessOptions{MinWindow: 50 * time.Millisecond})
	liveWantMetrics(t, v, map[string]float64{"unavailable_windows": 5, "unavailable_total": 6.7})

	v = CheckLiveness(h, LivenessOptions{MaxUnavailable: 2500 * time.Millisecond})
	zabWant(t, v, Fail, "no write was answered for 3.000s from 13.000s until the end of the run while clients were writing (bound 2.5s)")
	if v.Total != 1 {
		t.Errorf("the 2 s and 1.5 s windows are within the bound:\n%s", v.String())
	}
}

func TestLivenessBounds(t *testing.T) {
	for _, c := range []struct {
		name string
		opts LivenessOptions
		want string
	}{
		{"convergence", LivenessOptions{MaxConvergence: 100 * time.Millisecond}, "at 1.500s: converged 0.500s after healing at 1.000s (bound 100ms)"},
		{"election", LivenessOptions{MaxElection: 200 * time.Millisecond}, "at 0.500s: no serving leader for 0.310s from 0.500s (bound 200ms)"},
		{"first write", LivenessOptions{MaxFirstWrite: 100 * time.Millisecond}, "at 1.000s: the first successful write after healing at 1.000s returned 0.202s later (bound 100ms)"},
		{"unavailable", LivenessOptions{MaxUnavailable: time.Millisecond, MinWindow: time.Millisecond}, "at 0.200s: no write was answered for 0.002s from 0.200s while clients were writing (bound 1ms)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := CheckLiveness(zabHealthy(nil), c.opts)
			zabWant(t, v, Fail, c.want)
		})
	}
	generous := LivenessOptions{MaxConvergence: time.Second, MaxElection: 400 * time.Millisecond,
		MaxFirstWrite: 300 * time.Millisecond, MaxUnavailable: time.Second}
	zabWant(t, CheckLiveness(zabHealthy(nil), generous), Pass)
}

func TestLivenessNoWriteAfterHealing(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.write(200, 0, 1, 1, 0, 1, 2)
	b.r.Invoke(zabMs(1100), 0, zabSession(0), 9, &tree.Request{Type: tree.OpCreate, Path: "/x"})
	b.r.Return(zabMs(1200), 0, 9, tree.ConnectionLoss, -1, 0, nil)
	b.converged(1000, 1300)
	h := b.finish(1400)
	v := CheckLiveness(h, LivenessOptions{})
	zabWant(t, v, Pass)
	for _, m := range v.Metrics {
		if m.Name == "first_write_after_heal" {
			t.Errorf("no write succeeded after healing, yet %v", m)
		}
	}
	zabWant(t, CheckLiveness(h, LivenessOptions{MaxFirstWrite: time.Second}), Fail,
		"no write succeeded after healing at 1.000s, though clients issued 1")
}
