package tree

import (
	"fmt"
	"runtime"
	"testing"
)

// Benchmarks for the targets of issue 3. Run them on one core:
//
//	go test ./tree -run '^$' -bench . -cpu 1 -benchtime 2s

// benchTxns builds a cycle of create, setData and delete txns on n nodes
// under /bench, the mix a busy server applies. Zxids are assigned at apply.
func benchTxns(n int) []Txn {
	txns := make([]Txn, 0, 3*n)
	data := []byte("0123456789abcdef")
	for i := range n {
		path := fmt.Sprintf("/bench/n%07d", i)
		txns = append(txns, Txn{Type: OpCreate, Path: path, Data: data, ACL: OpenACLUnsafe, ParentCversion: int32(i + 1)})
	}
	for i := range n {
		path := fmt.Sprintf("/bench/n%07d", i)
		txns = append(txns, Txn{Type: OpSetData, Path: path, Data: data, Version: 1})
	}
	for i := range n {
		txns = append(txns, Txn{Type: OpDelete, Path: fmt.Sprintf("/bench/n%07d", i)})
	}
	return txns
}

// BenchmarkApply measures applying create/setData/delete txns, watches not
// included (target: 1M txns/s on one core).
func BenchmarkApply(b *testing.B) {
	tr := New(Options{})
	tr.Apply(&Txn{Header: Header{Zxid: 1}, Type: OpCreate, Path: "/bench", ACL: OpenACLUnsafe, ParentCversion: 1})
	txns := benchTxns(10000)
	zxid := Zxid(1)
	round := int32(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(txns)
		if k == 0 {
			round++
		}
		x := &txns[k]
		zxid++
		x.Zxid = zxid
		if x.Type == OpCreate {
			// The parent's counter keeps growing across rounds.
			x.ParentCversion = (round-1)*10000 + int32(k) + 1
		}
		if a := tr.Apply(x); a.Result.Err != OK {
			b.Fatalf("%s: %s", x, a.Result.Err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txns/s")
}

// BenchmarkGetData measures a getData read through Read, with its path
// check and READ permission check (target: 5M/s on one core).
func BenchmarkGetData(b *testing.B) {
	tr := New(Options{})
	tr.Apply(&Txn{Header: Header{Zxid: 1}, Type: OpCreate, Path: "/bench", ACL: OpenACLUnsafe, ParentCversion: 1})
	const n = 10000
	reqs := make([]Request, n)
	for i := range n {
		path := fmt.Sprintf("/bench/n%07d", i)
		tr.Apply(&Txn{Header: Header{Zxid: Zxid(i + 2)}, Type: OpCreate, Path: path, Data: []byte("0123456789abcdef"), ACL: OpenACLUnsafe, ParentCversion: int32(i + 2)})
		reqs[i] = Request{Type: OpGetData, Path: path}
	}
	auth := NewAuth("10.0.0.1")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res, _ := tr.Read(&reqs[i%n], 1, auth, nil); res.Err != OK {
			b.Fatal(res.Err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}

// BenchmarkZnodeMemory reports the heap per znode of a tree with one
// parent holding n children with 16 bytes of data each (target: under 200
// bytes plus data). The figure includes the node, its entry in the path
// index, its path string, its name in the parent's child set and its data.
// Go's maps double when they fill, so the figure depends on where n falls
// between two doublings; two sizes show the range.
func BenchmarkZnodeMemory(b *testing.B) {
	for _, n := range []int{800_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				tr := New(Options{})
				tr.Apply(&Txn{Header: Header{Zxid: 1}, Type: OpCreate, Path: "/p", ACL: OpenACLUnsafe, ParentCversion: 1})
				for k := range n {
					tr.Apply(&Txn{Header: Header{Zxid: Zxid(k + 2)}, Type: OpCreate, Path: fmt.Sprintf("/p/n%07d", k),
						Data: []byte("0123456789abcdef"), ACL: OpenACLUnsafe, ParentCversion: int32(k + 1)})
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				perNode := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
				b.ReportMetric(perNode, "bytes/znode")
				b.ReportMetric(perNode-16, "bytes/znode-beyond-data")
				runtime.KeepAlive(tr)
			}
		})
	}
}
