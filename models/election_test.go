package models

import (
	"strings"
	"testing"

	"zoosim/histories"
	"zoosim/tree"
)

const sec = 1000 * ms

// electionHistory is a recipe history whose one server serves from the start, so that the
// failover bound is judged from DefaultElectionSettle on.
func electionHistory() *recipeHistory {
	b := newRecipeHistory()
	b.rec.Server(0, histories.ServerEvent{Server: 0, Kind: histories.Role, Role: histories.Leading, Leader: 0, Serving: true})
	return b
}

func electionStep(process int, session tree.SessionID, step string, token int64) histories.RecipeEvent {
	return histories.RecipeEvent{Process: process, Client: process, Session: session, Recipe: histories.RecipeElection, Step: step,
		Name: "/e", Node: "/e/candidate-" + string(rune('a'+process)), Token: token}
}

// electionTurns has three candidates lead in turn from 3 s on, each taking over gap after the
// one before resigned.
func electionTurns(b *recipeHistory, gap histories.Time) {
	for p := 1; p <= 3; p++ {
		b.step(3*sec, electionStep(p, tree.SessionID(0x10+p), "candidate", 0))
	}
	at := 3*sec + 10*ms
	for p := 1; p <= 3; p++ {
		b.step(at, electionStep(p, tree.SessionID(0x10+p), "elected", int64(10*p)))
		at += 100 * ms
		b.step(at, electionStep(p, tree.SessionID(0x10+p), "resigned", int64(10*p)))
		at += gap
	}
}

func TestElectionsPassesFailovers(t *testing.T) {
	b := electionHistory()
	electionTurns(b, 5*ms)
	v := CheckElections(b.finish(10*sec), ElectionOptions{})
	if v.Status != Pass || !strings.Contains(v.Summary, "3 terms in 1 elections, 2 failovers") {
		t.Fatalf("three terms in turn: %s", v.String())
	}
	if v.Metrics[3].Value != 2 || v.Metrics[5].Value != 0.005 || v.Metrics[6].Value == 0 {
		t.Fatalf("metrics %+v: want 2 failovers of 5ms, judged", v.Metrics)
	}
}

// TestElectionsCatchesTwoLeaders plants what a candidate that leads as soon as its node exists
// does: a second leader while the first leads with a live session.
func TestElectionsCatchesTwoLeaders(t *testing.T) {
	b := electionHistory()
	b.step(10*ms, electionStep(1, 0x11, "elected", 5))
	b.step(15*ms, electionStep(2, 0x12, "elected", 7))
	b.step(20*ms, electionStep(1, 0x11, "resigned", 5))
	b.step(30*ms, electionStep(2, 0x12, "resigned", 7))
	v := CheckElections(b.finish(40*ms), ElectionOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "still led") {
		t.Fatalf("two leaders: %s", v.String())
	}
}

// TestElectionsCatchesTokenGoingBack plants a leader whose token is below its predecessor's.
func TestElectionsCatchesTokenGoingBack(t *testing.T) {
	b := electionHistory()
	b.step(10*ms, electionStep(1, 0x11, "elected", 9))
	b.step(20*ms, electionStep(1, 0x11, "resigned", 9))
	b.step(21*ms, electionStep(2, 0x12, "elected", 7))
	b.step(30*ms, electionStep(2, 0x12, "resigned", 7))
	v := CheckElections(b.finish(40*ms), ElectionOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "token 7") {
		t.Fatalf("token going back: %s", v.String())
	}
}

// TestElectionsSessionEndCutsTerm: a leader whose session expired still believes it leads (it
// was paused, then learns it "lost"), and another is elected after the expiry committed: no
// violation, since one leader at a time is owed only among live sessions. The same takeover
// before the expiry committed is one.
func TestElectionsSessionEndCutsTerm(t *testing.T) {
	for _, tc := range []struct {
		expireAt histories.Time
		want     Status
	}{{expireAt: 14 * ms, want: Pass}, {expireAt: 16 * ms, want: Fail}} {
		b := electionHistory()
		b.step(10*ms, electionStep(1, 0x11, "elected", 5))
		b.expire(tc.expireAt, 0x11)
		b.step(15*ms, electionStep(2, 0x12, "elected", 7))
		b.step(20*ms, electionStep(2, 0x12, "resigned", 7))
		b.step(30*ms, electionStep(1, 0x11, "lost", 5))
		v := CheckElections(b.finish(40*ms), ElectionOptions{})
		if v.Status != tc.want {
			t.Errorf("expiry committed at %s, takeover at 15ms: %s, want %s", FormatTime(tc.expireAt), v.String(), tc.want)
		}
	}
}

