package recipes_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"zoosim/recipes"
	"zoosim/sim"
	"zoosim/tree"
	"zoosim/zab/client"
)

// electionContend has five candidates each win the election three times: a leader checks that
// nobody else leads, that its token exceeds the last leader's and that the leader query names
// it, leads a while, resigns and runs again. It returns the failures seen and the terms led.
func electionContend(t *testing.T, flaws recipes.Flaws) (errs procErrors, terms int) {
	e := recipeEnsemble(t, 1, 3)
	leader := ""
	var lastToken int64
	var procs []*sim.Proc
	for i := range 5 {
		name := fmt.Sprintf("c%d", i)
		p, _ := recipeProcess(e, name, func(p *sim.Proc, s *client.Session) {
			if err := s.WaitConnected(); err != nil {
				errs.errorf("%s: connect: %v", name, err)
				return
			}
			el := recipes.NewElection(s, "/election/a", name)
			el.Flaws = flaws
			for range 3 {
				token, err := el.Campaign(nil)
				if err != nil {
					errs.errorf("%s: campaign: %v", name, err)
					return
				}
				if leader != "" {
					errs.errorf("%s was elected while %s led", name, leader)
				}
				if token <= lastToken {
					errs.errorf("%s: token %d after token %d", name, token, lastToken)
				}
				leader, lastToken = name, token
				terms++
				if node, id, err := recipes.Leader(s, nil, "/election/a"); err != nil || id != name || node != el.Node() {
					errs.errorf("%s leads, but the leader query says %q (%s, %v)", name, id, node, err)
				}
				p.Sleep(5 * time.Millisecond)
				if !el.Leading() || el.Token() != token {
					errs.errorf("%s: Leading %v, Token %d while leading with token %d", name, el.Leading(), el.Token(), token)
				}
				leader = ""
				if err := el.Resign(); err != nil {
					errs.errorf("%s: resign: %v", name, err)
				}
			}
		})
		procs = append(procs, p)
	}
	runProcesses(t, e, time.Minute, procs...)
	return errs, terms
}

// TestElectionOneLeader: one leader at a time, tokens increasing, and the leader query agrees
// with the leader.
func TestElectionOneLeader(t *testing.T) {
	errs, terms := electionContend(t, nil)
	errs.report(t)
	if terms != 15 {
		t.Fatalf("%d terms, want 15", terms)
	}
}

// TestElectionCatchesFlaw: with candidates that lead as soon as their node exists, the test's
// own checks see two leaders at once.
func TestElectionCatchesFlaw(t *testing.T) {
	if errs, _ := electionContend(t, recipes.Flaws{recipes.FlawElectionLeadAtOnce}); len(errs.list) == 0 {
		t.Fatal("candidates that lead at once gave no two leaders at once")
	}
}

