package cluster

import (
	"fmt"
	"time"

	"zoosim/internal/fifo"
	"zoosim/sim"
	"zoosim/tree"
	"zoosim/zab"
	"zoosim/zab/storage"
	"zoosim/zab/wire"
)

// maxTicksPerInstant bounds how often one server's timer may fire at the same virtual instant.
// A peer whose Deadline stays at or before the time it was just ticked at would spin the event
// loop forever without time moving; past this bound the host records the anomaly and pushes the
// timer a millisecond on, so a run stays finite and the bug stays visible.
const maxTicksPerInstant = 64

// Server hosts one zab server on a sim.Node. It lives as long as the ensemble: each boot of the
// node (the first, and one after every restart) builds a new incarnation from the disk, and a
// crash discards the incarnation with the node's memory.
type Server struct {
	index  int
	id     wire.ServerID
	node   *sim.Node
	roster *roster
	// cfg is the zab config of every incarnation, but for Rand, which each boot ties to the node.
	cfg   zab.Config
	store storage.Options
	// traceReady logs every Ready to the trace (Options.TraceReady).
	traceReady bool
	// keepApplied keeps each incarnation's applied txns (Options.KeepApplied).
	keepApplied bool
	// obs sees the server's life for a run's history (record.go); nil when nothing records. It
	// only reads: a run records the same trace with or without it.
	obs serverObserver
	// trips holds the fault injector's one-shot crash triggers (faults.go); nil when a run arms
	// none.
	trips tripwire
	// recovered is the newest zxid the latest boot found on the disk (histories.Boot).
	recovered tree.Zxid

	// cur is the running incarnation; nil before the first boot.
	cur *incarnation

	// Across incarnations: what tests and reports read.
	errs         []error
	appliedTotal int64
	stats        HostStats
}

// HostStats count, over every incarnation of a server, what its host did with the peer's output
// and with its connections' input. Nonzero BadFrames or StuckDeadlines point at a bug.
type HostStats struct {
	// BadFrames counts frames that failed to decode; each closed its connection.
	BadFrames int64
	// DroppedPackets and DroppedClient count sends whose connection was gone, which the peer
	// expects ("dropped if that connection is gone").
	DroppedPackets, DroppedClient int64
	// StuckDeadlines counts times the peer's Deadline did not move past a Tick (see
	// maxTicksPerInstant).
	StuckDeadlines int64
}

// incarnation is everything one boot of a server builds: the store on the disk, the peer, the
// timer and the connections. A crash drops it whole; the kernel never calls into a crashed
// incarnation again.
type incarnation struct {
	s     *Server
	node  *sim.Node
	store *storage.Store
	// peer is nil when the boot failed (the server refuses to start).
	peer  *zab.Peer
	timer *sim.Timer

	// election holds the outgoing election connection to each peer, by server id.
	election map[wire.ServerID]*electionOut
	// quorum holds the open quorum connections.
	quorum quorumConns
	// clients holds the open client connections, by connection id.
	clients map[uint64]*sim.Conn

	// applied lists the txns this incarnation applied (Ready.Committed), in order, when the
	// server keeps them (Options.KeepApplied).
	applied []*tree.Txn
	// draining is set while drain runs: a store callback that runs inside Sync must not start a
	// second drain; the running one picks up what it produced.
	draining bool
	// scratch is the encode buffer for outgoing frames and log records: the kernel copies
	// every message it is given, and the store copies every record into its file, so one
	// buffer serves every send.
	scratch []byte
	// afterSync holds the AfterSync envelopes of the fsyncs in flight, oldest first, and
	// syncing the fsyncs themselves; the store completes Syncs in the order they were issued.
	// Invariant: afterSync holds exactly the sum of syncing's counts.
	afterSync fifo.Queue[zab.Envelope]
	syncing   fifo.Queue[pendingSync]
	// clientDecoder decodes every client frame this server receives; the peer keeps no message
	// struct past ClientMessage.
	clientDecoder wire.ClientDecoder
	// onSynced is inc.synced as a func value, made once: the store takes one per Sync.
	onSynced func(error)
	// halted is set when the software stopped (a boot or disk error): like a process that exited,
	// it takes no input and sends nothing more.
	halted bool
	// dead is set when a trigger crashed the node while this incarnation was executing a Ready:
	// the rest of that Ready, and of the drain, never happens.
	dead bool
	// tickAt and ticksAt count timer firings at one instant (see maxTicksPerInstant).
	tickAt  sim.Time
	ticksAt int
}

