package sim

import (
	"encoding/binary"
	"testing"
)

// hashBytesReference is hashBytes as first written, word by word and then byte by byte: the
// specification that the faster version must match bit for bit, as the trace hash of every run
// depends on it.
func hashBytesReference(p []byte) uint64 {
	h := uint64(len(p)) ^ 0x2545f4914f6cdd1d
	for len(p) >= 8 {
		h = mix(h, binary.LittleEndian.Uint64(p))
		p = p[8:]
	}
	var tail uint64
	for i, b := range p {
		tail |= uint64(b) << (8 * i)
	}
	return mix(h, tail)
}

// hashBytes agrees with the reference for every length up to several words, both the short
// inputs it hashes byte by byte and the longer ones whose tail it reads as one word, at every
// alignment.
func TestHashBytesMatchesTheReference(t *testing.T) {
	buf := make([]byte, 300)
	r := NewRand(5)
	for round := 0; round < 20; round++ {
		for i := range buf {
			buf[i] = byte(r.Uint64())
		}
		if round == 0 {
			clear(buf) // zero bytes: a tail of zeros must still differ from no tail by its length
		}
		for off := 0; off < 8; off++ {
			for n := 0; off+n <= len(buf); n++ {
				p := buf[off : off+n]
				if got, want := hashBytes(p), hashBytesReference(p); got != want {
					t.Fatalf("round %d: hashBytes of %d bytes at %d = %#x, want %#x", round, n, off, got, want)
				}
			}
		}
	}
	if got, want := hashBytes(nil), hashBytesReference(nil); got != want {
		t.Fatalf("hashBytes(nil) = %#x, want %#x", got, want)
	}
}
