package varint

import (
	"encoding/binary"
	"testing"
)

// Decode agrees with encoding/binary on every uvarint it accepts, and accepts exactly the
// canonical ones: those binary reads whose re-encoding is as long as the input they took.
func TestDecodeMatchesBinaryOnCanonicalInput(t *testing.T) {
	var ok, bad int
	for _, in := range Samples(1) {
		v, n, problem := Decode(in)
		want, wantN := binary.Uvarint(in)
		canonical := wantN > 0 && len(binary.AppendUvarint(nil, want)) == wantN
		switch {
		case problem == "" && (!canonical || v != want || n != wantN):
			t.Fatalf("% x: Decode %d (%d bytes), binary.Uvarint %d (%d bytes), canonical %v", in, v, n, want, wantN, canonical)
		case problem != "" && (canonical || n != 0 || v != 0):
			t.Fatalf("% x: Decode refused it (%s) but binary reads %d in %d bytes, canonical %v", in, problem, want, wantN, canonical)
		case problem == "":
			ok++
		default:
			bad++
		}
	}
	if ok < 1000 || bad < 1000 {
		t.Fatalf("accepted %d, refused %d: want each at least 1000", ok, bad)
	}
}

// Decode names each problem.
func TestDecodeProblems(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want string
	}{
		{nil, Truncated},
		{[]byte{0x80}, TruncatedVarint},
		{[]byte{0x81, 0x80}, TruncatedVarint},
		{[]byte{0x80, 0x00}, Overlong},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, Overflow},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, Overflow},
	} {
		if _, _, got := Decode(c.in); got != c.want {
			t.Errorf("% x: %q, want %q", c.in, got, c.want)
		}
	}
}

// Word decodes exactly what Decode does whenever it answers, and answers for every canonical
// uvarint of two to eight bytes.
func TestWordAgreesWithDecode(t *testing.T) {
	var answered int
	for _, in := range Samples(2) {
		if len(in) < 8 || in[0] < 0x80 {
			continue
		}
		v, n := Word(binary.LittleEndian.Uint64(in))
		want, wantN, problem := Decode(in)
		switch {
		case n > 0 && (problem != "" || v != want || n != wantN):
			t.Fatalf("% x: Word %d (%d bytes), Decode %d (%d bytes) %q", in, v, n, want, wantN, problem)
		case n == 0 && problem == "" && wantN <= 8:
			t.Fatalf("% x: Word gave up on a canonical %d-byte uvarint", in, wantN)
		case n > 0:
			answered++
		}
	}
	if answered < 1000 {
		t.Fatalf("Word answered %d times: want at least 1000", answered)
	}
}
