package tree

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// WatchMode is how long a watch lives once it has fired (zookeeper.md A8.1,
// A8.2; server class WatcherMode). The zero value is the one-shot watch that
// getData, exists and getChildren set, as WatcherMode.DEFAULT_WATCHER_MODE is
// on the server, so an unset mode means what it means there.
type WatchMode uint8

// The three watch modes of ZooKeeper 3.8. The numbering is ours: the wire
// values of AddWatchMode (PERSISTENT=0, PERSISTENT_RECURSIVE=1) are mapped by
// the caller, which keeps the standard mode as the zero value here.
const (
	// WatchStandard fires once and is then removed (A8.1 "One-time trigger").
	WatchStandard WatchMode = iota
	// WatchPersistent fires for its own path, every time, and stays (A8.2).
	WatchPersistent
	// WatchPersistentRecursive fires for its path and every descendant, never
	// for NodeChildrenChanged, and stays (A8.2).
	WatchPersistentRecursive
)

var watchModeNames = [...]string{"standard", "persistent", "persistent-recursive"}

// String names the mode in lower case, as transcripts write it.
func (m WatchMode) String() string {
	if m.valid() {
		return watchModeNames[m]
	}
	return fmt.Sprintf("WatchMode(%d)", uint8(m))
}

func (m WatchMode) valid() bool { return m <= WatchPersistentRecursive }

// WatcherType selects which table a removeWatches or checkWatches request
// addresses (zookeeper.md A8.3; Watcher.WatcherType). The values are those
// of ZooKeeper 3.8, which has no Persistent(4) or PersistentRecursive(5):
// those arrived with ZOOKEEPER-4471 in 3.9 (A8.2).
type WatcherType int32

// The watcher types with their ZooKeeper 3.8 wire values.
const (
	WatcherChildren WatcherType = 1
	WatcherData     WatcherType = 2
	WatcherAny      WatcherType = 3
)

// String names the type as ZooKeeper's enum does ("Children").
func (t WatcherType) String() string {
	switch t {
	case WatcherChildren:
		return "Children"
	case WatcherData:
		return "Data"
	case WatcherAny:
		return "Any"
	}
	return fmt.Sprintf("WatcherType(%d)", int32(t))
}

// WatchEvent is one notification the server queues on a session's
// connection (zookeeper.md A8.1 "Delivery"): it carries only the type and
// the path, never data. The state is always SyncConnected for events a
// registry produces, so it is left out.
type WatchEvent struct {
	Session SessionID
	Type    EventType
	Path    string
}

// String prints the event on one line for transcripts: "0x5 NodeCreated /a".
func (e WatchEvent) String() string {
	return e.Session.String() + " " + e.Type.String() + " " + e.Path
}

// Watches is the watch registry of one server, modelled on ZooKeeper
// 3.8.0's DataTree watch handling (zookeeper.md A8): two WatchManagers, one
// for data watches and one for child watches, each keeping one mode per
// (path, session) as WatcherModeManager does. The watcher is the session
// because a server holds one connection per session.
//
// Watches are not replicated; each server has its own registry. Methods
// return events in a deterministic order and never call back. The zero value
// is not usable; use [NewWatches]. Not safe for concurrent use.
type Watches struct {
	data  watchTable
	child watchTable
}

// NewWatches returns an empty registry.
func NewWatches() *Watches {
	return &Watches{data: newWatchTable("data"), child: newWatchTable("child")}
}

// AddData registers a standard data watch, as getData and exists with
// watch=true do (zookeeper.md A8.1). Exists registers it even on a missing
// node; that is the caller's decision. It replaces any mode s already has on
// path in the data table: see [Watches.AddWatch] for why that downgrades a
// persistent watch.
func (w *Watches) AddData(path string, s SessionID) { w.data.set(path, s, WatchStandard) }

// AddChild registers a standard child watch, as getChildren with watch=true
// does (zookeeper.md A8.1), replacing any mode s has on path in the child
// table.
func (w *Watches) AddChild(path string, s SessionID) { w.child.set(path, s, WatchStandard) }

