package tree

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"zoosim/internal/varint"
)

// This file holds the binary codecs for the values that cross the simulated
// network and the disk: [Txn] (the txn log, PROPOSAL packets), [Request]
// (client requests, forwarded writes), [Result] (replies) and [Auth]
// (forwarded credentials). Nodes share no memory, so everything one server
// tells another goes through these bytes; a full cluster benchmark pushes
// hundreds of thousands of them per second, so they are written by hand
// rather than with reflection, and zero fields cost nothing.
//
// # Format
//
// Integers are varints (encoding/binary) in their shortest form: signed
// fields zigzag (AppendVarint), masks, counts and lengths unsigned
// (AppendUvarint). The one exception is Txn.Digest, a hash whose bits are
// uniform, which is 8 bytes little-endian. A string is a uvarint length and
// its bytes.
//
// A txn, request or result is its opcode (zigzag) followed by a uvarint
// field mask and then, in bit order, the fields whose bit is set. A bit is
// set exactly when the field is not its zero value, where for a slice "zero"
// means nil: a non-nil empty slice has its bit set and a count (or length)
// of 0, so nil and empty survive a round trip as they are (the tree tells
// them apart in places: getData answers a node without data with an empty,
// non-nil slice, and Result.String prints it). The bits:
//
//	txn      0 Session  1 Cxid  2 Zxid  3 Time  4 Path  5 Data  6 Version
//	         7 Digest  8 ACL  9 EphemeralOwner  10 ParentCversion  11 Timeout
//	         12 Paths  13 Err  14 Ops
//	request  0 Path  1 Data  2 Version  3 Watch (no payload)  4 ACL  5 Mode
//	         6 TTL  7 Timeout  8 WatchMode  9 WatcherType  10 Ops
//	         11 RelativeZxid  12 DataWatches  13 ExistWatches  14 ChildWatches
//	         15 PersistentWatches  16 PersistentRecursiveWatches
//	result   0 Err  1 Path  2 HasStat (no payload)  3 Stat  4 Data
//	         5 Children  6 ACL  7 Paths  8 Count  9 Multi
//	stat     a mask of its own, bits 0-10 in jute order (Czxid ... Pzxid)
//
// The bits run from the most common fields up, so that the messages of the
// hot path (a setData txn, a getData request or reply) need a one- or
// two-byte mask. A list is a uvarint count and its elements; an ACL entry is
// perms (zigzag), scheme, id; ops, multi results and sub-requests are
// encoded as their parent. An [Auth] on its own is a uvarint of its length
// plus one, 0 standing for nil, followed by scheme and id of each identity.
//
// # Canonical form
//
// Each value has exactly one encoding, and the decoders accept nothing else:
// a varint that is longer than it needs to be, a mask bit with a zero value
// behind it, an unknown mask bit, a zero stat mask are all errors. So for
// every b a decoder accepts, encoding the decoded value gives b again, and
// for every value v that respects the rules below, decoding the encoding of v
// gives a value deep-equal to v (reflect.DeepEqual, or go-cmp without
// EquateEmpty). Tests and the fuzz targets check both directions.
//
// What a decoder refuses besides damage to the structure:
//   - an opcode that is not one of the OpCode constants; for a txn one that
//     is neither a write (IsWrite) nor OpError;
//   - a multi nested in a multi: an op, sub-txn or sub-result that is itself
//     a multi or multiRead, or that has ops of its own (ZooKeeper cannot
//     express that either);
//   - an Err that is not one of the Code constants; a WatchMode other than
//     the three modes; a WatcherType other than 0 (unset) and the three
//     types; an int32 field outside int32's range.
//
// A CreateMode is not checked: an unknown mode is a client's mistake that
// the tree answers with BadArguments, so it must arrive. Perms are any bits,
// as ZooKeeper stores whatever perms a client sets.
//
// The encoders do not check these rules: they write any value as it is, and
// the receiver rejects what breaks them, as a ZooKeeper server drops a
// connection whose packet it cannot decode.
//
// # Hostile input
//
// The decoders never panic. Every error wraps [ErrBadEncoding] with a
// one-line message naming the field: "tree: bad encoding: txn op 3 path:
// length 500 exceeds remaining 20 bytes". Counts and lengths are checked
// against the bytes that remain before anything is allocated for them, so a
// lying length costs nothing: a decoder allocates in proportion to its input.
// Decoded strings and byte slices are copies; the caller may reuse its
// buffer. Strings that recur in every ACL ("world", "anyone", the scheme
// names) are not allocated at all, and a [Decoder] hands out again the paths
// it decoded lately: to a reader, a shared immutable string is a copy.
//
// Decoded ACL lists are read-only: the ACL that nearly every create carries,
// exactly [OpenACLUnsafe], decodes to one list shared by every decoding
// (capacity cut, so an append copies it), and a holder must not write to
// its elements. Nothing does: the Preparer's fixupACL, Apply and the ACL
// table only read the lists they get, as they do a logged txn's.

// The field bits of a txn.
const (
	txnSession = 1 << iota
	txnCxid
	txnZxid
	txnTime
	txnPath
	txnData
	txnVersion
	txnDigest
	txnACL
	txnEphemeralOwner
	txnParentCversion
	txnTimeout
	txnPaths
	txnErr
	txnOps
	txnAll = 1<<iota - 1
)

