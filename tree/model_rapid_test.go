package tree

// The rapid state-machine test of the whole pipeline (Preparer, Tree.Apply,
// Watches, Tree.Read) against the reference model of model_test.go, which
// follows ../shared/reference/zookeeper.md A1-A8 and A13.
//
// Regression cases. rapid writes the shrunk failing case of a run to
// testdata/rapid/..., which .gitignore excludes. Cases worth keeping are
// copied to testdata/rapid-regressions/*.fail and replayed by
// TestTreeModelRegressions through rapid.MakeFuzz, rapid's public way to run
// a property on a given bitstream: the file's words become the fuzz input,
// followed by zero words, which make every later draw its smallest value and
// so end the t.Repeat right after the recorded steps. A bitstream means
// something only to the state machine that drew it, so each file also holds
// (in rapid's comment lines) the steps it performed, logged as
// "model-step: ..."; the replay checks that it performs the same steps and
// fails, asking for the case to be re-recorded, when the machine has changed.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// The path alphabet: A1's rules on a handful of names.
var (
	mBasePaths = []string{"/a", "/b", "/a/b", "/a/c", "/b/a", "/a/b/c"}
	// The root, reserved nodes (A1), and a taken sequential name (A3).
	mOddPaths = []string{"/", "/zookeeper", "/zookeeper/config", "/a/s-0000000001", "/s-0000000000"}
	// Invalid for every op; "/a/" and "/." are valid sequential prefixes (A1).
	mBadPaths    = []string{"/a/", "//", "/."}
	mSeqPrefixes = []string{"/a/s-", "/s-", "/a/", "/b/a/s-"}
)

var (
	mUserID     = mDigestID("u:p")
	mAnyoneAll  = ACL{Perms: PermAll, ID: mAnyone}
	mAnyoneRead = ACL{Perms: PermRead, ID: mAnyone}
	mUserAll    = ACL{Perms: PermAll, ID: mUserID}
	mAuthAll    = ACL{Perms: PermAll, ID: ID{Scheme: "auth", ID: ""}}
	mACLs       = []ACL{mAnyoneAll, mAnyoneRead, mUserAll, mAuthAll}
)

// modelMachine drives the package and the model with the same requests.
type modelMachine struct {
	tree    *Tree
	prep    *Preparer
	watches *Watches
	m       *model

	zxid Zxid
	now  int64
	cxid int32
	// Per session: the connection's identities, as the package sees them
	// and as the model does (built independently).
	auth map[SessionID]Auth
	ids  map[SessionID][]ID

	// recent holds the paths the last requests named or created, so that
	// later requests, pipelined ones above all, meet them again.
	recent     []string
	pipelining bool // a pipeline batch has a txn prepared

	steps []string // "model-step:" lines, for replays
	n     int      // actions so far
}

func newModelMachine(t *rapid.T, opts modelOptions) *modelMachine {
	tr := New(Options{ExtendedTypes: opts.extendedTypes})
	mc := &modelMachine{
		tree: tr, prep: NewPreparer(tr), watches: NewWatches(), m: newModel(opts),
		zxid: 0x100000000, now: 1_000_000,
		auth: map[SessionID]Auth{}, ids: map[SessionID][]ID{},
	}
	for s := SessionID(1); s <= 3; s++ {
		mc.setAuth(s, false)
	}
	mc.compareAll(t)
	return mc
}

// setAuth gives session s's connection an ip identity and maybe the digest
// of "u:p".
func (mc *modelMachine) setAuth(s SessionID, digest bool) {
	ip := ID{Scheme: "ip", ID: fmt.Sprintf("10.0.0.%d", s)}
	mc.ids[s] = []ID{ip}
	mc.auth[s] = NewAuth(ip.ID)
	if digest {
		mc.ids[s] = append(mc.ids[s], mUserID)
		mc.auth[s] = mc.auth[s].AddDigest("u:p", "")
	}
}