// AddWatch is the addWatch opcode (zookeeper.md A8.2). ZooKeeper 3.8.0's
// DataTree.addWatch registers the mode in BOTH tables, recursive included.
// (3.9 registers a recursive watch in the data table only, which is what
// A8.2 describes; we model 3.8.0.)
//
// Each table keeps a single mode per (path, session), so a later
// registration replaces an earlier one. This reproduces a real 3.8.0 quirk:
// a getData or exists watch set on a path where the session already has a
// persistent or recursive watch downgrades the data-table entry to a
// one-shot watch, which is removed when it fires, while the child-table
// entry keeps its mode. 3.9 fixed this by letting modes coexist
// (ZOOKEEPER-4466).
//
// AddWatch panics on an invalid mode: the caller maps the wire
// AddWatchMode, and an unknown one never reaches the tree.
func (w *Watches) AddWatch(path string, s SessionID, mode WatchMode) {
	if !mode.valid() {
		panic(fmt.Sprintf("tree: AddWatch with invalid %v", mode))
	}
	w.data.set(path, s, mode)
	w.child.set(path, s, mode)
}

// Trigger appends to out the events that changes fire, in order, and
// removes the one-shot watches that fired. Each change expands into table
// triggers exactly as DataTree.createNode, deleteNode and setData call them
// (zookeeper.md A8.1 table; see [Change]):
//
//   - NodeCreated(P): data table at P fires NodeCreated; child table at
//     parent(P) fires NodeChildrenChanged.
//   - NodeDeleted(P): data table at P fires NodeDeleted; child table at P
//     fires NodeDeleted to every session the data trigger did not already
//     notify (the "processed" set, so a session watching both gets one
//     event, A8.1 "Dedup"); child table at parent(P) fires
//     NodeChildrenChanged.
//   - NodeDataChanged(P): data table at P fires NodeDataChanged.
//
// Within one table trigger the events are sorted by session id: the server
// iterates a hash set, and any fixed order is one it could have produced.
// Trigger panics on any other change type, which [Tree.Apply] never reports.
func (w *Watches) Trigger(changes []Change, out []WatchEvent) []WatchEvent {
	for _, c := range changes {
		switch c.Type {
		case EventNodeCreated:
			out, _ = w.data.trigger(c.Path, EventNodeCreated, nil, out)
			out, _ = w.child.trigger(ParentPath(c.Path), EventNodeChildrenChanged, nil, out)
		case EventNodeDeleted:
			var processed []SessionID
			out, processed = w.data.trigger(c.Path, EventNodeDeleted, nil, out)
			out, _ = w.child.trigger(c.Path, EventNodeDeleted, processed, out)
			out, _ = w.child.trigger(ParentPath(c.Path), EventNodeChildrenChanged, nil, out)
		case EventNodeDataChanged:
			out, _ = w.data.trigger(c.Path, EventNodeDataChanged, nil, out)
		default:
			panic(fmt.Sprintf("tree: Trigger with change type %v", c.Type))
		}
	}
	return out
}

// Remove is the server side of removeWatches (zookeeper.md A8.3;
// DataTree.removeWatch): Children clears s's entry at path in the child
// table, Data in the data table, Any in both. The mode does not matter, so
// Any is how a client removes a persistent or recursive watch in 3.8. It
// reports whether anything was removed; false is answered with NoWatcher. An
// unknown type removes nothing and reports false (ZooKeeper rejects it
// before it reaches the tree).
func (w *Watches) Remove(path string, s SessionID, t WatcherType) bool {
	switch t {
	case WatcherChildren:
		return w.child.remove(path, s)
	case WatcherData:
		return w.data.remove(path, s)
	case WatcherAny:
		// Both tables, no short circuit.
		c := w.child.remove(path, s)
		d := w.data.remove(path, s)
		return c || d
	}
	return false
}

// Contains is the server side of checkWatches, which the 3.8 client sends
// for removeWatches of one watcher object (zookeeper.md A8.3;
// DataTree.containsWatcher): it reports whether s has a watch of any mode at
// exactly path in the table(s) t selects. False is answered with NoWatcher.
//
// ZooKeeper 3.8.0's WatchManager.containsWatcher actually answers true when
// ANY session watches path in that table (it tests the path's watcher set for
// presence, not for s); 3.9 fixed that (ZOOKEEPER-4466). We check s, as the
// method intends.
func (w *Watches) Contains(path string, s SessionID, t WatcherType) bool {
	switch t {
	case WatcherChildren:
		return w.child.has(path, s)
	case WatcherData:
		return w.data.has(path, s)
	case WatcherAny:
		return w.child.has(path, s) || w.data.has(path, s)
	}
	return false
}

