package client

import (
	"testing"
	"time"

	"zoosim/tree"
)

// BenchmarkCall measures one getData or setData (alternately, 100-byte
// values) through the asynchronous API on the fake cluster, from the call
// to its callback, so the client's own allocations per request show:
//
//	go test ./zab/client -run '^$' -bench Call -benchmem
//
// The fake network and server allocate too (a timer, a closure and a copy
// per frame, the server's decode, reply and encode), and so does the
// client's decode of the reply in zab/wire; a memory profile tells them
// apart from the client's own.
func BenchmarkCall(b *testing.B) {
	h := newHarness(b, 1, func(_ *cluster, cfg *Config) { cfg.Watcher, cfg.Observer = nil, nil })
	h.open()
	value := make([]byte, 100)
	h.c.Create("/a", value, tree.OpenACLUnsafe, tree.Persistent, nil)
	h.settle()
	done := 0
	getCB := func([]byte, tree.Stat, error) { done++ }
	setCB := func(tree.Stat, error) { done++ }
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			h.c.GetData("/a", nil, getCB)
		} else {
			h.c.SetData("/a", value, -1, setCB)
		}
		h.l.runWhile(b, time.Minute, func() bool { return done <= i })
	}
}
