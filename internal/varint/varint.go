// Package varint decodes the uvarints of zoosim's binary encodings (tree's and zab/wire's) in
// their canonical, shortest form. Each codec keeps its own one-byte fast path inline and reports
// problems in its own words; what a canonical uvarint is, and the word-at-a-time decoding of the
// longer ones, live here once.
package varint

import (
	"encoding/binary"
	"math/bits"
)

// The problems Decode reports.
const (
	Truncated       = "truncated"        // no byte at all
	TruncatedVarint = "truncated varint" // the input ends inside the uvarint
	Overlong        = "overlong varint"  // a last byte of zero: a shorter encoding exists
	Overflow        = "varint overflows 64 bits"
)

// Word decodes a uvarint of two to eight bytes from w, the little-endian word of the first
// eight bytes of its encoding, whose first byte's top bit is set. It returns n = 0 when the
// uvarint does not end within those bytes or is overlong (its last byte is zero): Decode then
// decides. It is small enough to inline into a codec's fast path.
//
// stops has the top bit of each byte that could end the uvarint; the first, at bit 8n-1, ends
// one of n bytes. The n bytes' low seven bits are kept, then the gaps between them closed: in
// pairs of bytes, in pairs of pairs, in the halves.
func Word(w uint64) (v uint64, n int) {
	stops := ^w & 0x8080808080808080
	last := bits.TrailingZeros64(stops)
	if stops == 0 || byte(w>>(last-7)) == 0 {
		return 0, 0
	}
	w &= (stops ^ (stops - 1)) & 0x7f7f7f7f7f7f7f7f
	w = w&0x007f007f007f007f | (w&0x7f007f007f007f00)>>1
	w = w&0x00003fff00003fff | (w&0x3fff00003fff0000)>>2
	w = w&0x000000000fffffff | (w&0x0fffffff00000000)>>4
	return w, last/8 + 1
}

// Decode decodes the uvarint at the start of b the long way, byte by byte: it is the single
// source of truth for what a canonical uvarint is. It returns the value and its length, or a
// problem (one of the constants above) and n = 0.
func Decode(b []byte) (v uint64, n int, problem string) {
	for i, c := range b {
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break
			}
			if c == 0 && i > 0 {
				// A last byte of zero adds nothing: the same value has a shorter encoding,
				// and only the shortest is canonical.
				return 0, 0, Overlong
			}
			return v | uint64(c)<<(7*i), i + 1, ""
		}
		if i == binary.MaxVarintLen64-1 {
			break
		}
		v |= uint64(c&0x7f) << (7 * i)
	}
	switch {
	case len(b) == 0:
		return 0, 0, Truncated
	case len(b) < binary.MaxVarintLen64:
		return 0, 0, TruncatedVarint
	}
	return 0, 0, Overflow
}
