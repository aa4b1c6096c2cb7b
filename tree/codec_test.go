package tree

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"zoosim/internal/varint"
)

// codecTB is what the checks need of a *testing.T, a *testing.F's T or a
// *rapid.T.
type codecTB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// codecStat is a stat as a busy ensemble shows it: big zxids, clock values
// in ms, some zero fields.
var codecStat = Stat{
	Czxid: 0x100000003, Mzxid: 0x300000a41, Ctime: 1_700_000_000_123, Mtime: 1_700_000_456_789,
	Version: 17, Cversion: 4, DataLength: 100, NumChildren: 2, Pzxid: 0x300000a40,
}

var codecDigestACL = []ACL{
	{Perms: PermAll, ID: ID{Scheme: "digest", ID: "alice:XvvoP7Gx4dpbiEYgX7OYv3eDoNc="}},
	{Perms: PermRead, ID: AnyoneID},
}

// codecHeader is the header of a txn the leader prepared.
func codecHeader() Header {
	return Header{Session: 0x1000001f2a30005, Cxid: 42, Zxid: 0x300000a41, Time: 1_700_000_456_789}
}

func codecTxns() []Txn {
	h := codecHeader()
	value := bytes.Repeat([]byte("v"), 100)
	return []Txn{
		{Header: h, Type: OpCreate, Path: "/app/lock-0000000017", Data: []byte("me"), ACL: OpenACLUnsafe,
			EphemeralOwner: int64(h.Session), ParentCversion: 18, Digest: 0x9e3779b97f4a7c15},
		{Header: h, Type: OpCreate2, Path: "/app/cfg", Data: []byte{}, ACL: codecDigestACL, ParentCversion: 1, Digest: 1},
		{Header: h, Type: OpCreateContainer, Path: "/c", ACL: OpenACLUnsafe, EphemeralOwner: ContainerOwner, ParentCversion: 3},
		{Header: h, Type: OpCreateTTL, Path: "/t", Data: []byte("x"), ACL: OpenACLUnsafe, EphemeralOwner: TTLOwner(5000), ParentCversion: 1},
		{Header: h, Type: OpDelete, Path: "/app/lock-0000000017", Digest: 0xffffffffffffffff},
		{Header: Header{Zxid: 0x300000a42, Time: 5}, Type: OpDeleteContainer, Path: "/c"},
		{Header: h, Type: OpSetData, Path: "/app/cfg", Data: value, Version: 18, Digest: 0x0123456789abcdef},
		{Header: h, Type: OpSetData, Path: "/app/cfg", Data: nil, Version: 1},
		{Header: h, Type: OpSetACL, Path: "/app", ACL: codecDigestACL, Version: 2},
		{Header: h, Type: OpCheck, Path: "/app", Version: 5},
		{Header: h, Type: OpCreateSession, Timeout: 30000},
		{Header: h, Type: OpCloseSession, Paths: []string{"/a/e1", "/b/e2"}},
		{Header: h, Type: OpCloseSession, Paths: []string{}},
		{Header: h, Type: OpError, Err: NoNode},
		{Header: h, Type: OpError, Err: BadVersion, Digest: 7},
		{Header: h, Type: OpMulti, Digest: 99, Ops: []Txn{
			{Type: OpCreate, Path: "/m/a", Data: []byte("1"), ACL: OpenACLUnsafe, ParentCversion: 1},
			{Type: OpSetData, Path: "/m", Data: []byte("2"), Version: 3},
			{Type: OpDelete, Path: "/m/b"},
			{Type: OpCheck, Path: "/m", Version: 4},
		}},
		{Header: h, Type: OpMulti, Ops: []Txn{
			{Type: OpError, Err: OK},
			{Type: OpError, Err: NodeExists},
			{Type: OpError, Err: RuntimeInconsistency},
		}},
		{Header: h, Type: OpMulti, Ops: []Txn{}},
		{Type: OpError},
		{Header: Header{Session: -1, Cxid: -2, Zxid: -3, Time: -4}, Type: OpCheck, Version: -1,
			ParentCversion: -2147483648, Timeout: 2147483647, EphemeralOwner: -9223372036854775808},
	}
}

func codecRequests() []Request {
	return []Request{
		{Type: OpNotification},
		{Type: OpCreate, Path: "/app/lock-", Data: []byte("me"), ACL: OpenACLUnsafe, Mode: EphemeralSequential},
		{Type: OpCreate, Path: "/app/x", Data: []byte{}, ACL: []ACL{}, Mode: CreateMode(99)},
		{Type: OpDelete, Path: "/app/x", Version: -1},
		{Type: OpExists, Path: "/app", Watch: true},
		{Type: OpGetData, Path: "/app/cfg", Watch: true},
		{Type: OpSetData, Path: "/app/cfg", Data: bytes.Repeat([]byte("v"), 100), Version: 17},
		{Type: OpGetACL, Path: "/app"},
		{Type: OpSetACL, Path: "/app", ACL: codecDigestACL, Version: 3},
		{Type: OpGetChildren, Path: "/app"},
		{Type: OpSync, Path: "/"},
		{Type: OpPing},
		{Type: OpGetChildren2, Path: "/app", Watch: true},
		{Type: OpCheck, Path: "/app", Version: 2},
		{Type: OpMulti, Ops: []Request{
			{Type: OpCreate, Path: "/m/a", ACL: CreatorAllACL},
			{Type: OpSetData, Path: "/m", Data: []byte("2"), Version: -1},
			{Type: OpDelete, Path: "/m/b", Version: 1},
			{Type: OpCheck, Path: "/m", Version: 4},
			{Type: OpGetData, Path: "/m"}, // a client's mistake, answered by the tree
		}},
		{Type: OpMulti, Ops: []Request{}},
		{Type: OpCreate2, Path: "/x", Data: []byte("d"), ACL: OpenACLUnsafe, Mode: PersistentSequential},
		{Type: OpReconfig, Data: []byte("server.4=10.0.0.4:2888:3888")},
		{Type: OpCheckWatches, Path: "/w", WatcherType: WatcherData},
		{Type: OpRemoveWatches, Path: "/w", WatcherType: WatcherAny},
		{Type: OpCreateContainer, Path: "/c", ACL: OpenACLUnsafe, Mode: Container},
		{Type: OpDeleteContainer, Path: "/c"},
		{Type: OpCreateTTL, Path: "/t", ACL: OpenACLUnsafe, Mode: PersistentWithTTL, TTL: 60000},
		{Type: OpMultiRead, Ops: []Request{{Type: OpGetData, Path: "/a", Watch: true}, {Type: OpGetChildren, Path: "/b"}}},
		{Type: OpAuth, Data: []byte("alice:secret")},
		{Type: OpSetWatches, SetWatches: &SetWatches{RelativeZxid: 0x300000a41, DataWatches: []string{"/a", "/b"},
			ExistWatches: []string{"/gone"}, ChildWatches: []string{"/"}}},
		{Type: OpGetEphemerals, Path: "/app"},
		{Type: OpGetAllChildrenNumber, Path: "/app"},
		{Type: OpSetWatches2, SetWatches: &SetWatches{RelativeZxid: 1, DataWatches: []string{},
			PersistentWatches: []string{"/p"}, PersistentRecursiveWatches: []string{"/r", ""}}},
		{Type: OpAddWatch, Path: "/r", WatchMode: WatchPersistentRecursive},
		{Type: OpAddWatch, Path: "/p", WatchMode: WatchPersistent},
		{Type: OpWhoAmI},
		{Type: OpCreateSession, Timeout: 30000},
		{Type: OpCloseSession},
		{Type: OpError},
	}
}

