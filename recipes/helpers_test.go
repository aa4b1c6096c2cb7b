package recipes_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"zoosim/sim"
	"zoosim/sim/cluster"
	"zoosim/zab/client"
)

// recipeEnsemble starts an ensemble of servers for a recipe test and runs it until it serves.
func recipeEnsemble(t testing.TB, seed uint64, servers int) *cluster.Ensemble {
	t.Helper()
	e, err := cluster.New(cluster.Options{Seed: seed, Servers: servers, SessionTimeout: 4 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	if err := e.RunUntilStable(time.Minute); err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	return e
}

// runProcesses runs the world until every process has finished, and fails the test if some
// still run after limit of virtual time.
func runProcesses(t testing.TB, e *cluster.Ensemble, limit time.Duration, procs ...*sim.Proc) {
	t.Helper()
	w := e.World()
	pending := func() bool {
		for _, p := range procs {
			if !p.Done() {
				return true
			}
		}
		return false
	}
	if w.RunWhile(pending, w.Now().Add(limit)) {
		t.Fatalf("processes still running after %v:\n%s", limit, e.Status())
	}
}

// procErrors collects failures inside simulated processes, where t.Fatal must not be called
// (a process is a coroutine); report fails the test with them.
type procErrors struct{ list []string }

func (p *procErrors) errorf(format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

func (p *procErrors) report(t testing.TB) {
	t.Helper()
	if len(p.list) > 0 {
		t.Fatalf("%d failure(s) in processes:\n%s", len(p.list), strings.Join(p.list, "\n"))
	}
}

// recipeProcess starts a client and a process running body with a blocking session over it, and
// returns the process and the client's node (to pause or crash it).
func recipeProcess(e *cluster.Ensemble, name string, body func(p *sim.Proc, s *client.Session)) (*sim.Proc, *sim.Node) {
	c, node := e.NewClient(name, client.Config{})
	return node.Spawn(name, func(p *sim.Proc) { body(p, client.NewSession(c, cluster.NewWaiter(p))) }), node
}
