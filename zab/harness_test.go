package zab

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// net is a tiny deterministic world for Peers without the kernel: one FIFO queue of deliveries,
// connections by id, durable state per server, and a virtual clock that jumps to the next
// deadline when nothing is in flight. Disk writes are durable when their fsync "completes",
// which happens when the delivery queue reaches it.
type net struct {
	t     *testing.T
	now   time.Duration
	peers map[wire.ServerID]*Peer
	ids   []wire.ServerID
	disks map[wire.ServerID]*memDisk
	queue []func()
	// later holds fsync completions, each due fsyncLatency after its request, in order.
	later   []timed
	blocked map[[2]wire.ServerID]bool
	conns   map[uint64]*hconn
	next    uint64
	cfg     Config
	// clients: frames received per client connection, and which server holds it.
	inbox map[uint64][]wire.ClientMessage
	log   []string
	trace bool
	// applied records, per zxid, the txn every server applied there, to check agreement.
	applied  map[tree.Zxid]string
	conflict string
	// sent holds the encoding of every txn a packet carried, as it was when first sent: the
	// harness hands the receiver the sender's very txn, and checkSentTxns checks that no peer
	// changed one afterwards (the invariant wire.TxnShare relies on).
	sent map[*tree.Txn]string
}

type timed struct {
	at time.Duration
	f  func()
}

// fsyncLatency is how long an fsync takes in the harness; messages take no time, so a flaw that
// acknowledges before the fsync shows.
const fsyncLatency = 2 * time.Millisecond

type hconn struct {
	a, b   wire.ServerID // a dialed b
	open   bool
	client bool
}

type memDisk struct {
	durable Recovered
	written Recovered
}

func newNet(t *testing.T, n int, variants ...Variant) *net {
	h := &net{t: t, peers: map[wire.ServerID]*Peer{}, disks: map[wire.ServerID]*memDisk{},
		conns: map[uint64]*hconn{}, inbox: map[uint64][]wire.ClientMessage{}, blocked: map[[2]wire.ServerID]bool{},
		sent: map[*tree.Txn]string{}}
	t.Cleanup(h.checkSentTxns)
	for i := 1; i <= n; i++ {
		h.ids = append(h.ids, wire.ServerID(i))
	}
	h.cfg = Config{Voters: h.ids, TickTime: 2 * time.Second, Variants: variants, SnapCount: 50}
	for _, id := range h.ids {
		h.disks[id] = &memDisk{}
		h.boot(id)
	}
	return h
}

func (h *net) boot(id wire.ServerID) {
	cfg := h.cfg
	cfg.ID = id
	d := h.disks[id]
	d.written = cloneRec(d.durable)
	p, err := NewPeer(cfg, cloneRec(d.durable))
	if err != nil {
		h.t.Fatalf("boot %d: %v", id, err)
	}
	h.peers[id] = p
	p.Start(h.now)
	h.drain(id)
}

func cloneRec(r Recovered) Recovered {
	r.Log = slices.Clone(r.Log)
	return r
}

// partition cuts every link between the two sides, both ways, breaking their connections.
// noteSentTxn remembers the encoding of a txn a packet carries, or checks it against the one
// remembered when the same txn was sent before. A txn sent for the first time must also be
// what decoding its encoding gives: the receivers here get the sender's very txn, as a
// simulated ensemble's followers do (wire.TxnShare), where a network would hand them a copy
// decoded from the bytes.
func (h *net) noteSentTxn(x *tree.Txn) {
	enc := string(tree.AppendTxn(nil, x))
	if was, ok := h.sent[x]; !ok {
		h.sent[x] = enc
		if err := roundTrips(x); err != nil {
			h.t.Error(err)
		}
	} else if was != enc {
		h.t.Errorf("txn %s changed between two sends:\n was %x\n now %x", x.Zxid, was, enc)
	}
}

// roundTrips reports an error unless decoding the encoding of x gives a txn deep-equal to x.
func roundTrips(x *tree.Txn) error {
	got, err := tree.DecodeTxn(tree.AppendTxn(nil, x))
	if err != nil {
		return fmt.Errorf("txn %s does not decode from its encoding: %v", x.Zxid, err)
	}
	if !reflect.DeepEqual(got, x) {
		return fmt.Errorf("txn %s is not what its encoding decodes to:\n sent    %#v\n decoded %#v", x.Zxid, x, got)
	}
	return nil
}

