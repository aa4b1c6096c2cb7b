package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"zoosim/tree"
)

// decodeShared decodes enc through s, failing the test on an error.
func decodeShared(t *testing.T, s *TxnShare, enc []byte) *Packet {
	t.Helper()
	p := new(Packet)
	if err := s.DecodePacketInto(p, enc); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return p
}

func TestTxnShareSharesTheTxnOfIdenticalProposals(t *testing.T) {
	var s TxnShare
	enc := AppendPacket(nil, &Packet{Type: PacketProposal, Zxid: 0x300000a41, Txn: setDataTxn()})
	want, err := DecodePacket(enc)
	if err != nil {
		t.Fatal(err)
	}
	first := decodeShared(t, &s, enc)
	second := decodeShared(t, &s, append([]byte(nil), enc...)) // another follower's copy
	if first.Txn != second.Txn {
		t.Fatal("the same proposal decoded twice gave two txns")
	}
	if !reflect.DeepEqual(second, want) {
		t.Fatalf("shared decode differs from a fresh one:\n got %#v\nwant %#v", second, want)
	}
	other := setDataTxn()
	other.Zxid++
	third := decodeShared(t, &s, AppendPacket(nil, &Packet{Type: PacketProposal, Zxid: other.Zxid, Txn: other}))
	if third.Txn == first.Txn || third.Txn.Zxid != other.Zxid {
		t.Fatalf("another txn was given the shared one: %s", third.Txn)
	}
	if hits, misses := s.Stats(); hits != 1 || misses != 2 {
		t.Fatalf("stats %d hits %d misses, want 1 and 2", hits, misses)
	}
}

// A txn followed by other fields is decoded afresh every time: its end is not the frame's, so
// the bytes that follow it cannot be the key.
func TestTxnShareDoesNotShareATxnBeforeOtherFields(t *testing.T) {
	var s TxnShare
	enc := AppendPacket(nil, &Packet{Type: PacketProposal, Zxid: 0x300000a41, Txn: setDataTxn(), Session: 7})
	a, b := decodeShared(t, &s, enc), decodeShared(t, &s, enc)
	if a.Txn == b.Txn {
		t.Fatal("a txn that does not end the frame was shared")
	}
	if !reflect.DeepEqual(a, b) || b.Session != 7 {
		t.Fatalf("decodes differ: %#v and %#v", a, b)
	}
}

func TestTxnShareForgetsTheOldest(t *testing.T) {
	var s TxnShare
	proposal := func(i int) []byte {
		x := setDataTxn()
		x.Zxid += tree.Zxid(i)
		return AppendPacket(nil, &Packet{Type: PacketProposal, Zxid: x.Zxid, Txn: x})
	}
	first := decodeShared(t, &s, proposal(0)).Txn
	for i := 1; i < txnShareSize; i++ {
		decodeShared(t, &s, proposal(i))
	}
	if decodeShared(t, &s, proposal(0)).Txn != first {
		t.Fatalf("forgot a txn among the last %d", txnShareSize)
	}
	for i := txnShareSize; i < 2*txnShareSize; i++ {
		decodeShared(t, &s, proposal(i))
	}
	if again := decodeShared(t, &s, proposal(0)).Txn; again == first || !reflect.DeepEqual(again, first) {
		t.Fatal("a txn pushed out of the share was not decoded afresh")
	}
	if n := s.used(); n != txnShareSize {
		t.Fatalf("the share holds %d txns, want at most %d", n, txnShareSize)
	}
}

func TestTxnShareRefusesWhatDecodePacketRefuses(t *testing.T) {
	enc := AppendPacket(nil, &Packet{Type: PacketProposal, Zxid: 0x300000a41, Txn: setDataTxn()})
	var s TxnShare
	decodeShared(t, &s, enc)
	for _, bad := range [][]byte{enc[:len(enc)-1], append(append([]byte(nil), enc...), 0)} {
		var p Packet
		err := s.DecodePacketInto(&p, bad)
		if !errors.Is(err, ErrBadFrame) || DecodePacketInto(&p, bad) == nil {
			t.Fatalf("decoding %x: %v, want ErrBadFrame as DecodePacketInto gives", bad, err)
		}
	}
	var none *TxnShare // shares nothing, decodes as DecodePacketInto
	a, b := decodeShared(t, none, enc), decodeShared(t, none, enc)
	if a.Txn == b.Txn || !reflect.DeepEqual(a, b) {
		t.Fatal("a nil share shared a txn or decoded differently")
	}
}