func (mc *modelMachine) header(s SessionID) Header {
	mc.zxid++
	mc.now += 7
	mc.cxid++
	return Header{Session: s, Cxid: mc.cxid, Zxid: mc.zxid, Time: mc.now}
}

func (mc *modelMachine) step(t *rapid.T, format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	mc.steps = append(mc.steps, line)
	t.Logf("model-step: %s", line)
}

// --- generators ---

// drawPath draws from prefer (paths likely to succeed for the op at hand),
// the alphabet, the model's nodes, the recent paths, and the odd and bad
// paths. Inside a pipeline the recent paths come first, so that pipelined
// requests meet what the pending ones touched.
func (mc *modelMachine) drawPath(t *rapid.T, prefer []string) string {
	switch k := rapid.IntRange(0, 19).Draw(t, "pathKind"); {
	case k < 4 && mc.pipelining && len(mc.recent) > 0:
		return rapid.SampledFrom(mc.recent).Draw(t, "pending")
	case k < 8 && len(prefer) > 0:
		return rapid.SampledFrom(prefer).Draw(t, "prefer")
	case k < 10:
		return rapid.SampledFrom(mBasePaths).Draw(t, "path")
	case k < 13:
		return rapid.SampledFrom(mc.m.paths()).Draw(t, "existing")
	case k < 16 && len(mc.recent) > 0:
		return rapid.SampledFrom(mc.recent).Draw(t, "recent")
	case k < 18:
		return rapid.SampledFrom(mOddPaths).Draw(t, "odd")
	case k < 19:
		return rapid.SampledFrom(mBadPaths).Draw(t, "bad")
	default:
		return rapid.SampledFrom(mSeqPrefixes).Draw(t, "prefix")
	}
}

// userPaths are the model's nodes outside /zookeeper, the root included.
func (mc *modelMachine) userPaths() []string {
	return slices.DeleteFunc(mc.m.paths(), func(p string) bool { return strings.HasPrefix(p, "/zookeeper") })
}

// createTargets are paths a create can succeed on or nearly: children named
// a, b, c of existing nodes, or for a sequential create the prefixes s- and
// "" under them (A1: "/q/" is a valid sequential prefix).
func (mc *modelMachine) createTargets(seq bool) []string {
	names := []string{"a", "b", "c"}
	if seq {
		names = []string{"s-", ""}
	}
	var out []string
	for _, p := range mc.userPaths() {
		for _, n := range names {
			if p == "/" {
				out = append(out, "/"+n)
			} else {
				out = append(out, p+"/"+n)
			}
		}
	}
	return out
}

// touch remembers the paths a request named, and the paths its changes
// touched with their parents.
func (mc *modelMachine) touch(req *Request, out mOutcome) {
	add := func(p string) {
		if p == "" || slices.Contains(mc.recent, p) {
			return
		}
		mc.recent = append(mc.recent, p)
		if len(mc.recent) > 5 {
			mc.recent = mc.recent[1:]
		}
	}
	add(req.Path)
	for i := range req.Ops {
		add(req.Ops[i].Path)
	}
	for _, c := range out.changes {
		add(mParent(c.Path))
		add(c.Path)
	}
}

// drawSession picks a live session mostly, and sometimes any of 1..3, so
// that a closed or never-created one is refused (SessionExpired).
func (mc *modelMachine) drawSession(t *rapid.T) SessionID {
	live := mc.m.liveSessions()
	if len(live) > 0 && rapid.IntRange(0, 5).Draw(t, "anySession") > 0 {
		return rapid.SampledFrom(live).Draw(t, "session")
	}
	return SessionID(rapid.IntRange(1, 3).Draw(t, "session"))
}

