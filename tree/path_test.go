package tree

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// SequentialName builds by hand what ZooKeeper's String.format("%s%010d")
// gives; fmt's %010d is the same format, so it is the reference here, for
// the counters at every width, both signs, the extremes, and a prefix too
// long for the stack buffer.
func TestSequentialNameIsPrintfFormat(t *testing.T) {
	counters := []int32{0, 1, 9, 10, 99, 12345, 999999999, 1000000000, math.MaxInt32, -1, -9, -10,
		-12345, -99999999, -100000000, -999999999, -1000000000, math.MinInt32}
	for c := int32(1); c > 0 && c < math.MaxInt32/7; c = c*7 + 3 {
		counters = append(counters, c, -c)
	}
	for _, prefix := range []string{"", "/", "/q/", "/locks/lock-", "/" + strings.Repeat("p", 70) + "/x-"} {
		for _, c := range counters {
			if got, want := SequentialName(prefix, c), fmt.Sprintf("%s%010d", prefix, c); got != want {
				t.Errorf("SequentialName(%q, %d) = %q, want %q", prefix, c, got, want)
			}
		}
	}
}

// ValidateCreatePath of a sequential prefix checks prefix+"1" without
// building it; every string over an alphabet of the characters the rules
// look at, up to five of them, gets the same verdict and message as
// ValidatePath of the string with "1" appended.
func TestValidateCreatePathIsValidatePathOfPrefixAnd1(t *testing.T) {
	alphabet := []string{"/", ".", "a", "1", "\x00", "\x7f", "é", "\xff", "\xe2\x82", "\uffff"}
	var walk func(p string, depth int)
	walk = func(p string, depth int) {
		got, want := ValidateCreatePath(p, true), ValidatePath(p+"1")
		if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
			t.Fatalf("ValidateCreatePath(%q, true) = %v, ValidatePath(%q) = %v", p, got, p+"1", want)
		}
		if depth == 0 {
			return
		}
		for _, c := range alphabet {
			walk(p+c, depth-1)
		}
	}
	walk("", 5)
}

// fixupACL gives prev itself when the fixed-up list equals it, and otherwise
// a list of its own, equal to FixupACL's.
func TestFixupACLSharesAnEqualPrev(t *testing.T) {
	auth := Auth{{Scheme: "ip", ID: "10.0.0.1"}, {Scheme: "digest", ID: "u:h"}}
	prev := []ACL{{Perms: PermAll, ID: AnyoneID}}
	for _, acl := range [][]ACL{OpenACLUnsafe, append(slices.Clone(OpenACLUnsafe), OpenACLUnsafe...)} {
		if got, code := fixupACL(auth, acl, prev); code != OK || &got[0] != &prev[0] {
			t.Fatalf("fixupACL(%v) copied a list equal to prev: %v %s", acl, got, code)
		}
	}
	for _, acl := range [][]ACL{CreatorAllACL, ReadACLUnsafe, append(slices.Clone(OpenACLUnsafe), ReadACLUnsafe...),
		{{Perms: PermAll, ID: ID{Scheme: "bad", ID: "x"}}}} {
		want, wantCode := FixupACL(auth, acl)
		got, code := fixupACL(auth, acl, prev)
		if code != wantCode || !slices.Equal(got, want) || len(got) > 0 && (&got[0] == &prev[0] || &got[0] == &acl[0]) {
			t.Fatalf("fixupACL(%v) = %v %s, want a new %v %s", acl, got, code, want, wantCode)
		}
	}
}
