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

// sesBusy shapes sesBusyClient's history.
type sesBusy struct {
	// servers is the ensemble's size (3 when 0); server 0 leads epoch 1.
	servers int
	// expireAt is when the leader expires client 0's session.
	expireAt time.Duration
	// faults start at faultFrom and end at faultTo, when faultTo > 0.
	faults             []histories.Fault
	faultFrom, faultTo time.Duration
	// each, if set, runs every second before the client's read.
	each func(b *ordBuilder, sec time.Duration)
}

// sesBusyClient: client 0 (timeout 4 s) on server 1 reads every second from 0 to 20 s; the
// leader, server 0, expires it at o.expireAt.
func sesBusyClient(t *testing.T, o sesBusy) *histories.History {
	if o.servers == 0 {
		o.servers = 3
	}
	b := ordNewBuilder(t, o.servers)
	b.step = histories.Time(time.Microsecond)
	b.connect(0, 1, 4000)
	var ids []int
	started := false
	start := b.now
	for sec := time.Duration(0); sec <= 20*time.Second; sec += time.Second {
		b.now = start + histories.Time(sec)
		if o.faultTo > 0 && !started && sec >= o.faultFrom {
			for _, f := range o.faults {
				ids = append(ids, b.rec.FaultStart(b.tick(), f))
			}
			started = true
		}
		if started && sec >= o.faultTo {
			for _, id := range ids {
				b.rec.FaultEnd(b.tick(), id)
			}
			ids = nil
		}
		if o.each != nil {
			o.each(b, sec)
		}
		if sec == o.expireAt {
			b.expire(0)
			return b.history()
		}
		b.do(0, tree.Request{Type: tree.OpGetData, Path: "/"})
	}
	t.Fatal("no expiry")
	return nil
}

// sesFaulted is sesBusyClient's premature expiry at 15 s with faults over [12 s, 13 s).
func sesFaulted(t *testing.T, servers int, faults ...histories.Fault) Verdict {
	return CheckSessions(sesBusyClient(t, sesBusy{servers: servers, expireAt: 15 * time.Second,
		faults: faults, faultFrom: 12 * time.Second, faultTo: 13 * time.Second}), sesOpts())
}

func sesMustSkip(t *testing.T, v Verdict, metric string) {
	t.Helper()
	sesMustPass(t, v)
	if ordMetric(v, metric) != 1 || ordMetric(v, "expiries checked") != 0 {
		t.Fatalf("the expiry was not skipped as %q: %v", metric, v.Metrics)
	}
}

func TestSessionsCatchesPrematureExpiry(t *testing.T) {
	v := CheckSessions(sesBusyClient(t, sesBusy{expireAt: 15 * time.Second}), sesOpts())
	ordMustCatch(t, v, -1, "within its timeout 4s of the expiry, with no fault on that path")
	t.Log(v.String())

	// The same expiry while a partition cuts the client's server off from the leader is not
	// judged: the touches it saw may never have reached the leader.
	sesMustSkip(t, sesFaulted(t, 3, histories.Fault{Kind: histories.FaultPartition, Groups: [][]int{{1}, {0, 2}}}),
		"expiries skipped (fault active)")
	// A fault that ended before the window does not excuse it.
	v = CheckSessions(sesBusyClient(t, sesBusy{expireAt: 15 * time.Second, faultFrom: 2 * time.Second, faultTo: 3 * time.Second,
		faults: []histories.Fault{{Kind: histories.FaultPartition, Groups: [][]int{{1}, {0, 2}}}}}), sesOpts())
	ordMustCatch(t, v, -1, "with no fault on that path")
	// Nor does a fault that acts on another client only.
	ordMustCatch(t, sesFaulted(t, 3, histories.Fault{Kind: histories.FaultClientReset, Clients: []int{3}, Servers: []int{2}}),
		-1, "with no fault on that path")
}

