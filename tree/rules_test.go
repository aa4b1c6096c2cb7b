package tree

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// Each test here follows one section of ../shared/reference/zookeeper.md,
// named in the test's comment.

// zookeeper.md A1: PathUtils.validatePath.
func TestValidatePath(t *testing.T) {
	valid := []string{"/", "/a", "/a/b", "/a.b", "/...", "/a/..b", "/a/b.", "/.a", "/ä", "/a b",
		"/zookeeper", "/\ud7ff", "/\u00a0", "/-2147483648"}
	invalid := []string{"", "a", "a/b", "/a/", "//", "/a//b", "/.", "/..", "/a/.", "/a/..", "/a/./b",
		"/a/../b", "/a\x00b", "/\x01", "/a\x1f", "/\x7f", "/\u0085", "/\u009f", "/\ud7ff\ue000",
		"/\uf8ff", "/\ufff0", "/\uffff", "/😀", "/\xff", "/a\xc3"}
	for _, p := range valid {
		if err := ValidatePath(p); err != nil {
			t.Errorf("ValidatePath(%q) = %v, want valid", p, err)
		}
	}
	for _, p := range invalid {
		if err := ValidatePath(p); err == nil {
			t.Errorf("ValidatePath(%q) = nil, want an error", p)
		}
	}
	// A sequential create validates path+"1", so a trailing slash is legal.
	if err := ValidateCreatePath("/q/", true); err != nil {
		t.Errorf("sequential /q/: %v", err)
	}
	if err := ValidateCreatePath("/q/", false); err == nil {
		t.Errorf("non-sequential /q/ accepted")
	}
}

// zookeeper.md A1, A5: a bad path is BadArguments for every op, and the
// reserved nodes cannot be deleted.
func TestBadPathsAndReservedNodes(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	for _, req := range []Request{
		create("/a/", Persistent), create("//", Persistent), del("/a/.", -1),
		setData("/a//", "x", -1), {Type: OpCheck, Path: "", Version: -1},
		del(RootPath, -1), del(ZooKeeperPath, -1), del(QuotaPath, -1), del(ConfigPath, -1),
	} {
		if got := h.do(1, req); got.Err != BadArguments {
			t.Errorf("%s: %s, want BadArguments", req.String(), got.Err)
		}
	}
	if got := h.read(1, Request{Type: OpGetData, Path: "/a/"}); got.Err != BadArguments {
		t.Errorf("getData /a/: %s", got.Err)
	}
	// The reserved nodes exist from the start; the root lists /zookeeper.
	for _, p := range []string{RootPath, ZooKeeperPath, QuotaPath, ConfigPath} {
		if !h.tree.Exists(p) {
			t.Errorf("%s missing from a fresh tree", p)
		}
	}
	if kids, _ := h.tree.Children(ZooKeeperPath); !slices.Equal(kids, []string{"config", "quota"}) {
		t.Errorf("children of /zookeeper = %v", kids)
	}
}

// zookeeper.md A4 (note on the reserved nodes): the root's children were
// never created as children, so its client cversion reads -1 on a fresh
// server, /zookeeper's -2, and /zookeeper/config's aversion is -1.
func TestFreshTreeStats(t *testing.T) {
	h := newHarness(t, Options{})
	if st := h.stat(RootPath); st.Cversion != -1 || st.NumChildren != 1 {
		t.Errorf("root: %s", st)
	}
	if st := h.stat(ZooKeeperPath); st.Cversion != -2 || st.NumChildren != 2 {
		t.Errorf("/zookeeper: %s", st)
	}
	if st := h.stat(ConfigPath); st.Aversion != -1 {
		t.Errorf("/zookeeper/config: %s", st)
	}
	if acl, _ := h.tree.ACL(ConfigPath); !slices.Equal(acl, ReadACLUnsafe) {
		t.Errorf("/zookeeper/config ACL %v", acl)
	}
}

