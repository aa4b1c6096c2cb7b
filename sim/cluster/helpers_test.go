package cluster

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"zoosim/sim"
)

// newStable builds an ensemble and runs it until it serves.
func newStable(t *testing.T, opts Options) *Ensemble {
	t.Helper()
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.World().Close)
	if err := e.RunUntilStable(time.Minute); err != nil {
		t.Fatalf("seed %d: %v", opts.Seed, err)
	}
	return e
}

// checker collects failures from simulated processes: a process body runs as a coroutine, where
// t.Fatal must not be called, so it reports here and returns.
type checker struct {
	mu   sync.Mutex
	errs []string
}

func (c *checker) errorf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

// ok records err, if any, as a failure of what and reports whether there was none.
func (c *checker) ok(err error, what string) bool {
	if err != nil {
		c.errorf("%s: %v", what, err)
		return false
	}
	return true
}

func (c *checker) report(t *testing.T) {
	t.Helper()
	for _, e := range c.errs {
		t.Error(e)
	}
}

// runProcs runs the world until every process finished, for at most limit of virtual time.
func runProcs(t *testing.T, e *Ensemble, limit sim.Duration, procs ...*sim.Proc) {
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