// Index returns the server's index in the ensemble (0-based); its myid is Index()+1.
func (s *Server) Index() int { return s.index }

// ID returns the server's myid.
func (s *Server) ID() wire.ServerID { return s.id }

// Node returns the node the server runs on.
func (s *Server) Node() *sim.Node { return s.node }

// Peer returns the running peer, or nil while the node is down or its software halted.
func (s *Server) Peer() *zab.Peer {
	if !s.node.Up() || s.cur == nil || s.cur.halted {
		return nil
	}
	return s.cur.peer
}

// Up reports whether the server runs: its node is up and its software did not halt.
func (s *Server) Up() bool { return s.Peer() != nil }

// Status describes the server in one line: the peer's Status, or why there is none.
func (s *Server) Status() string {
	switch {
	case !s.node.Up():
		return fmt.Sprintf("server %d down", s.id)
	case s.cur == nil || s.cur.peer == nil:
		return fmt.Sprintf("server %d refused to start: %v", s.id, s.lastErr())
	case s.cur.halted:
		return fmt.Sprintf("server %d halted: %v", s.id, s.lastErr())
	}
	return s.cur.peer.Status()
}

// Metrics returns the peer's counters, or the zero Metrics when it does not run.
func (s *Server) Metrics() zab.Metrics {
	if p := s.Peer(); p != nil {
		return p.Metrics()
	}
	return zab.Metrics{}
}

// Applied returns the txns the latest incarnation applied, in zxid order (Ready.Committed). A
// restarted server starts a new list: what it recovers from its disk is reported again only as
// it applies it. It is empty unless Options.KeepApplied is set. The caller must not modify the
// txns.
func (s *Server) Applied() []*tree.Txn {
	if s.cur == nil {
		return nil
	}
	return s.cur.applied
}

// AppliedTotal counts the txns applied over every incarnation.
func (s *Server) AppliedTotal() int64 { return s.appliedTotal }

// Errors returns every boot and runtime error of the server, oldest first: a server that
// refused to start (B1's checks on a damaged disk), a storage failure that halted it.
func (s *Server) Errors() []error { return append([]error(nil), s.errs...) }

// HostStats returns the host's counters.
func (s *Server) HostStats() HostStats { return s.stats }

func (s *Server) lastErr() error {
	if len(s.errs) == 0 {
		return nil
	}
	return s.errs[len(s.errs)-1]
}

// note adds a line of the host's own to the trace.
func (s *Server) note(format string, args ...any) { s.node.Logf(format, args...) }

// fail records an error of the server and logs it.
func (s *Server) fail(err error) {
	err = fmt.Errorf("server %d incarnation %d: %w", s.id, s.node.Incarnation(), err)
	s.errs = append(s.errs, err)
	s.node.Logf("error: %v", err)
}

// boot is the node's sim.Boot: it recovers the server from the disk and starts it. The peer
// starts from a timer due now rather than inside boot, so that on the world's first boots every
// server node exists before any of them dials another.
func (s *Server) boot(n *sim.Node) {
	s.node = n // the first boot runs inside AddNode, before it returns the node
	inc := &incarnation{
		s: s, node: n,
		election: map[wire.ServerID]*electionOut{},
		clients:  map[uint64]*sim.Conn{},
	}
	s.cur = inc
	err := inc.recover()
	s.recovered = 0
	if inc.peer != nil {
		s.recovered = inc.peer.Metrics().LastLogged
	}
	if s.obs != nil {
		s.obs.booted(s)
	}
	if err != nil {
		s.fail(err)
		inc.halted = true
		if s.obs != nil {
			s.obs.halted(s, err)
		}
		return
	}
	inc.timer = n.NewTimer("zab-tick", inc.tick)
	n.After(0, "zab-start", inc.start)
}

