package sim

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDefaultOptionsAreValidAndPrintEveryField(t *testing.T) {
	o := DefaultOptions(42)
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	s := o.String()
	for _, field := range []string{"seed=42", "network.latency=lognormal(", "network.detection-delay=",
		"network.egress-bytes-per-sec=0", "network.unsafe-reorder=0", "network.unsafe-duplicate=0",
		"disk.fsync-latency=", "disk.crash=lose-unsynced", "disk.lost-fsync=0", "disk.corrupt-tail=0"} {
		if !strings.Contains(s, field) {
			t.Errorf("options print %q without %q", s, field)
		}
	}
	// Every distribution printed in the header reads back as itself.
	for _, d := range []Distribution{o.Network.Latency, o.Network.DetectionDelay, o.Disk.FsyncLatency} {
		if back, err := ParseDistribution(d.String()); err != nil || back != d {
			t.Errorf("%s does not round-trip: %+v, %v", d, back, err)
		}
	}
}

// Bad options are errors naming the field and the problem, never panics; New refuses them.
func TestBadOptionsNameTheField(t *testing.T) {
	cases := []struct {
		change func(*Options)
		want   string
	}{
		{func(o *Options) { o.Network.Latency = Const(-time.Millisecond) }, "network.latency: sim: bad distribution: const(-1ms): floor -1ms is negative"},
		{func(o *Options) { o.Network.DetectionDelay = UniformIn(ms(5), ms(1)) }, "network.detection-delay:"},
		{func(o *Options) { o.Network.EgressBytesPerSec = -1 }, "network.egress-bytes-per-sec: -1 is negative"},
		{func(o *Options) { o.Network.UnsafeReorder = Frac(3, 2) }, "network.unsafe-reorder: sim: bad ratio: 3/2 is over 1"},
		{func(o *Options) { o.Network.UnsafeDuplicate = Frac(1, 0) }, "network.unsafe-duplicate:"},
		{func(o *Options) { o.Disk.FsyncLatency = Exp(0, 0) }, "disk.fsync-latency:"},
		{func(o *Options) { o.Disk.Crash = 9 }, "disk.crash: unknown mode 9"},
		{func(o *Options) { o.Disk.LostFsync = Frac(2, 1) }, "disk.lost-fsync:"},
		{func(o *Options) { o.Disk.CorruptTail = Frac(5, 4) }, "disk.corrupt-tail:"},
	}
	for _, c := range cases {
		o := DefaultOptions(1)
		c.change(&o)
		err := o.Validate()
		if !errors.Is(err, ErrBadOptions) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want ErrBadOptions containing %q", err, c.want)
		}
		if strings.Count(err.Error(), "\n") != 0 {
			t.Errorf("one bad field gave a multi-line error: %q", err)
		}
		if w, err := New(o); w != nil || err == nil {
			t.Errorf("New accepted options with %q", c.want)
		}
	}
	// Several bad fields: all are reported, one per line.
	o := DefaultOptions(1)
	o.Network.Latency = Const(-1)
	o.Disk.LostFsync = Frac(2, 1)
	if err := o.Validate(); strings.Count(err.Error(), "\n") != 1 {
		t.Errorf("two bad fields: %q", err)
	}
}

func TestParseCrashMode(t *testing.T) {
	for _, m := range []CrashMode{LoseUnsynced, TornUnsynced} {
		if back, err := ParseCrashMode(m.String()); err != nil || back != m {
			t.Errorf("%v: %v %v", m, back, err)
		}
	}
	if _, err := ParseCrashMode("shred"); !errors.Is(err, ErrBadOptions) || !strings.Contains(err.Error(), `"shred"`) {
		t.Errorf("ParseCrashMode(shred) = %v", err)
	}
}

func TestTimePrintsFixedWidthAndSaturates(t *testing.T) {
	for tm, want := range map[Time]string{
		0: "00:00:00.000000000",
		Time(62*time.Second + 3*time.Millisecond): "00:01:02.003000000",
		Time(25 * time.Hour):                      "25:00:00.000000000",
		-Time(time.Second):                        "-00:00:01.000000000",
		Never:                                     "never",
	} {
		if got := tm.String(); got != want {
			t.Errorf("%d prints %q, want %q", int64(tm), got, want)
		}
	}
	if got := (Never - 5).Add(time.Hour); got != Never {
		t.Errorf("Add past the end gave %v, want Never", got)
	}
	if at(5).Sub(at(2)) != ms(3) || at(2).Max(at(5)) != at(5) {
		t.Error("Sub or Max is wrong")
	}
}

// Misuse of the API by the code under test is a programmer error: it panics with a message that
// says what was wrong.
func TestProgrammerErrorsPanicClearly(t *testing.T) {
	cases := map[string]func(w *World){
		"before now": func(w *World) {
			w.RunFor(ms(5))
			w.At(at(1), "late", func() {})
		},
		"two nodes named": func(w *World) { w.AddNode("x", noSoftware); w.AddNode("x", noSoftware) },
		"no node 7":       func(w *World) { w.Node(7) },
		"nil handler": func(w *World) {
			a := w.AddNode("a", noSoftware)
			a.Dial(a.ID(), 1, nil)
		},
		"completed twice": func(w *World) { f := NewFuture[int](); f.Resolve(1); f.Resolve(2) },
		"has no function": func(w *World) { w.NewTimer("t", nil) },
		"which is down": func(w *World) {
			a := w.AddNode("a", noSoftware)
			_ = w.Crash(a.ID())
			a.Spawn("p", func(*Proc) {})
		},
	}
	for want, misuse := range cases {
		t.Run(want, func(t *testing.T) {
			w := newWorld(t, plainOptions(1))
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), want) {
					t.Fatalf("recovered %v, want a panic mentioning %q", r, want)
				}
			}()
			misuse(w)
		})
	}
}
