package election

import (
	"testing"

	"zoosim/tree"
	"zoosim/zab/wire"
)

func vote(leader wire.ServerID, zxid tree.Zxid, epoch int64) wire.Vote {
	return wire.Vote{Leader: leader, Zxid: zxid, PeerEpoch: epoch}
}

// TestVoteOrder checks totalOrderPredicate's lexicographic order on (peer epoch, zxid, sid)
// (zookeeper.md B2).
func TestVoteOrder(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b wire.Vote
		want bool
	}{
		{"higher epoch beats higher zxid", vote(1, 0x100000001, 2), vote(3, 0x100000009, 1), true},
		{"lower epoch loses to lower zxid", vote(3, 0x100000009, 1), vote(1, 0x100000001, 2), false},
		{"same epoch: higher zxid", vote(1, 0x100000005, 1), vote(3, 0x100000004, 1), true},
		{"same epoch and zxid: higher sid", vote(3, 0x100000005, 1), vote(2, 0x100000005, 1), true},
		{"same epoch and zxid: lower sid", vote(2, 0x100000005, 1), vote(3, 0x100000005, 1), false},
		{"equal votes: not strictly better", vote(2, 0x100000005, 1), vote(2, 0x100000005, 1), false},
		{"NoZxid loses to zxid 0", vote(3, NoZxid, 0), vote(1, 0, 0), false},
		// FLEPredicateTest of ZOOKEEPER-1419 (zookeeper.md C1).
		{"1419: lower epoch, same zxid, higher sid", vote(4, 0, 0), vote(3, 0, 2), false},
	} {
		if got := c.a.Beats(c.b); got != c.want {
			t.Errorf("%s: %v.Beats(%v) = %v, want %v", c.name, c.a, c.b, got, c.want)
		}
	}
}

// TestVoteOrderIsTotal checks, over a small grid, that Beats is a strict total order: exactly
// one of a>b, b>a, a==b, and transitive. FLE's termination relies on it (C1).
func TestVoteOrderIsTotal(t *testing.T) {
	var vs []wire.Vote
	for id := wire.ServerID(1); id <= 3; id++ {
		for z := tree.Zxid(-1); z <= 1; z++ {
			for e := int64(0); e <= 2; e++ {
				vs = append(vs, vote(id, z, e))
			}
		}
	}
	for _, a := range vs {
		for _, b := range vs {
			n := 0
			for _, x := range []bool{a.Beats(b), b.Beats(a), a == b} {
				if x {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%v vs %v: not exactly one of >, <, ==", a, b)
			}
			for _, c := range vs {
				if a.Beats(b) && b.Beats(c) && !a.Beats(c) {
					t.Fatalf("not transitive: %v > %v > %v", a, b, c)
				}
			}
		}
	}
}

// TestBetterWithoutEpochGuard checks that the ZOOKEEPER-1419 variant really is the broken
// predicate: FLEPredicateTest's assertion fails on it, and it ranks two votes above each other.
func TestBetterWithoutEpochGuard(t *testing.T) {
	a, b := vote(4, 0, 0), vote(3, 0, 2)
	if !BetterWithoutEpochGuard(a, b) || !BetterWithoutEpochGuard(b, a) {
		t.Fatalf("want %v and %v each better than the other under the 1419 predicate", a, b)
	}
	// Where the guard does not matter it agrees with Beats.
	for _, c := range [][2]wire.Vote{
		{vote(1, 5, 2), vote(3, 9, 1)},
		{vote(1, 6, 1), vote(3, 5, 1)},
		{vote(3, 5, 1), vote(2, 5, 1)},
	} {
		if BetterWithoutEpochGuard(c[0], c[1]) != c[0].Beats(c[1]) {
			t.Errorf("%v vs %v: the 1419 predicate differs from Beats", c[0], c[1])
		}
	}
}

// TestSameVote checks ZooKeeper's Vote.equals as the quorum counts use it (B2, C5).
func TestSameVote(t *testing.T) {
	v := vote(3, 0x100000005, 1)
	w := vote(3, 0x100000009, 1) // same leader and epoch, another zxid
	for _, c := range []struct {
		name string
		a, b ballot
		full bool
		want bool
	}{
		{"looking: equal", ballot{v, 2, wire.Looking}, ballot{v, 2, wire.Looking}, false, true},
		{"looking: round differs", ballot{v, 2, wire.Looking}, ballot{v, 3, wire.Looking}, false, false},
		{"looking vs following: zxid differs", ballot{v, 2, wire.Looking}, ballot{w, 2, wire.Following}, false, false},
		{"settled: zxid and round differ", ballot{v, 2, wire.Following}, ballot{w, 5, wire.Leading}, false, true},
		{"settled: epoch differs", ballot{v, 2, wire.Following}, ballot{vote(3, 0x100000005, 2), 2, wire.Leading}, false, false},
		{"settled: leader differs", ballot{v, 2, wire.Following}, ballot{vote(2, 0x100000005, 1), 2, wire.Following}, false, false},
		{"settled, 1732 variant: round differs", ballot{v, 2, wire.Following}, ballot{v, 5, wire.Leading}, true, false},
		{"settled, 1732 variant: equal", ballot{v, 2, wire.Following}, ballot{v, 2, wire.Leading}, true, true},
	} {
		if got := sameVote(c.a, c.b, c.full); got != c.want {
			t.Errorf("%s: sameVote = %v, want %v", c.name, got, c.want)
		}
	}
}
