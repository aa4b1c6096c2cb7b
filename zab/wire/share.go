package wire

import "zoosim/tree"

// txnShareSize is how many recent txns a TxnShare remembers. A leader logs each proposal and
// sends it to every follower at once, and the followers receive it within a few network
// latencies of each other, while only a handful of later proposals go out; 64 covers that
// spread with room to spare, and a follower that falls further behind (a clogged link, a
// DIFF after a partition) simply decodes its own copy.
const txnShareSize = 64

// TxnShare lets the servers of one simulated ensemble share their txns instead of copying them
// through the codec: the txn a leader logs and proposes to four followers is encoded once, and
// the followers receive the leader's very *tree.Txn rather than each decoding the bytes into a
// copy of its own. Decoding a txn is most of what a follower spends on a proposal (it allocates
// every path, data slice and ACL anew), encoding it most of what a leader spends on sending
// one, and a simulation runs every server of the ensemble in one process, so the copies are
// pure waste. It remembers the txns it recently encoded (AppendTxn, AppendPacket) or decoded
// (DecodePacketInto), each with its encoding.
//
// This is the one place where simulated nodes share memory (see the package doc), and it is
// safe for two reasons:
//
//   - The value is exactly what a fresh decoding would give. A txn is shared only when the
//     packet's bytes from the txn to the end of the frame are byte for byte the encoding of a
//     txn remembered, decoded from those bytes or encoded into them. The codec is canonical
//     and deterministic, so the same bytes decode to the same value, and decoding the encoding
//     of a valid txn gives a value deep-equal to it, nil and empty slices included (tree's codec
//     doc, "Canonical form"; zab's test harness checks it for every txn a packet carries).
//   - Nobody writes to a txn once it is logged or sent. Invariant: a *tree.Txn that a server
//     logged, sent or received is immutable: zab keeps it in its log and hands it to the
//     tree, which takes ownership of its Data and ACL slices without ever writing to them
//     (tree's znode keeps data "never mutated in place"), and the host's history keeps the
//     pointer. zab's test harness hands every receiver the sender's very txn and checks that
//     no peer changes a txn after it was sent (harness_test.go, checkSentTxns); a change
//     anywhere would make one server's write show up in another's state, which is why the
//     rule is stated here and not only there.
//
// A TxnShare belongs to one ensemble, that is to one simulated world and its one goroutine: it
// is not safe for concurrent use, and never shared between runs (a sweep runs several at once).
// The zero value is ready to use; a nil *TxnShare shares nothing.
type TxnShare struct {
	// The remembered txns, each with its encoding and the encoding's fingerprint, in a ring
	// whose oldest entry is at next once it is full. A lookup scans the ring from the newest
	// entry, comparing txn pointers or fingerprints and only on a matching fingerprint the
	// bytes: the txn looked up is nearly always among the last few, and 64 word comparisons
	// cost less than hashing a long encoding into a map and keeping the map.
	// Invariant: an entry is unused (nil txn, empty encoding) or holds a txn with its
	// encoding and fps[i] == fingerprint(encs[i]); no two used entries hold the same txn or
	// the same encoding.
	txns [txnShareSize]*tree.Txn
	fps  [txnShareSize]uint64
	// Invariant: a remembered encoding is never written to (keep).
	encs [txnShareSize][]byte
	// Invariant: 0 <= next < txnShareSize.
	next int
	// last is the txn remembered or shared most recently, with its encoding: a leader logs a
	// txn and then sends it to each follower, a follower receives one and then logs it, so
	// most lookups by txn are for this one, and it spares them the scan.
	// Invariant: last is zero or one of the remembered txns with its encoding.
	last sharedTxn
	// hits and misses count the txns decoded by lookup and by decoding, for tests.
	hits, misses int64
	// dec decodes the txns not shared and the requests of FORWARD packets, remembering their
	// paths: the ensemble's txns and requests name the same nodes again and again.
	dec tree.Decoder
	// chunk is the unused room of the array that keep copies encodings into.
	chunk []byte
	// forwards holds the zeroed Forwards that newForward hands out next, the rest of a slab.
	forwards []Forward
}

