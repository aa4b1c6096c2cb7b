package zab

import (
	"fmt"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// DiskOpKind says what a DiskOp does to the server's durable state (zab/storage executes it).
type DiskOpKind uint8

const (
	// DiskAppend appends Txn to the txn log.
	DiskAppend DiskOpKind = iota + 1
	// DiskTruncate drops every logged txn after Zxid, and any snapshot newer than it (TRUNC, B4).
	DiskTruncate
	// DiskSnapshot saves Snapshot (tree.WriteSnapshot bytes) as the snapshot at Zxid.
	DiskSnapshot
	// DiskAcceptedEpoch and DiskCurrentEpoch persist Epoch in the epoch files (B1).
	DiskAcceptedEpoch
	DiskCurrentEpoch
	// DiskPurge removes snapshots and logs beyond the newest Retain snapshots (autopurge).
	DiskPurge
)

func (k DiskOpKind) String() string {
	switch k {
	case DiskAppend:
		return "append"
	case DiskTruncate:
		return "truncate"
	case DiskSnapshot:
		return "snapshot"
	case DiskAcceptedEpoch:
		return "acceptedEpoch"
	case DiskCurrentEpoch:
		return "currentEpoch"
	case DiskPurge:
		return "purge"
	}
	return fmt.Sprintf("DiskOpKind(%d)", uint8(k))
}

// DiskOp is one change to durable state. Ops in a Ready run in order; none is durable until the
// Ready's fsync completes.
type DiskOp struct {
	Kind     DiskOpKind
	Zxid     tree.Zxid // truncate, snapshot
	Txn      *tree.Txn // append
	Snapshot []byte    // snapshot
	Epoch    int64     // epochs
	Retain   int       // purge
}

func (op DiskOp) String() string {
	switch op.Kind {
	case DiskAppend:
		return "append " + op.Txn.Zxid.String()
	case DiskTruncate, DiskSnapshot:
		return fmt.Sprintf("%s %s", op.Kind, op.Zxid)
	case DiskAcceptedEpoch, DiskCurrentEpoch:
		return fmt.Sprintf("%s=%d", op.Kind, op.Epoch)
	case DiskPurge:
		return fmt.Sprintf("purge retain=%d", op.Retain)
	}
	return op.Kind.String()
}

// EnvelopeKind says where an Envelope goes.
type EnvelopeKind uint8

const (
	// SendNotification sends Notification to server To on the election channel. The host
	// connects as needed; a notification may be lost, FLE retransmits (B2).
	SendNotification EnvelopeKind = iota + 1
	// DialLeader asks the host to open a quorum connection to server To; the host answers with
	// QuorumUp or QuorumDown.
	DialLeader
	// SendPacket sends Packet on quorum connection Link (dropped if that connection is gone).
	SendPacket
	// ClosePeer closes quorum connection Link.
	ClosePeer
	// SendClient sends Client on client connection Conn (dropped if that connection is gone).
	SendClient
	// CloseClient closes client connection Conn after everything sent before it.
	CloseClient
)

// Link names one quorum connection: the server at the other end and the host's id for the
// connection, so a packet meant for a broken connection is never sent on its successor.
type Link struct {
	Peer wire.ServerID
	Conn uint64
}

func (l Link) String() string { return fmt.Sprintf("%d/c%d", l.Peer, l.Conn) }

// Envelope is one message (or connection action) the host must carry out.
type Envelope struct {
	Kind         EnvelopeKind
	To           wire.ServerID // notification, dial
	Link         Link          // packet, close peer
	Conn         uint64        // client frame, close client
	Notification wire.Notification
	Packet       wire.Packet
	Client       wire.ClientMessage
}

func (e Envelope) String() string {
	switch e.Kind {
	case SendNotification:
		return fmt.Sprintf("notify %d: %s", e.To, e.Notification)
	case DialLeader:
		return fmt.Sprintf("dial %d", e.To)
	case SendPacket:
		return fmt.Sprintf("send %s: %s", e.Link, e.Packet.String())
	case ClosePeer:
		return fmt.Sprintf("close %s", e.Link)
	case SendClient:
		return fmt.Sprintf("client c%d: %s", e.Conn, clientString(e.Client))
	case CloseClient:
		return fmt.Sprintf("close client c%d", e.Conn)
	}
	return "?"
}

func clientString(m wire.ClientMessage) string {
	switch m := m.(type) {
	case *wire.ConnectResponse:
		return fmt.Sprintf("connected session=%s timeout=%d", m.SessionID, m.Timeout)
	case *wire.Reply:
		return fmt.Sprintf("reply xid=%d zxid=%s %s", m.Xid, m.Zxid, m.Result.String())
	case *wire.Event:
		return fmt.Sprintf("event %s %s %s", m.Type, m.State, m.Path)
	}
	return fmt.Sprintf("%T", m)
}

// Ready is what one input asks the host to do, in this order:
//  1. run Disk in order;
//  2. send Send now;
//  3. if Sync, fsync everything written so far; when that fsync completes, send AfterSync and
//     call Peer.Synced(SyncToken).
//
// AfterSync holds every acknowledgement that promises durability (ACK of a proposal or of
// NEWLEADER, ACKEPOCH after persisting acceptedEpoch, LEADERINFO after the leader persisted it):
// sending one early is exactly the flaw AckBeforeFsync plants.
type Ready struct {
	Disk      []DiskOp
	Send      []Envelope
	Sync      bool
	SyncToken uint64
	AfterSync []Envelope
	// Committed lists the txns this server applied during the input, in zxid order, for
	// histories and checkers; the host must not modify them.
	Committed []*tree.Txn

	// replies, events and forwards hold the Replies, Events and Forwards that Send's envelopes
	// point to: they are recycled with the Ready's other arrays (Peer.Ready), instead of one
	// allocation each.
	replies  []wire.Reply
	events   []wire.Event
	forwards []wire.Forward
}

// Empty reports whether the Ready asks for nothing.
func (r *Ready) Empty() bool {
	return len(r.Disk) == 0 && len(r.Send) == 0 && !r.Sync && len(r.AfterSync) == 0 && len(r.Committed) == 0
}