// TestElectionsStaleTermIsNotJudged: a term that begins after its session ended is counted, not
// judged.
func TestElectionsStaleTermIsNotJudged(t *testing.T) {
	b := electionHistory()
	b.step(10*ms, electionStep(2, 0x12, "elected", 7))
	b.expire(11*ms, 0x11)
	b.step(12*ms, electionStep(1, 0x11, "elected", 5))
	b.step(20*ms, electionStep(2, 0x12, "resigned", 7))
	v := CheckElections(b.finish(40*ms), ElectionOptions{})
	if v.Status != Pass || v.Metrics[2].Value != 1 {
		t.Fatalf("stale term: %s %+v", v.String(), v.Metrics)
	}
}

// TestElectionsCatchesSlowFailover plants what a leader that resigns without deleting its node
// does: nobody leads for two seconds in a calm ensemble while candidates wait.
func TestElectionsCatchesSlowFailover(t *testing.T) {
	b := electionHistory()
	electionTurns(b, 2*sec)
	v := CheckElections(b.finish(10*sec), ElectionOptions{})
	if v.Status != Fail || v.Total != 2 || !strings.Contains(v.Summary, "no leader from 3.110s to 5.110s (elected)") {
		t.Fatalf("two-second failovers: %s", v.String())
	}
	// Candidates that are never elected, with nobody leading before them.
	b = electionHistory()
	b.step(3*sec, electionStep(1, 0x11, "candidate", 0))
	b.step(3*sec, electionStep(2, 0x12, "candidate", 0))
	if v := CheckElections(b.finish(10*sec), ElectionOptions{}); v.Status != Fail || !strings.Contains(v.Summary, "no leader from 3.000s to 10.000s while candidates p1, p2 waited") {
		t.Fatalf("nobody ever elected: %s", v.String())
	}
	// The last leader resigns with nobody left waiting: no failover is owed.
	b = electionHistory()
	b.step(3*sec, electionStep(1, 0x11, "candidate", 0))
	b.step(3*sec+10*ms, electionStep(1, 0x11, "elected", 10))
	b.step(3*sec+20*ms, electionStep(1, 0x11, "resigned", 10))
	b.step(3*sec+30*ms, electionStep(2, 0x12, "candidate", 0))
	b.step(3*sec+40*ms, electionStep(2, 0x12, "withdrew", 0))
	if v := CheckElections(b.finish(10*sec), ElectionOptions{}); v.Status != Pass {
		t.Fatalf("nobody waiting: %s", v.String())
	}
}

