package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"zoosim/internal/varint"
	"zoosim/tree"
)

// checker is what the checks need of a *testing.T or a *rapid.T.
type checker interface {
	Helper()
	Fatalf(format string, args ...any)
}

var testStat = tree.Stat{
	Czxid: 0x100000003, Mzxid: 0x300000a41, Ctime: 1_700_000_000_123, Mtime: 1_700_000_456_789,
	Version: 17, Cversion: 4, DataLength: 100, NumChildren: 2, Pzxid: 0x300000a40,
}

const testSession tree.SessionID = 0x1000001f2a30005

func value100() []byte { return bytes.Repeat([]byte("v"), 100) }

// setDataTxn is the txn of the PROPOSAL benchmarks: a setData with a
// 100-byte value.
func setDataTxn() *tree.Txn {
	return &tree.Txn{
		Header: tree.Header{Session: testSession, Cxid: 42, Zxid: 0x300000a41, Time: 1_700_000_456_789},
		Type:   tree.OpSetData, Path: "/app/config/node-17", Data: value100(), Version: 18,
		Digest: 0x0123456789abcdef,
	}
}

// getDataReply is the reply of the client benchmarks.
func getDataReply() *Reply {
	return &Reply{Xid: 1234, Zxid: 0x300000a41, Result: tree.Result{
		Type: tree.OpGetData, Data: value100(), Stat: testStat, HasStat: true}}
}

func clientMessages() []ClientMessage {
	return []ClientMessage{
		&ConnectRequest{},
		&ConnectRequest{LastZxidSeen: 0x300000a41, Timeout: 30000, SessionID: testSession, Passwd: []byte("0123456789abcdef")},
		&ConnectRequest{Timeout: 4000, Passwd: []byte{}},
		&ConnectResponse{Timeout: 30000, SessionID: testSession, Passwd: []byte("0123456789abcdef")},
		&ConnectResponse{},
		&Request{Xid: 7, Req: tree.Request{Type: tree.OpGetData, Path: "/app/cfg", Watch: true}},
		&Request{Xid: 8, Req: tree.Request{Type: tree.OpSetData, Path: "/app/cfg", Data: value100(), Version: -1}},
		&Request{Xid: 9, Req: tree.Request{Type: tree.OpMulti, Ops: []tree.Request{
			{Type: tree.OpCreate, Path: "/a", ACL: tree.OpenACLUnsafe, Mode: tree.EphemeralSequential},
			{Type: tree.OpCheck, Path: "/b", Version: 3},
		}}},
		&Request{Xid: XidPing, Req: tree.Request{Type: tree.OpPing}},
		&Request{Xid: XidAuth, Req: tree.Request{Type: tree.OpAuth, Data: []byte("alice:secret")}},
		&Request{Xid: XidSetWatches, Req: tree.Request{Type: tree.OpSetWatches2, SetWatches: &tree.SetWatches{
			RelativeZxid: 0x300000a41, DataWatches: []string{"/a"}, PersistentRecursiveWatches: []string{"/r"}}}},
		&Request{Xid: -2147483648, Req: tree.Request{Type: tree.OpCloseSession}},
		getDataReply(),
		&Reply{Xid: 7, Zxid: 0x300000a41, Err: tree.NoNode, Result: tree.Result{Type: tree.OpExists, Err: tree.NoNode}},
		&Reply{Xid: 2147483647, Result: tree.Result{Type: tree.OpMulti, Multi: []tree.Result{
			{Type: tree.OpCreate, Path: "/a0000000001"}, {Type: tree.OpCheck},
		}}},
		&Reply{Xid: XidPing, Zxid: 5},
		&Event{Type: tree.EventNodeDataChanged, State: StateSyncConnected, Path: "/app/cfg", Zxid: 0x300000a41},
		&Event{Type: tree.EventNone, State: StateExpired},
		&Event{Type: tree.EventNone, State: StateDisconnected},
		&Event{Type: tree.EventPersistentWatchRemoved, State: StateClosed, Path: "/", Zxid: -1},
	}
}

