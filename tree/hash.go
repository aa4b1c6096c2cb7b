package tree

import (
	"encoding/binary"
	"math/bits"
)

// The digest hashes each part of the state with its own seed, so that a
// path's hash never equals some data's hash by construction.
const (
	seedPath    uint64 = 0x243f6a8885a308d3
	seedData    uint64 = 0x13198a2e03707344
	seedMeta    uint64 = 0xa4093822299f31d0
	seedACL     uint64 = 0x082efa98ec4e6c89
	seedSession uint64 = 0x452821e638d01377
)

const (
	hashPrime1 uint64 = 0x9e3779b97f4a7c15
	hashPrime2 uint64 = 0xbf58476d1ce4e5b9
	hashPrime3 uint64 = 0x94d049bb133111eb
)

// mix is the splitmix64 finalizer: a bijection that spreads every input bit
// over the whole word.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= hashPrime2
	x ^= x >> 27
	x *= hashPrime3
	x ^= x >> 31
	return x
}

// hashWords folds words into a running hash. It is our own construction, not
// a cryptographic one: the digest detects divergence between replicas that
// run the same code, where nobody crafts collisions.
func hashWord(h, w uint64) uint64 {
	return bits.RotateLeft64(h^mix(w+hashPrime1), 23)*hashPrime1 + hashPrime2
}

// hashBytes hashes b with a seed, eight bytes at a time; the length is
// hashed too so that trailing zero bytes count.
func hashBytes(seed uint64, b []byte) uint64 {
	h := seed ^ uint64(len(b))*hashPrime3
	for len(b) >= 8 {
		h = hashWord(h, binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	if len(b) > 0 {
		var tail [8]byte
		copy(tail[:], b)
		h = hashWord(h, binary.LittleEndian.Uint64(tail[:])^0xff)
	}
	return mix(h)
}

// hashString is hashBytes for a string, without copying it.
func hashString(seed uint64, s string) uint64 {
	h := seed ^ uint64(len(s))*hashPrime3
	for len(s) >= 8 {
		h = hashWord(h, uint64(s[0])|uint64(s[1])<<8|uint64(s[2])<<16|uint64(s[3])<<24|
			uint64(s[4])<<32|uint64(s[5])<<40|uint64(s[6])<<48|uint64(s[7])<<56)
		s = s[8:]
	}
	if len(s) > 0 {
		var tail [8]byte
		copy(tail[:], s)
		h = hashWord(h, binary.LittleEndian.Uint64(tail[:])^0xff)
	}
	return mix(h)
}
