package wire

import (
	"fmt"

	"zoosim/tree"
)

// Special xids of the client protocol (zookeeper.md A12b, ClientCnxn).
const (
	XidNotification int32 = -1 // a watch event
	XidPing         int32 = -2
	XidAuth         int32 = -4
	XidSetWatches   int32 = -8
)

// KeeperState is a session state carried by session events (Watcher.Event.KeeperState,
// zookeeper.md A9).
type KeeperState int32

const (
	StateDisconnected      KeeperState = 0
	StateSyncConnected     KeeperState = 3
	StateAuthFailed        KeeperState = 4
	StateConnectedReadOnly KeeperState = 5
	StateExpired           KeeperState = -112
	StateClosed            KeeperState = 7
)

func (s KeeperState) String() string {
	switch s {
	case StateDisconnected:
		return "Disconnected"
	case StateSyncConnected:
		return "SyncConnected"
	case StateAuthFailed:
		return "AuthFailed"
	case StateConnectedReadOnly:
		return "ConnectedReadOnly"
	case StateExpired:
		return "Expired"
	case StateClosed:
		return "Closed"
	}
	return fmt.Sprintf("KeeperState(%d)", int32(s))
}

// ClientMessage is one frame of the client protocol. Every frame on a client connection is one
// of ConnectRequest, ConnectResponse, Request, Reply or Event.
type ClientMessage interface {
	clientMessage()
}

// ConnectRequest opens or resumes a session (ConnectRequest in jute). SessionID 0 asks for a new
// session; otherwise the server revalidates (SessionID, Passwd) and refuses the connection when
// LastZxidSeen is ahead of its own last processed zxid (zookeeper.md A9).
type ConnectRequest struct {
	LastZxidSeen tree.Zxid
	Timeout      int32 // requested session timeout, ms
	SessionID    tree.SessionID
	Passwd       []byte
}

// ConnectResponse answers a ConnectRequest. Timeout 0 means the session has expired (or the
// password did not match): the client reports Expired and closes (zookeeper.md A9).
type ConnectResponse struct {
	Timeout   int32 // negotiated timeout, ms
	SessionID tree.SessionID
	Passwd    []byte
}

// Request is one client request: the xid the client numbered it with and the operation.
// Pings carry XidPing and OpPing; closing a session is OpCloseSession; adding a digest
// credential is XidAuth with OpAuth and Req.Data = "user:password"; setWatches carries
// XidSetWatches and OpSetWatches (or OpSetWatches2).
type Request struct {
	Xid int32
	Req tree.Request
}

// Reply answers the Request with the same Xid. Zxid is the server's last processed zxid when
// it replied (ReplyHeader.zxid), which the client tracks to refuse servers behind it.
type Reply struct {
	Xid    int32
	Zxid   tree.Zxid
	Err    tree.Code
	Result tree.Result
}

// Event is a watch event (Type ≠ EventNone) or a session event (Type = EventNone, State set),
// sent with XidNotification (WatcherEvent in jute). Zxid is the server's last processed zxid
// when the event was sent, as in the notification's ReplyHeader.
type Event struct {
	Type  tree.EventType
	State KeeperState
	Path  string
	Zxid  tree.Zxid
}

func (*ConnectRequest) clientMessage()  {}
func (*ConnectResponse) clientMessage() {}
func (*Request) clientMessage()         {}
func (*Reply) clientMessage()           {}
func (*Event) clientMessage()           {}
