package models

import (
	"strings"
	"testing"
	"time"

	"zoosim/histories"
	"zoosim/tree"
)

// mwSec is a second of virtual time.
const mwSec = histories.Time(time.Second)

// mwDir is the application directory of the master-worker test histories.
const mwDir = "/app"

// mwHistory builds master-worker histories: the committed log's txns (applied by server 0,
// which leads and serves from the start) and the workload's steps.
type mwHistory struct {
	rec  *histories.Recorder
	zxid tree.Zxid
}

func newMWHistory() *mwHistory {
	b := &mwHistory{rec: histories.NewRecorder(histories.Header{Seed: 1}, 1, 0, nil), zxid: 0x100000000}
	b.rec.Server(0, histories.ServerEvent{Server: 0, Kind: histories.Role, Role: histories.Leading, Leader: 0, Serving: true})
	return b
}

func (b *mwHistory) apply(at histories.Time, s tree.SessionID, x tree.Txn) {
	b.zxid++
	x.Header = tree.Header{Session: s, Zxid: b.zxid}
	b.rec.Apply(at, 0, 1, &x)
}

func (b *mwHistory) multi(at histories.Time, s tree.SessionID, ops ...tree.Txn) {
	b.apply(at, s, tree.Txn{Type: tree.OpMulti, Ops: ops})
}

func mwCreate(path string, data string, owner tree.SessionID) tree.Txn {
	return tree.Txn{Type: tree.OpCreate, Path: path, Data: []byte(data), EphemeralOwner: int64(owner)}
}

func mwDelete(path string) tree.Txn { return tree.Txn{Type: tree.OpDelete, Path: path} }

func mwCheck(path string) tree.Txn { return tree.Txn{Type: tree.OpCheck, Path: path} }

// register commits worker's registration by session s.
func (b *mwHistory) register(at histories.Time, s tree.SessionID, worker string) {
	b.multi(at, s, mwCreate(mwDir+"/assign/"+worker, "", 0), mwCreate(mwDir+"/workers/"+worker, worker, s))
}

func (b *mwHistory) submit(at histories.Time, s tree.SessionID, task string) {
	b.apply(at, s, mwCreate(mwDir+"/tasks/"+task, "data", 0))
}

func (b *mwHistory) assign(at histories.Time, master tree.SessionID, task, worker string) {
	b.multi(at, master, mwCheck(mwDir+"/workers/"+worker), mwCreate(mwDir+"/assign/"+worker+"/"+task, "data", 0),
		mwDelete(mwDir+"/tasks/"+task))
}

func (b *mwHistory) move(at histories.Time, master tree.SessionID, task, from, to string) {
	b.multi(at, master, mwCheck(mwDir+"/workers/"+to), mwCreate(mwDir+"/assign/"+to+"/"+task, "data", 0),
		mwDelete(mwDir+"/assign/"+from+"/"+task))
}

func (b *mwHistory) complete(at histories.Time, s tree.SessionID, task, worker string) {
	b.multi(at, s, mwCreate(mwDir+"/status/"+task, worker, 0), mwDelete(mwDir+"/assign/"+worker+"/"+task))
}

// end commits the end of session s, which deletes the ephemerals listed.
func (b *mwHistory) end(at histories.Time, s tree.SessionID, ephemerals ...string) {
	b.apply(at, s, tree.Txn{Type: tree.OpCloseSession, Paths: ephemerals})
}

func (b *mwHistory) step(at histories.Time, process int, client int, s tree.SessionID, step, node, value string) {
	b.rec.Recipe(at, histories.RecipeEvent{Process: process, Client: client, Session: s, Recipe: histories.RecipeMasterWorker,
		Step: step, Name: mwDir, Node: node, Value: value})
}

// fault records a fault from start to end (end 0: an instant).
func (b *mwHistory) fault(start, end histories.Time, f histories.Fault) {
	id := b.rec.FaultStart(start, f)
	b.rec.FaultEnd(max(start, end), id)
}

func (b *mwHistory) check(end histories.Time, opts MasterWorkerOptions) Verdict {
	return CheckMasterWorker(b.rec.Finish(end, 0, 0, nil), opts)
}

