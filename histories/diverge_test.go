package histories

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"zoosim/tree"
)

// divCopy returns a deep copy of h, made by the codec, so that changing it leaves h alone.
func divCopy(t codecTB, h *History) *History {
	t.Helper()
	c, err := Decode(bytes.NewReader(codecEncode(t, h)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDivergeIdentical(t *testing.T) {
	h := codecTinyHistory()
	if d, ok := Diverge(h, divCopy(t, h)); ok {
		t.Fatalf("identical histories diverge: %s", d)
	}
	if d, ok := Diverge(h, h); ok {
		t.Fatalf("a history diverges from itself: %s", d)
	}
	rapid.Check(t, func(t *rapid.T) {
		h := codecGenHistory.Draw(t, "history")
		if d, ok := Diverge(h, divCopy(t, h)); ok {
			t.Fatalf("a history diverges from its copy: %s", d)
		}
	})
}

// divCase runs Diverge on the tiny history and a changed copy and checks what it says.
func divCase(t *testing.T, change func(b *History), want Divergence, message string) {
	t.Helper()
	a := codecTinyHistory()
	b := divCopy(t, a)
	change(b)
	d, ok := Diverge(a, b)
	if !ok {
		t.Fatalf("the changed history does not diverge")
	}
	msg := d.String()
	d.Headers = nil
	if d.Record != nil {
		d.Record.Message = ""
	}
	got, wantRec := d, want.Record
	got.Record, want.Record = nil, nil
	if got.SameHeader != want.SameHeader || got.Windowed != want.Windowed || got.From != want.From || got.To != want.To ||
		got.FromEvents != want.FromEvents || got.ToEvents != want.ToEvents {
		t.Errorf("divergence %+v, want %+v", got, want)
	}
	switch {
	case wantRec == nil && d.Record != nil:
		t.Errorf("record %+v, want none", *d.Record)
	case wantRec != nil && d.Record == nil:
		t.Errorf("no record, want %+v", *wantRec)
	case wantRec != nil && *d.Record != *wantRec:
		t.Errorf("record %+v, want %+v", *d.Record, *wantRec)
	}
	if msg != message {
		t.Errorf("String:\n got %s\nwant %s", msg, message)
	}
	// Diverge is symmetric in what it finds, if not in its words.
	if _, ok := Diverge(b, a); !ok {
		t.Errorf("Diverge(b, a) finds nothing")
	}
}

func TestDivergeOpResult(t *testing.T) {
	// Op 3 (c1 delete /b, at 0.470s) succeeds in the replay, and the trace parts before the
	// checkpoint at 0.500s.
	divCase(t, func(b *History) {
		op := &b.Ops[3]
		op.Outcome, op.Err, op.Result = OK, tree.OK, tree.Result{Type: tree.OpDelete, Path: "/b"}
		for i := 3; i < len(b.Checkpoints); i++ {
			b.Checkpoints[i].Hash++
		}
		b.Header.TraceHash++
	}, Divergence{SameHeader: true, Windowed: true, From: 401_000_000, FromEvents: 3000, To: 500_000_000, ToEvents: 4000,
		Record: &RecordDiff{Kind: "op", Seq: 21, Time: 470_000_000, Op: 3}},
		"the runs diverged between 0.401s and 0.500s (events 3000-4000); first different record: op 3 (c1 delete /b) returned NoNode in one run, OK in the other; at the end: trace hash 0x1234abcd5678ef90 vs 0x1234abcd5678ef91")
}

func TestDivergeOpValue(t *testing.T) {
	divCase(t, func(b *History) {
		b.Ops[1].Result.Data = []byte("v9")
	}, Divergence{SameHeader: true, Record: &RecordDiff{Kind: "op", Seq: 13, Time: 362_000_000, Op: 1}},
		`the runs diverged; first different record: op 1 (c1 getData /a) returned OK path=/a data="v0" stat={czxid=0x100000001 mzxid=0x100000001 ctime=350 mtime=350 version=0 cversion=0 aversion=0 ephemeralOwner=0x0 dataLength=2 numChildren=0 pzxid=0x100000001} in one run, OK path=/a data="v9" stat={czxid=0x100000001 mzxid=0x100000001 ctime=350 mtime=350 version=0 cversion=0 aversion=0 ephemeralOwner=0x0 dataLength=2 numChildren=0 pzxid=0x100000001} in the other`)
}

func TestDivergeMissingEvent(t *testing.T) {
	// The replay never delivers the watch event at seq 17, so every later record comes one
	// seq earlier.
	drop := func(b *History) {
		b.Events = slices.Delete(b.Events, 1, 2)
		shift := func(s *Seq) {
			if *s > 17 {
				*s--
			}
		}
		for i := range b.Ops {
			shift(&b.Ops[i].InvokeSeq)
			shift(&b.Ops[i].ReturnSeq)
		}
		for i := range b.Events {
			shift(&b.Events[i].Seq)
		}
		for i := range b.Faults {
			shift(&b.Faults[i].StartSeq)
			shift(&b.Faults[i].EndSeq)
		}
		for i := range b.Servers {
			shift(&b.Servers[i].Seq)
		}
	}
	divCase(t, drop, Divergence{SameHeader: true, Record: &RecordDiff{Kind: "event", Seq: 17, Time: 402_000_000, Op: -1}},
		"the runs diverged; first different record: event c1 NodeDataChanged /a (zxid 0x100000002) at 0.402s (seq 17) happened in the first run only")
	// Without the renumbering (a recorder that skipped the record but not its seq), the same.
	divCase(t, func(b *History) { b.Events = slices.Delete(b.Events, 1, 2) },
		Divergence{SameHeader: true, Record: &RecordDiff{Kind: "event", Seq: 17, Time: 402_000_000, Op: -1}},
		"the runs diverged; first different record: event c1 NodeDataChanged /a (zxid 0x100000002) at 0.402s (seq 17) happened in the first run only")
}

func TestDivergeExtraRecord(t *testing.T) {
	divCase(t, func(b *History) {
		b.Servers = append(b.Servers, ServerEvent{Server: 2, Time: 650_000_000, Seq: 27, Kind: Crash})
	}, Divergence{SameHeader: true, Record: &RecordDiff{Kind: "server", Seq: 27, Time: 650_000_000, Op: -1}},
		"the runs diverged; first different record: s3 crash at 0.650s (seq 27) happened in the second run only")
}

func TestDivergeDifferentRecords(t *testing.T) {
	// At seq 19 the replay crashes s2 where the original partitioned the network.
	divCase(t, func(b *History) {
		b.Faults[0].Kind, b.Faults[0].Groups, b.Faults[0].Servers = FaultCrash, nil, []int{1}
	}, Divergence{SameHeader: true, Record: &RecordDiff{Kind: "fault", Seq: 19, Time: 450_000_000, Op: -1}},
		"the runs diverged; first different record: fault 0 (partition [s1] | [s2 s3]) started at 0.450s in one run, fault 0 (crash s2) started at 0.450s in the other")
}

func TestDivergeCheckpoint(t *testing.T) {
	// The traces part between the samples at 0.300s and 0.401s, though no record shows it.
	divCase(t, func(b *History) {
		b.Checkpoints[2].Events += 7
		b.Checkpoints[2].Hash++
	}, Divergence{SameHeader: true, Windowed: true, From: 300_000_000, FromEvents: 2000, To: 401_000_000, ToEvents: 3000},
		"the runs diverged between 0.300s and 0.401s (events 2000-3000); the records agree")
	// A replay that stops early: the window closes at its end.
	divCase(t, func(b *History) {
		b.Checkpoints = b.Checkpoints[:3]
		b.Header.End, b.Header.Events, b.Header.TraceHash = 450_000_000, 3500, 7
	}, Divergence{SameHeader: true, Windowed: true, From: 401_000_000, FromEvents: 3000, To: 450_000_000, ToEvents: 3500},
		"the runs diverged between 0.401s and 0.450s (events 3000-3500); the records agree; at the end: trace hash 0x1234abcd5678ef90 vs 0x7, events 5500 vs 3500, end 0.700s vs 0.450s")
	// Every sample agrees, only the final hash differs: the window is the last stretch.
	divCase(t, func(b *History) { b.Header.TraceHash = 1 },
		Divergence{SameHeader: true, Windowed: true, From: 600_000_000, FromEvents: 5000, To: 700_000_000, ToEvents: 5500},
		"the runs diverged between 0.600s and 0.700s (events 5000-5500); the records agree; at the end: trace hash 0x1234abcd5678ef90 vs 0x1")
}

func TestDivergeHeaders(t *testing.T) {
	divCase(t, func(b *History) {
		b.Header.Seed = 43
		b.Header.Scenario = []byte(`{"servers":5}`)
	}, Divergence{SameHeader: false},
		"the runs have different headers (seed 42 vs 43, scenario differs), so they need not agree; the runs diverged; the records agree")
}

func TestDivergeLogFinalLiveness(t *testing.T) {
	divCase(t, func(b *History) { b.Log[1].Ops[0].Data = []byte("other") },
		Divergence{SameHeader: true, Record: &RecordDiff{Kind: "txn", Op: -1}},
		`the runs diverged; first different record: committed txn 1 is multi zxid=0x100000002 session=0x1000000000001 [setData /a data="\xff\x00\x01" version=1; create /a/seq-0000000000 data="" owner=0x1000000000001 parentCversion=1] in one run, multi zxid=0x100000002 session=0x1000000000001 [setData /a data="other" version=1; create /a/seq-0000000000 data="" owner=0x1000000000001 parentCversion=1] in the other`)
	divCase(t, func(b *History) { b.Final[2].Zxid = 0x100000002 },
		Divergence{SameHeader: true, Record: &RecordDiff{Kind: "final", Op: -1}},
		"the runs diverged; first different record: s3 ended up following epoch 1 at 0x100000001 digest 0x2222 in one run, up following epoch 1 at 0x100000002 digest 0x2222 in the other")
	divCase(t, func(b *History) { b.Liveness = Liveness{Healed: 600_000_000, Converged: true, At: 650_000_000} },
		Divergence{SameHeader: true, Record: &RecordDiff{Kind: "liveness", Op: -1}},
		"the runs diverged; first different record: the liveness phase found no convergence (healed at 0.600s; server s1 down) in one run, convergence at 0.650s (healed at 0.600s) in the other")
}

// TestDivergeFindsEveryChange plants one random change in a copy of a random history and
// checks that Diverge notices it.
func TestDivergeFindsEveryChange(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := codecGenHistory.Draw(t, "history")
		b := divCopy(t, a)
		var changes []func()
		if len(b.Ops) > 0 {
			i := rapid.IntRange(0, len(b.Ops)-1).Draw(t, "op")
			changes = append(changes, func() { b.Ops[i].Err-- }, func() { b.Ops[i].Req.Path += "x" }, func() { b.Ops[i].Result.Count++ })
		}
		if len(b.Events) > 0 {
			i := rapid.IntRange(0, len(b.Events)-1).Draw(t, "event")
			changes = append(changes, func() { b.Events[i].Zxid++ }, func() { b.Events = slices.Delete(b.Events, i, i+1) })
		}
		if len(b.Faults) > 0 {
			i := rapid.IntRange(0, len(b.Faults)-1).Draw(t, "fault")
			changes = append(changes, func() { b.Faults[i].End++ }, func() { b.Faults[i].Detail += "x" })
		}
		if len(b.Servers) > 0 {
			i := rapid.IntRange(0, len(b.Servers)-1).Draw(t, "server")
			changes = append(changes, func() { b.Servers[i].Epoch++ })
		}
		if len(b.Recipes) > 0 {
			i := rapid.IntRange(0, len(b.Recipes)-1).Draw(t, "recipe")
			changes = append(changes, func() { b.Recipes[i].Token++ }, func() { b.Recipes = slices.Delete(b.Recipes, i, i+1) })
		}
		for s := range b.Applied {
			if len(b.Applied[s]) > 0 {
				changes = append(changes, func() { b.Applied[s][0].Digest++ })
			}
		}
		if len(b.Log) > 0 {
			changes = append(changes, func() { b.Log[0].Cxid++ }, func() { b.Log = b.Log[1:] })
		}
		if len(b.Checkpoints) > 0 {
			changes = append(changes, func() { b.Checkpoints[0].Hash++ })
		}
		if len(b.Final) > 0 {
			changes = append(changes, func() { b.Final[0].Up = !b.Final[0].Up })
		}
		changes = append(changes, func() { b.Liveness.Pending += "x" }, func() { b.Header.Seed++ }, func() { b.Header.TraceHash++ })
		rapid.SampledFrom(changes).Draw(t, "change")()
		d, ok := Diverge(a, b)
		if !ok {
			t.Fatalf("a changed copy does not diverge")
		}
		if s := d.String(); s == "" || strings.Contains(s, "\n") {
			t.Fatalf("String() = %q, want one line", s)
		}
	})
}