// TestElectionsExcusesUnrest: a slow failover (from 3.02 s to 5.3 s) is not judged while a
// fault lasts or its effects do, while the servers do not all serve under one leader, while a
// candidate is cut off or dead, nor within the settle time after: each case's unrest ends at
// 4 s, so that only 0.8 s of the wait is judged, under the bound; without the settle time 1.3 s
// would be, over it. A dead candidate excuses the wait until its session's end, past the
// election.
func TestElectionsExcusesUnrest(t *testing.T) {
	cases := []struct {
		name   string
		unrest func(b *recipeHistory)
		dead   bool
	}{
		{name: "partition", unrest: func(b *recipeHistory) {
			id := b.rec.FaultStart(2*sec, histories.Fault{Kind: histories.FaultPartition, Groups: [][]int{{0}, {1, 2}}})
			b.rec.FaultEnd(4*sec, id)
		}},
		{name: "clog healed early, its messages held until its planned end", unrest: func(b *recipeHistory) {
			id := b.rec.FaultStart(2*sec, histories.Fault{Kind: histories.FaultClog, Servers: []int{0}, Detail: "target leader, node clogged for 2s"})
			b.rec.FaultEnd(2500*ms, id)
		}},
		{name: "server not serving", unrest: func(b *recipeHistory) {
			b.rec.Server(2*sec, histories.ServerEvent{Server: 0, Kind: histories.Role, Role: histories.Looking, Leader: -1})
			b.rec.Server(4*sec, histories.ServerEvent{Server: 0, Kind: histories.Role, Role: histories.Leading, Leader: 0, Serving: true})
		}},
		{name: "candidate disconnected", unrest: func(b *recipeHistory) {
			b.rec.Event(2*sec, histories.Event{Client: 2, Session: 0x12, Type: tree.EventNone, State: histories.Disconnected, Server: 0})
			b.rec.Event(4*sec, histories.Event{Client: 2, Session: 0x12, Type: tree.EventNone, State: histories.Connected, Server: 0})
		}},
		{name: "dead candidate (killed)", dead: true, unrest: func(b *recipeHistory) {
			b.step(2*sec, electionStep(4, 0x14, "candidate", 0))
			b.rec.FaultStart(2*sec, histories.Fault{Kind: histories.FaultClientKill, Clients: []int{4}})
			b.expire(5500*ms, 0x14)
		}},
		{name: "dead candidate (closed, its session left to expire)", dead: true, unrest: func(b *recipeHistory) {
			b.step(2*sec, electionStep(4, 0x14, "candidate", 0))
			b.rec.Event(2*sec, histories.Event{Client: 4, Session: 0x14, Type: tree.EventNone, State: histories.Closed})
			b.expire(5500*ms, 0x14)
		}},
	}
	for _, tc := range cases {
		b := electionHistory()
		tc.unrest(b)
		for p := 1; p <= 2; p++ {
			b.step(3*sec, electionStep(p, tree.SessionID(0x10+p), "candidate", 0))
		}
		b.step(3*sec+10*ms, electionStep(1, 0x11, "elected", 10))
		b.step(3*sec+20*ms, electionStep(1, 0x11, "resigned", 10))
		b.step(5300*ms, electionStep(2, 0x12, "elected", 20))
		b.step(5400*ms, electionStep(2, 0x12, "resigned", 20))
		h := b.finish(10 * sec)
		if v := CheckElections(h, ElectionOptions{}); v.Status != Pass {
			t.Errorf("%s: %s", tc.name, v.String())
		}
		want := Fail
		if tc.dead {
			want = Pass
		}
		if v := CheckElections(h, ElectionOptions{Settle: 1}); v.Status != want {
			t.Errorf("%s without settling: %s, want %s", tc.name, v.String(), want)
		}
	}
}

// TestElectionsDeposedLeaderIsUnrest: a leader cut off from the others serves on until it
// notices; while it and the new leader both serve, the servers are not under one leader.
func TestElectionsDeposedLeaderIsUnrest(t *testing.T) {
	b := newRecipeHistory()
	b.rec.Header().Servers = 2
	b.rec.Server(0, histories.ServerEvent{Server: 0, Kind: histories.Role, Role: histories.Leading, Leader: 0, Serving: true})
	b.rec.Server(0, histories.ServerEvent{Server: 1, Kind: histories.Role, Role: histories.Following, Leader: 0, Serving: true})
	b.rec.Server(2*sec, histories.ServerEvent{Server: 1, Kind: histories.Role, Role: histories.Leading, Leader: 1, Serving: true})
	b.rec.Server(4*sec, histories.ServerEvent{Server: 0, Kind: histories.Role, Role: histories.Following, Leader: 1, Serving: true})
	for p := 1; p <= 2; p++ {
		b.step(3*sec, electionStep(p, tree.SessionID(0x10+p), "candidate", 0))
	}
	b.step(3*sec+10*ms, electionStep(1, 0x11, "elected", 10))
	b.step(3*sec+20*ms, electionStep(1, 0x11, "resigned", 10))
	b.step(5300*ms, electionStep(2, 0x12, "elected", 20))
	h := b.finish(10 * sec)
	if v := CheckElections(h, ElectionOptions{}); v.Status != Pass {
		t.Errorf("two leaders serving until 4s: %s", v.String())
	}
	if v := CheckElections(h, ElectionOptions{Settle: 1}); v.Status != Fail {
		t.Errorf("two leaders serving until 4s, without settling: %s, want a failure", v.String())
	}
}