// zookeeper.md A2: create modes and what each stat shows.
func TestCreateModes(t *testing.T) {
	h := newHarness(t, Options{ExtendedTypes: true})
	h.session(0x51)
	if got := h.do(0x51, create("/p", Persistent)); got.Err != OK || got.Path != "/p" {
		t.Fatalf("persistent: %s", got.String())
	}
	cases := []struct {
		mode      CreateMode
		path      string
		wantPath  string
		wantOwner int64
	}{
		{Ephemeral, "/p/e", "/p/e", 0x51},
		{PersistentSequential, "/p/s-", "/p/s-0000000001", 0},
		{EphemeralSequential, "/p/es-", "/p/es-0000000002", 0x51},
		{Container, "/p/c", "/p/c", 0},
		{PersistentWithTTL, "/p/t", "/p/t", 0},
		{PersistentSequentialWithTTL, "/p/ts-", "/p/ts-0000000005", 0},
	}
	for _, c := range cases {
		req := create(c.path, c.mode)
		req.TTL = 5000
		got := h.do(0x51, req)
		if got.Err != OK || got.Path != c.wantPath {
			t.Errorf("%s: %s, want path %s", c.mode, got.String(), c.wantPath)
			continue
		}
		if st := h.stat(c.wantPath); st.EphemeralOwner != c.wantOwner {
			t.Errorf("%s: ephemeralOwner 0x%x, want 0x%x (containers and TTL nodes show 0)", c.mode, st.EphemeralOwner, c.wantOwner)
		}
	}
	if !slices.Equal(h.tree.Ephemerals(0x51), []string{"/p/e", "/p/es-0000000002"}) {
		t.Errorf("ephemerals %v", h.tree.Ephemerals(0x51))
	}
	if !slices.Equal(h.tree.Containers(), []string{"/p/c"}) || !slices.Equal(h.tree.TTLNodes(), []string{"/p/t", "/p/ts-0000000005"}) {
		t.Errorf("containers %v, TTL nodes %v", h.tree.Containers(), h.tree.TTLNodes())
	}
	// Ephemerals cannot have children.
	if got := h.do(0x51, create("/p/e/x", Persistent)); got.Err != NoChildrenForEphemerals {
		t.Errorf("child of an ephemeral: %s", got.Err)
	}
	// A bad TTL and an unknown flag are BadArguments.
	for _, ttl := range []int64{0, -1, MaxTTL + 1} {
		req := create("/p/bad", PersistentWithTTL)
		req.TTL = ttl
		if got := h.do(0x51, req); got.Err != BadArguments {
			t.Errorf("ttl %d: %s", ttl, got.Err)
		}
	}
	if got := h.do(0x51, Request{Type: OpCreate, Path: "/p/m", ACL: OpenACLUnsafe, Mode: 7}); got.Err != BadArguments {
		t.Errorf("mode 7: %s", got.Err)
	}
}

// zookeeper.md A2: without extendedTypesEnabled a TTL create is
// Unimplemented.
func TestTTLNeedsExtendedTypes(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	req := create("/t", PersistentWithTTL)
	req.TTL = 1000
	if got := h.do(1, req); got.Err != Unimplemented {
		t.Errorf("TTL create without extended types: %s", got.Err)
	}
}

// zookeeper.md A3: the worked example. The suffix is the parent's count of
// child creates, which deletes do not lower; the client's cversion counts
// creates and deletes.
func TestSequentialSuffixWorkedExample(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	h.do(1, create("/p", Persistent))
	if got := h.do(1, create("/p/a-", PersistentSequential)); got.Path != "/p/a-0000000000" {
		t.Fatalf("first: %s", got.Path)
	}
	h.do(1, del("/p/a-0000000000", -1))
	if got := h.do(1, create("/p/a-", PersistentSequential)); got.Path != "/p/a-0000000001" {
		t.Fatalf("second: %s", got.Path)
	}
	if st := h.stat("/p"); st.Cversion != 3 || st.NumChildren != 1 {
		t.Errorf("/p: cversion %d numChildren %d, want 3 and 1", st.Cversion, st.NumChildren)
	}
	// The counter is shared by every child, whatever its prefix, and counts
	// plain creates too.
	h.do(1, create("/p/plain", Persistent))
	if got := h.do(1, create("/p/b-", EphemeralSequential)); got.Path != "/p/b-0000000003" {
		t.Errorf("after a plain create: %s", got.Path)
	}
	// A sequential create of "/q/" yields children named by the number alone.
	h.do(1, create("/q", Persistent))
	if got := h.do(1, create("/q/", PersistentSequential)); got.Path != "/q/0000000000" {
		t.Errorf("trailing slash: %s", got.Path)
	}
}

