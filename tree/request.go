package tree

import (
	"fmt"
	"strings"
)

// Request is a client request as the server receives it: the opcode of the
// RequestHeader and the fields of its record, flattened. Which fields count
// depends on Type, as noted on each.
type Request struct {
	Type OpCode
	Path string // every op with a path; getEphemerals: the prefix
	Data []byte // create*, setData
	ACL  []ACL  // create*, setACL
	Mode CreateMode
	TTL  int64 // createTTL, in ms
	// Version is the expected version of delete, setData, check (data
	// version) and setACL (aversion); -1 matches any (zookeeper.md A6).
	Version int32
	// Watch asks exists, getData, getChildren and getChildren2 to leave a
	// one-shot watch.
	Watch bool
	// Timeout is the timeout a createSession negotiated, in ms.
	Timeout int32
	// WatchMode is the mode of addWatch.
	WatchMode WatchMode
	// WatcherType selects the watches removeWatches and checkWatches act on.
	WatcherType WatcherType
	// Ops are the ops of a multi (create*, delete, setData, check) or of a
	// multiRead (getData, getChildren).
	Ops []Request
	// SetWatches holds the fields of setWatches and setWatches2, which a client sends when it
	// reconnects, and is nil for every other request: they are 128 bytes that nearly every
	// request left empty, and a history holds a request per op.
	SetWatches *SetWatches
}

// SetWatches is the body of setWatches and setWatches2: the zxid the client has seen, and the
// paths of its watches of each kind. A SetWatches with nothing set encodes as none (the codecs
// decode it to a nil Request.SetWatches).
type SetWatches struct {
	RelativeZxid                                  Zxid
	DataWatches, ExistWatches, ChildWatches       []string
	PersistentWatches, PersistentRecursiveWatches []string
}

// String prints the request on one line for transcripts and logs.
func (r *Request) String() string {
	var b strings.Builder
	r.write(&b)
	return b.String()
}

func (r *Request) write(b *strings.Builder) {
	b.WriteString(r.Type.String())
	if r.Path != "" {
		b.WriteString(" " + r.Path)
	}
	switch r.Type {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL:
		fmt.Fprintf(b, " data=%q mode=%s acl=%v", r.Data, r.Mode, r.ACL)
		if r.Type == OpCreateTTL {
			fmt.Fprintf(b, " ttl=%d", r.TTL)
		}
	case OpSetData:
		fmt.Fprintf(b, " data=%q version=%d", r.Data, r.Version)
	case OpDelete, OpCheck:
		fmt.Fprintf(b, " version=%d", r.Version)
	case OpSetACL:
		fmt.Fprintf(b, " acl=%v version=%d", r.ACL, r.Version)
	case OpExists, OpGetData, OpGetChildren, OpGetChildren2:
		if r.Watch {
			b.WriteString(" watch")
		}
	case OpCreateSession:
		fmt.Fprintf(b, " timeout=%d", r.Timeout)
	case OpAddWatch:
		fmt.Fprintf(b, " mode=%s", r.WatchMode)
	case OpRemoveWatches, OpCheckWatches:
		fmt.Fprintf(b, " type=%s", r.WatcherType)
	case OpMulti, OpMultiRead:
		b.WriteString(" [")
		for i := range r.Ops {
			if i > 0 {
				b.WriteString("; ")
			}
			r.Ops[i].write(b)
		}
		b.WriteString("]")
	}
}