// forwardSlab is how many Forwards newForward allocates at once (2.6 KiB): the leader
// decodes one for every write a follower forwards, and uses it only while it prepares the
// txn, so the Forwards of a slab are dropped within a few requests of each other.
const forwardSlab = 8

// newForward returns a zeroed Forward for a decoded FORWARD packet, which the caller owns as
// if it were allocated alone: from a slab, or freshly allocated by a nil share.
func (s *TxnShare) newForward() *Forward {
	if s == nil {
		return new(Forward)
	}
	if len(s.forwards) == 0 {
		s.forwards = make([]Forward, forwardSlab)
	}
	f := &s.forwards[0]
	s.forwards = s.forwards[1:]
	return f
}

// The chunks of remembered encodings: shareChunk bytes each, for encodings of up to
// shareChunkMax bytes (a usual txn's is a few dozen); a longer one gets an array of its own.
// The ring's 64 entries then span two or three chunks, which is all the share keeps alive.
const (
	shareChunk    = 4096
	shareChunkMax = 1024
)

// keep returns a copy of enc for the share to remember: a slice of a chunk it fills with
// encodings one after another, so that remembering one, which the leader does for every txn
// it logs, is a copy and rarely an allocation. Each copy has its capacity cut and nobody
// writes to it (the share only appends it to frames and compares it), so it stays the
// encoding it was.
func (s *TxnShare) keep(enc []byte) []byte {
	n := len(enc)
	if n > shareChunkMax {
		return append(make([]byte, 0, n), enc...)
	}
	if cap(s.chunk)-len(s.chunk) < n {
		s.chunk = make([]byte, 0, shareChunk)
	}
	start := len(s.chunk)
	s.chunk = append(s.chunk, enc...)
	return s.chunk[start:len(s.chunk):len(s.chunk)]
}

// DecodePacketInto is the package's DecodePacketInto, except that the packet's txn may be one
// remembered from the same bytes, shared with the server that sent it and the others that
// received it (see TxnShare): the caller must treat it as immutable, as every holder of a
// logged or sent txn must. A path it decodes may be a string decoded before (tree.Decoder),
// and a Forward comes from a slab of them (newForward), still the caller's own.
func (s *TxnShare) DecodePacketInto(p *Packet, b []byte) error {
	return decodePacketInto(p, b, s)
}

// AppendPacket is the package's AppendPacket, with the packet's txn appended by AppendTxn: a
// txn the share remembers goes out as its remembered encoding instead of being encoded again,
// and one it does not is remembered with the encoding it gets, so that the receivers of the
// frame can share it.
func (s *TxnShare) AppendPacket(b []byte, p *Packet) []byte {
	return appendPacket(b, p, s)
}

// AppendTxn appends the encoding of x to b, as tree.AppendTxn does: the remembered encoding
// when the share knows x (a follower logs each proposal's txn right after receiving it), else
// a fresh one, after which the share remembers x (a leader logs each txn before it proposes
// it).
func (s *TxnShare) AppendTxn(b []byte, x *tree.Txn) []byte {
	if s == nil || x == nil {
		return tree.AppendTxn(b, x)
	}
	if x == s.last.txn {
		return append(b, s.last.enc...)
	}
	if i := s.indexTxn(x); i >= 0 {
		s.last = sharedTxn{s.encs[i], x}
		return append(b, s.encs[i]...)
	}
	start := len(b)
	b = tree.AppendTxn(b, x)
	enc := b[start:]
	// Another txn with the same encoding (a log recovered from disk, sent again) keeps its
	// entry: one txn per encoding.
	if fp := fingerprint(enc); indexEnc(s, enc, fp) < 0 {
		s.add(s.keep(enc), fp, x)
	}
	return b
}

// Stats returns how many txns DecodePacketInto shared (hits) and how many it decoded afresh
// (misses).
func (s *TxnShare) Stats() (hits, misses int64) {
	if s == nil {
		return 0, 0
	}
	return s.hits, s.misses
}

