package zab

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// TestRandomFaults drives ensembles through seeded random crashes, restarts and partitions of
// any minority (the leader included) while clients write, then heals everything and checks:
// every replica converges to the same digest, no acknowledged write is lost, and no two servers
// ever applied different txns at one zxid.
func TestRandomFaults(t *testing.T) {
	seeds := 60
	if testing.Short() {
		seeds = 15
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		n := 3 + 2*int(seed%2)
		t.Run(fmt.Sprintf("seed=%d/n=%d", seed, n), func(t *testing.T) {
			if err := randomFaults(t, seed, n); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRandomFaultsCatchVariants shows the random-fault checks can fail: a leader that commits
// without a quorum is caught within a few seeds. (The other variants need a schedule this sweep
// rarely draws, such as a majority crashing within an fsync; each has its own scenario test.)
func TestRandomFaultsCatchVariants(t *testing.T) {
	for _, v := range []Variant{CommitWithoutQuorum} {
		caught := ""
		for seed := uint64(1); seed <= 40 && caught == ""; seed++ {
			if err := randomFaults(t, seed, 3+2*int(seed%2), v); err != nil {
				caught = fmt.Sprintf("seed %d: %v", seed, err)
			}
		}
		if caught == "" {
			t.Errorf("%s was not caught by 40 seeds", v)
		}
		t.Logf("%s caught: %s", v, caught)
	}
}

func randomFaults(t *testing.T, seed uint64, n int, vs ...Variant) error {
	r := rand.New(rand.NewPCG(seed, 0x2ab))
	h := newNet(t, n, vs...)
	h.cfg.CommittedLogSize = 8 + r.IntN(20)
	h.cfg.SnapCount = 10 + r.IntN(40)
	h.mustStable()
	type pending struct {
		cid  uint64
		xid  int32
		path string
	}
	var writes []pending
	conns := map[wire.ServerID]uint64{}
	down := map[wire.ServerID]bool{}
	next := 0
	for step := 0; step < 120; step++ {
		switch k := r.IntN(10); {
		case k < 5: // a write through a random live server
			id := h.ids[r.IntN(n)]
			if down[id] {
				continue
			}
			cid, ok := conns[id]
			if !ok || !h.conns[cid].open || h.session(cid) == 0 {
				if p := h.peers[id]; p == nil || !p.srv.serving {
					continue
				}
				cid = h.connect(id, 0, 0)
				conns[id] = cid
				h.run(h.now+time.Second, func() bool { return h.session(cid) != 0 || !h.conns[cid].open })
				if h.session(cid) == 0 {
					continue
				}
			}
			next++
			w := pending{cid: cid, xid: int32(next), path: fmt.Sprintf("/k%d", next)}
			h.send(cid, &wire.Request{Xid: w.xid, Req: tree.Request{Type: tree.OpCreate, Path: w.path, ACL: tree.OpenACLUnsafe}})
			writes = append(writes, w)
		case k < 6: // crash a server while a minority is down
			id := h.ids[r.IntN(n)]
			if !down[id] && 2*(len(down)+1) < n {
				h.crash(id)
				down[id] = true
			}
		case k < 7: // restart one
			for _, id := range h.ids {
				if down[id] {
					h.boot(id)
					delete(down, id)
					break
				}
			}
		case k < 8: // isolate a random server for a while
			id := h.ids[r.IntN(n)]
			h.partition([]wire.ServerID{id}, h.others(id))
		case k < 9:
			h.heal()
		}
		h.run(h.now+time.Duration(r.IntN(3000))*time.Millisecond, func() bool { return false })
	}
	h.heal()
	for _, id := range h.ids {
		if down[id] {
			h.boot(id)
		}
	}
	if !h.run(h.now+2*time.Minute, h.stable) {
		return fmt.Errorf("no stable ensemble after healing")
	}
	l, _ := h.leader()
	h.settle()
	if !h.converged() {
		return fmt.Errorf("replicas differ after healing: %v", h.digests())
	}
	if h.conflict != "" {
		return fmt.Errorf("%s", h.conflict)
	}
	acked := 0
	for _, w := range writes {
		if rep := h.reply(w.cid, w.xid); rep != nil && rep.Err == tree.OK {
			acked++
			if !h.peers[l].data.tree.Exists(w.path) {
				return fmt.Errorf("acknowledged %s lost (leader %s)", w.path, h.peers[l].Status())
			}
		}
	}
	if acked == 0 {
		return fmt.Errorf("no write was acknowledged in %d attempts: the run tested nothing", len(writes))
	}
	return h.peers[l].data.tree.CheckInvariants()
}