// The field bits of a request.
const (
	reqPath = 1 << iota
	reqData
	reqVersion
	reqWatch
	reqACL
	reqMode
	reqTTL
	reqTimeout
	reqWatchMode
	reqWatcherType
	reqOps
	reqRelativeZxid
	reqDataWatches
	reqExistWatches
	reqChildWatches
	reqPersistentWatches
	reqPersistentRecursiveWatches
	reqAll = 1<<iota - 1
)

// The field bits of a result.
const (
	resErr = 1 << iota
	resPath
	resHasStat
	resStat
	resData
	resChildren
	resACL
	resPaths
	resCount
	resMulti
	resAll = 1<<iota - 1
)

// The field bits of a stat, in jute order.
const (
	statCzxid = 1 << iota
	statMzxid
	statCtime
	statMtime
	statVersion
	statCversion
	statAversion
	statEphemeralOwner
	statDataLength
	statNumChildren
	statPzxid
	statAll = 1<<iota - 1
)

// The smallest encodings of list elements, to bound counts by the input
// that remains: an opcode and a mask; an ACL entry's perms and two string
// lengths; an identity's two string lengths; a string's length.
const (
	codecMinOp    = 2
	codecMinACL   = 3
	codecMinID    = 2
	codecMinBytes = 1
)

// AppendTxn appends the encoding of x to b and returns the extended buffer.
// x must not be nil.
func AppendTxn(b []byte, x *Txn) []byte {
	// One growth for the common txn instead of several small ones when b
	// is fresh; a reused buffer already has the room.
	b = slices.Grow(b, 48+len(x.Path)+len(x.Data))
	return appendTxn(b, x)
}

func appendTxn(b []byte, x *Txn) []byte {
	var m uint64
	if x.Session != 0 {
		m |= txnSession
	}
	if x.Cxid != 0 {
		m |= txnCxid
	}
	if x.Zxid != 0 {
		m |= txnZxid
	}
	if x.Time != 0 {
		m |= txnTime
	}
	if x.Path != "" {
		m |= txnPath
	}
	if x.Data != nil {
		m |= txnData
	}
	if x.Version != 0 {
		m |= txnVersion
	}
	if x.Digest != 0 {
		m |= txnDigest
	}
	if x.ACL != nil {
		m |= txnACL
	}
	if x.EphemeralOwner != 0 {
		m |= txnEphemeralOwner
	}
	if x.ParentCversion != 0 {
		m |= txnParentCversion
	}
	if x.Timeout != 0 {
		m |= txnTimeout
	}
	if x.Paths != nil {
		m |= txnPaths
	}
	if x.Err != OK {
		m |= txnErr
	}
	if x.Ops != nil {
		m |= txnOps
	}
	b = binary.AppendVarint(b, int64(x.Type))
	b = binary.AppendUvarint(b, m)
	if m&txnSession != 0 {
		b = binary.AppendVarint(b, int64(x.Session))
	}
	if m&txnCxid != 0 {
		b = binary.AppendVarint(b, int64(x.Cxid))
	}
	if m&txnZxid != 0 {
		b = binary.AppendVarint(b, int64(x.Zxid))
	}
	if m&txnTime != 0 {
		b = binary.AppendVarint(b, x.Time)
	}
	if m&txnPath != 0 {
		b = codecAppendString(b, x.Path)
	}
	if m&txnData != 0 {
		b = codecAppendBytes(b, x.Data)
	}
	if m&txnVersion != 0 {
		b = binary.AppendVarint(b, int64(x.Version))
	}
	if m&txnDigest != 0 {
		b = binary.LittleEndian.AppendUint64(b, x.Digest)
	}
	if m&txnACL != 0 {
		b = codecAppendACL(b, x.ACL)
	}
	if m&txnEphemeralOwner != 0 {
		b = binary.AppendVarint(b, x.EphemeralOwner)
	}
	if m&txnParentCversion != 0 {
		b = binary.AppendVarint(b, int64(x.ParentCversion))
	}
	if m&txnTimeout != 0 {
		b = binary.AppendVarint(b, int64(x.Timeout))
	}
	if m&txnPaths != 0 {
		b = codecAppendStrings(b, x.Paths)
	}
	if m&txnErr != 0 {
		b = binary.AppendVarint(b, int64(x.Err))
	}
	if m&txnOps != 0 {
		b = binary.AppendUvarint(b, uint64(len(x.Ops)))
		for i := range x.Ops {
			b = appendTxn(b, &x.Ops[i])
		}
	}
	return b
}

// DecodeTxn decodes a txn that fills b exactly, as a txn log record does;
// bytes after the txn are an error. See [DecodeTxnFrom] for a txn embedded
// in a larger frame.
func DecodeTxn(b []byte) (*Txn, error) {
	var dec *Decoder
	return dec.DecodeTxn(b)
}

// DecodeTxnFrom decodes the txn at the start of b and returns it with the
// bytes after it.
func DecodeTxnFrom(b []byte) (*Txn, []byte, error) {
	var dec *Decoder
	return dec.DecodeTxnFrom(b)
}