func codecResults() []Result {
	st := codecStat
	return []Result{
		{Type: OpCreate, Path: "/app/lock-0000000017"},
		{Type: OpCreate2, Path: "/x0000000001", Stat: st, HasStat: true},
		{Type: OpDelete},
		{Type: OpExists, Stat: st, HasStat: true},
		{Type: OpExists, Err: NoNode},
		{Type: OpGetData, Data: bytes.Repeat([]byte("v"), 100), Stat: st, HasStat: true},
		{Type: OpGetData, Data: []byte{}, Stat: Stat{Czxid: 1, Mzxid: 1, Pzxid: 1}, HasStat: true},
		{Type: OpGetData, Err: NoAuth},
		{Type: OpSetData, Stat: st, HasStat: true},
		{Type: OpSetData, Err: BadVersion},
		{Type: OpGetACL, ACL: RedactACL(codecDigestACL), Stat: st, HasStat: true},
		{Type: OpSetACL, Stat: st, HasStat: true},
		{Type: OpGetChildren, Children: []string{"a", "b", "lock-0000000017"}},
		{Type: OpGetChildren, Children: []string{}},
		{Type: OpSync, Path: "/"},
		{Type: OpPing},
		{Type: OpGetChildren2, Children: []string{"z"}, Stat: st, HasStat: true},
		{Type: OpCheck},
		{Type: OpMulti, Multi: []Result{
			{Type: OpCreate, Path: "/m/a"},
			{Type: OpSetData, Stat: st, HasStat: true},
			{Type: OpDelete},
			{Type: OpCheck},
		}},
		{Type: OpMulti, Err: NodeExists, Multi: []Result{
			{Type: OpError},
			{Type: OpError, Err: NodeExists},
			{Type: OpError, Err: RuntimeInconsistency},
		}},
		{Type: OpMulti, Multi: []Result{}},
		{Type: OpCheckWatches, Err: NoWatcher},
		{Type: OpRemoveWatches},
		{Type: OpCreateContainer, Path: "/c", Stat: st, HasStat: true},
		{Type: OpDeleteContainer},
		{Type: OpCreateTTL, Path: "/t", Stat: st, HasStat: true},
		{Type: OpMultiRead, Multi: []Result{
			{Type: OpGetData, Data: []byte("x"), Stat: st, HasStat: true},
			{Type: OpGetChildren, Children: []string{}},
			{Type: OpError, Err: NoNode},
		}},
		{Type: OpSetWatches},
		{Type: OpSetWatches2},
		{Type: OpGetEphemerals, Paths: []string{"/a/e1", "/b/e2"}},
		{Type: OpGetEphemerals, Paths: []string{}},
		{Type: OpGetAllChildrenNumber, Count: 12345},
		{Type: OpAddWatch},
		{Type: OpWhoAmI},
		{Type: OpCreateSession},
		{Type: OpCloseSession},
		{Type: OpError, Err: MarshallingError},
		{Type: OpReconfig, Err: ReconfigDisabled},
		{Type: OpAuth, Err: AuthFailed},
		{Type: OpNotification, Path: "/x", Stat: Stat{Version: -1}},
	}
}

func codecAuths() []Auth {
	return []Auth{
		nil,
		{},
		NewAuth("10.0.0.7"),
		NewAuth("10.0.0.7").AddDigest("alice:secret", ""),
		{{Scheme: "super", ID: ""}, {Scheme: "", ID: ""}, {Scheme: "x", ID: strings.Repeat("y", 200)}},
	}
}

// TestCodecTablesCoverEveryOpCode keeps the tables honest: every opcode has
// a typical request and result, and every txn type a txn.
func TestCodecTablesCoverEveryOpCode(t *testing.T) {
	reqs, results, txns := map[OpCode]bool{}, map[OpCode]bool{}, map[OpCode]bool{}
	for _, r := range codecRequests() {
		reqs[r.Type] = true
	}
	for _, r := range codecResults() {
		results[r.Type] = true
	}
	for _, x := range codecTxns() {
		txns[x.Type] = true
	}
	for _, op := range codecSortedOps() {
		if !reqs[op] {
			t.Errorf("no request of type %s", op)
		}
		if !results[op] {
			t.Errorf("no result of type %s", op)
		}
		if (op.IsWrite() || op == OpError) && !txns[op] {
			t.Errorf("no txn of type %s", op)
		}
	}
}

// TestCodecKnownOpMatchesOpNames: codecKnownOp is a switch for speed; the
// map of names is the list of opcodes.
func TestCodecKnownOpMatchesOpNames(t *testing.T) {
	for o := OpCode(-300); o <= 300; o++ {
		_, named := opNames[o]
		if codecKnownOp(o) != named {
			t.Errorf("codecKnownOp(%d) = %v, opNames has it: %v", o, !named, named)
		}
	}
}

func TestCodecTxnRoundTrip(t *testing.T) {
	for _, x := range codecTxns() {
		codecCheckTxn(t, &x)
	}
}

