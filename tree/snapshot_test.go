package tree

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// snapUpdateGolden rewrites the committed golden snapshot. After a
// deliberate change of the format (which needs a new format version) run
//
//	go test ./tree -run TestSnapshotGolden -update-snapshot
//
// and commit testdata/snapshot/small.snap. The flag has its own name so that
// it cannot collide with another test's -update or datadriven's -rewrite.
var snapUpdateGolden = flag.Bool("update-snapshot", false, "rewrite testdata/snapshot/small.snap")

const snapGoldenFile = "testdata/snapshot/small.snap"

// snapEncode writes t's snapshot.
func snapEncode(tb testing.TB, t *Tree) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := t.WriteSnapshot(&buf); err != nil {
		tb.Fatalf("WriteSnapshot: %v", err)
	}
	return buf.Bytes()
}

// snapDecode reads a snapshot that must be valid.
func snapDecode(tb testing.TB, snap []byte) *Tree {
	tb.Helper()
	t, err := ReadSnapshot(bytes.NewReader(snap))
	if err != nil {
		tb.Fatalf("ReadSnapshot: %v", err)
	}
	return t
}

// snapReseal makes an edited snapshot consistent again: the header's length
// and CRC and the trailing CRC are recomputed, so that the decoder gets past
// the checksums and meets the edit itself.
func snapReseal(b []byte) []byte {
	b = slices.Clone(b)
	if len(b) < snapHeaderSize+snapTrailerSize {
		return b
	}
	binary.LittleEndian.PutUint64(b[12:], uint64(len(b)))
	binary.LittleEndian.PutUint32(b[20:], crc32.Checksum(b[:20], castagnoli))
	body := len(b) - snapTrailerSize
	binary.LittleEndian.PutUint32(b[body:], crc32.Checksum(b[:body], castagnoli))
	return b
}

// snapSmallTree builds a small tree by applying fixed txns, so that its
// snapshot is the same on every run and can be pinned in a golden file: two
// sessions, an ephemeral, a container, a TTL node, four ACL lists and a
// setData, a setACL and a delete.
func snapSmallTree(tb testing.TB) *Tree {
	tb.Helper()
	tr := New(Options{ExtendedTypes: true})
	zxid := Zxid(0x100000000)
	apply := func(x Txn) {
		tb.Helper()
		zxid++
		x.Zxid = zxid
		x.Time = 1_700_000_000_000 + int64(zxid&0xffff)
		if a := tr.Apply(&x); a.Result.Err != OK {
			tb.Fatalf("%s: %s", &x, a.Result.Err)
		}
	}
	digestACL := []ACL{{Perms: PermAll, ID: DigestID("alice:secret")}}
	ipACL := []ACL{{Perms: PermRead | PermWrite, ID: ID{Scheme: "ip", ID: "10.0.0.0/8"}}, {Perms: PermRead, ID: AnyoneID}}
	apply(Txn{Header: Header{Session: 0x10}, Type: OpCreateSession, Timeout: 4000})
	apply(Txn{Header: Header{Session: 0x20}, Type: OpCreateSession, Timeout: 9000})
	apply(Txn{Type: OpCreate, Path: "/app", Data: []byte("v1"), ACL: OpenACLUnsafe, ParentCversion: 1})
	apply(Txn{Type: OpCreate, Path: "/app/cfg", Data: []byte("cfg"), ACL: digestACL, ParentCversion: 1})
	apply(Txn{Type: OpCreate, Path: "/app/key", ACL: ReadACLUnsafe, ParentCversion: 2})
	apply(Txn{Header: Header{Session: 0x20}, Type: OpCreate, Path: "/app/lock-0000000002", Data: []byte("L"),
		ACL: OpenACLUnsafe, EphemeralOwner: 0x20, ParentCversion: 3})
	apply(Txn{Type: OpCreateContainer, Path: "/c", ACL: OpenACLUnsafe, EphemeralOwner: ContainerOwner, ParentCversion: 2})
	apply(Txn{Type: OpCreateTTL, Path: "/ttl", Data: []byte("t"), ACL: OpenACLUnsafe, EphemeralOwner: TTLOwner(60000), ParentCversion: 3})
	apply(Txn{Type: OpCreate, Path: "/zz", Data: []byte("last"), ACL: OpenACLUnsafe, ParentCversion: 4})
	apply(Txn{Type: OpSetData, Path: "/app", Data: []byte("v2"), Version: 1})
	apply(Txn{Type: OpSetACL, Path: "/app/key", ACL: ipACL, Version: 1})
	apply(Txn{Type: OpCreate, Path: "/c/tmp", ACL: OpenACLUnsafe, ParentCversion: 1})
	apply(Txn{Type: OpDelete, Path: "/c/tmp"})
	if err := tr.CheckInvariants(); err != nil {
		tb.Fatal(err)
	}
	return tr
}

