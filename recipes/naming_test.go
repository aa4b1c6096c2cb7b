package recipes_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"zoosim/recipes"
	"zoosim/sim"
	"zoosim/zab/client"
)

// namingChurn runs a resolver of service /svc while instance a registers at 100 ms and
// deregisters at 300 ms and instance b registers at 200 ms; the resolver follows the service
// with Next until 1 s, resolving again (from its cache) after each answer, then settles. It
// returns the answers Next gave and the settled one.
func namingChurn(t *testing.T, flaws recipes.Flaws) (answers []string, settled string, errs procErrors) {
	e := recipeEnsemble(t, 1, 3)
	start := e.World().Now()
	at := func(p *sim.Proc, d time.Duration) { p.Sleep(start.Add(d).Sub(p.Now())) }
	instance := func(name, address string, register, deregister time.Duration) *sim.Proc {
		p, _ := membershipProcess(e, name, func(p *sim.Proc, s *client.Session) {
			_ = s.WaitConnected()
			svc := recipes.NewService(s, "/svc")
			at(p, register)
			if _, err := svc.Register(nil, name, address); err != nil {
				errs.errorf("%s: register: %v", name, err)
				return
			}
			if deregister > 0 {
				at(p, deregister)
				if err := svc.Deregister(); err != nil {
					errs.errorf("%s: deregister: %v", name, err)
				}
			}
		})
		return p
	}
	a := instance("a", "10.0.0.1:7000", 100*time.Millisecond, 300*time.Millisecond)
	b := instance("b", "10.0.0.2:7000", 200*time.Millisecond, 0)
	r, _ := membershipProcess(e, "resolver", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		svc := recipes.NewService(s, "/svc")
		svc.Flaws = flaws
		for p.Now() < start.Add(time.Second) {
			res, err := svc.Next(recipes.WithTimeout(s, start.Add(time.Second).Sub(p.Now())))
			if errors.Is(err, recipes.ErrTimeout) {
				break
			}
			if err != nil {
				errs.errorf("resolver: %v", err)
				return
			}
			answers = append(answers, res.String())
			again, err := svc.Resolve(nil)
			if err != nil || again.String() != res.String() || again.Zxid != res.Zxid {
				errs.errorf("resolver: Resolve right after Next gave {%s} (%v), want the same answer {%s}", again, err, res)
			}
		}
		res, _, err := svc.Settle(nil)
		if err != nil {
			errs.errorf("resolver: settle: %v", err)
		}
		settled = res.String()
	})
	runProcesses(t, e, time.Minute, a, b, r)
	return answers, settled, errs
}

// TestNamingResolverFollowsTheService: the resolver sees the service empty, then each
// registration and deregistration with its endpoint, and settles at the final endpoints.
func TestNamingResolverFollowsTheService(t *testing.T) {
	answers, settled, errs := namingChurn(t, nil)
	errs.report(t)
	want := []string{"", "a=10.0.0.1:7000", "a=10.0.0.1:7000,b=10.0.0.2:7000", "b=10.0.0.2:7000"}
	if !slices.Equal(answers, want) {
		t.Fatalf("answers %q, want %q", answers, want)
	}
	if settled != "b=10.0.0.2:7000" {
		t.Fatalf("settled at {%s}, want {b=10.0.0.2:7000}", settled)
	}
}

// TestNamingCacheForeverFlawGoesStale: a resolver that caches forever answers the empty
// service to the end, which the recipe's checker (models.CheckNaming) catches.
func TestNamingCacheForeverFlawGoesStale(t *testing.T) {
	answers, settled, errs := namingChurn(t, recipes.Flaws{recipes.FlawNamingCacheForever})
	errs.report(t)
	for _, a := range answers {
		if a != "" {
			t.Fatalf("a resolver that caches forever answered {%s}, want only the first, empty answer (answers %q)", a, answers)
		}
	}
	if settled != "" {
		t.Fatalf("a resolver that caches forever settled at {%s}, want its first, empty answer", settled)
	}
}