// decodeTxn decodes the txn at the start of b like tree.DecodeTxnFrom, sharing it when b is
// exactly the encoding of a txn remembered.
func (s *TxnShare) decodeTxn(b []byte) (*tree.Txn, []byte, error) {
	if s == nil {
		return tree.DecodeTxnFrom(b)
	}
	fp := fingerprint(b)
	if i := indexEnc(s, b, fp); i >= 0 {
		s.hits++
		s.last = sharedTxn{s.encs[i], s.txns[i]}
		return s.txns[i], b[len(b):], nil
	}
	s.misses++
	x, rest, err := s.dec.DecodeTxnFrom(b)
	if err != nil || len(rest) != 0 {
		// Only a txn that ends its frame is shared: then the key is exactly its encoding.
		return x, rest, err
	}
	s.add(s.keep(b), fp, x) // a txn just decoded, for an encoding not remembered
	return x, rest, nil
}

// add remembers x with its encoding enc, whose fingerprint is fp, forgetting the oldest txn
// when the share is full. Neither x nor enc may be remembered already.
func (s *TxnShare) add(enc []byte, fp uint64, x *tree.Txn) {
	if s.last.txn == s.txns[s.next] {
		s.last = sharedTxn{} // the oldest, forgotten now
	}
	s.txns[s.next], s.fps[s.next], s.encs[s.next] = x, fp, enc
	s.next = (s.next + 1) % txnShareSize
	s.last = sharedTxn{enc, x}
}

// indexTxn returns the entry holding x, or -1. x must not be nil.
//
// It scans from the newest entry back to the oldest, in two plain runs (the entries before
// next, then those from next on, each from its end) rather than one modular walk: each step
// is then a load, a compare and a decrement. Which entry it finds does not depend on the
// order, as no two hold the same txn; the order only makes a hit, nearly always a recent txn,
// quick.
func (s *TxnShare) indexTxn(x *tree.Txn) int {
	next := s.next
	newer, older := s.txns[:next], s.txns[next:]
	for i := len(newer) - 1; i >= 0; i-- {
		if newer[i] == x {
			return i
		}
	}
	for i := len(older) - 1; i >= 0; i-- {
		if older[i] == x {
			return next + i
		}
	}
	return -1
}

// indexEnc returns the entry of s whose encoding is enc, whose fingerprint is fp, or -1. It
// scans as indexTxn does, comparing fingerprints; no two entries hold the same encoding.
func indexEnc[T string | []byte](s *TxnShare, enc T, fp uint64) int {
	next := s.next
	newer, older := s.fps[:next], s.fps[next:]
	for i := len(newer) - 1; i >= 0; i-- {
		if newer[i] == fp && string(s.encs[i]) == string(enc) {
			return i
		}
	}
	for i := len(older) - 1; i >= 0; i-- {
		if older[i] == fp && string(s.encs[next+i]) == string(enc) {
			return next + i
		}
	}
	return -1
}

// fingerprint is a cheap digest of a txn's encoding, so that a lookup compares the bytes of
// only the entries that may match: the length and three words, the first 16 bytes (the
// opcode, the session, the cxid and most of the zxid) and the last 8 (for the common txns, the
// digest of the tree after the txn, or the values that close a create). Any two encodings
// may share one; it costs a comparison of their bytes, never a wrong match.
func fingerprint[T string | []byte](enc T) uint64 {
	n := len(enc)
	h := uint64(n)
	if n < 24 { // rare: a txn of a few fields
		for i := range n {
			h = (h ^ uint64(enc[i])) * hashPrime
		}
		return h
	}
	for _, at := range [3]int{0, 8, n - 8} {
		w := enc[at : at+8]
		h = (h ^ (uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56)) * hashPrime
	}
	return h ^ h>>29
}

// hashPrime is the multiplier of fingerprint: odd, with its bits spread (2^64 over the golden
// ratio).
const hashPrime = 0x9e3779b97f4a7c15

// sharedTxn is a remembered txn and its encoding.
type sharedTxn struct {
	enc []byte
	txn *tree.Txn
}
