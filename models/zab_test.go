package models

import (
	"slices"
	"strings"
	"testing"

	"zoosim/histories"
	"zoosim/tree"
)

// zabRun builds a synthetic history through histories.Recorder, the way sim/cluster records a
// run: boots, crashes and role changes, every apply with its incarnation, client writes with
// their replies, faults, the liveness result and the final states.
type zabRun struct {
	r   *histories.Recorder
	n   int
	inc []int
	// last is each server's last applied zxid (its state), up says it runs.
	last []tree.Zxid
	up   []bool
	// digest overrides a server's final digest (a diverged state).
	digest map[int]uint64
	txns   map[tree.Zxid]*tree.Txn
	xid    map[int]int32
	live   histories.Liveness
}

func newZabRun(n int) *zabRun {
	return &zabRun{
		r: histories.NewRecorder(histories.Header{Seed: 1}, n, 0, nil),
		n: n, inc: make([]int, n), last: make([]tree.Zxid, n), up: make([]bool, n),
		digest: map[int]uint64{}, txns: map[tree.Zxid]*tree.Txn{}, xid: map[int]int32{},
	}
}

func zabMs(ms int64) histories.Time { return histories.Time(ms * 1e6) }

func zabZxid(epoch int64, counter uint32) tree.Zxid { return tree.Zxid(epoch<<32 | int64(counter)) }

// zabStateDigest stands for the digest of the state after a zxid of the healthy history.
func zabStateDigest(z tree.Zxid) uint64 { return uint64(z)*0x9e3779b97f4a7c15 + 1 }

// txn returns the txn client's next write becomes at zxid (epoch, counter), once per zxid.
func (b *zabRun) txn(client int, epoch int64, counter uint32) *tree.Txn {
	z := zabZxid(epoch, counter)
	if x, ok := b.txns[z]; ok {
		return x
	}
	b.xid[client]++
	x := &tree.Txn{Header: tree.Header{Session: zabSession(client), Cxid: b.xid[client], Zxid: z},
		Type: tree.OpSetData, Path: "/k", Digest: zabStateDigest(z)}
	b.txns[z] = x
	return x
}

func zabSession(client int) tree.SessionID { return tree.SessionID(0x100 + client) }

func (b *zabRun) boot(ms int64, servers ...int) {
	for _, s := range servers {
		b.inc[s]++
		b.up[s] = true
		b.r.Server(zabMs(ms), histories.ServerEvent{Server: s, Kind: histories.Boot, Zxid: b.last[s], Detail: "boot"})
		b.looking(ms, s)
	}
}

// restart boots a crashed server whose disk holds a snapshot at snap: its state goes back there.
func (b *zabRun) restart(ms int64, s int, snap tree.Zxid) {
	b.last[s] = snap
	b.boot(ms, s)
}

func (b *zabRun) crash(ms int64, s int) {
	b.up[s] = false
	b.r.Server(zabMs(ms), histories.ServerEvent{Server: s, Kind: histories.Crash, Zxid: b.last[s]})
}

func (b *zabRun) looking(ms int64, servers ...int) {
	for _, s := range servers {
		b.role(ms, s, histories.Looking, 0, -1, false)
	}
}

func (b *zabRun) role(ms int64, s int, r histories.ServerRole, epoch int64, leader int, serving bool) {
	b.r.Server(zabMs(ms), histories.ServerEvent{Server: s, Kind: histories.Role, Role: r, Epoch: epoch,
		Leader: leader, Serving: serving, Zxid: b.last[s]})
}

// discover starts epoch's discovery: the leader leads and the followers follow, none serving.
func (b *zabRun) discover(ms int64, epoch int64, leader int, followers ...int) {
	b.role(ms, leader, histories.Leading, epoch-1, leader, false)
	for _, f := range followers {
		b.role(ms, f, histories.Following, epoch-1, leader, false)
	}
}