// zookeeper.md A3: a taken suffixed name is NodeExists and does not move
// the counter.
func TestSequentialNameTaken(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	h.do(1, create("/p", Persistent))
	h.do(1, create("/p/x0000000001", Persistent)) // counter is now 1
	if got := h.do(1, create("/p/x", PersistentSequential)); got.Err != NodeExists {
		t.Fatalf("taken name: %s", got.String())
	}
	h.do(1, del("/p/x0000000001", -1))
	if got := h.do(1, create("/p/x", PersistentSequential)); got.Path != "/p/x0000000001" {
		t.Errorf("after the failure the counter should still be 1: %s", got.String())
	}
}

// zookeeper.md A3: the counter is a signed int32. The programmer's guide
// says the name then carries a minus sign, but ZooKeeper 3.8's
// DataTree.createNode moves the parent's counter only to a larger value, so
// the wrapped value never lands: the counter sticks at 2147483647 and every
// later sequential create under that parent is NodeExists. The leader's
// projected digest also disagrees with the applied tree on that txn, as it
// does in ZooKeeper. We reproduce the code, not the guide.
func TestSequentialCounterOverflow(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	h.do(1, create("/p", Persistent))
	// Apply a create that leaves the counter at MaxInt32-1, as a long-lived
	// parent would have.
	hdr := h.header(1)
	h.apply(&Txn{Header: hdr, Type: OpCreate, Path: "/p/old", ACL: OpenACLUnsafe, ParentCversion: math.MaxInt32 - 1})
	if got := h.do(1, create("/p/s-", PersistentSequential)); got.Path != "/p/s-2147483646" {
		t.Fatalf("%s", got.Path)
	}
	x := h.prepare(1, create("/p/s-", PersistentSequential))
	if x.Path != "/p/s-2147483647" || x.ParentCversion != math.MinInt32 {
		t.Fatalf("at the limit: %s", x)
	}
	// Pipelined behind it, the projected counter has wrapped.
	pipelined := h.prepare(1, create("/p/s-", PersistentSequential))
	if pipelined.Path != "/p/s--2147483648" {
		t.Errorf("pipelined after the limit: %s", pipelined)
	}
	a := h.tree.Apply(x)
	if a.Result.Err != OK || a.DigestErr == nil {
		t.Errorf("applying the wrapping create: %s, digest error %v", a.Result.String(), a.DigestErr)
	}
	h.prep.Reset()
	if st := h.stat("/p"); st.Pzxid != hdr.Zxid+1 {
		t.Errorf("the wrapping create moved pzxid: %s", st)
	}
	if got := h.prepare(1, create("/p/s-", PersistentSequential)); got.Err != NodeExists {
		t.Errorf("after the limit: %s, want NodeExists", got)
	}
}

