package sim

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// The soak is a busy world for the determinism test and the benchmarks: five nodes gossip over a
// full mesh of connections, write checksummed records to a log with fsyncs, and run a process
// each that pings peers and waits for the answer with a timeout; a nemesis process draws a fault
// every few hundred milliseconds from the "faults" stream. Nodes check FIFO order on every
// connection and the integrity of their log on every boot, so the soak exercises every part of
// the kernel and panics if one of its promises breaks.

// soakStats summarises a soak run; two runs of one seed must agree on all of it.
type soakStats struct {
	hash                                         uint64
	events                                       uint64
	deliveries, records, recovered, pings, pongs int
	faults                                       map[string]int
}

func (s soakStats) String() string {
	return fmt.Sprintf("hash=%016x events=%d deliveries=%d records=%d recovered=%d pings=%d/%d faults=%v",
		s.hash, s.events, s.deliveries, s.records, s.recovered, s.pongs, s.pings, s.faults)
}

const (
	soakGossip = 'g'
	soakPing   = 'p'
	soakPong   = 'q'
)

type soakNode struct {
	stats *soakStats
	// mapOrderLeak plants nondeterminism: gossip picks its peer by ranging over a map.
	mapOrderLeak bool
	n            *Node
	// out is the connection this node dialed to each peer, by peer id.
	out     map[NodeID]*soakEnd
	log     *File
	records int
	pending map[uint64]*Future[Time] // pings waiting for their pong, by ping number
	pingSeq uint64
}

type soakEnd struct {
	s    *soakNode
	conn *Conn
	sent uint64
	got  uint64
}

func (s *soakNode) boot(n *Node) {
	s.n, s.out, s.pending = n, map[NodeID]*soakEnd{}, map[uint64]*Future[Time]{}
	s.recoverLog()
	n.Listen(1, func(c *Conn) ConnHandler { return &soakEnd{s: s, conn: c} })
	n.After(0, "mesh", func() {
		for _, peer := range n.World().Nodes() {
			if peer.ID() != n.ID() {
				s.dial(peer.ID())
			}
		}
	})
	var gossip *Timer
	gossip = n.NewTimer("gossip", func() {
		s.gossip()
		gossip.Reset(Duration(1+n.Rand().IntN(20)) * time.Millisecond)
	})
	gossip.Reset(time.Millisecond)
	n.Spawn("pinger", s.pinger)
}

// recoverLog reads the log back, keeps the records up to the first damaged one, and checks they
// are the node's records in order.
func (s *soakNode) recoverLog() {
	s.log = s.n.Disk().Open("log")
	records, damaged := unframe(s.log.Contents())
	for i, r := range records {
		if binary.BigEndian.Uint64(r) != uint64(i) {
			panic(fmt.Sprintf("soak: %s recovered record %d in place %d", s.n, binary.BigEndian.Uint64(r), i))
		}
	}
	if damaged {
		size := 0
		for _, r := range records {
			size += len(frame(r))
		}
		s.log.Truncate(int64(size))
		s.log.Sync(nil)
	}
	s.records = len(records)
	s.stats.recovered += len(records)
}

func (s *soakNode) dial(peer NodeID) {
	e := &soakEnd{s: s}
	e.conn = s.n.Dial(peer, 1, e)
	s.out[peer] = e
}

// gossip sends a numbered message of random size to a random peer.
func (s *soakNode) gossip() {
	r := s.n.Rand()
	e := s.out[NodeID(r.IntN(len(s.n.World().nodes)))]
	if s.mapOrderLeak {
		for _, e = range s.out {
			break // Go randomizes map order: the planted bug
		}
	}
	if e == nil || !e.conn.Open() {
		return
	}
	e.sent++
	msg := make([]byte, 9+r.IntN(200))
	msg[0] = soakGossip
	binary.BigEndian.PutUint64(msg[1:], e.sent)
	for i := 9; i < len(msg); i++ {
		msg[i] = byte(r.Uint64())
	}
	_ = e.conn.Send(msg)
}

// pinger is the node's process: ping a random peer, wait for the pong or give up.
func (s *soakNode) pinger(p *Proc) {
	r := s.n.Rand()
	for {
		p.Sleep(Duration(10+r.IntN(90)) * time.Millisecond)
		e := s.out[NodeID(r.IntN(len(s.n.World().nodes)))]
		if e == nil || !e.conn.Open() {
			continue
		}
		s.pingSeq++
		f := NewFuture[Time]()
		s.pending[s.pingSeq] = f
		msg := make([]byte, 9)
		msg[0] = soakPing
		binary.BigEndian.PutUint64(msg[1:], s.pingSeq)
		_ = e.conn.Send(msg)
		s.stats.pings++
		if _, err := AwaitTimeout(p, f, 50*time.Millisecond); err == nil {
			s.stats.pongs++
		}
		delete(s.pending, s.pingSeq)
	}
}