// establish ends synchronization: the leader and followers serve in epoch.
func (b *zabRun) establish(ms int64, epoch int64, leader int, followers ...int) {
	b.role(ms, leader, histories.Leading, epoch, leader, true)
	for _, f := range followers {
		b.role(ms, f, histories.Following, epoch, leader, true)
	}
}

func (b *zabRun) elect(ms int64, epoch int64, leader int, followers ...int) {
	b.discover(ms, epoch, leader, followers...)
	b.establish(ms+10, epoch, leader, followers...)
}

// apply has servers apply x at ms, in order.
func (b *zabRun) apply(ms int64, x *tree.Txn, servers ...int) {
	for _, s := range servers {
		b.r.Apply(zabMs(ms), s, b.inc[s], x)
		b.last[s] = x.Zxid
	}
}

// write has client write at (epoch, counter): invoke at ms, the servers apply it at ms+1 (the
// leader first), the reply returns OK at ms+2. It returns the op's ID.
func (b *zabRun) write(ms int64, client int, epoch int64, counter uint32, servers ...int) int {
	x := b.txn(client, epoch, counter)
	id := b.r.Invoke(zabMs(ms), client, x.Session, x.Cxid, &tree.Request{Type: tree.OpSetData, Path: x.Path, Version: -1})
	b.apply(ms+1, x, servers...)
	b.r.Return(zabMs(ms+2), client, x.Cxid, tree.OK, servers[0], x.Zxid, &tree.Result{})
	return id
}

func (b *zabRun) converged(healedMs, atMs int64) {
	b.live = histories.Liveness{Healed: zabMs(healedMs), Converged: true, At: zabMs(atMs)}
}

func (b *zabRun) finish(endMs int64) *histories.History {
	b.r.SetLiveness(b.live)
	final := make([]histories.Final, b.n)
	for s := range b.n {
		d, ok := b.digest[s]
		if !ok {
			d = zabStateDigest(b.last[s])
		}
		final[s] = histories.Final{Server: s, Up: b.up[s], Zxid: b.last[s], Digest: d}
	}
	return b.r.Finish(zabMs(endMs), 0, 0, final)
}

// zabHealthy is a correct run of three servers: s1 leads epoch 1 and commits three writes; s1
// crashes, s2 leads epoch 2; s1 restarts without a snapshot, applies its log again (epoch 1
// again, in a new incarnation) and catches up; everyone converges. plant, if not nil, plants a
// fault just before the last write.
func zabHealthy(plant func(b *zabRun)) *histories.History {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.write(200, 0, 1, 1, 0, 1, 2)
	b.write(300, 1, 1, 2, 0, 1, 2)
	b.write(400, 0, 1, 3, 0, 1, 2)
	b.crash(500, 0)
	b.looking(510, 1, 2)
	b.elect(800, 2, 1, 2)
	b.write(900, 1, 2, 1, 1, 2)
	b.restart(1000, 0, 0)
	b.role(1100, 0, histories.Following, 1, 1, false)
	for c := uint32(1); c <= 3; c++ {
		b.apply(1101, b.txns[zabZxid(1, c)], 0)
	}
	b.apply(1102, b.txns[zabZxid(2, 1)], 0)
	b.role(1103, 0, histories.Following, 2, 1, true)
	if plant != nil {
		plant(b)
	}
	b.write(1200, 2, 2, 2, 1, 2, 0)
	b.converged(1000, 1500)
	return b.finish(2000)
}

func zabWant(t *testing.T, v Verdict, status Status, fragments ...string) {
	t.Helper()
	t.Log(v.String())
	if v.Status != status {
		t.Fatalf("status %s, want %s:\n%s", v.Status, status, v.String())
	}
	all := v.String()
	for _, f := range fragments {
		if !strings.Contains(all, f) {
			t.Errorf("verdict lacks %q:\n%s", f, all)
		}
	}
}

