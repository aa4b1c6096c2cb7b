package histories

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"zoosim/tree"
)

// Divergence says where two runs that should be identical (a history and the replay of its
// header) first differ: which header fields differ, the window of virtual time and kernel
// events in which their traces parted (from the checkpoints), and the first record that
// differs (issue 5, "Replay").
type Divergence struct {
	// Headers lists the header fields that differ, as "seed 42 vs 43": first the fields that
	// name the run (seed, scenario, commit, servers, clients), then those that describe how it
	// went (trace hash, events, end).
	Headers []string
	// SameHeader reports whether the fields that name the run agree, so that the runs were
	// meant to be identical.
	SameHeader bool
	// Windowed reports whether the trace samples bound where the traces parted: they agreed at
	// From after FromEvents kernel events, and differed by To, ToEvents (the first differing
	// checkpoint, or the end of the runs when only the final trace hashes differ).
	Windowed             bool
	From, To             Time
	FromEvents, ToEvents uint64
	// Record is the first record that differs, nil when the records agree.
	Record *RecordDiff
}

// RecordDiff is the first record in which two runs differ.
type RecordDiff struct {
	// Kind is the record type as the file format names it: "op", "event", "fault", "server",
	// "applied", "recipe", "txn", "final", "liveness".
	Kind string
	// Seq and Time place the record in the first run (in the second when the first has none
	// there); both are 0 for the records outside the timeline (txn, final, liveness).
	Seq  Seq
	Time Time
	// Op is the op's ID for an op record, else -1.
	Op int
	// Message says what differs in one line: "op 123 (c4 setData /hot1) returned NoNode in one
	// run, OK in the other".
	Message string
}

// String says where the runs diverged in one line, for instance "the runs diverged between
// 3.200s and 3.300s (events 12000-12480); first different record: op 123 (c4 setData /hot1)
// returned NoNode in one run, OK in the other; at the end: trace hash 0x1f vs 0x2e".
func (d Divergence) String() string {
	var b strings.Builder
	if !d.SameHeader {
		var named []string
		for _, h := range d.Headers {
			if !divOutcomeField(h) {
				named = append(named, h)
			}
		}
		fmt.Fprintf(&b, "the runs have different headers (%s), so they need not agree; ", strings.Join(named, ", "))
	}
	b.WriteString("the runs diverged")
	if d.Windowed {
		fmt.Fprintf(&b, " between %s and %s (events %d-%d)", divTime(d.From), divTime(d.To), d.FromEvents, d.ToEvents)
	}
	if d.Record != nil {
		b.WriteString("; first different record: " + d.Record.Message)
	} else {
		b.WriteString("; the records agree")
	}
	var outcome []string
	for _, h := range d.Headers {
		if divOutcomeField(h) {
			outcome = append(outcome, h)
		}
	}
	if len(outcome) > 0 {
		b.WriteString("; at the end: " + strings.Join(outcome, ", "))
	}
	return b.String()
}

// The header fields that describe how a run went rather than which run it is.
var divOutcomeFields = []string{"trace hash ", "events ", "end "}

func divOutcomeField(h string) bool {
	for _, p := range divOutcomeFields {
		if strings.HasPrefix(h, p) {
			return true
		}
	}
	return false
}

