package wire

import (
	"encoding/binary"
	"fmt"
	"slices"

	"zoosim/internal/varint"
	"zoosim/tree"
)

// This file holds the binary codecs of the client protocol, the election
// notifications and the Leader/Learner packets. The conventions are the
// tree codec's (tree/codec.go): varints in their shortest form, zigzag for
// signed fields, a string as a uvarint length and its bytes; the tree's values
// (requests, results, txns, auth lists) are embedded with the tree's own
// encoders. A nullable byte slice (a password, a snapshot) is a uvarint of
// its length plus one, 0 standing for nil, so nil and empty survive a round
// trip as they are.
//
//	client message  kind (1 byte), then by kind:
//	  1 ConnectRequest   lastZxidSeen, timeout, sessionID, passwd (nullable)
//	  2 ConnectResponse  timeout, sessionID, passwd (nullable)
//	  3 Request          xid, tree request
//	  4 Reply            xid, zxid, err, tree result
//	  5 Event            type, state, path, zxid
//	notification    leader, zxid, peerEpoch, electionEpoch, state (1 byte), sid
//	packet          type (1 byte), uvarint field mask, then the fields whose
//	                bit is set, in bit order:
//	  0 Zxid  1 Sid  2 Epoch  3 Txn  4 Snapshot  5 Forward  6 Touches
//	  7 Session  8 Timeout  9 Passwd  10 Valid (no payload)
//	forward         session, cxid, owner, tree request, tree auth, passwd (nullable)
//	touches         count, then session and timeout of each
//
// A packet carries only the few fields its type uses, so it has a mask
// where zero fields cost nothing; the other messages are small and always
// carry all their fields. A packet field's bit is set exactly when the field
// is not zero (for a pointer or slice: not nil).
//
// Every encoding is canonical and the decoders accept nothing else, as in
// the tree codec: for every frame a decoder accepts, encoding the decoded
// value gives the frame again. A frame is one message: bytes after it are an
// error. Besides damage, a decoder refuses a kind, packet type, server
// state, keeper state, event type or error code that is not one of the
// constants, and an int32 field out of range. It does not check which
// fields a packet type uses: that is the protocol's business, and a codec
// that round-trips every value is easier to trust.
//
// The decoders never panic; every error wraps [ErrBadFrame] with a one-line
// message naming the field, and an error of an embedded tree value wraps
// tree.ErrBadEncoding too. Counts and lengths are checked against the bytes
// that remain before anything is allocated, and decoded byte slices and
// strings are copies, so the caller may reuse its buffer. A decoder may read
// (never write) the bytes between the input's length and its capacity; they
// do not change what it decodes.

// The kinds of client messages.
const (
	kindConnectRequest  = 1
	kindConnectResponse = 2
	kindRequest         = 3
	kindReply           = 4
	kindEvent           = 5
)

// The field bits of a packet.
const (
	pktZxid = 1 << iota
	pktSid
	pktEpoch
	pktTxn
	pktSnapshot
	pktForward
	pktTouches
	pktSession
	pktTimeout
	pktPasswd
	pktValid
	pktAll = 1<<iota - 1
)

// minTouch is the smallest encoding of a touch: two one-byte varints.
const minTouch = 2

// maxNotification is the largest encoding of a notification: five varints
// and the state byte.
const maxNotification = 5*binary.MaxVarintLen64 + 1

