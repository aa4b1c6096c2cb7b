package recipes_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"zoosim/recipes"
	"zoosim/sim"
	"zoosim/sim/cluster"
	"zoosim/zab/client"
)

// membershipProcess starts a client and a process running body with a blocking session over it,
// and returns the process and the client's node (to pause it).
func membershipProcess(e *cluster.Ensemble, name string, body func(p *sim.Proc, s *client.Session)) (*sim.Proc, *sim.Node) {
	c, node := e.NewClient(name, client.Config{})
	return node.Spawn(name, func(p *sim.Proc) { body(p, client.NewSession(c, cluster.NewWaiter(p))) }), node
}

// membershipChurn runs a watcher of group /grp while member a joins at 100 ms and leaves at
// 300 ms and member b joins at 200 ms; the watcher follows the group with Next until 1 s, then
// settles. It returns the views the watcher saw and the settled one.
func membershipChurn(t *testing.T, flaws recipes.Flaws) (views []string, settled string, errs procErrors) {
	e := recipeEnsemble(t, 1, 3)
	start := e.World().Now()
	at := func(p *sim.Proc, d time.Duration) { p.Sleep(start.Add(d).Sub(p.Now())) }
	member := func(name string, join, leave time.Duration) *sim.Proc {
		p, _ := membershipProcess(e, name, func(p *sim.Proc, s *client.Session) {
			_ = s.WaitConnected()
			g := recipes.NewGroup(s, "/grp")
			at(p, join)
			if _, err := g.Join(nil, name, []byte("data of "+name)); err != nil {
				errs.errorf("%s: join: %v", name, err)
				return
			}
			if leave > 0 {
				at(p, leave)
				if err := g.Leave(); err != nil {
					errs.errorf("%s: leave: %v", name, err)
				}
			}
		})
		return p
	}
	a := member("a", 100*time.Millisecond, 300*time.Millisecond)
	b := member("b", 200*time.Millisecond, 0)
	w, _ := membershipProcess(e, "watcher", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		g := recipes.NewGroup(s, "/grp")
		g.Flaws = flaws
		var last recipes.GroupView
		for p.Now() < start.Add(time.Second) {
			v, err := g.Next(recipes.WithTimeout(s, start.Add(time.Second).Sub(p.Now())))
			if errors.Is(err, recipes.ErrTimeout) {
				break
			}
			if err != nil {
				errs.errorf("watcher: %v", err)
				return
			}
			if v.Zxid < last.Zxid {
				errs.errorf("watcher: view at zxid %v after one at %v", v.Zxid, last.Zxid)
			}
			last = v
			views = append(views, v.String())
		}
		v, _, err := g.Settle(nil)
		if err != nil {
			errs.errorf("watcher: settle: %v", err)
		}
		settled = v.String()
	})
	runProcesses(t, e, time.Minute, a, b, w)
	return views, settled, errs
}

// TestMembershipWatchSeesEveryChange: the watcher sees the group empty, then each join and leave
// in order, and settles at the final membership.
func TestMembershipWatchSeesEveryChange(t *testing.T) {
	views, settled, errs := membershipChurn(t, nil)
	errs.report(t)
	if want := []string{"", "a", "a,b", "b"}; !slices.Equal(views, want) {
		t.Fatalf("views %q, want %q", views, want)
	}
	if settled != "b" {
		t.Fatalf("settled at {%s}, want {b}", settled)
	}
}

// TestMembershipNoRewatchFlawGoesStale: a watcher that does not set its watch again sees the
// first join and nothing after it, and its settle stays there, which the recipe's checker
// (models.CheckMembership) catches.
func TestMembershipNoRewatchFlawGoesStale(t *testing.T) {
	views, settled, errs := membershipChurn(t, recipes.Flaws{recipes.FlawMembershipNoRewatch})
	errs.report(t)
	if want := []string{"", "a"}; !slices.Equal(views, want) || settled != "a" {
		t.Fatalf("flawed watcher: views %q, settled {%s}; want views %q settled {a}", views, settled, want)
	}
}

// TestMembershipSessionExpiry: a member paused past its session timeout leaves the group with
// its session's expiry; a process that joins under the same name meanwhile waits for the old
// node to go and then joins; the paused member, once resumed, learns that its session ended.
func TestMembershipSessionExpiry(t *testing.T) {
	e := recipeEnsemble(t, 3, 3)
	var errs procErrors
	start := e.World().Now()
	var joinedAgain time.Duration
	var aNode *sim.Node
	a, aNode := membershipProcess(e, "a", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		g := recipes.NewGroup(s, "/grp")
		if _, err := g.Join(nil, "a", nil); err != nil {
			errs.errorf("a: %v", err)
			return
		}
		w := p.World()
		w.After(time.Millisecond, "pause a", func() { _ = w.Pause(aNode.ID()) })
		w.After(12*time.Second, "resume a", func() { _ = w.Resume(aNode.ID()) })
		p.Sleep(2 * time.Millisecond)
		p.Sleep(time.Second) // wakes after the resume
		for s.Client().State().IsAlive() && p.Now() < start.Add(40*time.Second) {
			p.Sleep(100 * time.Millisecond) // until the client learns of the expiry
		}
		if err := g.Leave(); !errors.Is(err, recipes.ErrSessionEnded) {
			errs.errorf("a: Leave after the expiry = %v, want ErrSessionEnded", err)
		}
	})
	again, _ := membershipProcess(e, "a-again", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		p.Sleep(200 * time.Millisecond)
		g := recipes.NewGroup(s, "/grp")
		if _, err := g.Join(nil, "a", nil); err != nil {
			errs.errorf("a-again: %v", err)
			return
		}
		joinedAgain = p.Now().Sub(start)
		v, err := g.Members(nil)
		if err != nil || v.String() != "a" {
			errs.errorf("a-again: members {%s} (%v), want {a}", v, err)
		}
	})
	runProcesses(t, e, time.Minute, a, again)
	errs.report(t)
	if joinedAgain < 4*time.Second || joinedAgain > 12*time.Second {
		t.Fatalf("the second a joined %v after the start: want after the first a's 4 s session timeout and before it resumed at 12 s", joinedAgain)
	}
}

// TestMembershipJoinCancel: a Join waiting for a name another session holds returns the
// Cancel's error and leaves the process out of the group.
func TestMembershipJoinCancel(t *testing.T) {
	e := recipeEnsemble(t, 2, 3)
	var errs procErrors
	holding := false
	a, _ := membershipProcess(e, "a", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		g := recipes.NewGroup(s, "/grp")
		if _, err := g.Join(nil, "x", nil); err != nil {
			errs.errorf("a: %v", err)
			return
		}
		holding = true
		p.Sleep(time.Second)
		_ = g.Leave()
	})
	b, _ := membershipProcess(e, "b", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		for !holding {
			p.Sleep(time.Millisecond)
		}
		g := recipes.NewGroup(s, "/grp")
		_, err := g.Join(recipes.WithTimeout(s, 100*time.Millisecond), "x", nil)
		if !errors.Is(err, recipes.ErrTimeout) || g.Node() != "" {
			errs.errorf("b: Join of a held name with a timeout = %v, node %q; want ErrTimeout and no node", err, g.Node())
		}
		v, err := g.Members(nil)
		if err != nil || v.String() != "x" {
			errs.errorf("b: members {%s} (%v), want {x}", v, err)
		}
	})
	runProcesses(t, e, time.Minute, a, b)
	errs.report(t)
}
