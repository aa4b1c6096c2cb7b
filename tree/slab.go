package tree

import "reflect"

// slab carves values of T from arrays of them: one allocation per array
// instead of one per value, for the small objects that every write allocates
// on every replica (nodes, the leader's change records and txns, the op
// lists of multis). The price is memory: an array stays allocated while any
// value carved from it is reachable, so a value dropped early lingers until
// its neighbours go too. That suits values that live about as long as their
// neighbours: nodes (cleared when deleted, so that they hold nothing else),
// records dropped in zxid order, txns kept in a log, results and requests
// dropped once answered.
//
// The zero value is ready to use. Values are handed out once and zeroed, so
// a holder owns its value exactly as if it had allocated it.
type slab[T any] struct {
	// spare holds the zeroed values of the current array not handed out yet.
	spare []T
}

// slabBytes is the size of a slab's arrays: one of the allocator's size
// classes, which an array of slabCount values nearly fills (an array is
// rounded up to a class, and the rest would be wasted). 6 KiB objects come
// four to a span, where 8 KiB ones come one to a span and make every
// allocation fetch a new span (it measured 0.1% more instructions).
const slabBytes = 6 << 10

// slabCount is how many values of T an array of a slab holds.
func slabCount[T any]() int {
	return max(1, slabBytes/int(reflect.TypeFor[T]().Size()))
}

// take returns n zeroed values with capacity n (an append cannot reach a
// neighbour's), carved from the current array, or from a new one when fewer
// than n are left; n larger than an array gets an array of its own. The
// slice is never nil, as make's is not: a decoder tells an empty list from
// none.
func (s *slab[T]) take(n int) []T {
	if n == 0 {
		return []T{}
	}
	if len(s.spare) < n {
		size := slabCount[T]()
		if n > size {
			return make([]T, n)
		}
		s.spare = make([]T, size)
	}
	v := s.spare[:n:n]
	s.spare = s.spare[n:]
	return v
}

// one returns a zeroed value, as take(1) does.
func (s *slab[T]) one() *T {
	if len(s.spare) == 0 {
		s.spare = make([]T, slabCount[T]())
	}
	v := &s.spare[0]
	s.spare = s.spare[1:]
	return v
}

// byteChunks copies small byte slices into arrays it allocates for many of
// them (chunks), as slab carves values: one allocation per chunk instead of
// one per copy, for the data of decoded values and prepared txns. Each copy
// has its capacity cut, so a holder may write to or append to its own and
// never reach a neighbour's, and it owns its copy as if it were allocated
// alone. The price is memory: a chunk stays allocated while any copy in it
// is reachable, up to a kilobyte for one small value a tree node keeps. A
// chunk holds no pointers, so the collector never scans it.
//
// The zero value is ready to use.
type byteChunks struct {
	// spare is the unused rest of the current chunk.
	spare []byte
}

// The chunks: chunkBytes each, for copies of up to chunkMax bytes (the
// usual value is a few dozen); a longer one gets an allocation of its own,
// so that a chunk holds many copies and a long one wastes no room.
const (
	chunkBytes = 1024
	chunkMax   = 128
)

// copy returns a copy of p, never nil.
func (c *byteChunks) copy(p []byte) []byte {
	n := len(p)
	if n == 0 || n > chunkMax {
		return append(make([]byte, 0, n), p...)
	}
	if len(c.spare) < n {
		c.spare = make([]byte, chunkBytes)
	}
	b := c.spare[:n:n]
	copy(b, p)
	c.spare = c.spare[n:]
	return b
}

// clone is copy, except that nil stays nil, as slices.Clone has it: a txn
// tells data that is nil from empty data.
func (c *byteChunks) clone(p []byte) []byte {
	if p == nil {
		return nil
	}
	return c.copy(p)
}