// TestElectionFailover: a leader and two candidates behind it; the middle one gives up (its
// campaign times out), then the leader resigns: the last candidate, which watched the middle
// one, watches the leader next and is elected within milliseconds of the resignation. With a
// leader that resigns without deleting its node (a flaw), nobody is elected for as long as the
// old leader's session lives.
func TestElectionFailover(t *testing.T) {
	for _, flaws := range []recipes.Flaws{nil, {recipes.FlawElectionResignKeepsNode}} {
		e := recipeEnsemble(t, 2, 3)
		var errs procErrors
		joined, resigned, elected := 0, sim.Never, sim.Never
		a, _ := recipeProcess(e, "a", func(p *sim.Proc, s *client.Session) {
			_ = s.WaitConnected()
			el := recipes.NewElection(s, "/election/f", "a")
			el.Flaws = flaws
			if _, err := el.Campaign(nil); err != nil {
				errs.errorf("a: %v", err)
				return
			}
			joined++
			p.Sleep(500 * time.Millisecond)
			resigned = p.Now()
			if err := el.Resign(); err != nil || el.Leading() || el.Node() != "" {
				errs.errorf("a: Resign = %v, leading %v, node %q", err, el.Leading(), el.Node())
			}
			p.Sleep(3 * time.Second)
		})
		b, _ := recipeProcess(e, "b", func(p *sim.Proc, s *client.Session) {
			_ = s.WaitConnected()
			for joined < 1 {
				p.Sleep(time.Millisecond)
			}
			el := recipes.NewElection(s, "/election/f", "b")
			if err := el.Join(nil); err != nil {
				errs.errorf("b: %v", err)
				return
			}
			joined++
			if _, err := el.Campaign(recipes.WithTimeout(s, 200*time.Millisecond)); !errors.Is(err, recipes.ErrTimeout) || el.Node() != "" {
				errs.errorf("b: campaign behind a = %v, node %q; want ErrTimeout and no node", err, el.Node())
			}
		})
		c, _ := recipeProcess(e, "c", func(p *sim.Proc, s *client.Session) {
			_ = s.WaitConnected()
			for joined < 2 {
				p.Sleep(time.Millisecond)
			}
			el := recipes.NewElection(s, "/election/f", "c")
			if _, err := el.Campaign(recipes.WithTimeout(s, 2*time.Second)); err == nil {
				elected = p.Now()
				_ = el.Resign()
			}
		})
		runProcesses(t, e, time.Minute, a, b, c)
		errs.report(t)
		switch {
		case flaws == nil && (elected == sim.Never || elected.Sub(resigned) > 50*time.Millisecond):
			t.Errorf("c elected at %v, a resigned at %v: want c elected within 50ms", elected, resigned)
		case flaws != nil && elected != sim.Never:
			t.Errorf("flaw %v: c elected at %v though a's node stayed after it resigned at %v", flaws, elected, resigned)
		}
	}
}

// TestElectionLeaderLosesSession: a leader paused past its session timeout loses the
// leadership: the candidate behind it is elected once the expiry deletes the leader's node, with
// a higher token, and the old leader, once it runs again, learns it lost (Leading is false,
// WaitLost says the session ended).
func TestElectionLeaderLosesSession(t *testing.T) {
	e := recipeEnsemble(t, 3, 3)
	var errs procErrors
	var tokenA, tokenB int64
	bElected := sim.Never
	var aNode *sim.Node
	a, aNode := recipeProcess(e, "a", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		el := recipes.NewElection(s, "/election/e", "a")
		var err error
		if tokenA, err = el.Campaign(nil); err != nil {
			errs.errorf("a: %v", err)
			return
		}
		w := p.World()
		w.After(time.Millisecond, "pause a", func() { _ = w.Pause(aNode.ID()) })
		w.After(10*time.Second, "resume a", func() { _ = w.Resume(aNode.ID()) })
		p.Sleep(2 * time.Millisecond)
		// Wakes after the resume; the leader waits for the end of its leadership.
		if err := el.WaitLost(recipes.WithTimeout(s, 20*time.Second)); !errors.Is(err, recipes.ErrSessionEnded) {
			errs.errorf("a: WaitLost after its session expired = %v, want ErrSessionEnded", err)
		}
		if el.Leading() {
			errs.errorf("a still believes it leads after its session expired")
		}
	})
	b, _ := recipeProcess(e, "b", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		p.Sleep(100 * time.Millisecond)
		el := recipes.NewElection(s, "/election/e", "b")
		var err error
		if tokenB, err = el.Campaign(nil); err != nil {
			errs.errorf("b: %v", err)
			return
		}
		bElected = p.Now()
		if err := el.WaitLost(recipes.WithTimeout(s, time.Second)); !errors.Is(err, recipes.ErrTimeout) {
			errs.errorf("b: WaitLost while leading = %v, want ErrTimeout", err)
		}
		_ = el.Resign()
	})
	start := e.World().Now()
	runProcesses(t, e, time.Minute, a, b)
	errs.report(t)
	if bElected == sim.Never || tokenB <= tokenA {
		t.Fatalf("b elected at %v with token %d (a's token %d): want b elected after a's session expired, with a higher token", bElected, tokenB, tokenA)
	}
	if d := bElected.Sub(start); d < 4*time.Second || d > 10*time.Second {
		t.Fatalf("b elected %v after the start: want after a's 4 s session timeout and before a resumed at 10 s", d)
	}
}