// checkSentTxns reports every txn that changed after a packet carried it. A simulated ensemble
// shares decoded txns between its servers (wire.TxnShare), so a peer that wrote to a txn it
// received or sent would change the state of other servers.
func (h *net) checkSentTxns() {
	for _, line := range h.changedSentTxns() {
		h.t.Error(line)
	}
}

// changedSentTxns describes every txn whose encoding is no longer what it was when first sent,
// in zxid order.
func (h *net) changedSentTxns() []string {
	var out []string
	for x, was := range h.sent {
		if enc := string(tree.AppendTxn(nil, x)); enc != was {
			out = append(out, fmt.Sprintf("txn %s changed after it was sent:\n was %x\n now %x", x.Zxid, was, enc))
		}
	}
	slices.Sort(out)
	return out
}

func (h *net) partition(a, b []wire.ServerID) {
	for _, x := range a {
		for _, y := range b {
			h.blocked[[2]wire.ServerID{x, y}] = true
			h.blocked[[2]wire.ServerID{y, x}] = true
		}
	}
	for _, cid := range h.connIDs() {
		if c := h.conns[cid]; c.open && !c.client && (h.blocked[[2]wire.ServerID{c.a, c.b}]) {
			h.breakConn(cid)
		}
	}
}

func (h *net) heal() { clear(h.blocked) }

func (h *net) crash(id wire.ServerID) {
	delete(h.peers, id)
	for _, cid := range h.connIDs() {
		if c := h.conns[cid]; c.open && (c.a == id || c.b == id) {
			h.breakConn(cid)
		}
	}
}

func (h *net) breakConn(cid uint64) {
	c := h.conns[cid]
	if !c.open {
		return
	}
	c.open = false
	if c.client {
		if p, ok := h.peers[c.b]; ok {
			h.queue = append(h.queue, func() { p.ClientDown(h.now, cid); h.drain(c.b) })
		}
		return
	}
	for _, end := range [][2]wire.ServerID{{c.a, c.b}, {c.b, c.a}} {
		self, other := end[0], end[1]
		if p, ok := h.peers[self]; ok {
			h.queue = append(h.queue, func() { p.QuorumDown(h.now, Link{Peer: other, Conn: cid}); h.drain(self) })
		}
	}
}

// drain executes a peer's Ready.
func (h *net) drain(id wire.ServerID) {
	p, ok := h.peers[id]
	if !ok {
		return
	}
	rd := p.Ready()
	d := h.disks[id]
	for _, x := range rd.Committed {
		if h.applied == nil {
			h.applied = map[tree.Zxid]string{}
		}
		s := x.String()
		if prev, ok := h.applied[x.Zxid]; ok && prev != s && h.conflict == "" {
			h.conflict = fmt.Sprintf("server %d applied %s at %s where another applied %s", id, s, x.Zxid, prev)
		}
		h.applied[x.Zxid] = s
	}
	for _, op := range rd.Disk {
		switch op.Kind {
		case DiskAppend:
			d.written.Log = append(d.written.Log, op.Txn)
		case DiskTruncate:
			i := 0
			for i < len(d.written.Log) && d.written.Log[i].Zxid <= op.Zxid {
				i++
			}
			d.written.Log = d.written.Log[:i]
		case DiskSnapshot:
			d.written.Snapshot, d.written.SnapshotZxid = op.Snapshot, op.Zxid
			var keep []*tree.Txn
			for _, x := range d.written.Log {
				if x.Zxid > op.Zxid {
					keep = append(keep, x)
				}
			}
			d.written.Log = keep
		case DiskAcceptedEpoch:
			d.written.AcceptedEpoch = op.Epoch
		case DiskCurrentEpoch:
			d.written.CurrentEpoch = op.Epoch
		}
	}
	for _, e := range rd.Send {
		h.dispatch(id, e)
	}
	if rd.Sync {
		after, token, gen := slices.Clone(rd.AfterSync), rd.SyncToken, p
		h.later = append(h.later, timed{at: h.now + fsyncLatency, f: func() {
			if h.peers[id] != gen {
				return
			}
			d.durable = cloneRec(d.written)
			for _, e := range after {
				h.dispatch(id, e)
			}
			gen.Synced(h.now, token)
			h.drain(id)
		}})
	}
}