func (mc *modelMachine) drawACL(t *rapid.T) []ACL {
	switch k := rapid.IntRange(0, 9).Draw(t, "aclKind"); {
	case k < 6:
		return []ACL{mAnyoneAll}
	case k == 6:
		return []ACL{mAnyoneRead}
	case k == 7:
		return []ACL{mUserAll}
	case k == 8:
		return []ACL{mAuthAll}
	default: // empty, duplicates, mixtures
		return rapid.SliceOfN(rapid.SampledFrom(mACLs), 0, 3).Draw(t, "acl")
	}
}

// drawVersion: -1 (any, A6), the current version, one more, or 0.
func (mc *modelMachine) drawVersion(t *rapid.T, path string, acl bool) int32 {
	cur := int32(0)
	if n := mc.m.st.nodes[path]; n != nil {
		cur = n.version
		if acl {
			cur = n.aversion
		}
	}
	return []int32{-1, cur, cur + 1, 0}[rapid.IntRange(0, 3).Draw(t, "version")]
}

var mData = [][]byte{nil, []byte("x"), {}, []byte("hello")}

func (mc *modelMachine) drawCreate(t *rapid.T) Request {
	mode := CreateMode(rapid.IntRange(0, 6).Draw(t, "mode"))
	req := Request{Mode: mode, Data: rapid.SampledFrom(mData).Draw(t, "data"), ACL: mc.drawACL(t)}
	switch {
	case mode == Container:
		req.Type = OpCreateContainer
	case mIsTTL(mode):
		req.Type = OpCreateTTL
		req.TTL = rapid.SampledFrom([]int64{1000, 1, 0, mMaxTTL, mMaxTTL + 1}).Draw(t, "ttl")
	default:
		req.Type = rapid.SampledFrom([]OpCode{OpCreate, OpCreate2}).Draw(t, "op")
	}
	req.Path = mc.drawPath(t, mc.createTargets(mIsSequential(mode)))
	return req
}

// drawOp draws one op of the given kind for a single request or a multi.
func (mc *modelMachine) drawOp(t *rapid.T, kind string) Request {
	switch kind {
	case "create":
		return mc.drawCreate(t)
	case "delete":
		p := mc.drawPath(t, mc.userPaths())
		return Request{Type: OpDelete, Path: p, Version: mc.drawVersion(t, p, false)}
	case "setData":
		p := mc.drawPath(t, mc.userPaths())
		return Request{Type: OpSetData, Path: p, Data: rapid.SampledFrom(mData).Draw(t, "data"), Version: mc.drawVersion(t, p, false)}
	case "setACL":
		p := mc.drawPath(t, mc.userPaths())
		return Request{Type: OpSetACL, Path: p, ACL: mc.drawACL(t), Version: mc.drawVersion(t, p, true)}
	case "check":
		p := mc.drawPath(t, mc.userPaths())
		return Request{Type: OpCheck, Path: p, Version: mc.drawVersion(t, p, false)}
	}
	panic("unknown op kind " + kind)
}

var mMultiKinds = []string{"create", "delete", "setData", "check"}

// drawMulti draws 1-4 ops as a slice, so that rapid can drop ops one by
// one when it shrinks.
func (mc *modelMachine) drawMulti(t *rapid.T) Request {
	op := rapid.Custom(func(t *rapid.T) Request {
		return mc.drawOp(t, rapid.SampledFrom(mMultiKinds).Draw(t, "kind"))
	})
	return Request{Type: OpMulti, Ops: rapid.SliceOfN(op, 1, 4).Draw(t, "ops")}
}

// mWrite is a drawn write and the session that sends it.
type mWrite struct {
	s      SessionID
	req    Request
	digest bool // createSession: the new connection adds the digest of u:p
}

// mWriteKinds are the writes a pipeline draws from; rapid favours the first
// ones a little.
var mWriteKinds = []string{"create", "delete", "session", "setData", "multi", "setACL", "reap"}

