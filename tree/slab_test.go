package tree

import "testing"

// A slab hands out zeroed values that do not overlap, whose capacity stops
// an append from reaching a neighbour, and never a nil slice; a request
// larger than an array gets its own.
func TestSlab(t *testing.T) {
	var s slab[[1000]byte] // 8 to an array
	if got := slabCount[[1000]byte](); got != 8 {
		t.Fatalf("slabCount = %d, want 8", got)
	}
	if v := s.take(0); v == nil || len(v) != 0 {
		t.Fatalf("take(0) = %#v, want an empty non-nil slice", v)
	}
	seen := make(map[*[1000]byte]bool)
	for _, n := range []int{1, 3, 2, 4, 5, 9, 1, 8} {
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
