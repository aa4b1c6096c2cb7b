package storage_test

import (
	"testing"
	"time"

	"zoosim/sim"
	"zoosim/zab/storage"
)

// discardFS keeps only file sizes and completes fsyncs when asked: what is left to measure is
// the store's own work (framing, CRCs, bookkeeping).
type discardFS struct {
	sizes map[string]int64
	syncs []func(error)
}

func (d *discardFS) List() []string                     { return nil }
func (d *discardFS) ReadFile(string) ([]byte, error)    { return nil, nil }
func (d *discardFS) Append(name string, p []byte)       { d.sizes[name] += int64(len(p)) }
func (d *discardFS) Truncate(name string, size int64)   { d.sizes[name] = size }
func (d *discardFS) Rename(string, string) error        { return nil }
func (d *discardFS) Remove(name string) error           { delete(d.sizes, name); return nil }
func (d *discardFS) Sync(name string, done func(error)) { d.syncs = append(d.syncs, done) }
func (d *discardFS) completeAll() {
	for len(d.syncs) > 0 {
		done := d.syncs[0]
		d.syncs = d.syncs[1:]
		done(nil)
	}
}

const benchBatch, benchPayload = 1000, 150

func benchRecords(next *uint64) []storage.Record {
	recs := make([]storage.Record, benchBatch)
	p := make([]byte, benchPayload)
	for i := range recs {
		*next++
		recs[i] = storage.Record{Zxid: *next, Payload: p}
	}
	return recs
}

// BenchmarkAppendSync appends batches of 1000 records of 150 bytes and syncs each: the store's
// cost per record, on a disk that does nothing.
func BenchmarkAppendSync(b *testing.B) {
	fs := &discardFS{sizes: map[string]int64{}}
	s, _, err := storage.Open(fs, storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var next uint64
	batches := make([][]storage.Record, 16)
	for i := range batches {
		batches[i] = benchRecords(&next)
	}
	b.SetBytes(benchBatch * benchPayload)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		recs := batches[i%len(batches)]
		for j := range recs {
			next++
			recs[j].Zxid = next
		}
		s.Append(recs...)
		s.Sync(nil)
		fs.completeAll()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBatch), "ns/record")
}

// BenchmarkAppendSyncSimDisk is the same on sim's disk, stepping the world until each Sync
// completes: the store plus the simulated disk's copying and event handling, in wall time.
func BenchmarkAppendSyncSimDisk(b *testing.B) {
	opts := sim.DefaultOptions(1)
	opts.Disk.FsyncLatency = sim.Const(time.Millisecond)
	w := sim.MustNew(opts)
	defer w.Close()
	var s *storage.Store
	node := w.AddNode("zk1", func(n *sim.Node) {
		var err error
		if s, _, err = storage.Open(simFS{n.Disk()}, storage.Options{}); err != nil {
			b.Fatal(err)
		}
	})
	var next uint64
	recs := benchRecords(&next)
	b.SetBytes(benchBatch * benchPayload)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%64 == 63 { // keep the disk small: drop everything now and then
			b.StopTimer()
			if err := s.TruncateAfter(0); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		for j := range recs {
			next++
			recs[j].Zxid = next
		}
		s.Append(recs...)
		synced := false
		s.Sync(func(error) { synced = true })
		w.RunWhile(func() bool { return !synced }, w.Now().Add(time.Second))
		if !synced {
			b.Fatal("Sync did not complete")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBatch), "ns/record")
	_ = node
}