func (mc *modelMachine) drawWrite(t *rapid.T, kind string) mWrite {
	switch kind {
	case "multi":
		return mWrite{s: mc.drawSession(t), req: mc.drawMulti(t)}
	case "session":
		// createSession of a free id (a live id is never reused) while at
		// most one session is live, either with two live, and closeSession
		// with all three live.
		var free []SessionID
		for s := SessionID(1); s <= 3; s++ {
			if _, live := mc.m.st.sessions[s]; !live {
				free = append(free, s)
			}
		}
		if len(free) > 0 && (len(free) > 1 || rapid.Bool().Draw(t, "create")) {
			s := rapid.SampledFrom(free).Draw(t, "newSession")
			return mWrite{s: s, req: Request{Type: OpCreateSession, Timeout: 30000}, digest: rapid.Bool().Draw(t, "digest")}
		}
		// Prefer a session that leaves ephemerals behind.
		var owners []SessionID
		for _, s := range mc.m.liveSessions() {
			if len(mc.m.ephemerals(s)) > 0 {
				owners = append(owners, s)
			}
		}
		if len(owners) > 0 && rapid.Bool().Draw(t, "owner") {
			return mWrite{s: rapid.SampledFrom(owners).Draw(t, "session"), req: Request{Type: OpCloseSession}}
		}
		return mWrite{s: mc.drawSession(t), req: Request{Type: OpCloseSession}}
	case "reap":
		// The leader's deleteContainer (A2.1) has no session.
		reapable := slices.Concat(mc.m.ofKind(mContainerNode), mc.m.ofKind(mTTLNode), mc.m.ofKind(mEphemeralNode))
		return mWrite{s: 0, req: Request{Type: OpDeleteContainer, Path: mc.drawPath(t, reapable)}}
	}
	return mWrite{s: mc.drawSession(t), req: mc.drawOp(t, kind)}
}

// --- running writes through the pipeline ---

type mPrepared struct {
	w    mWrite
	x    *Txn
	want mOutcome
}

// prepare has the leader prepare w against its pending view (A13.1) and
// the model answer it; the model then stands for that view, so the next
// request is drawn against it.
func (mc *modelMachine) prepare(t *rapid.T, w mWrite) mPrepared {
	if w.req.Type == OpCreateSession {
		mc.setAuth(w.s, w.digest)
	}
	hdr := mc.header(w.s)
	want := mc.m.write(hdr, &w.req, mc.ids[w.s])
	mc.touch(&w.req, want)
	x := mc.prep.Prepare(hdr, &w.req, mc.auth[w.s])
	if x == nil {
		t.Fatalf("Prepare(%s) returned nil", w.req.String())
	}
	return mPrepared{w, x, want}
}

// commit applies and commits the prepared txns in order and compares each
// outcome.
func (mc *modelMachine) commit(t *rapid.T, batch []mPrepared) {
	mc.m.endBatch()
	for _, b := range batch {
		mc.apply(t, b)
	}
	if p := mc.prep.Pending(); p != 0 {
		t.Fatalf("%d records still pending after every txn committed", p)
	}
}

// run prepares the writes as one batch, then commits them.
func (mc *modelMachine) run(t *rapid.T, ws []mWrite) {
	var batch []mPrepared
	for _, w := range ws {
		batch = append(batch, mc.prepare(t, w))
	}
	mc.commit(t, batch)
}

func (mc *modelMachine) apply(t *rapid.T, b mPrepared) {
	x := b.x
	a := mc.tree.Apply(x)
	if a.Skipped {
		t.Fatalf("txn %s skipped", x)
	}
	if a.DigestErr != nil {
		t.Fatalf("after %s: %v", x, a.DigestErr)
	}
	if x.Digest != mc.tree.Digest() {
		t.Fatalf("after %s: leader expected digest %#x, tree has %#x", x, x.Digest, mc.tree.Digest())
	}
	if d := mc.tree.RecomputeDigest(); d != mc.tree.Digest() {
		t.Fatalf("after %s: digest %#x, recomputed %#x", x, mc.tree.Digest(), d)
	}
	mc.prep.Committed(x.Zxid)
	if err := mc.tree.CheckInvariants(); err != nil {
		t.Fatalf("after %s: %v", x, err)
	}
	what := fmt.Sprintf("%s by %s (txn %s)", b.w.req.String(), b.w.s, x)
	compareResult(t, what, a.Result, b.want.res)
	if !slices.Equal(a.Changes, b.want.changes) {
		t.Fatalf("%s: changes\n got  %v\n want %v", what, a.Changes, b.want.changes)
	}
	events := mc.watches.Trigger(a.Changes, nil)
	if b.w.req.Type == OpCloseSession {
		mc.watches.RemoveSession(b.w.s) // its connection closes
	}
	if !slices.Equal(events, b.want.events) {
		t.Fatalf("%s: watch events\n got  %v\n want %v", what, events, b.want.events)
	}
}