// recover opens the store and builds the peer from what it holds.
func (inc *incarnation) recover() error {
	store, rec, err := storage.Open(&diskFS{node: inc.node}, inc.s.store)
	if err != nil {
		return err // storage's errors name the package
	}
	inc.store = store
	for _, line := range rec.Repairs {
		inc.node.Logf("storage repair: %s", line)
	}
	zrec := zab.Recovered{
		AcceptedEpoch: rec.AcceptedEpoch,
		CurrentEpoch:  rec.CurrentEpoch,
		SnapshotZxid:  tree.Zxid(rec.SnapshotZxid),
		Snapshot:      rec.Snapshot,
		Log:           make([]*tree.Txn, 0, len(rec.Records)),
	}
	var dec tree.Decoder // a log names the same few paths over and over
	for _, r := range rec.Records {
		x, err := dec.DecodeTxn(r.Payload)
		if err != nil {
			return fmt.Errorf("txn log record %s: %w", tree.Zxid(r.Zxid), err)
		}
		if uint64(x.Zxid) != r.Zxid {
			return fmt.Errorf("txn log record %s holds txn %s", tree.Zxid(r.Zxid), x.Zxid)
		}
		zrec.Log = append(zrec.Log, x)
	}
	cfg := inc.s.cfg
	rnd := inc.node.Rand()
	cfg.Rand = func(n int64) int64 {
		if n <= 0 {
			return 0
		}
		return int64(rnd.Below(uint64(n)))
	}
	p, err := zab.NewPeer(cfg, zrec)
	if err != nil {
		return err
	}
	inc.peer = p
	return nil
}

// start listens on the three ports and starts the peer.
func (inc *incarnation) start() {
	if inc.halted {
		return
	}
	n := inc.node
	n.Listen(ElectionPort, inc.acceptElection)
	n.Listen(QuorumPort, inc.acceptQuorum)
	n.Listen(ClientPort, func(*sim.Conn) sim.ConnHandler { return clientHandler{inc} })
	inc.peer.Start(inc.now())
	inc.drain()
}

func (inc *incarnation) acceptElection(c *sim.Conn) sim.ConnHandler {
	id, ok := inc.s.roster.serverID(c.Peer())
	if !ok || inc.halted {
		return nil
	}
	return electionAcceptor{inc: inc, from: id}
}

func (inc *incarnation) now() time.Duration { return virtual(inc.node.Now()) }

// later runs fn from the event loop after the current event, then drains the peer: for inputs
// the host owes the peer while it is executing the peer's output.
func (inc *incarnation) later(label string, fn func()) {
	inc.node.After(0, label, func() {
		if inc.halted {
			return
		}
		fn()
		inc.drain()
	})
}

// tick is the timer's function: time passed up to the peer's deadline.
func (inc *incarnation) tick() {
	if inc.halted {
		return
	}
	now := inc.node.Now()
	if now != inc.tickAt {
		inc.tickAt, inc.ticksAt = now, 0
	}
	inc.ticksAt++
	inc.peer.Tick(virtual(now))
	inc.drain()
}

// drain executes the peer's output until it has none, then re-arms the timer at its deadline.
// It runs after every input to the peer.
func (inc *incarnation) drain() {
	if inc.draining || inc.halted || inc.dead {
		return
	}
	inc.draining = true
	for !inc.halted && !inc.dead {
		rd := inc.peer.Ready()
		if rd.Empty() {
			break
		}
		inc.execute(rd)
	}
	inc.draining = false
	if inc.dead {
		return
	}
	if inc.s.obs != nil {
		inc.s.obs.drained(inc.s)
	}
	if !inc.halted {
		inc.arm()
	}
}

// arm sets the one timer at the peer's deadline.
func (inc *incarnation) arm() {
	d := inc.peer.Deadline()
	if d == time.Duration(sim.Never) {
		inc.timer.Stop()
		return
	}
	now := inc.node.Now()
	at := kernel(d).Max(now)
	if at == now && inc.tickAt == now && inc.ticksAt >= maxTicksPerInstant {
		if inc.ticksAt == maxTicksPerInstant {
			inc.s.stats.StuckDeadlines++
			inc.s.note("zab: Deadline %v is not after the Tick at %v, %d times: timer pushed 1ms", d, virtual(now), inc.ticksAt)
		}
		at = now.Add(time.Millisecond)
	}
	inc.timer.ResetAt(at)
}