// zookeeper.md A3, A13.1: pipelined sequential creates get consecutive
// suffixes, and a pipelined create under a pipelined parent succeeds.
func TestPipelinedRequestsSeeEachOther(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	txns := []*Txn{
		h.prepare(1, create("/a", Persistent)),
		h.prepare(1, create("/a/b", Persistent)),
		h.prepare(1, create("/a/s-", PersistentSequential)),
		h.prepare(1, create("/a/s-", PersistentSequential)),
		h.prepare(1, setData("/a/b", "new", 0)),
		h.prepare(1, setData("/a/b", "newer", 1)),
		h.prepare(1, del("/a/b", 2)),
		h.prepare(1, create("/a/b", Ephemeral)),
	}
	if h.prep.Pending() == 0 {
		t.Fatal("nothing pending before apply")
	}
	want := []string{"OK path=/a", "OK path=/a/b", "OK path=/a/s-0000000001", "OK path=/a/s-0000000002",
		"OK path=/a/b", "OK path=/a/b", "OK path=/a/b", "OK path=/a/b"}
	for i, x := range txns {
		got := h.apply(x)
		if s := fmt.Sprintf("%s path=%s", got.Err, got.Path); s != want[i] {
			t.Errorf("txn %d (%s): %s, want %s", i, x, s, want[i])
		}
	}
	if h.prep.Pending() != 0 {
		t.Errorf("%d records pending after every commit", h.prep.Pending())
	}
	if st := h.stat("/a/b"); st.EphemeralOwner != 1 || st.Version != 0 {
		t.Errorf("/a/b: %s", st)
	}
}

// zookeeper.md A4: when each stat field changes.
func TestStatFields(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	z := h.zxid
	h.do(1, create("/n", Persistent)) // zxid z+1, time 1000+...
	st := h.stat("/n")
	zc, tc := st.Czxid, st.Ctime
	if zc != z+1 || st.Mzxid != zc || st.Pzxid != zc || st.Mtime != tc || st.Version != 0 ||
		st.Cversion != 0 || st.Aversion != 0 || st.DataLength != 1 || st.NumChildren != 0 {
		t.Fatalf("after create: %s", st)
	}
	h.do(1, setData("/n", "hello", -1))
	st = h.stat("/n")
	if st.Mzxid != h.zxid || st.Mtime != h.now || st.Version != 1 || st.DataLength != 5 || st.Czxid != zc || st.Pzxid != zc {
		t.Fatalf("after setData: %s", st)
	}
	mz, mt := st.Mzxid, st.Mtime
	h.do(1, Request{Type: OpSetACL, Path: "/n", ACL: []ACL{{PermAll, AnyoneID}, {PermRead, ID{"ip", "10.0.0.0/8"}}}, Version: -1})
	st = h.stat("/n")
	if st.Aversion != 1 || st.Mzxid != mz || st.Mtime != mt || st.Version != 1 {
		t.Fatalf("after setACL (mzxid and mtime must not move): %s", st)
	}
	h.do(1, create("/n/c", Persistent))
	st = h.stat("/n")
	if st.Pzxid != h.zxid || st.Cversion != 1 || st.NumChildren != 1 || st.Mzxid != mz {
		t.Fatalf("after child create: %s", st)
	}
	h.do(1, del("/n/c", -1))
	st = h.stat("/n")
	if st.Pzxid != h.zxid || st.Cversion != 2 || st.NumChildren != 0 {
		t.Fatalf("after child delete: %s", st)
	}
	// Two nodes created in one multi share their czxid.
	h.do(1, Request{Type: OpMulti, Ops: []Request{create("/m1", Persistent), create("/m2", Persistent)}})
	if a, b := h.stat("/m1"), h.stat("/m2"); a.Czxid != b.Czxid || a.Czxid != h.zxid {
		t.Errorf("multi creates: czxid %s and %s, want both %s", a.Czxid, b.Czxid, h.zxid)
	}
}