// AppendClientMessage appends the encoding of m to b and returns the
// extended buffer. m must be a non-nil pointer to one of the five client
// messages.
func AppendClientMessage(b []byte, m ClientMessage) []byte {
	switch m := m.(type) {
	case *Request:
		b = append(b, kindRequest)
		b = binary.AppendVarint(b, int64(m.Xid))
		return tree.AppendRequest(b, &m.Req)
	case *Reply:
		b = append(b, kindReply)
		b = binary.AppendVarint(b, int64(m.Xid))
		b = binary.AppendVarint(b, int64(m.Zxid))
		b = binary.AppendVarint(b, int64(m.Err))
		return tree.AppendResult(b, &m.Result)
	case *Event:
		b = append(b, kindEvent)
		b = binary.AppendVarint(b, int64(m.Type))
		b = binary.AppendVarint(b, int64(m.State))
		b = appendString(b, m.Path)
		return binary.AppendVarint(b, int64(m.Zxid))
	case *ConnectRequest:
		b = append(b, kindConnectRequest)
		b = binary.AppendVarint(b, int64(m.LastZxidSeen))
		b = binary.AppendVarint(b, int64(m.Timeout))
		b = binary.AppendVarint(b, int64(m.SessionID))
		return appendNullable(b, m.Passwd)
	case *ConnectResponse:
		b = append(b, kindConnectResponse)
		b = binary.AppendVarint(b, int64(m.Timeout))
		b = binary.AppendVarint(b, int64(m.SessionID))
		return appendNullable(b, m.Passwd)
	}
	panic(fmt.Sprintf("wire: AppendClientMessage of %T", m))
}

// DecodeClientMessage decodes a client message that fills b exactly. The
// result is one of *ConnectRequest, *ConnectResponse, *Request, *Reply and
// *Event.
func DecodeClientMessage(b []byte) (ClientMessage, error) {
	return decodeClientMessage(b, nil)
}

// ClientDecoder decodes client messages into a Request, a Reply and an Event it owns and
// reuses, so that a connection decodes its stream of requests or replies without allocating a
// message struct each time. What a message points to (data, a result's lists) is still the
// caller's own and may be kept (its tree.Decoder carves small values from chunks and slabs,
// each one's own); a path may be a string the decoder returned before (a tree.Decoder's,
// which is the same to any reader). The zero value is ready to use.
type ClientDecoder struct {
	request Request
	reply   Reply
	event   Event
	tree    tree.Decoder
}

// Decode is DecodeClientMessage, except that a *Request, *Reply or *Event it returns is valid
// only until the next Decode: keep copies of the structs, not the pointers.
func (c *ClientDecoder) Decode(b []byte) (ClientMessage, error) { return decodeClientMessage(b, c) }

