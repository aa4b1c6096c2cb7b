package histories

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"zoosim/tree"
)

var codecUpdate = flag.Bool("update", false, "rewrite the golden files in testdata")

// codecNormalize makes the record lists that the format cannot tell empty from nil (there is no
// record to say an empty list was there) nil, so a decoded history compares equal to the one
// encoded without cmpopts.EquateEmpty, which would also hide a lost empty slice inside a record.
func codecNormalize(h *History) *History {
	c := *h
	c.Ops = codecNilIfEmpty(c.Ops)
	c.Events = codecNilIfEmpty(c.Events)
	c.Faults = codecNilIfEmpty(c.Faults)
	c.Servers = codecNilIfEmpty(c.Servers)
	c.Recipes = codecNilIfEmpty(c.Recipes)
	c.Log = codecNilIfEmpty(c.Log)
	c.Final = codecNilIfEmpty(c.Final)
	c.Checkpoints = codecNilIfEmpty(c.Checkpoints)
	c.Applied = nil
	for _, list := range h.Applied {
		c.Applied = append(c.Applied, codecNilIfEmpty(list))
	}
	return &c
}

func codecNilIfEmpty[E any](s []E) []E {
	if len(s) == 0 {
		return nil
	}
	return s
}

// codecTB is what the helpers need of a *testing.T or a *rapid.T.
type codecTB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

func codecEncode(t codecTB, h *History) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, h); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return b.Bytes()
}

// codecRoundTrip encodes h, decodes it, and fails t unless the result equals h; it returns the
// encoding.
func codecRoundTrip(t codecTB, h *History) []byte {
	t.Helper()
	enc := codecEncode(t, h)
	got, err := Decode(bytes.NewReader(enc))
	if err != nil {
		t.Fatalf("Decode of an encoded history: %v\n%s", err, enc)
	}
	if diff := cmp.Diff(codecNormalize(h), codecNormalize(got)); diff != "" {
		t.Fatalf("Decode(Encode(h)) differs from h (-h +decoded):\n%s\nencoding:\n%s", diff, enc)
	}
	return enc
}

func TestCodecRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := codecGenHistory.Draw(t, "history")
		enc := codecRoundTrip(t, h)
		// Every line is JSON that a tool like jq reads, and every record starts with its type.
		lines := bytes.Split(bytes.TrimSuffix(enc, []byte("\n")), []byte("\n"))
		for i, line := range lines {
			if !json.Valid(line) {
				t.Fatalf("line %d is not valid JSON: %s", i+1, line)
			}
			if i > 0 && !bytes.HasPrefix(line, []byte(`{"type":"`)) {
				t.Fatalf("line %d does not start with its type: %s", i+1, line)
			}
		}
		// Encoding is a function of the history: a decoded history encodes to the same bytes.
		again, err := Decode(bytes.NewReader(enc))
		if err != nil {
			t.Fatal(err)
		}
		if enc2 := codecEncode(t, again); !bytes.Equal(enc, enc2) {
			t.Fatalf("re-encoding a decoded history changed it:\n%s\nvs\n%s", enc, enc2)
		}
	})
}

// TestCodecTimelineOrder checks that the timeline records come out in Seq order when the
// lists are each in Seq order, as a Recorder makes them.
func TestCodecTimelineOrder(t *testing.T) {
	h := codecTinyHistory()
	enc := codecEncode(t, h)
	var last int64 = -1
	for line := range bytes.Lines(enc) {
		var rec map[string]any
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		if err := dec.Decode(&rec); err != nil {
			t.Fatal(err)
		}
		var seq json.Number
		switch rec["type"] {
		case "op":
			seq = rec["invoke_seq"].(json.Number)
		case "fault":
			seq = rec["start_seq"].(json.Number)
		case "event", "server", "applied", "recipe":
			seq = rec["seq"].(json.Number)
		default:
			continue
		}
		n, _ := seq.Int64()
		if n <= last {
			t.Fatalf("seq %d after seq %d: %s", n, last, line)
		}
		last = n
	}
	if last < 10 {
		t.Fatalf("only %d seqs in the timeline", last)
	}
}