// Decoder decodes txns, requests and results as DecodeTxn, DecodeTxnFrom,
// DecodeRequest and DecodeResult do, for a caller that decodes a long
// stream of them: a connection, the txns of an ensemble, a txn log. It
// remembers the paths it decoded lately and hands out the same string again
// when the same bytes come back, instead of a new copy, because a stream
// names the same few nodes over and over. A string is immutable, so a shared
// one is indistinguishable from a copy: the values a Decoder returns are
// exactly those of the package's functions, and still share no memory with
// the input.
//
// It also carves the txns it returns from slabs of them (see slab), and
// small data and new strings from chunks (copyBytes, stringRoom), one
// allocation for many values; each value is still the caller's own.
//
// The zero value is ready to use, and a nil *Decoder remembers nothing. A
// Decoder is not safe for concurrent use.
type Decoder struct {
	// paths holds the path decoded last whose bytes hash to each slot
	// (pathSlot): a bounded cache that needs no eviction, where a collision
	// costs one allocation and never a wrong string, since a hit compares
	// the bytes.
	// Invariant: every non-empty paths[i] has pathSlot(paths[i]) == i.
	paths [1 << decoderPathBits]string
	// txns hands out the txns it decodes (and their ops), carved from slabs:
	// a stream's txns go to a log, where they live about as long as each
	// other. requests and results hand out the op lists of multis, which
	// live as long as the request or reply they belong to.
	txns     slab[Txn]
	requests slab[Request]
	results  slab[Result]
	// lists hands out the string lists it decodes (children, paths).
	lists slab[string]
	// bytes holds the small byte slices it decodes (copyBytes).
	bytes byteChunks
	// strs builds the current chunk of decoded strings, or is nil: new paths
	// and the names of short lists are substrings of what it holds
	// (stringRoom).
	strs *strings.Builder
}

// copyBytes returns a copy of p, never nil: from the Decoder's chunks
// (byteChunks), or allocated alone by a nil Decoder.
func (dec *Decoder) copyBytes(p []byte) []byte {
	if dec == nil {
		return append(make([]byte, 0, len(p)), p...)
	}
	return dec.bytes.copy(p)
}

// newTxns returns n zeroed txns for a decoded txn or its ops: from the
// Decoder's slab, or freshly allocated by a nil Decoder.
func (dec *Decoder) newTxns(n int) []Txn {
	if dec == nil {
		return make([]Txn, n)
	}
	return dec.txns.take(n)
}

// newStrings returns a list of n empty strings, as newTxns does txns.
func (dec *Decoder) newStrings(n int) []string {
	if dec == nil {
		return make([]string, n)
	}
	return dec.lists.take(n)
}

// newRequests returns n zeroed requests for the ops of a multi, as newTxns
// does txns.
func (dec *Decoder) newRequests(n int) []Request {
	if dec == nil {
		return make([]Request, n)
	}
	return dec.requests.take(n)
}

// newResults returns n zeroed results for the ops of a multi, as newTxns
// does txns.
func (dec *Decoder) newResults(n int) []Result {
	if dec == nil {
		return make([]Result, n)
	}
	return dec.results.take(n)
}

// decoderPathBits sizes a Decoder's path cache: 256 slots (4 KB), a few
// times the nodes a simulated workload keeps naming.
const decoderPathBits = 8

// pathSlot hashes a path to a slot of Decoder.paths: eight bytes at a time
// into a multiplicative hash, whose top bits are the slot.
func pathSlot[T ~string | ~[]byte](p T) int {
	h := uint64(len(p))
	for len(p) >= 8 {
		h = (h ^ (uint64(p[0]) | uint64(p[1])<<8 | uint64(p[2])<<16 | uint64(p[3])<<24 |
			uint64(p[4])<<32 | uint64(p[5])<<40 | uint64(p[6])<<48 | uint64(p[7])<<56)) * hashPrime1
		p = p[8:]
	}
	var tail uint64
	for i := range len(p) {
		tail |= uint64(p[i]) << (8 * i)
	}
	h = (h ^ tail) * hashPrime1
	return int(h >> (64 - decoderPathBits))
}

// path returns p as a string: the one in p's slot if it holds these bytes,
// else a new one (copyString) that takes the slot. A nil Decoder always
// copies.
func (dec *Decoder) path(p []byte) string {
	if dec == nil {
		return string(p)
	}
	slot := &dec.paths[pathSlot(p)]
	if *slot == string(p) { // compares without converting
		return *slot
	}
	s := dec.copyString(p)
	*slot = s
	return s
}

// Path returns p as a string through the Decoder's cache of paths, as the
// paths of txns, requests and results are decoded: for a path that another
// codec frames (a watch event's), which names the same few nodes as they
// do. A nil Decoder copies.
func (dec *Decoder) Path(p []byte) string { return dec.path(p) }

// stringRoom returns a builder with room for n more bytes, to make strings
// as substrings of what it holds: the Decoder's current chunk of strings
// when n is small, as copyBytes does for byte slices, else own. A
// strings.Builder never overwrites what it wrote, so every substring taken
// of it stays valid and immutable; a chunk stays allocated while any of its
// strings is reachable.
func (dec *Decoder) stringRoom(n int, own *strings.Builder) *strings.Builder {
	if dec == nil || n > chunkMax {
		own.Grow(n)
		return own
	}
	if dec.strs == nil || dec.strs.Cap()-dec.strs.Len() < n {
		dec.strs = new(strings.Builder)
		dec.strs.Grow(chunkBytes)
	}
	return dec.strs
}

// copyString returns p as a new string, from the Decoder's chunk of
// strings when it is short (stringRoom).
func (dec *Decoder) copyString(p []byte) string {
	var own strings.Builder
	b := dec.stringRoom(len(p), &own)
	start := b.Len()
	b.Write(p)
	return b.String()[start:]
}

// DecodeTxn is the package's DecodeTxn, with the paths remembered.
func (dec *Decoder) DecodeTxn(b []byte) (*Txn, error) {
	x, rest, err := dec.DecodeTxnFrom(b)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes after txn", ErrBadEncoding, len(rest))
	}
	return x, nil
}