// compareResult compares what a client can see of a result: the code, a
// create's final path, the stat where there is one, data and children of
// reads, and a multi's per-op results (A7).
func compareResult(t *rapid.T, what string, got Result, want mResult) {
	fail := func(format string, args ...any) {
		t.Fatalf("%s: %s\n got  %s", what, fmt.Sprintf(format, args...), got.String())
	}
	if got.Err != want.err {
		fail("code %s, want %s", got.Err, want.err)
	}
	switch want.op {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL:
		if got.Path != want.path {
			fail("path %q, want %q", got.Path, want.path)
		}
	}
	if got.HasStat != want.hasStat {
		fail("HasStat %v, want %v", got.HasStat, want.hasStat)
	}
	if want.hasStat && got.Stat != want.stat {
		fail("stat\n      %s\n want %s", got.Stat, want.stat)
	}
	if want.op == OpGetData && want.err == OK && !bytes.Equal(got.Data, want.data) {
		fail("data %q, want %q", got.Data, want.data)
	}
	if (want.op == OpGetChildren || want.op == OpGetChildren2) && want.err == OK &&
		!slices.Equal(got.Children, want.kids) && len(got.Children)+len(want.kids) > 0 {
		fail("children %v, want %v", got.Children, want.kids)
	}
	if want.op == OpMulti {
		if len(got.Multi) != len(want.multi) {
			fail("%d multi results, want %d", len(got.Multi), len(want.multi))
		}
		for i := range want.multi {
			if got.Multi[i].Type != want.multi[i].op {
				fail("op %d: type %s, want %s", i, got.Multi[i].Type, want.multi[i].op)
			}
			compareResult(t, fmt.Sprintf("%s, op %d", what, i), got.Multi[i], want.multi[i])
		}
	}
}