func TestTxnShareEncodesATxnOnce(t *testing.T) {
	var s TxnShare
	// A follower logs the txn its proposal brought: the bytes received are its encoding.
	x := setDataTxn()
	want := tree.AppendTxn([]byte("log"), x)
	got := decodeShared(t, &s, AppendPacket(nil, &Packet{Type: PacketProposal, Zxid: x.Zxid, Txn: x})).Txn
	if b := s.AppendTxn([]byte("log"), got); string(b) != string(want) {
		t.Fatalf("AppendTxn of the txn just decoded:\n got %x\nwant %x", b, want)
	}
	// A leader logs its own txn, then proposes it: the frames carry the encoding the log got,
	// and the followers that decode them get the leader's txn itself.
	own := setDataTxn()
	own.Zxid++
	if b, w := s.AppendTxn(nil, own), tree.AppendTxn(nil, own); string(b) != string(w) {
		t.Fatalf("AppendTxn of a new txn:\n got %x\nwant %x", b, w)
	}
	proposal := &Packet{Type: PacketProposal, Zxid: own.Zxid, Txn: own}
	frame := s.AppendPacket(nil, proposal)
	if w := AppendPacket(nil, proposal); string(frame) != string(w) {
		t.Fatalf("AppendPacket:\n got %x\nwant %x", frame, w)
	}
	if p := decodeShared(t, &s, frame); p.Txn != own {
		t.Fatal("a follower did not receive the leader's txn")
	}
	// Any txn is encoded as tree.AppendTxn does, with a share or without one.
	other := setDataTxn()
	other.Version++
	wantOther := tree.AppendTxn(nil, other)
	var none *TxnShare
	for _, b := range [][]byte{s.AppendTxn(nil, other), s.AppendTxn(nil, other), none.AppendTxn(nil, other)} {
		if string(b) != string(wantOther) {
			t.Fatalf("AppendTxn of another txn:\n got %x\nwant %x", b, wantOther)
		}
	}
	// However many txns pass through, the ring holds as many distinct txns, each with its
	// encoding and fingerprint, and as many distinct encodings.
	for i := range 3 * txnShareSize {
		y := setDataTxn()
		y.Zxid += tree.Zxid(100 + i)
		if i%2 == 0 {
			s.AppendTxn(nil, y)
		} else {
			decodeShared(t, &s, AppendPacket(nil, &Packet{Type: PacketProposal, Zxid: y.Zxid, Txn: y}))
		}
	}
	if n := s.used(); n != txnShareSize {
		t.Fatalf("the share holds %d txns, want %d", n, txnShareSize)
	}
	txns, encs := map[*tree.Txn]bool{}, map[string]bool{}
	for i, x := range s.txns {
		enc := string(s.encs[i])
		if txns[x] || encs[enc] || string(tree.AppendTxn(nil, x)) != enc || s.fps[i] != fingerprint(enc) {
			t.Fatalf("txn %s is remembered twice or with the wrong encoding", x.Zxid)
		}
		txns[x], encs[enc] = true, true
		// The ring has wrapped and next is not 0, so the lookups scan both of their runs.
		if s.indexTxn(x) != i || indexEnc(&s, enc, s.fps[i]) != i {
			t.Fatalf("txn %s at %d is found at %d by its pointer, at %d by its encoding (next %d)",
				x.Zxid, i, s.indexTxn(x), indexEnc(&s, enc, s.fps[i]), s.next)
		}
	}
	if s.next == 0 || s.indexTxn(other) >= 0 || indexEnc(&s, wantOther, fingerprint(wantOther)) >= 0 {
		t.Fatalf("next %d, or a txn pushed out of the share is still found", s.next)
	}
	if s.last.txn != nil && (!txns[s.last.txn] || string(s.encs[s.indexTxn(s.last.txn)]) != string(s.last.enc)) {
		t.Fatal("the last txn is not one remembered with its encoding")
	}
}

// used counts the entries of the share's ring that hold a txn, checking that the others are
// unused in every part.
func (s *TxnShare) used() int {
	n := 0
	for i, x := range s.txns {
		switch {
		case x != nil:
			n++
		case s.encs[i] != nil || s.fps[i] != 0:
			panic("an entry without a txn has an encoding")
		}
	}
	return n
}