// DecodeTxnFrom is the package's DecodeTxnFrom, with the paths remembered.
func (dec *Decoder) DecodeTxnFrom(b []byte) (*Txn, []byte, error) {
	var d codecDecoder // not a composite literal: see codecDecoder
	d.b, d.kind, d.op, d.dec = b, "txn", -1, dec
	x := &dec.newTxns(1)[0]
	d.txn(x, false)
	if d.err != nil {
		return nil, nil, d.err
	}
	return x, d.b, nil
}

// AppendRequest appends the encoding of r to b and returns the extended
// buffer.
func AppendRequest(b []byte, r *Request) []byte {
	b = slices.Grow(b, 16+len(r.Path)+len(r.Data))
	return appendRequest(b, r)
}

func appendRequest(b []byte, r *Request) []byte {
	var m uint64
	if r.Path != "" {
		m |= reqPath
	}
	if r.Data != nil {
		m |= reqData
	}
	if r.Version != 0 {
		m |= reqVersion
	}
	if r.Watch {
		m |= reqWatch
	}
	if r.ACL != nil {
		m |= reqACL
	}
	if r.Mode != 0 {
		m |= reqMode
	}
	if r.TTL != 0 {
		m |= reqTTL
	}
	if r.Timeout != 0 {
		m |= reqTimeout
	}
	if r.WatchMode != 0 {
		m |= reqWatchMode
	}
	if r.WatcherType != 0 {
		m |= reqWatcherType
	}
	if r.Ops != nil {
		m |= reqOps
	}
	sw := r.SetWatches
	if sw == nil {
		sw = &noSetWatches
	}
	if sw.RelativeZxid != 0 {
		m |= reqRelativeZxid
	}
	if sw.DataWatches != nil {
		m |= reqDataWatches
	}
	if sw.ExistWatches != nil {
		m |= reqExistWatches
	}
	if sw.ChildWatches != nil {
		m |= reqChildWatches
	}
	if sw.PersistentWatches != nil {
		m |= reqPersistentWatches
	}
	if sw.PersistentRecursiveWatches != nil {
		m |= reqPersistentRecursiveWatches
	}
	b = binary.AppendVarint(b, int64(r.Type))
	b = binary.AppendUvarint(b, m)
	if m&reqPath != 0 {
		b = codecAppendString(b, r.Path)
	}
	if m&reqData != 0 {
		b = codecAppendBytes(b, r.Data)
	}
	if m&reqVersion != 0 {
		b = binary.AppendVarint(b, int64(r.Version))
	}
	if m&reqACL != 0 {
		b = codecAppendACL(b, r.ACL)
	}
	if m&reqMode != 0 {
		b = binary.AppendVarint(b, int64(r.Mode))
	}
	if m&reqTTL != 0 {
		b = binary.AppendVarint(b, r.TTL)
	}
	if m&reqTimeout != 0 {
		b = binary.AppendVarint(b, int64(r.Timeout))
	}
	if m&reqWatchMode != 0 {
		b = binary.AppendUvarint(b, uint64(r.WatchMode))
	}
	if m&reqWatcherType != 0 {
		b = binary.AppendVarint(b, int64(r.WatcherType))
	}
	if m&reqOps != 0 {
		b = binary.AppendUvarint(b, uint64(len(r.Ops)))
		for i := range r.Ops {
			b = appendRequest(b, &r.Ops[i])
		}
	}
	if m&reqRelativeZxid != 0 {
		b = binary.AppendVarint(b, int64(sw.RelativeZxid))
	}
	if m&reqDataWatches != 0 {
		b = codecAppendStrings(b, sw.DataWatches)
	}
	if m&reqExistWatches != 0 {
		b = codecAppendStrings(b, sw.ExistWatches)
	}
	if m&reqChildWatches != 0 {
		b = codecAppendStrings(b, sw.ChildWatches)
	}
	if m&reqPersistentWatches != 0 {
		b = codecAppendStrings(b, sw.PersistentWatches)
	}
	if m&reqPersistentRecursiveWatches != 0 {
		b = codecAppendStrings(b, sw.PersistentRecursiveWatches)
	}
	return b
}

// noSetWatches stands for a nil Request.SetWatches when encoding: nothing set.
var noSetWatches SetWatches

// DecodeRequest decodes the request at the start of b and returns it with
// the bytes after it, so that a request can be embedded in a larger frame.
func DecodeRequest(b []byte) (Request, []byte, error) {
	var r Request
	var dec *Decoder
	rest, err := dec.DecodeRequestInto(&r, b)
	if err != nil {
		return Request{}, nil, err
	}
	return r, rest, nil
}

// DecodeRequestInto is DecodeRequest into a request the caller owns,
// sparing the copy of the struct, with the paths remembered. It overwrites
// all of *r; on error *r holds a partial decode.
func (dec *Decoder) DecodeRequestInto(r *Request, b []byte) ([]byte, error) {
	var d codecDecoder // not a composite literal: see codecDecoder
	d.b, d.kind, d.op, d.dec = b, "request", -1, dec
	*r = Request{}
	d.request(r, false)
	if d.err != nil {
		return nil, d.err
	}
	return d.b, nil
}

// AppendResult appends the encoding of r to b and returns the extended
// buffer.
func AppendResult(b []byte, r *Result) []byte {
	b = slices.Grow(b, 64+len(r.Path)+len(r.Data))
	return appendResult(b, r)
}