// snapRichTree builds a tree through the real pipeline (Preparer, Apply)
// with every kind of node, several sessions, custom ACLs, a setACL, deletes,
// a multi and a closed session. It returns the harness, whose preparer can
// go on preparing txns against the tree.
func snapRichTree(t *testing.T, opts Options) *harness {
	t.Helper()
	h := newHarness(t, opts)
	must := func(s SessionID, req Request) {
		t.Helper()
		if res := h.do(s, req); res.Err != OK {
			t.Fatalf("%s: %s", req.String(), res.Err)
		}
	}
	must(1, Request{Type: OpCreateSession, Timeout: 10000})
	h.auth[1] = NewAuth("10.0.0.1")
	h.session(2)
	must(3, Request{Type: OpCreateSession, Timeout: 4000})
	h.auth[3] = NewAuth("10.1.2.3").AddDigest("alice:secret", "")
	must(4, Request{Type: OpCreateSession, Timeout: 6000})
	h.auth[4] = NewAuth("10.0.0.4")

	must(1, create("/app", Persistent))
	for range 3 {
		must(1, create("/app/seq-", PersistentSequential))
	}
	must(2, create("/app/eph", Ephemeral))
	must(2, create("/app/eseq-", EphemeralSequential))
	must(3, create("/app/e3", Ephemeral))
	must(4, create("/app/e4", Ephemeral))
	must(1, create("/box", Container))
	must(1, create("/box/item", Persistent))
	must(1, create("/used", Container))
	must(1, create("/used/x", Persistent))
	must(1, del("/used/x", -1))
	if opts.ExtendedTypes {
		ttl := create("/ttl", PersistentWithTTL)
		ttl.TTL = 5000
		must(1, ttl)
		ttl = create("/app/tseq-", PersistentSequentialWithTTL)
		ttl.TTL = 700
		must(1, ttl)
	}
	must(3, Request{Type: OpCreate, Path: "/private", Data: []byte("secret"), ACL: CreatorAllACL, Mode: Persistent})
	must(1, Request{Type: OpCreate, Path: "/net", Data: []byte{0, 1, 2, 0xff},
		ACL: []ACL{{Perms: PermRead | PermWrite, ID: ID{Scheme: "ip", ID: "10.0.0.0/8"}}, {Perms: PermAdmin, ID: AnyoneID}}, Mode: Persistent})
	must(1, Request{Type: OpCreate, Path: "/empty", ACL: OpenACLUnsafe, Mode: Persistent})
	must(1, setData("/app", "version two", -1))
	must(1, setData("/app", "version three", 1))
	must(1, del("/app/seq-0000000001", -1))
	must(1, Request{Type: OpMulti, Ops: []Request{
		create("/m", Persistent), create("/m/a", Persistent), create("/m/b", PersistentSequential),
		setData("/m", "multi", 0), del("/m/a", -1),
	}})
	must(1, Request{Type: OpSetACL, Path: "/app", Version: -1,
		ACL: []ACL{{Perms: PermAll, ID: DigestID("alice:secret")}, {Perms: PermRead | PermCreate | PermDelete, ID: AnyoneID}}})
	must(1, Request{Type: OpSetACL, Path: "/net", Version: 0, ACL: ReadACLUnsafe})
	must(4, Request{Type: OpCloseSession})
	return h
}

