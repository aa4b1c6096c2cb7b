package cluster

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"zoosim/histories"
	"zoosim/tree"
)

// smallScenario is the sweep preset shrunk for tests: 3 servers, 8 clients, a 5 s safety phase
// with faults.
func smallScenario() Scenario {
	sc := SweepScenario()
	sc.Servers, sc.Clients = 3, 8
	sc.Safety = Duration(5 * time.Second)
	return sc
}

func mustRun(t *testing.T, sc Scenario, seed uint64, opts RunOptions) *histories.History {
	t.Helper()
	h, err := Run(sc, seed, opts)
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	return h
}

// TestRunDeterministic: one seed gives the same trace hash and an identical history, event for
// event; another seed gives another run.
func TestRunDeterministic(t *testing.T) {
	sc := smallScenario()
	a := mustRun(t, sc, 21, RunOptions{Commit: "abc"})
	b := mustRun(t, sc, 21, RunOptions{Commit: "abc"})
	if a.Header.TraceHash != b.Header.TraceHash || a.Header.Events != b.Header.Events {
		t.Fatalf("seed 21 ran twice: trace %#x (%d events) and %#x (%d events)", a.Header.TraceHash, a.Header.Events, b.Header.TraceHash, b.Header.Events)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("seed 21 recorded two different histories:\n%s", diff)
	}
	if len(a.Ops) < 100 || len(a.Faults) == 0 || len(a.Checkpoints) < 10 {
		t.Errorf("a thin run: %d ops, %d faults, %d checkpoints", len(a.Ops), len(a.Faults), len(a.Checkpoints))
	}
	if c := mustRun(t, sc, 22, RunOptions{Commit: "abc"}); c.Header.TraceHash == a.Header.TraceHash {
		t.Errorf("seeds 21 and 22 ran the same trace %#x", a.Header.TraceHash)
	}
}

// TestRecordingKeepsTrace: the observers and checkpoints add nothing to the kernel: a run with
// and without them traces the same events.
func TestRecordingKeepsTrace(t *testing.T) {
	sc := smallScenario()
	rec := mustRun(t, sc, 5, RunOptions{})
	bare := mustRun(t, sc, 5, RunOptions{noRecord: true})
	if rec.Header.TraceHash != bare.Header.TraceHash || rec.Header.Events != bare.Header.Events {
		t.Errorf("recording changed the run: %#x (%d events) with, %#x (%d events) without",
			rec.Header.TraceHash, rec.Header.Events, bare.Header.TraceHash, bare.Header.Events)
	}
	if len(bare.Ops) != 0 || len(rec.Ops) == 0 {
		t.Errorf("ops recorded: %d with the observers, %d without", len(rec.Ops), len(bare.Ops))
	}
}

// TestRunConverges: the default protocol with faults converges after healing, and the history
// holds what the checkers need: a header, ops with outcomes and servers, session and watch
// events, server boots, roles and crashes, applied txns in zxid order, final states.
func TestRunConverges(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		sc := smallScenario()
		h := mustRun(t, sc, seed, RunOptions{Commit: "c0ffee"})
		l := h.Liveness
		if !l.Converged || l.At == histories.Never || l.Pending != "" || l.At < l.Healed {
			t.Fatalf("seed %d did not converge: %+v", seed, l)
		}
		hd := h.Header
		if hd.Format != histories.Format || hd.Seed != seed || hd.Commit != "c0ffee" || hd.Servers != 3 || hd.Clients < sc.Clients+1 || hd.End != l.At {
			t.Errorf("seed %d header: %+v", seed, hd)
		}
		if got, err := ParseScenario(hd.Scenario); err != nil || !cmp.Equal(got, sc) {
			t.Errorf("seed %d: the header's scenario does not parse back to the scenario run: %v", seed, err)
		}
		for _, f := range h.Final {
			if !f.Up || f.Zxid != h.Final[0].Zxid || f.Digest != h.Final[0].Digest {
				t.Errorf("seed %d: final states differ: %+v", seed, h.Final)
				break
			}
		}
		for i, op := range h.Ops {
			if op.ID != i || !op.Returned() {
				t.Fatalf("seed %d: op %d (%+v) did not return before convergence", seed, i, op)
			}
			if op.Outcome != histories.Unknown && (op.Server < 0 || op.Server >= 3) {
				t.Errorf("seed %d: op %d answered by server %d", seed, i, op.Server)
			}
			if op.Outcome == histories.OK && op.IsWrite() && op.Req.Type != tree.OpCloseSession && op.Zxid == 0 {
				t.Errorf("seed %d: write %d succeeded without a zxid", seed, i)
			}
			if op.Session == 0 {
				t.Errorf("seed %d: op %d had no session", seed, i)
			}
		}
		boots := 0
		for _, e := range h.Servers {
			if e.Kind == histories.Boot {
				boots++
			}
		}
		if boots < 3 {
			t.Errorf("seed %d: %d boots recorded", seed, boots)
		}
		for i := 1; i < len(h.Log); i++ {
			if h.Log[i-1].Zxid >= h.Log[i].Zxid {
				t.Fatalf("seed %d: committed log out of order at %d", seed, i)
			}
		}
		if last := h.Log[len(h.Log)-1].Zxid; last != h.Final[0].Zxid {
			t.Errorf("seed %d: log ends at %s, the servers at %s", seed, last, h.Final[0].Zxid)
		}
		connected := false
		for _, e := range h.Events {
			if e.IsSession() && e.State == histories.Connected {
				connected = true
				if e.Server < 0 || e.Timeout != sc.SessionTimeout.ms() {
					t.Errorf("seed %d: connected event %+v", seed, e)
				}
			}
		}
		if !connected {
			t.Errorf("seed %d: no Connected event", seed)
		}
	}
}

