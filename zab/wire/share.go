package wire

import "zoosim/tree"

// txnShareSize is how many recent txn encodings a TxnShare remembers. A leader sends each
// proposal to every follower at once, and the followers receive it within a few network
// latencies of each other, while only a handful of later proposals go out; 64 covers that
// spread with room to spare, and a follower that falls further behind (a clogged link, a
// DIFF after a partition) simply decodes its own copy.
const txnShareSize = 64

// TxnShare lets the servers of one simulated ensemble share the txns they decode from quorum
// packets: a proposal the leader sends to four followers is decoded once, and the other three
// receive the same *tree.Txn. Decoding a txn is most of what a follower spends on a proposal
// (it allocates every path, data slice and ACL anew), and a simulation runs every server of the
// ensemble in one process, so the copies are pure waste.
//
// This is the one place where simulated nodes share memory (see the package doc), and it is
// safe for two reasons:
//
//   - The value is exactly what a fresh decoding would give. A txn is shared only when the
//     packet's bytes from the txn to the end of the frame are byte for byte those of a txn
//     decoded before, and that decoding consumed all of them; the codec is canonical and
//     deterministic, so the same bytes decode to the same value.
//   - Nobody writes to a txn once it is decoded. Invariant: a *tree.Txn that came out of a
//     packet is immutable: zab keeps it in its log and hands it to the tree, which takes
//     ownership of its Data and ACL slices without ever writing to them (tree's znode keeps
//     data "never mutated in place"), and the host's history keeps the pointer. zab's test
//     harness checks that no peer changes a txn after it was sent (harness_test.go,
//     checkSentTxns); a change anywhere would make one server's write show up in another's
//     state, which is why the rule is stated here and not only there.
//
// A TxnShare belongs to one ensemble, that is to one simulated world and its one goroutine: it
// is not safe for concurrent use, and never shared between runs (a sweep runs several at once).
// The zero value is ready to use; a nil *TxnShare shares nothing.
type TxnShare struct {
	// byEnc maps the encoding of each remembered txn to the txn decoded from it.
	// Invariant: byEnc holds exactly the non-empty keys of ring, and byEnc[k].enc == k.
	byEnc map[string]sharedTxn
	// ring holds the remembered encodings, the oldest at next once the ring is full.
	ring [txnShareSize]string
	next int
	// last is the txn the latest decoding returned, with the bytes it came from, shared or not
	// (enc is empty when it was not kept: a txn that did not end its frame).
	last sharedTxn
	// hits and misses count lookups, for tests and benchmarks.
	hits, misses int64
}

// DecodePacketInto is the package's DecodePacketInto, except that the packet's txn may be one
// decoded before from the same bytes, shared with the other servers that received it (see
// TxnShare): the caller must treat it as immutable, as every holder of a decoded txn must.
func (s *TxnShare) DecodePacketInto(p *Packet, b []byte) error {
	return decodePacketInto(p, b, s)
}

// Stats returns how many txns were shared (hits) and how many were decoded afresh (misses).
func (s *TxnShare) Stats() (hits, misses int64) {
	if s == nil {
		return 0, 0
	}
	return s.hits, s.misses
}

// decodeTxn decodes the txn at the start of b like tree.DecodeTxnFrom, sharing it when b is
// exactly the encoding of a txn decoded before.
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
	s.last = sharedTxn{}
	x, rest, err := tree.DecodeTxnFrom(b)
	if err != nil || len(rest) != 0 {
		// Only a txn that ends its frame is shared: then the key is exactly its encoding.
		return x, rest, err
	}
	if s.byEnc == nil {
		s.byEnc = make(map[string]sharedTxn, txnShareSize)
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.byEnc, old)
	}
	e := sharedTxn{enc: string(b), txn: x}
	s.ring[s.next] = e.enc
	s.next = (s.next + 1) % txnShareSize
	s.byEnc[e.enc] = e
	s.last = e
	return x, rest, nil
}

// sharedTxn is a decoded txn and the bytes it was decoded from.
type sharedTxn struct {
	enc string
	txn *tree.Txn
}

// AppendTxn appends the encoding of x to b, as tree.AppendTxn does. When x is the txn the latest
// DecodePacketInto returned, its encoding is the bytes it was decoded from (the codec is
// canonical, and x is immutable), which are copied instead of encoding x again: a follower
// logs each proposal's txn right after receiving it.
func (s *TxnShare) AppendTxn(b []byte, x *tree.Txn) []byte {
	if s != nil && x != nil && x == s.last.txn && s.last.enc != "" {
		return append(b, s.last.enc...)
	}
	return tree.AppendTxn(b, x)
}
