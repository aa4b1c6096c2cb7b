package wire

import (
	"fmt"

	"zoosim/tree"
)

// ServerID is a server's myid. Votes compare ids as numbers (zookeeper.md B2).
type ServerID int64

// ServerState is a quorum peer's state as it advertises it in notifications (B2).
type ServerState int8

const (
	Looking ServerState = iota
	Following
	Leading
	Observing
)

func (s ServerState) String() string {
	switch s {
	case Looking:
		return "LOOKING"
	case Following:
		return "FOLLOWING"
	case Leading:
		return "LEADING"
	case Observing:
		return "OBSERVING"
	}
	return fmt.Sprintf("ServerState(%d)", int8(s))
}

// Vote proposes a leader: the candidate's id, its last logged zxid and its currentEpoch.
// Votes are ordered by (PeerEpoch, Zxid, Leader), zookeeper.md B2 totalOrderPredicate.
type Vote struct {
	Leader    ServerID
	Zxid      tree.Zxid
	PeerEpoch int64
}

// Beats reports whether v is strictly better than w in FLE's total order on votes.
func (v Vote) Beats(w Vote) bool {
	if v.PeerEpoch != w.PeerEpoch {
		return v.PeerEpoch > w.PeerEpoch
	}
	if v.Zxid != w.Zxid {
		return v.Zxid > w.Zxid
	}
	return v.Leader > w.Leader
}

func (v Vote) String() string {
	return fmt.Sprintf("(%d, %s, e%d)", v.Leader, v.Zxid, v.PeerEpoch)
}

// Notification is a Fast Leader Election message (FastLeaderElection.Notification, B2): the
// sender's current vote, its election round (logicalclock) and its state.
type Notification struct {
	Vote
	ElectionEpoch int64
	State         ServerState
	Sid           ServerID
}

func (n Notification) String() string {
	return fmt.Sprintf("%s from %d round %d %s", n.Vote, n.Sid, n.ElectionEpoch, n.State)
}

// PacketType is the type of a Leader/Learner packet; the numbers are ZooKeeper's (B3).
type PacketType int8

const (
	PacketRequest      PacketType = 1
	PacketProposal     PacketType = 2
	PacketAck          PacketType = 3
	PacketCommit       PacketType = 4
	PacketPing         PacketType = 5
	PacketRevalidate   PacketType = 6
	PacketSync         PacketType = 7
	PacketNewLeader    PacketType = 10
	PacketFollowerInfo PacketType = 11
	PacketUpToDate     PacketType = 12
	PacketDiff         PacketType = 13
	PacketTrunc        PacketType = 14
	PacketSnap         PacketType = 15
	PacketLeaderInfo   PacketType = 17
	PacketAckEpoch     PacketType = 18
)

var packetNames = map[PacketType]string{
	PacketRequest: "REQUEST", PacketProposal: "PROPOSAL", PacketAck: "ACK", PacketCommit: "COMMIT",
	PacketPing: "PING", PacketRevalidate: "REVALIDATE", PacketSync: "SYNC",
	PacketNewLeader: "NEWLEADER", PacketFollowerInfo: "FOLLOWERINFO", PacketUpToDate: "UPTODATE",
	PacketDiff: "DIFF", PacketTrunc: "TRUNC", PacketSnap: "SNAP", PacketLeaderInfo: "LEADERINFO",
	PacketAckEpoch: "ACKEPOCH",
}

func (t PacketType) String() string {
	if s, ok := packetNames[t]; ok {
		return s
	}
	return fmt.Sprintf("PacketType(%d)", int8(t))
}

// Packet is one Leader/Learner packet (QuorumPacket, B3–B5), flattened: each type uses the
// fields its comment names and leaves the rest zero.
//
//	FOLLOWERINFO  Zxid = acceptedEpoch<<32, Sid
//	LEADERINFO    Zxid = newEpoch<<32
//	ACKEPOCH      Zxid = lastLoggedZxid, Epoch = currentEpoch (or -1)
//	DIFF          Zxid = the leader's last zxid that the sync brings the learner to
//	TRUNC         Zxid = the zxid to truncate the learner's log to
//	SNAP          Zxid = the snapshot's zxid, Snapshot = tree.WriteSnapshot bytes
//	PROPOSAL      Zxid, Txn
//	COMMIT        Zxid
//	NEWLEADER     Zxid = newEpoch<<32
//	UPTODATE      (nothing)
//	ACK           Zxid
//	PING          leader→learner: Zxid = the leader's last committed zxid;
//	              learner→leader: Touches, the sessions its clients touched
//	REQUEST       Forward: a client write (or sync, createSession, closeSession) the learner
//	              forwards to the leader
//	SYNC          leader→learner: Forward names the sync request to complete
//	REVALIDATE    learner→leader: Session, Timeout, Passwd; leader→learner: Session, Valid
type Packet struct {
	Type     PacketType
	Zxid     tree.Zxid
	Sid      ServerID
	Epoch    int64
	Txn      *tree.Txn
	Snapshot []byte
	Forward  *Forward
	Touches  []Touch
	Session  tree.SessionID
	Timeout  int32
	Passwd   []byte
	Valid    bool
}

func (p *Packet) String() string {
	s := fmt.Sprintf("%s %s", p.Type, p.Zxid)
	switch p.Type {
	case PacketFollowerInfo:
		s += fmt.Sprintf(" sid=%d", p.Sid)
	case PacketAckEpoch:
		s += fmt.Sprintf(" currentEpoch=%d", p.Epoch)
	case PacketProposal:
		if p.Txn != nil {
			s = fmt.Sprintf("%s %s", p.Type, p.Txn)
		}
	case PacketSnap:
		s += fmt.Sprintf(" %d bytes", len(p.Snapshot))
	case PacketRequest, PacketSync:
		if p.Forward != nil {
			s = fmt.Sprintf("%s %s", p.Type, p.Forward)
		}
	case PacketPing:
		if len(p.Touches) > 0 {
			s += fmt.Sprintf(" touches=%v", p.Touches)
		}
	case PacketRevalidate:
		s += fmt.Sprintf(" session=%s timeout=%d valid=%v", p.Session, p.Timeout, p.Valid)
	}
	return s
}

// Forward is a client request that a learner forwards to the leader (ZooKeeper's Request as
// written by Learner.request): who sent it, the server that holds the client's connection
// (the session's owner), and the credentials of the connection.
type Forward struct {
	Session tree.SessionID
	Cxid    int32
	Owner   ServerID
	Req     tree.Request
	Auth    tree.Auth
	Passwd  []byte // createSession: the session's password
}

func (f *Forward) String() string {
	return fmt.Sprintf("session=%s cxid=%d owner=%d %s", f.Session, f.Cxid, f.Owner, f.Req.String())
}

// Touch reports that a session had contact with a learner's client (Learner.ping's
// (sessionId, timeout) pairs, zookeeper.md A9).
type Touch struct {
	Session tree.SessionID
	Timeout int32
}
