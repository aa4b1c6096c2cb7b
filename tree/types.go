package tree

import "fmt"

// Zxid is a ZooKeeper transaction id: epoch<<32 | counter (zookeeper.md B1).
// The tree treats it as an opaque, increasing number.
type Zxid int64

// String prints a zxid as ZooKeeper's logs do, in hex: "0x100000003".
func (z Zxid) String() string { return fmt.Sprintf("0x%x", int64(z)) }

// SessionID identifies a client session (zookeeper.md A9). Zero is "no
// session" and is never a live session.
type SessionID int64

// String prints a session id in hex, as ZooKeeper does.
func (s SessionID) String() string { return fmt.Sprintf("0x%x", uint64(s)) }

// OpCode is a request or txn type with ZooKeeper's wire values
// (zookeeper.md A12b).
type OpCode int32

// The opcodes of zookeeper.md A12b that the tree understands.
const (
	OpNotification         OpCode = 0
	OpCreate               OpCode = 1
	OpDelete               OpCode = 2
	OpExists               OpCode = 3
	OpGetData              OpCode = 4
	OpSetData              OpCode = 5
	OpGetACL               OpCode = 6
	OpSetACL               OpCode = 7
	OpGetChildren          OpCode = 8
	OpSync                 OpCode = 9
	OpPing                 OpCode = 11
	OpGetChildren2         OpCode = 12
	OpCheck                OpCode = 13
	OpMulti                OpCode = 14
	OpCreate2              OpCode = 15
	OpReconfig             OpCode = 16
	OpCheckWatches         OpCode = 17
	OpRemoveWatches        OpCode = 18
	OpCreateContainer      OpCode = 19
	OpDeleteContainer      OpCode = 20
	OpCreateTTL            OpCode = 21
	OpMultiRead            OpCode = 22
	OpAuth                 OpCode = 100
	OpSetWatches           OpCode = 101
	OpGetEphemerals        OpCode = 103
	OpGetAllChildrenNumber OpCode = 104
	OpSetWatches2          OpCode = 105
	OpAddWatch             OpCode = 106
	OpWhoAmI               OpCode = 107
	OpCreateSession        OpCode = -10
	OpCloseSession         OpCode = -11
	OpError                OpCode = -1
)

var opNames = map[OpCode]string{
	OpNotification: "notification", OpCreate: "create", OpDelete: "delete",
	OpExists: "exists", OpGetData: "getData", OpSetData: "setData",
	OpGetACL: "getACL", OpSetACL: "setACL", OpGetChildren: "getChildren",
	OpSync: "sync", OpPing: "ping", OpGetChildren2: "getChildren2",
	OpCheck: "check", OpMulti: "multi", OpCreate2: "create2",
	OpReconfig: "reconfig", OpCheckWatches: "checkWatches",
	OpRemoveWatches: "removeWatches", OpCreateContainer: "createContainer",
	OpDeleteContainer: "deleteContainer", OpCreateTTL: "createTTL",
	OpMultiRead: "multiRead", OpAuth: "auth", OpSetWatches: "setWatches",
	OpGetEphemerals: "getEphemerals", OpGetAllChildrenNumber: "getAllChildrenNumber",
	OpSetWatches2: "setWatches2", OpAddWatch: "addWatch", OpWhoAmI: "whoAmI",
	OpCreateSession: "createSession", OpCloseSession: "closeSession",
	OpError: "error",
}

// String names the opcode as ZooKeeper's Request.op2String does.
func (o OpCode) String() string {
	if name, ok := opNames[o]; ok {
		return name
	}
	return fmt.Sprintf("OpCode(%d)", int32(o))
}

// IsWrite reports whether requests of this type become txns.
func (o OpCode) IsWrite() bool {
	switch o {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL, OpDelete,
		OpDeleteContainer, OpSetData, OpSetACL, OpCheck, OpMulti,
		OpCreateSession, OpCloseSession:
		return true
	}
	return false
}

// CreateMode is a create flag (zookeeper.md A2, CreateMode.java).
type CreateMode int32

// The create modes with their wire flags.
const (
	Persistent                  CreateMode = 0
	Ephemeral                   CreateMode = 1
	PersistentSequential        CreateMode = 2
	EphemeralSequential         CreateMode = 3
	Container                   CreateMode = 4
	PersistentWithTTL           CreateMode = 5
	PersistentSequentialWithTTL CreateMode = 6
)

