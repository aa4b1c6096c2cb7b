package varint

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
)

// Samples returns inputs for the tests of a uvarint decoder that take every path: every length
// of canonical uvarint, each followed by nothing or by more bytes, overlong and overflowing and
// truncated ones, and random bytes rich in continuation bytes and zeros. seed picks the random
// ones. It allocates; it is for tests.
func Samples(seed uint64) [][]byte {
	var cases [][]byte
	tails := [][]byte{nil, {0}, {0x7f, 1}, {0x80, 0x80, 0x80}, bytes.Repeat([]byte{0xff}, 9)}
	for s := range 64 {
		for _, v := range []uint64{1<<s - 1, 1 << s, 1<<s + 1, math.MaxUint64 >> s} {
			enc := binary.AppendUvarint(nil, v)
			for _, tail := range tails {
				cases = append(cases, append(slices.Clip(enc), tail...))
				if len(enc) < binary.MaxVarintLen64 {
					long := append(slices.Clone(enc), 0) // a needless zero group: overlong
					long[len(enc)-1] |= 0x80
					cases = append(cases, append(long, tail...))
				}
			}
			cases = append(cases, enc[:len(enc)-1]) // truncated, or empty
		}
	}
	r := rand.New(rand.NewPCG(seed, seed+1))
	alphabet := []byte{0, 1, 2, 0x7f, 0x80, 0x81, 0xfe, 0xff}
	for range 20000 {
		b := make([]byte, r.IntN(14))
		for i := range b {
			if r.IntN(4) == 0 {
				b[i] = byte(r.Uint32())
			} else {
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
		}
		cases = append(cases, b)
	}
	return cases
}