// RemoveSession drops every watch of s, as WatchManager.removeWatcher(cnxn)
// does when a connection closes (zookeeper.md A8.1: watches live only on the
// connected server).
func (w *Watches) RemoveSession(s SessionID) {
	w.data.removeSession(s)
	w.child.removeSession(s)
}

// SetWatches re-arms a reconnecting session's watches, as DataTree.setWatches
// does (zookeeper.md A8.1 "Reconnect"). relativeZxid is the last zxid the
// client saw; stat looks a node up in this server's tree. Events are
// appended to out in the order data, exist, child, each list in its order:
//
//   - data: node missing -> NodeDeleted; Mzxid > relativeZxid ->
//     NodeDataChanged; otherwise a standard data watch.
//   - exist: node present -> NodeCreated; otherwise a standard data watch.
//   - child: node missing -> NodeDeleted; Pzxid > relativeZxid ->
//     NodeChildrenChanged; otherwise a standard child watch.
//   - persistent, recursive: registered in both tables with no catch-up
//     event, so changes made while disconnected are lost.
//
// A path that fires is not re-registered: the event is the one-shot watch
// firing.
func (w *Watches) SetWatches(relativeZxid Zxid, data, exist, child, persistent, recursive []string, s SessionID, stat func(path string) (Stat, bool), out []WatchEvent) []WatchEvent {
	for _, p := range data {
		st, ok := stat(p)
		switch {
		case !ok:
			out = append(out, WatchEvent{s, EventNodeDeleted, p})
		case st.Mzxid > relativeZxid:
			out = append(out, WatchEvent{s, EventNodeDataChanged, p})
		default:
			w.data.set(p, s, WatchStandard)
		}
	}
	for _, p := range exist {
		if _, ok := stat(p); ok {
			out = append(out, WatchEvent{s, EventNodeCreated, p})
		} else {
			w.data.set(p, s, WatchStandard)
		}
	}
	for _, p := range child {
		st, ok := stat(p)
		switch {
		case !ok:
			out = append(out, WatchEvent{s, EventNodeDeleted, p})
		case st.Pzxid > relativeZxid:
			out = append(out, WatchEvent{s, EventNodeChildrenChanged, p})
		default:
			w.child.set(p, s, WatchStandard)
		}
	}
	// 3.8.0 registers these child table first, then data; the order of two
	// independent tables does not matter.
	for _, p := range persistent {
		w.AddWatch(p, s, WatchPersistent)
	}
	for _, p := range recursive {
		w.AddWatch(p, s, WatchPersistentRecursive)
	}
	return out
}

// Count is the number of (path, session) registrations in both tables
// together, as the sum of the two WatchManager.size() values.
func (w *Watches) Count() int { return w.data.count() + w.child.count() }

// Describe dumps the registry for transcripts, one registration per line,
// "data /a 0x1 standard": the data table, then the child table, each sorted
// by path and then by session id (numerically). Every line ends in a
// newline; an empty registry is "".
func (w *Watches) Describe() string {
	var b strings.Builder
	w.data.describe(&b)
	w.child.describe(&b)
	return b.String()
}

// watchTable is one WatchManager: its watchTable, its watch2Paths and its
// WatcherModeManager folded into one structure.
//
// A path's watchers are a short list sorted by session rather than a map: a
// path rarely has more than a few, a trigger then reads them in the order its
// events go out instead of starting a map iteration, and a session's
// position is a binary search.
type watchTable struct {
	name string
	// Invariant: paths[p] holds s iff sessions[s][p] exists; each list is
	// sorted by session, without duplicates, and never empty.
	paths    map[string][]watcher
	sessions map[SessionID]map[string]struct{}
	// Invariant: recursive is the number of entries with mode
	// WatchPersistentRecursive. While it is zero a trigger looks at the exact
	// path only, as WatchManager.getPathParentIterator does.
	recursive int
	// Invariant: recursiveAt lists each path that has recursive entries, with
	// their number (which sums to recursive), in no particular order. A
	// trigger finds the ancestors it must visit by comparing these few paths
	// with its own instead of looking every ancestor up in paths.
	recursiveAt []recursivePath
	// scratch is the matched list trigger returns, reused by the next trigger.
	scratch []SessionID
}