func (d Duration) ms() int64 { return time.Duration(d).Milliseconds() }

// TestRunRecordsServerLives: every crash a fault caused is recorded as a Crash server event and
// followed by a Boot of a new incarnation; role changes come with epochs and leaders.
func TestRunRecordsServerLives(t *testing.T) {
	sc := smallScenario()
	sc.Faults.Schedule = []FaultSpec{
		{Kind: histories.FaultCrash, At: Duration(time.Second), For: Duration(time.Second), Target: TargetLeader},
	}
	h := mustRun(t, sc, 9, RunOptions{})
	faults := scheduled(h)
	if len(faults) != 1 {
		t.Fatalf("faults: %+v", faults)
	}
	f := faults[0]
	victim := f.Servers[0]
	var kinds []histories.ServerEventKind
	var wasLeader bool
	for _, e := range h.Servers {
		if e.Server != victim {
			continue
		}
		kinds = append(kinds, e.Kind)
		if e.Kind == histories.Role && e.Seq < f.StartSeq && e.Role == histories.Leading && e.Leader == victim && e.Serving && e.Epoch > 0 {
			wasLeader = true
		}
		if e.Kind == histories.Crash && (e.Seq < f.StartSeq || e.Seq > f.EndSeq) {
			t.Errorf("crash recorded outside the fault [%d, %d]: %+v", f.StartSeq, f.EndSeq, e)
		}
	}
	if !wasLeader {
		t.Errorf("the leader target %s never recorded a leading role before the crash: %v", histories.ServerName(victim), kinds)
	}
	i := slices.Index(kinds, histories.Crash)
	if i < 0 || !slices.Contains(kinds[i:], histories.Boot) || kinds[0] != histories.Boot {
		t.Errorf("server %s events %v: want boot ... crash ... boot", histories.ServerName(victim), kinds)
	}
	incarnations := map[int]bool{}
	for _, a := range h.Applied[victim] {
		incarnations[a.Incarnation] = true
	}
	if !incarnations[1] || !incarnations[2] {
		t.Errorf("the crashed server applied txns in incarnations %v, want 1 and 2", incarnations)
	}
}

// TestRunBadScenario: a scenario that cannot run is an error, not a history.
func TestRunBadScenario(t *testing.T) {
	sc := smallScenario()
	sc.Servers = 0
	if _, err := Run(sc, 1, RunOptions{}); !errors.Is(err, ErrBadScenario) {
		t.Errorf("Run with 0 servers: %v", err)
	}
}

// TestRunPending: a liveness bound too short to converge in is reported, in one line, with what
// was still pending.
func TestRunPending(t *testing.T) {
	sc := smallScenario()
	sc.Cooldown = 0
	sc.Liveness = Duration(time.Millisecond)
	sc.Faults.Schedule = []FaultSpec{{Kind: histories.FaultCrash, At: Duration(4 * time.Second), For: Duration(time.Minute), Target: ServerTarget(0)}}
	h := mustRun(t, sc, 3, RunOptions{})
	l := h.Liveness
	if l.Converged || l.At != histories.Never || l.Pending == "" || strings.Contains(l.Pending, "\n") {
		t.Fatalf("liveness %+v: want not converged with a one-line reason", l)
	}
	if !strings.Contains(l.Pending, "server 1") {
		t.Errorf("pending %q does not name the restarted server 1", l.Pending)
	}
	if f := scheduled(h)[0]; f.EndSeq == 0 || f.End != l.Healed {
		t.Errorf("the crash was not healed at the end of the safety phase: %+v, healed %v", f, l.Healed)
	}
	t.Logf("pending: %s", l.Pending)
}

// TestReplay: a history's header replays to the same trace; a history whose hash does not match
// is reported as diverged, with where.
func TestReplay(t *testing.T) {
	sc := smallScenario()
	sc.Safety = Duration(2 * time.Second)
	h := mustRun(t, sc, 4, RunOptions{})
	if _, err := Replay(h, RunOptions{}); err != nil {
		t.Fatalf("replay: %v", err)
	}
	h.Header.TraceHash++
	h.Checkpoints[len(h.Checkpoints)/2].Hash++
	_, err := Replay(h, RunOptions{})
	if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "diverged between") {
		t.Errorf("replay of a tampered history: %v", err)
	}
}

// TestRunSwarm: a swarm scenario runs the scenario its seed draws, and the header keeps the
// drawn scenario, which replays by itself.
func TestRunSwarm(t *testing.T) {
	sc := smallScenario()
	sc.Swarm = true
	h := mustRun(t, sc, 8, RunOptions{})
	got, err := ParseScenario(h.Header.Scenario)
	if err != nil {
		t.Fatal(err)
	}
	if want := sc.Drawn(8); !cmp.Equal(got, want) || got.Swarm {
		t.Errorf("header scenario:\n%s\nwant the drawn one:\n%s", got.JSON(), want.JSON())
	}
	if h.Header.Servers != got.Servers {
		t.Errorf("header says %d servers, the drawn scenario %d", h.Header.Servers, got.Servers)
	}
}

// TestOptionsTraceFromStart: Options.Trace sees the servers' first boots, which happen inside
// New.
func TestOptionsTraceFromStart(t *testing.T) {
	var b strings.Builder
	e, err := New(Options{Seed: 1, Servers: 3, Trace: &b})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, want := range []string{"sim seed=1 ", "s1 boot #1", "s3 boot #1"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the trace lacks %q:\n%s", want, b.String())
		}
	}
}
