package zab

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// TestTranscripts runs the readable protocol scenarios in testdata/transcripts on the in-package
// network: election and failover, each sync mode (DIFF, TRUNC, SNAP), and a session moving
// between servers. Each command prints the quorum packets it caused (pings, proposals and
// commits only with `verbose`) and its result. After a deliberate change, regenerate with
//
//	go test ./zab -run TestTranscripts -rewrite
//
// and read the diff.
func TestTranscripts(t *testing.T) {
	datadriven.Walk(t, "testdata/transcripts", func(t *testing.T, path string) {
		env := &transcript{clients: map[string]*hclient{}}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out, err := env.handle(t, d)
			if err != nil {
				out = "error: " + err.Error() + "\n"
			}
			return env.flush() + out
		})
	})
}

type transcript struct {
	h       *net
	clients map[string]*hclient
	verbose bool
	printed int
}

func (e *transcript) flush() string {
	if e.h == nil {
		return ""
	}
	var b strings.Builder
	for _, l := range e.h.log[e.printed:] {
		if !e.verbose && (strings.Contains(l, " PING ") || strings.HasSuffix(l, " PING") || strings.Contains(l, " PROPOSAL ") ||
			strings.Contains(l, " COMMIT ") || strings.Contains(l, "→client") || isProposalAck(l)) {
			continue
		}
		b.WriteString(l + "\n")
	}
	e.printed = len(e.h.log)
	return b.String()
}

// isProposalAck reports an ACK of a proposal (an ACK whose zxid counter is not 0).
func isProposalAck(l string) bool {
	i := strings.Index(l, " ACK 0x")
	return i >= 0 && !strings.HasSuffix(l, "00000000")
}

func (e *transcript) server(t *testing.T, d *datadriven.TestData) (wire.ServerID, error) {
	var id int
	if !d.HasArg("server") {
		return 0, fmt.Errorf("missing server=N")
	}
	d.ScanArgs(t, "server", &id)
	if _, ok := e.h.peers[wire.ServerID(id)]; !ok {
		return 0, fmt.Errorf("server %d is down or unknown", id)
	}
	return wire.ServerID(id), nil
}

func (e *transcript) handle(t *testing.T, d *datadriven.TestData) (string, error) {
	arg := func(i int) string {
		if i < len(d.CmdArgs) {
			return d.CmdArgs[i].Key
		}
		return ""
	}
	switch d.Cmd {
	case "ensemble":
		n := 3
		var vs []Variant
		if d.HasArg("n") {
			d.ScanArgs(t, "n", &n)
		}
		if d.HasArg("variant") {
			var v string
			d.ScanArgs(t, "variant", &v)
			vs = append(vs, Variant(v))
		}
		e.h = newNet(t, n, vs...)
		e.h.trace = true
		if d.HasArg("committed-log") {
			var k int
			d.ScanArgs(t, "committed-log", &k)
			e.h.cfg.CommittedLogSize = k
			for _, id := range e.h.ids {
				e.h.crash(id)
				e.h.boot(id)
			}
		}
		e.printed = len(e.h.log)
		return fmt.Sprintf("%d servers\n", n), nil
	case "verbose":
		e.verbose = arg(0) != "off"
		return "", nil
	case "stable":
		if !e.h.run(e.h.now+2*time.Minute, e.h.stable) {
			return "", fmt.Errorf("no stable ensemble by %v", e.h.now)
		}
		l, _ := e.h.leader()
		return fmt.Sprintf("leader %d at %v\n", l, e.h.now), nil
	case "run":
		dur, err := time.ParseDuration(arg(0))
		if err != nil {
			return "", err
		}
		e.h.run(e.h.now+dur, func() bool { return false })
		return "", nil
	case "status":
		var b strings.Builder
		for _, id := range e.h.ids {
			if p, ok := e.h.peers[id]; ok {
				b.WriteString(p.Status() + "\n")
			} else {
				fmt.Fprintf(&b, "server %d down\n", id)
			}
		}
		return b.String(), nil
	case "crash", "boot", "isolate":
		var id int
		fmt.Sscan(arg(0), &id)
		switch d.Cmd {
		case "crash":
			e.h.crash(wire.ServerID(id))
		case "boot":
			e.h.boot(wire.ServerID(id))
		case "isolate":
			e.h.partition([]wire.ServerID{wire.ServerID(id)}, e.h.others(wire.ServerID(id)))
		}
		return "", nil
	case "heal":
		e.h.heal()
		return "", nil
	case "client":
		id, err := e.server(t, d)
		if err != nil {
			return "", err
		}
		c := e.h.client(id)
		e.clients[arg(0)] = c
		return fmt.Sprintf("%s: session %s on server %d\n", arg(0), c.session, id), nil
	case "reconnect":
		id, err := e.server(t, d)
		if err != nil {
			return "", err
		}
		old := e.clients[arg(0)]
		c := &hclient{h: e.h, cid: e.h.connect(id, old.session, e.h.peers[id].data.tree.LastZxid()), xid: old.xid + 100}
		e.h.run(e.h.now+time.Minute, func() bool { return e.h.session(c.cid) != 0 || !e.h.conns[c.cid].open })
		e.clients[arg(1)] = c
		if s := e.h.session(c.cid); s != 0 {
			return fmt.Sprintf("%s: session %s on server %d\n", arg(1), s, id), nil
		}
		return fmt.Sprintf("%s: refused\n", arg(1)), nil
	case "create", "get", "set", "delete", "exists", "submit":
		c := e.clients[arg(0)]
		if c == nil {
			return "", fmt.Errorf("no client %q", arg(0))
		}
		req := tree.Request{Path: arg(1), Version: -1}
		switch d.Cmd {
		case "create", "submit":
			req.Type, req.ACL, req.Data = tree.OpCreate, tree.OpenACLUnsafe, []byte(arg(2))
			if d.HasArg("ephemeral") {
				req.Mode = tree.Ephemeral
			}
		case "get":
			req.Type = tree.OpGetData
		case "exists":
			req.Type = tree.OpExists
		case "set":
			req.Type, req.Data = tree.OpSetData, []byte(arg(2))
		case "delete":
			req.Type = tree.OpDelete
		}
		if d.Cmd == "submit" { // send without waiting for the reply
			c.xid++
			e.h.send(c.cid, &wire.Request{Xid: c.xid, Req: req})
			e.h.run(e.h.now+10*time.Millisecond, func() bool { return false })
			return "", nil
		}
		r := c.do(req)
		if r == nil {
			return fmt.Sprintf("%s: connection lost\n", arg(0)), nil
		}
		return fmt.Sprintf("%s: %s zxid=%s\n", arg(0), r.Result.String(), r.Zxid), nil
	case "syncs":
		diff, trunc, snap := e.h.syncs()
		return fmt.Sprintf("DIFF %d, TRUNC %d, SNAP %d\n", diff, trunc, snap), nil
	case "converged":
		if !e.h.converged() {
			return "", fmt.Errorf("replicas differ: %v", e.h.digests())
		}
		return "converged\n", nil
	}
	return "", fmt.Errorf("unknown command %q", d.Cmd)
}
