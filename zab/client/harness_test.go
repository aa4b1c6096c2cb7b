package client

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// harness is one client on a fake cluster, with a log of everything the
// application saw, in order.
type harness struct {
	t   testing.TB
	cl  *cluster
	l   *loop
	c   *Client
	log []string
	obs *recorder
}

// recorder is an Observer that logs its hooks.
type recorder struct {
	invokes []string
	returns []string
	events  []Event
	all     []string // every hook, in order
}

func (r *recorder) OnInvoke(xid int32, req *tree.Request) {
	r.invokes = append(r.invokes, fmt.Sprintf("%d %s", xid, req.Type))
	r.all = append(r.all, "invoke "+r.invokes[len(r.invokes)-1])
}

func (r *recorder) OnReturn(xid int32, reply *wire.Reply, err error) {
	from := "local"
	if reply != nil {
		from = "reply"
	}
	r.returns = append(r.returns, fmt.Sprintf("%d %s %s", xid, from, CodeOf(err)))
	r.all = append(r.all, "return "+r.returns[len(r.returns)-1])
}

func (r *recorder) OnEvent(e Event) {
	r.events = append(r.events, e)
	r.all = append(r.all, "event "+e.String())
}

// newHarness builds a cluster of n servers; setup may change it (server
// modes, negotiation) and the config before the client is created.
func newHarness(t testing.TB, n int, setup func(*cluster, *Config)) *harness {
	t.Helper()
	cl := newCluster(t, n, 7)
	h := &harness{t: t, cl: cl, l: cl.l, obs: &recorder{}}
	cfg := Config{
		Servers:        n,
		SessionTimeout: 30 * time.Second,
		Watcher:        func(e Event) { h.logf("watcher %s", e) },
		Observer:       h.obs,
	}
	if setup != nil {
		setup(cl, &cfg)
	}
	h.c = New(env{cl}, cfg)
	return h
}

func (h *harness) logf(format string, args ...any) {
	h.log = append(h.log, fmt.Sprintf(format, args...))
}

// takeLog returns the log and empties it.
func (h *harness) takeLog() []string {
	out := h.log
	h.log = nil
	return out
}

// connect runs until the client is Connected, then lets in-flight frames
// land.
func (h *harness) connect() {
	h.t.Helper()
	h.l.runWhile(h.t, 2*time.Minute, func() bool { return h.c.State() != Connected })
	h.settle()
}

// open connects the new client and forgets what it logged meanwhile.
func (h *harness) open() {
	h.t.Helper()
	h.connect()
	h.takeLog()
}

// settle runs 10 ms: every frame in flight lands, no timer of interest
// fires.
func (h *harness) settle() { h.l.run(10 * time.Millisecond) }

// server returns the server the client is connected to.
func (h *harness) server() *server {
	h.t.Helper()
	i := h.c.Server()
	if i < 0 {
		h.t.Fatalf("client not connected to any server: %s", h.c)
	}
	return h.cl.servers[i]
}

// errCb returns a callback that logs "<name> <code>".
func (h *harness) errCb(name string) func(error) {
	return func(err error) { h.logf("%s %s", name, CodeOf(err)) }
}

func (h *harness) mkdir(paths ...string) {
	h.t.Helper()
	for _, p := range paths {
		h.c.Create(p, nil, tree.OpenACLUnsafe, tree.Persistent, func(_ string, err error) {
			if err != nil {
				h.t.Errorf("create %s: %v", p, err)
			}
		})
	}
	h.settle()
}

func wantLog(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