func appendResult(b []byte, r *Result) []byte {
	var m uint64
	if r.Err != OK {
		m |= resErr
	}
	if r.Path != "" {
		m |= resPath
	}
	if r.HasStat {
		m |= resHasStat
	}
	if r.Stat != (Stat{}) {
		m |= resStat
	}
	if r.Data != nil {
		m |= resData
	}
	if r.Children != nil {
		m |= resChildren
	}
	if r.ACL != nil {
		m |= resACL
	}
	if r.Paths != nil {
		m |= resPaths
	}
	if r.Count != 0 {
		m |= resCount
	}
	if r.Multi != nil {
		m |= resMulti
	}
	b = binary.AppendVarint(b, int64(r.Type))
	b = binary.AppendUvarint(b, m)
	if m&resErr != 0 {
		b = binary.AppendVarint(b, int64(r.Err))
	}
	if m&resPath != 0 {
		b = codecAppendString(b, r.Path)
	}
	if m&resStat != 0 {
		b = codecAppendStat(b, &r.Stat)
	}
	if m&resData != 0 {
		b = codecAppendBytes(b, r.Data)
	}
	if m&resChildren != 0 {
		b = codecAppendStrings(b, r.Children)
	}
	if m&resACL != 0 {
		b = codecAppendACL(b, r.ACL)
	}
	if m&resPaths != 0 {
		b = codecAppendStrings(b, r.Paths)
	}
	if m&resCount != 0 {
		b = binary.AppendVarint(b, int64(r.Count))
	}
	if m&resMulti != 0 {
		b = binary.AppendUvarint(b, uint64(len(r.Multi)))
		for i := range r.Multi {
			b = appendResult(b, &r.Multi[i])
		}
	}
	return b
}

// DecodeResult decodes the result at the start of b and returns it with the
// bytes after it.
func DecodeResult(b []byte) (Result, []byte, error) {
	var r Result
	var dec *Decoder
	rest, err := dec.DecodeResultInto(&r, b)
	if err != nil {
		return Result{}, nil, err
	}
	return r, rest, nil
}

// DecodeResultInto is DecodeResult into a result the caller owns, sparing
// the copy of the struct, with the paths remembered. It overwrites all of
// *r; on error *r holds a partial decode.
func (dec *Decoder) DecodeResultInto(r *Result, b []byte) ([]byte, error) {
	var d codecDecoder // not a composite literal: see codecDecoder
	d.b, d.kind, d.op, d.dec = b, "result", -1, dec
	*r = Result{}
	d.result(r, false)
	if d.err != nil {
		return nil, d.err
	}
	return d.b, nil
}

// AppendAuth appends the encoding of a to b and returns the extended buffer.
// nil and an empty list have different encodings, as everywhere in this
// codec.
func AppendAuth(b []byte, a Auth) []byte {
	if a == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(a))+1)
	for _, id := range a {
		b = codecAppendString(b, id.Scheme)
		b = codecAppendString(b, id.ID)
	}
	return b
}

// DecodeAuth decodes the auth list at the start of b and returns it with the
// bytes after it.
func DecodeAuth(b []byte) (Auth, []byte, error) {
	d := codecDecoder{b: b, kind: "auth", op: -1}
	n1 := d.uvarint("list")
	if d.err != nil {
		return nil, nil, d.err
	}
	if n1 == 0 {
		return nil, d.b, nil
	}
	n := d.bound("list", n1-1, codecMinID)
	a := make(Auth, n)
	for i := range a {
		a[i].Scheme = d.internedString("scheme")
		a[i].ID = d.internedString("id")
	}
	if d.err != nil {
		return nil, nil, d.err
	}
	return a, d.b, nil
}

func codecAppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func codecAppendBytes(b []byte, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

func codecAppendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = codecAppendString(b, s)
	}
	return b
}

func codecAppendACL(b []byte, acl []ACL) []byte {
	b = binary.AppendUvarint(b, uint64(len(acl)))
	for _, a := range acl {
		b = binary.AppendVarint(b, int64(a.Perms))
		b = codecAppendString(b, a.ID.Scheme)
		b = codecAppendString(b, a.ID.ID)
	}
	return b
}

func codecAppendStat(b []byte, s *Stat) []byte {
	var m uint64
	if s.Czxid != 0 {
		m |= statCzxid
	}
	if s.Mzxid != 0 {
		m |= statMzxid
	}
	if s.Ctime != 0 {
		m |= statCtime
	}
	if s.Mtime != 0 {
		m |= statMtime
	}
	if s.Version != 0 {
		m |= statVersion
	}
	if s.Cversion != 0 {
		m |= statCversion
	}
	if s.Aversion != 0 {
		m |= statAversion
	}
	if s.EphemeralOwner != 0 {
		m |= statEphemeralOwner
	}
	if s.DataLength != 0 {
		m |= statDataLength
	}
	if s.NumChildren != 0 {
		m |= statNumChildren
	}
	if s.Pzxid != 0 {
		m |= statPzxid
	}
	b = binary.AppendUvarint(b, m)
	for _, f := range [...]struct {
		bit uint64
		v   int64
	}{
		{statCzxid, int64(s.Czxid)}, {statMzxid, int64(s.Mzxid)}, {statCtime, s.Ctime},
		{statMtime, s.Mtime}, {statVersion, int64(s.Version)}, {statCversion, int64(s.Cversion)},
		{statAversion, int64(s.Aversion)}, {statEphemeralOwner, s.EphemeralOwner},
		{statDataLength, int64(s.DataLength)}, {statNumChildren, int64(s.NumChildren)},
		{statPzxid, int64(s.Pzxid)},
	} {
		if m&f.bit != 0 {
			b = binary.AppendVarint(b, f.v)
		}
	}
	return b
}