// watcher is one (session, mode) entry at a path.
type watcher struct {
	s    SessionID
	mode WatchMode
}

// recursivePath counts the recursive entries at one path.
type recursivePath struct {
	path string
	n    int
}

func newWatchTable(name string) watchTable {
	return watchTable{
		name:     name,
		paths:    make(map[string][]watcher),
		sessions: make(map[SessionID]map[string]struct{}),
	}
}

// find returns the position of s in ws, or where it would go.
func find(ws []watcher, s SessionID) (int, bool) {
	return slices.BinarySearchFunc(ws, s, func(w watcher, s SessionID) int { return cmp.Compare(w.s, s) })
}

// countRecursive adds d to the recursive entries at path.
func (t *watchTable) countRecursive(path string, d int) {
	t.recursive += d
	for i := range t.recursiveAt {
		if r := &t.recursiveAt[i]; r.path == path {
			r.n += d
			if r.n == 0 {
				last := len(t.recursiveAt) - 1
				t.recursiveAt[i] = t.recursiveAt[last]
				t.recursiveAt = t.recursiveAt[:last]
			}
			return
		}
	}
	t.recursiveAt = append(t.recursiveAt, recursivePath{path, d})
}

// set registers s at path with mode, replacing any earlier mode
// (WatcherModeManager.setWatcherMode keeps one per key).
func (t *watchTable) set(path string, s SessionID, mode WatchMode) {
	ws := t.paths[path]
	i, found := find(ws, s)
	if found {
		if ws[i].mode == WatchPersistentRecursive {
			t.countRecursive(path, -1)
		}
		ws[i].mode = mode
	} else {
		t.paths[path] = slices.Insert(ws, i, watcher{s, mode})
	}
	if mode == WatchPersistentRecursive {
		t.countRecursive(path, 1)
	}
	ps := t.sessions[s]
	if ps == nil {
		ps = make(map[string]struct{})
		t.sessions[s] = ps
	}
	ps[path] = struct{}{}
}

// has reports whether s has an entry of any mode at path.
func (t *watchTable) has(path string, s SessionID) bool {
	_, found := find(t.paths[path], s)
	return found
}

// remove deletes s's entry at path, reporting whether there was one.
func (t *watchTable) remove(path string, s SessionID) bool {
	ws := t.paths[path]
	i, found := find(ws, s)
	if !found {
		return false
	}
	if ws[i].mode == WatchPersistentRecursive {
		t.countRecursive(path, -1)
	}
	if len(ws) == 1 {
		delete(t.paths, path)
	} else {
		t.paths[path] = slices.Delete(ws, i, i+1)
	}
	t.forget(path, s)
	return true
}

// forget removes path from s's entry in the session index.
func (t *watchTable) forget(path string, s SessionID) {
	ps := t.sessions[s]
	delete(ps, path)
	if len(ps) == 0 {
		delete(t.sessions, s)
	}
}

// removeSession deletes every entry of s. The order of deletion is not
// observable.
func (t *watchTable) removeSession(s SessionID) {
	for path := range t.sessions[s] {
		t.remove(path, s)
	}
}

// isAncestor reports whether a is a proper ancestor of path.
func isAncestor(a, path string) bool {
	if a == RootPath {
		return path != RootPath
	}
	return len(path) > len(a) && path[len(a)] == '/' && path[:len(a)] == a
}