func TestCodecRequestRoundTrip(t *testing.T) {
	for _, r := range codecRequests() {
		codecCheckRequest(t, &r)
	}
}

func TestCodecResultRoundTrip(t *testing.T) {
	for _, r := range codecResults() {
		codecCheckResult(t, &r)
	}
}

func TestCodecAuthRoundTrip(t *testing.T) {
	for _, a := range codecAuths() {
		codecCheckAuth(t, a)
	}
}

// TestCodecBytes pins a few encodings, worked out by hand from the format
// in codec.go: the opcode (zigzag), the mask, then the fields in bit order.
// The txn log on a node's disk is in this format, so a change shows here.
func TestCodecBytes(t *testing.T) {
	x := Txn{Header: Header{Session: 1, Zxid: 0x100000001}, Type: OpSetData, Path: "/a", Data: []byte("x"), Version: 2}
	req := Request{Type: OpGetData, Path: "/a", Watch: true}
	res := Result{Type: OpGetData, Stat: Stat{Czxid: 1, Version: -1}, HasStat: true, Data: []byte("x")}
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		// setData=5→0a; mask session|zxid|path|data|version = 0x75; session 1→02;
		// zxid 0x100000001→0x200000002 in 5 bytes; "/a"; "x"; version 2→04.
		{"txn", AppendTxn(nil, &x), "0a 75 02 82 80 80 80 20 02 2f 61 01 78 04"},
		// getData=4→08; mask path|watch = 0x09; "/a".
		{"request", AppendRequest(nil, &req), "08 09 02 2f 61"},
		// mask hasStat|stat|data = 0x1c; stat mask czxid|version = 0x11,
		// czxid 1→02, version -1→01; "x".
		{"result", AppendResult(nil, &res), "08 1c 11 02 01 01 78"},
		{"nil auth", AppendAuth(nil, nil), "00"},
		{"empty auth", AppendAuth(nil, Auth{}), "01"},
	} {
		if got := fmt.Sprintf("% x", tc.got); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestCodecRapidRoundTrip: random values of every kind, multi included,
// with nil, empty and full slices, survive a round trip exactly; the
// decoded value shares no memory with the input; encoding appends.
func TestCodecRapidRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := codecGenTxn(t, false)
		codecCheckTxn(t, &x)
		r := codecGenRequest(t, false)
		codecCheckRequest(t, &r)
		res := codecGenResult(t, false)
		codecCheckResult(t, &res)
		codecCheckAuth(t, codecGenAuth(t))
	})
}

// codecCheckTxn checks the round trip of x: decode(encode(x)) deep-equals
// x, the decoded value does not alias the input, encoding appends to what
// the buffer holds, and the encoding is one DecodeTxn takes whole.
func codecCheckTxn(t codecTB, x *Txn) {
	t.Helper()
	enc := AppendTxn(nil, x)
	if got := AppendTxn([]byte("prefix"), x); string(got) != "prefix"+string(enc) {
		t.Fatalf("%s: AppendTxn does not append", x)
	}
	buf := bytes.Clone(enc)
	got, err := DecodeTxn(buf)
	if err != nil {
		t.Fatalf("%s: decode: %v", x, err)
	}
	codecScribble(buf)
	if !reflect.DeepEqual(got, x) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, x)
	}
	if again := AppendTxn(nil, got); !bytes.Equal(again, enc) {
		t.Fatalf("%s: re-encoding differs:\n% x\n% x", x, again, enc)
	}
	got2, rest, err := DecodeTxnFrom(append(bytes.Clone(enc), 1, 2, 3))
	if err != nil || !reflect.DeepEqual(got2, x) || string(rest) != "\x01\x02\x03" {
		t.Fatalf("%s: DecodeTxnFrom with 3 more bytes: %v, rest % x", x, err, rest)
	}
	if _, err := DecodeTxn(append(bytes.Clone(enc), 0)); !errors.Is(err, ErrBadEncoding) {
		t.Fatalf("%s: a trailing byte is accepted: %v", x, err)
	}
	// A Decoder gives the same value, the first time and when it remembers the paths.
	var dec Decoder
	for range 2 {
		buf := bytes.Clone(enc)
		got, err := dec.DecodeTxn(buf)
		codecScribble(buf)
		if err != nil || !reflect.DeepEqual(got, x) {
			t.Fatalf("Decoder: %v\n got %#v\nwant %#v", err, got, x)
		}
	}
}

// codecDirtyRequest and codecDirtyResult fill every field, for the Into
// decoders to overwrite.
var (
	codecDirtyRequest = Request{Type: OpCheck, Path: "/dirty", Data: []byte{}, ACL: []ACL{}, Mode: 3, TTL: 4,
		Version: 5, Watch: true, Timeout: 6, WatchMode: 1, WatcherType: 1, Ops: []Request{},
		SetWatches: &SetWatches{RelativeZxid: 7, DataWatches: []string{}, ExistWatches: []string{}, ChildWatches: []string{},
			PersistentWatches: []string{}, PersistentRecursiveWatches: []string{}}}
	codecDirtyResult = Result{Type: OpCheck, Err: NoNode, Path: "/dirty", Stat: codecStat, HasStat: true,
		Data: []byte{}, Children: []string{}, ACL: []ACL{}, Paths: []string{}, Count: 3, Multi: []Result{}}
)

func codecCheckRequest(t codecTB, r *Request) {
	t.Helper()
	enc := AppendRequest(nil, r)
	if got := AppendRequest([]byte("prefix"), r); string(got) != "prefix"+string(enc) {
		t.Fatalf("%s: AppendRequest does not append", r)
	}
	buf := append(bytes.Clone(enc), "rest"...)
	got, rest, err := DecodeRequest(buf)
	if err != nil {
		t.Fatalf("%s: decode: %v", r, err)
	}
	if string(rest) != "rest" {
		t.Fatalf("%s: rest %q", r, rest)
	}
	codecScribble(buf)
	if !reflect.DeepEqual(&got, r) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, *r)
	}
	if again := AppendRequest(nil, &got); !bytes.Equal(again, enc) {
		t.Fatalf("%s: re-encoding differs:\n% x\n% x", r, again, enc)
	}
	// A Decoder overwrites all of its target, the first time and when it remembers the paths.
	var dec Decoder
	for range 2 {
		buf := append(bytes.Clone(enc), "rest"...)
		into := codecDirtyRequest
		rest, err := dec.DecodeRequestInto(&into, buf)
		if err != nil || string(rest) != "rest" {
			t.Fatalf("%s: DecodeRequestInto: %v, rest %q", r, err, rest)
		}
		codecScribble(buf)
		if !reflect.DeepEqual(&into, r) {
			t.Fatalf("DecodeRequestInto:\n got %#v\nwant %#v", into, *r)
		}
	}
}

