package sim

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"
)

// twoNodes returns a world with a client node and a server node accepting on port 1.
func twoNodes(t *testing.T, opts Options) (w *World, client, srv *Node, accepted *[]*endpoint) {
	w = newWorld(t, opts)
	accepted = &[]*endpoint{}
	client = w.AddNode("c", noSoftware)
	srv = w.AddNode("s", server(accepted))
	return w, client, srv, accepted
}

func TestHandshakeThenMessagesInOrder(t *testing.T) {
	w, client, srv, accepted := twoNodes(t, plainOptions(1))
	e := &endpoint{}
	c := client.Dial(srv.ID(), 1, e)
	_ = c.Send([]byte("early")) // before the handshake: delivered right after it
	w.RunFor(ms(1))
	if len(*accepted) != 1 || e.connected {
		t.Fatalf("at 1ms: accepted=%d dialer connected=%v, want accepted and not yet connected", len(*accepted), e.connected)
	}
	w.RunFor(ms(1))
	if !e.connected || !c.Open() {
		t.Fatal("dialer not connected after a round trip")
	}
	srvEnd := (*accepted)[0]
	for i := 0; i < 3; i++ {
		_ = c.Send([]byte{byte(i)})
		_ = srvEnd.conn.Send([]byte{10 + byte(i)})
	}
	w.RunFor(ms(5))
	if got := fmt.Sprint(srvEnd.received); got != "[[101 97 114 108 121] [0] [1] [2]]" {
		t.Fatalf("server received %s", got)
	}
	if got := fmt.Sprint(e.received); got != "[[10] [11] [12]]" {
		t.Fatalf("client received %s", got)
	}
	if c.Peer() != srv.ID() || srvEnd.conn.Peer() != client.ID() || c.ID() != srvEnd.conn.ID() || c.Port() != 1 {
		t.Fatal("connection ends disagree about who is who")
	}
}

func TestMessagesAreCopies(t *testing.T) {
	w, client, srv, accepted := twoNodes(t, plainOptions(1))
	c := client.Dial(srv.ID(), 1, &endpoint{})
	buf := []byte("abc")
	_ = c.Send(buf)
	buf[0] = 'X'
	w.RunFor(ms(5))
	got := (*accepted)[0].received[0]
	if string(got) != "abc" {
		t.Fatalf("receiver saw %q: the sender's buffer leaked across nodes", got)
	}
}

func TestDialFailures(t *testing.T) {
	t.Run("refused without a listener", func(t *testing.T) {
		w := newWorld(t, plainOptions(1))
		a, b := w.AddNode("a", noSoftware), w.AddNode("b", noSoftware)
		e := &endpoint{}
		a.Dial(b.ID(), 1, e)
		w.RunFor(ms(2))
		if !isErr(e.closedErr, ErrRefused) || e.connected {
			t.Fatalf("closed=%v connected=%v at 2ms, want refused", e.closedErr, e.connected)
		}
	})
	t.Run("accept function refuses", func(t *testing.T) {
		w := newWorld(t, plainOptions(1))
		a := w.AddNode("a", noSoftware)
		b := w.AddNode("b", func(n *Node) { n.Listen(1, func(*Conn) ConnHandler { return nil }) })
		e := &endpoint{}
		a.Dial(b.ID(), 1, e)
		w.RunFor(ms(2))
		if !isErr(e.closedErr, ErrRefused) {
			t.Fatalf("closed=%v, want refused", e.closedErr)
		}
	})
	t.Run("unreachable when down", func(t *testing.T) {
		w, client, srv, _ := twoNodes(t, plainOptions(1))
		_ = w.Crash(srv.ID())
		e := &endpoint{}
		client.Dial(srv.ID(), 1, e)
		w.RunFor(ms(9))
		if e.closedErr != nil {
			t.Fatal("dialer learned of the failure before the detection delay")
		}
		w.RunFor(ms(1))
		if !isErr(e.closedErr, ErrUnreachable) {
			t.Fatalf("closed=%v at 10ms, want unreachable", e.closedErr)
		}
	})
	t.Run("unreachable across a partition", func(t *testing.T) {
		w, client, srv, accepted := twoNodes(t, plainOptions(1))
		_ = w.PartitionOneWay([]NodeID{srv.ID()}, []NodeID{client.ID()})
		e := &endpoint{}
		client.Dial(srv.ID(), 1, e)
		w.RunFor(ms(20))
		if !isErr(e.closedErr, ErrUnreachable) || len(*accepted) != 0 {
			t.Fatalf("closed=%v accepted=%d, want unreachable and nothing accepted", e.closedErr, len(*accepted))
		}
	})
}

