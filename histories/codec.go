package histories

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"zoosim/tree"
)

// This file holds the history file format (DESIGN.md "histories and models"): JSON lines that a
// person can read with jq and that Decode turns back into exactly the History that Encode wrote.
//
// # Layout
//
// Line 1 is the header: the Header struct as encoding/json writes it with its json tags, on one
// line, with format "zoosim-history/1" (without HTML escapes, and with the string escapes below
// so that any bytes survive). Then one record per line, each a JSON object whose first
// field "type" names it:
//
//   - the timeline: "op", "event", "fault", "server", "recipe" and "applied" records merged in
//     Seq order (an op at its invoke, a fault at its start), so reading the file top down reads
//     the run;
//   - "txn": the committed log, in zxid order;
//   - "checkpoint": the trace samples, in order;
//   - "final": each server's state at the end, in order;
//   - "liveness": what the liveness phase found (left out when it is the zero value);
//   - "end": the last line, {"type":"end","records":N} with N the number of records between
//     the header and it. A file cut short at a line boundary still decodes as JSON, so the end
//     record is what tells a truncated history from a complete one.
//
// Each record lists the fields of its Go struct in a fixed order, in snake_case. One line of each
// type, from testdata/tiny.jsonl (a whole history of a 3-server, 2-client run):
//
//	{"type":"op","id":3,"client":"c1","session":"0x2000000000001","xid":2,"invoke":460000000,"invoke_seq":20,"req":{"op":"delete","path":"/b","version":-1},"return":470000000,"return_seq":21,"outcome":"fail","err":"NoNode","server":"s2","zxid":"0x100000002","result":{"op":"error","err":"NoNode"}}
//	{"type":"event","client":"c1","session":"0x2000000000001","time":402000000,"seq":17,"event":"NodeDataChanged","path":"/a","zxid":"0x100000002","server":"s2"}
//	{"type":"fault","id":0,"kind":"partition","groups":[["s1"],["s2","s3"]],"detail":"isolate the leader","start":450000000,"start_seq":19,"end":600000000,"end_seq":25}
//	{"type":"server","server":"s1","time":300000000,"seq":4,"kind":"role","role":"leading","epoch":1,"leader":"s1","serving":true}
//	{"type":"recipe","process":3,"client":"c0","session":"0x1000000000001","time":650000000,"seq":27,"recipe":"lock","step":"acquired","name":"/a","node":"/a/lock-0000000000","token":4294967297,"value":"v\u0000"}
//	{"type":"applied","server":"s2","incarnation":1,"time":353000000,"seq":9,"zxid":"0x100000001","op":"create","session":"0x1000000000001","cxid":1,"digest":"0xabcdef"}
//	{"type":"txn","zxid":"0x100000001","op":"create","session":"0x1000000000001","path":"/a","txn":"Ar8LgoCAgICAgAECgoCAgCC8BQIvYQJ2MO/NqwAAAAAAAT4Fd29ybGQGYW55b25lAg=="}
//	{"type":"checkpoint","time":300000000,"events":2000,"hash":"0x1166f93275e96410"}
//	{"type":"final","server":"s2","up":true,"role":"looking","epoch":1,"zxid":"0x100000002","digest":"0x1111"}
//	{"type":"liveness","healed":600000000,"pending":"server s1 down"}
//	{"type":"end","records":32}
//
// jq reads them as they are: jq -c 'select(.type=="op" and .outcome!="ok")' history.jsonl lists
// the ops that failed or never returned.
//
// # Values
//
//   - Zero fields are left out, except a record's identity (type, op and fault id, client,
//     the server of server, applied and final records, and a request's op). A few fields
//     whose "nothing" is not zero are left out at that value instead and read back as it: an
//     op's return and a fault's end when Never, liveness at when Never, an op's or event's
//     server when -1 (no reply, not connected), and a server event's leader when -1 for a role
//     event (looking).
//   - Op types, codes, create modes, watch modes, watcher types, event types, outcomes, session
//     states, server event kinds and roles are names ("setData", "NoNode",
//     "ephemeral-sequential", "NodeCreated", "ok", "connected", "role", "leading"). A value
//     without a name (a client may send any create mode) is written as its number, and a
//     number is accepted wherever a name is.
//   - Servers are "s1", "s2"... for indices 0, 1... (ServerName), clients "c0", "c1"...
//     (ClientName); index -1 is "-".
//   - Zxids are hex strings as tree.Zxid prints them ("0x100000005"), sessions and ephemeral
//     owners hex as tree.SessionID prints them, digests and trace hashes hex ("0x5e1f...").
//     Header fields keep encoding/json's numbers (seed, trace_hash): jq reads numbers as
//     doubles, so compare those past 2^53 as text (jq's tostring of the raw input).
//   - Times and durations are integer nanoseconds; Seqs are integers. Stat ctime and mtime
//     and timeouts stay in milliseconds, as in ZooKeeper.
//   - Byte data ("data" of a request or result) is a string when it is valid UTF-8 of
//     printable characters (unicode.IsPrint), else base64 (standard, padded) in "data_b64".
//   - ACL entries are {"perms":"cdrwa","scheme":"world","id":"anyone"}; perms outside cdrwa
//     make the perms a number.
//   - Strings are any bytes: valid UTF-8 is written as it is (quotes, backslashes and control
//     characters escaped, and U+2028 and U+2029 as \u escapes, as encoding/json does), and each byte of an
//     invalid UTF-8 sequence becomes the lone surrogate escape \udc80-\udcff (Python's
//     "surrogateescape"), which Decode turns back into the byte. jq shows such a byte as U+FFFD.
//   - A nil slice is left out; an empty, non-nil one is written as [] (or "" for data), so the
//     two survive the round trip as they are (the tree tells them apart: getData of a node
//     without data answers an empty slice). A nil group in a fault's groups is null.
//   - A committed txn is written with its zxid, op, session and path for reading, and the exact
//     tree txn encoding (tree.AppendTxn) in base64 in "txn"; Decode takes the txn from the
//     encoding and checks that the readable fields agree with it.
//
// # Round trip
//
// For a History h that Encode accepts, Decode(Encode(h)) equals h field for field, with three
// exceptions, all of them values no Recorder makes: an empty, non-nil list of records (Ops,
// Events, Faults, Servers, Recipes, Log, Checkpoints, Final, or one server's Applied) decodes as nil
// (there is no record to say it was there); Applied decodes with exactly Header.Servers lists
// (a Recorder makes that many; a shorter Applied gets empty lists appended); and the header's
// Scenario is compacted, with a nil or JSON null Scenario read back as nil. Header.Format is
// always written as Format. Encode refuses a history with more Applied lists than
// Header.Servers, a nil txn in Log, or a Scenario that is not JSON.
//
// # Damage
//
// Decode never panics. It refuses anything it would not write in meaning: an unknown record
// type or field, a name it does not know, a number out of its field's range, a fractional
// number, ops and faults whose ids are not 0, 1, 2..., an applied record for a server the
// header does not have, a log out of zxid order, a txn whose fields disagree with its
// encoding, a second liveness record, a record after the end record, no end record, an end
// record that counts another number of records. It accepts any JSON spelling of what it would
// write: other field orders, whitespace, escapes. The error is one line wrapping
// ErrBadHistory, or ErrNotHistory when line 1 is not this format's header.

// codecFlushSize is how much encoded text Encode gathers before it writes to the writer.
const codecFlushSize = 1 << 18

// codecMaxServers bounds Header.Servers when decoding: Decode makes one Applied list per server,
// so a damaged count must not allocate without limit.
const codecMaxServers = 1 << 16

// codecMaxDepth bounds the nesting of a decoded record (a multi's ops are one level each).
const codecMaxDepth = 64

// The names of the enumerations that tree names, both ways. tree names every known value
// through String and prints the others as "OpCode(n)"; the tables are built from String so the
// names stay tree's.
var (
	codecOpByName    = codecNameTable[tree.OpCode](-128, 512)
	codecCodeByName  = codecNameTable[tree.Code](-512, 0)
	codecEventByName = codecNameTable[tree.EventType](-16, 64)
	codecWatchByName = codecNameTable[tree.WatchMode](0, 15)
	codecTypeByName  = codecNameTable[tree.WatcherType](0, 15)
)

// codecNameTable maps the names of the values lo..hi of an enumeration to the values.
func codecNameTable[V interface {
	~int32 | ~uint8
	String() string
}](lo, hi int) map[string]V {
	names := map[string]V{}
	for i := lo; i <= hi; i++ {
		if name := V(i).String(); codecKnownName(name) {
			names[name] = V(i)
		}
	}
	return names
}

// Encode writes h to w as JSON lines (see the format above). It writes in large chunks and
// returns the first write error.
func Encode(w io.Writer, h *History) error {
	if len(h.Applied) > h.Header.Servers {
		return fmt.Errorf("histories: cannot encode: %d applied lists but the header has %d servers", len(h.Applied), h.Header.Servers)
	}
	for i, x := range h.Log {
		if x == nil {
			return fmt.Errorf("histories: cannot encode: log entry %d is nil", i)
		}
	}
	e := codecEncoder{w: w, b: make([]byte, 0, codecFlushSize+len(h.Header.Scenario)+4096)}
	if err := e.header(&h.Header); err != nil {
		return err
	}
	e.timeline(h)
	for _, x := range h.Log {
		e.txn(x)
	}
	for i := range h.Checkpoints {
		e.checkpoint(&h.Checkpoints[i])
	}
	for i := range h.Final {
		e.final(&h.Final[i])
	}
	if h.Liveness != (Liveness{}) {
		e.liveness(&h.Liveness)
	}
	e.begin("end")
	e.key("records")
	e.int(int64(e.records))
	e.b = append(e.b, "}\n"...)
	e.flush()
	return e.err
}