// snapCompareTrees checks that got answers every read exactly as want does.
func snapCompareTrees(t *testing.T, want, got *Tree) {
	t.Helper()
	if err := got.CheckInvariants(); err != nil {
		t.Fatalf("decoded tree breaks its invariants: %v", err)
	}
	if got.Digest() != want.Digest() {
		t.Errorf("digest %#x, want %#x", got.Digest(), want.Digest())
	}
	if got.LastZxid() != want.LastZxid() {
		t.Errorf("lastZxid %s, want %s", got.LastZxid(), want.LastZxid())
	}
	if got.Options() != want.Options() {
		t.Errorf("options %+v, want %+v", got.Options(), want.Options())
	}
	if got.NodeCount() != want.NodeCount() {
		t.Errorf("%d nodes, want %d", got.NodeCount(), want.NodeCount())
	}
	paths := make([]string, 0, len(want.nodes))
	for p := range want.nodes {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		wd, ws, _ := want.Get(p)
		gd, gs, ok := got.Get(p)
		if !ok {
			t.Errorf("%s missing", p)
			continue
		}
		if gs != ws {
			t.Errorf("%s: stat {%s}, want {%s}", p, gs, ws)
		}
		if !bytes.Equal(gd, wd) {
			t.Errorf("%s: data %q, want %q", p, gd, wd)
		}
		wc, _ := want.Children(p)
		gc, _ := got.Children(p)
		if !slices.Equal(gc, wc) {
			t.Errorf("%s: children %v, want %v", p, gc, wc)
		}
		wa, _ := want.ACL(p)
		ga, _ := got.ACL(p)
		if !slices.Equal(ga, wa) {
			t.Errorf("%s: ACL %v, want %v", p, ga, wa)
		}
		if g, w := got.AllChildrenNumber(p), want.AllChildrenNumber(p); g != w {
			t.Errorf("%s: %d descendants, want %d", p, g, w)
		}
		// A read through the server path, ACL checks and all.
		req := Request{Type: OpGetData, Path: p}
		wr, _ := want.Read(&req, 1, NewAuth("10.0.0.1"), nil)
		gr, _ := got.Read(&req, 1, NewAuth("10.0.0.1"), nil)
		if gr.String() != wr.String() {
			t.Errorf("getData %s: %s, want %s", p, gr.String(), wr.String())
		}
	}
	if g, w := got.Sessions(), want.Sessions(); !slices.Equal(g, w) {
		t.Errorf("sessions %v, want %v", g, w)
	}
	for _, s := range want.Sessions() {
		wt, _ := want.SessionTimeout(s)
		if gt, ok := got.SessionTimeout(s); !ok || gt != wt {
			t.Errorf("session %s: timeout %d, want %d", s, gt, wt)
		}
		if g, w := got.Ephemerals(s), want.Ephemerals(s); !slices.Equal(g, w) {
			t.Errorf("session %s: ephemerals %v, want %v", s, g, w)
		}
	}
	if g, w := got.Containers(), want.Containers(); !slices.Equal(g, w) {
		t.Errorf("containers %v, want %v", g, w)
	}
	if g, w := got.TTLNodes(), want.TTLNodes(); !slices.Equal(g, w) {
		t.Errorf("TTL nodes %v, want %v", g, w)
	}
	if g, w := got.ReapCandidates(1<<50, 1), want.ReapCandidates(1<<50, 1); !slices.Equal(g, w) {
		t.Errorf("reap candidates %v, want %v", g, w)
	}
	if g, w := got.acls.live(), want.acls.live(); g != w {
		t.Errorf("%d ACL lists live, want %d", g, w)
	}
}

// TestSnapshotRoundTrip: a tree built through the pipeline reads back with
// the same digest and the same answers to every read, writes the same bytes
// again, and goes on converging with the original under further txns.
func TestSnapshotRoundTrip(t *testing.T) {
	for _, opts := range []Options{{ExtendedTypes: true}, {}, {ExtendedTypes: true, SkipACL: true}} {
		t.Run(fmt.Sprintf("%+v", opts), func(t *testing.T) {
			h := snapRichTree(t, opts)
			snap := snapEncode(t, h.tree)
			for range 5 { // map order differs on every range; the bytes must not
				if again := snapEncode(t, h.tree); !bytes.Equal(again, snap) {
					t.Fatal("writing the same tree twice gave different bytes")
				}
			}
			dec := snapDecode(t, snap)
			snapCompareTrees(t, h.tree, dec)
			if again := snapEncode(t, dec); !bytes.Equal(again, snap) {
				t.Fatal("the decoded tree writes different bytes")
			}

			// The same txns, prepared on the original, keep both in step;
			// each carries the leader's digest, which Apply compares.
			further := []struct {
				s   SessionID
				req Request
			}{
				{1, create("/after", Persistent)},
				{1, create("/app/seq-", PersistentSequential)},
				{2, setData("/app/eph", "changed", -1)},
				{3, setData("/private", "still secret", -1)},
				{1, del("/box/item", -1)},
				{1, Request{Type: OpSetACL, Path: "/after", ACL: ReadACLUnsafe, Version: -1}},
				{2, Request{Type: OpCloseSession}},
				{5, Request{Type: OpCreateSession, Timeout: 1234}},
				{5, create("/app/e5", Ephemeral)},
				{1, Request{Type: OpDeleteContainer, Path: "/used"}},
			}
			for _, f := range further {
				x := h.prepare(f.s, f.req)
				res := h.apply(x)
				a := dec.Apply(x)
				if a.DigestErr != nil {
					t.Fatalf("decoded tree diverged at %s: %v", x, a.DigestErr)
				}
				if a.Result.String() != res.String() {
					t.Errorf("%s: decoded tree says %s, original %s", x, a.Result.String(), res.String())
				}
			}
			snapCompareTrees(t, h.tree, dec)
			if !bytes.Equal(snapEncode(t, dec), snapEncode(t, h.tree)) {
				t.Error("after further txns the trees write different bytes")
			}
		})
	}
}

