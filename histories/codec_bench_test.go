package histories

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"zoosim/tree"
)

// codecBenchHistory builds a history like a long run's, with a Recorder: ops of 20 clients on
// 3 servers (half getData, then setData, create, delete, multi), each write applied by every
// server and committed to the log, a watch event for one op in twenty, a fault now and then,
// and a checkpoint every 100 ms.
func codecBenchHistory(ops int) *History {
	const clients, servers = 20, 3
	rng := rand.New(rand.NewPCG(1, 2))
	events := uint64(0)
	r := NewRecorder(Header{Seed: 1, Scenario: []byte(`{"servers":3,"clients":20}`), Commit: "bench"}, servers, 0,
		func() (uint64, uint64) { return events, events * 0x9e3779b97f4a7c15 })
	now := Time(0)
	zxid := tree.Zxid(1 << 32)
	paths := []string{"/hot1", "/hot2", "/hot3", "/q/item-0000000001", "/churn/a", "/churn/b"}
	for i := range ops {
		now += Time(50_000 + rng.IntN(100_000))
		events += 40
		client := rng.IntN(clients)
		session := tree.SessionID(1<<56 | client)
		path := paths[rng.IntN(len(paths))]
		data := []byte(fmt.Sprintf("value-%08d", i))
		var req tree.Request
		switch p := rng.IntN(100); {
		case p < 50:
			req = tree.Request{Type: tree.OpGetData, Path: path, Watch: p < 5}
		case p < 80:
			req = tree.Request{Type: tree.OpSetData, Path: path, Data: data, Version: -1}
		case p < 90:
			req = tree.Request{Type: tree.OpCreate, Path: path, Data: data, ACL: tree.OpenACLUnsafe, Mode: tree.PersistentSequential}
		case p < 95:
			req = tree.Request{Type: tree.OpDelete, Path: path, Version: -1}
		default:
			req = tree.Request{Type: tree.OpMulti, Ops: []tree.Request{
				{Type: tree.OpCheck, Path: path, Version: 3}, {Type: tree.OpSetData, Path: path, Data: data, Version: -1}}}
		}
		xid := int32(i + 1)
		r.Invoke(now, client, session, xid, &req)
		server := client % servers
		stat := tree.Stat{Czxid: 1<<32 | 3, Mzxid: zxid, Ctime: 1000, Mtime: int64(now / 1e6), Version: int32(i % 100), DataLength: int32(len(data)), Pzxid: 1<<32 | 3}
		res := tree.Result{Type: req.Type, Path: req.Path}
		if req.Type.IsWrite() {
			zxid++
			x := &tree.Txn{Header: tree.Header{Session: session, Cxid: xid, Zxid: zxid, Time: int64(now / 1e6)}, Type: req.Type, Path: path,
				Data: req.Data, Version: stat.Version, Digest: rng.Uint64()}
			if req.Type == tree.OpMulti {
				x.Path, x.Ops = "", []tree.Txn{{Type: tree.OpCheck, Path: path, Version: 4}, {Type: tree.OpSetData, Path: path, Data: data, Version: 5}}
				res.Multi = []tree.Result{{Type: tree.OpCheck}, {Type: tree.OpSetData, Path: path, Stat: stat, HasStat: true}}
			}
			for s := range servers {
				now += 10_000
				r.Apply(now, s, 1, x)
			}
		}
		switch req.Type {
		case tree.OpGetData:
			res.Data, res.Stat, res.HasStat = data, stat, true
		case tree.OpSetData:
			res.Stat, res.HasStat = stat, true
		case tree.OpCreate:
			res.Path = fmt.Sprintf("%s%010d", path, i)
		}
		now += Time(200_000 + rng.IntN(800_000))
		if i%20 == 0 {
			r.Event(now, Event{Client: client, Session: session, Type: tree.EventNodeDataChanged, Path: path, Zxid: zxid, Server: server})
		}
		if i%5000 == 0 {
			f := r.FaultStart(now, Fault{Kind: FaultPartition, Groups: [][]int{{0}, {1, 2}}})
			r.FaultEnd(now+1, f)
		}
		r.Return(now, client, xid, tree.OK, server, zxid, &res)
	}
	return r.Finish(now, events, 12345, []Final{{Server: 0, Up: true, Role: Leading, Epoch: 1, Zxid: zxid}})
}

func BenchmarkEncode(b *testing.B) {
	h := codecBenchHistory(100_000)
	var out bytes.Buffer
	if err := Encode(&out, h); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(out.Len()))
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if err := Encode(&out, h); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(h.Ops)), "ops")
	b.ReportMetric(float64(bytes.Count(out.Bytes(), []byte("\n"))), "lines")
}

func BenchmarkDecode(b *testing.B) {
	h := codecBenchHistory(100_000)
	var enc bytes.Buffer
	if err := Encode(&enc, h); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(enc.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(enc.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(h.Ops)), "ops")
}

// TestCodecBenchHistoryRoundTrip keeps the benchmark's history honest: it decodes to itself.
func TestCodecBenchHistoryRoundTrip(t *testing.T) {
	codecRoundTrip(t, codecBenchHistory(2000))
}