// The sessions of the test histories: a master, two workers and a submitter.
const (
	mwMaster    tree.SessionID = 0x11
	mwWorkerA   tree.SessionID = 0x21
	mwWorkerB   tree.SessionID = 0x22
	mwSubmitter tree.SessionID = 0x31
)

// mwBase builds the start every test shares: at 5 s (past Settle after the start) a master is
// elected and workers a and b register.
func mwBase() *mwHistory {
	b := newMWHistory()
	b.step(5*mwSec, 0, 1, mwMaster, "elected", mwDir+"/master/lock-1", "")
	b.register(5*mwSec+1, mwWorkerA, "a")
	b.step(5*mwSec+2, 1, 2, mwWorkerA, "registered", "a", "")
	b.register(5*mwSec+3, mwWorkerB, "b")
	b.step(5*mwSec+4, 2, 3, mwWorkerB, "registered", "b", "")
	return b
}

func mwMetric(v Verdict, name string) float64 {
	for _, m := range v.Metrics {
		if m.Name == name {
			return m.Value
		}
	}
	return -1
}

// TestMasterWorkerPassesCorrectRun: tasks submitted, assigned, executed and completed; a worker
// whose session ends with a task has it moved at once, and the task executed twice is counted,
// not judged.
func TestMasterWorkerPassesCorrectRun(t *testing.T) {
	b := mwBase()
	at := 6 * mwSec
	b.submit(at, mwSubmitter, "task-0000000001")
	b.step(at+1, 3, 4, mwSubmitter, "submitted", "task-0000000001", "data")
	b.assign(at+10*ms, mwMaster, "task-0000000001", "a")
	b.step(at+11*ms, 1, 2, mwWorkerA, "executing", "task-0000000001", "a")
	b.complete(at+30*ms, mwWorkerA, "task-0000000001", "a")
	b.step(at+31*ms, 1, 2, mwWorkerA, "completed", "task-0000000001", "a")

	b.submit(at+100*ms, mwSubmitter, "task-0000000002")
	b.assign(at+110*ms, mwMaster, "task-0000000002", "b")
	b.step(at+111*ms, 2, 3, mwWorkerB, "executing", "task-0000000002", "b")
	b.end(at+120*ms, mwWorkerB, mwDir+"/workers/b") // b's session ends while it executes
	b.move(at+125*ms, mwMaster, "task-0000000002", "b", "a")
	b.step(at+126*ms, 1, 2, mwWorkerA, "executing", "task-0000000002", "a")
	b.complete(at+150*ms, mwWorkerA, "task-0000000002", "a")
	b.step(at+151*ms, 1, 2, mwWorkerA, "completed", "task-0000000002", "a")
	v := b.check(10*mwSec, MasterWorkerOptions{})
	if v.Status != Pass || !strings.Contains(v.Summary, "2 tasks submitted, 2 completed, 1 executed twice, 1 moved") {
		t.Fatalf("correct run: %s", v.String())
	}
	if got := mwMetric(v, "tasks executed twice"); got != 1 {
		t.Errorf("tasks executed twice = %v, want 1", got)
	}
}

// TestMasterWorkerCatchesNoReassign plants what a master that never moves a gone worker's
// tasks leaves: a task assigned to a worker whose session ended, while a live master serves.
func TestMasterWorkerCatchesNoReassign(t *testing.T) {
	b := mwBase()
	b.submit(6*mwSec, mwSubmitter, "task-0000000001")
	b.assign(6*mwSec+10*ms, mwMaster, "task-0000000001", "b")
	b.end(6*mwSec+20*ms, mwWorkerB, mwDir+"/workers/b")
	v := b.check(10*mwSec, MasterWorkerOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "stayed assigned to worker b") {
		t.Fatalf("task left with a gone worker: %s", v.String())
	}
}

// TestMasterWorkerCatchesTaskNeverAssigned plants what a master that ignores the tasks it found
// at its takeover leaves: a task waiting while a master and a worker live.
func TestMasterWorkerCatchesTaskNeverAssigned(t *testing.T) {
	b := mwBase()
	b.submit(6*mwSec, mwSubmitter, "task-0000000001")
	v := b.check(10*mwSec, MasterWorkerOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "still not done") || !strings.Contains(v.Summary, "still waiting at the stop") {
		t.Fatalf("task never assigned: %s", v.String())
	}
}