func TestZabHealthyRunPasses(t *testing.T) {
	v := CheckZab(zabHealthy(nil))
	zabWant(t, v, Pass, "5 committed txns in 2 epochs", "2 leaders", "5 acknowledged writes")
	if v.Total != 0 || len(v.Metrics) == 0 {
		t.Errorf("total %d, metrics %v", v.Total, v.Metrics)
	}
}

func TestZabTwoLeadersInOneEpoch(t *testing.T) {
	v := CheckZab(zabHealthy(func(b *zabRun) {
		b.role(1150, 2, histories.Leading, 2, 2, true)
	}))
	zabWant(t, v, Fail, "leadership: two leaders in epoch 2: s2 established at 0.810s and s3 at 1.150s")
	if v.Total != 1 {
		t.Errorf("want exactly the leadership violation:\n%s", v.String())
	}
}

func TestZabDifferentTxnsAtOneZxid(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.write(200, 0, 1, 1, 0, 1, 2)
	x := b.txn(0, 1, 2)
	b.apply(300, x, 0, 1)
	other := *x
	other.Cxid, other.Digest = 99, 12345
	b.apply(301, &other, 2)
	b.digest[2] = 12345 // s3's tree is the state its own txn made
	v := CheckZab(b.finish(400))
	zabWant(t, v, Fail, "agreement: s3 applied setData session=0x100 cxid=99 digest=0x3039 at 0x100000002, but s1 applied setData session=0x100 cxid=2")
	// s3's final state, at the same zxid, has another digest than the leader's.
	zabWant(t, v, Fail, "prefix consistency: s3 ended at 0x100000002")
}

func TestZabGapInAppliedSequence(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.write(200, 0, 1, 1, 0, 1, 2)
	b.write(300, 0, 1, 2, 0, 1)
	b.write(400, 0, 1, 3, 0, 1, 2)
	v := CheckZab(b.finish(500))
	zabWant(t, v, Fail, "primary order: s3 applied 0x100000003 right after 0x100000001, skipping committed 0x100000002 (1 committed txn(s) skipped; s1 applied it while serving)")
	if v.Total != 1 {
		t.Errorf("want one violation:\n%s", v.String())
	}
}

// TestZabGapInALaterTerm: the skipped txn is confirmed only by a leader that served before it
// applied anything in its term (a term begun by its serving event).
func TestZabGapInALaterTerm(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.write(200, 0, 1, 1, 0, 1, 2)
	b.crash(300, 0)
	b.looking(310, 1, 2)
	b.elect(400, 2, 1, 2)
	b.write(500, 0, 2, 1, 1, 2)
	b.write(600, 0, 2, 2, 1) // s3 misses it...
	b.write(700, 0, 2, 3, 1, 2)
	v := CheckZab(b.finish(800))
	zabWant(t, v, Fail, "primary order: s3 applied 0x200000003 right after 0x200000001, skipping committed 0x200000002 (1 committed txn(s) skipped; s2 applied it while serving)")
}

func TestZabZxidsGoBackWithinATerm(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.write(200, 0, 1, 1, 0, 1, 2)
	b.write(300, 0, 1, 2, 0, 1, 2)
	b.apply(350, b.txns[zabZxid(1, 1)], 2)
	v := CheckZab(b.finish(500))
	zabWant(t, v, Fail, "primary order: s3 applied 0x100000001 after 0x100000002 in incarnation 1 without a resync")
}

func TestZabAcknowledgedWriteMissingFromLog(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.write(200, 0, 1, 1, 0, 1, 2)
	// The leader answers a write at 0x100000002 that no server ever applied.
	id := b.r.Invoke(zabMs(300), 1, zabSession(1), 7, &tree.Request{Type: tree.OpCreate, Path: "/lost"})
	b.r.Return(zabMs(301), 1, 7, tree.OK, 0, zabZxid(1, 2), &tree.Result{})
	v := CheckZab(b.finish(500))
	zabWant(t, v, Fail, "acknowledged write op 1 (c1 create /lost, session 0x101 xid 7) at 0x100000002 is missing from the committed log (lost)")
	if len(v.Violations) != 1 || len(v.Violations[0].Ops) != 1 || v.Violations[0].Ops[0] != id {
		t.Errorf("violation should name op %d:\n%s", id, v.String())
	}
}

