package tree

import "fmt"

// MaxBuffer is jute.maxbuffer's default, 0xfffff bytes ("just under 1M"):
// the largest frame a server accepts and a client reads (zookeeper.md A12).
const MaxBuffer = 0xfffff

// Sizes of jute's fixed encodings.
const (
	juteInt    = 4
	juteLong   = 8
	juteBool   = 1
	statSize   = 6*juteLong + 5*juteInt // Stat: 68 bytes
	multiHead  = juteInt + juteBool + juteInt
	replyHead  = juteInt + juteLong + juteInt // ReplyHeader: xid, zxid, err
	requestHdr = juteInt + juteInt            // RequestHeader: xid, type
)

func juteString(s string) int { return juteInt + len(s) }
func juteBuffer(b []byte) int { return juteInt + len(b) }

func juteACL(acl []ACL) int {
	n := juteInt
	for _, a := range acl {
		n += juteInt + juteString(a.ID.Scheme) + juteString(a.ID.ID)
	}
	return n
}

func juteStrings(list []string) int {
	n := juteInt
	for _, s := range list {
		n += juteString(s)
	}
	return n
}

// WireSize returns the length of the request's frame as the Java client
// serializes it: the RequestHeader and the jute record of its type, without
// the 4-byte length prefix. The server compares this length with MaxBuffer.
func (r *Request) WireSize() int {
	return requestHdr + r.bodySize()
}

func (r *Request) bodySize() int {
	switch r.Type {
	case OpCreate, OpCreate2, OpCreateContainer:
		return juteString(r.Path) + juteBuffer(r.Data) + juteACL(r.ACL) + juteInt
	case OpCreateTTL:
		return juteString(r.Path) + juteBuffer(r.Data) + juteACL(r.ACL) + juteInt + juteLong
	case OpDelete, OpCheck:
		return juteString(r.Path) + juteInt
	case OpSetData:
		return juteString(r.Path) + juteBuffer(r.Data) + juteInt
	case OpSetACL:
		return juteString(r.Path) + juteACL(r.ACL) + juteInt
	case OpExists, OpGetData, OpGetChildren, OpGetChildren2:
		return juteString(r.Path) + juteBool
	case OpGetACL, OpSync, OpGetAllChildrenNumber, OpGetEphemerals:
		return juteString(r.Path)
	case OpAddWatch, OpCheckWatches, OpRemoveWatches:
		return juteString(r.Path) + juteInt
	case OpMulti, OpMultiRead:
		n := multiHead // the closing header
		for i := range r.Ops {
			n += multiHead + r.Ops[i].bodySize()
		}
		return n
	case OpSetWatches, OpSetWatches2:
		sw := r.SetWatches
		if sw == nil {
			sw = &noSetWatches
		}
		return juteLong + juteStrings(sw.DataWatches) + juteStrings(sw.ExistWatches) + juteStrings(sw.ChildWatches) +
			juteStrings(sw.PersistentWatches) + juteStrings(sw.PersistentRecursiveWatches)
	}
	return 0
}

// CheckRequestSize rejects a request whose frame exceeds MaxBuffer. ZooKeeper
// does not answer such a request: it closes the connection ("Len error"), so
// the client sees ConnectionLoss and nothing is applied (zookeeper.md A12).
func CheckRequestSize(r *Request) error {
	if n := r.WireSize(); n > MaxBuffer {
		return fmt.Errorf("%w: %s request of %d bytes, limit %d", ErrRequestTooLarge, r.Type, n, MaxBuffer)
	}
	return nil
}

// WireSize returns the length of the reply frame a server sends for this
// result: the ReplyHeader and the response record. A client drops its
// connection when a reply exceeds its own MaxBuffer (zookeeper.md A12), which
// a large getChildren can cause.
func (r *Result) WireSize() int {
	if r.Err != OK {
		return replyHead
	}
	switch r.Type {
	case OpGetData:
		return replyHead + juteBuffer(r.Data) + statSize
	case OpGetChildren:
		return replyHead + juteStrings(r.Children)
	case OpGetChildren2:
		return replyHead + juteStrings(r.Children) + statSize
	case OpExists, OpSetData, OpSetACL:
		return replyHead + statSize
	case OpCreate:
		return replyHead + juteString(r.Path)
	case OpCreate2, OpCreateContainer, OpCreateTTL:
		return replyHead + juteString(r.Path) + statSize
	case OpGetACL:
		return replyHead + juteACL(r.ACL) + statSize
	case OpGetEphemerals:
		return replyHead + juteStrings(r.Paths)
	case OpMulti, OpMultiRead:
		n := replyHead + multiHead
		for i := range r.Multi {
			sub := r.Multi[i]
			n += multiHead + sub.WireSize() - replyHead
		}
		return n
	}
	return replyHead
}
