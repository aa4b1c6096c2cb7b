package election

import (
	"slices"
	"strings"
	"testing"
	"time"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// Each test here drives server 1 of an ensemble {1, 2, 3} (unless it says otherwise) by hand
// and checks one branch of lookForLeader or of the receiver thread (zookeeper.md B2).

const z5 tree.Zxid = 0x100000005

// looking returns server self of {1, 2, 3} after Look with (self, zxid, epoch) at time 0, its
// first broadcast drained.
func looking(t *testing.T, self wire.ServerID, zxid tree.Zxid, epoch int64, opts ...func(*Config)) *Election {
	t.Helper()
	cfg := Config{Self: self, Voters: []wire.ServerID{1, 2, 3}}
	for _, o := range opts {
		o(&cfg)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.Look(0, vote(self, zxid, epoch))
	e.Outbox()
	return e
}

func note(sid wire.ServerID, v wire.Vote, round int64, state wire.ServerState) wire.Notification {
	return wire.Notification{Vote: v, ElectionEpoch: round, State: state, Sid: sid}
}

// outbox drains e's outbox as sorted "from->to STATE rN vote" lines.
func outbox(e *Election) []string {
	var s []string
	for _, o := range e.Outbox() {
		s = append(s, o.String())
	}
	return s
}

func wantOut(t *testing.T, e *Election, want ...string) {
	t.Helper()
	if got := outbox(e); !slices.Equal(got, want) {
		t.Errorf("outbox:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

func wantVote(t *testing.T, e *Election, round int64, v wire.Vote) {
	t.Helper()
	if e.Round() != round || e.Vote() != v {
		t.Errorf("round %d vote %v, want round %d vote %v (%s)", e.Round(), e.Vote(), round, v, e)
	}
}

func recorded(e *Election, sid wire.ServerID) (ballot, bool) {
	i, _ := e.voter(sid)
	return e.recv.get(i)
}

func TestLookSendsInitialVoteToOthersAndItself(t *testing.T) {
	e, _ := New(Config{Self: 2, Voters: []wire.ServerID{1, 2, 3}})
	e.Look(0, vote(2, z5, 1))
	wantOut(t, e, "2->1 LOOKING round 1 (2, 0x100000005, e1)", "2->3 LOOKING round 1 (2, 0x100000005, e1)")
	wantVote(t, e, 1, vote(2, z5, 1))
	if b, ok := recorded(e, 2); !ok || b.Vote != vote(2, z5, 1) {
		t.Errorf("own vote not looped back into recvset: %s", e)
	}
	e.Look(0, vote(2, z5, 1))
	if e.Round() != 2 {
		t.Errorf("a second Look is round %d, want 2", e.Round())
	}
}

func TestLookPanicsOnAnotherServersVote(t *testing.T) {
	e, _ := New(Config{Self: 2, Voters: []wire.ServerID{1, 2, 3}})
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	e.Look(0, vote(3, z5, 1))
}

func five(c *Config) { c.Voters = []wire.ServerID{1, 2, 3, 4, 5} }

func TestHigherRoundAdoptsRoundAndBetterOfTheirsAndInitial(t *testing.T) {
	// Server 1 of five has adopted 3's vote in round 1; a round-2 vote for 2 arrives. The new
	// proposal is the better of (2's vote, 1's initial vote), not of (2's, current proposal).
	// (Five servers, so that two votes for 3 are no quorum: in a finalize wait a worse vote
	// would be dropped, whatever its round; see TestFinalizeWait.)
	e := looking(t, 1, z5, 1, five)
	e.Receive(0, note(3, vote(3, z5, 1), 1, wire.Looking))
	e.Outbox()
	wantVote(t, e, 1, vote(3, z5, 1))
	e.Receive(0, note(2, vote(2, z5, 1), 2, wire.Looking))
	wantVote(t, e, 2, vote(2, z5, 1))
	wantOut(t, e, "1->2 LOOKING round 2 (2, 0x100000005, e1)", "1->3 LOOKING round 2 (2, 0x100000005, e1)",
		"1->4 LOOKING round 2 (2, 0x100000005, e1)", "1->5 LOOKING round 2 (2, 0x100000005, e1)")
	if _, ok := recorded(e, 3); ok {
		t.Errorf("recvset kept a round-1 vote: %s", e)
	}
	// A higher round with a worse vote: propose the initial vote again, and still send it.
	e.Receive(0, note(2, vote(2, 0x100000001, 1), 3, wire.Looking))
	wantVote(t, e, 3, vote(1, z5, 1))
	wantOut(t, e, "1->2 LOOKING round 3 (1, 0x100000005, e1)", "1->3 LOOKING round 3 (1, 0x100000005, e1)",
		"1->4 LOOKING round 3 (1, 0x100000005, e1)", "1->5 LOOKING round 3 (1, 0x100000005, e1)")
	if b, _ := recorded(e, 2); b.Vote != vote(2, 0x100000001, 1) || b.Round != 3 {
		t.Errorf("sender's vote not recorded: %s", e)
	}
}

func TestLowerRoundIsAnsweredAndIgnored(t *testing.T) {
	e := looking(t, 1, z5, 1)
	e.Receive(0, note(2, vote(2, z5, 1), 2, wire.Looking)) // round 2, proposal (2, ...)
	e.Outbox()
	e.Receive(0, note(3, vote(3, z5, 9), 1, wire.Looking)) // round 1, a far better vote
	wantOut(t, e, "1->3 LOOKING round 2 (2, 0x100000005, e1)")
	wantVote(t, e, 2, vote(2, z5, 1))
	if _, ok := recorded(e, 3); ok {
		t.Errorf("a lower-round vote was recorded: %s", e)
	}
	// A lower-round FOLLOWING notification is not answered (only LOOKING senders are).
	e.Receive(0, note(3, vote(3, z5, 1), 1, wire.Following))
	wantOut(t, e)
}

func TestSameRoundAdoptsOnlyBetterVotes(t *testing.T) {
	e := looking(t, 2, z5, 1)
	e.Receive(0, note(1, vote(1, z5, 1), 1, wire.Looking)) // worse: recorded, not adopted
	wantOut(t, e)
	wantVote(t, e, 1, vote(2, z5, 1))
	if b, ok := recorded(e, 1); !ok || b.Vote != vote(1, z5, 1) {
		t.Errorf("worse vote not recorded: %s", e)
	}
	e.Receive(0, note(3, vote(3, z5, 1), 1, wire.Looking)) // better: adopted and sent
	wantOut(t, e, "2->1 LOOKING round 1 (3, 0x100000005, e1)", "2->3 LOOKING round 1 (3, 0x100000005, e1)")
	wantVote(t, e, 1, vote(3, z5, 1))
	// 2 and 3 now propose (3, ...): a quorum of {1, 2, 3}, so the finalize wait starts.
	if !e.finalizing {
		t.Errorf("no finalize wait with a quorum: %s", e)
	}
}

func TestNoZxidVotesAreIgnored(t *testing.T) {
	e := looking(t, 1, z5, 1)
	e.Receive(0, note(3, vote(3, NoZxid, 9), 1, wire.Looking))
	wantVote(t, e, 1, vote(1, z5, 1))
	if _, ok := recorded(e, 3); ok {
		t.Errorf("a NoZxid vote was recorded: %s", e)
	}
	// A server whose own zxid is NoZxid ignores every LOOKING notification...
	e = looking(t, 1, NoZxid, 1)
	e.Receive(0, note(3, vote(3, z5, 1), 2, wire.Looking))
	wantVote(t, e, 1, vote(1, NoZxid, 1))
	// ...but its receiver still answers senders that are behind.
	e.Receive(0, note(3, vote(3, z5, 1), 0, wire.Looking))
	wantOut(t, e, "1->3 LOOKING round 1 (1, 0x-1, e1)" /* tree.Zxid(-1).String() */)
}

func TestNonVotersAreAnsweredAndIgnored(t *testing.T) {
	e := looking(t, 1, z5, 1)
	e.Receive(0, note(7, vote(7, z5, 9), 5, wire.Looking))
	wantOut(t, e, "1->7 LOOKING round 1 (1, 0x100000005, e1)")
	wantVote(t, e, 1, vote(1, z5, 1))
	// A voter's notification for a non-voter leader is ignored and not answered.
	e.Receive(0, note(2, vote(7, z5, 9), 1, wire.Looking))
	wantOut(t, e)
	wantVote(t, e, 1, vote(1, z5, 1))
	if _, ok := recorded(e, 2); ok {
		t.Errorf("a vote for a non-voter was recorded: %s", e)
	}
	// OBSERVING notifications are ignored.
	e.Receive(0, note(2, vote(3, z5, 9), 1, wire.Observing))
	wantOut(t, e)
	wantVote(t, e, 1, vote(1, z5, 1))
}

func TestFollowingInSameRoundDecidesWithCheckLeader(t *testing.T) {
	e := looking(t, 1, z5, 1)
	v3 := vote(3, 0x100000009, 2)
	// A quorum of {1, 2, 3} FOLLOWING 3 in round 1, but not 3's own LEADING vote: checkLeader
	// fails, since 3 may have crashed while its followers still vouch for it.
	e.Receive(0, note(2, v3, 1, wire.Following))
	e.Receive(0, note(1, v3, 1, wire.Following)) // (as if looped back; any voter works)
	if _, ok := e.Decision(); ok {
		t.Fatalf("decided without the leader's LEADING vote: %s", e)
	}
	e.Receive(0, note(3, v3, 1, wire.Leading))
	d, ok := e.Decision()
	want := Decision{Leader: 3, Vote: v3, Round: 1, State: wire.Following, Via: ViaRound}
	if !ok || d != want {
		t.Fatalf("decision %v %v, want %v", d, ok, want)
	}
	if e.State() != wire.Following || e.Vote() != v3 {
		t.Errorf("not settled on the decision: %s", e)
	}
	if _, ok := e.Deadline(); ok {
		t.Error("a settled election has a deadline")
	}
}

func TestOutOfElectionJoinsAnEnsembleAndAdoptsItsRound(t *testing.T) {
	e := looking(t, 1, z5, 1)
	e.Look(0, vote(1, z5, 1))
	e.Look(0, vote(1, z5, 1)) // round 3
	e.Outbox()
	// 2 joined in round 1, the leader 3 was elected in round 2 and their zxids differ; only
	// leader and peer epoch must agree (ZOOKEEPER-1732).
	e.Receive(0, note(2, vote(3, 0x100000001, 2), 1, wire.Following))
	if _, ok := e.Decision(); ok {
		t.Fatalf("decided on one vote: %s", e)
	}
	e.Receive(0, note(3, vote(3, 0x100000009, 2), 2, wire.Leading))
	d, ok := e.Decision()
	want := Decision{Leader: 3, Vote: vote(3, 0x100000009, 2), Round: 2, State: wire.Following, Via: ViaOutOfElection}
	if !ok || d != want {
		t.Fatalf("decision %v %v, want %v", d, ok, want)
	}
	if e.Round() != 2 {
		t.Errorf("round %d, want the leader's round 2", e.Round())
	}
}

func TestOutOfElectionFullCompareVariantNeverJoins(t *testing.T) {
	e := looking(t, 1, z5, 1, func(c *Config) { c.CompareFullOutOfElection = true })
	e.Look(0, vote(1, z5, 1))
	e.Look(0, vote(1, z5, 1))
	e.Receive(0, note(2, vote(3, 0x100000001, 2), 1, wire.Following))
	e.Receive(0, note(3, vote(3, 0x100000009, 2), 2, wire.Leading))
	if d, ok := e.Decision(); ok {
		t.Fatalf("the 1732 variant joined: %v", d)
	}
}

func TestCheckLeaderForSelfNeedsSameRound(t *testing.T) {
	// Server 3 led in round 1, restarted into LOOKING (round 2); 1 and 2 still follow it.
	e := looking(t, 3, z5, 1)
	e.Look(0, vote(3, z5, 1))
	v3 := vote(3, z5, 1)
	e.Receive(0, note(1, v3, 1, wire.Following))
	e.Receive(0, note(2, v3, 1, wire.Following))
	if d, ok := e.Decision(); ok {
		t.Fatalf("a leader in a newer round took its old followers' word: %v", d)
	}
	// In the same round it does: it decides LEADING.
	e = looking(t, 3, z5, 1)
	e.Receive(0, note(1, v3, 1, wire.Following))
	e.Receive(0, note(2, v3, 1, wire.Following))
	if d, ok := e.Decision(); !ok || d.State != wire.Leading || d.Via != ViaRound {
		t.Fatalf("decision %v %v, want LEADING via round", d, ok)
	}
}

func TestSettledAnswersLookingWithSettledVote(t *testing.T) {
	e := looking(t, 1, z5, 1)
	v3 := vote(3, z5, 1)
	e.Settle(wire.Following, v3)
	e.Receive(0, note(2, vote(2, z5, 1), 4, wire.Looking))
	wantOut(t, e, "1->2 FOLLOWING round 1 (3, 0x100000005, e1)")
	e.Receive(0, note(3, v3, 1, wire.Leading)) // not answered
	wantOut(t, e)
	e.UpdatePeerEpoch(2) // after sync (ZOOKEEPER-1732)
	e.Receive(0, note(2, vote(2, z5, 1), 4, wire.Looking))
	wantOut(t, e, "1->2 FOLLOWING round 1 (3, 0x100000005, e2)")
	wantVote(t, e, 1, vote(3, z5, 2))
	if e.State() != wire.Following {
		t.Errorf("state %v", e.State())
	}
	e.Receive(0, note(7, v3, 1, wire.Looking)) // a non-voter too
	wantOut(t, e, "1->7 FOLLOWING round 1 (3, 0x100000005, e2)")
}

func TestSettlePanicsOnLooking(t *testing.T) {
	e := looking(t, 1, z5, 1)
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	e.Settle(wire.Looking, vote(1, z5, 1))
}

func TestNotificationsBeforeLookWaitForIt(t *testing.T) {
	e, _ := New(Config{Self: 1, Voters: []wire.ServerID{1, 2, 3}})
	e.Receive(0, note(3, vote(3, z5, 1), 1, wire.Looking))
	e.Receive(0, note(7, vote(7, z5, 1), 1, wire.Looking)) // a non-voter: dropped
	wantOut(t, e)
	e.Look(0, vote(1, z5, 1))
	// The queued vote is processed after Look's broadcast went out, then the loopback.
	wantOut(t, e,
		"1->2 LOOKING round 1 (1, 0x100000005, e1)", "1->3 LOOKING round 1 (1, 0x100000005, e1)",
		"1->2 LOOKING round 1 (3, 0x100000005, e1)", "1->3 LOOKING round 1 (3, 0x100000005, e1)")
	wantVote(t, e, 1, vote(3, z5, 1))
}

func TestDecisionStateFollowsLeader(t *testing.T) {
	for _, self := range []wire.ServerID{1, 3} {
		e := looking(t, self, z5, 1)
		for _, sid := range []wire.ServerID{1, 2, 3} {
			if sid != self {
				e.Receive(0, note(sid, vote(3, z5, 1), 1, wire.Looking))
			}
		}
		e.Tick(time.Second)
		d, ok := e.Decision()
		want := wire.Following
		if self == 3 {
			want = wire.Leading
		}
		if !ok || d.State != want || d.Leader != 3 || d.Via != ViaQuorum || e.State() != want {
			t.Errorf("server %d: decision %v %v, want %v of 3", self, d, ok, want)
		}
	}
}