// codecDecoder reads one encoded value. The first error sticks: it drops
// the rest of the input, so every later read fails quietly and returns a
// zero value, and the decode functions need to check for an error only
// before they allocate or loop, and at the end.
//
// The hot decode functions declare one and set its fields rather than
// write a composite literal, which the compiler builds in a temporary and
// copies, the copy's wide loads stalling on the narrow stores that just
// wrote the temporary: a measurable part of decoding a small message.
type codecDecoder struct {
	b    []byte // the input not read yet
	err  error
	kind string // the value being decoded, for messages: "txn", "request", ...
	op   int    // the multi op being decoded, or -1, for messages
	dec  *Decoder
}

// fail records the first error, naming the value and field.
func (d *codecDecoder) fail(field, format string, args ...any) {
	if d.err != nil {
		return
	}
	where := d.kind
	if d.op >= 0 {
		where = fmt.Sprintf("%s op %d", d.kind, d.op)
	}
	d.err = fmt.Errorf("%w: %s %s: %s", ErrBadEncoding, where, field, fmt.Sprintf(format, args...))
	d.b = nil
}

// uvarint reads a uvarint in its shortest form. Most fields are one byte;
// most others (zxids, times, session ids) fit in eight, which varint.Word
// decodes with a word's arithmetic rather than a loop. Anything else, and
// every error, is uvarintSlow's; TestCodecUvarintFastPaths checks that the
// two agree.
//
// It does not inline (a call to uvarintSlow alone takes most of the budget),
// so the fast paths save the loop, not the call.
func (d *codecDecoder) uvarint(field string) uint64 {
	b := d.b
	if len(b) > 0 && b[0] < 0x80 {
		d.b = b[1:]
		return uint64(b[0])
	}
	if len(b) >= 8 {
		if v, n := varint.Word(binary.LittleEndian.Uint64(b)); n > 0 {
			d.b = b[n:]
			return v
		}
	}
	return d.uvarintSlow(field)
}