func notifications() []Notification {
	return []Notification{
		{},
		{Vote: Vote{Leader: 3, Zxid: 0x300000a41, PeerEpoch: 3}, ElectionEpoch: 12, State: Looking, Sid: 2},
		{Vote: Vote{Leader: 5, Zxid: -1, PeerEpoch: -1}, ElectionEpoch: -1, State: Observing, Sid: 1 << 40},
		{Vote: Vote{Leader: 1}, State: Leading, Sid: 1},
		{Vote: Vote{Leader: 1}, State: Following, Sid: 4},
	}
}

func packets() []*Packet {
	forward := &Forward{Session: testSession, Cxid: 42, Owner: 2,
		Req:  tree.Request{Type: tree.OpCreate, Path: "/a", Data: []byte("x"), ACL: tree.CreatorAllACL},
		Auth: tree.NewAuth("10.0.0.7").AddDigest("alice:secret", "")}
	return []*Packet{
		{Type: PacketFollowerInfo, Zxid: 3 << 32, Sid: 2},
		{Type: PacketLeaderInfo, Zxid: 4 << 32},
		{Type: PacketAckEpoch, Zxid: 0x300000a41, Epoch: 3},
		{Type: PacketAckEpoch, Zxid: 0, Epoch: -1},
		{Type: PacketDiff, Zxid: 0x300000a41},
		{Type: PacketTrunc, Zxid: 0x300000a00},
		{Type: PacketSnap, Zxid: 0x300000a41, Snapshot: bytes.Repeat([]byte("snapshot"), 50)},
		{Type: PacketSnap, Snapshot: []byte{}},
		{Type: PacketProposal, Zxid: 0x300000a41, Txn: setDataTxn()},
		{Type: PacketProposal, Zxid: 0x300000a42, Txn: &tree.Txn{Type: tree.OpMulti, Ops: []tree.Txn{
			{Type: tree.OpCreate, Path: "/m/a", ACL: tree.OpenACLUnsafe, ParentCversion: 1},
			{Type: tree.OpDelete, Path: "/m/b"},
		}}},
		{Type: PacketProposal, Txn: &tree.Txn{Type: tree.OpError}},
		{Type: PacketCommit, Zxid: 0x300000a41},
		{Type: PacketNewLeader, Zxid: 4 << 32},
		{Type: PacketUpToDate},
		{Type: PacketAck, Zxid: 0x300000a41},
		{Type: PacketPing, Zxid: 0x300000a40},
		{Type: PacketPing, Touches: []Touch{{Session: testSession, Timeout: 30000}, {Session: 2, Timeout: 4000}}},
		{Type: PacketPing, Touches: []Touch{}},
		{Type: PacketRequest, Forward: forward},
		{Type: PacketRequest, Forward: &Forward{Session: 9, Req: tree.Request{Type: tree.OpCreateSession, Timeout: 30000},
			Auth: tree.Auth{}, Passwd: []byte("0123456789abcdef")}},
		{Type: PacketRequest, Forward: &Forward{}},
		{Type: PacketSync, Forward: &Forward{Session: 9, Cxid: 3, Owner: 1, Req: tree.Request{Type: tree.OpSync, Path: "/"}}},
		{Type: PacketRevalidate, Session: testSession, Timeout: 30000, Passwd: []byte("0123456789abcdef")},
		{Type: PacketRevalidate, Session: testSession, Valid: true},
		{Type: PacketRevalidate, Session: testSession, Passwd: []byte{}},
		{Type: PacketAck, Zxid: -1, Sid: -2, Epoch: -3, Session: -4, Timeout: -5},
	}
}

// TestTablesCoverEveryKind keeps the tables honest: every kind of client
// message, every server state and every packet type appears.
func TestTablesCoverEveryKind(t *testing.T) {
	kinds := map[byte]bool{}
	for _, m := range clientMessages() {
		kinds[AppendClientMessage(nil, m)[0]] = true
	}
	for k := byte(kindConnectRequest); k <= kindEvent; k++ {
		if !kinds[k] {
			t.Errorf("no client message of kind %d", k)
		}
	}
	states := map[ServerState]bool{}
	for _, n := range notifications() {
		states[n.State] = true
	}
	for s := Looking; s <= Observing; s++ {
		if !states[s] {
			t.Errorf("no notification in state %s", s)
		}
	}
	types := map[PacketType]bool{}
	for _, p := range packets() {
		types[p.Type] = true
	}
	for pt := range packetNames {
		if !types[pt] {
			t.Errorf("no packet of type %s", pt)
		}
	}
}