// zookeeper.md A5: the order of checks decides which code wins.
func TestCheckOrder(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	h.session(2)
	h.do(1, create("/e", Ephemeral))
	// create: NodeExists wins over NoChildrenForEphemerals.
	h.tree.Apply(&Txn{Header: h.header(1), Type: OpCreate, Path: "/e/x", ACL: OpenACLUnsafe, ParentCversion: 1})
	h.prep.Committed(h.zxid)
	if got := h.do(1, create("/e/x", Persistent)); got.Err != NodeExists {
		t.Errorf("create under an ephemeral of an existing path: %s, want NodeExists", got.Err)
	}
	// delete: BadVersion wins over NotEmpty.
	h.do(1, create("/d", Persistent))
	h.do(1, create("/d/c", Persistent))
	if got := h.do(1, del("/d", 5)); got.Err != BadVersion {
		t.Errorf("delete with a wrong version and children: %s, want BadVersion", got.Err)
	}
	if got := h.do(1, del("/d", 0)); got.Err != NotEmpty {
		t.Errorf("delete with children: %s, want NotEmpty", got.Err)
	}
	// delete: a missing parent is NoNode before anything about the node.
	if got := h.do(1, del("/x/y", 7)); got.Err != NoNode {
		t.Errorf("delete under a missing parent: %s", got.Err)
	}
	// The permission on the parent is checked before the node's existence.
	h.do(1, Request{Type: OpCreate, Path: "/locked", ACL: ReadACLUnsafe, Mode: Persistent})
	if got := h.do(1, del("/locked/missing", -1)); got.Err != NoAuth {
		t.Errorf("delete of a missing child without DELETE on the parent: %s, want NoAuth", got.Err)
	}
	// setData: NoNode, then WRITE, then BadVersion.
	if got := h.do(1, setData("/locked", "x", 9)); got.Err != NoAuth {
		t.Errorf("setData without WRITE and a wrong version: %s, want NoAuth", got.Err)
	}
	if got := h.do(1, setData("/missing", "x", 9)); got.Err != NoNode {
		t.Errorf("setData of a missing node: %s", got.Err)
	}
	// A closed session's writes are SessionExpired, before the path checks
	// the server makes (the client's own path check still comes first).
	h.do(2, Request{Type: OpCloseSession})
	if got := h.do(2, create("/missing/x", Persistent)); got.Err != SessionExpired {
		t.Errorf("write from a closed session: %s", got.Err)
	}
	if got := h.do(2, create("/bad/", Persistent)); got.Err != BadArguments {
		t.Errorf("bad path from a closed session: %s", got.Err)
	}
}

// zookeeper.md A6: version -1 matches any version; the check op too.
func TestVersionMinusOne(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	h.do(1, create("/v", Persistent))
	for i := 0; i < 3; i++ {
		h.do(1, setData("/v", "x", -1))
	}
	if got := h.do(1, Request{Type: OpMulti, Ops: []Request{{Type: OpCheck, Path: "/v", Version: -1}}}); got.Err != OK {
		t.Errorf("check -1: %s", got.String())
	}
	if got := h.do(1, Request{Type: OpMulti, Ops: []Request{{Type: OpCheck, Path: "/v", Version: 2}}}); got.Err != BadVersion {
		t.Errorf("check 2 on version 3: %s", got.String())
	}
	if got := h.do(1, setData("/v", "y", 3)); got.Err != OK || got.Stat.Version != 4 {
		t.Errorf("setData version 3: %s", got.String())
	}
	if got := h.do(1, del("/v", -1)); got.Err != OK {
		t.Errorf("delete -1: %s", got.String())
	}
}

// zookeeper.md A7: a failed multi reports OK before the failing op, its
// code, then RuntimeInconsistency; it changes nothing, yet consumes a zxid.
func TestMultiFailure(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	h.do(1, create("/p", Persistent))
	before := h.tree.Digest()
	res := h.do(1, Request{Type: OpMulti, Ops: []Request{
		create("/p/a", Persistent),
		create("/p/s-", PersistentSequential),
		del("/p/missing", -1),
		setData("/p", "x", -1),
	}})
	if res.Err != NoNode || len(res.Multi) != 4 {
		t.Fatalf("multi: %s", res.String())
	}
	for i, want := range []Code{OK, OK, NoNode, RuntimeInconsistency} {
		if res.Multi[i].Err != want || res.Multi[i].Type != OpError {
			t.Errorf("op %d: %s %s, want error result %s", i, res.Multi[i].Type, res.Multi[i].Err, want)
		}
	}
	if h.tree.Digest() != before || h.tree.Exists("/p/a") {
		t.Errorf("a failed multi changed the tree")
	}
	if h.tree.LastZxid() != h.zxid {
		t.Errorf("a failed multi did not consume its zxid")
	}
	// The rolled-back sequential create did not move the counter
	// (ZOOKEEPER-1624).
	if got := h.do(1, create("/p/s-", PersistentSequential)); got.Path != "/p/s-0000000000" {
		t.Errorf("after a failed multi: %s", got.Path)
	}
}