func (h *net) dispatch(from wire.ServerID, e Envelope) {
	if h.trace {
		h.log = append(h.log, h.describe(from, e))
	}
	switch e.Kind {
	case SendNotification:
		n := e.Notification
		if h.blocked[[2]wire.ServerID{from, e.To}] {
			return
		}
		h.queue = append(h.queue, func() {
			if p, ok := h.peers[e.To]; ok {
				p.Notify(h.now, n)
				h.drain(e.To)
			}
		})
	case DialLeader:
		h.queue = append(h.queue, func() {
			dialer, ok1 := h.peers[from]
			leader, ok2 := h.peers[e.To]
			if !ok1 {
				return
			}
			if !ok2 || h.blocked[[2]wire.ServerID{from, e.To}] {
				dialer.QuorumDown(h.now, Link{Peer: e.To})
				h.drain(from)
				return
			}
			h.next++
			cid := h.next
			h.conns[cid] = &hconn{a: from, b: e.To, open: true}
			leader.QuorumUp(h.now, Link{Peer: from, Conn: cid})
			h.drain(e.To)
			dialer.QuorumUp(h.now, Link{Peer: e.To, Conn: cid})
			h.drain(from)
		})
	case SendPacket:
		c := h.conns[e.Link.Conn]
		if c == nil || !c.open {
			return
		}
		to := c.a
		if to == from {
			to = c.b
		}
		pkt := e.Packet
		if x := pkt.Txn; x != nil {
			h.noteSentTxn(x)
		}
		if pkt.Forward != nil {
			// The peer recycles the Forwards of its Readys (Peer.Ready): a network copies.
			f := *pkt.Forward
			pkt.Forward = &f
		}
		cid := e.Link.Conn
		h.queue = append(h.queue, func() {
			if p, ok := h.peers[to]; ok && h.conns[cid].open {
				p.QuorumPacket(h.now, Link{Peer: from, Conn: cid}, &pkt)
				h.drain(to)
			}
		})
	case ClosePeer:
		if c := h.conns[e.Link.Conn]; c != nil {
			h.breakConn(e.Link.Conn)
		}
	case SendClient:
		if c := h.conns[e.Conn]; c != nil && c.open {
			m := e.Client
			if r, ok := m.(*wire.Reply); ok {
				// The peer recycles the Replies of its Readys (Peer.Ready): a network copies.
				r := *r
				m = &r
			}
			h.inbox[e.Conn] = append(h.inbox[e.Conn], m)
		}
	case CloseClient:
		if c := h.conns[e.Conn]; c != nil && c.open {
			c.open = false
		}
	}
}

// run processes deliveries, and jumps the clock to the next deadline when idle, until cond
// holds or the clock passes limit.
func (h *net) run(limit time.Duration, cond func() bool) bool {
	for steps := 0; steps < 1_000_000; steps++ {
		if cond() {
			return true
		}
		if len(h.queue) > 0 {
			f := h.queue[0]
			h.queue = h.queue[1:]
			f()
			continue
		}
		next := time.Duration(1<<63 - 1)
		var who wire.ServerID
		for _, id := range h.ids {
			if p, ok := h.peers[id]; ok && p.Deadline() < next {
				next, who = p.Deadline(), id
			}
		}
		if len(h.later) > 0 && h.later[0].at <= next {
			if h.later[0].at > limit {
				return cond()
			}
			f := h.later[0]
			h.later = h.later[1:]
			h.now = max(h.now, f.at)
			f.f()
			continue
		}
		if next > limit {
			return cond()
		}
		h.now = max(h.now, next)
		h.peers[who].Tick(h.now)
		h.drain(who)
	}
	h.t.Fatal("run: too many steps")
	return false
}

func (h *net) leader() (wire.ServerID, bool) {
	var found wire.ServerID
	n := 0
	for _, id := range h.ids {
		if p, ok := h.peers[id]; ok && p.leader != nil && p.leader.phase == leaderBroadcast {
			found = id
			n++
		}
	}
	return found, n == 1
}

