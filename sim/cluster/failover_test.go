package cluster

import (
	"fmt"
	"testing"
	"time"

	"zoosim/tree"
	"zoosim/zab/client"
)

// writer creates /k000, /k001, ... one after the other and records the creates the ensemble
// acknowledged. A create that failed with ConnectionLoss may or may not have happened; the next
// attempt after reconnecting tells (NodeExists), and either way it is not counted as acknowledged.
type writer struct {
	c     checker
	acked []string
	done  bool
}

func (wr *writer) run(s *client.Session, n int) {
	for i := range n {
		if err := s.WaitConnected(); !wr.c.ok(err, "connect") {
			return
		}
		path := fmt.Sprintf("/k%03d", i)
		_, err := s.Create(path, []byte(path), acl, tree.Persistent)
		switch client.CodeOf(err) {
		case tree.OK:
			wr.acked = append(wr.acked, path)
		case tree.ConnectionLoss:
			// Lost with the leader or the server: unknown outcome, move on.
		default:
			wr.c.errorf("create %s: %v", path, err)
			return
		}
	}
	wr.done = true
}

// TestLeaderCrashRestart crashes the leader in the middle of a stream of writes: a new leader is
// elected, the writes go on, the old leader comes back and catches up, no acknowledged write is
// lost and every replica ends with the same digest.
func TestLeaderCrashRestart(t *testing.T) {
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("servers=%d", n), func(t *testing.T) {
			e := newStable(t, Options{Seed: uint64(20 + n), Servers: n})
			w := e.World()
			old, _ := e.Leader()
			var wr writer
			p := e.Spawn("writer", func(s *client.Session) { wr.run(s, 60) })

			if w.RunWhile(func() bool { return len(wr.acked) < 20 }, w.Now().Add(time.Minute)) {
				t.Fatalf("only %d writes acknowledged before the crash:\n%s", len(wr.acked), e.Status())
			}
			if err := e.Crash(old); err != nil {
				t.Fatal(err)
			}
			before := len(wr.acked)
			if err := e.RunUntilStable(time.Minute); err != nil {
				t.Fatal(err)
			}
			if now, _ := e.Leader(); now == old {
				t.Fatalf("server %d still leads after crashing", old+1)
			}
			if w.RunWhile(func() bool { return len(wr.acked) < before+10 }, w.Now().Add(time.Minute)) {
				t.Fatalf("no progress under the new leader: %d acknowledged:\n%s", len(wr.acked), e.Status())
			}
			if err := e.Restart(old); err != nil {
				t.Fatal(err)
			}
			runProcs(t, e, time.Minute, p)
			wr.c.report(t)
			if !wr.done {
				t.Fatal("the writer did not finish")
			}
			if err := e.RunUntilStable(time.Minute); err != nil {
				t.Fatal(err)
			}
			w.RunFor(time.Second) // the last commits reach every follower
			if !e.Converged() {
				t.Fatalf("replicas differ: %v\n%s", e.Digests(), e.Status())
			}
			for _, s := range e.Servers() {
				if s.Peer() == nil {
					t.Fatalf("server %d is not running: %s", s.ID(), s.Status())
				}
				for _, path := range wr.acked {
					if _, _, ok := s.Peer().Tree().Get(path); !ok {
						t.Errorf("server %d lost acknowledged write %s", s.ID(), path)
					}
				}
				if errs := s.Errors(); len(errs) > 0 {
					t.Errorf("server %d errors: %v", s.ID(), errs)
				}
			}
			t.Logf("%d of 60 writes acknowledged; %s", len(wr.acked), e.Digests()[0])
		})
	}
}
