package tree

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzReadSnapshot feeds arbitrary bytes to ReadSnapshot. Nothing may panic;
// every failure wraps ErrBadSnapshot with a one-line message; and whatever
// decodes is a valid tree that writes exactly the input again (the encoding
// is canonical) and decodes again to the same digest.
//
// With reseal set, the input's header length and both CRCs are fixed up
// first, so that mutations reach the decoder's structural and semantic
// checks instead of stopping at the checksum.
//
//	go test ./tree -run '^$' -fuzz FuzzReadSnapshot -fuzztime 60s
func FuzzReadSnapshot(f *testing.F) {
	// Small seeds with every kind of node: the fuzzer minimizes each input
	// that finds new coverage, which costs time quadratic in its length.
	fresh := snapEncode(f, New(Options{}))
	tiny := New(Options{ExtendedTypes: true, SkipACL: true})
	for i, x := range []Txn{
		{Header: Header{Session: 9}, Type: OpCreateSession, Timeout: 100},
		{Header: Header{Session: 9}, Type: OpCreate, Path: "/e", EphemeralOwner: 9, ACL: CreatorAllACL, ParentCversion: 1},
		{Type: OpCreateContainer, Path: "/c", EphemeralOwner: ContainerOwner, ACL: OpenACLUnsafe, ParentCversion: 2},
		{Type: OpCreateTTL, Path: "/c/t", Data: []byte("d"), EphemeralOwner: TTLOwner(5), ACL: ReadACLUnsafe, ParentCversion: 1},
		{Type: OpSetACL, Path: "/c", ACL: []ACL{{Perms: PermRead, ID: ID{Scheme: "ip", ID: "1.2.3.4"}}}, Version: 1},
	} {
		x.Zxid = Zxid(i + 1)
		if a := tiny.Apply(&x); a.Result.Err != OK {
			f.Fatalf("%s: %s", &x, a.Result.Err)
		}
	}
	for _, seed := range [][]byte{fresh, snapEncode(f, tiny)} {
		f.Add(seed, false)
		f.Add(seed, true)
		f.Add(seed[:len(seed)/2], false)
		f.Add(seed[:len(seed)/2], true)
		flipped := bytes.Clone(seed)
		flipped[len(flipped)/3] ^= 0x10
		f.Add(flipped, false)
		f.Add(flipped, true)
		f.Add(append(bytes.Clone(seed), 0), false)
	}
	f.Add([]byte{}, false)
	f.Add([]byte(snapMagic), false)
	f.Fuzz(func(t *testing.T, data []byte, reseal bool) {
		if reseal {
			data = snapReseal(data)
		}
		tr, err := ReadSnapshot(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrBadSnapshot) {
				t.Fatalf("error %v does not wrap ErrBadSnapshot", err)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") {
				t.Fatalf("message is not one line: %q", msg)
			}
			return
		}
		if err := tr.CheckInvariants(); err != nil {
			t.Fatalf("decoded tree breaks its invariants: %v", err)
		}
		again := snapEncode(t, tr)
		if !bytes.Equal(again, data) {
			t.Fatalf("accepted snapshot of %d bytes writes back %d different bytes", len(data), len(again))
		}
		tr2, err := ReadSnapshot(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("re-encoded snapshot does not decode: %v", err)
		}
		if tr2.Digest() != tr.Digest() {
			t.Fatalf("digest %#x after a second round trip, %#x before", tr2.Digest(), tr.Digest())
		}
	})
}