// TestKnownValuesMatchNames: the decoders check enums with switches, for
// speed; the names are the lists of constants.
func TestKnownValuesMatchNames(t *testing.T) {
	for i := -300; i <= 300; i++ {
		_, named := packetNames[PacketType(i)]
		if i == int(int8(i)) && knownPacketType(PacketType(i)) != named {
			t.Errorf("knownPacketType(%d) disagrees with packetNames", i)
		}
		if knownKeeperState(KeeperState(i)) == strings.HasPrefix(KeeperState(i).String(), "KeeperState(") {
			t.Errorf("knownKeeperState(%d) disagrees with String", i)
		}
		if knownEventType(tree.EventType(i)) == strings.HasPrefix(tree.EventType(i).String(), "EventType(") {
			t.Errorf("knownEventType(%d) disagrees with String", i)
		}
		if knownCode(tree.Code(i)) == strings.HasPrefix(tree.Code(i).String(), "Code(") {
			t.Errorf("knownCode(%d) disagrees with String", i)
		}
	}
}

func TestClientMessageRoundTrip(t *testing.T) {
	for _, m := range clientMessages() {
		checkClientMessage(t, m)
	}
}

func TestNotificationRoundTrip(t *testing.T) {
	for _, n := range notifications() {
		checkNotification(t, n)
	}
}

func TestPacketRoundTrip(t *testing.T) {
	for _, p := range packets() {
		checkPacket(t, p)
	}
}

// TestRapidRoundTrip: random messages of every kind survive a round trip
// exactly and share no memory with the frame they came from.
func TestRapidRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkClientMessage(t, genClientMessage.Draw(t, "client message"))
		checkNotification(t, genNotification.Draw(t, "notification"))
		checkPacket(t, genPacket.Draw(t, "packet"))
	})
}

func checkClientMessage(t checker, m ClientMessage) {
	t.Helper()
	enc := AppendClientMessage(nil, m)
	if got := AppendClientMessage([]byte("prefix"), m); string(got) != "prefix"+string(enc) {
		t.Fatalf("%#v: AppendClientMessage does not append", m)
	}
	buf := bytes.Clone(enc)
	got, err := DecodeClientMessage(buf)
	if err != nil {
		t.Fatalf("%#v: decode: %v", m, err)
	}
	scribble(buf)
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, m)
	}
	if again := AppendClientMessage(nil, got); !bytes.Equal(again, enc) {
		t.Fatalf("%#v: re-encoding differs:\n% x\n% x", m, again, enc)
	}
	if _, err := DecodeClientMessage(append(bytes.Clone(enc), 0)); !errors.Is(err, ErrBadFrame) {
		t.Fatalf("%#v: a trailing byte is accepted: %v", m, err)
	}
	// The reusing decoder is shared by every check, so a field a previous message left behind
	// shows as a difference.
	buf = bytes.Clone(enc)
	reused, err := sharedClientDecoder.Decode(buf)
	if err != nil {
		t.Fatalf("%#v: ClientDecoder: %v", m, err)
	}
	scribble(buf)
	if !reflect.DeepEqual(reused, m) {
		t.Fatalf("ClientDecoder round trip:\n got %#v\nwant %#v", reused, m)
	}
}

// sharedClientDecoder and sharedPacket are reused across all checks (see checkClientMessage).
var (
	sharedClientDecoder ClientDecoder
	sharedPacket        Packet
)

func checkNotification(t checker, n Notification) {
	t.Helper()
	enc := AppendNotification(nil, n)
	if got := AppendNotification([]byte("prefix"), n); string(got) != "prefix"+string(enc) {
		t.Fatalf("%s: AppendNotification does not append", n)
	}
	got, err := DecodeNotification(enc)
	if err != nil {
		t.Fatalf("%s: decode: %v", n, err)
	}
	if got != n {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, n)
	}
	if _, err := DecodeNotification(append(bytes.Clone(enc), 0)); !errors.Is(err, ErrBadFrame) {
		t.Fatalf("%s: a trailing byte is accepted: %v", n, err)
	}
}

