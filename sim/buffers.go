package sim

import "math/bits"

// The kernel copies every message it carries (nodes share no memory), and a busy ensemble sends
// several per client operation. The copies come from a free list of the world's own and go back
// to it once the receiver's Received has returned: a steady stream of messages allocates nothing.
//
// The free list belongs to one World and is used by its event loop only; which buffer a message
// gets never reaches the trace or the software (only the bytes do), so it cannot move a run.
// sync.Pool would work too, but its contents depend on the garbage collector and on other
// goroutines' worlds; a plain list keeps one world's memory behaviour its own.

const (
	// minBufShift and maxBufShift bound the size classes: buffers of 64 B to 1 MiB. A message
	// larger than that gets a buffer of its own, which the collector takes back.
	minBufShift = 6
	maxBufShift = 20
	// bufClassBytes bounds what one class keeps once returned: a burst of large messages does not
	// pin its memory for the rest of the run.
	bufClassBytes = 4 << 20
	// poisonByte overwrites every returned buffer. A receiver that kept a message past Received
	// reads it back as garbage (in a run of 0xdb every varint runs on past its ten bytes, and a
	// kind or type byte of 0xdb is unknown to the project's codecs), the same garbage in every
	// run, so the bug shows as a test failure that replays.
	poisonByte = 0xdb
)

// buffers is a world's free list of message buffers, by size class (capacity 1<<shift).
type buffers struct {
	// free[k] holds returned buffers of capacity 1<<(k+minBufShift), poisoned.
	// Invariant: no buffer in free is referenced by a packet in flight, and
	// len(free[k]) << (k+minBufShift) <= max(bufClassBytes, 1<<(k+minBufShift)).
	free [maxBufShift - minBufShift + 1][][]byte
	// held counts the copies given out and not yet released, for the tests' leak check.
	// Invariant: held is the number of data packets in flight with a non-empty buffer.
	held int
}

// class returns the size class of a message of n bytes, or -1 if it is too large to pool.
func bufClass(n int) int {
	if n <= 1<<minBufShift {
		return 0
	}
	shift := bits.Len(uint(n - 1))
	if shift > maxBufShift {
		return -1
	}
	return shift - minBufShift
}

// copyOf returns a copy of msg in a buffer from the free list (or a new one).
func (b *buffers) copyOf(msg []byte) []byte {
	if len(msg) == 0 {
		return msg[:0:0] // as slices.Clone: nil stays nil, and there is nothing to share
	}
	b.held++
	k := bufClass(len(msg))
	if k < 0 {
		return append(make([]byte, 0, len(msg)), msg...)
	}
	var buf []byte
	if free := b.free[k]; len(free) > 0 {
		buf = free[len(free)-1]
		free[len(free)-1] = nil
		b.free[k] = free[:len(free)-1]
	} else {
		buf = make([]byte, 0, 1<<(k+minBufShift))
	}
	return append(buf[:0], msg...)
}

// release poisons buf and returns it to the free list. buf must be a copy from copyOf that
// nothing will read again.
func (b *buffers) release(buf []byte) {
	c := cap(buf)
	if c == 0 {
		return
	}
	b.held--
	poison(buf)
	// Only a size class's own buffers are kept: their capacity is a power of two from
	// 1<<minBufShift to 1<<maxBufShift. An unpooled large message is the collector's.
	if c&(c-1) != 0 || c < 1<<minBufShift || c > 1<<maxBufShift {
		return
	}
	k := bits.TrailingZeros(uint(c)) - minBufShift
	if len(b.free[k])*c >= max(bufClassBytes, c) {
		return
	}
	b.free[k] = append(b.free[k], buf[:0])
}

// poisonBlock is poison to copy from: one copy covers a typical message.
// Invariant: every byte is poisonByte; nothing writes to it after package initialization.
var poisonBlock = func() (b [512]byte) {
	for i := range b {
		b[i] = poisonByte
	}
	return b
}()

// poison overwrites p with poisonByte: one copy for a message up to the block's size, a loop of
// them only for a larger one.
func poison(p []byte) {
	for len(p) > len(poisonBlock) {
		p = p[copy(p, poisonBlock[:]):]
	}
	copy(p, poisonBlock[:])
}
