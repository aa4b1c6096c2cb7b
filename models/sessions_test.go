package models

import (
	"testing"
	"time"

	"zoosim/histories"
	"zoosim/tree"
)

// sesTick is the tick of the hand-made histories: 500 ms, as the cluster's session tests use.
const sesTick = 500 * time.Millisecond

func sesOpts() SessionOptions { return SessionOptions{TickTime: sesTick} }

// commitTxn commits a hand-made txn on the leader, as a faulty leader would: the preparer's
// checks are bypassed.
func (b *ordBuilder) commitTxn(x *tree.Txn) *tree.Txn {
	b.count++
	x.Zxid = tree.Zxid(b.epoch<<32 | b.count)
	x.Time = int64(b.now / 1e6)
	b.trees[0].Apply(x)
	b.prep.Committed(x.Zxid)
	b.log = append(b.log, x)
	b.applied[0] = len(b.log)
	b.rec.Apply(b.tick(), 0, 1, x)
	return x
}

func sesMustPass(t *testing.T, v Verdict) {
	t.Helper()
	if !v.OK() {
		t.Fatalf("a correct history fails:\n%s", v.String())
	}
}

func TestSessionsCorrectHistoriesPass(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		h := ordGenHistory(t, ordSmallConfig(seed))
		v := CheckSessions(h, SessionOptions{})
		sesMustPass(t, v)
		if seed == 1 {
			t.Log(v.String())
		}
		for name, want := range map[string]float64{"sessions closed by clients": 1, "expiries": 1, "expiries checked": 1, "Expired events": 1} {
			if got := ordMetric(v, name); got != want {
				t.Errorf("%s = %v, want %v", name, got, want)
			}
		}
	}
}

// sesEphemeral starts a history where client 0 owns the ephemeral /e and client 1 watches.
func sesEphemeral(t *testing.T) *ordBuilder {
	b := ordNewBuilder(t, 3)
	b.step = histories.Time(time.Millisecond)
	b.connect(0, 0, 4000)
	b.connect(1, 1, 4000)
	b.do(0, tree.Request{Type: tree.OpCreate, Path: "/e", ACL: tree.OpenACLUnsafe, Mode: tree.Ephemeral})
	return b
}

// A faulty leader commits an ephemeral create of a session after the session's close: the node
// outlives its owner.
func TestSessionsCatchesEphemeralSurvivingClose(t *testing.T) {
	b := sesEphemeral(t)
	b.do(0, tree.Request{Type: tree.OpCloseSession})
	s := b.clients[0].session
	b.commitTxn(&tree.Txn{Header: tree.Header{Session: s, Cxid: 7}, Type: tree.OpCreate, Path: "/late",
		ACL: tree.OpenACLUnsafe, EphemeralOwner: int64(s), ParentCversion: 100})
	ordMustCatch(t, CheckSessions(b.history(), sesOpts()), -1, "it outlives its owner")
}

// A close of one session that takes another session's ephemeral with it.
func TestSessionsCatchesEphemeralRemovedByAnotherSession(t *testing.T) {
	b := sesEphemeral(t)
	b.commitTxn(&tree.Txn{Header: tree.Header{Session: b.clients[1].session}, Type: tree.OpCloseSession, Paths: []string{"/e"}})
	ordMustCatch(t, CheckSessions(b.history(), sesOpts()), -1, "neither a delete of it nor its owner's close")
}

// The no-ephemeral-cleanup flaw: the leader forgets an expired session without a closeSession
// txn and tells the client it expired; the ephemeral stays.
func TestSessionsCatchesExpiredWithoutClose(t *testing.T) {
	b := sesEphemeral(t)
	b.advance(histories.Time(6 * time.Second))
	b.event(0, histories.Expired)
	near := b.history()
	v := CheckSessions(near, sesOpts())
	sesMustPass(t, v) // the run ended before a leader had to close it
	if got := ordMetric(v, "Expired without close, too near the end"); got != 1 {
		t.Fatalf("near-end Expired events = %v, want 1", got)
	}

	b = sesEphemeral(t)
	b.advance(histories.Time(6 * time.Second))
	b.event(0, histories.Expired)
	b.advance(histories.Time(10 * time.Second))
	b.do(1, tree.Request{Type: tree.OpExists, Path: "/e"})
	ordMustCatch(t, CheckSessions(b.history(), sesOpts()), -1, "no closeSession of it (ephemerals /e remain)")

	// Told after the close committed: correct.
	b = sesEphemeral(t)
	b.advance(histories.Time(6 * time.Second))
	b.expire(0)
	b.event(0, histories.Expired)
	b.advance(histories.Time(10 * time.Second))
	sesMustPass(t, CheckSessions(b.history(), sesOpts()))
}