// trigger is WatchManager.triggerWatch for one event: it appends the events
// for path to out and returns the sessions that matched, sorted, so that a
// delete can suppress them in the child table. The returned slice is valid
// until the table's next trigger.
//
// It looks at path and, when the table holds a recursive watch, at every
// ancestor up to "/" (PathParentIterator). At path every entry matches
// except a recursive one for NodeChildrenChanged; a standard entry is
// removed. At an ancestor only recursive entries match, and never for
// NodeChildrenChanged (zookeeper.md A8.2). A session matches at most once. A
// session in suppress still loses its standard watch but gets no event.
func (t *watchTable) trigger(path string, typ EventType, suppress []SessionID, out []WatchEvent) ([]WatchEvent, []SessionID) {
	matched := t.scratch[:0]
	if ws, ok := t.paths[path]; ok {
		// The list is sorted, so matched is too. Standard entries are
		// dropped as they fire; the list is compacted in place.
		kept := ws[:0]
		for _, w := range ws {
			switch w.mode {
			case WatchPersistentRecursive:
				if typ != EventNodeChildrenChanged {
					matched = append(matched, w.s)
				}
				kept = append(kept, w)
			case WatchPersistent:
				matched = append(matched, w.s)
				kept = append(kept, w)
			default:
				matched = append(matched, w.s)
				t.forget(path, w.s)
			}
		}
		if len(kept) == 0 {
			delete(t.paths, path)
		} else if len(kept) < len(ws) {
			t.paths[path] = kept
		}
	}
	if t.recursive > 0 && typ != EventNodeChildrenChanged {
		// At an ancestor only recursive entries match, and never for
		// NodeChildrenChanged, so only the ancestors in recursiveAt matter.
		fromAncestors := false
		for _, r := range t.recursiveAt {
			if !isAncestor(r.path, path) {
				continue
			}
			for _, w := range t.paths[r.path] {
				if w.mode == WatchPersistentRecursive {
					matched = append(matched, w.s)
					fromAncestors = true
				}
			}
		}
		if fromAncestors {
			slices.Sort(matched)
			matched = slices.Compact(matched)
		}
	}
	t.scratch = matched
	for _, s := range matched {
		if _, found := slices.BinarySearch(suppress, s); found {
			continue
		}
		out = append(out, WatchEvent{Session: s, Type: typ, Path: path})
	}
	return out, matched
}

func (t *watchTable) count() int {
	n := 0
	for _, ws := range t.paths {
		n += len(ws)
	}
	return n
}

func (t *watchTable) describe(b *strings.Builder) {
	for _, p := range slices.Sorted(maps.Keys(t.paths)) {
		for _, w := range t.paths[p] {
			fmt.Fprintf(b, "%s %s %s %s\n", t.name, p, w.s, w.mode)
		}
	}
}

// check verifies the table's invariants; tests call it after every step.
func (t *watchTable) check() error {
	recursive := 0
	recursiveAt := make(map[string]int)
	for p, ws := range t.paths {
		if len(ws) == 0 {
			return fmt.Errorf("%s: empty watcher set at %s", t.name, p)
		}
		for i, w := range ws {
			if i > 0 && ws[i-1].s >= w.s {
				return fmt.Errorf("%s: watchers at %s not sorted at %s", t.name, p, w.s)
			}
			if !w.mode.valid() {
				return fmt.Errorf("%s: invalid mode at %s %s", t.name, p, w.s)
			}
			if w.mode == WatchPersistentRecursive {
				recursive++
				recursiveAt[p]++
			}
			if _, ok := t.sessions[w.s][p]; !ok {
				return fmt.Errorf("%s: %s %s missing from the session index", t.name, p, w.s)
			}
		}
	}
	for s, ps := range t.sessions {
		if len(ps) == 0 {
			return fmt.Errorf("%s: empty path set for %s", t.name, s)
		}
		for p := range ps {
			if !t.has(p, s) {
				return fmt.Errorf("%s: session index has %s %s, the table does not", t.name, p, s)
			}
		}
	}
	if recursive != t.recursive {
		return fmt.Errorf("%s: recursive count %d, want %d", t.name, t.recursive, recursive)
	}
	if len(recursiveAt) != len(t.recursiveAt) {
		return fmt.Errorf("%s: %d paths with recursive entries, want %d", t.name, len(t.recursiveAt), len(recursiveAt))
	}
	for _, r := range t.recursiveAt {
		if recursiveAt[r.path] != r.n {
			return fmt.Errorf("%s: %d recursive entries at %s, want %d", t.name, r.n, r.path, recursiveAt[r.path])
		}
	}
	return nil
}

// check verifies both tables' invariants.
func (w *Watches) check() error {
	if err := w.data.check(); err != nil {
		return err
	}
	return w.child.check()
}