// compareAll compares the whole state: every node's stat, data, children
// and ACL, the sessions, each session's ephemerals, the container and TTL
// nodes, and the watch registry.
func (mc *modelMachine) compareAll(t *rapid.T) {
	var walk func(p string) []string
	walk = func(p string) []string {
		out := []string{p}
		kids, _ := mc.tree.Children(p)
		for _, k := range kids {
			child := p + "/" + k
			if p == "/" {
				child = "/" + k
			}
			out = append(out, walk(child)...)
		}
		return out
	}
	got := walk("/")
	slices.Sort(got)
	if want := mc.m.paths(); !slices.Equal(got, want) {
		t.Fatalf("nodes\n got  %v\n want %v", got, want)
	}
	if mc.tree.NodeCount() != len(got) {
		t.Fatalf("NodeCount %d, %d nodes reachable", mc.tree.NodeCount(), len(got))
	}
	for _, p := range got {
		n := mc.m.st.nodes[p]
		data, st, _ := mc.tree.Get(p)
		if st != n.stat() {
			t.Fatalf("%s: stat\n got  %s\n want %s", p, st, n.stat())
		}
		if !bytes.Equal(data, n.data) {
			t.Fatalf("%s: data %q, want %q", p, data, n.data)
		}
		if kids, _ := mc.tree.Children(p); !slices.Equal(kids, n.children) && len(kids)+len(n.children) > 0 {
			t.Fatalf("%s: children %v, want %v", p, kids, n.children)
		}
		if acl, _ := mc.tree.ACL(p); !slices.Equal(acl, n.acl) {
			t.Fatalf("%s: acl %v, want %v", p, acl, n.acl)
		}
	}
	if got, want := mc.tree.Sessions(), mc.m.liveSessions(); !slices.Equal(got, want) {
		t.Fatalf("sessions %v, want %v", got, want)
	}
	for s, want := range mc.m.st.sessions {
		if got, _ := mc.tree.SessionTimeout(s); got != want {
			t.Fatalf("timeout of %s: %d, want %d", s, got, want)
		}
	}
	for s := SessionID(0); s <= 3; s++ {
		if got, want := mc.tree.Ephemerals(s), mc.m.ephemerals(s); !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Fatalf("ephemerals of %s: %v, want %v", s, got, want)
		}
	}
	if got, want := mc.tree.Containers(), mc.m.ofKind(mContainerNode); !slices.Equal(got, want) && len(got)+len(want) > 0 {
		t.Fatalf("containers %v, want %v", got, want)
	}
	if got, want := mc.tree.TTLNodes(), mc.m.ofKind(mTTLNode); !slices.Equal(got, want) && len(got)+len(want) > 0 {
		t.Fatalf("TTL nodes %v, want %v", got, want)
	}
	mc.compareWatches(t)
	if mc.tree.LastZxid() != mc.zxid && mc.zxid != 0x100000000 {
		t.Fatalf("LastZxid %s, want %s", mc.tree.LastZxid(), mc.zxid)
	}
}

// compareWatches compares the watch registry with the model's tables.
func (mc *modelMachine) compareWatches(t *rapid.T) {
	if got, want := mc.watches.Describe(), mc.m.describeWatches(); got != want {
		t.Fatalf("watch registry\n got\n%s want\n%s", got, want)
	}
}

// check is the "" action of t.Repeat: the cheap checks after every action
// (the watch registry among them), and the full comparison every fourth.
func (mc *modelMachine) check(t *rapid.T) {
	if err := mc.tree.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	if d := mc.tree.RecomputeDigest(); d != mc.tree.Digest() {
		t.Fatalf("digest %#x, recomputed %#x", mc.tree.Digest(), d)
	}
	if err := mc.watches.check(); err != nil {
		t.Fatal(err)
	}
	if mc.prep.Pending() != 0 {
		t.Fatalf("%d records pending between actions", mc.prep.Pending())
	}
	mc.n++
	if mc.n%4 == 0 {
		mc.compareAll(t)
	} else {
		mc.compareWatches(t)
	}
}

// --- actions ---

func (mc *modelMachine) writeAction(kind string) func(*rapid.T) {
	return func(t *rapid.T) {
		w := mc.drawWrite(t, kind)
		mc.step(t, "%s by %s", w.req.String(), w.s)
		mc.run(t, []mWrite{w})
	}
}

// checkMulti is a multi that starts with a check (A7: "check (multi only)").
func (mc *modelMachine) checkMulti(t *rapid.T) {
	s := mc.drawSession(t)
	req := Request{Type: OpMulti, Ops: []Request{mc.drawOp(t, "check")}}
	req.Ops = append(req.Ops, mc.drawOp(t, rapid.SampledFrom(mMultiKinds).Draw(t, "kind")))
	mc.step(t, "%s by %s", req.String(), s)
	mc.run(t, []mWrite{{s: s, req: req}})
}

