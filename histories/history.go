package histories

import (
	"encoding/json"
	"fmt"

	"zoosim/tree"
)

// Format names the history file format; a decoder refuses any other.
const Format = "zoosim-history/1"

// Time is virtual time in nanoseconds since the start of the run (the value of a sim.Time).
type Time int64

// Never is the return time of an operation that never returned: it overlaps everything after
// its invoke (porcupine's convention for an unknown outcome, tooling.md 1.6).
const Never Time = 1<<63 - 1

// Seq orders every record of a history: each invoke, return, event, fault edge and server
// event takes the next number when it is recorded. Records made at the same virtual instant
// keep the order the event loop made them in, which is the real-time order checkers need
// (porcupine treats [call, return] as closed, so equal times would make ops concurrent).
type Seq uint64

// History is everything one run recorded: what the clients did and saw, the faults, what the
// servers did, and enough of the run to replay it.
type History struct {
	Header Header
	// Ops are the client operations in invoke order (Op.ID is the index).
	Ops []Op
	// Events are the watch and session events delivered to clients, in delivery order.
	Events []Event
	// Faults are the injected faults in start order (Fault.ID is the index).
	Faults []Fault
	// Servers are the servers' role changes, boots and crashes, in the order they happened.
	Servers []ServerEvent
	// Recipes are the steps of coordination recipes that the workloads ran, in the order they
	// happened (RecipeEvent).
	Recipes []RecipeEvent
	// Log is the committed txn sequence: every txn any server applied, once per zxid, in zxid
	// order (the first server to apply a zxid supplies it; Applied tells whether the others
	// agreed).
	Log []*tree.Txn
	// Applied lists, per server index, what that server applied, in order, across every
	// incarnation.
	Applied [][]Applied
	// Final is each server's state when the run ended, by server index.
	Final []Final
	// Checkpoints sample the kernel's trace as the run went, for locating where a replay
	// diverged.
	Checkpoints []Checkpoint
	// Liveness is what the liveness phase found.
	Liveness Liveness
}

// Header identifies the run: replaying Seed with Scenario at Commit must reproduce TraceHash.
type Header struct {
	Format string `json:"format"`
	Seed   uint64 `json:"seed"`
	// Scenario is the whole scenario the run executed, as sim/cluster encodes it (histories
	// keeps it opaque: it imports nothing above tree).
	Scenario json.RawMessage `json:"scenario"`
	// Commit is the source revision that produced the history ("" when unknown).
	Commit string `json:"commit"`
	// Servers and Clients are the number of each.
	Servers int `json:"servers"`
	Clients int `json:"clients"`
	// TraceHash and Events are the kernel's trace hash and event count at the end of the run.
	TraceHash uint64 `json:"trace_hash"`
	Events    uint64 `json:"events"`
	// End is the virtual time the run ended at.
	End Time `json:"end"`
}

// Liveness is what the run's liveness phase found (DESIGN.md "Runs, faults and phases"): after
// the safety phase every fault is healed, crashed servers restart, and the ensemble must
// converge within the scenario's bound.
type Liveness struct {
	// Healed is when every fault had been healed: the safety phase ended and the liveness
	// phase began.
	Healed Time
	// Converged says whether the ensemble converged: a stable ensemble, every running server at
	// the same zxid with the same digest, and no client op outstanding.
	Converged bool
	// At is when it converged (Never when it did not).
	At Time
	// Pending says why it did not converge ("server 3 at 0x2_0000000a, leader at
	// 0x2_0000000c"); empty when it did.
	Pending string
}

// Outcome says what is known of an operation's effect.
type Outcome uint8

const (
	// OK: the server answered with success.
	OK Outcome = iota + 1
	// Failed: the server answered with an error code (Op.Err); a failed write changed nothing.
	Failed
	// Unknown: no answer from a server (the client failed the request itself with
	// ConnectionLoss, SessionExpired or Closing, or it never returned): a write may or may not
	// have taken effect, at any time after its invoke.
	Unknown
)

