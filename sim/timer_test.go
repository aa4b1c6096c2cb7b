package sim

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// Timers fire in the order of their times, ties in the order they were armed, and a stopped
// timer never fires.
func TestTimersFireInOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := MustNew(plainOptions(1))
		defer w.Close()
		type armed struct {
			id int
			at Time
		}
		var want []armed
		var fired []int
		n := rapid.IntRange(1, 50).Draw(t, "timers")
		timers := make([]*Timer, n)
		for i := range timers {
			i := i
			timers[i] = w.NewTimer("t", func() { fired = append(fired, i) })
			d := ms(rapid.IntRange(0, 20).Draw(t, "delay"))
			timers[i].Reset(d)
			want = append(want, armed{i, Time(d)})
		}
		for i, tm := range timers {
			if rapid.Bool().Draw(t, "stop") {
				tm.Stop()
				want = slices.DeleteFunc(want, func(a armed) bool { return a.id == i })
			}
		}
		slices.SortStableFunc(want, func(a, b armed) int { return int(a.at - b.at) })
		w.RunFor(ms(100))
		var wantIDs []int
		for _, a := range want {
			wantIDs = append(wantIDs, a.id)
		}
		if !slices.Equal(fired, wantIDs) {
			t.Fatalf("fired %v, want %v", fired, wantIDs)
		}
	})
}

func TestTimerResetMovesAndStopReports(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	var firedAt []Time
	tm := w.NewTimer("x", func() { firedAt = append(firedAt, w.Now()) })
	tm.Reset(ms(5))
	tm.Reset(ms(7))
	if !tm.Armed() || tm.When() != at(7) {
		t.Fatalf("armed=%v when=%v", tm.Armed(), tm.When())
	}
	w.RunFor(ms(10))
	if !slices.Equal(firedAt, []Time{at(7)}) {
		t.Fatalf("fired at %v, want once at 7ms", firedAt)
	}
	if tm.Stop() {
		t.Fatal("Stop of a fired timer reported it armed")
	}
	tm.Reset(ms(1))
	if !tm.Stop() {
		t.Fatal("Stop of an armed timer reported it idle")
	}
	w.RunFor(ms(10))
	if len(firedAt) != 1 {
		t.Fatalf("a stopped timer fired: %v", firedAt)
	}
}

// A paused node handles nothing until resumed; what came due meanwhile runs then, in order.
func TestPausedNodeFiresLateInOrder(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	var log []string
	n := w.AddNode("n1", func(n *Node) {
		n.After(ms(5), "a", func() { log = append(log, "a@"+n.Now().String()) })
		n.After(ms(3), "b", func() { log = append(log, "b@"+n.Now().String()) })
		n.After(ms(30), "c", func() { log = append(log, "c@"+n.Now().String()) })
	})
	w.RunFor(ms(1))
	if err := w.Pause(n.ID()); err != nil {
		t.Fatal(err)
	}
	w.RunFor(ms(19))
	if len(log) != 0 {
		t.Fatalf("paused node ran %v", log)
	}
	if err := w.Resume(n.ID()); err != nil {
		t.Fatal(err)
	}
	w.RunFor(ms(20))
	want := []string{"b@" + at(20).String(), "a@" + at(20).String(), "c@" + at(30).String()}
	if !slices.Equal(log, want) {
		t.Fatalf("got %v, want %v", log, want)
	}
}

// A crash drops the node's timers; a restart boots fresh software with fresh timers.
func TestCrashDropsTimersAndRestartReboots(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	boots, fires := 0, 0
	n := w.AddNode("n1", func(n *Node) {
		boots++
		n.After(ms(10), "tick", func() { fires++ })
	})
	w.RunFor(ms(5))
	if err := w.Crash(n.ID()); err != nil {
		t.Fatal(err)
	}
	w.RunFor(ms(10))
	if fires != 0 {
		t.Fatal("a crashed node's timer fired")
	}
	if err := w.Restart(n.ID()); err != nil {
		t.Fatal(err)
	}
	w.RunFor(ms(20))
	if boots != 2 || fires != 1 || n.Incarnation() != 2 {
		t.Fatalf("boots=%d fires=%d incarnation=%d", boots, fires, n.Incarnation())
	}
}

func TestFaultCallsOnBadNodesReturnErrors(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	n := w.AddNode("n1", noSoftware)
	checks := []struct {
		name string
		err  error
		want error
	}{
		{"crash unknown", w.Crash(7), ErrUnknownNode},
		{"restart up", w.Restart(n.ID()), ErrNodeUp},
		{"resume unpaused", w.Resume(n.ID()), ErrNodeNotPaused},
		{"partition unknown", w.Partition([]NodeID{0}, []NodeID{9}), ErrUnknownNode},
		{"partition overlap", w.Partition([]NodeID{0}, []NodeID{0}), ErrBadFault},
		{"clog negative", w.ClogNode(0, -ms(1)), ErrBadFault},
		{"bridge self", w.Bridge([]NodeID{0}, 0, nil), ErrBadFault},
	}
	for _, c := range checks {
		if !isErr(c.err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.err, c.want)
		}
	}
	_ = w.Pause(n.ID())
	if err := w.Pause(n.ID()); !isErr(err, ErrNodePaused) {
		t.Errorf("pause twice: %v", err)
	}
	_ = w.Crash(n.ID())
	if err := w.Crash(n.ID()); !isErr(err, ErrNodeDown) {
		t.Errorf("crash twice: %v", err)
	}
}