func decodeClientMessage(b []byte, reuse *ClientDecoder) (ClientMessage, error) {
	var d decoder // not a composite literal: see decoder
	d.b, d.kind = b, "client message"
	if reuse != nil {
		d.tree = &reuse.tree
	}
	var m ClientMessage
	switch k := d.byte("kind"); k {
	case kindRequest:
		var r *Request
		if reuse != nil {
			r = &reuse.request
			*r = Request{}
		} else {
			r = new(Request)
		}
		d.kind = "request"
		r.Xid = d.int32("xid")
		d.request(&r.Req, "body")
		m = r
	case kindReply:
		var r *Reply
		if reuse != nil {
			r = &reuse.reply
			*r = Reply{}
		} else {
			r = new(Reply)
		}
		d.kind = "reply"
		r.Xid = d.int32("xid")
		r.Zxid = tree.Zxid(d.varint("zxid"))
		r.Err = d.code("err")
		d.result(&r.Result, "result")
		m = r
	case kindEvent:
		var e *Event
		if reuse != nil {
			e = &reuse.event
			*e = Event{}
		} else {
			e = new(Event)
		}
		d.kind = "event"
		e.Type = tree.EventType(d.int32("type"))
		if d.err == nil && !knownEventType(e.Type) {
			d.fail("type", "unknown event type %d", int32(e.Type))
		}
		e.State = KeeperState(d.int32("state"))
		if d.err == nil && !knownKeeperState(e.State) {
			d.fail("state", "unknown keeper state %d", int32(e.State))
		}
		e.Path = d.path("path")
		e.Zxid = tree.Zxid(d.varint("zxid"))
		m = e
	case kindConnectRequest:
		c := new(ConnectRequest)
		d.kind = "connect request"
		c.LastZxidSeen = tree.Zxid(d.varint("last zxid seen"))
		c.Timeout = d.int32("timeout")
		c.SessionID = tree.SessionID(d.varint("session"))
		c.Passwd = d.nullable("passwd")
		m = c
	case kindConnectResponse:
		c := new(ConnectResponse)
		d.kind = "connect response"
		c.Timeout = d.int32("timeout")
		c.SessionID = tree.SessionID(d.varint("session"))
		c.Passwd = d.nullable("passwd")
		m = c
	default:
		if d.err == nil {
			d.fail("kind", "unknown kind %d", k)
		}
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return m, nil
}

// AppendNotification appends the encoding of n to b and returns the
// extended buffer.
func AppendNotification(b []byte, n Notification) []byte {
	// One growth for the whole notification instead of one per field when b
	// is fresh (as every election message's is); a buffer with room keeps it.
	b = slices.Grow(b, maxNotification)
	b = binary.AppendVarint(b, int64(n.Leader))
	b = binary.AppendVarint(b, int64(n.Zxid))
	b = binary.AppendVarint(b, n.PeerEpoch)
	b = binary.AppendVarint(b, n.ElectionEpoch)
	b = append(b, byte(n.State))
	return binary.AppendVarint(b, int64(n.Sid))
}

// DecodeNotification decodes a notification that fills b exactly.
func DecodeNotification(b []byte) (Notification, error) {
	d := decoder{b: b, kind: "notification"}
	var n Notification
	n.Leader = ServerID(d.varint("leader"))
	n.Zxid = tree.Zxid(d.varint("zxid"))
	n.PeerEpoch = d.varint("peer epoch")
	n.ElectionEpoch = d.varint("election epoch")
	if s := d.byte("state"); s > byte(Observing) {
		d.fail("state", "unknown server state %d", s)
	} else {
		n.State = ServerState(s)
	}
	n.Sid = ServerID(d.varint("sid"))
	if err := d.end(); err != nil {
		return Notification{}, err
	}
	return n, nil
}

// AppendPacket appends the encoding of p to b and returns the extended
// buffer. p must not be nil.
func AppendPacket(b []byte, p *Packet) []byte { return appendPacket(b, p, nil) }

// appendPacket appends a packet, its txn through share (nil: a fresh encoding).
func appendPacket(b []byte, p *Packet, share *TxnShare) []byte {
	var m uint64
	if p.Zxid != 0 {
		m |= pktZxid
	}
	if p.Sid != 0 {
		m |= pktSid
	}
	if p.Epoch != 0 {
		m |= pktEpoch
	}
	if p.Txn != nil {
		m |= pktTxn
	}
	if p.Snapshot != nil {
		m |= pktSnapshot
	}
	if p.Forward != nil {
		m |= pktForward
	}
	if p.Touches != nil {
		m |= pktTouches
	}
	if p.Session != 0 {
		m |= pktSession
	}
	if p.Timeout != 0 {
		m |= pktTimeout
	}
	if p.Passwd != nil {
		m |= pktPasswd
	}
	if p.Valid {
		m |= pktValid
	}
	b = append(b, byte(p.Type))
	b = binary.AppendUvarint(b, m)
	if m&pktZxid != 0 {
		b = binary.AppendVarint(b, int64(p.Zxid))
	}
	if m&pktSid != 0 {
		b = binary.AppendVarint(b, int64(p.Sid))
	}
	if m&pktEpoch != 0 {
		b = binary.AppendVarint(b, p.Epoch)
	}
	if m&pktTxn != 0 {
		b = share.AppendTxn(b, p.Txn)
	}
	if m&pktSnapshot != 0 {
		b = appendBytes(b, p.Snapshot)
	}
	if m&pktForward != 0 {
		f := p.Forward
		b = binary.AppendVarint(b, int64(f.Session))
		b = binary.AppendVarint(b, int64(f.Cxid))
		b = binary.AppendVarint(b, int64(f.Owner))
		b = tree.AppendRequest(b, &f.Req)
		b = tree.AppendAuth(b, f.Auth)
		b = appendNullable(b, f.Passwd)
	}
	if m&pktTouches != 0 {
		b = binary.AppendUvarint(b, uint64(len(p.Touches)))
		for _, t := range p.Touches {
			b = binary.AppendVarint(b, int64(t.Session))
			b = binary.AppendVarint(b, int64(t.Timeout))
		}
	}
	if m&pktSession != 0 {
		b = binary.AppendVarint(b, int64(p.Session))
	}
	if m&pktTimeout != 0 {
		b = binary.AppendVarint(b, int64(p.Timeout))
	}
	if m&pktPasswd != 0 {
		b = appendBytes(b, p.Passwd)
	}
	return b
}

// DecodePacket decodes a packet that fills b exactly.
func DecodePacket(b []byte) (*Packet, error) {
	p := new(Packet)
	if err := DecodePacketInto(p, b); err != nil {
		return nil, err
	}
	return p, nil
}

// DecodePacketInto is DecodePacket into a Packet the caller reuses: a host decodes every
// packet of a connection into one struct. It overwrites all of *p; what the packet points to
// (Txn, Forward, Snapshot, Touches, Passwd) is freshly allocated and may be kept. On error *p
// holds a partial decode. TxnShare.DecodePacketInto is the same with txns shared between the
// servers of a simulated ensemble.
func DecodePacketInto(p *Packet, b []byte) error { return decodePacketInto(p, b, nil) }

// decodePacketInto decodes a packet, its txn through share (nil: a fresh decoding).
func decodePacketInto(p *Packet, b []byte, share *TxnShare) error {
	var d decoder // not a composite literal: see decoder
	d.b, d.kind = b, "packet"
	if share != nil {
		d.tree = &share.dec
	}
	*p = Packet{}
	p.Type = PacketType(d.byte("type"))
	if d.err == nil && !knownPacketType(p.Type) {
		d.fail("type", "unknown packet type %d", int8(p.Type))
	}
	m := d.uvarint("field mask")
	if m&^pktAll != 0 {
		d.fail("field mask", "unknown bits %#x", m&^pktAll)
	}
	if m&pktZxid != 0 {
		p.Zxid = tree.Zxid(d.nonzero("zxid"))
	}
	if m&pktSid != 0 {
		p.Sid = ServerID(d.nonzero("sid"))
	}
	if m&pktEpoch != 0 {
		p.Epoch = d.nonzero("epoch")
	}
	if m&pktTxn != 0 && d.err == nil {
		x, rest, err := share.decodeTxn(d.b)
		if err != nil {
			d.wrap("txn", err)
		} else {
			p.Txn, d.b = x, rest
		}
	}
	if m&pktSnapshot != 0 {
		p.Snapshot = d.bytes("snapshot")
	}
	if m&pktForward != 0 {
		f := share.newForward()
		f.Session = tree.SessionID(d.varint("forward session"))
		f.Cxid = d.int32("forward cxid")
		f.Owner = ServerID(d.varint("forward owner"))
		d.request(&f.Req, "forward request")
		if d.err == nil {
			a, rest, err := tree.DecodeAuth(d.b)
			if err != nil {
				d.wrap("forward auth", err)
			} else {
				f.Auth, d.b = a, rest
			}
		}
		f.Passwd = d.nullable("forward passwd")
		p.Forward = f
	}
	if m&pktTouches != 0 {
		n := d.uvarint("touches")
		if rem := len(d.b); n > uint64(rem/minTouch) {
			d.fail("touches", "count %d exceeds remaining %d bytes", n, rem)
			n = 0
		}
		p.Touches = make([]Touch, n)
		for i := range p.Touches {
			p.Touches[i] = Touch{
				Session: tree.SessionID(d.varint("touch session")),
				Timeout: d.int32("touch timeout"),
			}
		}
	}
	if m&pktSession != 0 {
		p.Session = tree.SessionID(d.nonzero("session"))
	}
	if m&pktTimeout != 0 {
		p.Timeout = d.int32("timeout")
		if p.Timeout == 0 {
			d.fail("timeout", "present but zero")
		}
	}
	if m&pktPasswd != 0 {
		p.Passwd = d.bytes("passwd")
	}
	p.Valid = m&pktValid != 0
	return d.end()
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b []byte, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// appendNullable appends a byte slice that may be nil: its length plus one,
// or 0 for nil.
func appendNullable(b []byte, p []byte) []byte {
	if p == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(p))+1)
	return append(b, p...)
}

