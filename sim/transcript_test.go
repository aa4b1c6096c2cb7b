package sim

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
)

// TestTranscripts runs the readable scenarios in testdata/transcripts: each command drives the
// world, and its expected output is the trace the kernel printed meanwhile. After a deliberate
// change of behaviour or of the trace format, regenerate with
//
//	go test ./sim -run TestTranscripts -rewrite
//
// and read the diff before committing it.
func TestTranscripts(t *testing.T) {
	datadriven.Walk(t, "testdata/transcripts", func(t *testing.T, path string) {
		env := &transcriptEnv{}
		defer env.close()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out, err := env.handle(d)
			if err != nil {
				return env.flush() + "error: " + err.Error() + "\n"
			}
			return env.flush() + out
		})
	})
}

// transcriptEnv holds the world of one transcript and the trace printed since the last command.
type transcriptEnv struct {
	w     *World
	trace bytes.Buffer
	soft  map[string]*transcriptNode
}

// transcriptNode is the software of a transcript node: it accepts on port 1, logs what it
// receives, and remembers its latest connection to each peer for the send and close commands.
type transcriptNode struct {
	n     *Node
	conns map[NodeID]*Conn
	files map[string]*File
}

func (s *transcriptNode) boot(n *Node) {
	s.n, s.conns, s.files = n, map[NodeID]*Conn{}, map[string]*File{}
	n.Listen(1, func(c *Conn) ConnHandler {
		s.conns[c.Peer()] = c
		return s
	})
}

func (s *transcriptNode) Connected(*Conn) {}
func (s *transcriptNode) Received(c *Conn, msg []byte) {
	s.n.Logf("got %q on c%d", msg, c.ID())
}
func (s *transcriptNode) Closed(c *Conn, err error) {}

func (e *transcriptEnv) close() {
	if e.w != nil {
		e.w.Close()
	}
}

func (e *transcriptEnv) flush() string {
	out := e.trace.String()
	e.trace.Reset()
	return out
}

func (e *transcriptEnv) handle(d *datadriven.TestData) (string, error) {
	if d.Cmd != "world" && e.w == nil {
		return "", fmt.Errorf("the first command must be world")
	}
	switch d.Cmd {
	case "world":
		return "", e.newWorld(d)
	case "nodes":
		for _, a := range d.CmdArgs {
			s := &transcriptNode{}
			e.soft[a.Key] = s
			e.w.AddNode(a.Key, s.boot)
		}
		return "", nil
	case "run":
		dur, err := time.ParseDuration(arg(d, 0))
		if err != nil {
			return "", err
		}
		e.w.RunFor(dur)
		return "", nil
	case "dial", "send", "close":
		from, to, err := e.pair(d)
		if err != nil {
			return "", err
		}
		s := e.soft[from.Name()]
		switch d.Cmd {
		case "dial":
			s.conns[to.ID()] = from.Dial(to.ID(), 1, s)
		case "send":
			c := s.conns[to.ID()]
			if c == nil {
				return "", fmt.Errorf("%s has no connection to %s", from, to)
			}
			if err := c.Send([]byte(arg(d, 2))); err != nil {
				return fmt.Sprintf("send: %v\n", err), nil
			}
		case "close":
			if c := s.conns[to.ID()]; c != nil {
				c.Close()
			}
		}
		return "", nil
	case "partition", "one-way", "bridge":
		var groups [][]NodeID
		var bridge NodeID
		for _, a := range d.CmdArgs {
			ids, err := e.ids(a.Vals)
			if err != nil {
				return "", err
			}
			if a.Key == "via" {
				bridge = ids[0]
				continue
			}
			groups = append(groups, ids)
		}
		switch {
		case d.Cmd == "partition":
			return "", e.w.Partition(groups...)
		case len(groups) != 2:
			return "", fmt.Errorf("%s takes two groups", d.Cmd)
		case d.Cmd == "one-way":
			return "", e.w.PartitionOneWay(groups[0], groups[1])
		default:
			return "", e.w.Bridge(groups[0], bridge, groups[1])
		}
	case "heal":
		e.w.Heal()
		return "", nil
	case "unlisten":
		n, err := e.node(arg(d, 0))
		if err != nil {
			return "", err
		}
		n.Listen(1, nil)
		return "", nil
	case "isolate", "crash", "restart", "pause", "resume":
		n, err := e.node(arg(d, 0))
		if err != nil {
			return "", err
		}
		return "", map[string]func(NodeID) error{
			"isolate": e.w.Isolate, "crash": e.w.Crash, "restart": e.w.Restart,
			"pause": e.w.Pause, "resume": e.w.Resume,
		}[d.Cmd](n.ID())
	case "clog":
		from, to, err := e.pair(d)
		if err != nil {
			return "", err
		}
		dur, err := time.ParseDuration(arg(d, 2))
		if err != nil {
			return "", err
		}
		return "", e.w.ClogLink(from.ID(), to.ID(), dur)
	case "timer":
		n, err := e.node(arg(d, 0))
		if err != nil {
			return "", err
		}
		dur, err := time.ParseDuration(arg(d, 2))
		if err != nil {
			return "", err
		}
		n.After(dur, arg(d, 1), func() {})
		return "", nil
	case "write", "sync", "cat", "lose-fsyncs", "corrupt-next-crash":
		return e.disk(d)
	}
	return "", fmt.Errorf("unknown command %q", d.Cmd)
}