func (e *soakEnd) Connected(*Conn) {}

func (e *soakEnd) Received(c *Conn, msg []byte) {
	s := e.s
	s.stats.deliveries++
	num := binary.BigEndian.Uint64(msg[1:])
	switch msg[0] {
	case soakGossip:
		if num != e.got+1 {
			panic(fmt.Sprintf("soak: c%d at %s: gossip %d after %d", c.ID(), s.n, num, e.got))
		}
		e.got = num
		if num%4 == 0 {
			rec := make([]byte, 8+len(msg))
			binary.BigEndian.PutUint64(rec, uint64(s.records))
			copy(rec[8:], msg)
			s.log.Append(frame(rec))
			s.records++
			s.stats.records++
			if s.records%8 == 0 {
				s.log.Sync(nil)
			}
		}
	case soakPing:
		msg[0] = soakPong
		_ = c.Send(msg)
	case soakPong:
		if f := s.pending[num]; f != nil {
			f.TryComplete(s.n.Now(), nil)
		}
	}
}

func (e *soakEnd) Closed(c *Conn, err error) {
	s := e.s
	if s.out[c.Peer()] == e {
		s.n.After(Duration(5+s.n.Rand().IntN(50))*time.Millisecond, "redial", func() { s.dial(c.Peer()) })
	}
}

// nemesis draws a fault every 100ms to 2s; crashed nodes restart and paused nodes resume after a
// while, so the world keeps moving.
func nemesis(stats *soakStats) func(p *Proc) {
	return func(p *Proc) {
		w := p.World()
		r := w.Stream("faults")
		nodes := w.Nodes()
		pick := func() NodeID { return nodes[r.IntN(len(nodes))].ID() }
		later := func() Duration { return Duration(50+r.IntN(3000)) * time.Millisecond }
		for {
			p.Sleep(Duration(100+r.IntN(1900)) * time.Millisecond)
			a, b := pick(), pick()
			kind := []string{"partition", "one-way", "isolate", "bridge", "heal", "heal", "clog-link",
				"clog-node", "crash", "pause", "lose-fsync", "corrupt-tail", "reset"}[r.IntN(13)]
			var err error
			switch kind {
			case "partition":
				ids := []NodeID{0, 1, 2, 3, 4}
				r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
				cut := 1 + r.IntN(len(ids)-1)
				err = w.Partition(ids[:cut], ids[cut:])
			case "one-way":
				err = w.PartitionOneWay([]NodeID{a}, []NodeID{b})
			case "isolate":
				err = w.Isolate(a)
			case "bridge":
				err = w.Bridge([]NodeID{0, 1}, 2, []NodeID{3, 4})
			case "heal":
				w.Heal()
			case "clog-link":
				err = w.ClogLink(a, b, later())
			case "clog-node":
				err = w.ClogNode(a, later())
			case "crash":
				if err = w.Crash(a); err == nil {
					w.After(later(), "restart", func() { _ = w.Restart(a) })
				}
			case "pause":
				if err = w.Pause(a); err == nil {
					w.After(later(), "resume", func() { _ = w.Resume(a) })
				}
			case "lose-fsync":
				w.Node(a).Disk().LoseNextSyncs(1)
			case "corrupt-tail":
				w.Node(a).Disk().CorruptNextCrash()
			case "reset":
				err = w.ResetLink(a, b)
			}
			if err == nil {
				stats.faults[kind]++
			}
		}
	}
}

// soakConfig says which soak to run.
type soakConfig struct {
	seed     uint64
	duration Duration
	// trace receives the trace lines if it is not nil.
	trace io.Writer
	// mapOrderLeak plants nondeterminism in node n0 (see soakNode).
	mapOrderLeak bool
}

// runSoak runs the soak and returns what it did.
func runSoak(cfg soakConfig) soakStats {
	opts := DefaultOptions(cfg.seed)
	opts.Disk.Crash = TornUnsynced
	opts.Disk.LostFsync = Frac(1, 500)
	opts.Disk.CorruptTail = Frac(1, 4)
	w := MustNew(opts)
	defer w.Close()
	w.TraceTo(cfg.trace)
	stats := soakStats{faults: map[string]int{}}
	for i := 0; i < 5; i++ {
		s := &soakNode{stats: &stats, mapOrderLeak: cfg.mapOrderLeak && i == 0}
		w.AddNode(fmt.Sprintf("n%d", i), s.boot)
	}
	w.Spawn("nemesis", nemesis(&stats))
	w.RunFor(cfg.duration)
	stats.hash, stats.events = w.TraceHash(), w.Events()
	return stats
}