func TestSessionsCatchesOpAfterClose(t *testing.T) {
	b := sesEphemeral(t)
	b.do(0, tree.Request{Type: tree.OpCloseSession})
	// Server 2 is behind the close: its read is stale but allowed.
	b.clients[0].server = 2
	b.do(0, tree.Request{Type: tree.OpExists, Path: "/e"})
	h := b.history()
	v := CheckSessions(h, sesOpts())
	sesMustPass(t, v)
	if got := ordMetric(v, "stale replies after close"); got != 1 {
		t.Fatalf("stale replies after close = %v, want 1", got)
	}

	// Server 0 applied the close and still answers the session.
	b = sesEphemeral(t)
	b.do(0, tree.Request{Type: tree.OpCloseSession})
	bad := b.do(0, tree.Request{Type: tree.OpExists, Path: "/"})
	ordMustCatch(t, CheckSessions(b.history(), sesOpts()), bad, "at or after the session's closeSession")

	// A faulty leader commits a write of the closed session.
	b = sesEphemeral(t)
	b.do(0, tree.Request{Type: tree.OpCloseSession})
	b.commitTxn(&tree.Txn{Header: tree.Header{Session: b.clients[0].session, Cxid: 9}, Type: tree.OpSetData, Path: "/", Data: []byte("x"), Version: 1})
	ordMustCatch(t, CheckSessions(b.history(), sesOpts()), -1, "succeeded after the session's closeSession")
}

// sesBusyClient: client 0 (timeout 4 s) reads every second from 0 to 20 s; the leader expires
// it at expireAt; a fault lasts over [faultFrom, faultTo) when faultTo > 0: a partition, or
// with clientOnly another client's connection reset.
func sesBusyClient(t *testing.T, expireAt, faultFrom, faultTo time.Duration, clientOnly bool) *histories.History {
	b := ordNewBuilder(t, 3)
	b.step = histories.Time(time.Microsecond)
	b.connect(0, 1, 4000)
	fault, started := 0, false
	start := b.now
	for sec := time.Duration(0); sec <= 20*time.Second; sec += time.Second {
		b.now = start + histories.Time(sec)
		if faultTo > 0 && !started && sec >= faultFrom {
			f := histories.Fault{Kind: histories.FaultPartition, Groups: [][]int{{1}, {0, 2}}}
			if clientOnly {
				f = histories.Fault{Kind: histories.FaultClientReset, Clients: []int{3}}
			}
			fault = b.rec.FaultStart(b.tick(), f)
			started = true
		}
		if started && sec >= faultTo {
			b.rec.FaultEnd(b.tick(), fault)
		}
		if sec == expireAt {
			b.expire(0)
			return b.history()
		}
		b.do(0, tree.Request{Type: tree.OpGetData, Path: "/"})
	}
	t.Fatal("no expiry")
	return nil
}

func TestSessionsCatchesPrematureExpiry(t *testing.T) {
	v := CheckSessions(sesBusyClient(t, 15*time.Second, 0, 0, false), sesOpts())
	ordMustCatch(t, v, -1, "within its timeout 4s of the expiry, with no fault active")
	t.Log(v.String())

	// The same expiry while a fault is active in the window is not judged.
	v = CheckSessions(sesBusyClient(t, 15*time.Second, 12*time.Second, 13*time.Second, false), sesOpts())
	sesMustPass(t, v)
	if ordMetric(v, "expiries skipped (fault active)") != 1 || ordMetric(v, "expiries checked") != 0 {
		t.Fatalf("the expiry in a fault window was not skipped: %v", v.Metrics)
	}
	// A fault that ended before the window does not excuse it.
	v = CheckSessions(sesBusyClient(t, 15*time.Second, 2*time.Second, 3*time.Second, false), sesOpts())
	ordMustCatch(t, v, -1, "with no fault active")
	// Nor does a fault that acts on another client only.
	v = CheckSessions(sesBusyClient(t, 15*time.Second, 12*time.Second, 13*time.Second, true), sesOpts())
	ordMustCatch(t, v, -1, "with no fault active")
}

// An expiry a timeout and more after the client's last contact is correct.
func TestSessionsCorrectExpiryPasses(t *testing.T) {
	b := ordNewBuilder(t, 3)
	b.connect(0, 1, 4000)
	b.do(0, tree.Request{Type: tree.OpCreate, Path: "/e", ACL: tree.OpenACLUnsafe, Mode: tree.Ephemeral})
	// Deadline: ((last + 4 s)/tick + 1)·tick, checked on the next tick, committed just after.
	b.advance(histories.Time(4*time.Second + sesTick))
	b.expire(0)
	v := CheckSessions(b.history(), sesOpts())
	sesMustPass(t, v)
	if ordMetric(v, "expiries checked") != 1 {
		t.Fatalf("the expiry was not checked: %v", v.Metrics)
	}
}

func TestSessionsPrematureWindow(t *testing.T) {
	const s = histories.Time(time.Second)
	E, T, tick := 100*s, 10*s, 3*s
	for _, c := range []struct {
		t    histories.Time
		want bool
	}{
		{E - T, false},           // exactly a timeout before: a correct expiry
		{E - T + tick, false},    // within the latency slack
		{E - T + tick + 1, true}, // past it
		{E - tick - 1, true},     // the last contact the leader surely heard
		{E - tick, false},        // may still be on its way to the leader
		{E - 1, false},           // just before the expiry
		{E + s, false},           // after
	} {
		if got := sesPremature(c.t, E, T, tick); got != c.want {
			t.Errorf("sesPremature(E%+ds) = %v, want %v", (c.t-E)/s, got, c.want)
		}
	}
}
