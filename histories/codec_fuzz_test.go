package histories

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecode checks that Decode never panics, that whatever it refuses it refuses with a
// one-line error wrapping ErrBadHistory or ErrNotHistory, and that whatever it accepts
// survives the round trip: encoding the decoded history and decoding it again gives it back.
func FuzzDecode(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "tiny.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	lines := bytes.SplitAfter(golden, []byte("\n"))
	for _, n := range []int{1, 2, 5, len(lines) - 2} {
		f.Add(bytes.Join(lines[:n], nil)) // truncated at a line boundary
	}
	for _, cut := range []int{10, 300, len(golden) / 2, len(golden) - 3} {
		f.Add(golden[:cut]) // truncated inside a line
	}
	header := lines[0]
	for _, s := range []string{
		"",
		"\n",
		"garbage",
		"\x00\xff\xfe{[",
		`{"format":"zoosim-history/2"}`,
		`{"format":"zoosim-history/1","servers":2}` + "\n" + `{"type":"end","records":0}`,
		string(header) + `{"type":"op","id":0,"req":{"op":"multi","ops":[{"op":"create","data_b64":"AAE="}]}}` + "\n" + `{"type":"end","records":1}`,
		string(header) + `{"id":0,"type":"op","client":"c3","result":{"stat":{},"stat_unset":true,"multi":[{}]}}` + "\n" + `{"type":"end","records":1}`,
		string(header) + `{"type":"applied","server":"s2"}` + "\n" + `{"type":"end","records":1}`,
		string(header) + `{"type":"txn","txn":"AAAA"}` + "\n",
		string(header) + `{"type":"event","path":"\udcff\ud83d\ude00\u00e9"}` + "\n" + `{"type":"end","records":1}`,
		string(header) + `{"type":"fault","id":0,"groups":[null,[],["s1","-",-5]]}` + "\n" + `{"type":"end","records":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		h, err := Decode(bytes.NewReader(input))
		if err != nil {
			if !errors.Is(err, ErrBadHistory) && !errors.Is(err, ErrNotHistory) {
				t.Fatalf("error %q wraps neither ErrBadHistory nor ErrNotHistory", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is not one line", err)
			}
			return
		}
		var enc bytes.Buffer
		if err := Encode(&enc, h); err != nil {
			t.Fatalf("Encode of a decoded history: %v", err)
		}
		again, err := Decode(&enc)
		if err != nil {
			t.Fatalf("Decode of the re-encoded history: %v\n%s", err, enc.String())
		}
		if diff := cmp.Diff(codecNormalize(h), codecNormalize(again)); diff != "" {
			t.Fatalf("the decoded history does not survive a round trip (-decoded +again):\n%s", diff)
		}
	})
}
