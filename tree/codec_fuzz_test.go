package tree

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The fuzz targets of the codecs feed arbitrary bytes to a decoder. Nothing
// may panic; every failure wraps ErrBadEncoding with a one-line message;
// and whatever decodes is canonical: encoding the value gives exactly the
// bytes it was decoded from, and decoding those gives an equal value.
//
//	go test ./tree -run '^$' -fuzz FuzzDecodeTxn -fuzztime 60s
//
// (and FuzzDecodeRequest, FuzzDecodeResult, FuzzDecodeAuth). The seeds are
// the encodings of the table tests, whole, cut and with a flipped byte.

func codecFuzzSeeds(f *testing.F, kind string) {
	for _, enc := range codecEncodings()[kind] {
		f.Add(enc)
		f.Add(enc[:len(enc)/2])
		flipped := bytes.Clone(enc)
		flipped[len(flipped)/3] ^= 0x10
		f.Add(flipped)
		f.Add(append(bytes.Clone(enc), 0))
	}
	f.Add([]byte{})
}

func FuzzDecodeTxn(f *testing.F) {
	codecFuzzSeeds(f, "txn")
	f.Fuzz(func(t *testing.T, data []byte) { codecFuzzTxn(t, data) })
}

func FuzzDecodeRequest(f *testing.F) {
	codecFuzzSeeds(f, "request")
	f.Fuzz(func(t *testing.T, data []byte) { codecFuzzRequest(t, data) })
}

func FuzzDecodeResult(f *testing.F) {
	codecFuzzSeeds(f, "result")
	f.Fuzz(func(t *testing.T, data []byte) { codecFuzzResult(t, data) })
}

func FuzzDecodeAuth(f *testing.F) {
	codecFuzzSeeds(f, "auth")
	f.Fuzz(func(t *testing.T, data []byte) { codecFuzzAuth(t, data) })
}

func codecFuzzError(t codecTB, data []byte, err error) {
	t.Helper()
	if !errors.Is(err, ErrBadEncoding) {
		t.Fatalf("% x: error %v does not wrap ErrBadEncoding", data, err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("% x: message is not one line: %q", data, err)
	}
}

func codecFuzzTxn(t codecTB, data []byte) {
	t.Helper()
	x, err := DecodeTxn(data)
	if err != nil {
		codecFuzzError(t, data, err)
		return
	}
	enc := AppendTxn(nil, x)
	if !bytes.Equal(enc, data) {
		t.Fatalf("not canonical: decoded % x, encodes as % x", data, enc)
	}
	again, err := DecodeTxn(enc)
	if err != nil || !reflect.DeepEqual(again, x) {
		t.Fatalf("% x: second decode: %v\n%#v\n%#v", data, err, again, x)
	}
}

func codecFuzzRequest(t codecTB, data []byte) {
	t.Helper()
	r, rest, err := DecodeRequest(data)
	if err != nil {
		codecFuzzError(t, data, err)
		return
	}
	used := data[:len(data)-len(rest)]
	enc := AppendRequest(nil, &r)
	if !bytes.Equal(enc, used) {
		t.Fatalf("not canonical: decoded % x, encodes as % x", used, enc)
	}
	again, rest2, err := DecodeRequest(enc)
	if err != nil || len(rest2) != 0 || !reflect.DeepEqual(again, r) {
		t.Fatalf("% x: second decode: %v\n%#v\n%#v", used, err, again, r)
	}
}

func codecFuzzResult(t codecTB, data []byte) {
	t.Helper()
	r, rest, err := DecodeResult(data)
	if err != nil {
		codecFuzzError(t, data, err)
		return
	}
	used := data[:len(data)-len(rest)]
	enc := AppendResult(nil, &r)
	if !bytes.Equal(enc, used) {
		t.Fatalf("not canonical: decoded % x, encodes as % x", used, enc)
	}
	again, rest2, err := DecodeResult(enc)
	if err != nil || len(rest2) != 0 || !reflect.DeepEqual(again, r) {
		t.Fatalf("% x: second decode: %v\n%#v\n%#v", used, err, again, r)
	}
}

func codecFuzzAuth(t codecTB, data []byte) {
	t.Helper()
	a, rest, err := DecodeAuth(data)
	if err != nil {
		codecFuzzError(t, data, err)
		return
	}
	used := data[:len(data)-len(rest)]
	enc := AppendAuth(nil, a)
	if !bytes.Equal(enc, used) {
		t.Fatalf("not canonical: decoded % x, encodes as % x", used, enc)
	}
	again, rest2, err := DecodeAuth(enc)
	if err != nil || len(rest2) != 0 || !reflect.DeepEqual(again, a) {
		t.Fatalf("% x: second decode: %v\n%#v\n%#v", used, err, again, a)
	}
}