func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case Failed:
		return "fail"
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// Op is one client operation: the request, when it was invoked and returned, and what came back.
type Op struct {
	ID int
	// Client is the index of the client (one simulated process and its session) that issued it.
	Client int
	// Session is the client's session when it invoked the op; 0 before it had one.
	Session tree.SessionID
	// Xid is the client's request number (the Cxid of the txn a write became).
	Xid int32
	// Req is the request as the client sent it (tree owns its semantics).
	Req tree.Request

	Invoke    Time
	InvokeSeq Seq
	// Return is Never and ReturnSeq 0 when the op had not returned when the run ended.
	Return    Time
	ReturnSeq Seq

	Outcome Outcome
	// Err is the code the caller received: OK, the server's error, or the client's own
	// failure (ConnectionLoss, SessionExpired).
	Err tree.Code
	// Server is the index of the server whose reply completed the op, or -1 without a reply.
	Server int
	// Zxid is the zxid in the reply's header: the txn's zxid for a write, the server's last
	// applied zxid for a read (0 without a reply).
	Zxid tree.Zxid
	// Result is the server's result (stat, data, children, created path, multi results).
	Result tree.Result
}

// Returned reports whether the op returned before the run ended.
func (o *Op) Returned() bool { return o.ReturnSeq != 0 }

// IsWrite reports whether the op goes through the leader as a txn (it may change the tree).
func (o *Op) IsWrite() bool { return IsWrite(o.Req.Type) }

// IsWrite reports whether requests of type t are writes: they become txns.
func IsWrite(t tree.OpCode) bool {
	switch t {
	case tree.OpCreate, tree.OpCreate2, tree.OpCreateContainer, tree.OpCreateTTL, tree.OpDelete,
		tree.OpSetData, tree.OpSetACL, tree.OpCheck, tree.OpMulti, tree.OpCloseSession:
		return true
	}
	return false
}

// SessionState is a client's session state as its session events report it.
type SessionState uint8

const (
	// Connected: the client (re)connected to Event.Server with its session.
	Connected SessionState = iota + 1
	// Disconnected: the client lost its connection; the session may live on.
	Disconnected
	// Expired: a server told the client its session had expired.
	Expired
	// Closed: the client closed its session.
	Closed
	// AuthFailed: authentication failed.
	AuthFailed
)

func (s SessionState) String() string {
	switch s {
	case Connected:
		return "connected"
	case Disconnected:
		return "disconnected"
	case Expired:
		return "expired"
	case Closed:
		return "closed"
	case AuthFailed:
		return "auth-failed"
	}
	return fmt.Sprintf("SessionState(%d)", uint8(s))
}

// Event is a watch event or a session event delivered to a client.
type Event struct {
	Client  int
	Session tree.SessionID
	Time    Time
	Seq     Seq
	// Type is the watch event type; tree.EventNone for a session event (then State says which).
	Type  tree.EventType
	State SessionState
	Path  string
	// Zxid is the zxid the server's notification carried (0 for events the client made).
	Zxid tree.Zxid
	// Server is the index of the server the client was connected to, or -1.
	Server int
	// Timeout is the negotiated session timeout, for Connected events.
	Timeout int64 // milliseconds
}

// IsSession reports whether e is a session event rather than a watch event.
func (e *Event) IsSession() bool { return e.Type == tree.EventNone }

// FaultKind names a kind of fault.
type FaultKind string

// The fault kinds the scenario runner injects (sim/cluster documents each).
const (
	FaultCrash           FaultKind = "crash"             // Servers[0] crashed; ends when it restarts
	FaultPartition       FaultKind = "partition"         // Groups cannot reach each other
	FaultOneWay          FaultKind = "one-way"           // Groups[0] cannot send to Groups[1]
	FaultBridge          FaultKind = "bridge"            // Groups[0] and Groups[2] meet only through Groups[1]
	FaultRing            FaultKind = "ring"              // each server reaches only its ring neighbours (majorities ring)
	FaultIsolate         FaultKind = "isolate"           // Servers[0] reaches nobody
	FaultClog            FaultKind = "clog"              // links of Servers are slowed
	FaultSwizzle         FaultKind = "swizzle"           // swizzle-clogging: nodes clogged in one order, freed in another
	FaultPause           FaultKind = "pause"             // Servers[0] stopped (SIGSTOP); ends when resumed
	FaultDisk            FaultKind = "disk"              // Servers[0]'s disk loses fsyncs or corrupts its tail
	FaultClientReset     FaultKind = "client-reset"      // Clients' connections reset
	FaultCrashAfterWrite FaultKind = "crash-after-write" // Servers[0] crashed between a log write and its fsync
	FaultCrashProposing  FaultKind = "crash-proposing"   // the leader crashed right after it proposed
	FaultClientKill      FaultKind = "client-kill"       // Clients[0]'s node crashed, its session left to expire; an instant fault
	FaultClientPause     FaultKind = "client-pause"      // Clients[0]'s node paused past its session timeout; ends at the resume
)

