package cluster

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"zoosim/histories"
	"zoosim/tree"
)

// lineFilter keeps the trace lines that contain one of its words.
type lineFilter struct {
	words []string
	kept  []string
	part  []byte
}

func (f *lineFilter) Write(p []byte) (int, error) {
	f.part = append(f.part, p...)
	for {
		i := bytes.IndexByte(f.part, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(f.part[:i])
		f.part = f.part[i+1:]
		for _, w := range f.words {
			if strings.Contains(line, w) {
				f.kept = append(f.kept, line)
				break
			}
		}
	}
}

// everyFault is a schedule with one fault of every kind (and both disk modes), a second apart,
// never two network faults or more than two servers down at once on 5 servers.
func everyFault() []FaultSpec {
	sec := func(s float64) Duration { return Duration(time.Duration(s * float64(time.Second))) }
	half := sec(0.5)
	return []FaultSpec{
		{Kind: histories.FaultCrash, At: sec(1), For: half, Target: TargetLeader},
		{Kind: histories.FaultCrashAfterWrite, At: sec(2), For: half, Target: FollowerTarget(1)},
		{Kind: histories.FaultCrashProposing, At: sec(3.5), For: half},
		{Kind: histories.FaultPartition, At: sec(5), For: half, Groups: [][]int{{0, 1}, {2, 3, 4}}},
		{Kind: histories.FaultIsolate, At: sec(6), For: half, Target: TargetLeader},
		{Kind: histories.FaultOneWay, At: sec(7), For: half, Target: FollowerTarget(0)},
		{Kind: histories.FaultBridge, At: sec(8), For: half, Groups: [][]int{{0, 1}, {2}, {3, 4}}},
		{Kind: histories.FaultRing, At: sec(9), For: half, Groups: [][]int{{4, 2, 0, 3, 1}}},
		{Kind: histories.FaultClog, At: sec(10), For: half, Target: TargetLeader, Peer: FollowerTarget(0)},
		{Kind: histories.FaultSwizzle, At: sec(11), For: sec(1), Groups: [][]int{{3, 1, 4}}, Unclog: []int{1, 4, 3}},
		{Kind: histories.FaultPause, At: sec(12.5), For: half, Target: FollowerTarget(2)},
		{Kind: histories.FaultDisk, At: sec(13.5), For: half, Target: FollowerTarget(0), Mode: DiskCorruptTail},
		{Kind: histories.FaultDisk, At: sec(15), Target: ServerTarget(4), Mode: DiskLostFsync, Count: 2},
		{Kind: histories.FaultClientReset, At: sec(15.5), Clients: []int{0, 1, 2, 3, 4, 5}},
	}
}

// TestEveryFaultKind injects one fault of each kind and checks the history records each with
// its start and end, what it acted on, and that the crashes happened (a Crash then a Boot of the
// server inside the fault); the triggered crashes happened at their moment: the crash-after-write
// server lost the append it had not synced, the crash-proposing leader had its proposal
// outstanding and lost its own unsynced copy, and the corrupt-tail crash landed garbage that the
// restarted server's storage repaired.
func TestEveryFaultKind(t *testing.T) {
	sc := SweepScenario()
	sc.Clients = 10
	sc.Safety = Duration(17 * time.Second)
	sc.Faults.Schedule = everyFault()
	trace := &lineFilter{words: []string{"garbage", "storage repair", "skipped"}}
	h := mustRun(t, sc, 31, RunOptions{Trace: trace})
	if !h.Liveness.Converged {
		t.Errorf("did not converge: %+v", h.Liveness)
	}
	for _, line := range trace.kept {
		if strings.Contains(line, "skipped") {
			t.Errorf("a fault was skipped: %s", line)
		}
	}
	faults := scheduled(h)
	if len(faults) != len(sc.Faults.Schedule) {
		t.Fatalf("%d faults recorded for a schedule of %d:\n%v", len(faults), len(sc.Faults.Schedule), faults)
	}
	for i, f := range faults {
		spec := sc.Faults.Schedule[i]
		if f.Kind != spec.Kind || f.StartSeq == 0 || f.EndSeq < f.StartSeq || f.End < f.Start {
			t.Errorf("fault %d: %+v", i, f)
			continue
		}
		if instant := spec.instant(); instant != (f.End == f.Start) {
			t.Errorf("fault %d (%s): from %v to %v", i, f.Kind, f.Start, f.End)
		}
		if !spec.triggered() && f.Start != histories.Time(h.Liveness.Healed)-histories.Time(sc.Safety)+histories.Time(spec.At) {
			// Not triggered: it starts when the schedule says, relative to the safety phase.
			t.Errorf("fault %d (%s) started at %v", i, f.Kind, sim2(f.Start))
		}
		switch f.Kind {
		case histories.FaultCrash, histories.FaultCrashAfterWrite, histories.FaultCrashProposing:
			checkCrashed(t, h, f)
		case histories.FaultDisk:
			if spec.Mode == DiskCorruptTail {
				checkCrashed(t, h, f)
			} else if len(f.Servers) != 1 || f.Servers[0] != 4 || !strings.Contains(f.Detail, "2 fsyncs") {
				t.Errorf("lost-fsync fault: %+v", f)
			}
		case histories.FaultPartition, histories.FaultBridge, histories.FaultRing:
			if !cmpGroups(f.Groups, spec.Groups) {
				t.Errorf("%s groups %v, want %v", f.Kind, f.Groups, spec.Groups)
			}
		case histories.FaultOneWay:
			if len(f.Servers) != 1 || len(f.Groups) != 2 || len(f.Groups[0]) != 1 || len(f.Groups[1]) != 4 {
				t.Errorf("one-way fault %+v", f)
			}
		case histories.FaultIsolate, histories.FaultPause:
			if len(f.Servers) != 1 {
				t.Errorf("%s fault %+v", f.Kind, f)
			}
		case histories.FaultClog:
			if len(f.Servers) != 2 || f.Servers[0] == f.Servers[1] {
				t.Errorf("clog fault %+v", f)
			}
		case histories.FaultSwizzle:
			if !slices.Equal(f.Servers, []int{3, 1, 4}) || f.End-f.Start >= histories.Time(spec.For) {
				t.Errorf("swizzle fault %+v", f)
			}
		case histories.FaultClientReset:
			checkReset(t, h, f)
		}
	}
	checkAfterWrite(t, h, faults[1])
	checkProposing(t, h, faults[2])
	var garbage, repaired bool
	for _, line := range trace.kept {
		garbage = garbage || strings.Contains(line, "garbage")
		repaired = repaired || strings.Contains(line, "storage repair")
	}
	if !garbage || !repaired {
		t.Errorf("corrupt-tail crash: garbage landed %v, storage repaired %v", garbage, repaired)
	}
}

func sim2(t histories.Time) time.Duration { return time.Duration(t) }

// scheduled returns the faults of h that a schedule injected, leaving out the client faults the
// workloads cause themselves.
func scheduled(h *histories.History) []histories.Fault {
	var out []histories.Fault
	for _, f := range h.Faults {
		if f.Kind != histories.FaultClientKill && f.Kind != histories.FaultClientPause {
			out = append(out, f)
		}
	}
	return out
}

func cmpGroups(a, b [][]int) bool {
	return slices.EqualFunc(a, b, func(x, y []int) bool { return slices.Equal(x, y) })
}

// serverEvents returns server i's events of kind k within [from, to] (by Seq).
func serverEvents(h *histories.History, i int, k histories.ServerEventKind, from, to histories.Seq) []histories.ServerEvent {
	var out []histories.ServerEvent
	for _, e := range h.Servers {
		if e.Server == i && e.Kind == k && e.Seq >= from && e.Seq <= to {
			out = append(out, e)
		}
	}
	return out
}

// checkCrashed: the fault's server crashed when it began and booted again when it ended.
func checkCrashed(t *testing.T, h *histories.History, f histories.Fault) {
	t.Helper()
	if len(f.Servers) != 1 {
		t.Errorf("%s fault %+v", f.Kind, f)
		return
	}
	i := f.Servers[0]
	crashes := serverEvents(h, i, histories.Crash, f.StartSeq, f.EndSeq)
	boots := serverEvents(h, i, histories.Boot, f.StartSeq, f.EndSeq)
	if len(crashes) != 1 || crashes[0].Time != f.Start || len(boots) != 1 || boots[0].Time != f.End {
		t.Errorf("%s fault %+v: crashes %+v, boots %+v", f.Kind, f, crashes, boots)
	}
}

// bootAfter returns the Boot that ended fault f.
func bootAfter(h *histories.History, f histories.Fault) histories.ServerEvent {
	boots := serverEvents(h, f.Servers[0], histories.Boot, f.StartSeq, f.EndSeq)
	if len(boots) == 0 {
		return histories.ServerEvent{Zxid: -1}
	}
	return boots[0]
}

// checkAfterWrite: the crash came between an append and its fsync: the restarted server
// recovered less than it had appended.
func checkAfterWrite(t *testing.T, h *histories.History, f histories.Fault) {
	t.Helper()
	var first, last tree.Zxid
	if _, err := fmt.Sscanf(f.Detail[strings.Index(f.Detail, "appended"):], "appended 0x%x to 0x%x", &first, &last); err != nil || first == 0 {
		t.Fatalf("crash-after-write detail %q: %v", f.Detail, err)
	}
	if b := bootAfter(h, f); b.Zxid >= first || b.Zxid < 0 {
		t.Errorf("crash-after-write: appended %s, recovered %s after the crash: the append was not lost", first, b.Zxid)
	}
}

// checkProposing: the crashed server led, had proposed a txn it had not applied, and lost it.
func checkProposing(t *testing.T, h *histories.History, f histories.Fault) {
	t.Helper()
	var proposed, applied tree.Zxid
	if _, err := fmt.Sscanf(f.Detail, "leader proposed 0x%x, applied 0x%x", &proposed, &applied); err != nil || proposed <= applied {
		t.Fatalf("crash-proposing detail %q: %v", f.Detail, err)
	}
	i := f.Servers[0]
	roles := serverEvents(h, i, histories.Role, 0, f.StartSeq)
	if len(roles) == 0 || roles[len(roles)-1].Role != histories.Leading || !roles[len(roles)-1].Serving {
		t.Errorf("crash-proposing crashed server %d, whose last role was %+v", i, roles)
	}
	for _, a := range h.Applied[i] {
		if a.Seq < f.StartSeq && a.Zxid >= proposed {
			t.Errorf("the leader applied %s before crashing with it outstanding", a.Zxid)
		}
	}
	if b := bootAfter(h, f); b.Zxid >= proposed || b.Zxid < 0 {
		t.Errorf("crash-proposing: proposed %s, the leader recovered %s: its unsynced append survived", proposed, b.Zxid)
	}
}

// checkReset: every reset client lost its connection right then.
func checkReset(t *testing.T, h *histories.History, f histories.Fault) {
	t.Helper()
	if len(f.Clients) == 0 || len(f.Clients) != len(f.Servers) {
		t.Fatalf("client-reset fault %+v", f)
	}
	for _, c := range f.Clients {
		found := false
		for _, e := range h.Events {
			if e.Client == c && e.IsSession() && e.State == histories.Disconnected && e.Seq > f.StartSeq && e.Time-f.Start < histories.Time(time.Second) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("client %d reset at %v was not disconnected", c, sim2(f.Start))
		}
	}
}

// TestFaultLimits: at run time a fault never takes more than MaxDown servers down (the second
// of two overlapping crashes on 3 servers is skipped), and a network fault that starts while
// another lasts ends it first.
func TestFaultLimits(t *testing.T) {
	sc := smallScenario()
	sc.Faults.Schedule = []FaultSpec{
		{Kind: histories.FaultCrash, At: Duration(time.Second), For: Duration(2 * time.Second), Target: ServerTarget(0)},
		{Kind: histories.FaultCrash, At: Duration(1500 * time.Millisecond), For: Duration(time.Second), Target: ServerTarget(1)},
		{Kind: histories.FaultPartition, At: Duration(3500 * time.Millisecond), For: Duration(time.Second), Groups: [][]int{{0}, {1, 2}}},
		{Kind: histories.FaultIsolate, At: Duration(4 * time.Second), For: Duration(500 * time.Millisecond), Target: ServerTarget(2)},
	}
	trace := &lineFilter{words: []string{"skipped"}}
	h := mustRun(t, sc, 2, RunOptions{Trace: trace})
	var kinds []histories.FaultKind
	faults := scheduled(h)
	for _, f := range faults {
		kinds = append(kinds, f.Kind)
	}
	if want := []histories.FaultKind{histories.FaultCrash, histories.FaultPartition, histories.FaultIsolate}; !slices.Equal(kinds, want) {
		t.Fatalf("faults %v, want %v", kinds, want)
	}
	if len(trace.kept) != 1 || !strings.Contains(trace.kept[0], "1 servers already down") {
		t.Errorf("skip notes: %q", trace.kept)
	}
	if p, iso := faults[1], faults[2]; p.End != iso.Start || p.EndSeq > iso.StartSeq {
		t.Errorf("the partition ended at %v, the isolation began at %v", sim2(p.End), sim2(iso.Start))
	}
}