func codecCheckResult(t codecTB, r *Result) {
	t.Helper()
	enc := AppendResult(nil, r)
	if got := AppendResult([]byte("prefix"), r); string(got) != "prefix"+string(enc) {
		t.Fatalf("%s: AppendResult does not append", r)
	}
	buf := append(bytes.Clone(enc), "rest"...)
	got, rest, err := DecodeResult(buf)
	if err != nil {
		t.Fatalf("%s: decode: %v", r, err)
	}
	if string(rest) != "rest" {
		t.Fatalf("%s: rest %q", r, rest)
	}
	codecScribble(buf)
	if !reflect.DeepEqual(&got, r) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, *r)
	}
	if again := AppendResult(nil, &got); !bytes.Equal(again, enc) {
		t.Fatalf("%s: re-encoding differs:\n% x\n% x", r, again, enc)
	}
	var dec Decoder
	for range 2 {
		buf := append(bytes.Clone(enc), "rest"...)
		into := codecDirtyResult
		rest, err := dec.DecodeResultInto(&into, buf)
		if err != nil || string(rest) != "rest" {
			t.Fatalf("%s: DecodeResultInto: %v, rest %q", r, err, rest)
		}
		codecScribble(buf)
		if !reflect.DeepEqual(&into, r) {
			t.Fatalf("DecodeResultInto:\n got %#v\nwant %#v", into, *r)
		}
	}
}

func codecCheckAuth(t codecTB, a Auth) {
	t.Helper()
	enc := AppendAuth(nil, a)
	buf := append(bytes.Clone(enc), "rest"...)
	got, rest, err := DecodeAuth(buf)
	if err != nil {
		t.Fatalf("%v: decode: %v", a, err)
	}
	if string(rest) != "rest" {
		t.Fatalf("%v: rest %q", a, rest)
	}
	codecScribble(buf)
	if !reflect.DeepEqual(got, a) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, a)
	}
	if again := AppendAuth(nil, got); !bytes.Equal(again, enc) {
		t.Fatalf("%v: re-encoding differs:\n% x\n% x", a, again, enc)
	}
}

// codecScribble overwrites a buffer the caller is done with, so a decoded
// value that still points into it shows.
func codecScribble(b []byte) {
	for i := range b {
		b[i] = 0xa5
	}
}

// codecEncodings returns the encodings of every table value by kind.
func codecEncodings() map[string][][]byte {
	out := map[string][][]byte{}
	for _, x := range codecTxns() {
		out["txn"] = append(out["txn"], AppendTxn(nil, &x))
	}
	for _, r := range codecRequests() {
		out["request"] = append(out["request"], AppendRequest(nil, &r))
	}
	for _, r := range codecResults() {
		out["result"] = append(out["result"], AppendResult(nil, &r))
	}
	for _, a := range codecAuths() {
		out["auth"] = append(out["auth"], AppendAuth(nil, a))
	}
	return out
}

// codecDecoders decode one value of each kind, for tests that only look at
// the error.
var codecDecoders = map[string]func([]byte) error{
	"txn": func(b []byte) error { _, err := DecodeTxn(b); return err },
	"request": func(b []byte) error {
		_, _, err := DecodeRequest(b)
		return err
	},
	"result": func(b []byte) error {
		_, _, err := DecodeResult(b)
		return err
	},
	"auth": func(b []byte) error {
		_, _, err := DecodeAuth(b)
		return err
	},
}

// TestCodecTruncationRejected: every proper prefix of a valid encoding is an
// error. The encodings are self-delimiting, so no prefix can pass for a
// shorter value, and the decoders that return the rest reject them too.
func TestCodecTruncationRejected(t *testing.T) {
	for _, kind := range []string{"txn", "request", "result", "auth"} {
		decode := codecDecoders[kind]
		for _, enc := range codecEncodings()[kind] {
			for n := range len(enc) {
				err := decode(enc[:n])
				if !errors.Is(err, ErrBadEncoding) {
					t.Fatalf("%s % x cut to %d bytes: %v", kind, enc, n, err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("message is not one line: %q", err)
				}
			}
		}
	}
}

// TestCodecDamageNeverPanics flips bits in every byte of every table
// encoding: whatever a decoder accepts must be canonical, the rest must be
// ErrBadEncoding (the checks of the fuzz targets, on a fixed set of inputs).
func TestCodecDamageNeverPanics(t *testing.T) {
	checks := map[string]func(codecTB, []byte){
		"txn": codecFuzzTxn, "request": codecFuzzRequest, "result": codecFuzzResult, "auth": codecFuzzAuth,
	}
	for _, kind := range []string{"txn", "request", "result", "auth"} {
		for _, enc := range codecEncodings()[kind] {
			for i := range enc {
				for _, flip := range []byte{0x01, 0x02, 0x40, 0x80, 0xff} {
					damaged := bytes.Clone(enc)
					damaged[i] ^= flip
					checks[kind](t, damaged)
				}
			}
		}
	}
}

// codecBytes builds an encoding by hand for the hostile-input cases: ints
// are zigzag varints, uints (written as uint64) uvarints, strings and byte
// slices raw.
func codecBytes(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case int:
			b = binary.AppendVarint(b, int64(p))
		case OpCode:
			b = binary.AppendVarint(b, int64(p))
		case uint64:
			b = binary.AppendUvarint(b, p)
		case string:
			b = append(b, p...)
		case []byte:
			b = append(b, p...)
		default:
			panic(p)
		}
	}
	return b
}

