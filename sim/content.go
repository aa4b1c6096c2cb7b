package sim

import "io"

// chunkSize is the size of the pieces a file's contents are kept in. A server's log grows to tens
// of megabytes by small appends; kept in one slice, it would be copied (and the copy cleared, and
// the old one collected) at every growth of the slice, twice over (what reads see and what is
// durable). In chunks, an append never moves the bytes a file already has.
const chunkSize = 64 << 10

// minChunk is the smallest first chunk: small files (an epoch, a marker) stay small, and their
// first chunk grows by doubling up to chunkSize.
const minChunk = 64

// content is the bytes of one version of a file (what reads see, or what is durable).
//
// The zero value is an empty file.
type content struct {
	// chunks hold the bytes: chunks[i] holds offsets [i*chunkSize, i*chunkSize+len(chunks[i])).
	// Invariant: every chunk is chunkSize long, except chunks[0] while it is the only chunk
	// (then it is between minChunk and chunkSize long); len(chunks) is the number of chunks that
	// size reaches into (so 0 exactly when size is 0).
	// Invariant: every byte of the chunks at an offset at or past size is zero, so that growing
	// the file (a write past its end, a Truncate that extends it) reads zeros there without
	// clearing anything.
	chunks [][]byte
	size   int64
}

// chunksFor returns how many chunks a file of size bytes reaches into.
func chunksFor(size int64) int { return int((size + chunkSize - 1) / chunkSize) }

// extend grows the file to end (> size) with zeros.
func (c *content) extend(end int64) {
	last := chunksFor(end) - 1
	if len(c.chunks) == 1 && len(c.chunks[0]) < chunkSize {
		// Only a lone first chunk is short; it grows to what end needs within it, at least
		// doubling so that a small file growing byte by byte copies little in total.
		need := chunkSize
		if last == 0 {
			need = int(end)
		}
		if need > len(c.chunks[0]) {
			grown := make([]byte, min(chunkSize, max(need, 2*len(c.chunks[0]))))
			copy(grown, c.chunks[0]) // the tail past size is zero in both
			c.chunks[0] = grown
		}
	}
	for len(c.chunks) <= last {
		n := chunkSize
		if last == 0 {
			n = max(minChunk, int(end))
		}
		c.chunks = append(c.chunks, make([]byte, n))
	}
	c.size = end
}

// write writes p at off, growing the file with zeros up to off first if it is shorter.
func (c *content) write(off int64, p []byte) {
	if end := off + int64(len(p)); end > c.size {
		c.extend(end)
	}
	for len(p) > 0 {
		n := copy(c.chunks[off/chunkSize][off%chunkSize:], p)
		p = p[n:]
		off += int64(n)
	}
}

// truncate cuts the file to size or extends it with zeros.
func (c *content) truncate(size int64) {
	switch {
	case size > c.size:
		c.extend(size)
		return
	case size == c.size:
		return
	}
	keep := chunksFor(size)
	// Clear what the cut leaves of the last chunk kept, up to where the old contents ended.
	if keep > 0 {
		last := c.chunks[keep-1]
		from := size - int64(keep-1)*chunkSize
		to := min(int64(len(last)), c.size-int64(keep-1)*chunkSize)
		clear(last[from:to])
	}
	clear(c.chunks[keep:]) // let the collector have the chunks cut off
	c.chunks = c.chunks[:keep]
	c.size = size
}

// readAt copies the bytes at off into p, like io.ReaderAt.
func (c *content) readAt(p []byte, off int64) (int, error) {
	if off >= c.size {
		return 0, io.EOF
	}
	short := int64(len(p)) > c.size-off
	if short {
		p = p[:c.size-off]
	}
	n := 0
	for n < len(p) {
		at := off + int64(n)
		n += copy(p[n:], c.chunks[at/chunkSize][at%chunkSize:])
	}
	if short {
		return n, io.EOF
	}
	return n, nil
}

// bytes returns a copy of the contents (nil for an empty file).
func (c *content) bytes() []byte {
	if c.size == 0 {
		return nil
	}
	out := make([]byte, c.size)
	_, _ = c.readAt(out, 0)
	return out
}

// prefix returns an independent copy of the first n bytes (n <= size).
func (c *content) prefix(n int64) content {
	if n <= 0 {
		return content{}
	}
	out := content{chunks: make([][]byte, chunksFor(n)), size: n}
	for i := range out.chunks {
		// Each chunk keeps its length, so the chunk invariant holds as it did in c; the bytes
		// past n stay zero.
		src := c.chunks[i]
		chunk := make([]byte, len(src))
		copy(chunk, src[:min(int64(len(src)), n-int64(i)*chunkSize)])
		out.chunks[i] = chunk
	}
	return out
}

// clone returns an independent copy.
func (c *content) clone() content {
	out := content{chunks: make([][]byte, len(c.chunks)), size: c.size}
	for i, chunk := range c.chunks {
		out.chunks[i] = append([]byte(nil), chunk...)
	}
	return out
}