// TestElectionLeaderQuery: with no candidate the query says ErrNoLeader; candidate ids may hold
// dashes; an id with a slash is refused.
func TestElectionLeaderQuery(t *testing.T) {
	e := recipeEnsemble(t, 4, 3)
	var errs procErrors
	p, _ := recipeProcess(e, "q", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		if _, _, err := recipes.Leader(s, nil, "/election/q"); !errors.Is(err, recipes.ErrNoLeader) {
			errs.errorf("query of an election never run = %v, want ErrNoLeader", err)
		}
		el := recipes.NewElection(s, "/election/q", "node-7:2181")
		if _, err := el.Campaign(nil); err != nil {
			errs.errorf("campaign: %v", err)
			return
		}
		if _, id, err := recipes.Leader(s, nil, "/election/q"); err != nil || id != "node-7:2181" {
			errs.errorf("query = %q, %v; want node-7:2181", id, err)
		}
		_ = el.Resign()
		if _, _, err := recipes.Leader(s, nil, "/election/q"); !errors.Is(err, recipes.ErrNoLeader) {
			errs.errorf("query after the only candidate resigned = %v, want ErrNoLeader", err)
		}
		if err := recipes.NewElection(s, "/election/q", "a/b").Join(nil); err == nil {
			errs.errorf("an id with a slash was accepted")
		}
	})
	runProcesses(t, e, time.Minute, p)
	errs.report(t)
}

// TestElectionLateLostCreate plays a create lost to ConnectionLoss and committed late (after
// the candidate had looked for it and created another node): the node of the lost attempt
// belongs to the candidate's live session, and nobody campaigns with it. A candidate deletes
// such a node when it finds it before its own (b), and when it resigns (c, whose lost attempt
// landed behind its node): in both cases the candidates behind are elected at once, not when
// the session ends.
func TestElectionLateLostCreate(t *testing.T) {
	e := recipeEnsemble(t, 5, 3)
	var errs procErrors
	const dir = "/election/late"
	step, elected := 0, map[string]sim.Time{}
	resigned := map[string]sim.Time{}
	// lostAttempt creates, with s, the node a lost attempt of el would have created.
	lostAttempt := func(s *client.Session, el *recipes.Election, id string) {
		stem := fmt.Sprintf("candidate-%s-%x-1-", id, uint64(s.Client().SessionID()))
		el.AddLostAttemptForTest(stem)
		if _, err := s.Create(dir+"/"+stem, nil, tree.OpenACLUnsafe, tree.EphemeralSequential); err != nil {
			errs.errorf("%s: creating the lost attempt's node: %v", id, err)
		}
	}
	campaign := func(p *sim.Proc, s *client.Session, el *recipes.Election, id string) {
		if _, err := el.Campaign(recipes.WithTimeout(s, 3*time.Second)); err != nil {
			errs.errorf("%s: campaign: %v", id, err)
			return
		}
		elected[id] = p.Now()
		p.Sleep(100 * time.Millisecond)
		resigned[id] = p.Now()
		if err := el.Resign(); err != nil {
			errs.errorf("%s: resign: %v", id, err)
		}
	}
	var procs []*sim.Proc
	for _, id := range []string{"a", "b", "c", "d"} {
		p, _ := recipeProcess(e, id, func(p *sim.Proc, s *client.Session) {
			_ = s.WaitConnected()
			el := recipes.NewElection(s, dir, id)
			for want := map[string]int{"a": 0, "b": 1, "c": 2, "d": 3}[id]; step < want; {
				p.Sleep(time.Millisecond)
			}
			switch id {
			case "b": // the lost attempt's node comes before b's own
				lostAttempt(s, el, id)
				_ = el.Join(nil)
			case "c": // c's own node, then the lost attempt's, behind it
				_ = el.Join(nil)
				lostAttempt(s, el, id)
			default:
				_ = el.Join(nil)
			}
			step++
			campaign(p, s, el, id)
		})
		procs = append(procs, p)
	}
	runProcesses(t, e, time.Minute, procs...)
	errs.report(t)
	for _, next := range [][2]string{{"a", "b"}, {"b", "c"}, {"c", "d"}} {
		if d := elected[next[1]].Sub(resigned[next[0]]); elected[next[1]] == 0 || d > 50*time.Millisecond {
			t.Errorf("%s elected %v after %s resigned: want within 50ms", next[1], d, next[0])
		}
	}
}
