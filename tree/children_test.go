package tree

import (
	"fmt"
	"slices"
	"testing"
)

// Children answers from a sorted list it keeps up to date (Tree.listed); the caller's copy is
// its own, and a child set that grows past maxListed is sorted afresh.
func TestChildrenKeepsItsSortedListInStep(t *testing.T) {
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
	remove("/p") // its cached list goes with it
	create("/p")
	check()

	var want []string
	for i := range maxListed + 1 {
		name := fmt.Sprintf("n%05d", maxListed-i) // in reverse, so each insert moves the others
		create("/p/" + name)
		want = append([]string{name}, want...)
		if i == maxListed-2 || i == maxListed {
			check(want...)
		}
	}
	if _, cached := tr.listed[tr.nodes["/p"]]; cached {
		t.Fatalf("a list of %d children is cached (maxListed %d)", maxListed+1, maxListed)
	}
}
