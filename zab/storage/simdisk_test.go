package storage_test

import (
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
	"time"

	"zoosim/sim"
	"zoosim/zab/storage"
)

// simFS is the FS over a node's simulated disk, as the host in sim/cluster will write it.
type simFS struct{ d *sim.Disk }

func (f simFS) List() []string                       { return f.d.List() }
func (f simFS) ReadFile(name string) ([]byte, error) { return f.d.ReadFile(name) }
func (f simFS) Append(name string, p []byte)         { f.d.Open(name).Append(p) }
func (f simFS) Truncate(name string, size int64)     { f.d.Open(name).Truncate(size) }
func (f simFS) Rename(from, to string) error         { return f.d.Rename(from, to) }
func (f simFS) Remove(name string) error             { return f.d.Remove(name) }
func (f simFS) Sync(name string, done func(error))   { f.d.Open(name).Sync(done) }

// TestOnTheSimulatedDisk runs a store on sim's disk, end to end: a node appends batches of
// records every millisecond, syncs each, snapshots and purges now and then, and truncates
// unacknowledged records back sometimes, while the harness crashes and restarts it at random,
// with torn writes, garbage tails and fsync latencies that keep several Syncs in flight. Every
// restart must recover without error a prefix of what the node held that includes everything
// acknowledged.
func TestOnTheSimulatedDisk(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runOnSimDisk(t, seed, 150) })
	}
}

// rec is a record as the test knows it: a zxid can come back after a truncation, an id cannot.
type rec struct{ zxid, id uint64 }

type simNode struct {
	t       *testing.T
	store   *storage.Store
	hist    []rec // what the store holds, in order
	acked   int   // hist[:acked] is durable
	nextID  uint64
	batches int
	boots   int
}

func runOnSimDisk(t *testing.T, seed uint64, crashes int) {
	opts := sim.DefaultOptions(seed)
	opts.Disk.FsyncLatency = sim.UniformIn(time.Millisecond, 4*time.Millisecond)
	opts.Disk.Crash = sim.TornUnsynced
	opts.Disk.CorruptTail = sim.Frac(1, 3)
	w := sim.MustNew(opts)
	defer w.Close()
	sn := &simNode{t: t}
	stopped := false
	node := w.AddNode("zk1", func(n *sim.Node) { sn.boot(n, &stopped) })
	r := w.Stream("test")
	for i := 0; i < crashes && !t.Failed(); i++ {
		w.RunFor(time.Duration(1+r.IntN(20)) * time.Millisecond)
		if err := w.Crash(node.ID()); err != nil {
			t.Fatal(err)
		}
		if err := w.Restart(node.ID()); err != nil {
			t.Fatal(err)
		}
	}
	stopped = true
	if sn.boots < crashes/2 || sn.batches < crashes {
		t.Fatalf("only %d boots and %d batches", sn.boots, sn.batches)
	}
}

func (sn *simNode) boot(n *sim.Node, stopped *bool) {
	t := sn.t
	sn.boots++
	s, recovered, err := storage.Open(simFS{n.Disk()}, storage.Options{LogFileBytes: 4 << 10})
	if err != nil {
		t.Errorf("boot %d: Open: %v", sn.boots, err)
		return
	}
	var got []rec
	if recovered.Snapshot != nil {
		for b := recovered.Snapshot; len(b) >= 16; b = b[16:] {
			got = append(got, rec{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])})
		}
	}
	for _, r := range recovered.Records {
		got = append(got, rec{r.Zxid, binary.LittleEndian.Uint64(r.Payload)})
	}
	if len(got) > len(sn.hist) || !slices.Equal(got, sn.hist[:len(got)]) || len(got) < sn.acked {
		t.Errorf("boot %d: recovered %d records, held %d, acknowledged %d; repairs %q", sn.boots, len(got), len(sn.hist), sn.acked, recovered.Repairs)
		return
	}
	sn.store, sn.hist, sn.acked = s, got, len(got)
	r := n.Rand()
	var tick func()
	tick = func() {
		if *stopped {
			return
		}
		s := sn.store
		switch x := r.IntN(40); {
		case x == 0 && len(sn.hist) > 0:
			z := sn.hist[r.IntN(len(sn.hist))].zxid
			data := snapshotOf(sn.hist, z)
			s.SaveSnapshot(z, data)
		case x == 1:
			s.Purge(1 + r.IntN(3))
		case x == 2 && sn.acked < len(sn.hist):
			// Drop some records nobody acknowledged yet, as a TRUNC does.
			keep := sn.acked + r.IntN(len(sn.hist)-sn.acked)
			z := uint64(0)
			if keep > 0 {
				z = sn.hist[keep-1].zxid
			}
			if err := s.TruncateAfter(z); err != nil {
				t.Errorf("TruncateAfter(%#x): %v", z, err)
			}
			sn.hist = sn.hist[:keep]
		default:
			var recs []storage.Record
			for range 1 + r.IntN(8) {
				z := uint64(1)
				if len(sn.hist) > 0 {
					z = sn.hist[len(sn.hist)-1].zxid + 1 + uint64(r.IntN(2))
				}
				sn.nextID++
				sn.hist = append(sn.hist, rec{z, sn.nextID})
				p := binary.LittleEndian.AppendUint64(make([]byte, 0, 200), sn.nextID)
				recs = append(recs, storage.Record{Zxid: z, Payload: append(p, make([]byte, 92+r.IntN(100))...)})
			}
			s.Append(recs...)
		}
		sn.batches++
		held := slices.Clone(sn.hist)
		s.Sync(func(err error) {
			if err != nil {
				t.Errorf("Sync: %v", err)
			}
			sn.acked = max(sn.acked, commonPrefixU(held, sn.hist))
		})
		n.After(time.Millisecond, "tick", tick)
	}
	n.After(time.Millisecond, "tick", tick)
}

func snapshotOf(hist []rec, z uint64) []byte {
	var b []byte
	for _, x := range hist {
		if x.zxid > z {
			break
		}
		b = binary.LittleEndian.AppendUint64(b, x.zxid)
		b = binary.LittleEndian.AppendUint64(b, x.id)
	}
	return b
}

func commonPrefixU(a, b []rec) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