// TestMasterWorkerCatchesIdleWorker: a task assigned to a live worker whose client is up must be
// done within the bound.
func TestMasterWorkerCatchesIdleWorker(t *testing.T) {
	b := mwBase()
	b.submit(6*mwSec, mwSubmitter, "task-0000000001")
	b.assign(6*mwSec+10*ms, mwMaster, "task-0000000001", "a")
	v := b.check(10*mwSec, MasterWorkerOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "still assigned to a at the stop") {
		t.Fatalf("task left with a live worker: %s", v.String())
	}
}

// TestMasterWorkerOwesNothingWithoutMaster: the same stuck task passes when nobody could move
// it: the master resigned, or its client was killed, or paused, or the ensemble was in unrest,
// or the workloads had stopped.
func TestMasterWorkerOwesNothingWithoutMaster(t *testing.T) {
	cases := []struct {
		name string
		plan func(b *mwHistory)
		stop histories.Time
	}{
		{name: "resigned", plan: func(b *mwHistory) {
			b.step(6*mwSec, 0, 1, mwMaster, "resigned", mwDir+"/master/lock-1", "")
		}},
		{name: "master killed", plan: func(b *mwHistory) {
			b.fault(6*mwSec, 0, histories.Fault{Kind: histories.FaultClientKill, Clients: []int{1}})
		}},
		{name: "master paused", plan: func(b *mwHistory) {
			// Paused for 8 s from 6 s, resumed early at 7 s: the process sleeps until 14 s.
			b.fault(6*mwSec, 7*mwSec, histories.Fault{Kind: histories.FaultClientPause, Clients: []int{1},
				Detail: "client node paused for 8s, past its session timeout"})
		}},
		{name: "partition", plan: func(b *mwHistory) {
			b.fault(6*mwSec, 7*mwSec, histories.Fault{Kind: histories.FaultPartition, Groups: [][]int{{0}, {1, 2}}})
		}},
		{name: "stopped", stop: 6*mwSec + 500*ms},
	}
	for _, tc := range cases {
		b := mwBase()
		// The op that tells which client runs the master's session.
		b.rec.Invoke(5*mwSec, 1, mwMaster, 1, &tree.Request{Type: tree.OpGetChildren, Path: mwDir + "/tasks"})
		if tc.plan != nil {
			tc.plan(b)
		}
		b.submit(6*mwSec+100*ms, mwSubmitter, "task-0000000001")
		b.assign(6*mwSec+110*ms, mwMaster, "task-0000000001", "b")
		b.end(6*mwSec+120*ms, mwWorkerB, mwDir+"/workers/b")
		// Worker a is busy elsewhere: without a master nothing is owed to the task.
		v := b.check(10*mwSec, MasterWorkerOptions{Stop: tc.stop})
		if v.Status != Pass {
			t.Errorf("%s: %s", tc.name, v.String())
		}
	}
}

// TestMasterWorkerDeadWorkerOwesNothing: a task assigned to a worker whose client was killed is
// owed nothing until the worker's session ends, and then its move is owed.
func TestMasterWorkerDeadWorkerOwesNothing(t *testing.T) {
	for _, tc := range []struct {
		expire bool
		want   Status
	}{{expire: false, want: Pass}, {expire: true, want: Fail}} {
		b := mwBase()
		b.rec.Invoke(5*mwSec, 3, mwWorkerB, 1, &tree.Request{Type: tree.OpGetChildren, Path: mwDir + "/assign/b"})
		b.submit(6*mwSec, mwSubmitter, "task-0000000001")
		b.assign(6*mwSec+10*ms, mwMaster, "task-0000000001", "b")
		b.fault(6*mwSec+20*ms, 0, histories.Fault{Kind: histories.FaultClientKill, Clients: []int{3}})
		if tc.expire {
			b.end(8*mwSec, mwWorkerB, mwDir+"/workers/b")
		}
		v := b.check(12*mwSec, MasterWorkerOptions{})
		if v.Status != tc.want {
			t.Errorf("killed worker, session ended %v: %s, want %s", tc.expire, v.String(), tc.want)
		}
	}
}

