package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"zoosim/sim/cluster"
	"zoosim/tree"
	"zoosim/zab/client"
)

// result is what a run checked.
type result struct {
	ops, acked, failed int
	faults             int
	converged          bool
	missing, resurrect []string
	stableErr          error
}

func (r *result) ok() bool {
	return r.converged && len(r.missing) == 0 && len(r.resurrect) == 0 && r.stableErr == nil
}

// execute runs one scenario: each client works on hot shared paths (getData, setData) and on
// its own paths (create, delete); the fault schedule crashes and restarts one server at a time.
// Afterwards every server restarts, the ensemble must become stable and converge, every
// acknowledged create that was not deleted must exist, and every acknowledged delete must not.
func execute(o runOptions, out io.Writer) (*result, error) {
	fmt.Fprintf(out, "zoosim run %s\n", o)
	e, err := cluster.New(cluster.Options{Seed: o.seed, Servers: o.servers, Variants: o.variants})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	w := e.World()
	res := &result{}
	if err := e.RunUntilStable(time.Minute); err != nil {
		res.stableErr = err
		report(out, o, e, res)
		return res, nil
	}
	start := w.Now()
	end := start.Add(o.duration)
	hot := []string{"/hot0", "/hot1", "/hot2", "/hot3"}
	setup := e.Spawn("setup", func(s *client.Session) {
		for _, p := range hot {
			s.Create(p, nil, tree.OpenACLUnsafe, tree.Persistent)
		}
		for c := 0; c < o.clients; c++ {
			s.Create(fmt.Sprintf("/c%d", c), nil, tree.OpenACLUnsafe, tree.Persistent)
		}
	})
	w.RunWhile(func() bool { return !setup.Done() }, w.Now().Add(time.Minute))
	live := map[string]bool{} // acknowledged state of each client's own paths
	for c := 0; c < o.clients; c++ {
		e.Spawn(fmt.Sprintf("client%d", c), func(s *client.Session) {
			r := w.Stream(fmt.Sprintf("workload/%d", c))
			var mine []string
			for k := 0; w.Now() < end; k++ {
				res.ops++
				var err error
				switch n := r.IntN(100); {
				case n < 40:
					_, _, err = s.GetData(hot[r.IntN(len(hot))], nil)
				case n < 70:
					_, err = s.SetData(hot[r.IntN(len(hot))], []byte(fmt.Sprintf("%d/%d", c, k)), -1)
				case n < 85 || len(mine) == 0:
					p := fmt.Sprintf("/c%d/k%d", c, k)
					if _, err = s.Create(p, nil, tree.OpenACLUnsafe, tree.Persistent); err == nil {
						live[p] = true
						mine = append(mine, p)
					}
				default:
					i := r.IntN(len(mine))
					p := mine[i]
					err = s.Delete(p, -1)
					switch {
					case err == nil || client.CodeOf(err) == tree.NoNode:
						live[p] = false
					default:
						// The outcome is unknown (the connection broke after the delete was
						// sent): the path may or may not exist, so it is no longer checked.
						delete(live, p)
					}
					mine = slices.Delete(mine, i, i+1)
				}
				if err == nil {
					res.acked++
					continue
				}
				res.failed++
				if errors.Is(err, client.ErrSessionExpired) {
					return
				}
				s.Client() // keep going: connection loss is retried by the client library
			}
		})
	}
	faults := w.Stream("faults")
	down := -1
	for t := w.Now(); t < end; {
		t = t.Add(o.faultMin + time.Duration(faults.Below(uint64(o.faultMx-o.faultMin+1))))
		if t > end {
			break
		}
		w.RunUntil(t)
		if down >= 0 {
			e.Restart(down)
			down = -1
		} else if o.servers > 1 {
			down = faults.IntN(o.servers)
			e.Crash(down)
		}
		res.faults++
	}
	w.RunUntil(end.Add(2 * time.Second))
	if down >= 0 {
		e.Restart(down)
	}
	if err := e.RunUntilStable(2 * time.Minute); err != nil {
		res.stableErr = err
	}
	w.RunFor(2 * time.Second)
	res.converged = e.Converged()
	if l, ok := e.Leader(); ok {
		t := e.Server(l).Peer().Tree()
		paths := make([]string, 0, len(live))
		for p := range live {
			paths = append(paths, p)
		}
		slices.Sort(paths)
		for _, p := range paths {
			switch exists := t.Exists(p); {
			case live[p] && !exists:
				res.missing = append(res.missing, p)
			case !live[p] && exists:
				res.resurrect = append(res.resurrect, p)
			}
		}
	}
	report(out, o, e, res)
	return res, nil
}

func report(out io.Writer, o runOptions, e *cluster.Ensemble, r *result) {
	w := e.World()
	fmt.Fprintf(out, "ran to %v of virtual time, %d events\n", time.Duration(w.Now()), w.Events())
	fmt.Fprintf(out, "client operations: %d (%d acknowledged, %d failed); faults: %d crash/restart\n", r.ops, r.acked, r.failed, r.faults)
	check := func(name string, ok bool, detail string) {
		verdict := "ok"
		if !ok {
			verdict = "VIOLATION"
		}
		fmt.Fprintf(out, "  %-40s %-9s %s\n", name, verdict, detail)
	}
	fmt.Fprintln(out, "checks:")
	stable := "a leader and every server following it"
	if r.stableErr != nil {
		stable = r.stableErr.Error()
	}
	check("stable after healing", r.stableErr == nil, stable)
	check("replicas converged (same digest)", r.converged, "")
	check("acknowledged creates survive", len(r.missing) == 0, fmt.Sprint(first(r.missing)))
	check("acknowledged deletes stay deleted", len(r.resurrect) == 0, fmt.Sprint(first(r.resurrect)))
	fmt.Fprintln(out, "servers:")
	for _, s := range e.Servers() {
		fmt.Fprintf(out, "  %s\n", s.Status())
	}
	fmt.Fprintf(out, "trace hash: %#016x\n", w.TraceHash())
	replay := fmt.Sprintf("go run ./cmd/zoosim run --seed %d --servers %d --clients %d --duration %v", o.seed, o.servers, o.clients, o.duration)
	if len(o.variants) > 0 {
		replay += fmt.Sprintf(" --variant %s", joinVariants(o))
	}
	fmt.Fprintf(out, "replay: %s\n", replay)
}

func first(s []string) []string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}

func joinVariants(o runOptions) string {
	s := ""
	for i, v := range o.variants {
		if i > 0 {
			s += ","
		}
		s += string(v)
	}
	return s
}