// knownPacketType reports whether t is one of the PacketType constants (the
// keys of packetNames, which the tests compare with this).
func knownPacketType(t PacketType) bool {
	switch t {
	case PacketRequest, PacketProposal, PacketAck, PacketCommit, PacketPing, PacketRevalidate,
		PacketSync, PacketNewLeader, PacketFollowerInfo, PacketUpToDate, PacketDiff, PacketTrunc,
		PacketSnap, PacketLeaderInfo, PacketAckEpoch:
		return true
	}
	return false
}

func knownKeeperState(s KeeperState) bool {
	switch s {
	case StateDisconnected, StateSyncConnected, StateAuthFailed, StateConnectedReadOnly,
		StateExpired, StateClosed:
		return true
	}
	return false
}

// knownEventType reports whether t is one of tree's EventType constants
// (the ones with a name; the tests compare the two).
func knownEventType(t tree.EventType) bool {
	switch t {
	case tree.EventNone, tree.EventNodeCreated, tree.EventNodeDeleted, tree.EventNodeDataChanged,
		tree.EventNodeChildrenChanged, tree.EventDataWatchRemoved, tree.EventChildWatchRemoved,
		tree.EventPersistentWatchRemoved:
		return true
	}
	return false
}

// knownCode reports whether c is one of tree's Code constants (the ones
// with a name; the tests compare the two). A switch rather than a lookup by
// name: replies carry codes on the hot path.
func knownCode(c tree.Code) bool {
	switch c {
	case tree.OK, tree.SystemError, tree.RuntimeInconsistency, tree.DataInconsistency,
		tree.ConnectionLoss, tree.MarshallingError, tree.Unimplemented, tree.OperationTimeout,
		tree.BadArguments, tree.UnknownSession, tree.NewConfigNoQuorum, tree.ReconfigInProgress,
		tree.APIError, tree.NoNode, tree.NoAuth, tree.BadVersion, tree.NoChildrenForEphemerals,
		tree.NodeExists, tree.NotEmpty, tree.SessionExpired, tree.InvalidCallback, tree.InvalidACL,
		tree.AuthFailed, tree.SessionMoved, tree.NotReadOnly, tree.EphemeralOnLocalSession,
		tree.NoWatcher, tree.RequestTimeout, tree.ReconfigDisabled, tree.SessionClosedRequireSaslAuth,
		tree.QuotaExceeded, tree.ThrottledOp:
		return true
	}
	return false
}

