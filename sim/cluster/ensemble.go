package cluster

import (
	"fmt"
	"strings"

	"zoosim/sim"
	"zoosim/tree"
	"zoosim/zab"
	"zoosim/zab/client"
	"zoosim/zab/wire"
)

// Ensemble is a ZooKeeper ensemble in a simulated world: Servers server nodes, named s1, s2, ...
// after their myids, then any client nodes. It is driven by the caller's goroutine through the
// world (World().RunFor, RunUntilStable).
type Ensemble struct {
	opts    Options
	world   *sim.World
	roster  *roster
	servers []*Server
}

// New builds the world and boots every server. The servers start electing at once, from time
// zero; RunUntilStable waits for them to settle.
func New(opts Options) (*Ensemble, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	w, err := sim.New(opts.simOptions())
	if err != nil {
		return nil, fmt.Errorf("%w: Sim: %w", ErrBadOptions, err)
	}
	if opts.Trace != nil {
		w.TraceTo(opts.Trace)
	}
	e := &Ensemble{opts: opts, world: w, roster: &roster{nodes: make([]sim.NodeID, opts.Servers)}}
	// Servers are the world's first nodes, so server i is node i; the roster knows it before any
	// node boots, and boots only dial from a timer (Server.boot).
	for i := range e.roster.nodes {
		e.roster.nodes[i] = sim.NodeID(i)
	}
	for i := range opts.Servers {
		id := serverIDOf(i)
		s := &Server{index: i, id: id, roster: e.roster, cfg: opts.serverConfig(id), store: opts.Storage, traceReady: opts.TraceReady, keepApplied: opts.KeepApplied}
		e.servers = append(e.servers, s)
		if n := w.AddNode(fmt.Sprintf("s%d", id), s.boot); n.ID() != e.roster.nodes[i] {
			panic("cluster: server nodes must be the world's first nodes")
		}
	}
	return e, nil
}

// Close releases the world's processes; the ensemble must not be used afterwards.
func (e *Ensemble) Close() { e.world.Close() }

// World returns the simulated world, for running it and injecting faults.
func (e *Ensemble) World() *sim.World { return e.world }

// Options returns the options the ensemble was built with.
func (e *Ensemble) Options() Options { return e.opts }

// Servers returns every server, by index.
func (e *Ensemble) Servers() []*Server { return append([]*Server(nil), e.servers...) }

// Server returns server i (0-based; its myid is i+1); it panics for an index out of range.
func (e *Ensemble) Server(i int) *Server { return e.servers[i] }

func (e *Ensemble) server(i int) (*Server, error) {
	if i < 0 || i >= len(e.servers) {
		return nil, fmt.Errorf("%w: index %d of %d", ErrNoServer, i, len(e.servers))
	}
	return e.servers[i], nil
}

// Crash crashes server i: its memory, connections and timers are gone, its disk keeps what the
// disk options say a crash keeps.
func (e *Ensemble) Crash(i int) error {
	s, err := e.server(i)
	if err != nil {
		return err
	}
	return e.world.Crash(s.node.ID())
}

// Restart boots crashed server i again; it recovers from its disk.
func (e *Ensemble) Restart(i int) error {
	s, err := e.server(i)
	if err != nil {
		return err
	}
	return e.world.Restart(s.node.ID())
}

// serving reports whether a peer serves clients, and under which leader.
func serving(p *zab.Peer) (leader wire.ServerID, ok bool) {
	if !p.Serving() {
		return 0, false
	}
	return p.Leader()
}

// Leader returns the index of the server leading in broadcast, if exactly one server is.
func (e *Ensemble) Leader() (int, bool) {
	found, n := -1, 0
	for i, s := range e.servers {
		if p := s.Peer(); p != nil && p.Role() == zab.Leading {
			if l, ok := serving(p); ok && l == s.id {
				found, n = i, n+1
			}
		}
	}
	return found, n == 1
}