// BenchmarkTxnShareEnsemble is a share's work for one txn of a five-server ensemble: the leader
// logs the txn and proposes it to four followers, each of which decodes the proposal and logs
// the txn, a few proposals behind the leader as on a network with latency.
func BenchmarkTxnShareEnsemble(b *testing.B) {
	const lag = 3
	var s TxnShare
	var frames [lag][]byte
	buf := make([]byte, 0, 256)
	var p Packet
	x := setDataTxn()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		y := *x
		y.Zxid += tree.Zxid(i)
		buf = s.AppendTxn(buf[:0], &y) // the leader's log
		pkt := &Packet{Type: PacketProposal, Zxid: y.Zxid, Txn: &y}
		for range 4 {
			buf = s.AppendPacket(buf[:0], pkt)
		}
		frames[i%lag] = append(frames[i%lag][:0], buf...)
		if i >= lag-1 {
			frame := frames[(i+1)%lag] // the proposal of lag-1 txns ago arrives
			for range 4 {
				if err := s.DecodePacketInto(&p, frame); err != nil {
					b.Fatal(err)
				}
				buf = s.AppendTxn(buf[:0], p.Txn) // the follower's log
			}
		}
	}
}

// Two encodings with one fingerprint (they differ only in the middle of the data) are two
// entries, each found by its own bytes.
func TestTxnShareTellsApartEncodingsWithOneFingerprint(t *testing.T) {
	var s TxnShare
	a, b := setDataTxn(), setDataTxn()
	b.Data = append([]byte(nil), a.Data...)
	b.Data[len(b.Data)/2]++
	encA := AppendPacket(nil, &Packet{Type: PacketProposal, Zxid: a.Zxid, Txn: a})
	encB := AppendPacket(nil, &Packet{Type: PacketProposal, Zxid: b.Zxid, Txn: b})
	const txnAt = 7 // the packet's type, mask and zxid come first
	if fingerprint(encA[txnAt:]) != fingerprint(encB[txnAt:]) || string(encA) == string(encB) {
		t.Fatal("the test needs two encodings with one fingerprint")
	}
	gotA, gotB := decodeShared(t, &s, encA).Txn, decodeShared(t, &s, encB).Txn
	if !reflect.DeepEqual(gotA, a) || !reflect.DeepEqual(gotB, b) {
		t.Fatal("a txn decoded as the other")
	}
	if decodeShared(t, &s, encA).Txn != gotA || decodeShared(t, &s, encB).Txn != gotB {
		t.Fatal("a txn was not shared")
	}
}

// keep copies an encoding into a chunk (or, when long, an array of its own): the copy equals
// the input, does not alias it, and has its capacity cut, so the copies kept one after another
// in a chunk stay as they were.
func TestTxnShareKeep(t *testing.T) {
	var s TxnShare
	var kept, want [][]byte
	for i, n := range []int{40, 1, shareChunkMax, shareChunkMax + 1, 3000, 0, 70, shareChunk / 2, 90} {
		enc := bytes.Repeat([]byte{byte(i + 1)}, n)
		k := s.keep(enc)
		if !bytes.Equal(k, enc) || cap(k) != n {
			t.Fatalf("keep of %d bytes: %d bytes, cap %d", n, len(k), cap(k))
		}
		for j := range enc {
			enc[j] = 0xa5
		}
		kept, want = append(kept, k), append(want, bytes.Repeat([]byte{byte(i + 1)}, n))
	}
	for i := range kept {
		if !bytes.Equal(kept[i], want[i]) {
			t.Fatalf("kept copy %d changed", i)
		}
	}
}

// The Forwards a share decodes (from slabs) equal the plain decoder's (each allocated alone),
// and each is a value of its own: decoding more leaves the earlier ones as they were.
func TestTxnShareForwards(t *testing.T) {
	var s TxnShare
	var got, want []*Packet
	for i := range 3*forwardSlab + 1 {
		enc := AppendPacket(nil, &Packet{Type: PacketRequest, Forward: &Forward{
			Session: tree.SessionID(i + 1), Cxid: int32(i), Owner: 2,
			Req: tree.Request{Type: tree.OpSetData, Path: "/a", Data: []byte{byte(i)}, Version: -1},
		}})
		w, err := DecodePacket(enc)
		if err != nil {
			t.Fatal(err)
		}
		g := decodeShared(t, &s, enc)
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("forward %d: shared decoding %v, plain %v", i, g.Forward, w.Forward)
		}
		got, want = append(got, g), append(want, w)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatal("a later decoding changed an earlier Forward")
	}
}