func TestZabAcknowledgedWriteFromAnotherSession(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.write(200, 0, 1, 1, 0, 1, 2)
	// Client 1's reply carries the zxid of client 0's txn.
	b.r.Invoke(zabMs(300), 1, zabSession(1), 7, &tree.Request{Type: tree.OpDelete, Path: "/a"})
	b.r.Return(zabMs(301), 1, 7, tree.OK, 0, zabZxid(1, 1), &tree.Result{})
	v := CheckZab(b.finish(500))
	zabWant(t, v, Fail, "acknowledged write op 1 (c1 delete /a, session 0x101 xid 7) at 0x100000001: the committed txn there is setData session=0x100 cxid=1")
}

func TestZabConvergedRunWithDifferentDigests(t *testing.T) {
	h := zabHealthy(func(b *zabRun) { b.digest[2] = 0xbad })
	v := CheckZab(h)
	zabWant(t, v, Fail,
		"prefix consistency: s3 ended at 0x200000002 with digest 0xbad",
		"convergence: the run converged but replicas differ: s1 0x200000002/0x", "s3 0x200000002/0xbad")
}

func TestZabCounterGapInsideAnEpoch(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.write(200, 0, 1, 1, 0, 1, 2)
	b.write(300, 0, 1, 3, 0, 1, 2) // the leader committed counter 3 without 2
	v := CheckZab(b.finish(500))
	zabWant(t, v, Fail, "primary order: committed log jumps from 0x100000001 to 0x100000003 in epoch 1: counter 2 missing (B5 commits in zxid order)")
	if v.Total != 1 {
		t.Errorf("want only the log violation:\n%s", v.String())
	}
}

// TestZabLogOutOfOrder: a log whose zxids do not increase cannot be indexed by counter; the
// checker reports the disorder and still finds every apply's txn by its zxid (no agreement
// violation).
func TestZabLogOutOfOrder(t *testing.T) {
	h := zabHealthy(nil)
	h.Log[1], h.Log[2] = h.Log[2], h.Log[1]
	v := CheckZab(h)
	zabWant(t, v, Fail, "committed log: 0x100000002 follows 0x100000003 (zxids must increase)")
	if strings.Contains(v.String(), "agreement") {
		t.Errorf("an apply was not matched with its txn:\n%s", v.String())
	}
}

func TestZabEpochStartsAfterCounterOne(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.write(200, 0, 1, 3, 0, 1, 2)
	v := CheckZab(b.finish(500))
	zabWant(t, v, Fail, "epoch 1's first committed txn is 0x100000003, not counter 1: counters 1-2 missing")
}

// TestZabLostCommittedTxn plants what commit-without-quorum and ack-before-fsync produce: the
// leader commits and acknowledges a txn that no quorum holds (durably), crashes, and the next
// leader establishes without it. No follower skips it within a term, so the leader check is what
// must catch it.
func TestZabLostCommittedTxn(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.write(200, 0, 1, 1, 0, 1, 2)
	b.write(300, 0, 1, 2, 0) // only the leader applied it
	b.crash(400, 0)
	b.looking(410, 1, 2)
	b.elect(800, 2, 1, 2)
	b.write(900, 1, 2, 1, 1, 2)
	b.converged(1000, 1100)
	v := CheckZab(b.finish(1200))
	zabWant(t, v, Fail, "primary integrity: s2 established epoch 2 at 0x100000001 without 0x100000002 of epoch 1, which s1 applied while serving at 0.301s (a committed txn was lost)")
	if v.Total != 1 || v.Violations[0].Time != zabMs(810) {
		t.Errorf("want one violation, at s2's establishment:\n%s", v.String())
	}
}