// zookeeper.md A7: ops in a multi see the ops before them, and a
// successful multi answers one result per op.
func TestMultiSuccess(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	res := h.do(1, Request{Type: OpMulti, Ops: []Request{
		create("/a", Persistent),
		{Type: OpCreate2, Path: "/a/b", ACL: OpenACLUnsafe, Mode: PersistentSequential},
		setData("/a", "v", 0),
		{Type: OpCheck, Path: "/a", Version: 1},
		del("/a/b0000000000", 0),
	}})
	if res.Err != OK {
		t.Fatalf("multi: %s", res.String())
	}
	if got := res.Multi[1]; got.Path != "/a/b0000000000" || !got.HasStat {
		t.Errorf("create2 in a multi: %s", got.String())
	}
	if got := res.Multi[2]; got.Stat.Version != 1 {
		t.Errorf("setData in a multi: %s", got.String())
	}
	// A multi with an op that is not a write cannot be decoded.
	if got := h.do(1, Request{Type: OpMulti, Ops: []Request{{Type: OpGetData, Path: "/a"}}}); got.Err != MarshallingError {
		t.Errorf("read op in a write multi: %s", got.String())
	}
}

// zookeeper.md A7.1: a failed single write is an error txn with its own
// zxid, ordered like any other write.
func TestFailedWriteIsATxn(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	x := h.prepare(1, del("/missing", -1))
	if x.Type != OpError || x.Err != NoNode || x.Zxid != h.zxid {
		t.Fatalf("prepared %s", x)
	}
	if got := h.apply(x); got.Err != NoNode || h.tree.LastZxid() != x.Zxid {
		t.Errorf("applied: %s, last zxid %s", got.String(), h.tree.LastZxid())
	}
}