// header writes line 1 as encoding/json writes Header with its json tags (without HTML
// escapes), with Format as the format and the scenario compacted; its strings get
// codecAppendString's escapes, so any bytes survive.
func (e *codecEncoder) header(h *Header) error {
	e.b = append(e.b, `{"format":`...)
	e.b = codecAppendString(e.b, Format)
	e.b = append(e.b, `,"seed":`...)
	e.b = strconv.AppendUint(e.b, h.Seed, 10)
	e.b = append(e.b, `,"scenario":`...)
	if h.Scenario == nil {
		e.b = append(e.b, "null"...)
	} else {
		var c bytes.Buffer
		if err := json.Compact(&c, h.Scenario); err != nil {
			return fmt.Errorf("histories: cannot encode the header's scenario: %w", err)
		}
		e.b = append(e.b, c.Bytes()...)
	}
	e.b = append(e.b, `,"commit":`...)
	e.b = codecAppendString(e.b, h.Commit)
	e.b = append(e.b, `,"servers":`...)
	e.b = strconv.AppendInt(e.b, int64(h.Servers), 10)
	e.b = append(e.b, `,"clients":`...)
	e.b = strconv.AppendInt(e.b, int64(h.Clients), 10)
	e.b = append(e.b, `,"trace_hash":`...)
	e.b = strconv.AppendUint(e.b, h.TraceHash, 10)
	e.b = append(e.b, `,"events":`...)
	e.b = strconv.AppendUint(e.b, h.Events, 10)
	e.b = append(e.b, `,"end":`...)
	e.b = strconv.AppendInt(e.b, int64(h.End), 10)
	e.b = append(e.b, "}\n"...)
	return nil
}

// codecEncoder appends records to b and writes b out whenever it passes codecFlushSize.
type codecEncoder struct {
	w       io.Writer
	b       []byte
	scratch []byte // a txn's encoding
	err     error
	records int
}

func (e *codecEncoder) flush() {
	if e.err == nil && len(e.b) > 0 {
		_, e.err = e.w.Write(e.b)
	}
	e.b = e.b[:0]
}

func (e *codecEncoder) begin(kind string) {
	e.b = append(e.b, `{"type":"`...)
	e.b = append(e.b, kind...)
	e.b = append(e.b, '"')
}

func (e *codecEncoder) end() {
	e.b = append(e.b, "}\n"...)
	e.records++
	if len(e.b) >= codecFlushSize {
		e.flush()
	}
}

// timeline writes ops, events, faults, server events and applied txns merged by Seq. The merge
// keeps each list's own order, whatever its Seqs, so Decode rebuilds every list exactly.
func (e *codecEncoder) timeline(h *History) {
	var nOp, nEv, nFault, nSrv, nRecipe int
	nApplied := make([]int, len(h.Applied))
	for {
		best, bestSeq := -1, Seq(0)
		if nOp < len(h.Ops) {
			best, bestSeq = 0, h.Ops[nOp].InvokeSeq
		}
		if nEv < len(h.Events) && (best < 0 || h.Events[nEv].Seq < bestSeq) {
			best, bestSeq = 1, h.Events[nEv].Seq
		}
		if nFault < len(h.Faults) && (best < 0 || h.Faults[nFault].StartSeq < bestSeq) {
			best, bestSeq = 2, h.Faults[nFault].StartSeq
		}
		if nSrv < len(h.Servers) && (best < 0 || h.Servers[nSrv].Seq < bestSeq) {
			best, bestSeq = 3, h.Servers[nSrv].Seq
		}
		if nRecipe < len(h.Recipes) && (best < 0 || h.Recipes[nRecipe].Seq < bestSeq) {
			best, bestSeq = 4, h.Recipes[nRecipe].Seq
		}
		for s, list := range h.Applied {
			if n := nApplied[s]; n < len(list) && (best < 0 || list[n].Seq < bestSeq) {
				best, bestSeq = 5+s, list[n].Seq
			}
		}
		switch best {
		case -1:
			return
		case 0:
			e.op(&h.Ops[nOp])
			nOp++
		case 1:
			e.event(&h.Events[nEv])
			nEv++
		case 2:
			e.fault(&h.Faults[nFault])
			nFault++
		case 3:
			e.server(&h.Servers[nSrv])
			nSrv++
		case 4:
			e.recipe(&h.Recipes[nRecipe])
			nRecipe++
		default:
			s := best - 5
			e.applied(s, &h.Applied[s][nApplied[s]])
			nApplied[s]++
		}
	}
}

func (e *codecEncoder) op(op *Op) {
	e.begin("op")
	e.key("id")
	e.int(int64(op.ID))
	e.key("client")
	e.client(op.Client)
	e.optSession("session", op.Session)
	e.optInt("xid", int64(op.Xid))
	e.optInt("invoke", int64(op.Invoke))
	e.optUint("invoke_seq", uint64(op.InvokeSeq))
	e.key("req")
	e.request(&op.Req)
	if op.Return != Never {
		e.key("return")
		e.int(int64(op.Return))
	}
	e.optUint("return_seq", uint64(op.ReturnSeq))
	if op.Outcome != 0 {
		e.key("outcome")
		if op.Outcome >= OK && op.Outcome <= Unknown {
			e.name(op.Outcome.String())
		} else {
			e.int(int64(op.Outcome))
		}
	}
	if op.Err != 0 {
		e.key("err")
		e.code(op.Err)
	}
	e.optServer("server", op.Server, -1)
	e.optZxid("zxid", op.Zxid)
	if !codecZeroResult(&op.Result) {
		e.key("result")
		e.result(&op.Result)
	}
	e.end()
}

func (e *codecEncoder) event(ev *Event) {
	e.begin("event")
	e.key("client")
	e.client(ev.Client)
	e.optSession("session", ev.Session)
	e.optInt("time", int64(ev.Time))
	e.optUint("seq", uint64(ev.Seq))
	if ev.Type != 0 {
		e.key("event")
		if name := ev.Type.String(); codecEventByName[name] == ev.Type && codecKnownName(name) {
			e.name(name)
		} else {
			e.int(int64(ev.Type))
		}
	}
	if ev.State != 0 {
		e.key("state")
		if ev.State >= Connected && ev.State <= AuthFailed {
			e.name(ev.State.String())
		} else {
			e.int(int64(ev.State))
		}
	}
	e.optStr("path", ev.Path)
	e.optZxid("zxid", ev.Zxid)
	e.optServer("server", ev.Server, -1)
	e.optInt("timeout", ev.Timeout)
	e.end()
}

func (e *codecEncoder) fault(f *Fault) {
	e.begin("fault")
	e.key("id")
	e.int(int64(f.ID))
	e.optStr("kind", string(f.Kind))
	if f.Servers != nil {
		e.key("servers")
		e.serverList(f.Servers)
	}
	if f.Clients != nil {
		e.key("clients")
		e.b = append(e.b, '[')
		for i, c := range f.Clients {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.client(c)
		}
		e.b = append(e.b, ']')
	}
	if f.Groups != nil {
		e.key("groups")
		e.b = append(e.b, '[')
		for i, g := range f.Groups {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			if g == nil {
				e.b = append(e.b, "null"...)
			} else {
				e.serverList(g)
			}
		}
		e.b = append(e.b, ']')
	}
	e.optStr("detail", f.Detail)
	e.optInt("start", int64(f.Start))
	e.optUint("start_seq", uint64(f.StartSeq))
	if f.End != Never {
		e.key("end")
		e.int(int64(f.End))
	}
	e.optUint("end_seq", uint64(f.EndSeq))
	e.end()
}

func (e *codecEncoder) recipe(r *RecipeEvent) {
	e.begin("recipe")
	e.key("process")
	e.int(int64(r.Process))
	e.key("client")
	e.client(r.Client)
	e.optSession("session", r.Session)
	e.optInt("time", int64(r.Time))
	e.optUint("seq", uint64(r.Seq))
	e.optStr("recipe", r.Recipe)
	e.optStr("step", r.Step)
	e.optStr("name", r.Name)
	e.optStr("node", r.Node)
	e.optInt("token", r.Token)
	e.optStr("value", r.Value)
	e.end()
}

func (e *codecEncoder) server(s *ServerEvent) {
	e.begin("server")
	e.key("server")
	e.serverName(s.Server)
	e.optInt("time", int64(s.Time))
	e.optUint("seq", uint64(s.Seq))
	if s.Kind != 0 {
		e.key("kind")
		if s.Kind >= Boot && s.Kind <= Halt {
			e.name(s.Kind.String())
		} else {
			e.int(int64(s.Kind))
		}
	}
	e.optRole("role", s.Role)
	e.optInt("epoch", s.Epoch)
	e.optServer("leader", s.Leader, codecLeaderDefault(s.Kind))
	if s.Serving {
		e.key("serving")
		e.b = append(e.b, "true"...)
	}
	e.optZxid("zxid", s.Zxid)
	e.optStr("detail", s.Detail)
	e.end()
}