// pipeline prepares 1-3 writes before any of them is applied (A13.1), each
// drawn against the view the earlier ones left. The writes are drawn as a
// slice, so that rapid can drop them one by one when it shrinks; each is
// prepared as it is drawn, which is deterministic in the bitstream.
func (mc *modelMachine) pipeline(t *rapid.T) {
	var batch []mPrepared
	write := rapid.Custom(func(t *rapid.T) string {
		w := mc.drawWrite(t, rapid.SampledFrom(mWriteKinds).Draw(t, "kind"))
		batch = append(batch, mc.prepare(t, w))
		mc.pipelining = true
		return fmt.Sprintf("%s by %s", w.req.String(), w.s)
	})
	desc := rapid.SliceOfN(write, 1, 3).Draw(t, "pipelined")
	mc.pipelining = false
	mc.step(t, "pipeline [%s]", strings.Join(desc, " | "))
	mc.commit(t, batch)
}

func (mc *modelMachine) liveSession(t *rapid.T) SessionID {
	live := mc.m.liveSessions()
	if len(live) == 0 {
		t.Skip("no live session")
	}
	return rapid.SampledFrom(live).Draw(t, "session")
}

// readAction is a read of one of ops, with or without a watch (A8.1).
func (mc *modelMachine) readAction(ops ...OpCode) func(*rapid.T) {
	return func(t *rapid.T) {
		s := mc.liveSession(t)
		req := Request{
			Type:  rapid.SampledFrom(ops).Draw(t, "read"),
			Path:  mc.drawPath(t, mc.userPaths()),
			Watch: rapid.IntRange(0, 3).Draw(t, "watch") > 0,
		}
		mc.serve(t, s, req)
	}
}

// addWatch is A8.2's persistent or persistent-recursive watch.
func (mc *modelMachine) addWatch(t *rapid.T) {
	s := mc.liveSession(t)
	req := Request{
		Type:      OpAddWatch,
		Path:      mc.drawPath(t, mc.userPaths()),
		WatchMode: rapid.SampledFrom([]WatchMode{WatchPersistent, WatchPersistentRecursive}).Draw(t, "mode"),
	}
	mc.serve(t, s, req)
}

// removeWatches is A8.3 (and checkWatches, its 3.8 companion).
func (mc *modelMachine) removeWatches(t *rapid.T) {
	s := mc.liveSession(t)
	req := Request{
		Type:        rapid.SampledFrom([]OpCode{OpRemoveWatches, OpCheckWatches}).Draw(t, "op"),
		Path:        mc.drawPath(t, slices.Sorted(maps.Keys(mc.m.dataW))),
		WatcherType: rapid.SampledFrom([]WatcherType{WatcherAny, WatcherData, WatcherChildren}).Draw(t, "type"),
	}
	mc.serve(t, s, req)
}

func (mc *modelMachine) serve(t *rapid.T, s SessionID, req Request) {
	mc.step(t, "%s by %s", req.String(), s)
	want := mc.m.read(&req, s, mc.ids[s])
	got, events := mc.tree.Read(&req, s, mc.auth[s], mc.watches)
	compareResult(t, fmt.Sprintf("%s by %s", req.String(), s), got, want)
	if len(events) != 0 {
		t.Fatalf("%s fired %v", req.String(), events)
	}
}

func (mc *modelMachine) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"create":        mc.writeAction("create"),
		"delete":        mc.writeAction("delete"),
		"setData":       mc.writeAction("setData"),
		"setACL":        mc.writeAction("setACL"),
		"multi":         mc.writeAction("multi"),
		"checkMulti":    mc.checkMulti,
		"session":       mc.writeAction("session"),
		"reap":          mc.writeAction("reap"),
		"pipeline":      mc.pipeline,
		"getData":       mc.readAction(OpGetData, OpExists),
		"getChildren":   mc.readAction(OpGetChildren, OpGetChildren2),
		"addWatch":      mc.addWatch,
		"removeWatches": mc.removeWatches,
		"":              mc.check,
	}
}

// mSeedCreates are up to four persistent or container creates of the
// alphabet's paths, drawn without looking at the state.
var mSeedCreates = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) Request {
	req := Request{Type: OpCreate, Path: rapid.SampledFrom(mBasePaths).Draw(t, "path"), ACL: []ACL{mAnyoneAll}}
	if rapid.IntRange(0, 3).Draw(t, "container") == 3 {
		req.Type, req.Mode = OpCreateContainer, Container
	}
	return req
}), 0, 4)