// Faults off the path from the client's server (s2) to the leader (s1) leave the leader hearing
// every touch: the premature expiry is still caught.
func TestSessionsCatchesPrematureExpiryUnderUnrelatedFaults(t *testing.T) {
	for name, c := range map[string]struct {
		servers int
		faults  []histories.Fault
	}{
		"another follower crashed":             {3, []histories.Fault{{Kind: histories.FaultCrash, Servers: []int{2}}}},
		"another follower paused":              {3, []histories.Fault{{Kind: histories.FaultPause, Servers: []int{2}}}},
		"another follower isolated":            {3, []histories.Fault{{Kind: histories.FaultIsolate, Servers: []int{2}}}},
		"another follower's disk":              {3, []histories.Fault{{Kind: histories.FaultDisk, Servers: []int{2}}}},
		"partition keeping s2 with the leader": {3, []histories.Fault{{Kind: histories.FaultPartition, Groups: [][]int{{0, 1}, {2}}}}},
		"link clog between followers":          {3, []histories.Fault{{Kind: histories.FaultClog, Servers: []int{1, 2}}}},
		"one-way away from the pair":           {3, []histories.Fault{{Kind: histories.FaultOneWay, Groups: [][]int{{2}, {0, 1}}}}},
		"bridge with the pair on one side":     {5, []histories.Fault{{Kind: histories.FaultBridge, Groups: [][]int{{0, 1}, {2}, {3, 4}}}}},
		"ring with the pair neighbours":        {5, []histories.Fault{{Kind: histories.FaultRing, Groups: [][]int{{1, 0, 2, 3, 4}}}}},
		"two of five others down":              {5, []histories.Fault{{Kind: histories.FaultCrash, Servers: []int{2}}, {Kind: histories.FaultPause, Servers: []int{3}}}},
		"another client paused":                {3, []histories.Fault{{Kind: histories.FaultClientPause, Clients: []int{5}}}},
		"the client killed":                    {3, []histories.Fault{{Kind: histories.FaultClientKill, Clients: []int{0}}}},
	} {
		t.Run(name, func(t *testing.T) {
			ordMustCatch(t, sesFaulted(t, c.servers, c.faults...), -1, "with no fault on that path")
		})
	}
}

// A fault that can cut or slow the path from the client's server (s2) to the leader (s1), or the
// leader's quorum, excuses the expiry: it is not judged.
func TestSessionsSkipsExpiryWhenPathCut(t *testing.T) {
	for name, c := range map[string]struct {
		servers int
		faults  []histories.Fault
	}{
		"client's server isolated":  {3, []histories.Fault{{Kind: histories.FaultIsolate, Servers: []int{1}}}},
		"client's server paused":    {3, []histories.Fault{{Kind: histories.FaultPause, Servers: []int{1}}}},
		"client's server clogged":   {3, []histories.Fault{{Kind: histories.FaultClog, Servers: []int{1}}}},
		"leader crashed":            {3, []histories.Fault{{Kind: histories.FaultCrash, Servers: []int{0}}}},
		"leader crashed proposing":  {3, []histories.Fault{{Kind: histories.FaultCrashProposing, Servers: []int{0}}}},
		"partition off the leader":  {3, []histories.Fault{{Kind: histories.FaultPartition, Groups: [][]int{{0}, {1, 2}}}}},
		"one-way to the leader":     {3, []histories.Fault{{Kind: histories.FaultOneWay, Groups: [][]int{{1}, {0, 2}}}}},
		"link clog to the leader":   {3, []histories.Fault{{Kind: histories.FaultClog, Servers: []int{0, 1}}}},
		"bridge between the pair":   {5, []histories.Fault{{Kind: histories.FaultBridge, Groups: [][]int{{0, 2}, {3}, {1, 4}}}}},
		"ring apart":                {5, []histories.Fault{{Kind: histories.FaultRing, Groups: [][]int{{0, 2, 1, 3, 4}}}}},
		"swizzle over the leader":   {3, []histories.Fault{{Kind: histories.FaultSwizzle, Servers: []int{2, 0}}}},
		"the client paused":         {3, []histories.Fault{{Kind: histories.FaultClientPause, Clients: []int{0}}}},
		"three of five others down": {5, []histories.Fault{{Kind: histories.FaultCrash, Servers: []int{2}}, {Kind: histories.FaultPause, Servers: []int{3}}, {Kind: histories.FaultIsolate, Servers: []int{4}}}},
		"unknown kind":              {3, []histories.Fault{{Kind: "meteor", Servers: []int{2}}}},
	} {
		t.Run(name, func(t *testing.T) {
			sesMustSkip(t, sesFaulted(t, c.servers, c.faults...), "expiries skipped (fault active)")
		})
	}
}

// A leader established in the window may have committed a close its predecessor decided long
// before: the expiry is not judged. Contact through a server that stopped following the leader
// before the expiry committed is no evidence: its touches may never have been forwarded.
func TestSessionsLeaderChangeAndStaleFollower(t *testing.T) {
	role := func(server int, r histories.ServerRole, leader int, serving bool, at time.Duration) func(*ordBuilder, time.Duration) {
		return func(b *ordBuilder, sec time.Duration) {
			if sec == at {
				b.rec.Server(b.tick(), histories.ServerEvent{Server: server, Kind: histories.Role, Role: r, Epoch: 2, Leader: leader, Serving: serving})
			}
		}
	}
	v := CheckSessions(sesBusyClient(t, sesBusy{expireAt: 15 * time.Second, each: role(2, histories.Leading, 2, false, 12*time.Second)}), sesOpts())
	sesMustSkip(t, v, "expiries skipped (leader change)")

	v = CheckSessions(sesBusyClient(t, sesBusy{expireAt: 15 * time.Second, each: role(1, histories.Looking, -1, false, 13*time.Second)}), sesOpts())
	sesMustPass(t, v)
	if ordMetric(v, "expiries checked") != 1 {
		t.Fatalf("the expiry was not checked: %v", v.Metrics)
	}
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