// Stable reports whether the ensemble serves: exactly one leader in broadcast, and every running
// server either that leader or following it in broadcast.
func (e *Ensemble) Stable() bool {
	li, ok := e.Leader()
	if !ok {
		return false
	}
	leader := e.servers[li].id
	for _, s := range e.servers {
		p := s.Peer()
		if p == nil {
			continue
		}
		if l, ok := serving(p); !ok || l != leader {
			return false
		}
	}
	return true
}

// RunUntilStable runs the world until the ensemble is Stable, for at most limit of virtual time.
// It returns ErrNotStable, with every server's status, if the limit came first.
func (e *Ensemble) RunUntilStable(limit sim.Duration) error {
	deadline := e.world.Now().Add(limit)
	if e.world.RunWhile(func() bool { return !e.Stable() }, deadline) {
		return fmt.Errorf("%w after %v:\n%s", ErrNotStable, limit, e.Status())
	}
	return nil
}

// Status describes every server, one line each.
func (e *Ensemble) Status() string {
	var b strings.Builder
	for _, s := range e.servers {
		fmt.Fprintf(&b, "  %s\n", s.Status())
	}
	return b.String()
}

// Digest is what one running server applied: its last applied zxid and its tree's digest.
type Digest struct {
	Server int
	Zxid   tree.Zxid
	Digest uint64
}

func (d Digest) String() string {
	return fmt.Sprintf("server %d: %s %#016x", serverIDOf(d.Server), d.Zxid, d.Digest)
}

// Digests returns the applied zxid and tree digest of every running server, by index.
func (e *Ensemble) Digests() []Digest {
	var out []Digest
	for i, s := range e.servers {
		if p := s.Peer(); p != nil {
			t := p.Tree()
			out = append(out, Digest{Server: i, Zxid: t.LastZxid(), Digest: t.Digest()})
		}
	}
	return out
}

// Converged reports whether at least one server runs and every running server applied the same
// zxid to a tree with the same digest.
func (e *Ensemble) Converged() bool {
	ds := e.Digests()
	if len(ds) == 0 {
		return false
	}
	for _, d := range ds[1:] {
		if d.Zxid != ds[0].Zxid || d.Digest != ds[0].Digest {
			return false
		}
	}
	return true
}

// NewClient adds a client node named name and starts a client on it, which connects at once.
// cfg.Servers 0 means every server; SessionTimeout 0 means Options.SessionTimeout. It panics,
// as client.New does, on a config that cannot run, and on a name already in use: both are
// programmer errors in a test.
//
// The client lives in the node's memory: crashing the node ends it, and a restart of the node
// does not bring it back.
func (e *Ensemble) NewClient(name string, cfg client.Config) (*client.Client, *sim.Node) {
	if cfg.Servers > len(e.servers) {
		panic(fmt.Sprintf("cluster: client %s: Config.Servers is %d, the ensemble has %d", name, cfg.Servers, len(e.servers)))
	}
	node := e.world.AddNode(name, func(*sim.Node) {})
	return e.clientOn(node, cfg, nil), node
}

// clientOn starts a client on an existing node (a client host whose previous client closed, or
// that was crashed and restarted). hosts, if not nil, is the client's connect string: the
// ensemble indices of the servers it knows, in order; cfg.Servers is then len(hosts).
func (e *Ensemble) clientOn(node *sim.Node, cfg client.Config, hosts []int) *client.Client {
	switch {
	case hosts != nil:
		cfg.Servers = len(hosts)
	case cfg.Servers == 0:
		cfg.Servers = len(e.servers)
	}
	if cfg.SessionTimeout == 0 {
		cfg.SessionTimeout = e.opts.sessionTimeout()
	}
	return client.New(clientEnv{node: node, roster: e.roster, hosts: hosts}, cfg)
}

// Spawn adds a client node named name with a client of the default config, and runs body as a
// simulated process on it with a blocking session over that client. The process starts after the
// events already due now; body should WaitConnected first if it needs the session.
func (e *Ensemble) Spawn(name string, body func(s *client.Session)) *sim.Proc {
	c, node := e.NewClient(name, client.Config{})
	return node.Spawn(name, func(p *sim.Proc) { body(client.NewSession(c, procWaiter{p})) })
}