// codecLeaderDefault is the leader a server event of kind k leaves out: -1 (no leader) for a
// role change, whose looking state has none, and 0 (the zero value) for the other kinds, which
// have no leader to say.
func codecLeaderDefault(k ServerEventKind) int {
	if k == Role {
		return -1
	}
	return 0
}

func (e *codecEncoder) applied(server int, a *Applied) {
	e.begin("applied")
	e.key("server")
	e.serverName(server)
	e.optInt("incarnation", int64(a.Incarnation))
	e.optInt("time", int64(a.Time))
	e.optUint("seq", uint64(a.Seq))
	e.optZxid("zxid", a.Zxid)
	if a.Type != 0 {
		e.key("op")
		e.opcode(a.Type)
	}
	e.optSession("session", a.Session)
	e.optInt("cxid", int64(a.Cxid))
	e.optHex("digest", a.Digest)
	e.end()
}

func (e *codecEncoder) txn(x *tree.Txn) {
	e.begin("txn")
	e.optZxid("zxid", x.Zxid)
	if x.Type != 0 {
		e.key("op")
		e.opcode(x.Type)
	}
	e.optSession("session", x.Session)
	e.optStr("path", x.Path)
	e.key("txn")
	e.b = append(e.b, '"')
	e.scratch = tree.AppendTxn(e.scratch[:0], x)
	e.b = base64.StdEncoding.AppendEncode(e.b, e.scratch)
	e.b = append(e.b, '"')
	e.end()
}

func (e *codecEncoder) checkpoint(c *Checkpoint) {
	e.begin("checkpoint")
	e.optInt("time", int64(c.Time))
	e.optUint("events", c.Events)
	e.optHex("hash", c.Hash)
	e.end()
}

func (e *codecEncoder) final(f *Final) {
	e.begin("final")
	e.key("server")
	e.serverName(f.Server)
	if f.Up {
		e.key("up")
		e.b = append(e.b, "true"...)
	}
	e.optRole("role", f.Role)
	e.optInt("epoch", f.Epoch)
	e.optZxid("zxid", f.Zxid)
	e.optHex("digest", f.Digest)
	e.end()
}

func (e *codecEncoder) liveness(l *Liveness) {
	e.begin("liveness")
	e.optInt("healed", int64(l.Healed))
	if l.Converged {
		e.key("converged")
		e.b = append(e.b, "true"...)
	}
	if l.At != Never {
		e.key("at")
		e.int(int64(l.At))
	}
	e.optStr("pending", l.Pending)
	e.end()
}

func (e *codecEncoder) request(r *tree.Request) {
	e.b = append(e.b, '{')
	e.key("op")
	e.opcode(r.Type)
	e.optStr("path", r.Path)
	e.optData(r.Data)
	e.optACL("acl", r.ACL)
	if r.Mode != 0 {
		e.key("mode")
		if r.Mode.Valid() {
			e.name(r.Mode.String())
		} else {
			e.int(int64(r.Mode))
		}
	}
	e.optInt("ttl", r.TTL)
	e.optInt("version", int64(r.Version))
	if r.Watch {
		e.key("watch")
		e.b = append(e.b, "true"...)
	}
	e.optInt("timeout", int64(r.Timeout))
	if r.WatchMode != 0 {
		e.key("watch_mode")
		if name := r.WatchMode.String(); codecKnownName(name) {
			e.name(name)
		} else {
			e.int(int64(r.WatchMode))
		}
	}
	if r.WatcherType != 0 {
		e.key("watcher_type")
		if name := r.WatcherType.String(); codecKnownName(name) {
			e.name(name)
		} else {
			e.int(int64(r.WatcherType))
		}
	}
	if r.Ops != nil {
		e.key("ops")
		e.b = append(e.b, '[')
		for i := range r.Ops {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.request(&r.Ops[i])
		}
		e.b = append(e.b, ']')
	}
	if sw := r.SetWatches; sw != nil {
		e.optZxid("relative_zxid", sw.RelativeZxid)
		e.optStrings("data_watches", sw.DataWatches)
		e.optStrings("exist_watches", sw.ExistWatches)
		e.optStrings("child_watches", sw.ChildWatches)
		e.optStrings("persistent_watches", sw.PersistentWatches)
		e.optStrings("persistent_recursive_watches", sw.PersistentRecursiveWatches)
	}
	e.b = append(e.b, '}')
}

// codecZeroResult reports whether r is the zero Result, which an op without a reply has and
// which its record leaves out.
func codecZeroResult(r *tree.Result) bool {
	return r.Type == 0 && r.Err == 0 && r.Path == "" && !r.HasStat && r.Stat == (tree.Stat{}) &&
		r.Data == nil && r.Children == nil && r.ACL == nil && r.Paths == nil && r.Count == 0 && r.Multi == nil
}

func (e *codecEncoder) result(r *tree.Result) {
	e.b = append(e.b, '{')
	if r.Type != 0 {
		e.key("op")
		e.opcode(r.Type)
	}
	if r.Err != 0 {
		e.key("err")
		e.code(r.Err)
	}
	e.optStr("path", r.Path)
	// A stat is written when the result has one; a stat without HasStat (no result the tree
	// makes) is written with stat_unset so the round trip keeps it.
	if r.HasStat || r.Stat != (tree.Stat{}) {
		e.key("stat")
		e.stat(&r.Stat)
		if !r.HasStat {
			e.key("stat_unset")
			e.b = append(e.b, "true"...)
		}
	}
	e.optData(r.Data)
	e.optStrings("children", r.Children)
	e.optACL("acl", r.ACL)
	e.optStrings("paths", r.Paths)
	e.optInt("count", int64(r.Count))
	if r.Multi != nil {
		e.key("multi")
		e.b = append(e.b, '[')
		for i := range r.Multi {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.result(&r.Multi[i])
		}
		e.b = append(e.b, ']')
	}
	e.b = append(e.b, '}')
}

func (e *codecEncoder) stat(s *tree.Stat) {
	e.b = append(e.b, '{')
	e.optZxid("czxid", s.Czxid)
	e.optZxid("mzxid", s.Mzxid)
	e.optInt("ctime", s.Ctime)
	e.optInt("mtime", s.Mtime)
	e.optInt("version", int64(s.Version))
	e.optInt("cversion", int64(s.Cversion))
	e.optInt("aversion", int64(s.Aversion))
	e.optSession("ephemeral_owner", tree.SessionID(s.EphemeralOwner))
	e.optInt("data_length", int64(s.DataLength))
	e.optInt("num_children", int64(s.NumChildren))
	e.optZxid("pzxid", s.Pzxid)
	e.b = append(e.b, '}')
}

// key starts field k of the object being written.
func (e *codecEncoder) key(k string) {
	if e.b[len(e.b)-1] != '{' {
		e.b = append(e.b, ',')
	}
	e.b = append(e.b, '"')
	e.b = append(e.b, k...)
	e.b = append(e.b, '"', ':')
}

func (e *codecEncoder) int(v int64)   { e.b = strconv.AppendInt(e.b, v, 10) }
func (e *codecEncoder) name(s string) { e.b = append(append(append(e.b, '"'), s...), '"') }

func (e *codecEncoder) optInt(k string, v int64) {
	if v != 0 {
		e.key(k)
		e.b = strconv.AppendInt(e.b, v, 10)
	}
}

func (e *codecEncoder) optUint(k string, v uint64) {
	if v != 0 {
		e.key(k)
		e.b = strconv.AppendUint(e.b, v, 10)
	}
}

func (e *codecEncoder) optStr(k, s string) {
	if s != "" {
		e.key(k)
		e.b = codecAppendString(e.b, s)
	}
}

// optZxid writes z as tree.Zxid.String does: "0x" and the hex of the int64, "-0x..." below 0.
func (e *codecEncoder) optZxid(k string, z tree.Zxid) {
	if z == 0 {
		return
	}
	e.key(k)
	e.b = append(e.b, '"')
	if z < 0 {
		e.b = append(e.b, '-')
	}
	e.b = append(e.b, '0', 'x')
	e.b = strconv.AppendUint(e.b, codecAbs(int64(z)), 16)
	e.b = append(e.b, '"')
}

// optSession writes s as tree.SessionID.String does: the hex of its bits.
func (e *codecEncoder) optSession(k string, s tree.SessionID) { e.optHex(k, uint64(s)) }

func (e *codecEncoder) optHex(k string, v uint64) {
	if v == 0 {
		return
	}
	e.key(k)
	e.b = append(e.b, '"', '0', 'x')
	e.b = strconv.AppendUint(e.b, v, 16)
	e.b = append(e.b, '"')
}

func (e *codecEncoder) optRole(k string, r ServerRole) {
	if r == 0 {
		return
	}
	e.key(k)
	if r >= Looking && r <= Leading {
		e.name(r.String())
	} else {
		e.int(int64(r))
	}
}

func (e *codecEncoder) opcode(o tree.OpCode) {
	if name := o.String(); codecOpByName[name] == o && codecKnownName(name) {
		e.name(name)
	} else {
		e.int(int64(o))
	}
}

func (e *codecEncoder) code(c tree.Code) {
	if name := c.String(); codecKnownName(name) {
		e.name(name)
	} else {
		e.int(int64(c))
	}
}