// uvarintSlow is varint.Decode, the single source of truth for what a
// varint is and for its errors; uvarint's fast paths only shortcut it.
func (d *codecDecoder) uvarintSlow(field string) uint64 {
	v, n, problem := varint.Decode(d.b)
	if problem != "" {
		d.fail(field, "%s", problem)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *codecDecoder) varint(field string) int64 {
	u := d.uvarint(field)
	return int64(u>>1) ^ -int64(u&1)
}

// nonzero64 reads a signed field whose mask bit is set, which is zero only
// in a non-canonical encoding.
func (d *codecDecoder) nonzero64(field string) int64 {
	v := d.varint(field)
	if v == 0 {
		d.fail(field, "present but zero")
	}
	return v
}

func (d *codecDecoder) int32(field string) int32 {
	v := d.varint(field)
	if v != int64(int32(v)) {
		d.fail(field, "%d out of int32 range", v)
		return 0
	}
	return int32(v)
}

func (d *codecDecoder) nonzero32(field string) int32 {
	v := d.int32(field)
	if v == 0 {
		d.fail(field, "present but zero")
	}
	return v
}

// mask reads a field mask with no bits outside known.
func (d *codecDecoder) mask(field string, known uint64) uint64 {
	m := d.uvarint(field)
	if m&^known != 0 {
		d.fail(field, "unknown bits %#x", m&^known)
		return 0
	}
	return m
}

// bound checks a count of elements of at least min bytes each against the
// input that remains, so that it may size an allocation.
func (d *codecDecoder) bound(field string, n uint64, min int) int {
	if rem := len(d.b); n > uint64(rem/min) {
		d.fail(field, "count %d exceeds remaining %d bytes", n, rem)
		return 0
	}
	return int(n)
}

func (d *codecDecoder) count(field string, min int) int {
	return d.bound(field, d.uvarint(field), min)
}

// raw reads a length and returns that many bytes of the input, not copied.
func (d *codecDecoder) raw(field string) []byte {
	n := d.uvarint(field)
	if rem := len(d.b); n > uint64(rem) {
		d.fail(field, "length %d exceeds remaining %d bytes", n, rem)
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *codecDecoder) str(field string) string { return string(d.raw(field)) }

// nonemptyString reads a path field whose mask bit is set, through the
// Decoder's path cache.
func (d *codecDecoder) nonemptyString(field string) string {
	p := d.raw(field)
	if len(p) == 0 {
		d.fail(field, "present but empty")
		return ""
	}
	return d.dec.path(p)
}

// internedString reads a scheme or id of an ACL or an identity, returning
// the common ones without allocating: nearly every ACL is world:anyone.
func (d *codecDecoder) internedString(field string) string {
	p := d.raw(field)
	switch string(p) {
	case "":
		return ""
	case "world":
		return "world"
	case "anyone":
		return "anyone"
	case "digest":
		return "digest"
	case "ip":
		return "ip"
	case "auth":
		return "auth"
	case "super":
		return "super"
	}
	return string(p)
}

// byteSlice reads a byte slice field whose mask bit is set: a copy, never nil.
func (d *codecDecoder) byteSlice(field string) []byte {
	p := d.raw(field)
	if d.err != nil {
		return nil
	}
	return d.dec.copyBytes(p)
}

// stringList reads a list of strings. They are copied into one builder, of which each element
// is a substring: one allocation for a list of children, not one per name, and none for a short
// list that fits in the Decoder's chunk of strings (stringRoom). A first pass checks the list
// and measures it, a second copies it.
func (d *codecDecoder) stringList(field string) []string {
	n := d.count(field, codecMinBytes)
	ss := d.dec.newStrings(n)
	start, total := d.b, 0
	for range n {
		total += len(d.raw(field))
	}
	if d.err != nil || total == 0 {
		return ss
	}
	end := d.b
	d.b = start
	var own strings.Builder
	b := d.dec.stringRoom(total, &own)
	for i := range ss {
		p := d.raw(field)
		at := b.Len()
		b.Write(p)
		ss[i] = b.String()[at:]
	}
	d.b = end
	return ss
}

// openACL is the list an encoding of exactly OpenACLUnsafe decodes to, shared
// by every decoding (see the codec's doc, "Hostile input"); openACLEnc is that
// encoding, a count of one and the entry.
var (
	openACL    = slices.Clip(slices.Clone(OpenACLUnsafe))
	openACLEnc = string(codecAppendACL(nil, OpenACLUnsafe))
)

// acl reads an ACL list: openACL itself when the input holds its encoding,
// else a list of its own. The shortcut takes only bytes that the general
// path decodes to a list equal to openACL (TestCodecOpenACLShared).
func (d *codecDecoder) acl(field string) []ACL {
	if len(d.b) >= len(openACLEnc) && string(d.b[:len(openACLEnc)]) == openACLEnc {
		d.b = d.b[len(openACLEnc):]
		return openACL
	}
	return d.aclList(field)
}

// aclList reads an ACL list into a new slice: the one decoder of ACL lists,
// which acl shortcuts.
func (d *codecDecoder) aclList(field string) []ACL {
	n := d.count(field, codecMinACL)
	acl := make([]ACL, n)
	for i := range acl {
		acl[i].Perms = Perm(d.int32(field))
		acl[i].ID.Scheme = d.internedString(field)
		acl[i].ID.ID = d.internedString(field)
	}
	return acl
}

// opcode reads an opcode and checks that it is one of the constants.
func (d *codecDecoder) opcode() OpCode {
	o := OpCode(d.int32("type"))
	if d.err == nil && !codecKnownOp(o) {
		d.fail("type", "unknown opcode %d", int32(o))
	}
	return o
}

// codecKnownOp reports whether o is one of the OpCode constants (the keys
// of opNames, which the tests compare with this).
func codecKnownOp(o OpCode) bool {
	switch {
	case o >= OpNotification && o <= OpMultiRead:
		return o != 10
	case o >= OpAuth && o <= OpWhoAmI:
		return o != 102
	}
	return o == OpError || o == OpCreateSession || o == OpCloseSession
}

// code reads an Err field whose mask bit is set: a Code constant other
// than OK.
func (d *codecDecoder) code(field string) Code {
	c := Code(d.nonzero32(field))
	if _, ok := codeNames[c]; d.err == nil && !ok {
		d.fail(field, "unknown code %d", int32(c))
	}
	return c
}

func (d *codecDecoder) txn(x *Txn, sub bool) {
	x.Type = d.opcode()
	if d.err == nil {
		switch {
		case sub && x.Type == OpMulti:
			d.fail("type", "multi nested in a multi")
		case !x.Type.IsWrite() && x.Type != OpError:
			d.fail("type", "%s is not a txn type", x.Type)
		}
	}
	m := d.mask("field mask", txnAll)
	if m == 0 {
		return
	}
	if m&txnSession != 0 {
		x.Session = SessionID(d.nonzero64("session"))
	}
	if m&txnCxid != 0 {
		x.Cxid = d.nonzero32("cxid")
	}
	if m&txnZxid != 0 {
		x.Zxid = Zxid(d.nonzero64("zxid"))
	}
	if m&txnTime != 0 {
		x.Time = d.nonzero64("time")
	}
	if m&txnPath != 0 {
		x.Path = d.nonemptyString("path")
	}
	if m&txnData != 0 {
		x.Data = d.byteSlice("data")
	}
	if m&txnVersion != 0 {
		x.Version = d.nonzero32("version")
	}
	if m&txnDigest != 0 {
		if len(d.b) < 8 {
			d.fail("digest", "truncated")
		} else {
			x.Digest = binary.LittleEndian.Uint64(d.b)
			d.b = d.b[8:]
			if x.Digest == 0 {
				d.fail("digest", "present but zero")
			}
		}
	}
	if m&txnACL != 0 {
		x.ACL = d.acl("acl")
	}
	if m&txnEphemeralOwner != 0 {
		x.EphemeralOwner = d.nonzero64("ephemeral owner")
	}
	if m&txnParentCversion != 0 {
		x.ParentCversion = d.nonzero32("parent cversion")
	}
	if m&txnTimeout != 0 {
		x.Timeout = d.nonzero32("timeout")
	}
	if m&txnPaths != 0 {
		x.Paths = d.stringList("paths")
	}
	if m&txnErr != 0 {
		x.Err = d.code("err")
	}
	if m&txnOps != 0 {
		if sub {
			d.fail("ops", "multi nested in a multi")
			return
		}
		x.Ops = d.dec.newTxns(d.count("ops", codecMinOp))
		for i := range x.Ops {
			if d.err != nil {
				break
			}
			d.op = i
			d.txn(&x.Ops[i], true)
		}
		d.op = -1
	}
}

func (d *codecDecoder) request(r *Request, sub bool) {
	r.Type = d.opcode()
	if d.err == nil && sub && (r.Type == OpMulti || r.Type == OpMultiRead) {
		d.fail("type", "%s nested in a multi", r.Type)
	}
	m := d.mask("field mask", reqAll)
	if m == 0 {
		return
	}
	if m&reqPath != 0 {
		r.Path = d.nonemptyString("path")
	}
	if m&reqData != 0 {
		r.Data = d.byteSlice("data")
	}
	if m&reqVersion != 0 {
		r.Version = d.nonzero32("version")
	}
	r.Watch = m&reqWatch != 0
	if m&reqACL != 0 {
		r.ACL = d.acl("acl")
	}
	if m&reqMode != 0 {
		r.Mode = CreateMode(d.nonzero32("mode"))
	}
	if m&reqTTL != 0 {
		r.TTL = d.nonzero64("ttl")
	}
	if m&reqTimeout != 0 {
		r.Timeout = d.nonzero32("timeout")
	}
	if m&reqWatchMode != 0 {
		v := d.uvarint("watch mode")
		if d.err == nil && (v == 0 || v > uint64(WatchPersistentRecursive)) {
			d.fail("watch mode", "bad value %d", v)
		}
		r.WatchMode = WatchMode(v)
	}
	if m&reqWatcherType != 0 {
		t := WatcherType(d.int32("watcher type"))
		if d.err == nil && t != WatcherChildren && t != WatcherData && t != WatcherAny {
			d.fail("watcher type", "bad value %d", int32(t))
		}
		r.WatcherType = t
	}
	if m&reqOps != 0 {
		if sub {
			d.fail("ops", "multi nested in a multi")
			return
		}
		r.Ops = d.dec.newRequests(d.count("ops", codecMinOp))
		for i := range r.Ops {
			if d.err != nil {
				break
			}
			d.op = i
			d.request(&r.Ops[i], true)
		}
		d.op = -1
	}
	if m&(reqRelativeZxid|reqDataWatches|reqExistWatches|reqChildWatches|reqPersistentWatches|reqPersistentRecursiveWatches) == 0 {
		return
	}
	sw := &SetWatches{}
	r.SetWatches = sw
	if m&reqRelativeZxid != 0 {
		sw.RelativeZxid = Zxid(d.nonzero64("relative zxid"))
	}
	if m&reqDataWatches != 0 {
		sw.DataWatches = d.stringList("data watches")
	}
	if m&reqExistWatches != 0 {
		sw.ExistWatches = d.stringList("exist watches")
	}
	if m&reqChildWatches != 0 {
		sw.ChildWatches = d.stringList("child watches")
	}
	if m&reqPersistentWatches != 0 {
		sw.PersistentWatches = d.stringList("persistent watches")
	}
	if m&reqPersistentRecursiveWatches != 0 {
		sw.PersistentRecursiveWatches = d.stringList("persistent recursive watches")
	}
}

func (d *codecDecoder) result(r *Result, sub bool) {
	r.Type = d.opcode()
	if d.err == nil && sub && (r.Type == OpMulti || r.Type == OpMultiRead) {
		d.fail("type", "%s nested in a multi", r.Type)
	}
	m := d.mask("field mask", resAll)
	if m == 0 {
		return
	}
	if m&resErr != 0 {
		r.Err = d.code("err")
	}
	if m&resPath != 0 {
		r.Path = d.nonemptyString("path")
	}
	r.HasStat = m&resHasStat != 0
	if m&resStat != 0 {
		d.stat(&r.Stat)
	}
	if m&resData != 0 {
		r.Data = d.byteSlice("data")
	}
	if m&resChildren != 0 {
		r.Children = d.stringList("children")
	}
	if m&resACL != 0 {
		r.ACL = d.acl("acl")
	}
	if m&resPaths != 0 {
		r.Paths = d.stringList("paths")
	}
	if m&resCount != 0 {
		r.Count = d.nonzero32("count")
	}
	if m&resMulti != 0 {
		if sub {
			d.fail("multi", "multi nested in a multi")
			return
		}
		r.Multi = d.dec.newResults(d.count("multi", codecMinOp))
		for i := range r.Multi {
			if d.err != nil {
				break
			}
			d.op = i
			d.result(&r.Multi[i], true)
		}
		d.op = -1
	}
}

func (d *codecDecoder) stat(s *Stat) {
	m := d.mask("stat mask", statAll)
	if m == 0 {
		d.fail("stat mask", "present but zero")
		return
	}
	if m&statCzxid != 0 {
		s.Czxid = Zxid(d.nonzero64("stat czxid"))
	}
	if m&statMzxid != 0 {
		s.Mzxid = Zxid(d.nonzero64("stat mzxid"))
	}
	if m&statCtime != 0 {
		s.Ctime = d.nonzero64("stat ctime")
	}
	if m&statMtime != 0 {
		s.Mtime = d.nonzero64("stat mtime")
	}
	if m&statVersion != 0 {
		s.Version = d.nonzero32("stat version")
	}
	if m&statCversion != 0 {
		s.Cversion = d.nonzero32("stat cversion")
	}
	if m&statAversion != 0 {
		s.Aversion = d.nonzero32("stat aversion")
	}
	if m&statEphemeralOwner != 0 {
		s.EphemeralOwner = d.nonzero64("stat ephemeral owner")
	}
	if m&statDataLength != 0 {
		s.DataLength = d.nonzero32("stat data length")
	}
	if m&statNumChildren != 0 {
		s.NumChildren = d.nonzero32("stat children")
	}
	if m&statPzxid != 0 {
		s.Pzxid = Zxid(d.nonzero64("stat pzxid"))
	}
}