// execute carries out one Ready in the order its doc prescribes: disk ops, then sends, then the
// fsync whose completion sends AfterSync and reports Synced.
func (inc *incarnation) execute(rd *zab.Ready) {
	s := inc.s
	if s.traceReady {
		inc.traceReady(rd)
	}
	if s.keepApplied {
		inc.applied = append(inc.applied, rd.Committed...)
	}
	s.appliedTotal += int64(len(rd.Committed))
	if s.obs != nil && len(rd.Committed) > 0 {
		s.obs.committed(s, rd.Committed)
	}
	if len(rd.Disk) > 0 {
		if err := inc.runDisk(rd.Disk); err != nil {
			inc.halt(err)
			return
		}
	}
	for i := range rd.Send {
		inc.send(&rd.Send[i])
	}
	// A trigger may crash the node here, after the log writes and the sends but before the fsync
	// (faults.go): the node is gone, so nothing more of the Ready runs.
	if s.trips != nil {
		if s.trips.afterSend(s, rd) {
			inc.dead = true
			return
		}
	}
	if !rd.Sync {
		if len(rd.AfterSync) == 0 {
			return
		}
		// Not a Ready the peer should produce: AfterSync waits for an fsync it did not ask
		// for. Honour the durability rule anyway.
		s.note("zab: Ready with %d AfterSync envelopes and no Sync", len(rd.AfterSync))
	}
	// The peer reuses rd's slices two Readys later: keep the envelopes until the fsync is done.
	inc.afterSync.PushAll(rd.AfterSync)
	inc.syncing.Push(pendingSync{token: rd.SyncToken, after: len(rd.AfterSync)})
	if inc.onSynced == nil {
		inc.onSynced = inc.synced
	}
	inc.store.Sync(inc.onSynced)
}

// pendingSync is one fsync the peer asked for: its token, and how many AfterSync envelopes wait
// for it at the front of incarnation.afterSync.
type pendingSync struct {
	token uint64
	after int
}

// synced completes the oldest fsync in flight: its AfterSync envelopes go out, then the peer
// learns the token is durable.
func (inc *incarnation) synced(err error) {
	if inc.halted {
		return
	}
	if err != nil {
		inc.halt(err)
		return
	}
	ps := inc.syncing.Pop()
	if inc.s.traceReady {
		inc.node.Logf("synced token %d, %d after-sync", ps.token, ps.after)
	}
	for range ps.after {
		inc.send(inc.afterSync.Front()) // sending never touches the queue
		inc.afterSync.Discard()
	}
	inc.peer.Synced(inc.now(), ps.token)
	inc.drain()
}

// traceReady logs one Ready, one line per item.
func (inc *incarnation) traceReady(rd *zab.Ready) {
	n := inc.node
	for _, op := range rd.Disk {
		n.Logf("ready disk %s", op)
	}
	for _, e := range rd.Send {
		n.Logf("ready send %s", e)
	}
	if rd.Sync {
		n.Logf("ready sync token %d", rd.SyncToken)
	}
	for _, e := range rd.AfterSync {
		n.Logf("ready after-sync %s", e)
	}
	for _, x := range rd.Committed {
		n.Logf("ready committed %s", x.Zxid)
	}
}

