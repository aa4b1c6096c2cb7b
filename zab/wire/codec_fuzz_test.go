package wire

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The fuzz targets feed arbitrary bytes to a frame decoder. Nothing may
// panic; every failure wraps ErrBadFrame with a one-line message; and
// whatever decodes is canonical: encoding the value gives exactly the frame
// it was decoded from, and decoding that gives an equal value.
//
//	go test ./zab/wire -run '^$' -fuzz FuzzDecodePacket -fuzztime 60s
//
// (and FuzzDecodeClientMessage, FuzzDecodeNotification). The seeds are the
// frames of the table tests, whole, cut and with a flipped byte.

func fuzzSeeds(f *testing.F, kind string) {
	for _, enc := range encodings()[kind] {
		f.Add(enc)
		f.Add(enc[:len(enc)/2])
		flipped := bytes.Clone(enc)
		flipped[len(flipped)/3] ^= 0x10
		f.Add(flipped)
		f.Add(append(bytes.Clone(enc), 0))
	}
	f.Add([]byte{})
}

func FuzzDecodeClientMessage(f *testing.F) {
	fuzzSeeds(f, "client")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzClientMessage(t, data) })
}

func FuzzDecodeNotification(f *testing.F) {
	fuzzSeeds(f, "notification")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzNotification(t, data) })
}

func FuzzDecodePacket(f *testing.F) {
	fuzzSeeds(f, "packet")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzPacket(t, data) })
}

func fuzzError(t checker, data []byte, err error) {
	t.Helper()
	if !errors.Is(err, ErrBadFrame) {
		t.Fatalf("% x: error %v does not wrap ErrBadFrame", data, err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("% x: message is not one line: %q", data, err)
	}
}

func fuzzClientMessage(t checker, data []byte) {
	t.Helper()
	m, err := DecodeClientMessage(data)
	if err != nil {
		fuzzError(t, data, err)
		return
	}
	enc := AppendClientMessage(nil, m)
	if !bytes.Equal(enc, data) {
		t.Fatalf("not canonical: decoded % x, encodes as % x", data, enc)
	}
	again, err := DecodeClientMessage(enc)
	if err != nil || !reflect.DeepEqual(again, m) {
		t.Fatalf("% x: second decode: %v\n%#v\n%#v", data, err, again, m)
	}
}

func fuzzNotification(t checker, data []byte) {
	t.Helper()
	n, err := DecodeNotification(data)
	if err != nil {
		fuzzError(t, data, err)
		return
	}
	enc := AppendNotification(nil, n)
	if !bytes.Equal(enc, data) {
		t.Fatalf("not canonical: decoded % x, encodes as % x", data, enc)
	}
	again, err := DecodeNotification(enc)
	if err != nil || again != n {
		t.Fatalf("% x: second decode: %v\n%#v\n%#v", data, err, again, n)
	}
}

func fuzzPacket(t checker, data []byte) {
	t.Helper()
	p, err := DecodePacket(data)
	if err != nil {
		fuzzError(t, data, err)
		return
	}
	enc := AppendPacket(nil, p)
	if !bytes.Equal(enc, data) {
		t.Fatalf("not canonical: decoded % x, encodes as % x", data, enc)
	}
	again, err := DecodePacket(enc)
	if err != nil || !reflect.DeepEqual(again, p) {
		t.Fatalf("% x: second decode: %v\n%#v\n%#v", data, err, again, p)
	}
}
