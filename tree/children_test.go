package tree

import (
	"fmt"
	"slices"
	"testing"
)

// A child set is a sorted list up to maxSorted names and a map beyond; Children lists it in
// order either way, in a copy of the caller's own, and a set that empties is released.
func TestChildSetKeepsItsOrderAcrossSizes(t *testing.T) {
	tr := New(Options{})
	zxid := Zxid(0)
	create := func(path string) {
		zxid++
		if a := tr.Apply(&Txn{Header: Header{Zxid: zxid}, Type: OpCreate, Path: path, ACL: OpenACLUnsafe, ParentCversion: int32(zxid)}); a.Result.Err != OK {
			t.Fatalf("create %s: %s", path, a.Result.Err)
		}
	}
	remove := func(path string) {
		zxid++
		if a := tr.Apply(&Txn{Header: Header{Zxid: zxid}, Type: OpDelete, Path: path}); a.Result.Err != OK {
			t.Fatalf("delete %s: %s", path, a.Result.Err)
		}
	}
	check := func(want ...string) {
		t.Helper()
		got, ok := tr.Children("/p")
		if !ok || !slices.Equal(got, want) || got == nil {
			t.Fatalf("children %q (ok %v), want %q", got, ok, want)
		}
		if len(got) > 0 {
			got[0] = "scribbled" // the caller's copy: the next listing must not see it
		}
		if err := tr.CheckInvariants(); err != nil {
			t.Fatal(err)
		}
	}
	create("/p")
	check()
	create("/p/b")
	create("/p/d")
	check("b", "d")
	create("/p/c")
	create("/p/a")
	check("a", "b", "c", "d")
	remove("/p/b")
	create("/p/e")
	check("a", "c", "d", "e")
	for _, name := range []string{"a", "c", "d", "e"} {
		remove("/p/" + name)
	}
	check()
	if tr.nodes["/p"].children != nil {
		t.Fatal("an empty child set is kept")
	}

	var want []string
	for i := range maxSorted + 1 {
		name := fmt.Sprintf("n%05d", maxSorted-i) // in reverse, so each insert moves the others
		create("/p/" + name)
		want = append([]string{name}, want...)
		if i == maxSorted-2 || i == maxSorted {
			check(want...)
		}
	}
	if tr.nodes["/p"].children.big == nil {
		t.Fatalf("a set of %d children is a list (maxSorted %d)", maxSorted+1, maxSorted)
	}
	remove("/p/" + want[7])
	want = slices.Delete(want, 7, 8)
	check(want...)
	for _, name := range want {
		remove("/p/" + name)
	}
	check()
}

// The set operations themselves, in both representations, against a sorted reference.
func TestNameSetOperations(t *testing.T) {
	for _, n := range []int{0, 5, maxSorted, 3 * maxSorted} {
		c := newNameSet(n)
		var want []string
		for i := range n {
			name := fmt.Sprintf("c%06d", (i*7919)%(n+1)) // distinct, in a scrambled order
			c.add(name)
			c.add(name) // a second add changes nothing
			i, _ := slices.BinarySearch(want, name)
			want = slices.Insert(want, i, name)
		}
		for i := 0; i < len(want); i += 3 {
			c.remove(want[i])
			c.remove("absent")
		}
		var kept []string
		for i, name := range want {
			if i%3 != 0 {
				kept = append(kept, name)
			}
		}
		if got := c.list(); !slices.Equal(got, kept) || got == nil {
			t.Fatalf("n=%d: list has %d names, want %d", n, len(got), len(kept))
		}
		if c.len() != len(kept) {
			t.Fatalf("n=%d: len %d, want %d", n, c.len(), len(kept))
		}
		var seen []string
		for name := range c.all {
			seen = append(seen, name)
		}
		slices.Sort(seen)
		if !slices.Equal(seen, kept) {
			t.Fatalf("n=%d: all yields %d names, want %d", n, len(seen), len(kept))
		}
		for i, name := range want {
			if c.has(name) != (i%3 != 0) {
				t.Fatalf("n=%d: has(%q) = %v", n, name, c.has(name))
			}
		}
		if !c.valid() {
			t.Fatalf("n=%d: list out of order", n)
		}
	}
	var empty *nameSet
	if empty.len() != 0 || empty.has("a") || empty.list() == nil || len(empty.list()) != 0 {
		t.Fatal("the nil set is not empty")
	}
}