// TestSnapshotIndependentOfHistory: two trees in the same state, whose ACL
// lists were interned in a different order, write the same bytes.
func TestSnapshotIndependentOfHistory(t *testing.T) {
	build := func(first, second []ACL) *Tree {
		tr := New(Options{})
		tr.Apply(&Txn{Header: Header{Zxid: 1}, Type: OpCreate, Path: "/a", ACL: first, ParentCversion: 1})
		tr.Apply(&Txn{Header: Header{Zxid: 2}, Type: OpCreate, Path: "/b", ACL: second, ParentCversion: 2})
		tr.Apply(&Txn{Header: Header{Zxid: 3}, Type: OpSetACL, Path: "/a", ACL: second, Version: 1})
		tr.Apply(&Txn{Header: Header{Zxid: 4}, Type: OpSetACL, Path: "/b", ACL: first, Version: 1})
		tr.Apply(&Txn{Header: Header{Zxid: 5}, Type: OpSetACL, Path: "/a", ACL: first, Version: 1})
		tr.Apply(&Txn{Header: Header{Zxid: 6}, Type: OpSetACL, Path: "/b", ACL: second, Version: 1})
		return tr
	}
	x := []ACL{{Perms: PermRead, ID: ID{Scheme: "ip", ID: "10.0.0.1"}}}
	y := []ACL{{Perms: PermWrite, ID: ID{Scheme: "ip", ID: "10.0.0.2"}}}
	a, b := build(x, y), build(y, x)
	b.Apply(&Txn{Header: Header{Zxid: 7}, Type: OpSetACL, Path: "/a", ACL: x, Version: 1})
	b.Apply(&Txn{Header: Header{Zxid: 8}, Type: OpSetACL, Path: "/b", ACL: y, Version: 1})
	a.lastZxid = b.lastZxid
	if a.Digest() != b.Digest() {
		t.Fatal("the two trees are not in the same state")
	}
	if !bytes.Equal(snapEncode(t, a), snapEncode(t, b)) {
		t.Error("same state, different histories: different bytes")
	}
}

// TestSnapshotFreshTree: the four reserved nodes alone round-trip.
func TestSnapshotFreshTree(t *testing.T) {
	tr := New(Options{})
	dec := snapDecode(t, snapEncode(t, tr))
	snapCompareTrees(t, tr, dec)
}

