package zab

import (
	"bytes"
	"fmt"
	"time"

	"zoosim/internal/fifo"
	"zoosim/tree"
	"zoosim/zab/election"
	"zoosim/zab/wire"
)

// Role is what a server is doing in the ensemble (ServerState without OBSERVING).
type Role uint8

const (
	Looking Role = iota
	Following
	Leading
)

func (r Role) String() string {
	switch r {
	case Looking:
		return "looking"
	case Following:
		return "following"
	case Leading:
		return "leading"
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

// Recovered is a server's durable state as it finds it at boot: the epoch files, the newest valid
// snapshot, and every logged txn after it (committed or not: ZooKeeper cannot tell them apart on
// disk, B4). A fresh server passes the zero Recovered.
type Recovered struct {
	AcceptedEpoch, CurrentEpoch int64
	SnapshotZxid                tree.Zxid
	Snapshot                    []byte // tree.WriteSnapshot bytes, nil for none
	Log                         []*tree.Txn
}

// Peer is one ZooKeeper server as a pure state machine (package doc).
type Peer struct {
	cfg     Config
	variant variantSet
	voters  map[wire.ServerID]int // voter → bit index in ack sets
	now     time.Duration
	// rd is the Ready being filled; Ready hands it out and switches to the other one of bufs,
	// whose arrays the host is done with by then (Ready's doc). Handing out a pointer instead
	// of swapping two Ready values saves copying and write-barriering their eight slices on
	// every call.
	// Invariant: rd points to bufs[0] or bufs[1].
	rd   *Ready
	bufs [2]Ready

	role Role
	// Invariant: acceptedEpoch >= currentEpoch (B1); both are written to disk before the
	// messages that rely on them leave (AfterSync).
	acceptedEpoch, currentEpoch int64

	data  dataState
	elect *election.Election

	leader  *leaderState  // non-nil while Leading
	learner *learnerState // non-nil while Following
	srv     serverState

	// syncWaits lists what to do when each outstanding fsync completes, in token order (a
	// queue that reuses its array: one popped from the front of a slice reallocated forever).
	syncWaits fifo.Queue[syncWait]
	nextToken uint64

	sessionBase int64 // next session id this server hands out (ZooKeeper's initializeNextSessionId)
	// early holds the results of txns applied before their commit (ReadFromUncommitted only).
	early map[tree.Zxid]earlyResult
	stats stats
}

// syncWait is what the Peer does itself when the fsync with token completes.
type syncWait struct {
	token        uint64
	selfAck      tree.Zxid // leader: its own ACK for every outstanding proposal up to this zxid
	epochDurable bool      // leader: acceptedEpoch is on disk, LEADERINFO may go out
	newLeaderAck bool      // leader: currentEpoch is on disk, it counts its own NEWLEADER ACK
	learnerEpoch bool      // learner: currentEpoch is on disk, the new epoch's txns may be logged
}

// NewPeer builds a server from its config and what it recovered from disk. It starts LOOKING
// once Start is called.
func NewPeer(cfg Config, rec Recovered) (*Peer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	vs, _ := newVariantSet(cfg.Variants)
	p := &Peer{cfg: cfg, variant: vs, voters: map[wire.ServerID]int{}}
	p.rd = &p.bufs[0]
	for i, id := range cfg.Voters {
		p.voters[id] = i
	}
	if err := p.data.recover(cfg, rec); err != nil {
		return nil, err
	}
	// B1 startup checks: a missing epoch file defaults to the epoch of the last zxid.
	last := p.data.lastLogged()
	p.acceptedEpoch, p.currentEpoch = rec.AcceptedEpoch, rec.CurrentEpoch
	if p.currentEpoch == 0 && epochOf(last) > 0 {
		p.currentEpoch = epochOf(last)
	}
	if p.acceptedEpoch < p.currentEpoch {
		if rec.AcceptedEpoch != 0 {
			return nil, fmt.Errorf("%w: acceptedEpoch %d is less than currentEpoch %d", ErrBadRecovery, rec.AcceptedEpoch, p.currentEpoch)
		}
		p.acceptedEpoch = p.currentEpoch
	}
	if epochOf(last) > p.currentEpoch {
		return nil, fmt.Errorf("%w: currentEpoch %d is older than the last zxid %s", ErrBadRecovery, p.currentEpoch, last)
	}
	jitter := cfg.Rand
	e, err := election.New(election.Config{
		Self:                    cfg.ID,
		Voters:                  cfg.Voters,
		FinalizeWait:            cfg.FinalizeWait,
		MinNotificationInterval: cfg.MinNotificationInterval,
		MaxNotificationInterval: cfg.MaxNotificationInterval,
		Jitter:                  jitter,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	p.elect = e
	p.srv.init()
	return p, nil
}

func epochOf(z tree.Zxid) int64                { return int64(uint64(z) >> 32) }
func counterOf(z tree.Zxid) uint32             { return uint32(uint64(z)) }
func makeZxid(epoch int64, c uint32) tree.Zxid { return tree.Zxid(uint64(epoch)<<32 | uint64(c)) }

// Start begins the server's life: it looks for a leader.
func (p *Peer) Start(now time.Duration) {
	p.now = now
	// ZooKeeper's session ids: the top byte is the server id, the rest starts from the clock
	// (SessionTrackerImpl.initializeNextSessionId); virtual time keeps it deterministic and
	// increasing across restarts.
	p.sessionBase = int64(uint64(now.Milliseconds())<<24>>8) | int64(p.cfg.ID)<<56
	p.lookForLeader("start")
}

// Role reports what the server is doing.
func (p *Peer) Role() Role { return p.role }

// Serving reports whether the server answers clients: an established leader, or a follower
// past UPTODATE.
func (p *Peer) Serving() bool { return p.srv.serving }

// Leader returns the server this one leads or follows, once elected (whether or not it is
// established yet).
func (p *Peer) Leader() (wire.ServerID, bool) {
	switch {
	case p.leader != nil:
		return p.cfg.ID, true
	case p.learner != nil:
		return p.learner.leaderID, true
	}
	return 0, false
}

// ID is the server's id.
func (p *Peer) ID() wire.ServerID { return p.cfg.ID }

// Tree is the server's applied state; callers must not modify it.
func (p *Peer) Tree() *tree.Tree { return p.data.tree }

// Ready returns what the host must do now and clears it. The Ready, its slices, and the
// wire.Reply and wire.Forward its envelopes point to are reused two calls later, so the host
// must be done with them by then: a host keeps its own copy of AfterSync until the fsync
// completes, and encodes or copies what it sends. (The txns Committed points to are never
// reused.) The host must not modify the Ready.
func (p *Peer) Ready() *Ready {
	rd := p.rd
	if rd.Empty() {
		// Nothing to hand over: keep filling the same one (a host calls Ready until it is
		// empty, so this is every other call).
		return rd
	}
	next := &p.bufs[0]
	if next == rd {
		next = &p.bufs[1]
	}
	// The arrays are not cleared: every append writes a whole element, so a stale one is never
	// read. A stale one pins the txn or buffer it points to until a later Ready is as long
	// again (bounded by the longest Ready yet), which is cheaper than clearing hundreds of bytes
	// of envelopes, with write barriers while the GC runs, on every call.
	// Reslicing a field to itself stores only its length: no write barrier.
	next.Send = next.Send[:0]
	next.Disk = next.Disk[:0]
	next.AfterSync = next.AfterSync[:0]
	next.Committed = next.Committed[:0]
	next.replies = next.replies[:0]
	next.events = next.events[:0]
	next.forwards = next.forwards[:0]
	next.Sync, next.SyncToken = false, 0
	p.rd = next
	return rd
}

// Deadline is the virtual time at which the host must call Tick next.
func (p *Peer) Deadline() time.Duration {
	d := time.Duration(1<<63 - 1)
	if t, ok := p.elect.Deadline(); ok && p.role == Looking {
		d = min(d, t)
	}
	if p.leader != nil {
		d = min(d, p.leader.deadline(p))
	}
	if p.learner != nil {
		d = min(d, p.learner.deadline)
	}
	return d
}

// Tick lets time pass: election timeouts, pings, session expiry, sync timeouts.
func (p *Peer) Tick(now time.Duration) {
	p.now = now
	switch p.role {
	case Looking:
		p.elect.Tick(now)
		p.afterElection()
	case Leading:
		p.leaderTick()
	case Following:
		p.learnerTick()
	}
}

// Notify delivers an election notification from another server (any role: a settled server
// answers LOOKING servers with its vote, B2).
func (p *Peer) Notify(now time.Duration, n wire.Notification) {
	p.now = now
	p.elect.Receive(now, n)
	p.afterElection()
}

// afterElection sends the election's notifications and acts on its decision.
func (p *Peer) afterElection() {
	for _, o := range p.elect.Outbox() {
		p.rd.Send = append(p.rd.Send, Envelope{Kind: SendNotification, To: o.To, Notification: o.N})
	}
	if p.role != Looking {
		return
	}
	d, ok := p.elect.Decision()
	if !ok {
		return
	}
	if d.Leader == p.cfg.ID {
		p.becomeLeader()
	} else {
		p.becomeFollower(d.Leader)
	}
	for _, o := range p.elect.Outbox() {
		p.rd.Send = append(p.rd.Send, Envelope{Kind: SendNotification, To: o.To, Notification: o.N})
	}
}

// lookForLeader leaves any role and starts an election round (QuorumPeer's main loop). Quorum
// and client connections close, as when ZooKeeper shuts its ZooKeeperServer down.
func (p *Peer) lookForLeader(why string) {
	p.stats.note(p.now, fmt.Sprintf("looking: %s", why))
	if p.leader != nil {
		for _, lh := range p.leader.sortedLearners() {
			p.rd.Send = append(p.rd.Send, Envelope{Kind: ClosePeer, Link: lh.link})
		}
		p.leader = nil
	}
	if p.learner != nil {
		if p.learner.link.Conn != 0 {
			p.rd.Send = append(p.rd.Send, Envelope{Kind: ClosePeer, Link: p.learner.link})
		}
		p.learner = nil
	}
	p.srv.shutdown(p)
	p.role = Looking
	p.stats.elections++
	p.elect.Look(p.now, wire.Vote{Leader: p.cfg.ID, Zxid: p.data.lastLogged(), PeerEpoch: p.currentEpoch})
	p.afterElection()
}

// Synced reports that the fsync of the Ready with this token completed (the host has already
// sent that Ready's AfterSync).
func (p *Peer) Synced(now time.Duration, token uint64) {
	p.now = now
	for p.syncWaits.Len() > 0 && p.syncWaits.Front().token <= token {
		w := p.syncWaits.Pop()
		if p.leader != nil {
			p.leader.synced(p, w)
		}
		if w.learnerEpoch && p.learner != nil && !p.variant.ackBeforeFsync {
			p.learnerEpochDurable()
		}
	}
}

// requestSync asks the host to fsync at the end of this input; w (with its token filled in) runs
// when it completes. Several requests in one input share one fsync.
func (p *Peer) requestSync(w syncWait) {
	if !p.rd.Sync {
		p.nextToken++
		p.rd.Sync = true
		p.rd.SyncToken = p.nextToken
	}
	w.token = p.rd.SyncToken
	if w != (syncWait{token: w.token}) {
		p.syncWaits.Push(w)
	}
}

// sendPacketDurable sends pkt to l once everything written so far is on disk, or at once under
// AckBeforeFsync.
func (p *Peer) sendPacketDurable(l Link, pkt *wire.Packet) {
	if p.variant.ackBeforeFsync {
		p.sendPacket(l, pkt)
		return
	}
	p.requestSync(syncWait{})
	appendPacketEnvelope(&p.rd.AfterSync, l, pkt)
}

func (p *Peer) send(e Envelope) { p.rd.Send = append(p.rd.Send, e) }

// sendPacket queues pkt for the learner or leader at l. The envelope holds a copy, so callers
// pass literals that stay on the stack.
func (p *Peer) sendPacket(l Link, pkt *wire.Packet) { appendPacketEnvelope(&p.rd.Send, l, pkt) }

// appendPacketEnvelope appends the envelope sending pkt to l, built in place: an Envelope is
// large, and every txn sends several, so building it aside and copying it in costs.
func appendPacketEnvelope(to *[]Envelope, l Link, pkt *wire.Packet) {
	*to = append(*to, Envelope{})
	e := &(*to)[len(*to)-1]
	e.Kind, e.Link, e.Packet = SendPacket, l, *pkt
}

func (p *Peer) disk(op DiskOp) { p.rd.Disk = append(p.rd.Disk, op) }

// QuorumUp reports a new quorum connection: the leader's answer to DialLeader on a learner, an
// accepted learner connection on the leader.
func (p *Peer) QuorumUp(now time.Duration, l Link) {
	p.now = now
	switch {
	case p.learner != nil && l.Peer == p.learner.leaderID && p.learner.link.Conn == 0:
		p.learnerConnected(l)
	case p.leader != nil:
		p.leader.accept(p, l)
	default:
		p.send(Envelope{Kind: ClosePeer, Link: l})
	}
}

// QuorumDown reports that a quorum connection broke (or a dial failed: Link.Conn is 0).
func (p *Peer) QuorumDown(now time.Duration, l Link) {
	p.now = now
	switch {
	case p.learner != nil && l.Peer == p.learner.leaderID && (l.Conn == p.learner.link.Conn || l.Conn == 0):
		p.learnerLost(l)
	case p.leader != nil:
		p.leader.drop(p, l)
	}
}

// QuorumPacket delivers a packet that arrived on quorum connection l. The peer keeps nothing of
// *pkt itself past the call (it may keep what pkt points to), so a host can decode every packet
// into one struct.
func (p *Peer) QuorumPacket(now time.Duration, l Link, pkt *wire.Packet) {
	p.now = now
	switch {
	case p.learner != nil && l == p.learner.link:
		p.learnerPacket(pkt)
	case p.leader != nil:
		p.leader.packet(p, l, pkt)
	}
}

// rebuildTree is used when a truncation reaches below the applied state.
func rebuildTree(opts tree.Options, snap []byte) (*tree.Tree, error) {
	if snap == nil {
		return tree.New(opts), nil
	}
	return tree.ReadSnapshot(bytes.NewReader(snap))
}