// serverName writes index i as ServerName does ("s1" for 0, "-" for -1); an index below -1,
// which has no name, as its number.
func (e *codecEncoder) serverName(i int) {
	switch {
	case i >= 0 && i < math.MaxInt:
		e.b = append(e.b, '"', 's')
		e.b = strconv.AppendInt(e.b, int64(i)+1, 10)
		e.b = append(e.b, '"')
	case i == -1:
		e.b = append(e.b, `"-"`...)
	default:
		e.int(int64(i))
	}
}

// optServer writes server index i unless it is dflt, what the field means by its absence.
func (e *codecEncoder) optServer(k string, i, dflt int) {
	if i != dflt {
		e.key(k)
		e.serverName(i)
	}
}

func (e *codecEncoder) serverList(list []int) {
	e.b = append(e.b, '[')
	for i, s := range list {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.serverName(s)
	}
	e.b = append(e.b, ']')
}

// client writes client index i as ClientName does ("c0"); a negative index as its number.
func (e *codecEncoder) client(i int) {
	if i < 0 {
		e.int(int64(i))
		return
	}
	e.b = append(e.b, '"', 'c')
	e.b = strconv.AppendInt(e.b, int64(i), 10)
	e.b = append(e.b, '"')
}

// optData writes p as a string under "data" when it is printable text, else in base64 under
// "data_b64"; nil is left out and an empty slice is "".
func (e *codecEncoder) optData(p []byte) {
	if p == nil {
		return
	}
	if codecPrintable(p) {
		e.key("data")
		e.b = codecAppendString(e.b, string(p))
		return
	}
	e.key("data_b64")
	e.b = append(e.b, '"')
	e.b = base64.StdEncoding.AppendEncode(e.b, p)
	e.b = append(e.b, '"')
}

func (e *codecEncoder) optStrings(k string, ss []string) {
	if ss == nil {
		return
	}
	e.key(k)
	e.b = append(e.b, '[')
	for i, s := range ss {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = codecAppendString(e.b, s)
	}
	e.b = append(e.b, ']')
}

func (e *codecEncoder) optACL(k string, acl []tree.ACL) {
	if acl == nil {
		return
	}
	e.key(k)
	e.b = append(e.b, '[')
	for i := range acl {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, '{')
		if p := acl[i].Perms; p != 0 {
			e.key("perms")
			if p&^tree.PermAll == 0 {
				e.name(p.String())
			} else {
				e.int(int64(p))
			}
		}
		e.optStr("scheme", acl[i].ID.Scheme)
		e.optStr("id", acl[i].ID.ID)
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, ']')
}

// codecPrintable reports whether p is valid UTF-8 made only of printable characters.
func codecPrintable(p []byte) bool {
	for i := 0; i < len(p); {
		if c := p[i]; c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && size == 1 || !unicode.IsPrint(r) {
			return false
		}
		i += size
	}
	return true
}

const codecHexDigits = "0123456789abcdef"

// codecAppendString appends s as a JSON string (see "Values" above for the escapes).
func codecAppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', codecHexDigits[c>>4], codecHexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			// An invalid byte: the lone low surrogate U+DC00+byte stands for it.
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', 'd', 'c', codecHexDigits[c>>4], codecHexDigits[c&0xf])
			start = i + 1
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', codecHexDigits[r&0xf])
			start = i + size
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func codecAbs(v int64) uint64 {
	if v < 0 {
		return uint64(-(v + 1)) + 1
	}
	return uint64(v)
}

// codecKnownName reports whether a tree enumeration's String named its value: tree prints a
// value without a name as "Type(n)".
func codecKnownName(name string) bool { return !strings.HasSuffix(name, ")") }

// Decode reads a history written by Encode. Bad input gives a one-line error wrapping
// ErrNotHistory or ErrBadHistory that names the line; an error of r is returned wrapped with
// the line it was reading.
func Decode(r io.Reader) (*History, error) {
	lines := codecLineReader{r: bufio.NewReaderSize(r, 1<<16)}
	line, err := lines.next()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: the input is empty", ErrNotHistory)
	}
	if err != nil {
		return nil, fmt.Errorf("histories: reading line 1: %w", err)
	}
	hdr, err := codecDecodeHeader(line)
	if err != nil {
		return nil, err
	}
	h := &History{Header: hdr}
	d := codecDecoder{h: h, strs: map[string]string{}, appliedBy: make([]chunked[Applied], hdr.Servers)}
	for n := 2; ; n++ {
		line, err := lines.next()
		if err == io.EOF {
			if !d.ended {
				return nil, fmt.Errorf("%w: line %d: the file ends without its end record (truncated?)", ErrBadHistory, n)
			}
			h.Ops, h.Events, h.Log = d.ops.join(), d.events.join(), d.log.join()
			h.Applied = make([][]Applied, len(d.appliedBy))
			for s := range d.appliedBy {
				h.Applied[s] = d.appliedBy[s].join()
			}
			return h, nil
		}
		if err != nil {
			return nil, fmt.Errorf("histories: reading line %d: %w", n, err)
		}
		d.record(line, n)
		if d.err != nil {
			return nil, d.err
		}
	}
}

// codecLineReader returns the input's lines without their newline; the last line may lack one.
// A line is valid until the next call.
type codecLineReader struct {
	r    *bufio.Reader
	long []byte
}

func (lr *codecLineReader) next() ([]byte, error) {
	line, err := lr.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		lr.long = append(lr.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = lr.r.ReadSlice('\n')
			lr.long = append(lr.long, line...)
		}
		line = lr.long
	}
	if err == io.EOF && len(line) > 0 {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(line, []byte{'\n'}), nil
}

// codecDecodeHeader decodes line 1. A line that is not a JSON object with this format is not a
// history (ErrNotHistory); a header of this format that does not decode is a damaged one.
func codecDecodeHeader(line []byte) (Header, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' || !json.Valid(line) {
		return Header{}, fmt.Errorf("%w: line 1 is not a JSON object", ErrNotHistory)
	}
	var probe struct {
		Format json.RawMessage `json:"format"`
	}
	if err := json.Unmarshal(line, &probe); err != nil {
		return Header{}, fmt.Errorf("%w: line 1: %v", ErrNotHistory, err)
	}
	if probe.Format == nil {
		return Header{}, fmt.Errorf("%w: line 1 has no format field", ErrNotHistory)
	}
	var format string
	if err := json.Unmarshal(probe.Format, &format); err != nil {
		return Header{}, fmt.Errorf("%w: line 1: the format is %s, not a string", ErrNotHistory, probe.Format)
	}
	if format != Format {
		if strings.HasPrefix(format, "zoosim-history/") {
			return Header{}, fmt.Errorf("%w: line 1: format %q is a version this decoder does not read (it reads %q)", ErrNotHistory, format, Format)
		}
		return Header{}, fmt.Errorf("%w: line 1: format %q is not %q", ErrNotHistory, format, Format)
	}
	d := codecDecoder{b: line, line: 1, kind: "header", strs: map[string]string{}}
	h := d.header()
	if d.err != nil {
		return Header{}, d.err
	}
	if h.Servers < 0 || h.Servers > codecMaxServers {
		return Header{}, fmt.Errorf("%w: line 1: header: servers %d is out of range [0, %d]", ErrBadHistory, h.Servers, codecMaxServers)
	}
	if h.Clients < 0 {
		return Header{}, fmt.Errorf("%w: line 1: header: clients %d is negative", ErrBadHistory, h.Clients)
	}
	return h, nil
}

// codecKey returns the field name b as a constant string, or "" when the format has no such
// field. A switch on string(b) neither allocates nor hashes; it was faster than a map.
func codecKey(b []byte) string {
	switch string(b) {
	case "type":
		return "type"
	case "id":
		return "id"
	case "client":
		return "client"
	case "session":
		return "session"
	case "xid":
		return "xid"
	case "invoke":
		return "invoke"
	case "invoke_seq":
		return "invoke_seq"
	case "req":
		return "req"
	case "return":
		return "return"
	case "return_seq":
		return "return_seq"
	case "outcome":
		return "outcome"
	case "err":
		return "err"
	case "server":
		return "server"
	case "zxid":
		return "zxid"
	case "result":
		return "result"
	case "time":
		return "time"
	case "seq":
		return "seq"
	case "event":
		return "event"
	case "state":
		return "state"
	case "path":
		return "path"
	case "timeout":
		return "timeout"
	case "kind":
		return "kind"
	case "servers":
		return "servers"
	case "clients":
		return "clients"
	case "groups":
		return "groups"
	case "detail":
		return "detail"
	case "start":
		return "start"
	case "start_seq":
		return "start_seq"
	case "end":
		return "end"
	case "end_seq":
		return "end_seq"
	case "role":
		return "role"
	case "epoch":
		return "epoch"
	case "leader":
		return "leader"
	case "serving":
		return "serving"
	case "incarnation":
		return "incarnation"
	case "op":
		return "op"
	case "cxid":
		return "cxid"
	case "digest":
		return "digest"
	case "txn":
		return "txn"
	case "events":
		return "events"
	case "hash":
		return "hash"
	case "up":
		return "up"
	case "healed":
		return "healed"
	case "process":
		return "process"
	case "recipe":
		return "recipe"
	case "step":
		return "step"
	case "name":
		return "name"
	case "node":
		return "node"
	case "token":
		return "token"
	case "value":
		return "value"
	case "converged":
		return "converged"
	case "at":
		return "at"
	case "pending":
		return "pending"
	case "records":
		return "records"
	case "data":
		return "data"
	case "data_b64":
		return "data_b64"
	case "acl":
		return "acl"
	case "mode":
		return "mode"
	case "ttl":
		return "ttl"
	case "version":
		return "version"
	case "watch":
		return "watch"
	case "watch_mode":
		return "watch_mode"
	case "watcher_type":
		return "watcher_type"
	case "ops":
		return "ops"
	case "relative_zxid":
		return "relative_zxid"
	case "data_watches":
		return "data_watches"
	case "exist_watches":
		return "exist_watches"
	case "child_watches":
		return "child_watches"
	case "persistent_watches":
		return "persistent_watches"
	case "persistent_recursive_watches":
		return "persistent_recursive_watches"
	case "stat":
		return "stat"
	case "stat_unset":
		return "stat_unset"
	case "children":
		return "children"
	case "paths":
		return "paths"
	case "count":
		return "count"
	case "multi":
		return "multi"
	case "czxid":
		return "czxid"
	case "mzxid":
		return "mzxid"
	case "ctime":
		return "ctime"
	case "mtime":
		return "mtime"
	case "cversion":
		return "cversion"
	case "aversion":
		return "aversion"
	case "ephemeral_owner":
		return "ephemeral_owner"
	case "data_length":
		return "data_length"
	case "num_children":
		return "num_children"
	case "pzxid":
		return "pzxid"
	case "perms":
		return "perms"
	case "scheme":
		return "scheme"
	case "format":
		return "format"
	case "seed":
		return "seed"
	case "scenario":
		return "scenario"
	case "commit":
		return "commit"
	case "trace_hash":
		return "trace_hash"
	}
	return ""
}