// divOneLine escapes the characters of s that are not printable (a newline in a path, bytes of
// invalid UTF-8) as Go escapes them, so a message stays one readable line.
func divOneLine(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			q := strconv.Quote(s[i : i+size])
			b.WriteString(q[1 : len(q)-1])
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// divTime prints a virtual time as seconds with millisecond precision ("3.200s"), as the
// checkers' reports do.
func divTime(t Time) string {
	if t == Never {
		return "never"
	}
	sign, u := "", codecAbs(int64(t))
	if t < 0 {
		sign = "-"
	}
	return fmt.Sprintf("%s%d.%03ds", sign, u/1e9, u/1e6%1000)
}

// Diverge compares two histories of runs that should be identical and reports where they first
// differ, and false when they do not differ at all. It compares the headers, then the
// checkpoints (the first that differs bounds the window in which the traces parted), then the
// records: the timeline in Seq order (op invokes and returns, events, fault starts and ends,
// server events, applied txns), then the committed log, the final states and the liveness
// result.
func Diverge(a, b *History) (Divergence, bool) {
	d := Divergence{SameHeader: true}
	d.compareHeaders(&a.Header, &b.Header)
	d.compareCheckpoints(a, b)
	d.Record = divFirstRecord(a, b)
	if d.Record != nil {
		d.Record.Message = divOneLine(d.Record.Message)
	}
	if len(d.Headers) == 0 && !d.Windowed && d.Record == nil {
		return Divergence{}, false
	}
	return d, true
}

func (d *Divergence) compareHeaders(a, b *Header) {
	differ := func(field string, named bool, x, y any) {
		d.Headers = append(d.Headers, fmt.Sprintf("%s %v vs %v", field, x, y))
		if named {
			d.SameHeader = false
		}
	}
	if a.Seed != b.Seed {
		differ("seed", true, a.Seed, b.Seed)
	}
	if !bytes.Equal(a.Scenario, b.Scenario) {
		d.Headers = append(d.Headers, "scenario differs")
		d.SameHeader = false
	}
	if a.Commit != b.Commit {
		differ("commit", true, strconv.Quote(a.Commit), strconv.Quote(b.Commit))
	}
	if a.Servers != b.Servers {
		differ("servers", true, a.Servers, b.Servers)
	}
	if a.Clients != b.Clients {
		differ("clients", true, a.Clients, b.Clients)
	}
	if a.TraceHash != b.TraceHash {
		differ("trace hash", false, fmt.Sprintf("%#x", a.TraceHash), fmt.Sprintf("%#x", b.TraceHash))
	}
	if a.Events != b.Events {
		differ("events", false, a.Events, b.Events)
	}
	if a.End != b.End {
		differ("end", false, divTime(a.End), divTime(b.End))
	}
}

// compareCheckpoints sets the window: from the last checkpoint both runs share to the first
// where they differ. When one run has checkpoints the other lacks, or every checkpoint agrees
// but the final trace hashes differ, the window closes at the earlier end of the two runs.
func (d *Divergence) compareCheckpoints(a, b *History) {
	ca, cb := a.Checkpoints, b.Checkpoints
	i := 0
	for i < len(ca) && i < len(cb) && ca[i] == cb[i] {
		i++
	}
	var from Checkpoint
	if i > 0 {
		from = ca[i-1]
	}
	end := func(h *History, cs []Checkpoint) (Time, uint64) {
		if i < len(cs) {
			return cs[i].Time, cs[i].Events
		}
		return h.Header.End, h.Header.Events
	}
	switch {
	case i < len(ca) || i < len(cb):
	case a.Header.TraceHash != b.Header.TraceHash || a.Header.Events != b.Header.Events:
	default:
		return // the traces agree at every sample and at the end
	}
	ta, ea := end(a, ca)
	tb, eb := end(b, cb)
	d.Windowed = true
	d.From, d.FromEvents = from.Time, from.Events
	d.To, d.ToEvents = max(min(ta, tb), from.Time), max(min(ea, eb), from.Events)
}

// divKind orders the kinds of timeline items that share a Seq (none do in a Recorder's
// history; the order only makes the comparison deterministic for any input).
type divKind uint8

const (
	divInvoke divKind = iota
	divReturn
	divEvent
	divFaultStart
	divFaultEnd
	divServer
	divApplied
	divRecipe
)

// divItem is one entry of a history's timeline: an op's invoke or return, an event, a fault's
// start or end, a server event, an applied txn.
type divItem struct {
	seq    Seq
	kind   divKind
	index  int // in its list (Ops, Events, Faults, Servers, Applied[server], Recipes)
	server int // for divApplied
}

func divTimeline(h *History) []divItem {
	items := make([]divItem, 0, 2*len(h.Ops)+len(h.Events)+2*len(h.Faults)+len(h.Servers))
	for i := range h.Ops {
		items = append(items, divItem{seq: h.Ops[i].InvokeSeq, kind: divInvoke, index: i})
		if h.Ops[i].ReturnSeq != 0 {
			items = append(items, divItem{seq: h.Ops[i].ReturnSeq, kind: divReturn, index: i})
		}
	}
	for i := range h.Events {
		items = append(items, divItem{seq: h.Events[i].Seq, kind: divEvent, index: i})
	}
	for i := range h.Faults {
		items = append(items, divItem{seq: h.Faults[i].StartSeq, kind: divFaultStart, index: i})
		if h.Faults[i].EndSeq != 0 {
			items = append(items, divItem{seq: h.Faults[i].EndSeq, kind: divFaultEnd, index: i})
		}
	}
	for i := range h.Servers {
		items = append(items, divItem{seq: h.Servers[i].Seq, kind: divServer, index: i})
	}
	for s, list := range h.Applied {
		for i := range list {
			items = append(items, divItem{seq: list[i].Seq, kind: divApplied, index: i, server: s})
		}
	}
	for i := range h.Recipes {
		items = append(items, divItem{seq: h.Recipes[i].Seq, kind: divRecipe, index: i})
	}
	slices.SortStableFunc(items, func(x, y divItem) int {
		switch {
		case x.seq != y.seq:
			return cmpOrder(x.seq, y.seq)
		case x.kind != y.kind:
			return cmpOrder(x.kind, y.kind)
		case x.server != y.server:
			return cmpOrder(x.server, y.server)
		}
		return cmpOrder(x.index, y.index)
	})
	return items
}

func cmpOrder[T ~int | ~uint8 | ~uint64](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// divFirstRecord returns the first record in which a and b differ, or nil.
func divFirstRecord(a, b *History) *RecordDiff {
	ta, tb := divTimeline(a), divTimeline(b)
	for k := 0; k < len(ta) || k < len(tb); k++ {
		switch {
		case k >= len(ta):
			return divOnly(b, tb[k], "second")
		case k >= len(tb):
			return divOnly(a, ta[k], "first")
		}
		x, y := ta[k], tb[k]
		if x.seq == y.seq && divSame(a, b, x, y) {
			continue
		}
		// One run may have a record the other lacks: then the rest lines up one item later
		// (with Seqs shifted by one).
		if k+1 < len(ta) && divSame(a, b, ta[k+1], y) {
			return divOnly(a, x, "first")
		}
		if k+1 < len(tb) && divSame(a, b, x, tb[k+1]) {
			return divOnly(b, y, "second")
		}
		return divDiffer(a, b, x, y)
	}
	if r := divLog(a, b); r != nil {
		return r
	}
	if r := divFinal(a, b); r != nil {
		return r
	}
	if a.Liveness != b.Liveness {
		return &RecordDiff{Kind: "liveness", Op: -1, Message: fmt.Sprintf("the liveness phase found %s in one run, %s in the other",
			divLiveness(&a.Liveness), divLiveness(&b.Liveness))}
	}
	return nil
}

// divSame reports whether items x of a and y of b are the same record, Seqs aside.
func divSame(a, b *History, x, y divItem) bool {
	if x.kind != y.kind {
		return false
	}
	switch x.kind {
	case divInvoke:
		// An op that never returned has no return item: its invoke carries the rest.
		oa, ob := &a.Ops[x.index], &b.Ops[y.index]
		if oa.ReturnSeq == 0 || ob.ReturnSeq == 0 {
			return divSameInvoke(oa, ob) && divSameReturn(oa, ob) && oa.ReturnSeq == ob.ReturnSeq
		}
		return divSameInvoke(oa, ob)
	case divReturn:
		return divSameInvoke(&a.Ops[x.index], &b.Ops[y.index]) && divSameReturn(&a.Ops[x.index], &b.Ops[y.index])
	case divEvent:
		ea, eb := a.Events[x.index], b.Events[y.index]
		ea.Seq, eb.Seq = 0, 0
		return ea == eb
	case divFaultStart, divFaultEnd:
		fa, fb := a.Faults[x.index], b.Faults[y.index]
		if x.kind == divFaultStart && fa.EndSeq != 0 && fb.EndSeq != 0 {
			// The start is the same whenever the fault ends; a fault that never ended has no
			// end item, so its start carries the rest.
			fa.End, fb.End, fa.EndSeq, fb.EndSeq = 0, 0, 0, 0
		}
		fa.StartSeq, fb.StartSeq = 0, 0
		if x.kind == divFaultEnd {
			fa.EndSeq, fb.EndSeq = 0, 0
		}
		return reflect.DeepEqual(fa, fb)
	case divServer:
		sa, sb := a.Servers[x.index], b.Servers[y.index]
		sa.Seq, sb.Seq = 0, 0
		return sa == sb
	case divApplied:
		pa, pb := a.Applied[x.server][x.index], b.Applied[y.server][y.index]
		pa.Seq, pb.Seq = 0, 0
		return x.server == y.server && pa == pb
	case divRecipe:
		ra, rb := a.Recipes[x.index], b.Recipes[y.index]
		ra.Seq, rb.Seq = 0, 0
		return ra == rb
	}
	return false
}

func divSameInvoke(x, y *Op) bool {
	return x.ID == y.ID && x.Client == y.Client && x.Session == y.Session && x.Xid == y.Xid && x.Invoke == y.Invoke &&
		reflect.DeepEqual(x.Req, y.Req)
}

func divSameReturn(x, y *Op) bool {
	return x.Return == y.Return && x.Outcome == y.Outcome && x.Err == y.Err && x.Server == y.Server && x.Zxid == y.Zxid &&
		reflect.DeepEqual(x.Result, y.Result)
}

// divRecord fills the kind, place and op of the record behind item it of h.
func divRecord(h *History, it divItem) *RecordDiff {
	r := &RecordDiff{Seq: it.seq, Op: -1}
	switch it.kind {
	case divInvoke:
		r.Kind, r.Time, r.Op = "op", h.Ops[it.index].Invoke, it.index
	case divReturn:
		r.Kind, r.Time, r.Op = "op", h.Ops[it.index].Return, it.index
	case divEvent:
		r.Kind, r.Time = "event", h.Events[it.index].Time
	case divFaultStart:
		r.Kind, r.Time = "fault", h.Faults[it.index].Start
	case divFaultEnd:
		r.Kind, r.Time = "fault", h.Faults[it.index].End
	case divServer:
		r.Kind, r.Time = "server", h.Servers[it.index].Time
	case divApplied:
		r.Kind, r.Time = "applied", h.Applied[it.server][it.index].Time
	case divRecipe:
		r.Kind, r.Time = "recipe", h.Recipes[it.index].Time
	}
	return r
}

// divOnly reports a record that only one run (which: "first" or "second") has.
func divOnly(h *History, it divItem, which string) *RecordDiff {
	r := divRecord(h, it)
	r.Message = fmt.Sprintf("%s at %s (seq %d) happened in the %s run only", divDescribe(h, it), divTime(r.Time), it.seq, which)
	return r
}

// divDiffer describes how items x of a and y of b differ.
func divDiffer(a, b *History, x, y divItem) *RecordDiff {
	r := divRecord(a, x)
	isOp := x.kind == divInvoke || x.kind == divReturn
	if x.kind != y.kind || x.index != y.index || x.server != y.server || isOp && !divSameInvoke(&a.Ops[x.index], &b.Ops[y.index]) {
		r.Message = fmt.Sprintf("at seq %d, %s at %s in one run, %s at %s in the other", x.seq,
			divDescribe(a, x), divTime(r.Time), divDescribe(b, y), divTime(divRecord(b, y).Time))
		if x.seq != y.seq {
			r.Message = fmt.Sprintf("%s at %s (seq %d) in one run, %s at %s (seq %d) in the other",
				divDescribe(a, x), divTime(r.Time), x.seq, divDescribe(b, y), divTime(divRecord(b, y).Time), y.seq)
		}
		return r
	}
	if isOp && !(divSameReturn(&a.Ops[x.index], &b.Ops[y.index]) && x.seq == y.seq) {
		r.Message = divReturnDiff(&a.Ops[x.index], &b.Ops[y.index], x.seq, y.seq)
		return r
	}
	// The same record with other values, or the same values at another Seq.
	if divSame(a, b, x, y) {
		r.Message = fmt.Sprintf("%s came at seq %d in one run, seq %d in the other", divDescribe(a, x), x.seq, y.seq)
		return r
	}
	r.Message = fmt.Sprintf("%s in one run, %s in the other", divDescribeAt(a, x), divDescribeAt(b, y))
	return r
}

// divReturnDiff says how the returns of the same op differ.
func divReturnDiff(x, y *Op, sx, sy Seq) string {
	op := divOpName(x)
	switch {
	case x.Outcome != y.Outcome || x.Err != y.Err:
		return fmt.Sprintf("%s returned %s in one run, %s in the other", op, divOutcome(x), divOutcome(y))
	case x.Server != y.Server:
		return fmt.Sprintf("%s was answered by %s in one run, by %s in the other", op, ServerName(x.Server), ServerName(y.Server))
	case x.Zxid != y.Zxid:
		return fmt.Sprintf("%s returned zxid %s in one run, %s in the other", op, x.Zxid, y.Zxid)
	case !reflect.DeepEqual(x.Result, y.Result):
		return fmt.Sprintf("%s returned %s in one run, %s in the other", op, x.Result.String(), y.Result.String())
	case x.Return != y.Return:
		return fmt.Sprintf("%s returned at %s in one run, at %s in the other", op, divTime(x.Return), divTime(y.Return))
	}
	return fmt.Sprintf("%s returned at seq %d in one run, seq %d in the other", op, sx, sy)
}

func divOutcome(o *Op) string {
	if o.Outcome == Unknown {
		return o.Err.String() + " (outcome unknown)"
	}
	return o.Err.String()
}

// divOpName names an op as "op 123 (c4 setData /hot1)".
func divOpName(o *Op) string {
	s := fmt.Sprintf("op %d (%s %s", o.ID, ClientName(o.Client), o.Req.Type)
	if o.Req.Path != "" {
		s += " " + o.Req.Path
	}
	return s + ")"
}

// divDescribe says in a few words what item it of h is.
func divDescribe(h *History, it divItem) string {
	switch it.kind {
	case divInvoke:
		return divOpName(&h.Ops[it.index]) + " invoked"
	case divReturn:
		o := &h.Ops[it.index]
		return divOpName(o) + " returned " + divOutcome(o)
	case divEvent:
		e := &h.Events[it.index]
		if e.IsSession() {
			return fmt.Sprintf("event %s session %s (server %s)", ClientName(e.Client), e.State, ServerName(e.Server))
		}
		return fmt.Sprintf("event %s %s %s (zxid %s)", ClientName(e.Client), e.Type, e.Path, e.Zxid)
	case divFaultStart, divFaultEnd:
		f := &h.Faults[it.index]
		what := "started"
		if it.kind == divFaultEnd {
			what = "ended"
		}
		return fmt.Sprintf("fault %d (%s%s) %s", f.ID, f.Kind, divFaultTargets(f), what)
	case divServer:
		s := &h.Servers[it.index]
		desc := fmt.Sprintf("%s %s", ServerName(s.Server), s.Kind)
		switch s.Kind {
		case Role:
			desc += fmt.Sprintf(" %s epoch %d leader %s serving %t", s.Role, s.Epoch, ServerName(s.Leader), s.Serving)
		case Boot:
			desc += fmt.Sprintf(" at zxid %s", s.Zxid)
		case Halt:
			desc += ": " + s.Detail
		}
		return desc
	case divApplied:
		p := &h.Applied[it.server][it.index]
		return fmt.Sprintf("%s applied %s (%s, session %s, cxid %d, digest %#x)", ServerName(it.server), p.Zxid, p.Type, p.Session, p.Cxid, p.Digest)
	case divRecipe:
		e := &h.Recipes[it.index]
		return fmt.Sprintf("%s %s %s %s (process %d, node %s, token %d, value %q)", ClientName(e.Client), e.Recipe, e.Name, e.Step, e.Process, e.Node, e.Token, e.Value)
	}
	return "?"
}

// divDescribeAt is divDescribe with the record's time.
func divDescribeAt(h *History, it divItem) string {
	return divDescribe(h, it) + " at " + divTime(divRecord(h, it).Time)
}

func divFaultTargets(f *Fault) string {
	var parts []string
	names := func(list []int, name func(int) string) string {
		var s []string
		for _, i := range list {
			s = append(s, name(i))
		}
		return strings.Join(s, " ")
	}
	if len(f.Servers) > 0 {
		parts = append(parts, names(f.Servers, ServerName))
	}
	if len(f.Clients) > 0 {
		parts = append(parts, names(f.Clients, ClientName))
	}
	if len(f.Groups) > 0 {
		var gs []string
		for _, g := range f.Groups {
			gs = append(gs, "["+names(g, ServerName)+"]")
		}
		parts = append(parts, strings.Join(gs, " | "))
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, "; ")
}

// divLog compares the committed logs txn by txn, by their exact encoding.
func divLog(a, b *History) *RecordDiff {
	for i := 0; i < len(a.Log) || i < len(b.Log); i++ {
		r := &RecordDiff{Kind: "txn", Op: -1}
		switch {
		case i >= len(a.Log):
			r.Message = fmt.Sprintf("committed txn %s (%s) is in the second run's log only", b.Log[i].Zxid, b.Log[i])
		case i >= len(b.Log):
			r.Message = fmt.Sprintf("committed txn %s (%s) is in the first run's log only", a.Log[i].Zxid, a.Log[i])
		case !bytes.Equal(tree.AppendTxn(nil, a.Log[i]), tree.AppendTxn(nil, b.Log[i])):
			r.Message = fmt.Sprintf("committed txn %d is %s in one run, %s in the other", i, a.Log[i], b.Log[i])
		default:
			continue
		}
		return r
	}
	return nil
}

// divFinal compares the servers' final states.
func divFinal(a, b *History) *RecordDiff {
	for i := 0; i < len(a.Final) || i < len(b.Final); i++ {
		r := &RecordDiff{Kind: "final", Op: -1}
		switch {
		case i >= len(a.Final):
			r.Message = fmt.Sprintf("the second run has a final state for %s, the first none", ServerName(b.Final[i].Server))
		case i >= len(b.Final):
			r.Message = fmt.Sprintf("the first run has a final state for %s, the second none", ServerName(a.Final[i].Server))
		case a.Final[i] != b.Final[i]:
			r.Message = fmt.Sprintf("%s ended %s in one run, %s in the other", ServerName(a.Final[i].Server), divFinalState(&a.Final[i]), divFinalState(&b.Final[i]))
		default:
			continue
		}
		return r
	}
	return nil
}

func divFinalState(f *Final) string {
	up := "down"
	if f.Up {
		up = "up"
	}
	return fmt.Sprintf("%s %s epoch %d at %s digest %#x", up, f.Role, f.Epoch, f.Zxid, f.Digest)
}

func divLiveness(l *Liveness) string {
	if l.Converged {
		return fmt.Sprintf("convergence at %s (healed at %s)", divTime(l.At), divTime(l.Healed))
	}
	return fmt.Sprintf("no convergence (healed at %s; %s)", divTime(l.Healed), l.Pending)
}