// TestCodecRejectsHostileInput: each kind of damage is an error that wraps
// ErrBadEncoding and names what is wrong.
func TestCodecRejectsHostileInput(t *testing.T) {
	u := func(x uint64) uint64 { return x }
	valid := AppendTxn(nil, &codecTxns()[6])
	for _, tc := range []struct {
		kind string
		in   []byte
		want string
	}{
		{"txn", nil, "tree: bad encoding: txn type: truncated"},
		{"txn", codecBytes(55, u(0)), "txn type: unknown opcode 55"},
		{"txn", codecBytes(1<<40, u(0)), "txn type: 1099511627776 out of int32 range"},
		{"txn", codecBytes(OpGetData, u(0)), "txn type: getData is not a txn type"},
		{"txn", codecBytes(OpCreate, u(1<<20)), "txn field mask: unknown bits 0x100000"},
		{"txn", codecBytes(OpCreate, "\x80\x00"), "txn field mask: overlong varint"},
		{"txn", codecBytes(OpCreate, "\x80\x80"), "txn field mask: truncated varint"},
		{"txn", codecBytes(OpCreate, strings.Repeat("\xff", 10), "\x01"), "txn field mask: varint overflows 64 bits"},
		{"txn", codecBytes(OpCreate, u(txnCxid), 0), "txn cxid: present but zero"},
		{"txn", codecBytes(OpCreate, u(txnVersion), 1<<31), "txn version: 2147483648 out of int32 range"},
		{"txn", codecBytes(OpCreate, u(txnPath), u(0)), "txn path: present but empty"},
		{"txn", codecBytes(OpCreate, u(txnPath), u(500), "ab"), "txn path: length 500 exceeds remaining 2 bytes"},
		{"txn", codecBytes(OpCreate, u(txnData), u(1<<62)), "txn data: length 4611686018427387904 exceeds remaining 0 bytes"},
		{"txn", codecBytes(OpCreate, u(txnDigest), "1234567"), "txn digest: truncated"},
		{"txn", codecBytes(OpCreate, u(txnDigest), "\x00\x00\x00\x00\x00\x00\x00\x00"), "txn digest: present but zero"},
		{"txn", codecBytes(OpCreate, u(txnACL), u(5), "abcdefghijklm"), "txn acl: count 5 exceeds remaining 13 bytes"},
		{"txn", codecBytes(OpCloseSession, u(txnPaths), u(3), u(1), "a", u(2), "b"), "txn paths: length 2 exceeds remaining 1 bytes"},
		{"txn", codecBytes(OpError, u(txnErr), -9999), "txn err: unknown code -9999"},
		{"txn", codecBytes(OpMulti, u(txnOps), u(99999), "abcdefghijkl"), "txn ops: count 99999 exceeds remaining 12 bytes"},
		{"txn", codecBytes(OpMulti, u(txnOps), u(2), OpCheck, u(0), OpMulti, u(0)), "txn op 1 type: multi nested in a multi"},
		{"txn", codecBytes(OpMulti, u(txnOps), u(1), OpCheck, u(txnOps), u(0)), "txn op 0 ops: multi nested in a multi"},
		{"txn", codecBytes(OpMulti, u(txnOps), u(2), OpCheck, u(0), OpCheck, u(txnPath), u(9)), "txn op 1 path: length 9 exceeds remaining 0 bytes"},
		{"txn", append(bytes.Clone(valid), 0), "tree: bad encoding: 1 trailing bytes after txn"},
		{"request", codecBytes(OpGetData, u(reqPath|reqWatch)), "request path: truncated"},
		{"request", codecBytes(OpCheck, u(reqMode), 0), "request mode: present but zero"},
		{"request", codecBytes(OpAddWatch, u(reqWatchMode), u(3)), "request watch mode: bad value 3"},
		{"request", codecBytes(OpRemoveWatches, u(reqWatcherType), 4), "request watcher type: bad value 4"},
		{"request", codecBytes(OpMulti, u(reqOps), u(1), OpMultiRead, u(0)), "request op 0 type: multiRead nested in a multi"},
		{"request", codecBytes(OpMultiRead, u(reqOps), u(1), OpGetData, u(reqOps), u(0)), "request op 0 ops: multi nested in a multi"},
		{"request", codecBytes(OpSetWatches2, u(reqAll+1)), "request field mask: unknown bits 0x20000"},
		{"request", codecBytes(-12, u(0)), "request type: unknown opcode -12"},
		{"result", codecBytes(OpExists, u(resStat), u(0)), "result stat mask: present but zero"},
		{"result", codecBytes(OpExists, u(resStat), u(statAll+1)), "result stat mask: unknown bits 0x800"},
		{"result", codecBytes(OpExists, u(resStat), u(statDataLength), 1<<32), "result stat data length: 4294967296 out of int32 range"},
		{"result", codecBytes(OpExists, u(resErr), 0), "result err: present but zero"},
		{"result", codecBytes(OpMulti, u(resMulti), u(1), OpError, u(resMulti), u(0)), "result op 0 multi: multi nested in a multi"},
		{"result", codecBytes(OpMulti, u(resMulti), u(1), OpMulti, u(0)), "result op 0 type: multi nested in a multi"},
		{"result", codecBytes(OpGetChildren, u(resChildren), u(1<<40)), "result children: count 1099511627776 exceeds remaining 0 bytes"},
		{"auth", codecBytes(u(1 << 40)), "auth list: count 1099511627775 exceeds remaining 0 bytes"},
		{"auth", codecBytes(u(3), u(2), "ip", u(20), "10.0.0.1"), "auth id: length 20 exceeds remaining 8 bytes"},
	} {
		err := codecDecoders[tc.kind](tc.in)
		if !errors.Is(err, ErrBadEncoding) {
			t.Errorf("%s % x: error %v does not wrap ErrBadEncoding", tc.kind, tc.in, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s % x:\n got %q\nwant it to contain %q", tc.kind, tc.in, err, tc.want)
		}
	}
}

// TestCodecAllocations pins the allocations of the hot path: decoding a
// setData txn allocates the txn, its path and a copy of its data; a getData
// request its path; a getData reply its data; encoding into a buffer with
// room allocates nothing. A Decoder spares the paths it remembers, and its
// txns come from slabs (a sixteenth of an allocation each).
func TestCodecAllocations(t *testing.T) {
	x := codecSetData()
	enc := AppendTxn(nil, &x)
	buf := make([]byte, 0, 1024)
	req := Request{Type: OpGetData, Path: "/app/cfg", Watch: true}
	encReq := AppendRequest(nil, &req)
	res := Result{Type: OpGetData, Data: x.Data, Stat: codecStat, HasStat: true}
	encRes := AppendResult(nil, &res)
	var dec Decoder
	var intoReq Request
	for _, tc := range []struct {
		name string
		max  float64
		f    func()
	}{
		{"AppendTxn", 0, func() { buf = AppendTxn(buf[:0], &x) }},
		{"DecodeTxn", 3, func() { _, _ = DecodeTxn(enc) }},
		{"AppendRequest", 0, func() { buf = AppendRequest(buf[:0], &req) }},
		{"DecodeRequest", 1, func() { _, _, _ = DecodeRequest(encReq) }},
		{"AppendResult", 0, func() { buf = AppendResult(buf[:0], &res) }},
		{"DecodeResult", 1, func() { _, _, _ = DecodeResult(encRes) }},
		{"DecodeACL", 1, func() { // the request; the list of world:anyone is shared (openACL)
			_, _, _ = DecodeRequest(AppendRequest(buf[:0], &Request{Type: OpCreate, ACL: OpenACLUnsafe}))
		}},
		// A Decoder that saw the path before (AllocsPerRun's warm-up run) does not copy it again.
		{"Decoder.DecodeTxn", 1, func() { _, _ = dec.DecodeTxn(enc) }},
		{"Decoder.DecodeRequestInto", 0, func() { _, _ = dec.DecodeRequestInto(&intoReq, encReq) }},
	} {
		if got := testing.AllocsPerRun(100, tc.f); got > tc.max {
			t.Errorf("%s: %v allocations, want at most %v", tc.name, got, tc.max)
		}
	}
}

// codecSetData is the txn of the benchmarks: a setData with a 100-byte value.
func codecSetData() Txn {
	return Txn{Header: codecHeader(), Type: OpSetData, Path: "/app/config/node-17",
		Data: bytes.Repeat([]byte("v"), 100), Version: 18, Digest: 0x0123456789abcdef}
}

func BenchmarkAppendTxnSetData(b *testing.B) {
	x := codecSetData()
	buf := AppendTxn(nil, &x)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendTxn(buf[:0], &x)
	}
}

