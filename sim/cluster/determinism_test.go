package cluster

import (
	"testing"
	"time"

	"zoosim/zab/client"
)

// scenario runs a short run with clients and a leader crash and returns its trace hash and the
// replicas' digests.
func scenario(t *testing.T, seed uint64) (uint64, []Digest) {
	t.Helper()
	e := newStable(t, Options{Seed: seed, Servers: 3})
	w := e.World()
	var wr writer
	var events []client.Event
	var c checker
	p := e.Spawn("writer", func(s *client.Session) { wr.run(s, 30) })
	q := e.Spawn("api", func(s *client.Session) { apiScript(&c, s, &events) })
	w.RunFor(50 * time.Millisecond)
	if l, ok := e.Leader(); ok {
		if err := e.Crash(l); err != nil {
			t.Fatal(err)
		}
		w.After(2*time.Second, "restart", func() { _ = e.Restart(l) })
	}
	runProcs(t, e, time.Minute, p, q)
	w.RunFor(5 * time.Second)
	return w.TraceHash(), e.Digests()
}

// TestDeterminism: the same seed gives the same run, event for event.
func TestDeterminism(t *testing.T) {
	h1, d1 := scenario(t, 99)
	h2, d2 := scenario(t, 99)
	if h1 != h2 {
		t.Errorf("seed 99 gave trace hashes %#x and %#x", h1, h2)
	}
	if len(d1) != len(d2) {
		t.Fatalf("digests differ: %v and %v", d1, d2)
	}
	for i := range d1 {
		if d1[i] != d2[i] {
			t.Errorf("digests differ: %v and %v", d1, d2)
		}
	}
	if h3, _ := scenario(t, 100); h3 == h1 {
		t.Errorf("seeds 99 and 100 gave the same trace hash %#x", h1)
	}
}
