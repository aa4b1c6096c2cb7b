package sim

import (
	"fmt"
	"testing"
	"time"
)

// Kernel benchmarks. Targets (issue 2): at least 5 million timer events per second on one core
// with no allocation per event; at least 2 million message deliveries per second between five
// nodes with latency; a process switch (block and resume) in at most 500 ns. Run with
//
//	go test ./sim -run '^$' -bench . -cpu 1

// BenchmarkTimerEvents: 1000 node timers, each re-arming itself when it fires. One op is one
// timer event: pop, incarnation and pause checks, trace hash, callback, re-arm.
func BenchmarkTimerEvents(b *testing.B) {
	w := MustNew(plainOptions(1))
	defer w.Close()
	n := w.AddNode("n", noSoftware)
	fired := 0
	for i := 0; i < 1000; i++ {
		var t *Timer
		period := Duration(1+i%7) * time.Microsecond
		t = n.NewTimer("tick", func() { fired++; t.Reset(period) })
		t.Reset(period)
	}
	for i := 0; i < 10000; i++ { // warm up: let the heap reach its steady shape
		w.Step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Step()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// echo answers every message with a message of the same size, so a fixed number of messages
// stays in flight.
type echo struct{}

func (echo) Connected(*Conn) {}
func (echo) Received(c *Conn, msg []byte) {
	_ = c.Send(msg)
}
func (echo) Closed(*Conn, error) {}

// BenchmarkDeliveries: five nodes, a connection between every pair, 64-byte messages echoed back
// and forth under the default log-normal latency, eight in flight per connection. One op is one
// delivery (including the send that follows it, the copy of the message, and both trace hashes).
func BenchmarkDeliveries(b *testing.B) {
	w := MustNew(DefaultOptions(1))
	defer w.Close()
	var nodes []*Node
	for i := 0; i < 5; i++ {
		nodes = append(nodes, w.AddNode(fmt.Sprintf("n%d", i), func(n *Node) {
			n.Listen(1, func(*Conn) ConnHandler { return echo{} })
		}))
	}
	for i, a := range nodes {
		for _, peer := range nodes[i+1:] {
			c := a.Dial(peer.ID(), 1, echo{})
			for k := 0; k < 8; k++ {
				_ = c.Send(make([]byte, 64))
			}
		}
	}
	for i := 0; i < 10000; i++ {
		w.Step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	// Every delivery is traced with the echo's send: two trace events per delivery.
	for start := w.Events(); w.Events()-start < uint64(2*b.N); {
		w.Step()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

// BenchmarkProcessSwitch: a process sleeps for one nanosecond in a loop. One op is one block and
// resume: park, hand control to the kernel, the wake event, hand control back.
func BenchmarkProcessSwitch(b *testing.B) {
	w := MustNew(plainOptions(1))
	defer w.Close()
	w.Spawn("sleeper", func(p *Proc) {
		for {
			p.Sleep(1)
		}
	})
	w.Step()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Step()
	}
}

// BenchmarkSoak: the determinism soak (five nodes, gossip, logs with fsyncs, processes, a
// fault every second or so). One op is one simulated second; it reports events per second and
// how much faster than real time the simulation runs.
func BenchmarkSoak(b *testing.B) {
	b.ReportAllocs()
	stats := runSoak(soakConfig{seed: 1, duration: Duration(b.N) * time.Second})
	b.ReportMetric(float64(stats.events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sim-s/s")
}

// BenchmarkDiskAppend: a server's log on one disk. Each op appends one 200-byte record; every
// fourth append starts an fsync, and the world runs 250µs, so fsyncs overlap later writes as in
// a group-committing server. The file grows to b.N*200 bytes, as a log does; it starts over after
// 64 MiB, the default log file size of zab/storage. One op costs the write (visible at once) and
// its share of an fsync; an append-only file keeps its durable contents as a prefix of what reads
// see, so a completed fsync copies nothing.
func BenchmarkDiskAppend(b *testing.B) {
	opts := DefaultOptions(1)
	opts.Disk.FsyncLatency = Const(time.Millisecond)
	w := MustNew(opts)
	defer w.Close()
	n := w.AddNode("n", noSoftware)
	rec := make([]byte, 200)
	for i := range rec {
		rec[i] = byte(i)
	}
	files := 0
	f := n.Disk().Open("log.0")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if f.Size() >= 64<<20 {
			files++
			f.Sync(nil)
			w.RunFor(2 * time.Millisecond)
			_ = n.Disk().Remove(f.Name())
			f = n.Disk().Open(fmt.Sprint("log.", files))
		}
		f.Append(rec)
		if i%4 == 3 {
			f.Sync(nil)
		}
		w.RunFor(250 * time.Microsecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)*float64(len(rec))/b.Elapsed().Seconds()/1e6, "MB/s")
}

// BenchmarkBlockingCall: the wait of a blocking client call, with a process issuing a call that a
// node timer answers after 1µs. One op is one call: arm the reply, block, the reply's event wakes
// the process, resume. "future" is a fresh Future per call, completed by a fresh closure; "park"
// is Park with the process's Unpark taken once.
func BenchmarkBlockingCall(b *testing.B) {
	for _, mode := range []string{"future", "park"} {
		b.Run(mode, func(b *testing.B) {
			w := MustNew(plainOptions(1))
			defer w.Close()
			n := w.AddNode("n", noSoftware)
			var reply func()
			t := n.NewTimer("reply", func() { reply() })
			n.Spawn("client", func(p *Proc) {
				wake := p.Unpark
				for {
					if mode == "park" {
						reply = wake
						t.Reset(1)
						p.Park()
					} else {
						f := NewFuture[struct{}]()
						reply = func() { f.TryComplete(struct{}{}, nil) }
						t.Reset(1)
						_, _ = Await(p, f)
					}
				}
			})
			w.Step()
			b.ReportAllocs()
			b.ResetTimer()
			// Two events per call: the reply and the wake-up.
			for i := 0; i < 2*b.N; i++ {
				w.Step()
			}
		})
	}
}