func TestCloseDeliversEverythingThenTellsThePeer(t *testing.T) {
	w, client, srv, accepted := twoNodes(t, plainOptions(1))
	e := &endpoint{}
	c := client.Dial(srv.ID(), 1, e)
	w.RunFor(ms(2))
	_ = c.Send([]byte("last words"))
	c.Close()
	if err := c.Send([]byte("after")); !isErr(err, ErrClosed) {
		t.Fatalf("Send after Close = %v, want ErrClosed", err)
	}
	w.RunFor(ms(5))
	s := (*accepted)[0]
	if len(s.received) != 1 || !isErr(s.closedErr, ErrPeerClosed) {
		t.Fatalf("server received %d messages, closed=%v", len(s.received), s.closedErr)
	}
	if e.closes != 0 {
		t.Fatal("the closing end was told of its own close")
	}
}

func TestPartitionBreaksConnectionsAndLosesInFlight(t *testing.T) {
	w, client, srv, accepted := twoNodes(t, plainOptions(1))
	e := &endpoint{}
	c := client.Dial(srv.ID(), 1, e)
	w.RunFor(ms(2))
	_ = c.Send([]byte("in flight"))
	w.RunFor(ms(0))
	if err := w.Partition([]NodeID{client.ID()}, []NodeID{srv.ID()}); err != nil {
		t.Fatal(err)
	}
	_ = c.Send([]byte("into the void")) // the end does not know yet: lost silently
	w.RunFor(ms(9))
	s := (*accepted)[0]
	if len(s.received) != 0 || e.closedErr != nil || s.closedErr != nil {
		t.Fatalf("before detection: received=%d client=%v server=%v", len(s.received), e.closedErr, s.closedErr)
	}
	w.RunFor(ms(1))
	if !isErr(e.closedErr, ErrReset) || !isErr(s.closedErr, ErrReset) {
		t.Fatalf("after detection: client=%v server=%v, want both reset", e.closedErr, s.closedErr)
	}
	// Healing does not mend the old connection; a new one works.
	w.Heal()
	if !connects(w, client, srv) {
		t.Fatal("could not reconnect after heal")
	}
}

// connects reports whether a new connection from client to srv completes its handshake.
func connects(w *World, client, srv *Node) bool {
	e := &endpoint{}
	client.Dial(srv.ID(), 1, e)
	w.RunFor(ms(2))
	return e.connected
}

func TestBridgeAndIsolate(t *testing.T) {
	w := newWorld(t, plainOptions(1))
	var ids []NodeID
	for i := 0; i < 5; i++ {
		ids = append(ids, w.AddNode(fmt.Sprintf("n%d", i), noSoftware).ID())
	}
	if err := w.Bridge(ids[:2], ids[2], ids[3:]); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		from, to NodeID
		blocked  bool
	}{{0, 1, false}, {0, 2, false}, {2, 4, false}, {4, 2, false}, {0, 3, true}, {4, 1, true}} {
		if got := w.Blocked(c.from, c.to); got != c.blocked {
			t.Errorf("blocked(%d,%d) = %v, want %v", c.from, c.to, got, c.blocked)
		}
	}
	w.Heal()
	_ = w.Isolate(ids[4])
	if !w.Blocked(4, 0) || !w.Blocked(0, 4) || w.Blocked(0, 1) {
		t.Fatal("isolate blocked the wrong links")
	}
}

func TestCrashResetsPeersAndRestartNeedsBootToListen(t *testing.T) {
	w, client, srv, _ := twoNodes(t, plainOptions(1))
	e := &endpoint{}
	client.Dial(srv.ID(), 1, e)
	w.RunFor(ms(2))
	_ = w.Crash(srv.ID())
	w.RunFor(ms(10))
	if !isErr(e.closedErr, ErrReset) {
		t.Fatalf("peer of a crashed node: %v, want reset", e.closedErr)
	}
	_ = w.Restart(srv.ID()) // boot listens again
	if !connects(w, client, srv) {
		t.Fatal("could not connect to the restarted node")
	}
}