// TestSnapshotGolden pins the bytes of a small tree's snapshot, so that an
// accidental change of the format fails here. Update with -update-snapshot.
func TestSnapshotGolden(t *testing.T) {
	tr := snapSmallTree(t)
	snap := snapEncode(t, tr)
	if *snapUpdateGolden {
		if err := os.MkdirAll(filepath.Dir(snapGoldenFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(snapGoldenFile, snap, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(snapGoldenFile)
	if err != nil {
		t.Fatalf("%v (run with -update-snapshot to create it)", err)
	}
	if !bytes.Equal(snap, golden) {
		i := 0
		for i < len(snap) && i < len(golden) && snap[i] == golden[i] {
			i++
		}
		t.Fatalf("snapshot differs from %s at byte %d (%d bytes, golden %d): the format changed; "+
			"bump snapVersion and rerun with -update-snapshot if that is intended", snapGoldenFile, i, len(snap), len(golden))
	}
	// The committed bytes decode to the tree they came from.
	snapCompareTrees(t, tr, snapDecode(t, golden))
}

// snapWantBad checks that decoding snap fails with ErrBadSnapshot and a
// one-line message that contains want.
func snapWantBad(t *testing.T, name string, snap []byte, want string) string {
	t.Helper()
	tr, err := ReadSnapshot(bytes.NewReader(snap))
	if err == nil {
		t.Errorf("%s: decoded without error (%d nodes)", name, tr.NodeCount())
		return ""
	}
	msg := err.Error()
	if !errors.Is(err, ErrBadSnapshot) {
		t.Errorf("%s: %v does not wrap ErrBadSnapshot", name, err)
	}
	if !strings.HasPrefix(msg, "tree: bad snapshot: ") || strings.Contains(msg, "\n") {
		t.Errorf("%s: message %q is not one line starting with %q", name, msg, "tree: bad snapshot: ")
	}
	if !strings.Contains(msg, want) {
		t.Errorf("%s: %q, want it to mention %q", name, msg, want)
	}
	return msg
}

// TestSnapshotDamageDetected: every flipped byte, every truncation, a bad
// magic, an unknown version and trailing garbage are reported as such.
func TestSnapshotDamageDetected(t *testing.T) {
	snap := snapEncode(t, snapSmallTree(t))
	for i := range snap {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			b := slices.Clone(snap)
			b[i] ^= mask
			want := "checksum mismatch"
			switch {
			case i < 8:
				want = "bad magic"
			case i < 12:
				want = "unknown version"
			}
			snapWantBad(t, fmt.Sprintf("byte %d ^ %#x", i, mask), b, want)
		}
	}

	sections := map[string]bool{}
	for n := range len(snap) {
		msg := snapWantBad(t, fmt.Sprintf("truncated to %d bytes", n), snap[:n], "truncated in ")
		if _, rest, ok := strings.Cut(msg, "truncated in "); ok {
			section, _, _ := strings.Cut(rest, " (")
			sections[section] = true
		}
	}
	for _, s := range []string{"header", "options", "ACL table", "session table", "node table", "checksum"} {
		if !sections[s] {
			t.Errorf("no truncation reported as in %s; saw %v", s, sections)
		}
	}

	b := slices.Clone(snap)
	copy(b, "NOTASNAP")
	snapWantBad(t, "bad magic", b, "bad magic")
	snapWantBad(t, "another file", []byte("hello, world\n"), "bad magic")
	b = slices.Clone(snap)
	binary.LittleEndian.PutUint32(b[8:], 9)
	snapWantBad(t, "version 9", b, "unknown version 9")
	snapWantBad(t, "trailing garbage", append(slices.Clone(snap), 0), "trailing garbage after checksum")
	snapWantBad(t, "trailing snapshot", append(slices.Clone(snap), snap...), "trailing garbage after checksum")
	b = slices.Clone(snap)
	binary.LittleEndian.PutUint64(b[12:], 1<<62)
	binary.LittleEndian.PutUint32(b[20:], crc32.Checksum(b[:20], castagnoli))
	snapWantBad(t, "absurd length", b, "bad length")
	binary.LittleEndian.PutUint64(b[12:], 1<<40)
	binary.LittleEndian.PutUint32(b[20:], crc32.Checksum(b[:20], castagnoli))
	snapWantBad(t, "long length", b, "truncated in checksum")
}

// snapNodeOffsets finds the node record of path in snap: the offset of its
// path's length prefix and the offset of its fixed-width fields.
func snapNodeOffsets(t *testing.T, snap []byte, path string) (record, fixed int) {
	t.Helper()
	needle := append(binary.AppendUvarint(nil, uint64(len(path))), path...)
	record = bytes.Index(snap, needle)
	if record < 0 || bytes.LastIndex(snap, needle) != record {
		t.Fatalf("path %s not found exactly once in the snapshot", path)
	}
	j := record + len(needle)
	l, n := binary.Uvarint(snap[j:])
	return record, j + n + int(l)
}

// TestSnapshotSemanticDamage: snapshots with a correct checksum whose
// content breaks a rule are rejected with a message naming the rule.
func TestSnapshotSemanticDamage(t *testing.T) {
	tr := snapSmallTree(t)
	snap := snapEncode(t, tr)
	le := binary.LittleEndian
	// edit returns a resealed copy of snap changed by f.
	edit := func(f func(b []byte) []byte) []byte { return snapReseal(f(slices.Clone(snap))) }
	rename := func(from, to string) []byte {
		if len(from) != len(to) {
			t.Fatalf("rename %s to %s changes the length", from, to)
		}
		return edit(func(b []byte) []byte {
			rec, _ := snapNodeOffsets(t, b, from)
			copy(b[rec+1:], to)
			return b
		})
	}
	field := func(path string, off int, put func(b []byte)) []byte {
		return edit(func(b []byte) []byte {
			_, fixed := snapNodeOffsets(t, b, path)
			put(b[fixed+off:])
			return b
		})
	}
	sessionAt := func(b []byte, id SessionID) int {
		var needle [8]byte
		le.PutUint64(needle[:], uint64(id))
		i := bytes.Index(b, needle[:])
		if i < 0 {
			t.Fatalf("session %s not found", id)
		}
		return i
	}
	// A node's ACL index follows its fixed-width fields.
	aclIndexOf := func(path string) int {
		_, fixed := snapNodeOffsets(t, snap, path)
		return fixed + snapNodeFixed
	}

	for _, c := range []struct {
		name string
		snap []byte
		want string
	}{
		{"resealed unchanged", nil, ""},
		{"missing parent", rename("/app", "/apo"), "(/app/cfg): parent /app missing"},
		{"duplicate path", rename("/app/key", "/app/cfg"), "(/app/cfg): duplicate path"},
		{"out of order", rename("/zz", "/aa"), "(/aa): not sorted after /zookeeper/quota"},
		{"invalid path", rename("/zz", "/z/"), `path "/z/" must not end with / character`},
		{"invalid path in the middle", rename("/app/cfg", "/ap/../c"), "relative paths not allowed"},
		{"root missing", rename("/", "x"), `path "x" must start with / character`},
		{"reserved node missing", rename("/zookeeper/config", "/zookeeper/confih"), "reserved node /zookeeper/config missing"},
		{"ephemeral without session", field("/app/lock-0000000002", 40, func(b []byte) { le.PutUint64(b, 0x77) }),
			"(/app/lock-0000000002): ephemeral owner 0x77 is not a session of the snapshot"},
		{"owning session renamed", edit(func(b []byte) []byte { le.PutUint64(b[sessionAt(b, 0x20):], 0x21); return b }),
			"ephemeral owner 0x20 is not a session"},
		{"sessions out of order", edit(func(b []byte) []byte { le.PutUint64(b[sessionAt(b, 0x20):], 0x10); return b }),
			"session 1 (0x10) not sorted after session 0x10"},
		{"ACL index out of range", edit(func(b []byte) []byte { b[aclIndexOf("/zz")] = 0x7f; return b }),
			"(/zz): ACL 127 out of range (4 lists)"},
		{"ACL unused", edit(func(b []byte) []byte {
			// The only node using list 0 (world:anyone:r) uses list 1 instead.
			b[aclIndexOf("/zookeeper/config")] = 1
			return b
		}), "ACL 0 is used by no node"},
		{"zxid after lastZxid", field("/zz", 8, func(b []byte) { le.PutUint64(b, uint64(tr.LastZxid()+1)) }),
			"(/zz): zxid 0x10000000e after lastZxid 0x10000000d"},
		{"cversion below child count", field("/app", 52, func(b []byte) { le.PutUint32(b, 0) }),
			"node /app: cversion 0 counts fewer creates than its 3 children"},
		{"mzxid before czxid", field("/zz", 8, func(b []byte) { le.PutUint64(b, 1) }),
			"node 10 (/zz): czxid 0x100000009 after mzxid 0x1 or pzxid 0x100000009"},
		{"unknown option bits", edit(func(b []byte) []byte { b[snapHeaderSize] |= 0x80; return b }), "unknown option bits 0x80"},
		{"unexpected bytes", edit(func(b []byte) []byte {
			return slices.Insert(b, len(b)-snapTrailerSize, 1, 2, 3)
		}), "3 unexpected bytes after node table"},
		{"huge node count", edit(func(b []byte) []byte {
			// The node count precedes the root's record: 1, "/".
			rec, _ := snapNodeOffsets(t, b, "/")
			return slices.Concat(b[:rec-1], binary.AppendUvarint(nil, 1<<60), b[rec:])
		}), "1152921504606846976 nodes cannot fit"},
		{"varint not shortest", edit(func(b []byte) []byte {
			rec, _ := snapNodeOffsets(t, b, "/zz")
			return slices.Concat(b[:rec], []byte{0x83, 0x00}, b[rec+1:])
		}), "varint not in shortest form in node table"},
		{"varint overflow", edit(func(b []byte) []byte {
			rec, _ := snapNodeOffsets(t, b, "/zz")
			return slices.Concat(b[:rec], bytes.Repeat([]byte{0xff}, 10), []byte{0x01}, b[rec+1:])
		}), "varint overflows 64 bits"},
		{"path runs past the end", edit(func(b []byte) []byte {
			rec, _ := snapNodeOffsets(t, b, "/zz")
			return slices.Concat(b[:rec], []byte{0x7f}, b[rec+1:])
		}), "truncated in node table"},
	} {
		if c.want == "" {
			if _, err := ReadSnapshot(bytes.NewReader(snapReseal(snap))); err != nil {
				t.Fatalf("resealing alone breaks the snapshot: %v", err)
			}
			continue
		}
		msg := snapWantBad(t, c.name, c.snap, c.want)
		if testing.Verbose() {
			t.Logf("%s: %s", c.name, msg)
		}
	}
}

// TestSnapshotACLOrderBroken: ACL lists out of key order are rejected, and
// so are duplicates.
func TestSnapshotACLOrderBroken(t *testing.T) {
	tr := New(Options{})
	tr.Apply(&Txn{Header: Header{Zxid: 1}, Type: OpCreate, Path: "/a", ParentCversion: 1,
		ACL: []ACL{{Perms: PermRead, ID: ID{Scheme: "ip", ID: "10.0.0.1"}}}})
	tr.Apply(&Txn{Header: Header{Zxid: 2}, Type: OpCreate, Path: "/b", ParentCversion: 2,
		ACL: []ACL{{Perms: PermRead, ID: ID{Scheme: "ip", ID: "10.0.0.2"}}}})
	snap := snapEncode(t, tr)
	i := bytes.Index(snap, []byte("10.0.0.2"))
	b := slices.Clone(snap)
	b[i+7] = '0'
	snapWantBad(t, "lists out of order", snapReseal(b), `ACL 1 "[ip:10.0.0.0:r]" not sorted after ACL 0 "[ip:10.0.0.1:r]"`)
	b[i+7] = '1'
	snapWantBad(t, "duplicate lists", snapReseal(b), `ACL 1 "[ip:10.0.0.1:r]" not sorted after ACL 0 "[ip:10.0.0.1:r]"`)
}

// snapErrReader fails after handing out some bytes.
type snapErrReader struct {
	data []byte
	err  error
}

func (r *snapErrReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data[:min(len(r.data), 7)]) // in small pieces
	r.data = r.data[n:]
	return n, nil
}

// TestSnapshotReaders: a reader that returns little at a time works, and
// one that fails reports its error wrapped in ErrBadSnapshot.
func TestSnapshotReaders(t *testing.T) {
	tr := snapSmallTree(t)
	snap := snapEncode(t, tr)
	dec, err := ReadSnapshot(&snapErrReader{data: slices.Clone(snap), err: io.EOF})
	if err != nil {
		t.Fatal(err)
	}
	snapCompareTrees(t, tr, dec)
	boom := errors.New("disk on fire")
	// The decoder reads one byte past the end to see trailing garbage, so a
	// reader failing right after the snapshot fails the read.
	for _, n := range []int{0, 10, 100, len(snap)} {
		_, err := ReadSnapshot(&snapErrReader{data: snap[:n], err: boom})
		if !errors.Is(err, ErrBadSnapshot) || !errors.Is(err, boom) {
			t.Errorf("after %d bytes: %v, want ErrBadSnapshot wrapping %v", n, err, boom)
		}
	}
}

// TestSnapshotWriteError: an error of the writer is returned.
func TestSnapshotWriteError(t *testing.T) {
	boom := errors.New("disk full")
	for _, limit := range []int{0, 10, 100, 1 << 20} {
		w := &snapFailWriter{limit: limit, err: boom}
		err := snapRichTree(t, Options{}).tree.WriteSnapshot(w)
		if limit < 1<<20 && !errors.Is(err, boom) {
			t.Errorf("limit %d: %v, want %v", limit, err, boom)
		}
		if limit == 1<<20 && err != nil {
			t.Errorf("limit %d: %v", limit, err)
		}
	}
}

type snapFailWriter struct {
	n, limit int
	err      error
}

func (w *snapFailWriter) Write(p []byte) (int, error) {
	if w.n+len(p) > w.limit {
		return 0, w.err
	}
	w.n += len(p)
	return len(p), nil
}

// TestSnapshotLargeValues: data and paths longer than the writer's buffer
// go through its chunked path.
func TestSnapshotLargeValues(t *testing.T) {
	tr := New(Options{})
	long := "/" + strings.Repeat("p", 100_000)
	tr.Apply(&Txn{Header: Header{Zxid: 1}, Type: OpCreate, Path: long, Data: bytes.Repeat([]byte{7}, 200_000), ACL: OpenACLUnsafe, ParentCversion: 1})
	tr.Apply(&Txn{Header: Header{Zxid: 2}, Type: OpCreate, Path: "/big", Data: bytes.Repeat([]byte("abc"), 50_000), ACL: OpenACLUnsafe, ParentCversion: 2})
	tr.Apply(&Txn{Header: Header{Zxid: 3}, Type: OpSetACL, Path: "/big", Version: 1,
		ACL: []ACL{{Perms: PermAll, ID: ID{Scheme: "digest", ID: strings.Repeat("u", 70_000) + ":x"}}}})
	snap := snapEncode(t, tr)
	snapCompareTrees(t, tr, snapDecode(t, snap))
	if len(snap) < 400_000 {
		t.Fatalf("snapshot of %d bytes is too small", len(snap))
	}
}

// TestSnapshotPathOrder: the walk that writes nodes in bytewise path order
// places a node's descendants correctly among siblings whose names extend
// its name with a byte below or above '/', and with non-ASCII names.
func TestSnapshotPathOrder(t *testing.T) {
	tr := New(Options{})
	names := []string{"a", "a-b", "a.b", "a b", "a!", "a0", "a~", "aé", "a\u00e9x", "b", "a-", "-", "~", "é"}
	zxid := Zxid(0)
	var create func(parent string, depth int)
	create = func(parent string, depth int) {
		for i, name := range names {
			path := JoinPath(parent, name)
			zxid++
			if _, code := tr.createNode(path, []byte(path), OpenACLUnsafe, 0, int32(i+1), zxid, int64(zxid)); code != OK {
				t.Fatalf("create %s: %s", path, code)
			}
			if depth > 0 && i%3 == 0 {
				create(path, depth-1)
			}
		}
	}
	create(RootPath, 2)
	tr.lastZxid = zxid
	if err := tr.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	var got []string
	if _, err := tr.walkSorted(tr.nodes[RootPath], func(path []byte, _ *znode) { got = append(got, string(path)) }); err != nil {
		t.Fatal(err)
	}
	want := make([]string, 0, len(tr.nodes))
	for p := range tr.nodes {
		want = append(want, p)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("walk order differs from sorted order:\n got %q\nwant %q", got, want)
	}
	snapCompareTrees(t, tr, snapDecode(t, snapEncode(t, tr)))
}

// TestSnapshotOfBrokenTree: a tree whose child sets disagree with its nodes
// cannot be written silently short of a node.
func TestSnapshotOfBrokenTree(t *testing.T) {
	tr := snapSmallTree(t)
	tr.nodes[RootPath].children.remove("zz")
	if err := tr.WriteSnapshot(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "reachable") {
		t.Errorf("unlisted node: %v", err)
	}
	tr = snapSmallTree(t)
	tr.nodes[RootPath].children.add("ghost")
	if err := tr.WriteSnapshot(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), `"/ghost" is listed as a child but does not exist`) {
		t.Errorf("phantom child: %v", err)
	}
}

// snapBenchTree builds the tree of the benchmarks: 1000 parents with 1000
// children each, 16 bytes of data per node, 1,001,004 nodes with the
// reserved ones. It calls createNode directly, which skips the txn
// machinery but builds the same structure.
func snapBenchTree() *Tree {
	tr := New(Options{})
	data := []byte("0123456789abcdef")
	zxid := Zxid(0x100000000)
	for p := range 1000 {
		parent := fmt.Sprintf("/p%04d", p)
		zxid++
		tr.createNode(parent, data, OpenACLUnsafe, 0, int32(p+1), zxid, int64(zxid))
		for c := range 1000 {
			zxid++
			tr.createNode(fmt.Sprintf("%s/c%04d", parent, c), data, OpenACLUnsafe, 0, int32(c+1), zxid, int64(zxid))
		}
		tr.changes = tr.changes[:0]
	}
	tr.lastZxid = zxid
	return tr
}

// BenchmarkSnapshotEncode1M writes the snapshot of the 1M-node tree into
// memory (target: under 2 s on one core).
//
//	go test ./tree -run '^$' -bench Snapshot -benchtime 3x -cpu 1
func BenchmarkSnapshotEncode1M(b *testing.B) {
	tr := snapBenchTree()
	var buf bytes.Buffer
	if err := tr.WriteSnapshot(&buf); err != nil {
		b.Fatal(err)
	}
	runtime.GC() // not the building's garbage
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := tr.WriteSnapshot(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(tr.NodeCount())*float64(b.N)/b.Elapsed().Seconds(), "nodes/s")
	b.ReportMetric(float64(buf.Len()), "snapshot-bytes")
}

// BenchmarkSnapshotDecode1M reads it back, validation included (target:
// under 2 s on one core). The original tree is dropped
// before timing starts, as a server restoring a snapshot holds no other
// tree, so that the garbage collector is not also marking it.
func BenchmarkSnapshotDecode1M(b *testing.B) {
	var snap []byte
	var digest uint64
	var nodes int
	{
		tr := snapBenchTree()
		var buf bytes.Buffer
		if err := tr.WriteSnapshot(&buf); err != nil {
			b.Fatal(err)
		}
		snap, digest, nodes = buf.Bytes(), tr.Digest(), tr.NodeCount()
	}
	runtime.GC()
	b.SetBytes(int64(len(snap)))
	b.ReportAllocs()
	for b.Loop() {
		dec, err := ReadSnapshot(bytes.NewReader(snap))
		if err != nil {
			b.Fatal(err)
		}
		if dec.Digest() != digest || dec.NodeCount() != nodes {
			b.Fatal("decoded a different tree")
		}
	}
	b.ReportMetric(float64(nodes)*float64(b.N)/b.Elapsed().Seconds(), "nodes/s")
	b.ReportMetric(float64(len(snap)), "snapshot-bytes")
}

// BenchmarkSnapshotCheckInvariants1M measures CheckInvariants on a decoded
// 1M-node tree: the cost of the full check that tests run after every txn
// and that ReadSnapshot leaves out.
func BenchmarkSnapshotCheckInvariants1M(b *testing.B) {
	var snap []byte
	{
		tr := snapBenchTree()
		var buf bytes.Buffer
		if err := tr.WriteSnapshot(&buf); err != nil {
			b.Fatal(err)
		}
		snap = buf.Bytes()
	}
	dec, err := ReadSnapshot(bytes.NewReader(snap))
	if err != nil {
		b.Fatal(err)
	}
	snap = nil
	runtime.GC()
	for b.Loop() {
		if err := dec.CheckInvariants(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(dec.NodeCount())*float64(b.N)/b.Elapsed().Seconds(), "nodes/s")
}