// stable: one established leader, every live server following it in broadcast.
func (h *net) stable() bool {
	l, ok := h.leader()
	if !ok {
		return false
	}
	for _, id := range h.ids {
		p, up := h.peers[id]
		if !up || id == l {
			continue
		}
		if p.learner == nil || p.learner.leaderID != l || p.learner.phase != fpBroadcast {
			return false
		}
	}
	return true
}

// client opens a client connection to server id and returns its connection id.
func (h *net) connect(id wire.ServerID, session tree.SessionID, lastZxid tree.Zxid) uint64 {
	return h.connectTimeout(id, session, lastZxid, 6000)
}

// connectTimeout is connect asking for a session timeout of timeout milliseconds.
func (h *net) connectTimeout(id wire.ServerID, session tree.SessionID, lastZxid tree.Zxid, timeout int32) uint64 {
	h.next++
	cid := h.next
	h.conns[cid] = &hconn{a: 0, b: id, open: true, client: true}
	p := h.peers[id]
	p.ClientUp(h.now, cid)
	h.drain(id)
	req := &wire.ConnectRequest{Timeout: timeout, SessionID: session, LastZxidSeen: lastZxid}
	if session != 0 {
		req.Passwd = Password(session)
	}
	h.send(cid, req)
	return cid
}

func (h *net) send(cid uint64, m wire.ClientMessage) {
	c := h.conns[cid]
	h.queue = append(h.queue, func() {
		if p, ok := h.peers[c.b]; ok && c.open {
			p.ClientMessage(h.now, cid, m)
			h.drain(c.b)
		}
	})
}

// call sends a request and runs until its reply arrives.
func (h *net) call(cid uint64, xid int32, req tree.Request) *wire.Reply {
	h.t.Helper()
	h.send(cid, &wire.Request{Xid: xid, Req: req})
	var got *wire.Reply
	h.run(h.now+time.Minute, func() bool {
		for _, m := range h.inbox[cid] {
			if r, ok := m.(*wire.Reply); ok && r.Xid == xid {
				got = r
				return true
			}
		}
		return !h.conns[cid].open
	})
	return got
}

func (h *net) session(cid uint64) tree.SessionID {
	for _, m := range h.inbox[cid] {
		if r, ok := m.(*wire.ConnectResponse); ok {
			return r.SessionID
		}
	}
	return 0
}

func (h *net) waitSession(cid uint64) tree.SessionID {
	h.t.Helper()
	h.run(h.now+time.Minute, func() bool { return h.session(cid) != 0 || !h.conns[cid].open })
	s := h.session(cid)
	if s == 0 {
		h.t.Fatalf("no session on conn %d (open=%v): %v", cid, h.conns[cid].open, h.inbox[cid])
	}
	return s
}

func (h *net) digests() map[wire.ServerID]string {
	out := map[wire.ServerID]string{}
	for _, id := range h.ids {
		if p, ok := h.peers[id]; ok {
			out[id] = fmt.Sprintf("%s %#x", p.data.tree.LastZxid(), p.data.tree.Digest())
		}
	}
	return out
}

func (h *net) converged() bool {
	var first string
	for _, id := range h.ids {
		p, ok := h.peers[id]
		if !ok {
			continue
		}
		d := fmt.Sprintf("%s %#x", p.data.tree.LastZxid(), p.data.tree.Digest())
		if first == "" {
			first = d
		} else if d != first {
			return false
		}
	}
	return true
}

// describe prints an envelope for transcripts: "2→1 DIFF 0x100000003".
func (h *net) describe(from wire.ServerID, e Envelope) string {
	switch e.Kind {
	case SendPacket:
		to := e.Link.Peer
		if c := h.conns[e.Link.Conn]; c != nil {
			to = c.a
			if to == from {
				to = c.b
			}
		}
		return fmt.Sprintf("%d→%d %s", from, to, e.Packet.String())
	case SendClient:
		return fmt.Sprintf("%d→client c%d %s", from, e.Conn, clientString(e.Client))
	}
	return fmt.Sprintf("%d: %s", from, e)
}

// connIDs returns the connection ids in creation order, so that breaking connections queues
// their notices in the same order on every run.
func (h *net) connIDs() []uint64 {
	ids := make([]uint64, 0, len(h.conns))
	for id := range h.conns {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