func checkPacket(t checker, p *Packet) {
	t.Helper()
	enc := AppendPacket(nil, p)
	if got := AppendPacket([]byte("prefix"), p); string(got) != "prefix"+string(enc) {
		t.Fatalf("%s: AppendPacket does not append", p)
	}
	buf := bytes.Clone(enc)
	got, err := DecodePacket(buf)
	if err != nil {
		t.Fatalf("%s: decode: %v", p, err)
	}
	scribble(buf)
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, p)
	}
	if again := AppendPacket(nil, got); !bytes.Equal(again, enc) {
		t.Fatalf("%s: re-encoding differs:\n% x\n% x", p, again, enc)
	}
	if _, err := DecodePacket(append(bytes.Clone(enc), 0)); !errors.Is(err, ErrBadFrame) {
		t.Fatalf("%s: a trailing byte is accepted: %v", p, err)
	}
	buf = bytes.Clone(enc)
	if err := DecodePacketInto(&sharedPacket, buf); err != nil {
		t.Fatalf("%s: DecodePacketInto: %v", p, err)
	}
	scribble(buf)
	if !reflect.DeepEqual(&sharedPacket, p) {
		t.Fatalf("DecodePacketInto round trip:\n got %#v\nwant %#v", &sharedPacket, p)
	}
}

// scribble overwrites a buffer the caller is done with, so a decoded value
// that still points into it shows.
func scribble(b []byte) {
	for i := range b {
		b[i] = 0xa5
	}
}

// encodings returns the encodings of every table value by kind.
func encodings() map[string][][]byte {
	out := map[string][][]byte{}
	for _, m := range clientMessages() {
		out["client"] = append(out["client"], AppendClientMessage(nil, m))
	}
	for _, n := range notifications() {
		out["notification"] = append(out["notification"], AppendNotification(nil, n))
	}
	for _, p := range packets() {
		out["packet"] = append(out["packet"], AppendPacket(nil, p))
	}
	return out
}

var decoders = map[string]func([]byte) error{
	"client":       func(b []byte) error { _, err := DecodeClientMessage(b); return err },
	"notification": func(b []byte) error { _, err := DecodeNotification(b); return err },
	"packet":       func(b []byte) error { _, err := DecodePacket(b); return err },
}