// Valid reports whether m is one of the seven flags; an unknown flag is
// BadArguments (CreateMode.fromFlag).
func (m CreateMode) Valid() bool { return m >= Persistent && m <= PersistentSequentialWithTTL }

// IsEphemeral reports whether the node dies with its session.
func (m CreateMode) IsEphemeral() bool { return m == Ephemeral || m == EphemeralSequential }

// IsSequential reports whether the create appends the parent's counter.
func (m CreateMode) IsSequential() bool {
	return m == PersistentSequential || m == EphemeralSequential || m == PersistentSequentialWithTTL
}

// IsContainer reports whether the node is a container (A2.1).
func (m CreateMode) IsContainer() bool { return m == Container }

// IsTTL reports whether the node carries a time to live (A2.1).
func (m CreateMode) IsTTL() bool { return m == PersistentWithTTL || m == PersistentSequentialWithTTL }

var modeNames = [...]string{"persistent", "ephemeral", "persistent-sequential",
	"ephemeral-sequential", "container", "persistent-ttl", "persistent-sequential-ttl"}

// String names the mode in lower case, as transcripts and histories write it.
func (m CreateMode) String() string {
	if m.Valid() {
		return modeNames[m]
	}
	return fmt.Sprintf("CreateMode(%d)", int32(m))
}

// ParseCreateMode is the inverse of [CreateMode.String].
func ParseCreateMode(s string) (CreateMode, bool) {
	for i, name := range modeNames {
		if name == s {
			return CreateMode(i), true
		}
	}
	return 0, false
}

// EventType is a watch event type (Watcher.Event.EventType, zookeeper.md A8.1).
type EventType int32

// The event types with ZooKeeper's values.
const (
	EventNone                   EventType = -1
	EventNodeCreated            EventType = 1
	EventNodeDeleted            EventType = 2
	EventNodeDataChanged        EventType = 3
	EventNodeChildrenChanged    EventType = 4
	EventDataWatchRemoved       EventType = 5
	EventChildWatchRemoved      EventType = 6
	EventPersistentWatchRemoved EventType = 7
)

var eventNames = map[EventType]string{
	EventNone: "None", EventNodeCreated: "NodeCreated", EventNodeDeleted: "NodeDeleted",
	EventNodeDataChanged: "NodeDataChanged", EventNodeChildrenChanged: "NodeChildrenChanged",
	EventDataWatchRemoved: "DataWatchRemoved", EventChildWatchRemoved: "ChildWatchRemoved",
	EventPersistentWatchRemoved: "PersistentWatchRemoved",
}

// String names the event type as ZooKeeper's enum does.
func (e EventType) String() string {
	if name, ok := eventNames[e]; ok {
		return name
	}
	return fmt.Sprintf("EventType(%d)", int32(e))
}

// Stat is the client-visible stat of a znode (zookeeper.md A4), in the field
// order of zookeeper.jute's Stat.
type Stat struct {
	Czxid          Zxid  // the zxid of the create
	Mzxid          Zxid  // the zxid of the last setData (or the create)
	Ctime          int64 // the leader's clock at the create, in ms
	Mtime          int64 // the leader's clock at the last setData, in ms
	Version        int32 // data version: setData count
	Cversion       int32 // child changes: 2*creates - numChildren (A3)
	Aversion       int32 // ACL version: setACL count
	EphemeralOwner int64 // the owning session of an ephemeral; 0 otherwise, including containers and TTL nodes
	DataLength     int32
	NumChildren    int32
	Pzxid          Zxid // the zxid of the last child create or delete
}

// String prints every field on one line, in jute order, for transcripts.
func (s Stat) String() string {
	return fmt.Sprintf("czxid=%s mzxid=%s ctime=%d mtime=%d version=%d cversion=%d aversion=%d ephemeralOwner=0x%x dataLength=%d numChildren=%d pzxid=%s",
		s.Czxid, s.Mzxid, s.Ctime, s.Mtime, s.Version, s.Cversion, s.Aversion,
		uint64(s.EphemeralOwner), s.DataLength, s.NumChildren, s.Pzxid)
}
