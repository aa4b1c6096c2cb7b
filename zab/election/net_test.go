package election

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"zoosim/zab/wire"
)

// testNet is a tiny network of elections for tests: FIFO queues per directed link, a clock per
// server, and a log of what happens, for transcripts. Nothing in it is random; tests that want
// random schedules choose the links and times themselves.
type testNet struct {
	tmpl    Config // Self and Voters are filled in per server
	servers []*testServer
	links   map[testLink][]wire.Notification
	log     strings.Builder
	indent  string
	// sent records every notification that entered the network, for property checks.
	sent []Outgoing
}

type testServer struct {
	id       wire.ServerID
	e        *Election
	now      time.Duration
	initial  wire.Vote // of the latest Look
	reported bool      // the current decision was logged
	looks    int
}

type testLink struct{ from, to wire.ServerID }

func (l testLink) String() string { return fmt.Sprintf("%d->%d", l.from, l.to) }

// newTestNet builds n servers with ids 1..n from the template config.
func newTestNet(n int, tmpl Config) *testNet {
	net := &testNet{tmpl: tmpl, links: map[testLink][]wire.Notification{}}
	var voters []wire.ServerID
	for i := 1; i <= n; i++ {
		voters = append(voters, wire.ServerID(i))
	}
	for _, id := range voters {
		s := &testServer{id: id}
		net.servers = append(net.servers, s)
		net.boot(s, voters)
	}
	return net
}

func (net *testNet) boot(s *testServer, voters []wire.ServerID) {
	cfg := net.tmpl
	cfg.Self, cfg.Voters = s.id, voters
	e, err := New(cfg)
	if err != nil {
		panic(err)
	}
	s.e, s.reported, s.looks = e, false, 0
}

func (net *testNet) voters() []wire.ServerID {
	var ids []wire.ServerID
	for _, s := range net.servers {
		ids = append(ids, s.id)
	}
	return ids
}

func (net *testNet) srv(id wire.ServerID) *testServer {
	for _, s := range net.servers {
		if s.id == id {
			return s
		}
	}
	panic(fmt.Sprintf("no server %d", id))
}

func (net *testNet) logf(format string, args ...any) {
	net.log.WriteString(net.indent)
	fmt.Fprintf(&net.log, format, args...)
	net.log.WriteString("\n")
}

// flush returns the log since the last flush.
func (net *testNet) flush() string {
	s := net.log.String()
	net.log.Reset()
	return s
}

// collect moves every server's outbox into the links and logs sends and new decisions.
func (net *testNet) collect() {
	for _, s := range net.servers {
		for _, o := range s.e.Outbox() {
			l := testLink{o.N.Sid, o.To}
			net.links[l] = append(net.links[l], o.N)
			net.sent = append(net.sent, o)
			net.logf("%s %s", l, describeN(o.N))
		}
	}
	for _, s := range net.servers {
		if d, ok := s.e.Decision(); ok && !s.reported {
			s.reported = true
			net.logf("%d decided %s @%v", s.id, d, s.now)
		}
	}
}

func describeN(n wire.Notification) string {
	return fmt.Sprintf("%s r%d %s", n.State, n.ElectionEpoch, n.Vote)
}

func (net *testNet) look(id wire.ServerID, v wire.Vote) {
	s := net.srv(id)
	v.Leader = id
	s.initial, s.reported = v, false
	s.looks++
	s.e.Look(s.now, v)
	net.collect()
}

// pending returns the links with notifications in flight, in (from, to) order.
func (net *testNet) pending() []testLink {
	var ls []testLink
	for l, q := range net.links {
		if len(q) > 0 {
			ls = append(ls, l)
		}
	}
	slices.SortFunc(ls, func(a, b testLink) int {
		return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
	})
	return ls
}

func (net *testNet) inFlight() int {
	n := 0
	for _, q := range net.links {
		n += len(q)
	}
	return n
}

// deliver hands the oldest notification on l to its receiver; false if there is none.
func (net *testNet) deliver(l testLink) bool {
	q := net.links[l]
	if len(q) == 0 {
		return false
	}
	n := q[0]
	net.links[l] = q[1:]
	net.logf("%s delivered %s", l, describeN(n))
	s := net.srv(l.to)
	net.indent = "  "
	s.e.Receive(s.now, n)
	net.collect()
	net.indent = ""
	return true
}

// deliverAll delivers round-robin over the links in (from, to) order until nothing is in
// flight, or limit deliveries were made; it returns false at the limit.
func (net *testNet) deliverAll(limit int) bool {
	for done := 0; ; {
		ls := net.pending()
		if len(ls) == 0 {
			return true
		}
		for _, l := range ls {
			if done == limit {
				return false
			}
			net.deliver(l)
			done++
		}
	}
}

// drop loses every notification in flight on l.
func (net *testNet) drop(l testLink) {
	for _, n := range net.links[l] {
		net.logf("%s dropped %s", l, describeN(n))
	}
	delete(net.links, l)
}

// tick sets a server's clock to now (never backwards) and ticks it.
func (net *testNet) tick(id wire.ServerID, now time.Duration) {
	s := net.srv(id)
	s.now = max(s.now, now)
	s.e.Tick(s.now)
	net.collect()
}

// restart replaces a server's election by a fresh one (a crash: its round is lost) and
// breaks its connections: what was in flight to or from it is lost.
func (net *testNet) restart(id wire.ServerID) {
	for _, l := range net.pending() {
		if l.from == id || l.to == id {
			net.drop(l)
		}
	}
	net.boot(net.srv(id), net.voters())
	net.logf("%d restarted", id)
}