// Fault is one injected fault with its start and end.
type Fault struct {
	ID   int
	Kind FaultKind
	// Servers and Clients are the indices of the nodes it acts on.
	Servers []int
	Clients []int
	// Groups are the sides of a network fault, as server indices.
	Groups [][]int
	// Detail says anything else (clog delay, disk mode) in words.
	Detail string

	Start    Time
	StartSeq Seq
	// End is Never and EndSeq 0 while the fault lasts (a run heals every fault before its
	// liveness phase, so only a failed run leaves one open).
	End    Time
	EndSeq Seq
}

// ServerEventKind says what happened to a server.
type ServerEventKind uint8

const (
	// Boot: the server started (or restarted) and recovered from its disk up to Zxid.
	Boot ServerEventKind = iota + 1
	// Crash: the server's node crashed.
	Crash
	// Role: the server's role or serving state changed (Role, Epoch, Leader, Serving).
	Role
	// Halt: the server's software stopped (a boot refusal or a disk error); Detail says why.
	Halt
)

func (k ServerEventKind) String() string {
	switch k {
	case Boot:
		return "boot"
	case Crash:
		return "crash"
	case Role:
		return "role"
	case Halt:
		return "halt"
	}
	return fmt.Sprintf("ServerEventKind(%d)", uint8(k))
}

// ServerRole is a server's role, as zab reports it.
type ServerRole uint8

const (
	Looking ServerRole = iota + 1
	Following
	Leading
)

func (r ServerRole) String() string {
	switch r {
	case Looking:
		return "looking"
	case Following:
		return "following"
	case Leading:
		return "leading"
	}
	return fmt.Sprintf("ServerRole(%d)", uint8(r))
}

// ServerEvent is a change in one server's life.
type ServerEvent struct {
	Server int
	Time   Time
	Seq    Seq
	Kind   ServerEventKind
	// For Role events: the new role, the server's currentEpoch, the leader it follows (its own
	// index when leading, -1 when looking) and whether it serves clients (an established
	// leader, or a follower past UPTODATE).
	Role    ServerRole
	Epoch   int64
	Leader  int
	Serving bool
	// Zxid is the server's last applied zxid at the event.
	Zxid   tree.Zxid
	Detail string
}

// Applied is one txn a server applied: enough to tell whether every server applied the same
// txn at each zxid (the leader's projected digest identifies the resulting state).
type Applied struct {
	Zxid tree.Zxid
	// Incarnation counts the server's boots, from 1: a restart replays its log again, so zxids
	// restart in a new incarnation.
	Incarnation int
	Time        Time
	// Seq orders the apply among every other record: the first apply of a zxid is the
	// leader's, at the moment the txn committed, so it is the txn's linearization point.
	Seq     Seq
	Type    tree.OpCode
	Session tree.SessionID
	Cxid    int32
	Digest  uint64
}

// Final is one server's state at the end of the run.
type Final struct {
	Server int
	Up     bool
	Role   ServerRole
	Epoch  int64
	Zxid   tree.Zxid // last applied
	Digest uint64    // the applied tree's digest
}

// Checkpoint samples the kernel's trace: after Events events, at virtual time Time, the trace
// hash was Hash.
type Checkpoint struct {
	Time   Time
	Events uint64
	Hash   uint64
}

// ServerName is how histories print a server index: s1 for index 0 (ZooKeeper numbers
// servers from 1, and so do the simulator's node names).
func ServerName(i int) string {
	if i < 0 {
		return "-"
	}
	return fmt.Sprintf("s%d", i+1)
}

// ClientName is how histories print a client index.
func ClientName(i int) string { return fmt.Sprintf("c%d", i) }