func TestCodecGolden(t *testing.T) {
	h := codecTinyHistory()
	enc := codecRoundTrip(t, h)
	path := filepath.Join("testdata", "tiny.jsonl")
	if *codecUpdate {
		if err := os.WriteFile(path, enc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(enc, want) {
		t.Errorf("the encoding of the tiny history differs from %s (the format drifted; if on purpose, run go test -run TestCodecGolden -update and review the diff):\ngot:\n%s\nwant:\n%s", path, enc, want)
	}
	got, err := Decode(bytes.NewReader(want))
	if err != nil {
		t.Fatalf("Decode(%s): %v", path, err)
	}
	if diff := cmp.Diff(codecNormalize(h), codecNormalize(got)); diff != "" {
		t.Errorf("Decode(%s) (-want +got):\n%s", path, diff)
	}
}

// TestCodecOtherSpellings decodes the golden history after a JSON tool re-wrote every line:
// keys sorted (so "type" is no longer first), HTML characters escaped, spaces added.
func TestCodecOtherSpellings(t *testing.T) {
	h := codecTinyHistory()
	enc := codecEncode(t, h)
	var out bytes.Buffer
	for line := range bytes.Lines(enc) {
		var rec map[string]any
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		if err := dec.Decode(&rec); err != nil {
			t.Fatal(err)
		}
		b, err := json.MarshalIndent(rec, "", "")
		if err != nil {
			t.Fatal(err)
		}
		out.Write(bytes.ReplaceAll(b, []byte("\n"), []byte(" ")))
		out.WriteString(" \r\n")
	}
	if bytes.Equal(out.Bytes(), enc) {
		t.Fatal("the re-written history is byte for byte the original: the test tests nothing")
	}
	got, err := Decode(&out)
	if err != nil {
		t.Fatalf("Decode of the re-written history: %v", err)
	}
	// The scenario is opaque JSON: the tool sorted its keys too, so compare its meaning.
	var want, have any
	if json.Unmarshal(h.Header.Scenario, &want) != nil || json.Unmarshal(got.Header.Scenario, &have) != nil || !cmp.Equal(want, have) {
		t.Errorf("scenario %s, want %s", got.Header.Scenario, h.Header.Scenario)
	}
	got.Header.Scenario = h.Header.Scenario
	if diff := cmp.Diff(codecNormalize(h), codecNormalize(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestCodecHeaderIsJSON checks that line 1 is the Header as encoding/json writes it with its
// json tags (for a header whose strings are valid UTF-8, which encoding/json keeps).
func TestCodecHeaderIsJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := codecGenHistory.Draw(t, "history")
		h.Header.Commit = strings.ToValidUTF8(h.Header.Commit, "?")
		enc := codecEncode(t, h)
		line1, _, _ := bytes.Cut(enc, []byte("\n"))
		var want bytes.Buffer
		je := json.NewEncoder(&want)
		je.SetEscapeHTML(false)
		if err := je.Encode(&h.Header); err != nil {
			t.Fatal(err)
		}
		if got := string(line1) + "\n"; got != want.String() {
			t.Fatalf("line 1 is\n%s\nencoding/json writes\n%s", got, want.String())
		}
	})
}

func TestCodecStrings(t *testing.T) {
	for _, tc := range []struct {
		s, want string
	}{
		{"/a/b", `"/a/b"`},
		{`q"b\`, `"q\"b\\"`},
		{"\n\t\r\x00\x7f", `"\n\t\r\u0000` + "\x7f" + `"`},
		{"é日本\u2028", `"é日本\u2028"`},
		{"a\xffb", `"a\udcffb"`},
		{"\xed\xa0\x80", `"\udced\udca0\udc80"`},
	} {
		if got := string(codecAppendString(nil, tc.s)); got != tc.want {
			t.Errorf("codecAppendString(%q) = %s, want %s", tc.s, got, tc.want)
		}
		d := codecDecoder{b: []byte(tc.want)}
		if got := string(d.strBytes()); got != tc.s || d.err != nil {
			t.Errorf("decoding %s = %q (%v), want %q", tc.want, got, d.err, tc.s)
		}
	}
	for _, tc := range []struct {
		in   string
		want string
	}{
		{`"\ud83d\ude00"`, "😀"},
		{`"\u00e9\/"`, "é/"},
	} {
		d := codecDecoder{b: []byte(tc.in)}
		if got := string(d.strBytes()); got != tc.want || d.err != nil {
			t.Errorf("decoding %s = %q (%v), want %q", tc.in, got, d.err, tc.want)
		}
	}
}

func TestCodecData(t *testing.T) {
	for _, tc := range []struct {
		data []byte
		want string
	}{
		{nil, `{"op":"setData"}`},
		{[]byte{}, `{"op":"setData","data":""}`},
		{[]byte("v1 é"), `{"op":"setData","data":"v1 é"}`},
		{[]byte("a\nb"), `{"op":"setData","data_b64":"YQpi"}`},
		{[]byte{0xff, 0}, `{"op":"setData","data_b64":"/wA="}`},
	} {
		e := codecEncoder{}
		e.request(&tree.Request{Type: tree.OpSetData, Data: tc.data})
		if got := string(e.b); got != tc.want {
			t.Errorf("data %q: %s, want %s", tc.data, got, tc.want)
		}
	}
}

func TestEncodeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    History
		want string
	}{
		{"applied lists beyond the servers", History{Header: Header{Servers: 1}, Applied: make([][]Applied, 2)}, "2 applied lists"},
		{"nil txn", History{Log: []*tree.Txn{nil}}, "log entry 0 is nil"},
		{"scenario not JSON", History{Header: Header{Scenario: json.RawMessage("{")}}, "header"},
	} {
		var b bytes.Buffer
		err := Encode(&b, &tc.h)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Encode = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	good := string(codecEncode(t, codecTinyHistory()))
	lines := strings.SplitAfter(good, "\n")
	lines = lines[:len(lines)-1] // the empty string after the last newline
	header, body, endLine := lines[0], lines[1:len(lines)-1], lines[len(lines)-1]
	join := func(ls ...string) string { return strings.Join(ls, "") }
	// withLine replaces the first record of the given type that contains has by f of it.
	withLine := func(kind, has string, f func(string) string) string {
		out := []string{header}
		done := false
		for _, l := range body {
			if !done && strings.HasPrefix(l, `{"type":"`+kind+`"`) && strings.Contains(l, has) {
				l, done = f(l), true
			}
			out = append(out, l)
		}
		if !done {
			t.Fatalf("the tiny history has no %s record with %s", kind, has)
		}
		return join(append(out, endLine)...)
	}
	replace := func(kind, old, new string) string {
		return withLine(kind, old, func(l string) string { return strings.Replace(l, old, new, 1) })
	}
	n := len(lines)
	for _, tc := range []struct {
		name  string
		input string
		sent  error
		want  string
	}{
		{"empty", "", ErrNotHistory, "empty"},
		{"not JSON", "hello\n", ErrNotHistory, "line 1 is not a JSON object"},
		{"JSON array", "[1,2]\n", ErrNotHistory, "not a JSON object"},
		{"no format", `{"seed":1}` + "\n", ErrNotHistory, "no format"},
		{"format not a string", `{"format":3}` + "\n", ErrNotHistory, "not a string"},
		{"foreign format", `{"format":"otel/1"}` + "\n", ErrNotHistory, `format "otel/1" is not "zoosim-history/1"`},
		{"other version", `{"format":"zoosim-history/2","seed":1}` + "\n", ErrNotHistory, `"zoosim-history/2" is a version`},
		{"unknown header field", strings.Replace(good, `"seed"`, `"sead"`, 1), ErrBadHistory, `line 1 col 30: header: unknown field "sead"`},
		{"bad header value", strings.Replace(good, `"fb5d1ae","servers":3`, `"fb5d1ae","servers":"3"`, 1), ErrBadHistory, `header, field "servers": expected an integer, found "\"3\"`},
		{"servers out of range", strings.Replace(good, `"fb5d1ae","servers":3`, `"fb5d1ae","servers":100000000`, 1), ErrBadHistory, "servers 100000000 is out of range"},
		{"truncated at a line boundary", join(lines[:n-2]...), ErrBadHistory, "without its end record"},
		{"truncated in a line", good[:len(good)-len(endLine)-7], ErrBadHistory, "line "},
		{"header only", header, ErrBadHistory, "line 2: the file ends without its end record"},
		{"a line lost", join(append([]string{header}, append(body[1:], endLine)...)...), ErrBadHistory, "the end record counts"},
		{"record after end", good + body[0], ErrBadHistory, "a record after the end record"},
		{"empty line", join(header, "\n", join(body...), endLine), ErrBadHistory, "line 2 col 1: empty line"},
		{"garbage line", join(header, "%%%\n", join(body...), endLine), ErrBadHistory, "line 2 col 1: expected an object"},
		{"unknown record type", join(header, `{"type":"opp","id":0}`+"\n", join(body...), endLine), ErrBadHistory, `unknown record type "opp"`},
		{"no record type", join(header, `{"id":0}`+"\n", join(body...), endLine), ErrBadHistory, "the record has no type"},
		{"unknown field", replace("op", `"xid"`, `"xod"`), ErrBadHistory, `op record: unknown field "xod"`},
		{"field of another record", replace("op", `"xid"`, `"epoch"`), ErrBadHistory, `op record, field "epoch": unknown field`},
		{"unknown outcome", replace("op", `"outcome":"ok"`, `"outcome":"okk"`), ErrBadHistory, `field "outcome": unknown outcome "okk"`},
		{"unknown code", replace("op", `"err":"NoNode"`, `"err":"NoNodes"`), ErrBadHistory, `unknown code "NoNodes"`},
		{"unknown op type", replace("op", `"op":"create"`, `"op":"make"`), ErrBadHistory, `field "op": unknown op "make"`},
		{"fractional number", replace("op", `"xid":1`, `"xid":1.5`), ErrBadHistory, `field "xid": expected an integer, found "1.5`},
		{"int32 out of range", replace("op", `"xid":1`, `"xid":4294967296`), ErrBadHistory, "out of range"},
		{"bad zxid", replace("op", `"zxid":"0x100000001"`, `"zxid":"100000001"`), ErrBadHistory, `field "zxid": expected a hex number`},
		{"bad server", replace("op", `"server":"s1"`, `"server":"x1"`), ErrBadHistory, `unknown server "x1"`},
		{"server zero", replace("op", `"server":"s1"`, `"server":"s0"`), ErrBadHistory, `unknown server "s0"`},
		{"id out of sequence", replace("op", `"id":0`, `"id":5`), ErrBadHistory, "op id 5 is out of sequence: expected 0"},
		{"fault id out of sequence", replace("fault", `"id":0`, `"id":1`), ErrBadHistory, "fault id 1 is out of sequence"},
		{"unterminated string", replace("op", `"path":"/a"`, `"path":"/a`), ErrBadHistory, `expected ',' or '}'`},
		{"string cut by the end of the line", join(header, `{"type":"op","id":0,"req":{"path":"/a`+"\n", endLine), ErrBadHistory, "line 2 col 38: op record, field \"path\": unterminated string"},
		{"bad escape", replace("op", `"path":"/a"`, `"path":"/\a"`), ErrBadHistory, `bad escape \a`},
		{"unpaired surrogate", replace("op", `"path":"/a"`, `"path":"\ud800"`), ErrBadHistory, "unpaired surrogate"},
		{"bad base64", replace("txn", `"txn":"`, `"txn":"*`), ErrBadHistory, "bad base64"},
		{"bad txn encoding", replace("txn", `"txn":"`, `"txn":"AAAA`), ErrBadHistory, "tree: bad encoding"},
		{"txn fields disagree", replace("txn", `"path":"/a"`, `"path":"/b"`), ErrBadHistory, `path "/b" disagrees with the encoded txn's "/a"`},
		{"applied to a server the header lacks", replace("applied", `"server":"s`, `"server":"s9`), ErrBadHistory, "is not one of the header's 3 servers"},
		{"trailing text", replace("op", "}\n", "} x\n"), ErrBadHistory, "expected the end of the line"},
		{"trailing comma", replace("op", "}\n", ",}\n"), ErrBadHistory, "expected a string"},
		{"second liveness", withLine("liveness", "", func(l string) string { return l + l }), ErrBadHistory, "a second liveness record"},
		{"deep nesting", replace("op", `"req":{`, `"req":{"ops":[`+strings.Repeat(`{"ops":[`, 70)), ErrBadHistory, "nested deeper than 64"},
		{"deep nesting in a skipped value", join(header, `{"id":`+strings.Repeat("[", 100)+"\n", endLine), ErrBadHistory, "nested deeper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Decode(strings.NewReader(tc.input))
			if err == nil {
				t.Fatalf("Decode succeeded: %+v", h)
			}
			if !errors.Is(err, tc.sent) {
				t.Errorf("error %q does not wrap %v", err, tc.sent)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
			if tc.sent == ErrBadHistory && !strings.Contains(err.Error(), "line ") {
				t.Errorf("error %q names no line", err)
			}
		})
	}
}

// TestDecodeReadError checks that an error of the reader is returned as it is, with the line.
func TestDecodeReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := Decode(&codecFailingReader{data: codecEncode(t, codecTinyHistory())[:200], err: boom})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "reading line") {
		t.Fatalf("Decode = %v, want the reader's error with the line", err)
	}
}

type codecFailingReader struct {
	data []byte
	err  error
}

func (r *codecFailingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// codecTinyHistory is a small history as a Recorder would make it for a 3-server run of two
// clients: every record type, reads and writes that succeed, fail and never return, a multi,
// watch and session events, a fault, binary data.
func codecTinyHistory() *History {
	const ms = Time(1_000_000)
	sess1, sess2 := tree.SessionID(0x1000000000001), tree.SessionID(0x2000000000001)
	r := NewRecorder(Header{Seed: 42, Scenario: json.RawMessage(`{"servers":3,"clients":2,"workload":"register"}`), Commit: "fb5d1ae"}, 3, 100*ms, nil)
	// The trace samples come from a counter, so the checkpoints are deterministic.
	events := uint64(0)
	r.sample = func() (uint64, uint64) { events += 1000; return events, events * 0x9e3779b97f4a7c15 }
	r.Server(10*ms, ServerEvent{Server: 0, Kind: Boot, Leader: -1})
	r.Server(10*ms, ServerEvent{Server: 1, Kind: Boot, Leader: -1})
	r.Server(10*ms, ServerEvent{Server: 2, Kind: Boot, Leader: -1})
	r.Server(300*ms, ServerEvent{Server: 0, Kind: Role, Role: Leading, Epoch: 1, Leader: 0, Serving: true})
	r.Server(301*ms, ServerEvent{Server: 1, Kind: Role, Role: Following, Epoch: 1, Leader: 0, Serving: true})
	r.Event(350*ms, Event{Client: 0, Session: sess1, State: Connected, Type: tree.EventNone, Server: 0, Timeout: 4000})
	txn1 := &tree.Txn{Header: tree.Header{Session: sess1, Cxid: 1, Zxid: 0x100000001, Time: 350}, Type: tree.OpCreate, Path: "/a",
		Data: []byte("v0"), ACL: tree.OpenACLUnsafe, ParentCversion: 1, Digest: 0xabcdef}
	r.Invoke(351*ms, 0, sess1, 1, &tree.Request{Type: tree.OpCreate, Path: "/a", Data: []byte("v0"), ACL: tree.OpenACLUnsafe})
	for s := range 3 {
		r.Apply(352*ms+Time(s)*ms, s, 1, txn1)
	}
	r.Return(355*ms, 0, 1, tree.OK, 0, 0x100000001, &tree.Result{Type: tree.OpCreate, Path: "/a"})
	r.Invoke(360*ms, 1, sess2, 1, &tree.Request{Type: tree.OpGetData, Path: "/a", Watch: true})
	r.Return(362*ms, 1, 1, tree.OK, 1, 0x100000001, &tree.Result{Type: tree.OpGetData, Path: "/a", Data: []byte("v0"), HasStat: true,
		Stat: tree.Stat{Czxid: 0x100000001, Mzxid: 0x100000001, Ctime: 350, Mtime: 350, DataLength: 2, Pzxid: 0x100000001}})
	txn2 := &tree.Txn{Header: tree.Header{Session: sess1, Cxid: 2, Zxid: 0x100000002, Time: 400}, Type: tree.OpMulti,
		Ops: []tree.Txn{{Type: tree.OpSetData, Path: "/a", Data: []byte{0xff, 0x00, 0x01}, Version: 1}, {Type: tree.OpCreate, Path: "/a/seq-0000000000", EphemeralOwner: int64(sess1), ParentCversion: 1}}}
	r.Invoke(399*ms, 0, sess1, 2, &tree.Request{Type: tree.OpMulti, Ops: []tree.Request{
		{Type: tree.OpSetData, Path: "/a", Data: []byte{0xff, 0x00, 0x01}, Version: -1},
		{Type: tree.OpCreate, Path: "/a/seq-", Data: []byte{}, ACL: tree.OpenACLUnsafe, Mode: tree.EphemeralSequential}}})
	for s := range 2 {
		r.Apply(401*ms, s, 1, txn2)
	}
	r.Event(402*ms, Event{Client: 1, Session: sess2, Type: tree.EventNodeDataChanged, Path: "/a", Zxid: 0x100000002, Server: 1})
	r.Return(403*ms, 0, 2, tree.OK, 0, 0x100000002, &tree.Result{Type: tree.OpMulti, Multi: []tree.Result{
		{Type: tree.OpSetData, Path: "/a", HasStat: true, Stat: tree.Stat{Czxid: 0x100000001, Mzxid: 0x100000002, Ctime: 350, Mtime: 400, Version: 1, DataLength: 3, Pzxid: 0x100000001}},
		{Type: tree.OpCreate, Path: "/a/seq-0000000000"}}})
	f := r.FaultStart(450*ms, Fault{Kind: FaultPartition, Groups: [][]int{{0}, {1, 2}}, Detail: "isolate the leader"})
	r.Invoke(460*ms, 1, sess2, 2, &tree.Request{Type: tree.OpDelete, Path: "/b", Version: -1})
	r.Return(470*ms, 1, 2, tree.NoNode, 1, 0x100000002, &tree.Result{Type: tree.OpError, Err: tree.NoNode})
	r.Invoke(480*ms, 0, sess1, 3, &tree.Request{Type: tree.OpSetData, Path: "/a", Data: []byte("v2"), Version: 1})
	r.Event(500*ms, Event{Client: 0, Session: sess1, State: Disconnected, Type: tree.EventNone, Server: -1})
	r.Server(520*ms, ServerEvent{Server: 0, Kind: Crash, Zxid: 0x100000002})
	r.FaultEnd(600*ms, f)
	r.Server(640*ms, ServerEvent{Server: 1, Kind: Role, Role: Looking, Epoch: 1, Leader: -1, Zxid: 0x100000002})
	r.Recipe(650*ms, RecipeEvent{Process: 3, Client: 0, Session: sess1, Recipe: RecipeLock, Step: "acquired", Name: "/a",
		Node: "/a/lock-0000000000", Token: 0x100000001, Value: "v\x00"})
	r.SetLiveness(Liveness{Healed: 600 * ms, Pending: "server s1 down"})
	h := r.Finish(700*ms, 5500, 0x1234abcd5678ef90, []Final{
		{Server: 0, Epoch: 1, Zxid: 0x100000002, Digest: 0x1111},
		{Server: 1, Up: true, Role: Looking, Epoch: 1, Zxid: 0x100000002, Digest: 0x1111},
		{Server: 2, Up: true, Role: Following, Epoch: 1, Zxid: 0x100000001, Digest: 0x2222},
	})
	h.Liveness.At = Never
	return h
}

// The generators draw every value the format must carry, not only those a run makes: names
// and values without names, nil and empty slices, strings of any bytes, Never and ordinary
// times. Records are drawn independently (ids and the log's zxid order are the only rules).

func codecGenSlice[E any](t *rapid.T, label string, elem *rapid.Generator[E], max int) []E {
	switch rapid.IntRange(0, 3).Draw(t, label+" shape") {
	case 0:
		return nil
	case 1:
		return []E{}
	}
	return rapid.SliceOfN(elem, 1, max).Draw(t, label)
}

var (
	codecGenText = rapid.OneOf(
		rapid.Just(""),
		rapid.SampledFrom([]string{"/", "/hot1", "/a/b/c", "world", "anyone", `q"uo\te`, "tab\tnew\nline", "\u2028\u2029\x7f\x00",
			"é/ü/日本/😀", "\xff\xfe", "\xed\xa0\x80", "\xf0\x9f", "</script>&"}),
		rapid.String(),
		rapid.Map(rapid.SliceOf(rapid.Byte()), func(b []byte) string { return string(b) }),
	)
	codecGenData = rapid.Custom(func(t *rapid.T) []byte {
		switch rapid.IntRange(0, 3).Draw(t, "data shape") {
		case 0:
			return nil
		case 1:
			return []byte{}
		case 2:
			return []byte(rapid.StringMatching(`[ -~]{1,12}`).Draw(t, "text"))
		}
		return rapid.SliceOfN(rapid.Byte(), 1, 12).Draw(t, "bytes")
	})
	codecGenInt64 = rapid.OneOf(rapid.Just[int64](0), rapid.Int64(), rapid.Int64Range(-3, 1<<40))
	codecGenInt32 = rapid.OneOf(rapid.Just[int32](0), rapid.Int32(), rapid.Int32Range(-2, 100))
	codecGenTime  = rapid.OneOf(rapid.Just[Time](0), rapid.Just(Never), rapid.Map(rapid.Int64Range(-1, 1<<45), func(v int64) Time { return Time(v) }),
		rapid.Map(rapid.Int64(), func(v int64) Time { return Time(v) }))
	codecGenSeq = rapid.OneOf(rapid.Just[Seq](0), rapid.Map(rapid.Uint64Range(1, 1000), func(v uint64) Seq { return Seq(v) }),
		rapid.Map(rapid.Uint64(), func(v uint64) Seq { return Seq(v) }))
	codecGenZxid    = rapid.Map(codecGenInt64, func(v int64) tree.Zxid { return tree.Zxid(v) })
	codecGenSession = rapid.Map(codecGenInt64, func(v int64) tree.SessionID { return tree.SessionID(v) })
	codecGenUint64  = rapid.OneOf(rapid.Just[uint64](0), rapid.Uint64())
	// Indices of servers and clients: -1 (none), small ones, and values without a name.
	codecGenServer = rapid.OneOf(rapid.IntRange(-1, 4), rapid.Just(-7), rapid.Just(0))
	codecGenClient = rapid.OneOf(rapid.IntRange(0, 30), rapid.Just(-2))
	codecGenOp     = rapid.OneOf(rapid.SampledFrom(codecSorted(codecOpByName)), rapid.Just(tree.OpCode(23)), rapid.Just(tree.OpCode(-99)))
	codecGenCode   = rapid.OneOf(rapid.SampledFrom(codecSorted(codecCodeByName)), rapid.Just(tree.Code(-999)))
	codecGenPerm   = rapid.OneOf(rapid.Map(rapid.IntRange(0, int(tree.PermAll)), func(v int) tree.Perm { return tree.Perm(v) }),
		rapid.Just(tree.Perm(-1)), rapid.Just(tree.Perm(1<<7|1)))
	codecGenACL = rapid.Custom(func(t *rapid.T) tree.ACL {
		return tree.ACL{Perms: codecGenPerm.Draw(t, "perms"), ID: tree.ID{Scheme: codecGenText.Draw(t, "scheme"), ID: codecGenText.Draw(t, "id")}}
	})
)

// codecSorted returns a name table's values in order, so draws do not depend on map order.
func codecSorted[V ~int32 | ~uint8](names map[string]V) []V {
	var vs []V
	for _, v := range names {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

func codecGenRequest(t *rapid.T, depth int) tree.Request {
	r := tree.Request{
		Type:        codecGenOp.Draw(t, "op"),
		Path:        codecGenText.Draw(t, "path"),
		Data:        codecGenData.Draw(t, "data"),
		ACL:         codecGenSlice(t, "acl", codecGenACL, 2),
		Mode:        tree.CreateMode(rapid.SampledFrom([]int32{0, 1, 2, 3, 4, 5, 6, 9, -1}).Draw(t, "mode")),
		TTL:         codecGenInt64.Draw(t, "ttl"),
		Version:     codecGenInt32.Draw(t, "version"),
		Watch:       rapid.Bool().Draw(t, "watch"),
		Timeout:     codecGenInt32.Draw(t, "timeout"),
		WatchMode:   tree.WatchMode(rapid.SampledFrom([]uint8{0, 1, 2, 7}).Draw(t, "watch mode")),
		WatcherType: tree.WatcherType(rapid.SampledFrom([]int32{0, 1, 2, 3, 9}).Draw(t, "watcher type")),
	}
	sw := &tree.SetWatches{
		RelativeZxid:               codecGenZxid.Draw(t, "relative zxid"),
		DataWatches:                codecGenSlice(t, "data watches", codecGenText, 2),
		ExistWatches:               codecGenSlice(t, "exist watches", codecGenText, 2),
		ChildWatches:               codecGenSlice(t, "child watches", codecGenText, 2),
		PersistentWatches:          codecGenSlice(t, "persistent watches", codecGenText, 2),
		PersistentRecursiveWatches: codecGenSlice(t, "recursive watches", codecGenText, 2),
	}
	if sw.RelativeZxid != 0 || sw.DataWatches != nil || sw.ExistWatches != nil || sw.ChildWatches != nil ||
		sw.PersistentWatches != nil || sw.PersistentRecursiveWatches != nil {
		r.SetWatches = sw // one with nothing set encodes as none
	}
	if depth < 2 {
		r.Ops = codecGenSlice(t, "ops", rapid.Custom(func(t *rapid.T) tree.Request { return codecGenRequest(t, depth+1) }), 3)
	}
	return r
}

func codecGenStat(t *rapid.T) tree.Stat {
	if rapid.Bool().Draw(t, "zero stat") {
		return tree.Stat{}
	}
	return tree.Stat{
		Czxid: codecGenZxid.Draw(t, "czxid"), Mzxid: codecGenZxid.Draw(t, "mzxid"),
		Ctime: codecGenInt64.Draw(t, "ctime"), Mtime: codecGenInt64.Draw(t, "mtime"),
		Version: codecGenInt32.Draw(t, "version"), Cversion: codecGenInt32.Draw(t, "cversion"),
		Aversion: codecGenInt32.Draw(t, "aversion"), EphemeralOwner: codecGenInt64.Draw(t, "owner"),
		DataLength: codecGenInt32.Draw(t, "data length"), NumChildren: codecGenInt32.Draw(t, "children"),
		Pzxid: codecGenZxid.Draw(t, "pzxid"),
	}
}

func codecGenResult(t *rapid.T, depth int) tree.Result {
	if depth == 0 && rapid.Bool().Draw(t, "no result") {
		return tree.Result{}
	}
	r := tree.Result{
		Type:     codecGenOp.Draw(t, "op"),
		Err:      codecGenCode.Draw(t, "err"),
		Path:     codecGenText.Draw(t, "path"),
		Stat:     codecGenStat(t),
		HasStat:  rapid.Bool().Draw(t, "has stat"),
		Data:     codecGenData.Draw(t, "data"),
		Children: codecGenSlice(t, "children", codecGenText, 3),
		ACL:      codecGenSlice(t, "acl", codecGenACL, 2),
		Paths:    codecGenSlice(t, "paths", codecGenText, 2),
		Count:    codecGenInt32.Draw(t, "count"),
	}
	if depth < 2 {
		r.Multi = codecGenSlice(t, "multi", rapid.Custom(func(t *rapid.T) tree.Result { return codecGenResult(t, depth+1) }), 3)
	}
	return r
}

// codecGenTxn draws a txn that tree's codec carries: a write or error type, sub-txns that are
// not multis and have no ops of their own, known codes.
func codecGenTxn(t *rapid.T, sub bool) tree.Txn {
	var types []tree.OpCode
	for _, o := range codecSorted(codecOpByName) {
		if (o.IsWrite() || o == tree.OpError) && !(sub && o == tree.OpMulti) {
			types = append(types, o)
		}
	}
	x := tree.Txn{
		Header: tree.Header{Session: codecGenSession.Draw(t, "session"), Cxid: codecGenInt32.Draw(t, "cxid"),
			Time: codecGenInt64.Draw(t, "time")},
		Type:           rapid.SampledFrom(types).Draw(t, "type"),
		Path:           codecGenText.Draw(t, "path"),
		Data:           codecGenData.Draw(t, "data"),
		ACL:            codecGenSlice(t, "acl", codecGenACL, 2),
		EphemeralOwner: codecGenInt64.Draw(t, "owner"),
		ParentCversion: codecGenInt32.Draw(t, "parent cversion"),
		Version:        codecGenInt32.Draw(t, "version"),
		Timeout:        codecGenInt32.Draw(t, "timeout"),
		Paths:          codecGenSlice(t, "paths", codecGenText, 2),
		Err:            rapid.SampledFrom(codecSorted(codecCodeByName)).Draw(t, "err"),
		Digest:         codecGenUint64.Draw(t, "digest"),
	}
	if !sub {
		x.Ops = codecGenSlice(t, "ops", rapid.Custom(func(t *rapid.T) tree.Txn { return codecGenTxn(t, true) }), 3)
	}
	return x
}

var codecGenHistory = rapid.Custom(func(t *rapid.T) *History {
	servers := rapid.IntRange(0, 5).Draw(t, "servers")
	h := &History{Header: Header{
		Format:    Format,
		Seed:      codecGenUint64.Draw(t, "seed"),
		Commit:    codecGenText.Draw(t, "commit"),
		Servers:   servers,
		Clients:   rapid.IntRange(0, 30).Draw(t, "clients"),
		TraceHash: codecGenUint64.Draw(t, "trace hash"),
		Events:    codecGenUint64.Draw(t, "events"),
		End:       codecGenTime.Draw(t, "end"),
	}}
	if rapid.Bool().Draw(t, "scenario") {
		sc, err := json.Marshal(map[string]any{"servers": servers, "name": codecGenText.Draw(t, "scenario name"),
			"rate": rapid.Float64().Draw(t, "rate"), "faults": []string{"crash", "<partition>"}})
		if err != nil {
			t.Fatal(err)
		}
		h.Header.Scenario = sc
	}
	for i := range rapid.IntRange(0, 6).Draw(t, "ops") {
		op := Op{ID: i, Client: codecGenClient.Draw(t, "client"), Session: codecGenSession.Draw(t, "session"),
			Xid: codecGenInt32.Draw(t, "xid"), Req: codecGenRequest(t, 0),
			Invoke: codecGenTime.Draw(t, "invoke"), InvokeSeq: codecGenSeq.Draw(t, "invoke seq"),
			Return: codecGenTime.Draw(t, "return"), ReturnSeq: codecGenSeq.Draw(t, "return seq"),
			Outcome: Outcome(rapid.SampledFrom([]uint8{0, 1, 2, 3, 9}).Draw(t, "outcome")),
			Err:     codecGenCode.Draw(t, "err"), Server: codecGenServer.Draw(t, "server"),
			Zxid: codecGenZxid.Draw(t, "zxid"), Result: codecGenResult(t, 0)}
		h.Ops = append(h.Ops, op)
	}
	events := append(codecSorted(codecEventByName), 0, 42)
	for range rapid.IntRange(0, 4).Draw(t, "events") {
		h.Events = append(h.Events, Event{Client: codecGenClient.Draw(t, "client"), Session: codecGenSession.Draw(t, "session"),
			Time: codecGenTime.Draw(t, "time"), Seq: codecGenSeq.Draw(t, "seq"),
			Type:  rapid.SampledFrom(events).Draw(t, "type"),
			State: SessionState(rapid.SampledFrom([]uint8{0, 1, 2, 3, 4, 5, 8}).Draw(t, "state")),
			Path:  codecGenText.Draw(t, "path"), Zxid: codecGenZxid.Draw(t, "zxid"),
			Server: codecGenServer.Draw(t, "server"), Timeout: codecGenInt64.Draw(t, "timeout")})
	}
	kinds := []FaultKind{"", FaultCrash, FaultPartition, FaultOneWay, FaultBridge, FaultRing, FaultIsolate, FaultClog, FaultSwizzle,
		FaultPause, FaultDisk, FaultClientReset, FaultCrashAfterWrite, FaultCrashProposing, "a new kind"}
	for i := range rapid.IntRange(0, 3).Draw(t, "faults") {
		group := rapid.OneOf(rapid.Just[[]int](nil), rapid.SliceOfN(codecGenServer, 0, 3))
		h.Faults = append(h.Faults, Fault{ID: i, Kind: rapid.SampledFrom(kinds).Draw(t, "kind"),
			Servers: codecGenSlice(t, "servers", codecGenServer, 3), Clients: codecGenSlice(t, "clients", codecGenClient, 3),
			Groups: codecGenSlice(t, "groups", group, 3), Detail: codecGenText.Draw(t, "detail"),
			Start: codecGenTime.Draw(t, "start"), StartSeq: codecGenSeq.Draw(t, "start seq"),
			End: codecGenTime.Draw(t, "end"), EndSeq: codecGenSeq.Draw(t, "end seq")})
	}
	for range rapid.IntRange(0, 4).Draw(t, "server events") {
		h.Servers = append(h.Servers, ServerEvent{Server: codecGenServer.Draw(t, "server"), Time: codecGenTime.Draw(t, "time"),
			Seq: codecGenSeq.Draw(t, "seq"), Kind: ServerEventKind(rapid.SampledFrom([]uint8{0, 1, 2, 3, 4, 6}).Draw(t, "kind")),
			Role:  ServerRole(rapid.SampledFrom([]uint8{0, 1, 2, 3, 7}).Draw(t, "role")),
			Epoch: codecGenInt64.Draw(t, "epoch"), Leader: codecGenServer.Draw(t, "leader"),
			Serving: rapid.Bool().Draw(t, "serving"), Zxid: codecGenZxid.Draw(t, "zxid"), Detail: codecGenText.Draw(t, "detail")})
	}
	for range rapid.IntRange(0, 3).Draw(t, "recipe events") {
		h.Recipes = append(h.Recipes, RecipeEvent{Process: rapid.IntRange(-1, 30).Draw(t, "process"), Client: codecGenClient.Draw(t, "client"),
			Session: codecGenSession.Draw(t, "session"), Time: codecGenTime.Draw(t, "time"), Seq: codecGenSeq.Draw(t, "seq"),
			Recipe: codecGenText.Draw(t, "recipe"), Step: codecGenText.Draw(t, "step"), Name: codecGenText.Draw(t, "name"),
			Node: codecGenText.Draw(t, "node"), Token: codecGenInt64.Draw(t, "token"), Value: codecGenText.Draw(t, "value")})
	}
	h.Applied = make([][]Applied, servers)
	for s := range servers {
		for range rapid.IntRange(0, 3).Draw(t, "applied") {
			h.Applied[s] = append(h.Applied[s], Applied{Zxid: codecGenZxid.Draw(t, "zxid"),
				Incarnation: rapid.IntRange(-1, 3).Draw(t, "incarnation"), Time: codecGenTime.Draw(t, "time"),
				Seq: codecGenSeq.Draw(t, "seq"), Type: codecGenOp.Draw(t, "type"), Session: codecGenSession.Draw(t, "session"),
				Cxid: codecGenInt32.Draw(t, "cxid"), Digest: codecGenUint64.Draw(t, "digest")})
		}
	}
	zxids := rapid.SliceOfNDistinct(codecGenInt64, 0, 4, rapid.ID).Draw(t, "log zxids")
	slices.Sort(zxids)
	for _, z := range zxids {
		x := codecGenTxn(t, false)
		x.Zxid = tree.Zxid(z)
		h.Log = append(h.Log, &x)
	}
	roles := []ServerRole{0, Looking, Following, Leading, 9}
	for range rapid.IntRange(0, 3).Draw(t, "final") {
		h.Final = append(h.Final, Final{Server: codecGenServer.Draw(t, "server"), Up: rapid.Bool().Draw(t, "up"),
			Role: rapid.SampledFrom(roles).Draw(t, "role"), Epoch: codecGenInt64.Draw(t, "epoch"),
			Zxid: codecGenZxid.Draw(t, "zxid"), Digest: codecGenUint64.Draw(t, "digest")})
	}
	for range rapid.IntRange(0, 3).Draw(t, "checkpoints") {
		h.Checkpoints = append(h.Checkpoints, Checkpoint{Time: codecGenTime.Draw(t, "time"),
			Events: codecGenUint64.Draw(t, "events"), Hash: codecGenUint64.Draw(t, "hash")})
	}
	if rapid.Bool().Draw(t, "liveness") {
		h.Liveness = Liveness{Healed: codecGenTime.Draw(t, "healed"), Converged: rapid.Bool().Draw(t, "converged"),
			At: codecGenTime.Draw(t, "at"), Pending: codecGenText.Draw(t, "pending")}
	}
	return h
})