// modelProperty is the property both tests run. It starts two sessions, one
// with the digest of u:p, makes up to four creates, and then runs the drawn
// actions. last, when not nil, receives the steps performed.
func modelProperty(opts modelOptions, last *[]string) func(*rapid.T) {
	return func(t *rapid.T) {
		o := opts
		o.extendedTypes = rapid.Bool().Draw(t, "extendedTypes")
		mc := newModelMachine(t, o)
		if last != nil {
			defer func() { *last = mc.steps }()
		}
		mc.run(t, []mWrite{
			{s: 1, req: Request{Type: OpCreateSession, Timeout: 30000}},
			{s: 2, req: Request{Type: OpCreateSession, Timeout: 20000}, digest: true},
		})
		// A few creates first, so that the actions meet a tree with some
		// depth. They are drawn as one slice, whose elements rapid can
		// drop one by one when it shrinks.
		for _, req := range mSeedCreates.Draw(t, "seeds") {
			mc.step(t, "%s by %s", req.String(), SessionID(1))
			mc.run(t, []mWrite{{s: 1, req: req}})
		}
		t.Repeat(mc.actions())
		mc.compareAll(t)
	}
}

// mOptions is the model the package is held to: ZooKeeper 3.8.0 watches, as
// the package documents (see modelOptions.recursiveInChildTable).
var mOptions = modelOptions{recursiveInChildTable: true}

// TestTreeMatchesModel drives the preparer, the tree, the watch registry and
// reads with random requests, pipelined or not, and holds every result, stat,
// change, watch event and the whole state to the model of zookeeper.md A1-A8
// and A13 (model_test.go).
func TestTreeMatchesModel(t *testing.T) {
	rapid.Check(t, modelProperty(mOptions, nil))
}

// TestTreeModelRegressions replays the shrunk failures kept in
// testdata/rapid-regressions, each one found by TestTreeMatchesModel against
// a planted bug (see the comment at the top of this file).
func TestTreeModelRegressions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "rapid-regressions", "*.fail"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no regression cases")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".fail"), func(t *testing.T) {
			words, recorded, err := readFailFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input := make([]byte, 8*(len(words)+4096)) // zero words after the case
			for i, w := range words {
				binary.LittleEndian.PutUint64(input[8*i:], w)
			}
			var steps []string
			t.Cleanup(func() {
				// MakeFuzz skips a test whose input it finds invalid.
				if t.Skipped() {
					t.Errorf("the case no longer replays (rapid found its data invalid); re-record it")
				}
			})
			rapid.MakeFuzz(modelProperty(mOptions, &steps))(t, input)
			if len(steps) < len(recorded) || !slices.Equal(steps[:len(recorded)], recorded) {
				t.Fatalf("the case no longer replays its recorded steps; the state machine changed, re-record it\n recorded %q\n replayed %q", recorded, steps)
			}
		})
	}
}

// readFailFile reads rapid's fail file format (persist.go in rapid v1.3.0):
// comment lines starting with '#' hold the output of the failing run, then
// "version#seed", then one word of the bitstream per line. It returns the
// words and the "model-step:" lines of the comments.
func readFailFile(name string) ([]uint64, []string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var words []uint64
	var steps []string
	header := false
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "#"):
			if _, step, ok := strings.Cut(line, "model-step: "); ok {
				steps = append(steps, step)
			}
		case line == "":
		case !header:
			if !strings.Contains(line, "#") {
				return nil, nil, fmt.Errorf("%s: bad version#seed line %q", name, line)
			}
			header = true
		default:
			w, err := strconv.ParseUint(line, 0, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", name, err)
			}
			words = append(words, w)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	if !header || len(steps) == 0 {
		return nil, nil, fmt.Errorf("%s: no bitstream or no recorded steps", name)
	}
	return words, steps, nil
}