func (e *transcriptEnv) newWorld(d *datadriven.TestData) error {
	opts := plainOptions(1)
	for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		if line == "" {
			continue
		}
		key, val, _ := strings.Cut(line, ":")
		val = strings.TrimSpace(val)
		var err error
		switch key {
		case "seed":
			opts.Seed, err = strconv.ParseUint(val, 10, 64)
		case "latency":
			opts.Network.Latency, err = ParseDistribution(val)
		case "detection-delay":
			opts.Network.DetectionDelay, err = ParseDistribution(val)
		case "fsync-latency":
			opts.Disk.FsyncLatency, err = ParseDistribution(val)
		case "crash":
			opts.Disk.Crash, err = ParseCrashMode(val)
		default:
			err = fmt.Errorf("unknown option %q", key)
		}
		if err != nil {
			return err
		}
	}
	w, err := New(opts)
	if err != nil {
		return err
	}
	e.w, e.soft = w, map[string]*transcriptNode{}
	w.TraceTo(&e.trace)
	return nil
}

func (e *transcriptEnv) disk(d *datadriven.TestData) (string, error) {
	n, err := e.node(arg(d, 0))
	if err != nil {
		return "", err
	}
	s := e.soft[n.Name()]
	file := func() *File {
		name := arg(d, 1)
		f := s.files[name]
		if f == nil || !f.live() {
			f = n.Disk().Open(name)
			s.files[name] = f
		}
		return f
	}
	switch d.Cmd {
	case "write":
		file().Append([]byte(arg(d, 2)))
	case "sync":
		name := arg(d, 1)
		file().Sync(func(error) { n.Logf("fsync of %s done", name) })
	case "cat":
		data, err := n.Disk().ReadFile(arg(d, 1))
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%q\n", data), nil
	case "lose-fsyncs":
		k, err := strconv.Atoi(arg(d, 1))
		if err != nil {
			return "", err
		}
		n.Disk().LoseNextSyncs(k)
	case "corrupt-next-crash":
		n.Disk().CorruptNextCrash()
	}
	return "", nil
}

// arg returns the i-th argument of the command line, as written.
func arg(d *datadriven.TestData, i int) string {
	if i >= len(d.CmdArgs) {
		return ""
	}
	return d.CmdArgs[i].String()
}

func (e *transcriptEnv) node(name string) (*Node, error) {
	for _, n := range e.w.Nodes() {
		if n.Name() == name {
			return n, nil
		}
	}
	return nil, fmt.Errorf("no node %q", name)
}

func (e *transcriptEnv) pair(d *datadriven.TestData) (*Node, *Node, error) {
	a, err := e.node(arg(d, 0))
	if err != nil {
		return nil, nil, err
	}
	b, err := e.node(arg(d, 1))
	return a, b, err
}

func (e *transcriptEnv) ids(names []string) ([]NodeID, error) {
	var ids []NodeID
	for _, name := range names {
		n, err := e.node(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		ids = append(ids, n.ID())
	}
	slices.Sort(ids)
	return ids, nil
}