// header decodes line 1, known to be valid JSON with this format.
func (d *codecDecoder) header() Header {
	var h Header
	var n int
	d.open('{')
	for d.more('}', &n) {
		switch k := d.key(); k {
		case "format":
			h.Format = d.str()
		case "seed":
			h.Seed = d.uint64()
		case "scenario":
			d.ws()
			start := d.i
			d.skip()
			if raw := d.b[start:d.i]; string(raw) != "null" {
				var c bytes.Buffer
				if err := json.Compact(&c, raw); err != nil {
					d.i = start
					d.fail("%v", err)
				}
				h.Scenario = c.Bytes()
			} else {
				h.Scenario = nil
			}
		case "commit":
			h.Commit = d.str()
		case "servers":
			h.Servers = d.int()
		case "clients":
			h.Clients = d.int()
		case "trace_hash":
			h.TraceHash = d.uint64()
		case "events":
			h.Events = d.uint64()
		case "end":
			h.End = Time(d.int64())
		default:
			d.unknown(k)
		}
	}
	d.field = ""
	if d.err == nil && d.peek() != 0 {
		d.failExpect("the end of the line")
	}
	return h
}

// codecKinds holds the record types, as codecKeys holds the field names.
var codecKinds = map[string]string{"op": "op", "event": "event", "fault": "fault", "server": "server", "recipe": "recipe",
	"applied": "applied", "txn": "txn", "checkpoint": "checkpoint", "final": "final",
	"liveness": "liveness", "end": "end"}

// codecDecoder decodes the records of one history, line by line. Its value readers return the
// zero value once err is set, and every loop stops on err, so a record's parser runs to its
// end without checking after each field; the first error wins.
type codecDecoder struct {
	h    *History
	line int
	b    []byte // the line
	i    int    // the read position in b
	err  error
	// kind and field name the record and the field being read, for error messages.
	kind    string
	field   string
	scratch []byte // unescaped strings
	depth   int
	strs    map[string]string // interned short strings (paths recur in almost every record)
	records int
	ended   bool
	live    bool // a liveness record was read
	// The long lists, gathered in chunks and joined at the end (h has the short ones).
	ops       chunked[Op]
	events    chunked[Event]
	appliedBy []chunked[Applied] // by server
	log       chunked[*tree.Txn]
}

// fail records the first error, naming the line, column, record and field.
func (d *codecDecoder) fail(format string, args ...any) {
	if d.err != nil {
		return
	}
	var where strings.Builder
	fmt.Fprintf(&where, "line %d col %d: ", d.line, d.i+1)
	if d.kind != "" {
		where.WriteString(d.kind)
		if d.kind != "header" {
			where.WriteString(" record")
		}
		if d.field != "" {
			fmt.Fprintf(&where, ", field %q", d.field)
		}
		where.WriteString(": ")
	}
	d.err = fmt.Errorf("%w: %s%s", ErrBadHistory, where.String(), fmt.Sprintf(format, args...))
}

// failExpect reports that the input at the read position is not what.
func (d *codecDecoder) failExpect(what string) {
	if d.i >= len(d.b) {
		d.fail("expected %s, found the end of the line", what)
		return
	}
	found := d.b[d.i:min(len(d.b), d.i+16)]
	d.fail("expected %s, found %q", what, found)
}

func (d *codecDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end of the line.
func (d *codecDecoder) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// open consumes the opening c of an object or array.
func (d *codecDecoder) open(c byte) bool {
	if d.err != nil {
		return false
	}
	if d.peek() != c {
		if c == '{' {
			d.failExpect("an object")
		} else {
			d.failExpect("an array")
		}
		return false
	}
	d.i++
	return true
}

// more reports whether the object or array being read has another element, consuming the
// comma before it or the closing c after the last; n counts the elements read.
func (d *codecDecoder) more(c byte, n *int) bool {
	if d.err != nil {
		return false
	}
	switch d.peek() {
	case c:
		d.i++
		return false
	case ',':
		if *n > 0 {
			d.i++
			*n++
			return true
		}
	default:
		if *n == 0 {
			*n++
			return true
		}
	}
	d.failExpect(fmt.Sprintf("',' or '%c'", c))
	return false
}

// key reads an object's next field name and its colon and returns the name; an unknown name
// is an error (returned as "").
func (d *codecDecoder) key() string {
	d.ws()
	start := d.i
	b := d.strBytes()
	if d.err != nil {
		return ""
	}
	k := codecKey(b)
	if k == "" {
		d.i, d.field = start, ""
		d.fail("unknown field %q", b)
		return ""
	}
	d.field = k
	if d.peek() != ':' {
		d.failExpect("':'")
		return ""
	}
	d.i++
	return k
}

// unknown reports a field that the object being read does not have.
func (d *codecDecoder) unknown(k string) {
	if k != "" {
		d.fail("unknown field")
	}
}

// strBytes reads a JSON string and returns its bytes, valid until the next string is read.
func (d *codecDecoder) strBytes() []byte {
	if d.err != nil {
		return nil
	}
	if d.peek() != '"' {
		d.failExpect("a string")
		return nil
	}
	d.i++
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c == '"' {
			d.i++
			return d.b[start : d.i-1]
		}
		if c == '\\' || c < 0x20 {
			break
		}
		d.i++
	}
	d.scratch = append(d.scratch[:0], d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return d.scratch
		case c < 0x20:
			d.fail("control character %q in a string", c)
			return nil
		case c != '\\':
			d.scratch = append(d.scratch, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.b) {
			break
		}
		d.i++
		switch e := d.b[d.i]; e {
		case '"', '\\', '/':
			d.scratch = append(d.scratch, e)
		case 'b':
			d.scratch = append(d.scratch, '\b')
		case 'f':
			d.scratch = append(d.scratch, '\f')
		case 'n':
			d.scratch = append(d.scratch, '\n')
		case 'r':
			d.scratch = append(d.scratch, '\r')
		case 't':
			d.scratch = append(d.scratch, '\t')
		case 'u':
			r, ok := d.hex4(d.i + 1)
			if !ok {
				d.fail("bad \\u escape")
				return nil
			}
			d.i += 4
			switch {
			case r >= 0xdc80 && r <= 0xdcff:
				// A byte of invalid UTF-8 (see codecAppendString).
				d.scratch = append(d.scratch, byte(r-0xdc00))
			case r >= 0xd800 && r < 0xdc00:
				lo, ok := d.hex4(d.i + 3)
				if !ok || d.b[d.i+1] != '\\' || d.b[d.i+2] != 'u' || lo < 0xdc00 || lo > 0xdfff {
					d.fail("unpaired surrogate \\u%04x", r)
					return nil
				}
				d.i += 6
				d.scratch = utf8.AppendRune(d.scratch, (r-0xd800)<<10|(lo-0xdc00)+0x10000)
			case r >= 0xdc00 && r <= 0xdfff:
				d.fail("unpaired surrogate \\u%04x", r)
				return nil
			default:
				d.scratch = utf8.AppendRune(d.scratch, r)
			}
		default:
			d.fail("bad escape \\%c", e)
			return nil
		}
		d.i++
	}
	d.fail("unterminated string")
	return nil
}