// TestMasterWorkerCatchesTwoPlaces plants a copy instead of a move (the task assigned to two
// workers), an assignment to a worker that is not registered, and a completion that leaves the
// assignment behind.
func TestMasterWorkerCatchesTwoPlaces(t *testing.T) {
	b := mwBase()
	b.submit(6*mwSec, mwSubmitter, "task-0000000001")
	b.assign(6*mwSec+10*ms, mwMaster, "task-0000000001", "a")
	b.multi(6*mwSec+20*ms, mwMaster, mwCreate(mwDir+"/assign/b/task-0000000001", "data", 0))
	b.multi(6*mwSec+30*ms, mwMaster, mwCreate(mwDir+"/assign/c/task-0000000002", "data", 0))
	b.apply(6*mwSec+40*ms, mwWorkerA, mwCreate(mwDir+"/status/task-0000000003", "a", 0))
	b.multi(6*mwSec+41*ms, mwMaster, mwCreate(mwDir+"/assign/a/task-0000000003", "data", 0))
	v := b.check(7*mwSec, MasterWorkerOptions{})
	for _, want := range []string{"is in 2 places at once", "assigned to worker c", "is done and still waiting or assigned"} {
		if !strings.Contains(v.String(), want) {
			t.Errorf("want a violation saying %q: %s", want, v.String())
		}
	}
}

// TestMasterWorkerIgnoresFailedMulti: a multi that failed (an error sub-txn) changed nothing, so
// its create does not count as a second place.
func TestMasterWorkerIgnoresFailedMulti(t *testing.T) {
	b := mwBase()
	b.submit(6*mwSec, mwSubmitter, "task-0000000001")
	b.assign(6*mwSec+10*ms, mwMaster, "task-0000000001", "a")
	b.multi(6*mwSec+20*ms, mwMaster, mwCheck(mwDir+"/workers/b"), mwCreate(mwDir+"/assign/b/task-0000000001", "data", 0),
		tree.Txn{Type: tree.OpError, Err: tree.NoNode})
	b.complete(6*mwSec+30*ms, mwWorkerA, "task-0000000001", "a")
	v := b.check(7*mwSec, MasterWorkerOptions{})
	if v.Status != Pass {
		t.Fatalf("failed multi: %s", v.String())
	}
}

// TestMasterWorkerCatchesForeignExecution: a worker that executes a task assigned to another, or
// says it completed a task whose status names another, breaks the recipe.
func TestMasterWorkerCatchesForeignExecution(t *testing.T) {
	b := mwBase()
	b.submit(6*mwSec, mwSubmitter, "task-0000000001")
	b.assign(6*mwSec+10*ms, mwMaster, "task-0000000001", "a")
	b.step(6*mwSec+11*ms, 2, 3, mwWorkerB, "executing", "task-0000000001", "b")
	b.complete(6*mwSec+30*ms, mwWorkerA, "task-0000000001", "a")
	b.step(6*mwSec+31*ms, 2, 3, mwWorkerB, "completed", "task-0000000001", "b")
	v := b.check(7*mwSec, MasterWorkerOptions{})
	for _, want := range []string{"executed task-0000000001, which was never assigned to it", "no status of it naming that worker"} {
		if !strings.Contains(v.String(), want) {
			t.Errorf("want a violation saying %q: %s", want, v.String())
		}
	}
}

// TestMasterWorkerOwedTimeAddsUp: short master terms do not reset the clock: a task that waits
// through many terms, each shorter than the bound, is caught once their time adds up.
func TestMasterWorkerOwedTimeAddsUp(t *testing.T) {
	b := newMWHistory()
	b.register(5*mwSec, mwWorkerA, "a")
	b.submit(5*mwSec, mwSubmitter, "task-0000000001")
	for i := range 6 {
		start := 5*mwSec + histories.Time(i)*600*ms
		b.step(start, 0, 1, mwMaster, "elected", mwDir+"/master/lock-"+string(rune('a'+i)), "")
		b.step(start+500*ms, 0, 1, mwMaster, "resigned", mwDir+"/master/lock-"+string(rune('a'+i)), "")
	}
	v := b.check(9*mwSec, MasterWorkerOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "3.000s in all") {
		t.Fatalf("six terms of 0.5 s: %s", v.String())
	}
}
