package recipes_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"zoosim/recipes"
	"zoosim/sim"
	"zoosim/sim/cluster"
	"zoosim/zab/client"
)

// configChurn runs a publisher of configuration /app/config that publishes versions 0 to 4,
// 100 ms apart from 100 ms on, and two readers that follow it with Next until 1 s and then
// settle. It returns the versions each reader saw and the version each settled at.
func configChurn(t *testing.T, flaws recipes.Flaws) (seen [2][]int32, settled [2]int32, errs procErrors) {
	e := recipeEnsemble(t, 1, 3)
	start := e.World().Now()
	pub, _ := membershipProcess(e, "publisher", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		cfg := recipes.NewConfig(s, "/app/config")
		base := int32(-1)
		for i := range 5 {
			p.Sleep(start.Add(time.Duration(i+1) * 100 * time.Millisecond).Sub(p.Now()))
			v, err := cfg.Publish(nil, []byte(fmt.Sprintf("config %d", i)), base)
			if err != nil {
				errs.errorf("publisher: version %d: %v", i, err)
				return
			}
			if v.Version != base+1 {
				errs.errorf("publisher: published version %d on version %d", v.Version, base)
			}
			base = v.Version
		}
	})
	procs := []*sim.Proc{pub}
	for i := range 2 {
		r, _ := membershipProcess(e, fmt.Sprintf("reader%d", i), func(p *sim.Proc, s *client.Session) {
			_ = s.WaitConnected()
			cfg := recipes.NewConfig(s, "/app/config")
			cfg.Flaws = flaws
			for p.Now() < start.Add(time.Second) {
				v, err := cfg.Next(recipes.WithTimeout(s, start.Add(time.Second).Sub(p.Now())))
				if errors.Is(err, recipes.ErrTimeout) {
					break
				}
				if err != nil {
					errs.errorf("reader%d: %v", i, err)
					return
				}
				if v.Version >= 0 && string(v.Data) != fmt.Sprintf("config %d", v.Version) {
					errs.errorf("reader%d: version %d holds %q", i, v.Version, v.Data)
				}
				seen[i] = append(seen[i], v.Version)
			}
			v, _, err := cfg.Settle(nil)
			if err != nil {
				errs.errorf("reader%d: settle: %v", i, err)
			}
			settled[i] = v.Version
		})
		procs = append(procs, r)
	}
	runProcesses(t, e, time.Minute, procs...)
	return seen, settled, errs
}

// TestConfigReadersFollowEveryVersion: each reader sees no configuration, then every version in
// order (publications 100 ms apart), and settles at the last one.
func TestConfigReadersFollowEveryVersion(t *testing.T) {
	seen, settled, errs := configChurn(t, nil)
	errs.report(t)
	for i := range 2 {
		if want := []int32{-1, 0, 1, 2, 3, 4}; fmt.Sprint(seen[i]) != fmt.Sprint(want) || settled[i] != 4 {
			t.Fatalf("reader%d saw versions %v and settled at %d, want %v and 4", i, seen[i], settled[i], want)
		}
	}
}

// TestConfigNoRewatchFlawGoesStale: a reader that does not set its watch again sees the first
// publication and nothing after it, and settles there, which the recipe's checker
// (models.CheckConfig) catches.
func TestConfigNoRewatchFlawGoesStale(t *testing.T) {
	seen, settled, errs := configChurn(t, recipes.Flaws{recipes.FlawConfigNoRewatch})
	errs.report(t)
	for i := range 2 {
		if fmt.Sprint(seen[i]) != "[-1 0]" || settled[i] != 0 {
			t.Fatalf("flawed reader%d saw versions %v and settled at %d, want [-1 0] and 0", i, seen[i], settled[i])
		}
	}
}

// TestConfigPublishConflict: a publication based on a version that is no longer the
// configuration's fails with ErrConfigConflict and changes nothing; so does creating the
// configuration twice.
func TestConfigPublishConflict(t *testing.T) {
	e := recipeEnsemble(t, 2, 3)
	var errs procErrors
	p, _ := membershipProcess(e, "p", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		cfg := recipes.NewConfig(s, "/app/config")
		if _, err := cfg.Publish(nil, []byte("a"), -1); err != nil {
			errs.errorf("first publication: %v", err)
			return
		}
		if _, err := cfg.Publish(nil, []byte("b"), -1); !errors.Is(err, recipes.ErrConfigConflict) {
			errs.errorf("creating it again = %v, want ErrConfigConflict", err)
		}
		if v, err := cfg.Publish(nil, []byte("c"), 0); err != nil || v.Version != 1 {
			errs.errorf("publication on version 0 = %+v, %v; want version 1", v, err)
		}
		if _, err := cfg.Publish(nil, []byte("d"), 0); !errors.Is(err, recipes.ErrConfigConflict) {
			errs.errorf("publication on the stale version 0 = %v, want ErrConfigConflict", err)
		}
		v, err := cfg.Read(nil)
		if err != nil || v.Version != 1 || string(v.Data) != "c" {
			errs.errorf("read %d %q (%v), want version 1 \"c\"", v.Version, v.Data, err)
		}
	})
	runProcesses(t, e, time.Minute, p)
	errs.report(t)
}

// TestConfigReaderSessionExpiry: a reader paused past its session timeout loses its watch with
// its session: once resumed, Next fails with ErrSessionEnded, and a reader with a new session
// reads the newest version.
func TestConfigReaderSessionExpiry(t *testing.T) {
	e := recipeEnsemble(t, 3, 3)
	var errs procErrors
	start := e.World().Now()
	var rNode *sim.Node
	pub, _ := membershipProcess(e, "publisher", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		cfg := recipes.NewConfig(s, "/app/config")
		if _, err := cfg.Publish(nil, []byte("v0"), -1); err != nil {
			errs.errorf("publisher: %v", err)
		}
		p.Sleep(start.Add(6 * time.Second).Sub(p.Now()))
		if _, err := cfg.Publish(nil, []byte("v1"), 0); err != nil {
			errs.errorf("publisher: %v", err)
		}
	})
	r, rNode := membershipProcess(e, "reader", func(p *sim.Proc, s *client.Session) {
		_ = s.WaitConnected()
		p.Sleep(100 * time.Millisecond)
		cfg := recipes.NewConfig(s, "/app/config")
		if v, err := cfg.Read(nil); err != nil || v.Version != 0 {
			errs.errorf("reader: read %+v (%v), want version 0", v, err)
			return
		}
		w := p.World()
		w.After(time.Millisecond, "pause reader", func() { _ = w.Pause(rNode.ID()) })
		w.After(12*time.Second, "resume reader", func() { _ = w.Resume(rNode.ID()) })
		p.Sleep(2 * time.Millisecond)
		if _, err := cfg.Next(nil); !errors.Is(err, recipes.ErrSessionEnded) {
			errs.errorf("reader: Next after the expiry = %v, want ErrSessionEnded", err)
		}
		c, _ := e.NewClient("reader-again", client.Config{})
		s2 := client.NewSession(c, cluster.NewWaiter(p))
		_ = s2.WaitConnected()
		if v, err := recipes.NewConfig(s2, "/app/config").Read(nil); err != nil || v.Version != 1 {
			errs.errorf("reader: with a new session read %+v (%v), want version 1", v, err)
		}
	})
	runProcesses(t, e, time.Minute, pub, r)
	errs.report(t)
}