// hex4 reads the four hex digits at b[at:].
func (d *codecDecoder) hex4(at int) (rune, bool) {
	if at+4 > len(d.b) {
		return 0, false
	}
	var r rune
	for _, c := range d.b[at : at+4] {
		v, ok := codecHexValue(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

func codecHexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// str reads a string and returns a copy; short strings are interned.
func (d *codecDecoder) str() string {
	b := d.strBytes()
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(b) <= 128 && len(d.strs) < 1<<14 {
		d.strs[s] = s
	}
	return s
}

// digits reads an integer's sign and magnitude; fractions and exponents are refused.
func (d *codecDecoder) digits() (neg bool, u uint64, ok bool) {
	if d.err != nil {
		return false, 0, false
	}
	d.ws()
	start := d.i
	if d.i < len(d.b) && d.b[d.i] == '-' {
		neg = true
		d.i++
	}
	n := 0
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		c := uint64(d.b[d.i] - '0')
		if u > (math.MaxUint64-c)/10 {
			d.i = start
			d.fail("integer out of range")
			return false, 0, false
		}
		u = u*10 + c
		d.i++
		n++
	}
	if n == 0 {
		d.i = start
		d.failExpect("an integer")
		return false, 0, false
	}
	if d.i < len(d.b) {
		switch d.b[d.i] {
		case '.', 'e', 'E':
			d.i = start
			d.failExpect("an integer")
			return false, 0, false
		}
	}
	return neg, u, true
}

// integer reads an integer within [lo, hi].
func (d *codecDecoder) integer(lo, hi int64) int64 {
	start := d.i
	neg, u, ok := d.digits()
	if !ok {
		return 0
	}
	var v int64
	switch {
	case !neg && u <= math.MaxInt64:
		v = int64(u)
	case neg && u <= 1<<63:
		v = -int64(u-1) - 1
	default:
		d.i = start
		d.fail("integer out of range")
		return 0
	}
	if v < lo || v > hi {
		d.i = start
		d.fail("%d is out of range [%d, %d]", v, lo, hi)
		return 0
	}
	return v
}

func (d *codecDecoder) int64() int64 { return d.integer(math.MinInt64, math.MaxInt64) }
func (d *codecDecoder) int32() int32 { return int32(d.integer(math.MinInt32, math.MaxInt32)) }
func (d *codecDecoder) int() int     { return int(d.integer(math.MinInt, math.MaxInt)) }

func (d *codecDecoder) uint64() uint64 {
	start := d.i
	neg, u, ok := d.digits()
	if ok && neg {
		d.i = start
		d.fail("negative number for an unsigned field")
		return 0
	}
	return u
}

func (d *codecDecoder) bool() bool {
	if d.err != nil {
		return false
	}
	d.ws()
	switch {
	case bytes.HasPrefix(d.b[d.i:], []byte("true")):
		d.i += 4
		return true
	case bytes.HasPrefix(d.b[d.i:], []byte("false")):
		d.i += 5
		return false
	}
	d.failExpect("true or false")
	return false
}

// hexString reads "0x..." (hex digits after 0x) or "-0x..." and returns the sign and magnitude.
func (d *codecDecoder) hexString(signed bool) (neg bool, u uint64) {
	start := d.i
	b := d.strBytes()
	if d.err != nil {
		return false, 0
	}
	bad := func() (bool, uint64) {
		d.i = start
		d.failExpect(`a hex number like "0x1f"`)
		return false, 0
	}
	if signed && len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	if len(b) < 3 || b[0] != '0' || b[1] != 'x' || len(b) > 18 {
		return bad()
	}
	for _, c := range b[2:] {
		v, ok := codecHexValue(c)
		if !ok {
			return bad()
		}
		u = u<<4 | uint64(v)
	}
	return neg, u
}

// hex reads a digest, hash or session: the hex of 64 bits.
func (d *codecDecoder) hex() uint64 {
	_, u := d.hexString(false)
	return u
}

func (d *codecDecoder) session() tree.SessionID { return tree.SessionID(d.hex()) }

// zxid reads a zxid as tree.Zxid.String prints it.
func (d *codecDecoder) zxid() tree.Zxid {
	start := d.i
	neg, u := d.hexString(true)
	switch {
	case !neg && u <= math.MaxInt64:
		return tree.Zxid(u)
	case neg && u <= 1<<63:
		return tree.Zxid(-int64(u-1) - 1)
	}
	d.i = start
	d.fail("zxid out of range")
	return 0
}

// name reads an enumeration: a name that names looks up, or a number within [lo, hi].
func (d *codecDecoder) name(what string, names func([]byte) (int64, bool), lo, hi int64) int64 {
	if d.err != nil {
		return 0
	}
	if d.peek() != '"' {
		return d.integer(lo, hi)
	}
	start := d.i
	b := d.strBytes()
	v, ok := names(b)
	if !ok && d.err == nil {
		d.i = start
		d.fail("unknown %s %q", what, b)
	}
	return v
}

func (d *codecDecoder) opcode() tree.OpCode {
	return tree.OpCode(d.name("op", func(s []byte) (int64, bool) {
		o, ok := codecOpByName[string(s)]
		return int64(o), ok
	}, math.MinInt32, math.MaxInt32))
}

func (d *codecDecoder) code() tree.Code {
	return tree.Code(d.name("code", func(s []byte) (int64, bool) {
		c, ok := codecCodeByName[string(s)]
		return int64(c), ok
	}, math.MinInt32, math.MaxInt32))
}

// codecByName looks a name up among the values first..last of an enumeration whose String
// gives its name in the format.
func codecByName[E interface {
	~uint8
	String() string
}](first, last E) func([]byte) (int64, bool) {
	return func(s []byte) (int64, bool) {
		for e := first; e <= last; e++ {
			if e.String() == string(s) {
				return int64(e), true
			}
		}
		return 0, false
	}
}

func (d *codecDecoder) outcome() Outcome {
	return Outcome(d.name("outcome", codecByName(OK, Unknown), 0, math.MaxUint8))
}

func (d *codecDecoder) state() SessionState {
	return SessionState(d.name("session state", codecByName(Connected, AuthFailed), 0, math.MaxUint8))
}

func (d *codecDecoder) serverKind() ServerEventKind {
	return ServerEventKind(d.name("server event kind", codecByName(Boot, Halt), 0, math.MaxUint8))
}

func (d *codecDecoder) role() ServerRole {
	return ServerRole(d.name("role", codecByName(Looking, Leading), 0, math.MaxUint8))
}

func (d *codecDecoder) eventType() tree.EventType {
	return tree.EventType(d.name("event type", func(s []byte) (int64, bool) {
		e, ok := codecEventByName[string(s)]
		return int64(e), ok
	}, math.MinInt32, math.MaxInt32))
}

func (d *codecDecoder) createMode() tree.CreateMode {
	return tree.CreateMode(d.name("create mode", func(s []byte) (int64, bool) {
		m, ok := tree.ParseCreateMode(string(s))
		return int64(m), ok
	}, math.MinInt32, math.MaxInt32))
}

func (d *codecDecoder) watchMode() tree.WatchMode {
	return tree.WatchMode(d.name("watch mode", func(s []byte) (int64, bool) {
		m, ok := codecWatchByName[string(s)]
		return int64(m), ok
	}, 0, math.MaxUint8))
}

func (d *codecDecoder) watcherType() tree.WatcherType {
	return tree.WatcherType(d.name("watcher type", func(s []byte) (int64, bool) {
		t, ok := codecTypeByName[string(s)]
		return int64(t), ok
	}, math.MinInt32, math.MaxInt32))
}

// perms reads ACL perms: letters of "cdrwa" in any order, or a number.
func (d *codecDecoder) perms() tree.Perm {
	return tree.Perm(d.name("perms", func(s []byte) (int64, bool) {
		var p tree.Perm
		for i := 0; i < len(s); i++ {
			bit := tree.Perm(0)
			switch s[i] {
			case 'c':
				bit = tree.PermCreate
			case 'd':
				bit = tree.PermDelete
			case 'r':
				bit = tree.PermRead
			case 'w':
				bit = tree.PermWrite
			case 'a':
				bit = tree.PermAdmin
			}
			if bit == 0 || p&bit != 0 {
				return 0, false
			}
			p |= bit
		}
		return int64(p), true
	}, math.MinInt32, math.MaxInt32))
}

// serverIndex reads a server as serverName writes it: "sN", "-", or a number.
func (d *codecDecoder) serverIndex() int {
	return int(d.name("server", func(s []byte) (int64, bool) {
		if string(s) == "-" {
			return -1, true
		}
		if len(s) < 2 || s[0] != 's' || s[1] == '0' && len(s) > 2 {
			return 0, false
		}
		n, err := strconv.ParseInt(string(s[1:]), 10, 64)
		if err != nil || n < 1 || s[1] == '+' {
			return 0, false
		}
		return n - 1, true
	}, math.MinInt, math.MaxInt))
}

// clientIndex reads a client as client writes it: "cN" or a number.
func (d *codecDecoder) clientIndex() int {
	return int(d.name("client", func(s []byte) (int64, bool) {
		if len(s) < 2 || s[0] != 'c' || s[1] == '0' && len(s) > 2 {
			return 0, false
		}
		n, err := strconv.ParseInt(string(s[1:]), 10, 64)
		if err != nil || n < 0 || s[1] == '+' || s[1] == '-' {
			return 0, false
		}
		return n, true
	}, math.MinInt, math.MaxInt))
}

func (d *codecDecoder) serverList() []int {
	list := []int{}
	var n int
	if d.open('[') {
		for d.more(']', &n) {
			list = append(list, d.serverIndex())
		}
	}
	return list
}

// data reads the text form of byte data; the result is never nil.
func (d *codecDecoder) data() []byte {
	return append([]byte{}, d.strBytes()...)
}

// dataB64 reads the base64 form of byte data; the result is never nil.
func (d *codecDecoder) dataB64() []byte {
	start := d.i
	b := d.strBytes()
	p, err := base64.StdEncoding.AppendDecode(make([]byte, 0, base64.StdEncoding.DecodedLen(len(b))), b)
	if err != nil && d.err == nil {
		d.i = start
		d.fail("bad base64: %v", err)
	}
	return p
}

func (d *codecDecoder) strings() []string {
	list := []string{}
	var n int
	if d.open('[') {
		for d.more(']', &n) {
			list = append(list, d.str())
		}
	}
	return list
}

func (d *codecDecoder) acl() []tree.ACL {
	list := []tree.ACL{}
	var n int
	if d.open('[') {
		for d.more(']', &n) {
			var a tree.ACL
			var m int
			d.open('{')
			for d.more('}', &m) {
				switch k := d.key(); k {
				case "perms":
					a.Perms = d.perms()
				case "scheme":
					a.ID.Scheme = d.str()
				case "id":
					a.ID.ID = d.str()
				default:
					d.unknown(k)
				}
			}
			list = append(list, a)
		}
	}
	return list
}

// nest enters a nested request or result, refusing nesting past codecMaxDepth.
func (d *codecDecoder) nest() bool {
	if d.depth >= codecMaxDepth {
		d.fail("nested deeper than %d levels", codecMaxDepth)
		return false
	}
	d.depth++
	return true
}

func (d *codecDecoder) request(r *tree.Request) {
	if !d.nest() {
		return
	}
	defer func() { d.depth-- }()
	var n int
	d.open('{')
	for d.more('}', &n) {
		switch k := d.key(); k {
		case "op":
			r.Type = d.opcode()
		case "path":
			r.Path = d.str()
		case "data":
			r.Data = d.data()
		case "data_b64":
			r.Data = d.dataB64()
		case "acl":
			r.ACL = d.acl()
		case "mode":
			r.Mode = d.createMode()
		case "ttl":
			r.TTL = d.int64()
		case "version":
			r.Version = d.int32()
		case "watch":
			r.Watch = d.bool()
		case "timeout":
			r.Timeout = d.int32()
		case "watch_mode":
			r.WatchMode = d.watchMode()
		case "watcher_type":
			r.WatcherType = d.watcherType()
		case "ops":
			r.Ops = []tree.Request{}
			var m int
			if d.open('[') {
				for d.more(']', &m) {
					r.Ops = append(r.Ops, tree.Request{})
					d.request(&r.Ops[len(r.Ops)-1])
				}
			}
		case "relative_zxid":
			setWatchesOf(r).RelativeZxid = d.zxid()
		case "data_watches":
			setWatchesOf(r).DataWatches = d.strings()
		case "exist_watches":
			setWatchesOf(r).ExistWatches = d.strings()
		case "child_watches":
			setWatchesOf(r).ChildWatches = d.strings()
		case "persistent_watches":
			setWatchesOf(r).PersistentWatches = d.strings()
		case "persistent_recursive_watches":
			setWatchesOf(r).PersistentRecursiveWatches = d.strings()
		default:
			d.unknown(k)
		}
	}
}

func (d *codecDecoder) result(r *tree.Result) {
	if !d.nest() {
		return
	}
	defer func() { d.depth-- }()
	var n int
	statUnset := false
	d.open('{')
	for d.more('}', &n) {
		switch k := d.key(); k {
		case "op":
			r.Type = d.opcode()
		case "err":
			r.Err = d.code()
		case "path":
			r.Path = d.str()
		case "stat":
			r.HasStat = true
			d.stat(&r.Stat)
		case "stat_unset":
			statUnset = d.bool()
		case "data":
			r.Data = d.data()
		case "data_b64":
			r.Data = d.dataB64()
		case "children":
			r.Children = d.strings()
		case "acl":
			r.ACL = d.acl()
		case "paths":
			r.Paths = d.strings()
		case "count":
			r.Count = d.int32()
		case "multi":
			r.Multi = []tree.Result{}
			var m int
			if d.open('[') {
				for d.more(']', &m) {
					r.Multi = append(r.Multi, tree.Result{})
					d.result(&r.Multi[len(r.Multi)-1])
				}
			}
		default:
			d.unknown(k)
		}
	}
	if statUnset {
		r.HasStat = false
	}
}

func (d *codecDecoder) stat(s *tree.Stat) {
	var n int
	d.open('{')
	for d.more('}', &n) {
		switch k := d.key(); k {
		case "czxid":
			s.Czxid = d.zxid()
		case "mzxid":
			s.Mzxid = d.zxid()
		case "ctime":
			s.Ctime = d.int64()
		case "mtime":
			s.Mtime = d.int64()
		case "version":
			s.Version = d.int32()
		case "cversion":
			s.Cversion = d.int32()
		case "aversion":
			s.Aversion = d.int32()
		case "ephemeral_owner":
			s.EphemeralOwner = int64(d.hex())
		case "data_length":
			s.DataLength = d.int32()
		case "num_children":
			s.NumChildren = d.int32()
		case "pzxid":
			s.Pzxid = d.zxid()
		default:
			d.unknown(k)
		}
	}
}

// skip reads over any JSON value.
func (d *codecDecoder) skip() {
	if d.err != nil {
		return
	}
	switch c := d.peek(); {
	case c == '"':
		d.strBytes()
	case c == '{' || c == '[':
		if !d.nest() {
			return
		}
		d.i++
		var n int
		close := byte('}')
		if c == '[' {
			close = ']'
		}
		for d.more(close, &n) {
			if c == '{' {
				d.strBytes()
				if d.peek() != ':' {
					d.failExpect("':'")
					break
				}
				d.i++
			}
			d.skip()
		}
		d.depth--
	case c == 't' || c == 'f':
		d.bool()
	case c == 'n' && bytes.HasPrefix(d.b[d.i:], []byte("null")):
		d.i += 4
	default:
		start := d.i
		if c == '-' {
			d.i++
		}
		for d.i < len(d.b) && strings.IndexByte("0123456789.eE+-", d.b[d.i]) >= 0 {
			d.i++
		}
		if d.i == start {
			d.failExpect("a value")
		}
	}
}

// recordType returns the record's type: the fast way when the line starts as Encode writes it,
// else by reading over the object for its "type" field. The read position is left at the start.
func (d *codecDecoder) recordType() string {
	const prefix = `{"type":"`
	if bytes.HasPrefix(d.b, []byte(prefix)) {
		if end := bytes.IndexByte(d.b[len(prefix):], '"'); end >= 0 {
			if kind, ok := codecKinds[string(d.b[len(prefix):len(prefix)+end])]; ok {
				return kind
			}
		}
	}
	kind := ""
	var n int
	if d.open('{') {
		for d.more('}', &n) {
			k := d.strBytes()
			if d.peek() != ':' {
				d.failExpect("':'")
				break
			}
			d.i++
			if string(k) == "type" {
				t := d.strBytes()
				if d.err != nil {
					break
				}
				if kind = codecKinds[string(t)]; kind == "" {
					d.fail("unknown record type %q", t)
					return ""
				}
				continue
			}
			d.skip()
		}
	}
	if d.err == nil && kind == "" {
		d.i = 0
		d.fail("the record has no type")
	}
	d.i = 0
	return kind
}

// record decodes one line after the header.
func (d *codecDecoder) record(line []byte, n int) {
	d.b, d.i, d.line, d.kind, d.field, d.depth = line, 0, n, "", "", 0
	if len(bytes.TrimSpace(line)) == 0 {
		d.fail("empty line")
		return
	}
	if d.ended {
		d.fail("a record after the end record")
		return
	}
	kind := d.recordType()
	if d.err != nil {
		return
	}
	d.kind = kind
	switch kind {
	case "op":
		d.op()
	case "event":
		d.event()
	case "fault":
		d.fault()
	case "server":
		d.server()
	case "recipe":
		d.recipe()
	case "applied":
		d.applied()
	case "txn":
		d.txn()
	case "checkpoint":
		d.checkpoint()
	case "final":
		d.final()
	case "liveness":
		d.liveness()
	case "end":
		d.end()
	default:
		d.kind = ""
		d.fail("unknown record type %q", kind)
		return
	}
	if d.err == nil && d.peek() != 0 {
		d.field = ""
		d.failExpect("the end of the line")
	}
	if kind != "end" {
		d.records++
	}
}

// typeField reads over a record's "type" field, already known.
func (d *codecDecoder) typeField() { d.strBytes() }

func (d *codecDecoder) op() {
	id := d.ops.n
	op := d.ops.add()
	op.Return, op.Server = Never, -1
	var n int
	d.open('{')
	for d.more('}', &n) {
		switch k := d.key(); k {
		case "type":
			d.typeField()
		case "id":
			op.ID = d.int()
		case "client":
			op.Client = d.clientIndex()
		case "session":
			op.Session = d.session()
		case "xid":
			op.Xid = d.int32()
		case "invoke":
			op.Invoke = Time(d.int64())
		case "invoke_seq":
			op.InvokeSeq = Seq(d.uint64())
		case "req":
			d.request(&op.Req)
		case "return":
			op.Return = Time(d.int64())
		case "return_seq":
			op.ReturnSeq = Seq(d.uint64())
		case "outcome":
			op.Outcome = d.outcome()
		case "err":
			op.Err = d.code()
		case "server":
			op.Server = d.serverIndex()
		case "zxid":
			op.Zxid = d.zxid()
		case "result":
			d.result(&op.Result)
		default:
			d.unknown(k)
		}
	}
	d.field = ""
	if d.err == nil && op.ID != id {
		d.fail("op id %d is out of sequence: expected %d", op.ID, id)
	}
}

func (d *codecDecoder) event() {
	ev := d.events.add()
	ev.Server = -1
	var n int
	d.open('{')
	for d.more('}', &n) {
		switch k := d.key(); k {
		case "type":
			d.typeField()
		case "client":
			ev.Client = d.clientIndex()
		case "session":
			ev.Session = d.session()
		case "time":
			ev.Time = Time(d.int64())
		case "seq":
			ev.Seq = Seq(d.uint64())
		case "event":
			ev.Type = d.eventType()
		case "state":
			ev.State = d.state()
		case "path":
			ev.Path = d.str()
		case "zxid":
			ev.Zxid = d.zxid()
		case "server":
			ev.Server = d.serverIndex()
		case "timeout":
			ev.Timeout = d.int64()
		default:
			d.unknown(k)
		}
	}
}

func (d *codecDecoder) recipe() {
	var r RecipeEvent
	var n int
	d.open('{')
	for d.more('}', &n) {
		switch k := d.key(); k {
		case "type":
			d.typeField()
		case "process":
			r.Process = d.int()
		case "client":
			r.Client = d.clientIndex()
		case "session":
			r.Session = d.session()
		case "time":
			r.Time = Time(d.int64())
		case "seq":
			r.Seq = Seq(d.uint64())
		case "recipe":
			r.Recipe = d.str()
		case "step":
			r.Step = d.str()
		case "name":
			r.Name = d.str()
		case "node":
			r.Node = d.str()
		case "token":
			r.Token = d.int64()
		case "value":
			r.Value = d.str()
		default:
			d.unknown(k)
		}
	}
	d.h.Recipes = append(d.h.Recipes, r)
}

func (d *codecDecoder) fault() {
	f := Fault{End: Never}
	var n int
	d.open('{')
	for d.more('}', &n) {
		switch k := d.key(); k {
		case "type":
			d.typeField()
		case "id":
			f.ID = d.int()
		case "kind":
			f.Kind = FaultKind(d.str())
		case "servers":
			f.Servers = d.serverList()
		case "clients":
			f.Clients = []int{}
			var m int
			if d.open('[') {
				for d.more(']', &m) {
					f.Clients = append(f.Clients, d.clientIndex())
				}
			}
		case "groups":
			f.Groups = [][]int{}
			var m int
			if d.open('[') {
				for d.more(']', &m) {
					if d.peek() == 'n' && bytes.HasPrefix(d.b[d.i:], []byte("null")) {
						d.i += 4
						f.Groups = append(f.Groups, nil)
						continue
					}
					f.Groups = append(f.Groups, d.serverList())
				}
			}
		case "detail":
			f.Detail = d.str()
		case "start":
			f.Start = Time(d.int64())
		case "start_seq":
			f.StartSeq = Seq(d.uint64())
		case "end":
			f.End = Time(d.int64())
		case "end_seq":
			f.EndSeq = Seq(d.uint64())
		default:
			d.unknown(k)
		}
	}
	d.field = ""
	if d.err == nil && f.ID != len(d.h.Faults) {
		d.fail("fault id %d is out of sequence: expected %d", f.ID, len(d.h.Faults))
	}
	d.h.Faults = append(d.h.Faults, f)
}

func (d *codecDecoder) server() {
	var s ServerEvent
	leaderSet := false
	var n int
	d.open('{')
	for d.more('}', &n) {
		switch k := d.key(); k {
		case "type":
			d.typeField()
		case "server":
			s.Server = d.serverIndex()
		case "time":
			s.Time = Time(d.int64())
		case "seq":
			s.Seq = Seq(d.uint64())
		case "kind":
			s.Kind = d.serverKind()
		case "role":
			s.Role = d.role()
		case "epoch":
			s.Epoch = d.int64()
		case "leader":
			s.Leader, leaderSet = d.serverIndex(), true
		case "serving":
			s.Serving = d.bool()
		case "zxid":
			s.Zxid = d.zxid()
		case "detail":
			s.Detail = d.str()
		default:
			d.unknown(k)
		}
	}
	if !leaderSet {
		s.Leader = codecLeaderDefault(s.Kind)
	}
	d.h.Servers = append(d.h.Servers, s)
}

func (d *codecDecoder) applied() {
	var a Applied
	server := -1
	var n int
	d.open('{')
	for d.more('}', &n) {
		switch k := d.key(); k {
		case "type":
			d.typeField()
		case "server":
			server = d.serverIndex()
		case "incarnation":
			a.Incarnation = d.int()
		case "time":
			a.Time = Time(d.int64())
		case "seq":
			a.Seq = Seq(d.uint64())
		case "zxid":
			a.Zxid = d.zxid()
		case "op":
			a.Type = d.opcode()
		case "session":
			a.Session = d.session()
		case "cxid":
			a.Cxid = d.int32()
		case "digest":
			a.Digest = d.hex()
		default:
			d.unknown(k)
		}
	}
	d.field = ""
	if d.err != nil {
		return
	}
	if server < 0 || server >= len(d.appliedBy) {
		d.fail("server %s is not one of the header's %d servers", ServerName(server), len(d.appliedBy))
		return
	}
	*d.appliedBy[server].add() = a
}

func (d *codecDecoder) txn() {
	var zxid tree.Zxid
	var op tree.OpCode
	var session tree.SessionID
	var path string
	var x *tree.Txn
	var n int
	d.open('{')
	for d.more('}', &n) {
		switch k := d.key(); k {
		case "type":
			d.typeField()
		case "zxid":
			zxid = d.zxid()
		case "op":
			op = d.opcode()
		case "session":
			session = d.session()
		case "path":
			path = d.str()
		case "txn":
			start := d.i
			enc := d.dataB64()
			if d.err != nil {
				break
			}
			var err error
			if x, err = tree.DecodeTxn(enc); err != nil {
				d.i = start
				d.fail("%v", err)
			}
		default:
			d.unknown(k)
		}
	}
	d.field = ""
	switch {
	case d.err != nil:
		return
	case x == nil:
		d.fail("no txn field")
	case zxid != x.Zxid:
		d.fail("zxid %s disagrees with the encoded txn's %s", zxid, x.Zxid)
	case op != x.Type:
		d.fail("op %s disagrees with the encoded txn's %s", op, x.Type)
	case session != x.Session:
		d.fail("session %s disagrees with the encoded txn's %s", session, x.Session)
	case path != x.Path:
		d.fail("path %q disagrees with the encoded txn's %q", path, x.Path)
	case d.log.n > 0 && (*d.log.last()).Zxid >= x.Zxid:
		d.fail("txn %s follows txn %s: the log is not in zxid order", x.Zxid, (*d.log.last()).Zxid)
	}
	if d.err == nil {
		*d.log.add() = x
	}
}

func (d *codecDecoder) checkpoint() {
	var c Checkpoint
	var n int
	d.open('{')
	for d.more('}', &n) {
		switch k := d.key(); k {
		case "type":
			d.typeField()
		case "time":
			c.Time = Time(d.int64())
		case "events":
			c.Events = d.uint64()
		case "hash":
			c.Hash = d.hex()
		default:
			d.unknown(k)
		}
	}
	d.h.Checkpoints = append(d.h.Checkpoints, c)
}

func (d *codecDecoder) final() {
	var f Final
	var n int
	d.open('{')
	for d.more('}', &n) {
		switch k := d.key(); k {
		case "type":
			d.typeField()
		case "server":
			f.Server = d.serverIndex()
		case "up":
			f.Up = d.bool()
		case "role":
			f.Role = d.role()
		case "epoch":
			f.Epoch = d.int64()
		case "zxid":
			f.Zxid = d.zxid()
		case "digest":
			f.Digest = d.hex()
		default:
			d.unknown(k)
		}
	}
	d.h.Final = append(d.h.Final, f)
}

func (d *codecDecoder) liveness() {
	l := Liveness{At: Never}
	var n int
	d.open('{')
	for d.more('}', &n) {
		switch k := d.key(); k {
		case "type":
			d.typeField()
		case "healed":
			l.Healed = Time(d.int64())
		case "converged":
			l.Converged = d.bool()
		case "at":
			l.At = Time(d.int64())
		case "pending":
			l.Pending = d.str()
		default:
			d.unknown(k)
		}
	}
	d.field = ""
	if d.err == nil && d.live {
		d.fail("a second liveness record")
	}
	d.live = true
	d.h.Liveness = l
}

func (d *codecDecoder) end() {
	records := -1
	var n int
	d.open('{')
	for d.more('}', &n) {
		switch k := d.key(); k {
		case "type":
			d.typeField()
		case "records":
			records = d.int()
		default:
			d.unknown(k)
		}
	}
	d.field = ""
	if d.err == nil && records != d.records {
		d.fail("the end record counts %d records, but the file has %d", records, d.records)
	}
	d.ended = true
}

// setWatchesOf returns r's setWatches body, giving r one if it has none yet.
func setWatchesOf(r *tree.Request) *tree.SetWatches {
	if r.SetWatches == nil {
		r.SetWatches = &tree.SetWatches{}
	}
	return r.SetWatches
}