// decoder reads one frame. The first error sticks and drops the rest of the
// input, so later reads fail quietly and return zero values; the decode
// functions check for an error before they allocate and at the end. The hot
// decode functions declare one and set its fields rather than write a
// composite literal, for the reason the tree codec's codecDecoder gives.
type decoder struct {
	b    []byte // the input not read yet
	err  error
	kind string // the message being decoded, for messages
	// tree decodes the embedded tree values: a long-lived one (ClientDecoder's, TxnShare's)
	// that remembers paths, or nil.
	tree *tree.Decoder
}

func (d *decoder) fail(field, format string, args ...any) {
	if d.err != nil {
		return
	}
	d.err = fmt.Errorf("%w: %s %s: %s", ErrBadFrame, d.kind, field, fmt.Sprintf(format, args...))
	d.b = nil
}

// wrap records an error of a tree decoder, so that both sentinels match.
func (d *decoder) wrap(field string, err error) {
	if d.err != nil {
		return
	}
	d.err = fmt.Errorf("%w: %s %s: %w", ErrBadFrame, d.kind, field, err)
	d.b = nil
}

// end returns the error, or an error if bytes follow the message.
func (d *decoder) end() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes after %s", ErrBadFrame, len(d.b), d.kind)
	}
	return d.err
}

