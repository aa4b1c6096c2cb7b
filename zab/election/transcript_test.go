package election

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// TestTranscripts runs the readable scenarios in testdata/transcripts: each command drives a
// testNet of elections, and its expected output is what the elections sent and decided
// meanwhile. After a deliberate change of behaviour or of the output format, regenerate with
//
//	go test ./zab/election -run TestTranscripts -rewrite
//
// and read the diff before committing it.
//
// Commands (ids are server ids, "all" means every server in id order):
//
//	servers n=3 [finalize=200ms] [min=200ms] [max=60s] [full-ooe] [order-1419]   a fresh network
//	                                     (full-ooe, order-1419: the ZOOKEEPER-1732 and -1419 variants)
//	look <id> zxid=0x100000003 epoch=1                             Look with that initial vote
//	deliver <from>-><to> [n=<k>|n=all]   the oldest k (default 1) notifications on a link
//	deliver to=<id>                      everything now in flight to a server, link by link
//	deliver all                          round-robin over the links until nothing is in flight
//	drop <from>-><to> | drop to=<id> | drop from=<id>     lose what is in flight
//	tick <id|all> [+<duration>]          advance the clock(s) by the duration, or to the
//	                                     server's Deadline, and Tick
//	settle <id> leading|following leader=<id> zxid=.. epoch=..      Settle
//	update-epoch <id> epoch=<e>          UpdatePeerEpoch
//	restart <id>                         a crash and restart: a fresh Election, links broken
//	state [<id>...]                      String() of the servers
//	inflight                             what is in flight, per link
//
// Output lines: "a->b STATE rR vote" is a notification entering the network, "a->b delivered
// ..." one leaving it (with its effects indented below), "n decided ..." a Decision.
func TestTranscripts(t *testing.T) {
	datadriven.Walk(t, "testdata/transcripts", func(t *testing.T, path string) {
		var net *testNet
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			if d.Cmd != "servers" && net == nil {
				d.Fatalf(t, "the first command must be servers")
			}
			out, err := handleTranscript(&net, d)
			if err != nil {
				if net != nil {
					net.flush() // what happened before the error is not part of the transcript
				}
				return "error: " + err.Error() + "\n"
			}
			return out
		})
	})
}

func handleTranscript(netp **testNet, d *datadriven.TestData) (string, error) {
	net := *netp
	switch d.Cmd {
	case "servers":
		n, cfg := 3, Config{}
		for _, a := range d.CmdArgs {
			var err error
			switch a.Key {
			case "n":
				n, err = strconv.Atoi(a.Vals[0])
			case "finalize":
				cfg.FinalizeWait, err = time.ParseDuration(a.Vals[0])
			case "min":
				cfg.MinNotificationInterval, err = time.ParseDuration(a.Vals[0])
			case "max":
				cfg.MaxNotificationInterval, err = time.ParseDuration(a.Vals[0])
			case "full-ooe":
				cfg.CompareFullOutOfElection = true
			case "order-1419":
				cfg.Better = BetterWithoutEpochGuard
			default:
				err = fmt.Errorf("unknown argument %q", a.Key)
			}
			if err != nil {
				return "", err
			}
		}
		*netp = newTestNet(n, cfg)
		return "", nil
	case "look":
		id, err := argID(d, 0)
		if err != nil {
			return "", err
		}
		v, err := argVote(d)
		if err != nil {
			return "", err
		}
		net.look(id, v)
	case "deliver":
		if err := transcriptDeliver(net, d); err != nil {
			return "", err
		}
	case "drop":
		ls, err := argLinks(net, d)
		if err != nil {
			return "", err
		}
		for _, l := range ls {
			net.drop(l)
		}
	case "tick":
		if err := transcriptTick(net, d); err != nil {
			return "", err
		}
	case "settle":
		id, err := argID(d, 0)
		if err != nil {
			return "", err
		}
		var state wire.ServerState
		switch arg(d, 1) {
		case "leading":
			state = wire.Leading
		case "following":
			state = wire.Following
		default:
			return "", fmt.Errorf("settle: want leading or following, got %q", arg(d, 1))
		}
		v, err := argVote(d)
		if err != nil {
			return "", err
		}
		net.srv(id).e.Settle(state, v)
		net.collect()
	case "update-epoch":
		id, err := argID(d, 0)
		if err != nil {
			return "", err
		}
		epoch, err := strconv.ParseInt(argKey(d, "epoch"), 10, 64)
		if err != nil {
			return "", err
		}
		net.srv(id).e.UpdatePeerEpoch(epoch)
	case "restart":
		id, err := argID(d, 0)
		if err != nil {
			return "", err
		}
		net.restart(id)
	case "state":
		ids := net.voters()
		if len(d.CmdArgs) > 0 {
			ids = nil
			for i := range d.CmdArgs {
				id, err := argID(d, i)
				if err != nil {
					return "", err
				}
				ids = append(ids, id)
			}
		}
		for _, id := range ids {
			s := net.srv(id)
			net.logf("%d @%v: %s", id, s.now, s.e)
		}
	case "inflight":
		for _, l := range net.pending() {
			for _, n := range net.links[l] {
				net.logf("%s %s", l, describeN(n))
			}
		}
	default:
		return "", fmt.Errorf("unknown command %q", d.Cmd)
	}
	return net.flush(), nil
}

