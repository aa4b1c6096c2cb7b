package cluster

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"zoosim/histories"
	"zoosim/zab"
)

// TestScenarioPresetsValidate: the presets and a range of swarm draws are runnable.
func TestScenarioPresetsValidate(t *testing.T) {
	for name, sc := range map[string]Scenario{"default": DefaultScenario(), "sweep": SweepScenario()} {
		if err := sc.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if d := DefaultScenario(); d.Servers != 5 || d.Clients != 20 || d.Safety != Duration(time.Minute) || len(d.Faults.Weights) == 0 {
		t.Errorf("DefaultScenario = %d servers, %d clients, %v safety, %d fault kinds; want 5, 20, 1m, faults on",
			d.Servers, d.Clients, d.Safety, len(d.Faults.Weights))
	}
	if s := SweepScenario(); s.Safety != Duration(10*time.Second) || len(s.Faults.Weights) == 0 {
		t.Errorf("SweepScenario: %v safety, %d fault kinds; want 10s with faults", s.Safety, len(s.Faults.Weights))
	}
	for seed := range uint64(200) {
		if err := Swarm(seed).Validate(); err != nil {
			t.Fatalf("Swarm(%d): %v", seed, err)
		}
	}
}

// TestScenarioValidate: each bad field is refused with one line naming it, wrapping
// ErrBadScenario.
func TestScenarioValidate(t *testing.T) {
	cases := []struct {
		field  string
		change func(*Scenario)
	}{
		{"servers", func(s *Scenario) { s.Servers = 0 }},
		{"servers", func(s *Scenario) { s.Servers = MaxServers + 1 }},
		{"clients", func(s *Scenario) { s.Clients = -1 }},
		{"session_timeout", func(s *Scenario) { s.SessionTimeout = 0 }},
		{"known_servers", func(s *Scenario) { s.KnownServers = 6 }},
		{"tick_time", func(s *Scenario) { s.TickTime = -1 }},
		{"safety", func(s *Scenario) { s.Safety = 0 }},
		{"cooldown", func(s *Scenario) { s.Cooldown = -1 }},
		{"liveness", func(s *Scenario) { s.Liveness = s.Cooldown }},
		{"workload.mix", func(s *Scenario) { s.Workload.Mix = Mix{"bogus": 1} }},
		{"workload.mix", func(s *Scenario) { s.Workload.Mix = Mix{} }},
		{"workload.mix.churn", func(s *Scenario) { s.Workload.Mix[WorkloadChurn] = -2 }},
		{"workload.hot_paths", func(s *Scenario) { s.Workload.HotPaths = 0 }},
		{"workload.value_size", func(s *Scenario) { s.Workload.ValueSize = 1 << 30 }},
		{"workload.think", func(s *Scenario) { s.Workload.Think = -1 }},
		{"faults.weights", func(s *Scenario) { s.Faults.Weights = FaultWeights{"meteor": 1} }},
		{"faults.weights.crash", func(s *Scenario) { s.Faults.Weights[histories.FaultCrash] = -1 }},
		{"faults.mean_gap", func(s *Scenario) { s.Faults.MeanGap = 0 }},
		{"faults.mean_duration", func(s *Scenario) { s.Faults.MeanDuration = 0 }},
		{"faults.max_down", func(s *Scenario) { s.Faults.MaxDown = 9 }},
		{"faults.schedule[0]", func(s *Scenario) { s.Faults.Schedule = []FaultSpec{{Kind: "meteor", For: 1}} }},
		{"faults.schedule[0]", func(s *Scenario) {
			s.Faults.Schedule = []FaultSpec{{Kind: histories.FaultCrash, At: s.Safety, For: 1, Target: TargetLeader}}
		}},
		{"faults.schedule[1]", func(s *Scenario) {
			s.Faults.Schedule = []FaultSpec{{Kind: histories.FaultCrash, For: 1, Target: TargetLeader},
				{Kind: histories.FaultCrash, For: 1, Target: "lead"}}
		}},
		{"faults.schedule[0]", func(s *Scenario) {
			s.Faults.Schedule = []FaultSpec{{Kind: histories.FaultPartition, For: 1, Groups: [][]int{{0, 1}, {1, 2}}}}
		}},
		{"faults.schedule[0]", func(s *Scenario) {
			s.Faults.Schedule = []FaultSpec{{Kind: histories.FaultBridge, For: 1, Groups: [][]int{{0}, {1, 2}, {3}}}}
		}},
		{"faults.schedule[0]", func(s *Scenario) {
			s.Faults.Schedule = []FaultSpec{{Kind: histories.FaultSwizzle, For: 1, Groups: [][]int{{0, 1}}, Unclog: []int{0, 2}}}
		}},
		{"faults.schedule[0]", func(s *Scenario) {
			s.Faults.Schedule = []FaultSpec{{Kind: histories.FaultClientReset, Clients: []int{20}}}
		}},
		{"faults.schedule[0]", func(s *Scenario) {
			s.Faults.Schedule = []FaultSpec{{Kind: histories.FaultDisk, Mode: DiskLostFsync, Target: ServerTarget(5)}}
		}},
		{"variants", func(s *Scenario) { s.Variants = []zab.Variant{"no-such-bug"} }},
		{"network.latency", func(s *Scenario) { s.Network.Latency = Dist{Kind: 9} }},
		{"disk.fsync_latency", func(s *Scenario) { s.Disk.FsyncLatency = Dist{Kind: 1, Floor: 2, Max: 1} }},
		{"disk.crash", func(s *Scenario) { s.Disk.Crash = "shred" }},
		{"disk.lost_fsync", func(s *Scenario) { s.Disk.LostFsync = Ratio{Num: 2, Den: 1} }},
	}
	for _, c := range cases {
		sc := DefaultScenario()
		c.change(&sc)
		err := sc.Validate()
		switch {
		case err == nil:
			t.Errorf("%s: accepted", c.field)
		case !errors.Is(err, ErrBadScenario):
			t.Errorf("%s: %v does not wrap ErrBadScenario", c.field, err)
		case !strings.Contains(err.Error(), ": "+c.field+": "):
			t.Errorf("%s: error %q does not name the field", c.field, err)
		case strings.Contains(err.Error(), "\n"):
			t.Errorf("%s: error %q is not one line", c.field, err)
		}
	}
}

// TestScenarioJSONRoundTrip: a scenario encodes as JSON that ParseScenario reads back equal,
// explicit schedules and swarm draws included; durations are text.
func TestScenarioJSONRoundTrip(t *testing.T) {
	withSchedule := SweepScenario()
	withSchedule.Faults.Schedule = withSchedule.Schedule(7)
	withSchedule.Variants = []zab.Variant{zab.AckBeforeFsync}
	noFaults := DefaultScenario()
	noFaults.Faults.Weights = FaultWeights{}
	emptySchedule := DefaultScenario()
	emptySchedule.Faults.Schedule = []FaultSpec{}
	for name, sc := range map[string]Scenario{"default": DefaultScenario(), "sweep": SweepScenario(), "schedule": withSchedule,
		"no faults": noFaults, "empty schedule": emptySchedule, "swarm 3": Swarm(3), "swarm 4": Swarm(4)} {
		b := sc.JSON()
		got, err := ParseScenario(b)
		if err != nil {
			t.Errorf("%s: %v\n%s", name, err, b)
			continue
		}
		if diff := cmp.Diff(sc, got); diff != "" {
			t.Errorf("%s: round trip differs (-want +got):\n%s", name, diff)
		}
	}
	if b := string(DefaultScenario().JSON()); !strings.Contains(b, `"safety":"1m0s"`) || !strings.Contains(b, `"latency":"lognormal(`) {
		t.Errorf("durations and distributions should be text: %s", b)
	}
}

// TestParseScenario: a file overrides the defaults it names (weights whole), and bad input is a
// one-line error.
func TestParseScenario(t *testing.T) {
	sc, err := ParseScenario([]byte(`{"servers": 3, "safety": "5s", "faults": {"weights": {"crash": 1}}, "workload": {"mix": {"register": 1}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultScenario()
	want.Servers, want.Safety = 3, Duration(5*time.Second)
	want.Faults.Weights = FaultWeights{histories.FaultCrash: 1}
	want.Workload.Mix = Mix{WorkloadRegister: 1}
	if diff := cmp.Diff(want, sc); diff != "" {
		t.Errorf("partial file (-want +got):\n%s", diff)
	}
	for name, in := range map[string]string{
		"unknown field":  `{"servrs": 3}`,
		"bad duration":   `{"safety": "ten seconds"}`,
		"number":         `{"safety": 10}`,
		"bad dist":       `{"network": {"latency": "gauss(1ms)"}}`,
		"bad ratio":      `{"disk": {"lost_fsync": "half"}}`,
		"trailing":       `{"servers": 3} {}`,
		"not json":       `servers: 3`,
		"invalid":        `{"servers": 0}`,
		"nested unknown": `{"faults": {"schedule": [{"kind": "crash", "at": "1s", "for": "1s", "target": "leader", "who": 1}]}}`,
	} {
		_, err := ParseScenario([]byte(in))
		switch {
		case err == nil:
			t.Errorf("%s: accepted", name)
		case !errors.Is(err, ErrBadScenario):
			t.Errorf("%s: %v does not wrap ErrBadScenario", name, err)
		case strings.Contains(err.Error(), "\n"):
			t.Errorf("%s: %q is not one line", name, err)
		}
	}
}

// TestSwarm: a seed draws the same scenario every time, seeds draw different ones, and the
// draws cover the cluster sizes; Drawn keeps the base's phases and variants.
func TestSwarm(t *testing.T) {
	if !cmp.Equal(Swarm(11), Swarm(11)) {
		t.Fatal("Swarm(11) drew two different scenarios")
	}
	sizes := map[int]bool{}
	distinct := map[string]bool{}
	for seed := range uint64(50) {
		sc := Swarm(seed)
		if sc.Swarm {
			t.Fatalf("Swarm(%d) left Swarm set", seed)
		}
		sizes[sc.Servers] = true
		distinct[string(sc.JSON())] = true
	}
	if len(sizes) != 3 || len(distinct) < 45 {
		t.Errorf("50 seeds drew sizes %v and %d distinct scenarios", sizes, len(distinct))
	}
	base := SweepScenario()
	base.Swarm = true
	base.Variants = []zab.Variant{zab.WatchAfterReply}
	d := base.Drawn(5)
	if d.Safety != base.Safety || !cmp.Equal(d.Variants, base.Variants) || d.Swarm {
		t.Errorf("Drawn lost the base's phases or variants: %+v", d)
	}
	if plain := SweepScenario(); !cmp.Equal(plain.Drawn(5), plain) {
		t.Error("Drawn changed a scenario without Swarm")
	}
}

// TestSchedulePlan: a drawn schedule is deterministic per seed, valid, within the safety phase,
// never has two network faults at once, never plans more than MaxDown servers down, and covers
// every weighted kind over a few seeds.
func TestSchedulePlan(t *testing.T) {
	sc := DefaultScenario()
	if !cmp.Equal(sc.Schedule(3), sc.Schedule(3)) {
		t.Fatal("seed 3 drew two schedules")
	}
	if cmp.Equal(sc.Schedule(3), sc.Schedule(4)) {
		t.Error("seeds 3 and 4 drew the same schedule")
	}
	kinds := map[histories.FaultKind]bool{}
	for seed := range uint64(20) {
		sched := sc.Schedule(seed)
		if len(sched) < 5 {
			t.Errorf("seed %d: only %d faults in a 60 s phase with a 3 s mean gap", seed, len(sched))
		}
		for i := range sched {
			f := &sched[i]
			kinds[f.Kind] = true
			if err := f.validate(sc); err != nil {
				t.Fatalf("seed %d entry %d: %v", seed, i, err)
			}
			if i > 0 && f.At < sched[i-1].At {
				t.Errorf("seed %d: entries out of order at %d", seed, i)
			}
			if !fits(f, sched[:i], sc.maxDown()) {
				t.Errorf("seed %d entry %d (%s at %v) overlaps what the plan forbids", seed, i, f.Kind, f.At)
			}
		}
	}
	for _, k := range FaultKinds() {
		if !kinds[k] {
			t.Errorf("no %s fault in 20 drawn schedules", k)
		}
	}
	explicit := sc
	explicit.Faults.Schedule = []FaultSpec{{Kind: histories.FaultCrash, At: 1, For: 2, Target: TargetLeader}}
	if got := explicit.Schedule(3); !cmp.Equal(got, explicit.Faults.Schedule) {
		t.Errorf("an explicit schedule came back as %v", got)
	}
	none := sc
	none.Faults.Weights = nil
	if got := none.Schedule(3); len(got) != 0 {
		t.Errorf("no weights drew %d faults", len(got))
	}
	// A scenario file's schedule entry, as a person writes it.
	var spec FaultSpec
	if err := json.Unmarshal([]byte(`{"kind": "clog", "at": "2s", "for": "500ms", "target": "follower:1", "peer": "leader"}`), &spec); err != nil {
		t.Fatal(err)
	}
	if err := spec.validate(sc); err != nil || spec.For != Duration(500*time.Millisecond) {
		t.Errorf("hand-written clog entry: %+v, %v", spec, err)
	}
}