// TestTruncationRejected: every proper prefix of a valid frame is an error
// wrapping ErrBadFrame, and a cut inside an embedded tree value wraps
// tree.ErrBadEncoding as well.
func TestTruncationRejected(t *testing.T) {
	inTree := 0
	for _, kind := range []string{"client", "notification", "packet"} {
		for _, enc := range encodings()[kind] {
			for n := range len(enc) {
				err := decoders[kind](enc[:n])
				if !errors.Is(err, ErrBadFrame) {
					t.Fatalf("%s % x cut to %d bytes: %v", kind, enc, n, err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("message is not one line: %q", err)
				}
				if errors.Is(err, tree.ErrBadEncoding) {
					inTree++
				}
			}
		}
	}
	if inTree == 0 {
		t.Fatal("no truncation was reported by a tree decoder")
	}
}

// TestDamageNeverPanics flips bits in every byte of every table frame:
// whatever a decoder accepts must be canonical, the rest ErrBadFrame (the
// checks of the fuzz targets, on a fixed set of inputs).
func TestDamageNeverPanics(t *testing.T) {
	checks := map[string]func(checker, []byte){
		"client": fuzzClientMessage, "notification": fuzzNotification, "packet": fuzzPacket,
	}
	for _, kind := range []string{"client", "notification", "packet"} {
		for _, enc := range encodings()[kind] {
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

// frame builds a frame by hand: ints are zigzag varints, uint64s uvarints,
// strings raw bytes.
func frame(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case int:
			b = binary.AppendVarint(b, int64(p))
		case uint64:
			b = binary.AppendUvarint(b, p)
		case string:
			b = append(b, p...)
		default:
			panic(p)
		}
	}
	return b
}

// TestRejectsHostileInput: each kind of damage is an error that wraps
// ErrBadFrame and names what is wrong.
func TestRejectsHostileInput(t *testing.T) {
	u := func(x uint64) uint64 { return x }
	kind := func(k byte) string { return string([]byte{k}) }
	pt := func(p PacketType) string { return string([]byte{byte(p)}) }
	getData := string(tree.AppendRequest(nil, &tree.Request{Type: tree.OpGetData, Path: "/a"}))
	for _, tc := range []struct {
		kind   string
		in     []byte
		want   string
		inTree bool
	}{
		{"client", nil, "wire: bad frame: client message kind: truncated", false},
		{"client", frame(kind(9)), "client message kind: unknown kind 9", false},
		{"client", frame(kind(kindRequest), 1<<31), "request xid: 2147483648 out of int32 range", false},
		{"client", frame(kind(kindRequest), 1, getData, "x"), "wire: bad frame: 1 trailing bytes after request", false},
		{"client", frame(kind(kindRequest), 1, "\x63\x00"), "request body: tree: bad encoding: request type: unknown opcode -50", true},
		{"client", frame(kind(kindReply), 1, 5, -9999), "reply err: unknown code -9999", false},
		{"client", frame(kind(kindReply), 1, 5, 0, "\x08"), "reply result: tree: bad encoding: result field mask: truncated", true},
		{"client", frame(kind(kindEvent), 99, 3, u(0), 0), "event type: unknown event type 99", false},
		{"client", frame(kind(kindEvent), 1, 6, u(0), 0), "event state: unknown keeper state 6", false},
		{"client", frame(kind(kindEvent), 1, 3, u(5), "/a"), "event path: length 5 exceeds remaining 2 bytes", false},
		{"client", frame(kind(kindConnectRequest), 0, 0, 0, u(1<<40)), "connect request passwd: length 1099511627775 exceeds remaining 0 bytes", false},
		{"client", frame(kind(kindConnectResponse), 0, "\x80\x00"), "connect response session: overlong varint", false},
		{"notification", frame(1, 2, 3, 4, "\x04", 5), "notification state: unknown server state 4", false},
		{"notification", frame(1, 2, 3, 4, "\xff", 5), "notification state: unknown server state 255", false},
		{"notification", frame(1, 2, 3, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), "notification election epoch: varint overflows 64 bits", false},
		{"packet", frame(pt(99), u(0)), "packet type: unknown packet type 99", false},
		{"packet", frame(pt(PacketAck), u(pktAll+1)), "packet field mask: unknown bits 0x800", false},
		{"packet", frame(pt(PacketAck), u(pktZxid), 0), "packet zxid: present but zero", false},
		{"packet", frame(pt(PacketRevalidate), u(pktTimeout), 1<<31), "packet timeout: 2147483648 out of int32 range", false},
		{"packet", frame(pt(PacketRevalidate), u(pktTimeout), 0), "packet timeout: present but zero", false},
		{"packet", frame(pt(PacketProposal), u(pktTxn), int(tree.OpMulti), u(1<<14), u(1), int(tree.OpMulti), u(0)),
			"packet txn: tree: bad encoding: txn op 0 type: multi nested in a multi", true},
		{"packet", frame(pt(PacketSnap), u(pktSnapshot), u(1000), "abc"), "packet snapshot: length 1000 exceeds remaining 3 bytes", false},
		{"packet", frame(pt(PacketPing), u(pktTouches), u(99999), "abcd"), "packet touches: count 99999 exceeds remaining 4 bytes", false},
		{"packet", frame(pt(PacketRequest), u(pktForward), 1, 2, 3, getData, u(1<<40)), "packet forward auth: tree: bad encoding: auth list: count", true},
		{"packet", frame(pt(PacketRequest), u(pktForward), 1, 1<<33), "packet forward cxid: 8589934592 out of int32 range", false},
	} {
		err := decoders[tc.kind](tc.in)
		if !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s % x: error %v does not wrap ErrBadFrame", tc.kind, tc.in, err)
			continue
		}
		if errors.Is(err, tree.ErrBadEncoding) != tc.inTree {
			t.Errorf("%s % x: %v: wraps tree.ErrBadEncoding: %v, want %v", tc.kind, tc.in, err, !tc.inTree, tc.inTree)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s % x:\n got %q\nwant it to contain %q", tc.kind, tc.in, err, tc.want)
		}
	}
}

// TestAllocations pins the allocations of the hot path: a PROPOSAL decodes
// into the packet, the txn, its path and its data; a getData reply into the
// reply and its data; encoding into a buffer with room allocates nothing. A
// ClientDecoder copies small data into chunks and remembers paths, so a
// reply or an event on a node it saw before costs no allocation of its own.
func TestAllocations(t *testing.T) {
	p := &Packet{Type: PacketProposal, Zxid: 0x300000a41, Txn: setDataTxn()}
	encP := AppendPacket(nil, p)
	r := getDataReply()
	encR := AppendClientMessage(nil, r)
	encE := AppendClientMessage(nil, &Event{Type: tree.EventNodeDataChanged, State: StateSyncConnected, Path: "/app/config/node-17", Zxid: 0x300000a41})
	buf := make([]byte, 0, 1024)
	for _, tc := range []struct {
		name string
		max  float64
		f    func()
	}{
		{"AppendPacket", 0, func() { buf = AppendPacket(buf[:0], p) }},
		{"DecodePacket", 4, func() { _, _ = DecodePacket(encP) }},
		{"DecodePacketInto", 3, func() { _ = DecodePacketInto(&sharedPacket, encP) }},
		{"AppendClientMessage", 0, func() { buf = AppendClientMessage(buf[:0], r) }},
		{"DecodeClientMessage", 2, func() { _, _ = DecodeClientMessage(encR) }},
		{"ClientDecoder.Decode", 0, func() { _, _ = sharedClientDecoder.Decode(encR) }},
		{"ClientDecoder.Decode event", 0, func() { _, _ = sharedClientDecoder.Decode(encE) }},
		{"AppendNotification", 0, func() { buf = AppendNotification(buf[:0], notifications()[1]) }},
		{"DecodeNotification", 0, func() { _, _ = DecodeNotification(AppendNotification(buf[:0], notifications()[1])) }},
	} {
		if got := testing.AllocsPerRun(100, tc.f); got > tc.max {
			t.Errorf("%s: %v allocations, want at most %v", tc.name, got, tc.max)
		}
	}
}

func BenchmarkAppendPacketProposal(b *testing.B) {
	p := &Packet{Type: PacketProposal, Zxid: 0x300000a41, Txn: setDataTxn()}
	buf := AppendPacket(nil, p)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendPacket(buf[:0], p)
	}
}

