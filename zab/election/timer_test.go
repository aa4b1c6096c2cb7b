package election

import (
	"testing"
	"time"

	"zoosim/zab/wire"
)

const ms = time.Millisecond

func wantDeadline(t *testing.T, e *Election, want time.Duration) {
	t.Helper()
	if at, ok := e.Deadline(); !ok || at != want {
		t.Errorf("deadline %v %v, want %v (%s)", at, ok, want, e)
	}
}

// TestFinalizeWait follows one finalize wait: a quorum starts it, votes that are not better
// are dropped and restart it, a better one ends it, and its end decides (zookeeper.md B2).
func TestFinalizeWait(t *testing.T) {
	e := looking(t, 1, z5, 1)
	v2, v3 := vote(2, z5, 1), vote(3, z5, 1)
	e.Receive(100*ms, note(2, v2, 1, wire.Looking)) // 1 and 2 propose v2: a quorum
	e.Outbox()
	if !e.finalizing {
		t.Fatalf("no finalize wait: %s", e)
	}
	wantDeadline(t, e, 300*ms)
	e.Tick(299 * ms)
	if _, ok := e.Decision(); ok {
		t.Fatal("decided before the end of the wait")
	}
	// Not better (a worse vote, even from a higher round): dropped unrecorded, wait restarts.
	e.Receive(250*ms, note(3, vote(1, z5, 1), 7, wire.Looking))
	wantDeadline(t, e, 450*ms)
	wantVote(t, e, 1, v2)
	if _, ok := recorded(e, 3); ok {
		t.Errorf("a vote received in the finalize wait was recorded: %s", e)
	}
	// Better: the wait ends and the vote is processed as usual (adopted, sent, recorded);
	// 1 and 3 now propose v3, a quorum again: a new wait.
	e.Receive(400*ms, note(3, v3, 1, wire.Looking))
	wantOut(t, e, "1->2 LOOKING round 1 (3, 0x100000005, e1)", "1->3 LOOKING round 1 (3, 0x100000005, e1)")
	wantVote(t, e, 1, v3)
	wantDeadline(t, e, 600*ms)
	e.Tick(700 * ms) // late is fine
	d, ok := e.Decision()
	if want := (Decision{Leader: 3, Vote: v3, Round: 1, State: wire.Following, Via: ViaQuorum}); !ok || d != want {
		t.Fatalf("decision %v %v, want %v", d, ok, want)
	}
}

// TestFinalizeWaitEndsOnBetterVoteInAnyRound: the wait compares votes only, as ZooKeeper's
// does; a better vote from an older round ends it, and the main loop then ignores it.
func TestFinalizeWaitEndsOnBetterVoteInAnyRound(t *testing.T) {
	e := looking(t, 1, z5, 1)
	e.Look(0, vote(1, z5, 1)) // round 2
	e.Receive(0, note(2, vote(2, z5, 1), 2, wire.Looking))
	e.Outbox()
	if !e.finalizing {
		t.Fatalf("no finalize wait: %s", e)
	}
	e.Receive(50*ms, note(3, vote(3, z5, 1), 1, wire.Looking))
	wantOut(t, e, "1->3 LOOKING round 2 (2, 0x100000005, e1)") // the receiver's answer
	if e.finalizing {
		t.Errorf("a better vote did not end the wait: %s", e)
	}
	wantVote(t, e, 2, vote(2, z5, 1))
	// Back in the main loop, the retransmission timer runs from the end of the wait.
	wantDeadline(t, e, 250*ms)
}

// TestRetransmissionBackoff: nothing received for the interval, the server sends its
// proposal again and doubles the interval, 200 ms up to the maximum; receiving anything
// restarts the wait but keeps the interval (B2, notTimeout).
func TestRetransmissionBackoff(t *testing.T) {
	e := looking(t, 2, z5, 1, func(c *Config) { c.MaxNotificationInterval = 1500 * ms })
	wantDeadline(t, e, 200*ms)
	e.Tick(199 * ms)
	wantOut(t, e)
	at := 200 * ms
	for _, next := range []time.Duration{400, 800, 1500, 1500} {
		e.Tick(at)
		wantOut(t, e, "2->1 LOOKING round 1 (2, 0x100000005, e1)", "2->3 LOOKING round 1 (2, 0x100000005, e1)")
		at += next * ms
		wantDeadline(t, e, at)
	}
	// A worse vote from 1: recorded, no quorum. The wait restarts from now, interval kept.
	e.Receive(at-100*ms, note(1, vote(1, z5, 1), 1, wire.Looking))
	wantDeadline(t, e, at-100*ms+1500*ms)
	// A late Tick retransmits once and waits a full interval from then.
	e.Tick(10 * time.Second)
	wantOut(t, e, "2->1 LOOKING round 1 (2, 0x100000005, e1)", "2->3 LOOKING round 1 (2, 0x100000005, e1)")
	wantDeadline(t, e, 10*time.Second+1500*ms)
	// Look starts again from the minimum interval.
	e.Look(11*time.Second, vote(2, z5, 1))
	wantDeadline(t, e, 11*time.Second+200*ms)
}

func TestRetransmissionJitter(t *testing.T) {
	var asked []int64
	jitter := func(n int64) int64 { asked = append(asked, n); return n - 1 }
	e := looking(t, 2, z5, 1, func(c *Config) { c.Jitter = jitter })
	wantDeadline(t, e, 300*ms-1) // 200 ms + Jitter(100 ms) = 200 ms + 100 ms - 1 ns
	e.Tick(300 * ms)
	wantDeadline(t, e, 300*ms+600*ms-1) // 400 ms + Jitter(200 ms)
	if len(asked) != 2 || asked[0] != int64(100*ms) || asked[1] != int64(200*ms) {
		t.Errorf("Jitter asked for %v", asked)
	}
	// The finalize wait has no jitter.
	e.Receive(time.Second, note(3, vote(3, z5, 1), 1, wire.Looking))
	wantDeadline(t, e, time.Second+200*ms)

	defer func() {
		if recover() == nil {
			t.Error("a Jitter out of range did not panic")
		}
	}()
	looking(t, 2, z5, 1, func(c *Config) { c.Jitter = func(n int64) int64 { return n } })
}