// TestNamingNameTaken: a name registered by another session is refused, and a registration
// repeated by its own session (as after a lost reply) is not.
func TestNamingNameTaken(t *testing.T) {
	e := recipeEnsemble(t, 2, 3)
	var errs procErrors
	registered := false
	a, _ := membershipProcess(e, "a", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		svc := recipes.NewService(s, "/svc")
		if _, err := svc.Register(nil, "x", "10.0.0.1:7000"); err != nil {
			errs.errorf("a: %v", err)
			return
		}
		registered = true
		// The same session registering the same name and endpoint again finds its own node.
		again := recipes.NewService(s, "/svc")
		if node, err := again.Register(nil, "x", "10.0.0.1:7000"); err != nil || node != "/svc/x" {
			errs.errorf("a: registering its own name again = %q, %v; want /svc/x", node, err)
		}
		p.Sleep(time.Second)
	})
	b, _ := membershipProcess(e, "b", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		for !registered {
			p.Sleep(time.Millisecond)
		}
		svc := recipes.NewService(s, "/svc")
		if _, err := svc.Register(nil, "x", "10.0.0.2:7000"); !errors.Is(err, recipes.ErrNameTaken) || svc.Node() != "" {
			errs.errorf("b: Register of a's name = %v, node %q; want ErrNameTaken and no node", err, svc.Node())
		}
		res, err := svc.Resolve(nil)
		if addr, ok := res.Address("x"); err != nil || !ok || addr != "10.0.0.1:7000" {
			errs.errorf("b: resolved x at %q (%v, %v), want a's endpoint", addr, ok, err)
		}
	})
	runProcesses(t, e, time.Minute, a, b)
	errs.report(t)
}

// TestNamingSessionExpiry: an instance paused past its session timeout is deregistered by the
// expiry, and a resolver that waits with Next sees its endpoint go.
func TestNamingSessionExpiry(t *testing.T) {
	e := recipeEnsemble(t, 3, 3)
	var errs procErrors
	start := e.World().Now()
	var gone time.Duration
	var aNode *sim.Node
	a, aNode := membershipProcess(e, "a", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		svc := recipes.NewService(s, "/svc")
		if _, err := svc.Register(nil, "a", "10.0.0.1:7000"); err != nil {
			errs.errorf("a: %v", err)
			return
		}
		w := p.World()
		w.After(time.Millisecond, "pause a", func() { _ = w.Pause(aNode.ID()) })
		w.After(12*time.Second, "resume a", func() { _ = w.Resume(aNode.ID()) })
		p.Sleep(2 * time.Millisecond)
		p.Sleep(time.Second)
		for s.Client().State().IsAlive() && p.Now() < start.Add(40*time.Second) {
			p.Sleep(100 * time.Millisecond)
		}
		if err := svc.Deregister(); !errors.Is(err, recipes.ErrSessionEnded) {
			errs.errorf("a: Deregister after the expiry = %v, want ErrSessionEnded", err)
		}
	})
	r, _ := membershipProcess(e, "resolver", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		p.Sleep(100 * time.Millisecond)
		svc := recipes.NewService(s, "/svc")
		res, err := svc.Resolve(nil)
		if err != nil || res.String() != "a=10.0.0.1:7000" {
			errs.errorf("resolver: first answer {%s} (%v), want a's endpoint", res, err)
			return
		}
		if res, err = svc.Next(nil); err != nil || res.String() != "" {
			errs.errorf("resolver: next answer {%s} (%v), want none", res, err)
		}
		gone = p.Now().Sub(start)
	})
	runProcesses(t, e, time.Minute, a, r)
	errs.report(t)
	if gone < 4*time.Second || gone > 12*time.Second {
		t.Fatalf("a's endpoint went %v after the start: want after its 4 s session timeout and before it resumed at 12 s", gone)
	}
}