func BenchmarkDecodePacketProposal(b *testing.B) {
	enc := AppendPacket(nil, &Packet{Type: PacketProposal, Zxid: 0x300000a41, Txn: setDataTxn()})
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodePacket(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendReplyGetData(b *testing.B) {
	r := getDataReply()
	buf := AppendClientMessage(nil, r)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendClientMessage(buf[:0], r)
	}
}

func BenchmarkDecodeReplyGetData(b *testing.B) {
	enc := AppendClientMessage(nil, getDataReply())
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeClientMessage(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// The generators of the rapid property. Tree values are drawn from a few
// shapes: the tree's own tests cover their codec field by field; here they
// only need to vary in size and in where they sit in the frame.

var (
	genInt64  = rapid.OneOf(rapid.Just[int64](0), rapid.Int64(), rapid.Int64Range(-200, 200))
	genInt32  = rapid.OneOf(rapid.Just[int32](0), rapid.Int32(), rapid.Int32Range(-200, 200))
	genString = rapid.OneOf(rapid.Just(""), rapid.SampledFrom([]string{"/", "/a", "/app/cfg"}), rapid.String())
	genBytes  = rapid.Custom(func(t *rapid.T) []byte {
		switch rapid.IntRange(0, 2).Draw(t, "bytes shape") {
		case 0:
			return nil
		case 1:
			return []byte{}
		}
		return rapid.SliceOfN(rapid.Byte(), 1, 40).Draw(t, "bytes")
	})
	genACL = rapid.SampledFrom([][]tree.ACL{nil, {}, tree.OpenACLUnsafe, tree.CreatorAllACL})

	genRequest = rapid.Custom(func(t *rapid.T) tree.Request {
		r := tree.Request{
			Type:    rapid.SampledFrom([]tree.OpCode{tree.OpGetData, tree.OpCreate, tree.OpSetData, tree.OpMulti, tree.OpPing, tree.OpSync}).Draw(t, "type"),
			Path:    genString.Draw(t, "path"),
			Data:    genBytes.Draw(t, "data"),
			ACL:     genACL.Draw(t, "acl"),
			Version: genInt32.Draw(t, "version"),
			Watch:   rapid.Bool().Draw(t, "watch"),
		}
		if r.Type == tree.OpMulti {
			r.Ops = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) tree.Request {
				return tree.Request{Type: tree.OpCheck, Path: genString.Draw(t, "path"), Version: genInt32.Draw(t, "version")}
			}), 0, 3).Draw(t, "ops")
		}
		return r
	})
	genResult = rapid.Custom(func(t *rapid.T) tree.Result {
		r := tree.Result{
			Type:    rapid.SampledFrom([]tree.OpCode{tree.OpGetData, tree.OpCreate, tree.OpExists, tree.OpError}).Draw(t, "type"),
			Err:     rapid.SampledFrom([]tree.Code{tree.OK, tree.NoNode, tree.BadVersion}).Draw(t, "err"),
			Path:    genString.Draw(t, "path"),
			Data:    genBytes.Draw(t, "data"),
			HasStat: rapid.Bool().Draw(t, "has stat"),
		}
		if r.HasStat {
			r.Stat = testStat
			r.Stat.Version = genInt32.Draw(t, "version")
		}
		return r
	})
	genTxn = rapid.Custom(func(t *rapid.T) *tree.Txn {
		x := &tree.Txn{
			Header: tree.Header{Session: tree.SessionID(genInt64.Draw(t, "session")), Cxid: genInt32.Draw(t, "cxid"),
				Zxid: tree.Zxid(genInt64.Draw(t, "zxid")), Time: genInt64.Draw(t, "time")},
			Type:    rapid.SampledFrom([]tree.OpCode{tree.OpSetData, tree.OpCreate, tree.OpMulti, tree.OpError}).Draw(t, "type"),
			Path:    genString.Draw(t, "path"),
			Data:    genBytes.Draw(t, "data"),
			Version: genInt32.Draw(t, "version"),
			Digest:  uint64(genInt64.Draw(t, "digest")),
		}
		if x.Type == tree.OpMulti {
			x.Ops = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) tree.Txn {
				return tree.Txn{Type: tree.OpDelete, Path: genString.Draw(t, "path")}
			}), 0, 3).Draw(t, "ops")
		}
		return x
	})
	genAuth = rapid.SampledFrom([]tree.Auth{nil, {}, tree.NewAuth("10.0.0.1"), tree.NewAuth("10.0.0.1").AddDigest("a:b", "")})

	genClientMessage = rapid.Custom(func(t *rapid.T) ClientMessage {
		switch rapid.IntRange(kindConnectRequest, kindEvent).Draw(t, "kind") {
		case kindConnectRequest:
			return &ConnectRequest{LastZxidSeen: tree.Zxid(genInt64.Draw(t, "zxid")), Timeout: genInt32.Draw(t, "timeout"),
				SessionID: tree.SessionID(genInt64.Draw(t, "session")), Passwd: genBytes.Draw(t, "passwd")}
		case kindConnectResponse:
			return &ConnectResponse{Timeout: genInt32.Draw(t, "timeout"),
				SessionID: tree.SessionID(genInt64.Draw(t, "session")), Passwd: genBytes.Draw(t, "passwd")}
		case kindRequest:
			return &Request{Xid: genInt32.Draw(t, "xid"), Req: genRequest.Draw(t, "request")}
		case kindReply:
			return &Reply{Xid: genInt32.Draw(t, "xid"), Zxid: tree.Zxid(genInt64.Draw(t, "zxid")),
				Err:    rapid.SampledFrom([]tree.Code{tree.OK, tree.NoNode, tree.SessionExpired}).Draw(t, "err"),
				Result: genResult.Draw(t, "result")}
		}
		return &Event{
			Type: rapid.SampledFrom([]tree.EventType{tree.EventNone, tree.EventNodeCreated, tree.EventNodeDeleted,
				tree.EventNodeDataChanged, tree.EventNodeChildrenChanged}).Draw(t, "type"),
			State: rapid.SampledFrom([]KeeperState{StateDisconnected, StateSyncConnected, StateExpired,
				StateAuthFailed, StateConnectedReadOnly, StateClosed}).Draw(t, "state"),
			Path: genString.Draw(t, "path"),
			Zxid: tree.Zxid(genInt64.Draw(t, "zxid")),
		}
	})
	genNotification = rapid.Custom(func(t *rapid.T) Notification {
		return Notification{
			Vote: Vote{Leader: ServerID(genInt64.Draw(t, "leader")), Zxid: tree.Zxid(genInt64.Draw(t, "zxid")),
				PeerEpoch: genInt64.Draw(t, "peer epoch")},
			ElectionEpoch: genInt64.Draw(t, "election epoch"),
			State:         rapid.SampledFrom([]ServerState{Looking, Following, Leading, Observing}).Draw(t, "state"),
			Sid:           ServerID(genInt64.Draw(t, "sid")),
		}
	})
	genPacket = rapid.Custom(func(t *rapid.T) *Packet {
		var types []PacketType
		for pt := PacketType(0); pt < 20; pt++ {
			if knownPacketType(pt) {
				types = append(types, pt)
			}
		}
		p := &Packet{
			Type:     rapid.SampledFrom(types).Draw(t, "type"),
			Zxid:     tree.Zxid(genInt64.Draw(t, "zxid")),
			Sid:      ServerID(genInt64.Draw(t, "sid")),
			Epoch:    genInt64.Draw(t, "epoch"),
			Snapshot: genBytes.Draw(t, "snapshot"),
			Session:  tree.SessionID(genInt64.Draw(t, "session")),
			Timeout:  genInt32.Draw(t, "timeout"),
			Passwd:   genBytes.Draw(t, "passwd"),
			Valid:    rapid.Bool().Draw(t, "valid"),
		}
		if rapid.Bool().Draw(t, "has txn") {
			p.Txn = genTxn.Draw(t, "txn")
		}
		if rapid.Bool().Draw(t, "has forward") {
			p.Forward = &Forward{Session: tree.SessionID(genInt64.Draw(t, "session")), Cxid: genInt32.Draw(t, "cxid"),
				Owner: ServerID(genInt64.Draw(t, "owner")), Req: genRequest.Draw(t, "request"),
				Auth: genAuth.Draw(t, "auth"), Passwd: genBytes.Draw(t, "passwd")}
		}
		switch rapid.IntRange(0, 2).Draw(t, "touches shape") {
		case 1:
			p.Touches = []Touch{}
		case 2:
			p.Touches = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) Touch {
				return Touch{Session: tree.SessionID(genInt64.Draw(t, "session")), Timeout: genInt32.Draw(t, "timeout")}
			}), 1, 4).Draw(t, "touches")
		}
		return p
	})
)