func TestZabFollowerSkipsEarlierEpoch(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.write(200, 0, 1, 1, 0, 1) // s3 is slow: it logged both txns but applied neither
	b.write(300, 0, 1, 2, 0, 1)
	b.crash(400, 0)
	b.looking(410, 1, 2)
	b.discover(800, 2, 1, 2)
	b.apply(805, b.txns[zabZxid(1, 1)], 2) // synchronizing, s3 applies what it logged...
	b.establish(810, 2, 1)
	b.apply(820, b.txn(1, 2, 1), 1, 2) // ...and epoch 2's first txn, without 0x100000002
	b.role(821, 2, histories.Following, 2, 1, true)
	v := CheckZab(b.finish(1200))
	zabWant(t, v, Fail, "primary integrity: s3 applied 0x200000001 (epoch 2) right after 0x100000001, without 0x100000002 of epoch 1 (1 committed txn(s) skipped; s1 applied it while serving)")
	if v.Total != 1 {
		t.Errorf("want one violation:\n%s", v.String())
	}
}

// TestZabTentativeAppliesPass: a server elected leader applies its whole log as its initial
// history, including a txn its old leader proposed but never committed; it fails to establish,
// and another leader, without that txn, establishes a later epoch. The tentative txn is in the
// log (the first applier supplied it) but no server ever applied it while serving, so others
// skip it and the new leader lacks it without a violation.
func TestZabTentativeAppliesPass(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.write(200, 0, 1, 1, 0, 1, 2)
	b.write(300, 0, 1, 2, 0, 1, 2)
	uncommitted := b.txn(0, 1, 3) // proposed, logged by s2 only, never committed
	b.crash(400, 0)
	b.looking(410, 1, 2)
	b.role(500, 1, histories.Leading, 1, 1, false)
	b.apply(500, uncommitted, 1) // s2's initial history: applied, tentatively
	b.looking(900, 1)            // s2 never established
	// s1 restarts from a snapshot at 0x100000001; synchronizing with s3 it applies the rest of
	// its log and then epoch 3's first txn, in one term, passing over the tentative txn.
	b.restart(950, 0, zabZxid(1, 1))
	b.discover(1000, 3, 2, 0)
	b.apply(1005, b.txns[zabZxid(1, 2)], 0)
	b.establish(1010, 3, 2, 0)
	b.write(1100, 2, 3, 1, 2, 0)
	// s2 rejoins: a TRUNC to 0x100000002 rolls back its tentative txn, then it catches up.
	b.role(1200, 1, histories.Following, 1, 2, false)
	b.last[1] = zabZxid(1, 2)
	b.apply(1201, b.txns[zabZxid(3, 1)], 1)
	b.role(1202, 1, histories.Following, 3, 2, true)
	b.converged(950, 1300)
	v := CheckZab(b.finish(1400))
	zabWant(t, v, Pass, "4 committed txns in 2 epochs")
}

// TestZabDivergedFinalStateWithoutConvergence plants what skip-truncate-on-sync leaves: a
// follower keeps a txn its old leader never committed and applies the new leader's txns on top,
// so its tree's digest differs from the one the leader projected, and the run never converges.
func TestZabDivergedFinalStateWithoutConvergence(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.write(200, 0, 1, 1, 0, 1, 2)
	b.crash(400, 0)
	b.looking(410, 1, 2)
	b.elect(800, 2, 1, 2)
	b.write(900, 1, 2, 1, 1, 2)
	b.digest[2] = 0xd1ff
	b.live = histories.Liveness{Healed: zabMs(1000), At: histories.Never, Pending: "s3 has digest 0xd1ff, leader 0x..."}
	v := CheckZab(b.finish(1200))
	zabWant(t, v, Fail, "prefix consistency: s3 ended at 0x200000001 with digest 0xd1ff")
}