func BenchmarkDecodeTxnSetData(b *testing.B) {
	x := codecSetData()
	enc := AppendTxn(nil, &x)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeTxn(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeResultGetData(b *testing.B) {
	res := Result{Type: OpGetData, Data: bytes.Repeat([]byte("v"), 100), Stat: codecStat, HasStat: true}
	enc := AppendResult(nil, &res)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DecodeResult(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// The generators of the rapid property. Every slice is nil, empty or full,
// every number zero or not, so that each mask bit is exercised both ways.

func codecSortedOps() []OpCode {
	var ops []OpCode
	for op := range opNames {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	return ops
}

func codecSortedCodes() []Code {
	var codes []Code
	for c := range codeNames {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}

func codecGenSlice[E any](t *rapid.T, label string, elem *rapid.Generator[E]) []E {
	switch rapid.IntRange(0, 2).Draw(t, label+" shape") {
	case 0:
		return nil
	case 1:
		return []E{}
	}
	return rapid.SliceOfN(elem, 1, 3).Draw(t, label)
}

var (
	codecGenString = rapid.OneOf(rapid.Just(""), rapid.SampledFrom([]string{"/", "/a", "world", "anyone", "digest", "ip"}),
		rapid.String(), rapid.Map(rapid.SliceOf(rapid.Byte()), func(b []byte) string { return string(b) }))
	codecGenInt64 = rapid.OneOf(rapid.Just[int64](0), rapid.Int64(), rapid.Int64Range(-200, 200))
	codecGenInt32 = rapid.OneOf(rapid.Just[int32](0), rapid.Int32(), rapid.Int32Range(-200, 200))
	codecGenByte  = rapid.Byte()
	codecGenACL   = rapid.Custom(func(t *rapid.T) ACL {
		return ACL{Perms: Perm(codecGenInt32.Draw(t, "perms")),
			ID: ID{Scheme: codecGenString.Draw(t, "scheme"), ID: codecGenString.Draw(t, "id")}}
	})
	codecGenID = rapid.Custom(func(t *rapid.T) ID {
		return ID{Scheme: codecGenString.Draw(t, "scheme"), ID: codecGenString.Draw(t, "id")}
	})
)

func codecGenTxn(t *rapid.T, sub bool) Txn {
	var types []OpCode
	for _, op := range codecSortedOps() {
		if (op.IsWrite() || op == OpError) && !(sub && op == OpMulti) {
			types = append(types, op)
		}
	}
	x := Txn{
		Header: Header{
			Session: SessionID(codecGenInt64.Draw(t, "session")),
			Cxid:    codecGenInt32.Draw(t, "cxid"),
			Zxid:    Zxid(codecGenInt64.Draw(t, "zxid")),
			Time:    codecGenInt64.Draw(t, "time"),
		},
		Type:           rapid.SampledFrom(types).Draw(t, "type"),
		Path:           codecGenString.Draw(t, "path"),
		Data:           codecGenSlice(t, "data", codecGenByte),
		ACL:            codecGenSlice(t, "acl", codecGenACL),
		EphemeralOwner: codecGenInt64.Draw(t, "owner"),
		ParentCversion: codecGenInt32.Draw(t, "parent cversion"),
		Version:        codecGenInt32.Draw(t, "version"),
		Timeout:        codecGenInt32.Draw(t, "timeout"),
		Paths:          codecGenSlice(t, "paths", codecGenString),
		Err:            rapid.SampledFrom(codecSortedCodes()).Draw(t, "err"),
		Digest:         uint64(codecGenInt64.Draw(t, "digest")),
	}
	if !sub {
		x.Ops = codecGenSlice(t, "ops", rapid.Custom(func(t *rapid.T) Txn { return codecGenTxn(t, true) }))
	}
	return x
}

func codecGenRequest(t *rapid.T, sub bool) Request {
	var types []OpCode
	for _, op := range codecSortedOps() {
		if !(sub && (op == OpMulti || op == OpMultiRead)) {
			types = append(types, op)
		}
	}
	r := Request{
		Type:        rapid.SampledFrom(types).Draw(t, "type"),
		Path:        codecGenString.Draw(t, "path"),
		Data:        codecGenSlice(t, "data", codecGenByte),
		ACL:         codecGenSlice(t, "acl", codecGenACL),
		Mode:        CreateMode(codecGenInt32.Draw(t, "mode")),
		TTL:         codecGenInt64.Draw(t, "ttl"),
		Version:     codecGenInt32.Draw(t, "version"),
		Watch:       rapid.Bool().Draw(t, "watch"),
		Timeout:     codecGenInt32.Draw(t, "timeout"),
		WatchMode:   rapid.SampledFrom([]WatchMode{WatchStandard, WatchPersistent, WatchPersistentRecursive}).Draw(t, "watch mode"),
		WatcherType: rapid.SampledFrom([]WatcherType{0, WatcherChildren, WatcherData, WatcherAny}).Draw(t, "watcher type"),
	}
	sw := &SetWatches{
		RelativeZxid:               Zxid(codecGenInt64.Draw(t, "relative zxid")),
		DataWatches:                codecGenSlice(t, "data watches", codecGenString),
		ExistWatches:               codecGenSlice(t, "exist watches", codecGenString),
		ChildWatches:               codecGenSlice(t, "child watches", codecGenString),
		PersistentWatches:          codecGenSlice(t, "persistent watches", codecGenString),
		PersistentRecursiveWatches: codecGenSlice(t, "recursive watches", codecGenString),
	}
	if sw.RelativeZxid != 0 || sw.DataWatches != nil || sw.ExistWatches != nil || sw.ChildWatches != nil ||
		sw.PersistentWatches != nil || sw.PersistentRecursiveWatches != nil {
		r.SetWatches = sw // one with nothing set encodes as none
	}
	if !sub {
		r.Ops = codecGenSlice(t, "ops", rapid.Custom(func(t *rapid.T) Request { return codecGenRequest(t, true) }))
	}
	return r
}

func codecGenResult(t *rapid.T, sub bool) Result {
	var types []OpCode
	for _, op := range codecSortedOps() {
		if !(sub && (op == OpMulti || op == OpMultiRead)) {
			types = append(types, op)
		}
	}
	r := Result{
		Type:     rapid.SampledFrom(types).Draw(t, "type"),
		Err:      rapid.SampledFrom(codecSortedCodes()).Draw(t, "err"),
		Path:     codecGenString.Draw(t, "path"),
		HasStat:  rapid.Bool().Draw(t, "has stat"),
		Data:     codecGenSlice(t, "data", codecGenByte),
		Children: codecGenSlice(t, "children", codecGenString),
		ACL:      codecGenSlice(t, "acl", codecGenACL),
		Paths:    codecGenSlice(t, "paths", codecGenString),
		Count:    codecGenInt32.Draw(t, "count"),
	}
	if rapid.Bool().Draw(t, "stat") {
		r.Stat = Stat{
			Czxid: Zxid(codecGenInt64.Draw(t, "czxid")), Mzxid: Zxid(codecGenInt64.Draw(t, "mzxid")),
			Ctime: codecGenInt64.Draw(t, "ctime"), Mtime: codecGenInt64.Draw(t, "mtime"),
			Version: codecGenInt32.Draw(t, "version"), Cversion: codecGenInt32.Draw(t, "cversion"),
			Aversion: codecGenInt32.Draw(t, "aversion"), EphemeralOwner: codecGenInt64.Draw(t, "owner"),
			DataLength: codecGenInt32.Draw(t, "data length"), NumChildren: codecGenInt32.Draw(t, "children"),
			Pzxid: Zxid(codecGenInt64.Draw(t, "pzxid")),
		}
	}
	if !sub {
		r.Multi = codecGenSlice(t, "multi", rapid.Custom(func(t *rapid.T) Result { return codecGenResult(t, true) }))
	}
	return r
}

func codecGenAuth(t *rapid.T) Auth {
	return Auth(codecGenSlice(t, "auth", codecGenID))
}

// Paths that share a slot of a Decoder's cache take it in turn and are each
// decoded right; the cache holds what a hit compares with, never a guess.
func TestDecoderPathCollisions(t *testing.T) {
	first := "/a"
	var same []string
	for i := 0; len(same) < 3; i++ {
		if p := fmt.Sprintf("/n%d", i); pathSlot(p) == pathSlot(first) {
			same = append(same, p)
		}
	}
	var dec Decoder
	for range 3 {
		for _, p := range append([]string{first}, same...) {
			enc := AppendRequest(nil, &Request{Type: OpGetData, Path: p})
			var r Request
			if _, err := dec.DecodeRequestInto(&r, enc); err != nil || r.Path != p {
				t.Fatalf("decoded %q (%v), want %q", r.Path, err, p)
			}
			if got := dec.paths[pathSlot(p)]; got != p {
				t.Fatalf("slot %d holds %q after decoding %q", pathSlot(p), got, p)
			}
		}
	}
}

// TestCodecUvarintFastPaths: uvarint, with its one-byte and one-word fast
// paths, reads what uvarintSlow reads, leaves the same input and fails the
// same way, on inputs that take every path.
func TestCodecUvarintFastPaths(t *testing.T) {
	var oneByte, word, slow int
	for _, in := range varint.Samples(1) {
		fast := codecDecoder{b: in, kind: "txn", op: -1}
		ref := codecDecoder{b: in, kind: "txn", op: -1}
		got, want := fast.uvarint("f"), ref.uvarintSlow("f")
		if got != want || len(fast.b) != len(ref.b) || fmt.Sprint(fast.err) != fmt.Sprint(ref.err) {
			t.Fatalf("% x: uvarint %d, %d left, %v; uvarintSlow %d, %d left, %v",
				in, got, len(fast.b), fast.err, want, len(ref.b), ref.err)
		}
		switch {
		case len(in) > 0 && in[0] < 0x80:
			oneByte++
		case len(in) >= 8 && len(in)-len(ref.b) <= 8 && ref.err == nil:
			word++
		default:
			slow++
		}
	}
	if oneByte < 100 || word < 100 || slow < 100 {
		t.Fatalf("paths taken: one byte %d, word %d, slow %d; want each at least 100", oneByte, word, slow)
	}
}

// The ACL nearly every create carries decodes to one shared list, equal to
// what the general decoder makes of the same bytes, with its capacity cut;
// any other list, one that merely starts like it included, gets its own.
func TestCodecOpenACLShared(t *testing.T) {
	for _, acl := range [][]ACL{
		OpenACLUnsafe,
		ReadACLUnsafe,
		{{Perms: PermAll, ID: AnyoneID}, {Perms: PermRead, ID: DigestID("u:p")}},
		{{Perms: PermAll, ID: ID{Scheme: "world", ID: "anyonee"}}},
		{},
	} {
		enc := codecAppendACL(nil, acl)
		fast := codecDecoder{b: append(bytes.Clone(enc), 7), kind: "test", op: -1}
		slow := codecDecoder{b: append(bytes.Clone(enc), 7), kind: "test", op: -1}
		got, want := fast.acl("acl"), slow.aclList("acl")
		if fast.err != nil || slow.err != nil || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(got, acl) ||
			string(fast.b) != "\x07" || string(slow.b) != "\x07" {
			t.Fatalf("%v: fast %v %v rest % x, slow %v %v rest % x", acl, got, fast.err, fast.b, want, slow.err, slow.b)
		}
		shared := len(got) > 0 && &got[0] == &openACL[0]
		if isOpen := reflect.DeepEqual(acl, OpenACLUnsafe); shared != isOpen {
			t.Fatalf("%v: shared %v, want %v", acl, shared, isOpen)
		}
		if shared && cap(got) != len(got) {
			t.Fatalf("the shared list has room to append into: cap %d", cap(got))
		}
	}
	r, _, err := DecodeRequest(AppendRequest(nil, &Request{Type: OpCreate, Path: "/a", ACL: OpenACLUnsafe}))
	if err != nil || &r.ACL[0] != &openACL[0] || &r.ACL[0] == &OpenACLUnsafe[0] {
		t.Fatalf("a create's world:anyone list: %v, shared %v", err, err == nil && &r.ACL[0] == &openACL[0])
	}
}

// A Decoder's copies of byte slices (carved from chunks, or allocated alone
// when long) equal a nil Decoder's (each allocated alone): never nil, never
// aliasing the input, and with their capacity cut, so that writing to or
// appending to one leaves its neighbours in the chunk as they were.
func TestDecoderCopyBytes(t *testing.T) {
	var dec Decoder
	var nilDec *Decoder
	var copies, wants [][]byte
	for i, n := range []int{0, 1, 30, chunkMax, chunkMax + 1, 500, 7, chunkBytes / 2, 100, 0, 3} {
		in := bytes.Repeat([]byte{byte(i + 1)}, n)
		got, want := dec.copyBytes(in), nilDec.copyBytes(in)
		if got == nil || want == nil || !bytes.Equal(got, want) || !bytes.Equal(got, in) || cap(got) != n {
			t.Fatalf("len %d: got %v (cap %d), nil Decoder %v", n, got, cap(got), want)
		}
		codecScribble(in)
		copies, wants = append(copies, got), append(wants, bytes.Clone(want))
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

// A Decoder's strings (new paths and list names, copied into its chunk of
// strings when short, into a builder of their own when long) equal a nil
// Decoder's and do not alias the input.
func TestDecoderStrings(t *testing.T) {
	var dec Decoder
	var nilDec *Decoder
	names := func(k, size int) []string {
		ss := make([]string, k)
		for i := range ss {
			ss[i] = fmt.Sprintf("%0*d", size, i)
		}
		return ss
	}
	var got, want []Result
	for i, r := range []Result{
		{Type: OpGetChildren, Path: "/a", Children: []string{}},
		{Type: OpGetChildren, Path: "/a/b", Children: names(1, 3)},
		{Type: OpGetChildren, Path: "/" + strings.Repeat("p", chunkMax+1), Children: names(5, 10)},
		{Type: OpGetChildren, Path: "/c", Children: names(200, 12)},
		{Type: OpGetChildren, Path: "/d", Children: []string{"", "x", ""}},
		{Type: OpGetChildren, Path: "/" + strings.Repeat("q", chunkBytes/2), Children: names(3, chunkMax)},
	} {
		enc := AppendResult(nil, &r)
		var g, w Result
		buf := bytes.Clone(enc)
		_, err1 := dec.DecodeResultInto(&g, buf)
		_, err2 := nilDec.DecodeResultInto(&w, enc)
		codecScribble(buf)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(g, w) || !reflect.DeepEqual(g, r) {
			t.Fatalf("result %d: %v %v\n got %#v\nwant %#v", i, err1, err2, g, r)
		}
		got, want = append(got, g), append(want, r)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatal("a later decoding changed an earlier one's strings")
	}
}

// The op lists of multis a Decoder decodes (carved from slabs) equal a nil
// Decoder's (each allocated alone), and decoding more leaves the earlier
// ones as they were.
func TestDecoderMultiSlabs(t *testing.T) {
	var dec Decoder
	var nilDec *Decoder
	var reqs, wantReqs []Request
	var ress, wantRess []Result
	for i := range 3 * slabCount[Request]() {
		n := i % 5 // 0 ops too: an empty list, not none
		req := Request{Type: OpMulti, Ops: make([]Request, n)}
		res := Result{Type: OpMulti, Multi: make([]Result, n)}
		for k := range n {
			req.Ops[k] = Request{Type: OpSetData, Path: fmt.Sprintf("/n%d", k), Data: []byte{byte(i)}, Version: -1}
			res.Multi[k] = Result{Type: OpSetData, Path: fmt.Sprintf("/n%d", k), HasStat: true, Stat: Stat{Version: int32(i + 1)}}
		}
		var gq, wq Request
		var gs, ws Result
		_, err1 := dec.DecodeRequestInto(&gq, AppendRequest(nil, &req))
		_, err2 := nilDec.DecodeRequestInto(&wq, AppendRequest(nil, &req))
		_, err3 := dec.DecodeResultInto(&gs, AppendResult(nil, &res))
		_, err4 := nilDec.DecodeResultInto(&ws, AppendResult(nil, &res))
		if err := errors.Join(err1, err2, err3, err4); err != nil || !reflect.DeepEqual(gq, wq) ||
			!reflect.DeepEqual(gq, req) || !reflect.DeepEqual(gs, ws) || !reflect.DeepEqual(gs, res) {
			t.Fatalf("multi %d: %v\n got %v %v\nwant %v %v", i, err, gq.Ops, gs.Multi, req.Ops, res.Multi)
		}
		reqs, wantReqs = append(reqs, gq), append(wantReqs, req)
		ress, wantRess = append(ress, gs), append(wantRess, res)
	}
	if !reflect.DeepEqual(reqs, wantReqs) || !reflect.DeepEqual(ress, wantRess) {
		t.Fatal("a later decoding changed an earlier multi's ops")
	}
}