func transcriptDeliver(net *testNet, d *datadriven.TestData) error {
	if arg(d, 0) == "all" {
		if !net.deliverAll(10000) {
			return fmt.Errorf("still delivering after 10000 notifications")
		}
		return nil
	}
	if to := argKey(d, "to"); to != "" {
		ls, err := argLinks(net, d)
		if err != nil {
			return err
		}
		for _, l := range ls {
			for k := len(net.links[l]); k > 0; k-- {
				net.deliver(l)
			}
		}
		return nil
	}
	l, err := parseLink(arg(d, 0))
	if err != nil {
		return err
	}
	k := 1
	switch n := argKey(d, "n"); n {
	case "":
	case "all":
		k = len(net.links[l])
	default:
		if k, err = strconv.Atoi(n); err != nil {
			return err
		}
	}
	for ; k > 0; k-- {
		if !net.deliver(l) {
			return fmt.Errorf("nothing in flight on %s", l)
		}
	}
	return nil
}

func transcriptTick(net *testNet, d *datadriven.TestData) error {
	var ids []wire.ServerID
	if arg(d, 0) == "all" {
		ids = net.voters()
	} else {
		id, err := argID(d, 0)
		if err != nil {
			return err
		}
		ids = []wire.ServerID{id}
	}
	var by time.Duration
	if s := arg(d, 1); s != "" {
		var err error
		if by, err = time.ParseDuration(strings.TrimPrefix(s, "+")); err != nil {
			return err
		}
	}
	for _, id := range ids {
		s := net.srv(id)
		at := s.now + by
		if by == 0 {
			dl, ok := s.e.Deadline()
			if !ok {
				continue
			}
			at = dl
		}
		net.logf("%d tick @%v", id, max(s.now, at))
		net.indent = "  "
		net.tick(id, at)
		net.indent = ""
	}
	return nil
}

// arg returns the key of the i-th argument ("" if none); positional words are keys.
func arg(d *datadriven.TestData, i int) string {
	if i >= len(d.CmdArgs) {
		return ""
	}
	return d.CmdArgs[i].Key
}

// argKey returns the value of key=value, "" if absent.
func argKey(d *datadriven.TestData, key string) string {
	for _, a := range d.CmdArgs {
		if a.Key == key && len(a.Vals) > 0 {
			return a.Vals[0]
		}
	}
	return ""
}

func argID(d *datadriven.TestData, i int) (wire.ServerID, error) {
	n, err := strconv.ParseInt(arg(d, i), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("want a server id, got %q", arg(d, i))
	}
	return wire.ServerID(n), nil
}

// argVote reads zxid=, epoch= and leader= (default: the command's server).
func argVote(d *datadriven.TestData) (wire.Vote, error) {
	var v wire.Vote
	if s := argKey(d, "leader"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return v, err
		}
		v.Leader = wire.ServerID(n)
	} else {
		id, err := argID(d, 0)
		if err != nil {
			return v, err
		}
		v.Leader = id
	}
	z, err := strconv.ParseInt(argKey(d, "zxid"), 0, 64)
	if err != nil {
		return v, fmt.Errorf("zxid: %w", err)
	}
	v.Zxid = tree.Zxid(z)
	if v.PeerEpoch, err = strconv.ParseInt(argKey(d, "epoch"), 10, 64); err != nil {
		return v, fmt.Errorf("epoch: %w", err)
	}
	return v, nil
}

func parseLink(s string) (testLink, error) {
	a, b, ok := strings.Cut(s, "->")
	if !ok {
		return testLink{}, fmt.Errorf("want from->to, got %q", s)
	}
	from, err1 := strconv.ParseInt(a, 10, 64)
	to, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil {
		return testLink{}, fmt.Errorf("want from->to, got %q", s)
	}
	return testLink{wire.ServerID(from), wire.ServerID(to)}, nil
}

// argLinks reads a link, to=<id> or from=<id>, and returns the matching links in flight.
func argLinks(net *testNet, d *datadriven.TestData) ([]testLink, error) {
	to, from := argKey(d, "to"), argKey(d, "from")
	if to == "" && from == "" {
		l, err := parseLink(arg(d, 0))
		return []testLink{l}, err
	}
	var ls []testLink
	for _, l := range net.pending() {
		if to != "" && strconv.FormatInt(int64(l.to), 10) == to ||
			from != "" && strconv.FormatInt(int64(l.from), 10) == from {
			ls = append(ls, l)
		}
	}
	return ls, nil
}
