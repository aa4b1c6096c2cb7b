package histories

// chunked is an append-only list kept in chunks of chunkLen: appending never moves what a full
// chunk holds, and join copies it all into one slice once. The recorder and the decoder gather
// a history's long lists in them (an Op is more than 500 bytes: growing a slice of 100,000 of
// them by append copied them several times over). The first chunk starts small and
// doubles up to chunkLen, so that a short history stays small. Chunks are allocated at their
// full length, zeroed, so that add hands out a record without writing it.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

// chunkLen is how many records a chunk of a chunked list holds.
const chunkLen = 512

// add appends a zero record and returns it to be filled in (the pointer is good until the next
// add).
func (c *chunked[T]) add() *T {
	k, i := c.n/chunkLen, c.n%chunkLen
	switch {
	case k == len(c.chunks):
		size := chunkLen
		if k == 0 {
			size = 16
		}
		c.chunks = append(c.chunks, make([]T, size))
	case i == len(c.chunks[k]): // only the first chunk is ever short
		grown := make([]T, min(2*i, chunkLen))
		copy(grown, c.chunks[k])
		c.chunks[k] = grown
	}
	c.n++
	return &c.chunks[k][i]
}

// last returns the last record; there must be one.
func (c *chunked[T]) last() *T { return c.at(c.n - 1) }

// at returns record i.
func (c *chunked[T]) at(i int) *T { return &c.chunks[i/chunkLen][i%chunkLen] }

// join returns every record in one slice (nil when there is none).
func (c *chunked[T]) join() []T {
	if c.n == 0 {
		return nil
	}
	out := make([]T, c.n)
	for k, ch := range c.chunks {
		copy(out[k*chunkLen:], ch)
	}
	return out
}