// zookeeper.md A9: closing a session deletes its ephemerals in one txn,
// bumping each parent's pzxid with that txn's zxid, and fires their watches.
func TestCloseSessionDeletesEphemerals(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	h.session(2)
	h.do(1, create("/g", Persistent))
	h.do(1, create("/g/m-", EphemeralSequential))
	h.do(1, create("/e", Ephemeral))
	h.do(2, create("/g/other", Ephemeral))
	h.read(2, Request{Type: OpGetChildren, Path: "/g", Watch: true})
	h.read(2, Request{Type: OpExists, Path: "/e", Watch: true})
	x := h.prepare(1, Request{Type: OpCloseSession})
	if !slices.Equal(x.Paths, []string{"/e", "/g/m-0000000000"}) {
		t.Fatalf("close txn paths %v", x.Paths)
	}
	h.takeEvents()
	h.apply(x)
	if h.tree.Exists("/e") || h.tree.Exists("/g/m-0000000000") || !h.tree.Exists("/g/other") {
		t.Errorf("after close: %v", h.tree.Ephemerals(1))
	}
	if st := h.stat("/g"); st.Pzxid != x.Zxid {
		t.Errorf("/g pzxid %s, want the close's zxid %s", st.Pzxid, x.Zxid)
	}
	if slices.Contains(h.tree.Sessions(), 1) {
		t.Errorf("session 1 still live")
	}
	want := []WatchEvent{{2, EventNodeDeleted, "/e"}, {2, EventNodeChildrenChanged, "/g"}}
	if got := h.takeEvents(); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

// zookeeper.md A9, A13.1: a close prepared while the session's creates are
// still pending includes them, and later writes of the session are
// SessionExpired even before the close commits.
func TestCloseSessionSeesPendingCreates(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	c := h.prepare(1, create("/e", Ephemeral))
	closeTxn := h.prepare(1, Request{Type: OpCloseSession})
	late := h.prepare(1, create("/late", Persistent))
	if !slices.Equal(closeTxn.Paths, []string{"/e"}) {
		t.Errorf("close paths %v", closeTxn.Paths)
	}
	if late.Type != OpError || late.Err != SessionExpired {
		t.Errorf("write after a pending close: %s", late)
	}
	h.apply(c)
	h.apply(closeTxn)
	h.apply(late)
	if h.tree.Exists("/e") {
		t.Error("/e survived its session")
	}
}

// zookeeper.md A8.1: integration of Apply's changes with the registry.
func TestWatchesThroughThePipeline(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	h.session(2)
	if got := h.read(2, Request{Type: OpExists, Path: "/w", Watch: true}); got.Err != NoNode {
		t.Fatalf("exists: %s", got.String())
	}
	if got := h.read(2, Request{Type: OpGetData, Path: "/nope", Watch: true}); got.Err != NoNode {
		t.Fatalf("getData: %s", got.String())
	}
	h.do(1, create("/w", Persistent))
	h.read(2, Request{Type: OpGetData, Path: "/w", Watch: true})
	h.read(2, Request{Type: OpGetChildren, Path: "/w", Watch: true})
	h.do(1, setData("/w", "a", -1))
	h.do(1, setData("/w", "b", -1)) // the one-shot data watch is gone
	h.do(1, Request{Type: OpSetACL, Path: "/w", ACL: OpenACLUnsafe, Version: -1})
	h.do(1, create("/nope", Persistent)) // getData on a missing node set no watch
	want := []WatchEvent{{2, EventNodeCreated, "/w"}, {2, EventNodeDataChanged, "/w"}}
	if got := h.takeEvents(); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

// ACLs: the permission each op needs (zookeeper.md A5, NoAuth row) and the
// schemes world, digest and ip.
func TestACLs(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	h.session(2)
	h.auth[1] = NewAuth("10.0.0.1").AddDigest("alice:secret", "")
	h.auth[2] = NewAuth("10.1.2.3")
	alice := DigestID("alice:secret")
	h.do(1, Request{Type: OpCreate, Path: "/private", Data: []byte("s"), ACL: CreatorAllACL, Mode: Persistent})
	if acl, _ := h.tree.ACL("/private"); !slices.Equal(acl, []ACL{{PermAll, alice}}) {
		t.Fatalf("auth expanded to %v", acl)
	}
	for _, req := range []Request{{Type: OpGetData, Path: "/private"}, {Type: OpGetChildren, Path: "/private"}} {
		if got := h.read(2, req); got.Err != NoAuth {
			t.Errorf("%s by a stranger: %s", req.String(), got.Err)
		}
	}
	if got := h.read(2, Request{Type: OpExists, Path: "/private"}); got.Err != OK {
		t.Errorf("exists needs no permission: %s", got.Err)
	}
	if got := h.do(2, setData("/private", "x", -1)); got.Err != NoAuth {
		t.Errorf("setData by a stranger: %s", got.Err)
	}
	if got := h.do(2, create("/private/c", Persistent)); got.Err != NoAuth {
		t.Errorf("create under /private by a stranger: %s", got.Err)
	}
	if got := h.do(1, setData("/private", "x", -1)); got.Err != OK {
		t.Errorf("setData by alice: %s", got.Err)
	}
	// An ip ACL matches every address in its prefix.
	h.do(1, Request{Type: OpCreate, Path: "/lan", ACL: []ACL{{PermRead, ID{"ip", "10.1.0.0/16"}}, {PermAll, alice}}, Mode: Persistent})
	if got := h.read(2, Request{Type: OpGetData, Path: "/lan"}); got.Err != OK {
		t.Errorf("ip 10.1.2.3 in 10.1.0.0/16: %s", got.Err)
	}
	// getACL needs READ or ADMIN; without ADMIN the digest hash is hidden.
	got := h.read(2, Request{Type: OpGetACL, Path: "/lan"})
	if got.Err != OK || got.ACL[1].ID.ID != "alice:x" {
		t.Errorf("getACL by a reader: %s", got.String())
	}
	if got := h.read(1, Request{Type: OpGetACL, Path: "/lan"}); got.ACL[1].ID != alice {
		t.Errorf("getACL by the admin: %s", got.String())
	}
	// InvalidACL: empty, unknown scheme, malformed ids, auth without digest.
	for _, acl := range [][]ACL{nil, {{PermAll, ID{"foo", "bar"}}}, {{PermAll, ID{"world", "someone"}}},
		{{PermAll, ID{"digest", "nocolon"}}}, {{PermAll, ID{"ip", "10.0.0.256"}}}, {{PermAll, ID{"ip", "10.0.0.0/33"}}}} {
		if got := h.do(1, Request{Type: OpCreate, Path: "/bad", ACL: acl, Mode: Persistent}); got.Err != InvalidACL {
			t.Errorf("ACL %v: %s", acl, got.Err)
		}
	}
	if got := h.do(2, Request{Type: OpCreate, Path: "/bad", ACL: CreatorAllACL, Mode: Persistent}); got.Err != InvalidACL {
		t.Errorf("auth ACL with only an ip identity: %s", got.Err)
	}
	// A super identity passes every check.
	h.auth[2] = h.auth[2].AddDigest("root:pw", DigestID("root:pw").ID)
	if got := h.do(2, setData("/private", "y", -1)); got.Err != OK {
		t.Errorf("super: %s", got.Err)
	}
	// skipACL turns every check off.
	skip := newHarness(t, Options{SkipACL: true})
	skip.session(1)
	skip.do(1, Request{Type: OpCreate, Path: "/r", ACL: ReadACLUnsafe, Mode: Persistent})
	if got := skip.do(1, setData("/r", "x", -1)); got.Err != OK {
		t.Errorf("skipACL: %s", got.Err)
	}
}

// Idempotence (zookeeper.md A13.2): replaying txns the tree already applied
// changes nothing, and a second tree fed the same txns reaches the same
// digest without re-deriving anything.
func TestApplyIsIdempotent(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	var log []*Txn
	for _, req := range []Request{create("/a", Persistent), create("/a/s-", EphemeralSequential),
		setData("/a", "z", -1), del("/missing", -1)} {
		x := h.prepare(1, req)
		h.apply(x)
		log = append(log, x)
	}
	digest := h.tree.Digest()
	for _, x := range log {
		if a := h.tree.Apply(x); !a.Skipped {
			t.Errorf("replayed %s was applied again", x)
		}
	}
	if h.tree.Digest() != digest {
		t.Error("replay changed the digest")
	}
	replica := New(Options{})
	replica.Apply(&Txn{Header: Header{Session: 1, Zxid: 0x100000001}, Type: OpCreateSession, Timeout: 30000})
	for _, x := range log {
		replica.Apply(x)
	}
	if replica.Digest() != digest {
		t.Errorf("replica digest %#x, leader %#x", replica.Digest(), digest)
	}
}

// The digest catches a diverged replica: a txn carrying the leader's
// expected digest reports a mismatch on a replica whose state differs.
func TestDigestMismatchIsReported(t *testing.T) {
	h := newHarness(t, Options{})
	h.session(1)
	h.do(1, create("/a", Persistent))
	replica := New(Options{})
	replica.Apply(&Txn{Header: Header{Session: 1, Zxid: 0x100000001}, Type: OpCreateSession, Timeout: 30000})
	// The replica missed the create of /a.
	x := h.prepare(1, create("/b", Persistent))
	h.apply(x)
	a := replica.Apply(x)
	if a.DigestErr == nil {
		t.Fatal("a replica that missed a txn reported no digest mismatch")
	}
}
