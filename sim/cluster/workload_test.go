package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"zoosim/histories"
	"zoosim/tree"
)

// TestAssignWorkloads: client counts follow the weights, every weighted kind gets a client when
// there are enough, and nothing else does.
func TestAssignWorkloads(t *testing.T) {
	count := func(ks []WorkloadKind) map[WorkloadKind]int {
		m := map[WorkloadKind]int{}
		for _, k := range ks {
			m[k]++
		}
		return m
	}
	mix := DefaultScenario().Workload.Mix // 4:2:2:2:2:2:2
	got := count(assignWorkloads(mix, 20))
	if got[WorkloadRegister] != 5 || got[WorkloadChurn] < 2 || got[WorkloadChurn] > 3 || len(got) != 7 {
		t.Errorf("20 clients of the default mix: %v", got)
	}
	if got := count(assignWorkloads(mix, 7)); len(got) != 7 {
		t.Errorf("7 clients, 7 kinds: %v, want one each", got)
	}
	if got := count(assignWorkloads(Mix{WorkloadMulti: 1, WorkloadWatcher: 0}, 5)); got[WorkloadMulti] != 5 || len(got) != 1 {
		t.Errorf("only multi: %v", got)
	}
	if got := assignWorkloads(Mix{WorkloadRegister: 1000, WorkloadSyncRead: 1}, 3); count(got)[WorkloadSyncRead] != 1 {
		t.Errorf("a light kind lost its client: %v", got)
	}
	for clients := range 40 {
		if n := len(assignWorkloads(mix, clients)); n != clients {
			t.Errorf("%d clients assigned %d workloads", clients, n)
		}
	}
}

// TestLayoutBoundsWriters: with many clients of one kind, each path has at most
// MaxWritersPerPath writers, and the skeleton lists parents before children.
func TestLayoutBoundsWriters(t *testing.T) {
	sc := DefaultScenario()
	sc.Clients = 100
	l := newLayout(sc)
	writers := map[string]int{}
	for slot, k := range l.kinds {
		var paths []string
		switch k {
		case WorkloadRegister:
			paths = l.reg[l.group[slot]]
		case WorkloadChurn:
			paths = l.churn[l.group[slot]]
		case WorkloadMulti:
			paths = l.multi[l.group[slot]]
		case WorkloadWatcher:
			paths = l.watch[l.group[slot]]
		}
		for _, p := range paths {
			writers[p]++
		}
	}
	for _, p := range sortedKeys(writers) {
		if writers[p] > MaxWritersPerPath {
			t.Errorf("%s has %d writers", p, writers[p])
		}
	}
	created := map[string]bool{"/": true}
	for _, p := range l.skeleton {
		parent := p[:strings.LastIndexByte(p, '/')]
		if parent == "" {
			parent = "/"
		}
		if !created[parent] || created[p] {
			t.Fatalf("skeleton %v: %s before its parent, or twice", l.skeleton, p)
		}
		created[p] = true
	}
	if len(l.reg) < 4 {
		t.Errorf("%d register groups for 100 clients", len(l.reg))
	}
}

