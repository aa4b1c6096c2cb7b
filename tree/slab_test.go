package tree

import "testing"

// A slab hands out zeroed values that do not overlap, whose capacity stops
// an append from reaching a neighbour, and never a nil slice.
func TestSlab(t *testing.T) {
	var s slab[int]
	if v := s.take(0, 4); v == nil || len(v) != 0 {
		t.Fatalf("take(0) = %#v, want an empty non-nil slice", v)
	}
	seen := make(map[*int]bool)
	for _, n := range []int{1, 3, 2, 4, 5, 1} {
		v := s.take(n, 4)
		if len(v) != n || cap(v) != n {
			t.Fatalf("take(%d): len %d cap %d", n, len(v), cap(v))
		}
		for i := range v {
			if v[i] != 0 || seen[&v[i]] {
				t.Fatalf("take(%d): element %d is %d, seen before %v", n, i, v[i], seen[&v[i]])
			}
			seen[&v[i]] = true
			v[i] = n
		}
		p := s.one(4)
		if *p != 0 || seen[p] {
			t.Fatalf("one: %d, seen before %v", *p, seen[p])
		}
		seen[p] = true
		*p = -1
	}
}
