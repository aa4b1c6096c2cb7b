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
	// byEnc maps the encoding of each remembered txn to it, and byTxn each remembered txn to
	// its encoding.
	// Invariant: byEnc holds exactly the encodings of ring's entries with a txn, each mapped to
	// its entry (byEnc[k].enc == k), byTxn exactly their txns, and byTxn[byEnc[k].txn] == k
	// for every key k: one encoding per txn and one txn per encoding.
	byEnc map[string]sharedTxn
	byTxn map[*tree.Txn]string
	// ring holds the remembered txns with their encodings, the oldest at next once the ring is
	// full; an entry without a txn is zero. It holds the txn too so that forgetting the oldest
	// needs no lookup of its long key.
	ring [txnShareSize]sharedTxn
	next int
	// last is the txn remembered or shared most recently, with its encoding: a leader logs a
	// txn and then sends it to each follower, a follower receives one and then logs it, so
	// most lookups by txn are for this one, and it spares them the map.
	// Invariant: last is zero or one of the remembered txns with its encoding.
	last sharedTxn
	// hits and misses count the txns decoded by lookup and by decoding, for tests.
	hits, misses int64
	// dec decodes the txns not shared and the requests of FORWARD packets, remembering their
	// paths: the ensemble's txns and requests name the same nodes again and again.
	dec tree.Decoder
}

// DecodePacketInto is the package's DecodePacketInto, except that the packet's txn may be one
// remembered from the same bytes, shared with the server that sent it and the others that
// received it (see TxnShare): the caller must treat it as immutable, as every holder of a
// logged or sent txn must.
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
	if enc, ok := s.byTxn[x]; ok {
		s.last = sharedTxn{enc, x}
		return append(b, enc...)
	}
	start := len(b)
	b = tree.AppendTxn(b, x)
	s.remember(string(b[start:]), x)
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
	if e, ok := s.byEnc[string(b)]; ok {
		s.hits++
		s.last = e
		return e.txn, b[len(b):], nil
	}
	s.misses++
	x, rest, err := s.dec.DecodeTxnFrom(b)
	if err != nil || len(rest) != 0 {
		// Only a txn that ends its frame is shared: then the key is exactly its encoding.
		return x, rest, err
	}
	s.remember(string(b), x)
	return x, rest, nil
}

// remember adds x with its encoding enc, forgetting the oldest txn when the share is full. A
// txn or an encoding the share already holds is left as it is.
func (s *TxnShare) remember(enc string, x *tree.Txn) {
	if s.byEnc == nil {
		s.byEnc = make(map[string]sharedTxn, txnShareSize)
		s.byTxn = make(map[*tree.Txn]string, txnShareSize)
	}
	if _, ok := s.byEnc[enc]; ok {
		return
	}
	if _, ok := s.byTxn[x]; ok {
		return
	}
	if old := s.ring[s.next]; old.txn != nil {
		delete(s.byTxn, old.txn)
		delete(s.byEnc, old.enc)
		if s.last.txn == old.txn {
			s.last = sharedTxn{}
		}
	}
	s.last = sharedTxn{enc, x}
	s.ring[s.next] = s.last
	s.next = (s.next + 1) % txnShareSize
	s.byEnc[enc] = s.last
	s.byTxn[x] = enc
}

// sharedTxn is a remembered txn and its encoding.
type sharedTxn struct {
	enc string
	txn *tree.Txn
}