func (d *decoder) byte(field string) byte {
	if len(d.b) == 0 {
		d.fail(field, "truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// uvarint reads a uvarint in its shortest form, as the tree codec's does:
// one byte, or up to eight with varint.Word, else uvarintSlow, which alone
// reports errors. TestUvarintFastPaths checks that the two agree.
//
// Unlike the tree codec's, it takes its word from the input's capacity, not
// its length: a packet often ends with a zxid, in fewer than eight bytes,
// and every frame here sits in a buffer of 64 bytes or more (sim's). Bytes
// past the length only ever show that the uvarint does not end within it,
// which sends it to uvarintSlow: they never change what is decoded.
func (d *decoder) uvarint(field string) uint64 {
	b := d.b
	if len(b) > 0 && b[0] < 0x80 {
		d.b = b[1:]
		return uint64(b[0])
	}
	if cap(b) >= 8 {
		if v, n := varint.Word(binary.LittleEndian.Uint64(b[:8])); n > 0 && n <= len(b) {
			d.b = b[n:]
			return v
		}
	}
	return d.uvarintSlow(field)
}

// uvarintSlow is varint.Decode, the single source of truth for what a
// varint is and for its errors.
func (d *decoder) uvarintSlow(field string) uint64 {
	v, n, problem := varint.Decode(d.b)
	if problem != "" {
		d.fail(field, "%s", problem)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint(field string) int64 {
	u := d.uvarint(field)
	return int64(u>>1) ^ -int64(u&1)
}

func (d *decoder) int32(field string) int32 {
	v := d.varint(field)
	if v != int64(int32(v)) {
		d.fail(field, "%d out of int32 range", v)
		return 0
	}
	return int32(v)
}

// nonzero reads a packet field whose mask bit is set, which is zero only in
// a non-canonical encoding.
func (d *decoder) nonzero(field string) int64 {
	v := d.varint(field)
	if v == 0 {
		d.fail(field, "present but zero")
	}
	return v
}

func (d *decoder) code(field string) tree.Code {
	c := tree.Code(d.int32(field))
	if d.err == nil && !knownCode(c) {
		d.fail(field, "unknown code %d", int32(c))
	}
	return c
}

// raw reads a length and returns that many bytes of the input, not copied.
func (d *decoder) raw(field string, n uint64) []byte {
	if rem := len(d.b); n > uint64(rem) {
		d.fail(field, "length %d exceeds remaining %d bytes", n, rem)
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

// path reads a string that names a node, through the tree decoder's cache of paths: a
// client's watch events name the nodes its requests and replies do.
func (d *decoder) path(field string) string {
	return d.tree.Path(d.raw(field, d.uvarint(field)))
}

// bytes reads a packet field whose mask bit is set: a copy, never nil.
func (d *decoder) bytes(field string) []byte {
	p := d.raw(field, d.uvarint(field))
	if d.err != nil {
		return nil
	}
	return append(make([]byte, 0, len(p)), p...)
}

// nullable reads a byte slice written by appendNullable, as a copy.
func (d *decoder) nullable(field string) []byte {
	n := d.uvarint(field)
	if n == 0 || d.err != nil {
		return nil
	}
	p := d.raw(field, n-1)
	if d.err != nil {
		return nil
	}
	return append(make([]byte, 0, len(p)), p...)
}

// request decodes an embedded request into *r, leaving it zero on error.
func (d *decoder) request(r *tree.Request, field string) {
	if d.err != nil {
		return
	}
	rest, err := d.tree.DecodeRequestInto(r, d.b)
	if err != nil {
		*r = tree.Request{}
		d.wrap(field, err)
		return
	}
	d.b = rest
}

// result decodes an embedded result into *r, leaving it zero on error.
func (d *decoder) result(r *tree.Result, field string) {
	if d.err != nil {
		return
	}
	rest, err := d.tree.DecodeResultInto(r, d.b)
	if err != nil {
		*r = tree.Result{}
		d.wrap(field, err)
		return
	}
	d.b = rest
}
