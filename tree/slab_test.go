package tree

import (
	"bytes"
	"slices"
	"testing"
)

// A slab hands out zeroed values that do not overlap, whose capacity stops
// an append from reaching a neighbour, and never a nil slice; a request
// larger than an array gets its own.
func TestSlab(t *testing.T) {
	var s slab[[1000]byte]
	if got := slabCount[[1000]byte](); got != slabBytes/1000 {
		t.Fatalf("slabCount = %d, want %d", got, slabBytes/1000)
	}
	if v := s.take(0); v == nil || len(v) != 0 {
		t.Fatalf("take(0) = %#v, want an empty non-nil slice", v)
	}
	seen := make(map[*[1000]byte]bool)
	for _, n := range []int{1, 3, 2, 4, 5, slabBytes/1000 + 1, 1, slabBytes / 1000} {
		v := s.take(n)
		if len(v) != n || cap(v) != n {
			t.Fatalf("take(%d): len %d cap %d", n, len(v), cap(v))
		}
		for i := range v {
			if v[i] != [1000]byte{} || seen[&v[i]] {
				t.Fatalf("take(%d): element %d is not zero or was seen before", n, i)
			}
			seen[&v[i]] = true
			v[i][0] = byte(n)
		}
		p := s.one()
		if *p != [1000]byte{} || seen[p] {
			t.Fatal("one: a value that is not zero or was seen before")
		}
		seen[p] = true
		p[0] = 0xff
	}
}

// byteChunks' copies equal their input and do not alias it, have their
// capacity cut so that appending to one leaves its neighbours as they were,
// and clone keeps nil and empty apart as slices.Clone does.
func TestByteChunks(t *testing.T) {
	var c byteChunks
	var copies, wants [][]byte
	for i, n := range []int{0, 1, 30, chunkMax, chunkMax + 1, 500, 7, chunkBytes / 2, 100, 0, 3} {
		in := bytes.Repeat([]byte{byte(i + 1)}, n)
		got := c.copy(in)
		if got == nil || !bytes.Equal(got, in) || cap(got) != n {
			t.Fatalf("copy of %d bytes: %v (cap %d)", n, got, cap(got))
		}
		if cl, want := c.clone(in), slices.Clone(in); !bytes.Equal(cl, want) || (cl == nil) != (want == nil) {
			t.Fatalf("clone of %d bytes: %v, slices.Clone %v", n, cl, want)
		}
		for j := range in {
			in[j] = 0xa5
		}
		copies, wants = append(copies, got), append(wants, bytes.Repeat([]byte{byte(i + 1)}, n))
	}
	if c.clone(nil) != nil {
		t.Fatal("clone(nil) is not nil")
	}
	for i := range copies {
		copies[i] = append(copies[i], 0xee) // a fresh array: the capacity is cut
	}
	for i := range copies {
		if !bytes.Equal(copies[i][:len(wants[i])], wants[i]) {
			t.Fatalf("copy %d changed: % x, want % x", i, copies[i], wants[i])
		}
	}
}