// TestWorkloadsProduceEveryKind: a fault-free run issues every kind of op the workloads promise,
// with unique values; watches fire with every event type; ephemeral clients close their sessions,
// are killed (their sessions then expire: a closeSession txn no client asked for), and are paused
// past their session timeout (they are then told Expired); both client faults are recorded.
func TestWorkloadsProduceEveryKind(t *testing.T) {
	sc := smallScenario()
	sc.Clients = 10
	sc.Workload.Mix = Mix{WorkloadRegister: 1, WorkloadChurn: 1, WorkloadSequential: 1, WorkloadEphemeral: 3,
		WorkloadWatcher: 2, WorkloadMulti: 1, WorkloadSyncRead: 1}
	sc.TickTime = Duration(time.Second)
	sc.SessionTimeout = Duration(3 * time.Second)
	sc.Safety = Duration(8 * time.Second)
	sc.Faults.Weights = nil
	h := mustRun(t, sc, 12, RunOptions{})
	if !h.Liveness.Converged {
		t.Errorf("did not converge: %s", h.Liveness.Pending)
	}

	seen := map[string]int{}
	values := map[string]bool{}
	closedByClient := map[tree.SessionID]bool{}
	value := func(op histories.Op, data []byte) {
		v := string(data)
		if values[v] {
			t.Errorf("value %q written twice (op %d)", v, op.ID)
		}
		values[v] = true
		if !strings.HasPrefix(v, fmt.Sprintf("c%d:", op.Client)) || len(v) < sc.Workload.ValueSize {
			t.Errorf("op %d of client %d wrote %q", op.ID, op.Client, v)
		}
	}
	for _, op := range h.Ops {
		q := op.Req
		key := q.Type.String()
		switch q.Type {
		case tree.OpCreate:
			key += "/" + q.Mode.String()
			value(op, q.Data)
		case tree.OpSetData:
			key += "/any"
			if q.Version >= 0 {
				key = "setData/conditional"
			}
			value(op, q.Data)
		case tree.OpAddWatch:
			key += "/" + fmt.Sprint(q.WatchMode)
		case tree.OpMulti:
			for _, sub := range q.Ops {
				seen["multi:"+sub.Type.String()]++
				if sub.Type == tree.OpCreate || sub.Type == tree.OpSetData {
					value(op, sub.Data)
				}
			}
		case tree.OpCloseSession:
			if op.Outcome == histories.OK {
				closedByClient[op.Session] = true
			}
		}
		if q.Watch {
			seen[q.Type.String()+"/watch"]++
		}
		seen[key]++
	}
	for _, k := range []string{"getData", "getData/watch", "setData/any", "setData/conditional", "create/persistent",
		"create/persistent-sequential", "create/ephemeral-sequential", "create/ephemeral", "delete", "exists",
		"exists/watch", "getChildren", "getChildren/watch", "sync", "multi", "multi:check", "multi:setData",
		"multi:create", "multi:delete", "addWatch/" + fmt.Sprint(tree.WatchPersistent),
		"addWatch/" + fmt.Sprint(tree.WatchPersistentRecursive), "closeSession"} {
		if seen[k] == 0 {
			t.Errorf("no %s op in %d ops", k, len(h.Ops))
		}
	}
	events := map[tree.EventType]int{}
	for _, e := range h.Events {
		if !e.IsSession() {
			events[e.Type]++
		}
	}
	for _, et := range []tree.EventType{tree.EventNodeCreated, tree.EventNodeDeleted, tree.EventNodeDataChanged, tree.EventNodeChildrenChanged} {
		if events[et] == 0 {
			t.Errorf("no %s event (events: %v)", et, events)
		}
	}
	expired := 0
	for _, x := range h.Log {
		if x.Type == tree.OpCloseSession && !closedByClient[x.Session] {
			expired++
		}
	}
	if expired == 0 || len(closedByClient) < 2 {
		t.Errorf("%d sessions closed by their clients, %d expired", len(closedByClient), expired)
	}
	kills, paused := 0, map[int]bool{}
	for _, f := range h.Faults {
		switch {
		case f.EndSeq == 0 || len(f.Clients) != 1:
			t.Errorf("client fault %+v", f)
		case f.Kind == histories.FaultClientKill && f.End == f.Start:
			kills++
		case f.Kind == histories.FaultClientPause && f.End > f.Start:
			paused[f.Clients[0]] = true
		default:
			t.Errorf("fault %+v in a run without a fault plan", f)
		}
	}
	told := 0
	for _, e := range h.Events {
		if e.IsSession() && e.State == histories.Expired && paused[e.Client] {
			told++
		}
	}
	if kills == 0 || len(paused) == 0 || told == 0 {
		t.Errorf("%d clients killed, %d paused, %d of these told Expired", kills, len(paused), told)
	}
	if h.Header.Clients <= sc.Clients+1 {
		t.Errorf("%d client instances for %d slots: no session was replaced", h.Header.Clients, sc.Clients)
	}
}

// TestKnownServers: a client that knows only some servers talks only to them.
func TestKnownServers(t *testing.T) {
	sc := smallScenario()
	sc.Servers, sc.KnownServers, sc.Clients = 5, 1, 5
	sc.Faults.Weights = nil
	sc.Safety = Duration(2 * time.Second)
	h := mustRun(t, sc, 6, RunOptions{})
	slotServer := map[int]int{} // client index → server
	for _, op := range h.Ops {
		if op.Client == 0 || op.Server < 0 {
			continue // the setup client knows every server
		}
		if s, ok := slotServer[op.Client]; ok && s != op.Server {
			t.Fatalf("client %d talked to servers %d and %d, knowing one", op.Client, s, op.Server)
		}
		slotServer[op.Client] = op.Server
	}
	used := map[int]bool{}
	for _, s := range slotServer {
		used[s] = true
	}
	if len(used) < 4 {
		t.Errorf("5 clients each knowing one server (a different one) used servers %v", used)
	}
}