// runDisk runs the disk ops in order; consecutive appends go to the store as one batch.
func (inc *incarnation) runDisk(ops []zab.DiskOp) (err error) {
	defer func() {
		// The store panics on a caller bug (zxids that do not increase): that is the peer's
		// output, so report it as the server's error instead of taking the whole run down.
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: the store refused it: %v", errBadOutput, r)
		}
	}()
	st := inc.store
	var recs []storage.Record
	// Payloads are encoded one after another into scratch; a payload keeps pointing at the
	// array it was written to even when a later append moves scratch, and the store copies
	// them all before flush returns.
	arena := inc.scratch[:0]
	flush := func() {
		if len(recs) > 0 {
			st.Append(recs...)
			recs = recs[:0]
			arena = arena[:0]
		}
	}
	defer func() { inc.scratch = arena[:0] }()
	for i := range ops {
		op := &ops[i]
		if op.Kind != zab.DiskAppend {
			flush()
		}
		switch op.Kind {
		case zab.DiskAppend:
			if op.Txn == nil {
				return fmt.Errorf("%w: append without a txn", errBadOutput)
			}
			start := len(arena)
			// Encoded once per ensemble (wire.TxnShare.AppendTxn): a leader's txn is
			// remembered here for its proposals, and a follower's is usually the one its
			// proposal just brought, whose encoding is the bytes that were received.
			arena = inc.s.roster.txns.AppendTxn(arena, op.Txn)
			recs = append(recs, storage.Record{Zxid: uint64(op.Txn.Zxid), Payload: arena[start:len(arena):len(arena)]})
		case zab.DiskTruncate:
			if err := st.TruncateAfter(uint64(op.Zxid)); err != nil {
				return err
			}
		case zab.DiskSnapshot:
			st.SaveSnapshot(uint64(op.Zxid), op.Snapshot)
		case zab.DiskAcceptedEpoch:
			st.SetAcceptedEpoch(op.Epoch)
		case zab.DiskCurrentEpoch:
			st.SetCurrentEpoch(op.Epoch)
		case zab.DiskPurge:
			if removed := st.Purge(op.Retain); len(removed) > 0 {
				inc.node.Logf("purged %d files, %s to %s", len(removed), removed[0], removed[len(removed)-1])
			}
		default:
			return fmt.Errorf("%w: disk op %s", errBadOutput, op.Kind)
		}
	}
	flush()
	return nil
}

// send carries out one envelope.
func (inc *incarnation) send(e *zab.Envelope) {
	switch e.Kind {
	case zab.SendNotification:
		inc.notify(e.To, e.Notification)
	case zab.DialLeader:
		inc.dialLeader(e.To)
	case zab.SendPacket:
		inc.sendPacket(e.Link, &e.Packet)
	case zab.ClosePeer:
		inc.closePeer(e.Link)
	case zab.SendClient:
		inc.sendClient(e.Conn, e.Client)
	case zab.CloseClient:
		inc.closeClient(e.Conn)
	default:
		inc.s.note("zab: envelope of unknown kind %d dropped", e.Kind)
	}
}

// halt stops the software as a process that exits on a storage error does (ZooKeeper exits when
// it cannot write its log): every connection closes, nothing listens, the timer stops. The node
// stays up with its disk; Crash and Restart bring the server back from what the disk holds.
func (inc *incarnation) halt(err error) {
	if inc.halted {
		return
	}
	inc.s.fail(err)
	inc.halted = true
	if inc.s.obs != nil {
		inc.s.obs.halted(inc.s, err)
	}
	n := inc.node
	n.Listen(ElectionPort, nil)
	n.Listen(QuorumPort, nil)
	n.Listen(ClientPort, nil)
	if inc.timer != nil {
		inc.timer.Stop()
	}
	for _, q := range inc.quorum {
		q.conn.Close()
	}
	for _, id := range sortedKeys(inc.clients) {
		inc.clients[id].Close()
	}
	for _, id := range sortedKeys(inc.election) {
		if c := inc.election[id].conn; c != nil {
			c.Close()
		}
	}
	inc.quorum = nil
	clear(inc.clients)
	clear(inc.election)
}

// badFrame closes a connection whose peer sent bytes that do not decode, and counts it.
func (inc *incarnation) badFrame(c *sim.Conn, channel string, err error) {
	inc.s.stats.BadFrames++
	inc.s.note("bad %s frame on c%d from %s: %v", channel, c.ID(), inc.node.World().Node(c.Peer()), err)
	c.Close()
}

func errSidMismatch(got, want wire.ServerID) error {
	return fmt.Errorf("%w: notification says it is from server %d, its connection is from server %d", ErrBadFrame, got, want)
}