func TestClogHoldsMessagesInOrder(t *testing.T) {
	w, client, srv, accepted := twoNodes(t, plainOptions(1))
	c := client.Dial(srv.ID(), 1, &endpoint{})
	w.RunFor(ms(2))
	s := (*accepted)[0]
	var arrivals []Time
	s.onReceive = func(*Conn, []byte) { arrivals = append(arrivals, w.Now()) }
	_ = w.ClogLink(client.ID(), srv.ID(), ms(50))
	_ = c.Send([]byte("1"))
	w.RunFor(ms(10))
	_ = c.Send([]byte("2"))
	w.RunFor(ms(100))
	want := []Time{at(2 + 50 + 1), at(2 + 50 + 1)}
	if !slices.Equal(arrivals, want) {
		t.Fatalf("arrivals %v, want %v", arrivals, want)
	}
	if !bytes.Equal(s.received[0], []byte("1")) {
		t.Fatal("clog reordered messages")
	}
}

func TestEgressBandwidthSerializesSends(t *testing.T) {
	opts := plainOptions(1)
	opts.Network.EgressBytesPerSec = 1000 // 100-byte message: 100ms on the wire
	w, client, srv, accepted := twoNodes(t, opts)
	c := client.Dial(srv.ID(), 1, &endpoint{})
	w.RunFor(ms(2))
	s := (*accepted)[0]
	var arrivals []Time
	s.onReceive = func(*Conn, []byte) { arrivals = append(arrivals, w.Now()) }
	_ = c.Send(make([]byte, 100))
	_ = c.Send(make([]byte, 100))
	w.RunFor(time.Second)
	if want := []Time{at(2 + 100 + 1), at(2 + 200 + 1)}; !slices.Equal(arrivals, want) {
		t.Fatalf("arrivals %v, want %v", arrivals, want)
	}
}

func TestFilterDropsOrResets(t *testing.T) {
	w, client, srv, accepted := twoNodes(t, plainOptions(1))
	e := &endpoint{}
	c := client.Dial(srv.ID(), 1, e)
	w.RunFor(ms(2))
	w.SetFilter(func(m Message) Verdict {
		switch string(m.Data) {
		case "drop":
			return Drop
		case "reset":
			return Reset
		}
		return Deliver
	})
	_ = c.Send([]byte("a"))
	_ = c.Send([]byte("drop"))
	_ = c.Send([]byte("b"))
	w.RunFor(ms(2))
	_ = c.Send([]byte("reset"))
	w.RunFor(ms(20))
	s := (*accepted)[0]
	if got := fmt.Sprintf("%q", s.received); got != `["a" "b"]` {
		t.Fatalf("server received %s", got)
	}
	if !isErr(e.closedErr, ErrReset) || !isErr(s.closedErr, ErrReset) {
		t.Fatalf("reset verdict: client=%v server=%v", e.closedErr, s.closedErr)
	}
}

func TestPausedReceiverGetsMessagesAtResumeInOrder(t *testing.T) {
	w, client, srv, accepted := twoNodes(t, plainOptions(1))
	c := client.Dial(srv.ID(), 1, &endpoint{})
	w.RunFor(ms(2))
	_ = w.Pause(srv.ID())
	for i := 0; i < 5; i++ {
		_ = c.Send([]byte{byte(i)})
		w.RunFor(ms(1))
	}
	s := (*accepted)[0]
	if len(s.received) != 0 {
		t.Fatal("a paused node received messages")
	}
	_ = w.Resume(srv.ID())
	w.RunFor(ms(0))
	if got := fmt.Sprint(s.received); got != "[[0] [1] [2] [3] [4]]" {
		t.Fatalf("after resume received %s", got)
	}
}

func TestUnsafeModesBreakFIFOOnlyWhenAsked(t *testing.T) {
	opts := plainOptions(1)
	opts.Network.Latency = UniformIn(ms(1), ms(20))
	opts.Network.UnsafeReorder = Always
	opts.Network.UnsafeDuplicate = Frac(1, 2)
	w, client, srv, accepted := twoNodes(t, opts)
	c := client.Dial(srv.ID(), 1, &endpoint{})
	w.RunFor(ms(50))
	for i := 0; i < 100; i++ {
		_ = c.Send([]byte{byte(i)})
	}
	w.RunFor(time.Second)
	got := (*accepted)[0].received
	inOrder := slices.IsSortedFunc(got, func(a, b []byte) int { return int(a[0]) - int(b[0]) })
	if inOrder || len(got) <= 100 {
		t.Fatalf("reorder+duplicate: %d messages, in order=%v; want reordered and duplicated", len(got), inOrder)
	}
}