func TestZabAcknowledgedWriteBeyondConvergedState(t *testing.T) {
	b := newZabRun(3)
	b.boot(0, 0, 1, 2)
	b.elect(100, 1, 0, 1, 2)
	b.write(200, 0, 1, 1, 0, 1, 2)
	b.write(300, 0, 1, 2, 0, 1, 2)
	// Every server's state goes back to 0x100000001 (a lost tail), yet the run "converges".
	for s := range 3 {
		b.last[s] = zabZxid(1, 1)
	}
	b.converged(400, 500)
	v := CheckZab(b.finish(600))
	zabWant(t, v, Fail, "acknowledged write op 1 (c0 setData /k, session 0x100 xid 2) at 0x100000002 is beyond the converged state: s1 at 0x100000001, s2 at 0x100000001, s3 at 0x100000001")
}

func TestZabWithoutServerRecordsIsInconclusive(t *testing.T) {
	v := CheckZab(&histories.History{Ops: []histories.Op{{Outcome: histories.OK}}})
	zabWant(t, v, Inconclusive, "no server events recorded")
	v = CheckZab(&histories.History{Servers: []histories.ServerEvent{{Kind: histories.Boot}}, Log: []*tree.Txn{nil}})
	zabWant(t, v, Inconclusive, "committed log entry 0 is nil")
}

func TestZabVerdictIsDeterministicAndInTimeOrder(t *testing.T) {
	build := func() *histories.History {
		b := newZabRun(5)
		b.boot(0, 0, 1, 2, 3, 4)
		b.elect(100, 1, 0, 1, 2, 3, 4)
		for c := uint32(1); c <= 30; c++ {
			// s5 skips every other txn; s4 applies its own version of each.
			b.write(int64(100+10*c), int(c%3), 1, c, 0, 1, 2)
			x := *b.txns[zabZxid(1, c)]
			x.Cxid += 1000
			b.apply(int64(100+10*c+5), &x, 3)
			if c%2 == 0 {
				b.apply(int64(100+10*c+6), b.txns[zabZxid(1, c)], 4)
			}
		}
		return b.finish(1000)
	}
	v1, v2 := CheckZab(build()), CheckZab(build())
	if v1.String() != v2.String() {
		t.Fatalf("verdicts differ:\n%s\n%s", v1.String(), v2.String())
	}
	if v1.Total <= MaxViolations || len(v1.Violations) != MaxViolations {
		t.Fatalf("total %d, listed %d", v1.Total, len(v1.Violations))
	}
	for i := 1; i < len(v1.Violations); i++ {
		if v1.Violations[i].Time < v1.Violations[i-1].Time {
			t.Fatalf("violations out of time order:\n%s", v1.String())
		}
	}
}

// BenchmarkCheckZab checks a correct run of five servers: 100,000 acknowledged writes over five
// epochs, each applied by every server (500,000 applies).
func BenchmarkCheckZab(b *testing.B) {
	const servers, epochs, perEpoch = 5, 5, 20_000
	r := newZabRun(servers)
	all := []int{0, 1, 2, 3, 4}
	r.boot(0, all...)
	ms := int64(100)
	for e := int64(1); e <= epochs; e++ {
		leader := int(e) % servers
		order := append([]int{leader}, slices.DeleteFunc(slices.Clone(all), func(s int) bool { return s == leader })...)
		r.elect(ms, e, leader, order[1:]...)
		ms += 20
		for c := uint32(1); c <= perEpoch; c++ {
			r.write(ms, int(c)%20, e, c, order...)
			ms += 3
		}
		r.looking(ms, all...)
	}
	r.converged(ms, ms+1)
	h := r.finish(ms + 2)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if v := CheckZab(h); !v.OK() {
			b.Fatal(v.String())
		}
	}
	b.ReportMetric(float64(len(h.Log))*float64(b.N)/b.Elapsed().Seconds(), "txns/s")
}