// TestUvarintFastPaths: uvarint, with its one-byte and one-word fast paths,
// reads what uvarintSlow reads, leaves the same input and fails the same way:
// on every length of canonical uvarint, with bytes after it or not, on
// overlong, overflowing and truncated ones, and on random bytes rich in
// continuation bytes and zeros; each with and without spare capacity.
func TestUvarintFastPaths(t *testing.T) {
	cases := varint.Samples(3)
	// Each case again with spare capacity that holds what would end a
	// uvarint, or continue it, or the buffers' poison.
	for _, in := range cases[:len(cases):len(cases)] {
		for _, spare := range []byte{0, 1, 0x80, 0xdb} {
			buf := append(make([]byte, 0, len(in)+8), in...)
			for i := len(buf); i < cap(buf); i++ {
				buf[:cap(buf)][i] = spare
			}
			cases = append(cases, buf)
		}
	}
	var oneByte, word, slow int
	for _, in := range cases {
		fast := decoder{b: in, kind: "packet"}
		ref := decoder{b: in, kind: "packet"}
		got, want := fast.uvarint("f"), ref.uvarintSlow("f")
		if got != want || len(fast.b) != len(ref.b) || fmt.Sprint(fast.err) != fmt.Sprint(ref.err) {
			t.Fatalf("% x: uvarint %d, %d left, %v; uvarintSlow %d, %d left, %v",
				in, got, len(fast.b), fast.err, want, len(ref.b), ref.err)
		}
		switch {
		case len(in) > 0 && in[0] < 0x80:
			oneByte++
		case cap(in) >= 8 && len(in)-len(ref.b) <= 8 && ref.err == nil:
			word++
		default:
			slow++
		}
	}
	if oneByte < 100 || word < 100 || slow < 100 {
		t.Fatalf("paths taken: one byte %d, word %d, slow %d; want each at least 100", oneByte, word, slow)
	}
}
