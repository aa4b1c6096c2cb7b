package tree

import (
	"fmt"
	"strings"
)

// Header says who sent a request and where the leader ordered it
// (TxnHeader without the type).
type Header struct {
	Session SessionID // the session that sent the request (TxnHeader.clientId)
	Cxid    int32     // the client's request id
	Zxid    Zxid
	Time    int64 // the leader's clock when it prepared the request, in ms
}

// Txn is a prepared write: the header of ZooKeeper's TxnHeader and the body
// of one of its txn records (CreateTxn, DeleteTxn, SetDataTxn, SetACLTxn,
// CheckVersionTxn, ErrorTxn, MultiTxn, CreateSessionTxn, CloseSessionTxn),
// flattened into one struct.
//
// A txn carries every decision the leader made (zookeeper.md A13.2): the
// final sequential path, the new versions, the parent's new child-create
// counter, the owner of an ephemeral, the ephemerals a closing session
// leaves. Applying it replays those values and derives nothing, so every
// replica that applies the same txns reaches the same state.
type Txn struct {
	Header
	Type OpCode // the txn type: a write opcode, or OpError

	Path string
	Data []byte // create, setData
	ACL  []ACL  // create, setACL: already fixed up (auth expanded)
	// EphemeralOwner is the raw owner of a created node: the session for an
	// ephemeral, ContainerOwner, TTLOwner(ttl), or 0.
	EphemeralOwner int64
	// ParentCversion is the parent's child-create counter after a create.
	ParentCversion int32
	// Version is the new data version (setData), the new ACL version (setACL),
	// or current+1 for a check, as in CheckVersionTxn.
	Version int32
	Timeout int32    // createSession: the negotiated timeout, in ms
	Paths   []string // closeSession: the ephemerals to delete, sorted
	Err     Code     // OpError: the failure
	Ops     []Txn    // multi: one sub-txn per op; only Type and body are used
	// Digest is the tree digest the leader expects after this txn, or 0 when
	// it does not say; Apply compares it (ZooKeeper's TxnDigest).
	Digest uint64
}

// String prints the txn on one line for transcripts and logs.
func (x *Txn) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s zxid=%s session=%s", x.Type, x.Zxid, x.Session)
	x.writeBody(&b)
	return b.String()
}

func (x *Txn) writeBody(b *strings.Builder) {
	switch x.Type {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL:
		fmt.Fprintf(b, " %s data=%q owner=0x%x parentCversion=%d", x.Path, x.Data, uint64(x.EphemeralOwner), x.ParentCversion)
	case OpDelete, OpDeleteContainer:
		fmt.Fprintf(b, " %s", x.Path)
	case OpSetData:
		fmt.Fprintf(b, " %s data=%q version=%d", x.Path, x.Data, x.Version)
	case OpSetACL:
		fmt.Fprintf(b, " %s acl=%v version=%d", x.Path, x.ACL, x.Version)
	case OpCheck:
		fmt.Fprintf(b, " %s version=%d", x.Path, x.Version)
	case OpCreateSession:
		fmt.Fprintf(b, " timeout=%d", x.Timeout)
	case OpCloseSession:
		fmt.Fprintf(b, " paths=%v", x.Paths)
	case OpError:
		fmt.Fprintf(b, " err=%s", x.Err)
	case OpMulti:
		b.WriteString(" [")
		for i := range x.Ops {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(x.Ops[i].Type.String())
			x.Ops[i].writeBody(b)
		}
		b.WriteString("]")
	}
}

// Result is the outcome of one request: a write's as Apply computes it on
// every replica, or a read's as [Tree.Read] serves it.
type Result struct {
	// Type is the request's opcode, or OpError for a write that failed and
	// for each op of a failed multi, as in ZooKeeper's ProcessTxnResult.
	Type OpCode
	Err  Code
	// Path is the path the op acted on; for a create, the final path with
	// its sequential suffix.
	Path string
	// Stat is set for create2/createContainer/createTTL, setData, setACL,
	// exists, getData, getChildren2 and getACL (HasStat).
	Stat     Stat
	HasStat  bool
	Data     []byte   // getData; shared with the tree, do not modify
	Children []string // getChildren, getChildren2: sorted
	ACL      []ACL    // getACL
	Paths    []string // getEphemerals: sorted
	Count    int32    // getAllChildrenNumber
	Multi    []Result // multi, multiRead: one per op
}

// String prints the result on one line for transcripts.
func (r *Result) String() string {
	var b strings.Builder
	r.write(&b)
	return b.String()
}

func (r *Result) write(b *strings.Builder) {
	b.WriteString(r.Err.String())
	if r.Path != "" {
		fmt.Fprintf(b, " path=%s", r.Path)
	}
	if r.Data != nil {
		fmt.Fprintf(b, " data=%q", r.Data)
	}
	if r.Children != nil {
		fmt.Fprintf(b, " children=%v", r.Children)
	}
	if r.ACL != nil {
		fmt.Fprintf(b, " acl=%v", r.ACL)
	}
	if r.Paths != nil {
		fmt.Fprintf(b, " paths=%v", r.Paths)
	}
	if r.Type == OpGetAllChildrenNumber {
		fmt.Fprintf(b, " count=%d", r.Count)
	}
	if r.HasStat {
		fmt.Fprintf(b, " stat={%s}", r.Stat)
	}
	if r.Multi != nil {
		b.WriteString(" [")
		for i := range r.Multi {
			if i > 0 {
				b.WriteString("; ")
			}
			r.Multi[i].write(b)
		}
		b.WriteString("]")
	}
}
