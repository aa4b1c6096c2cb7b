package client

import (
	"slices"
	"sort"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// watchKind names one of the client's five watch tables (ZKWatchManager:
// dataWatches, existWatches, childWatches, persistentWatches,
// persistentRecursiveWatches).
type watchKind int

const (
	kindData watchKind = iota
	kindExist
	kindChild
	kindPersistent
	kindRecursive
	numKinds
)

// watchManager is the client's side of the watches, modelled on the Java
// client's ZKWatchManager (zookeeper.md A8). A watch is entered only when
// the reply says the server registered it; an event takes the one-shot
// watchers of its path out of their tables and leaves persistent and
// recursive ones in place.
//
// Java keeps sets in hash maps; here every table is a map from path to the
// watchers in registration order, and every walk that reaches an output
// (an event's watcher list, setWatches) goes in sorted path order, so the
// client is deterministic.
type watchManager struct {
	// Invariant: no slice is empty and none holds a watcher twice.
	tables [numKinds]map[string][]*Watcher
}

func newWatchManager() watchManager {
	var m watchManager
	for k := range m.tables {
		m.tables[k] = make(map[string][]*Watcher)
	}
	return m
}

// add enters w at path in table k, once.
func (m *watchManager) add(k watchKind, path string, w *Watcher) {
	ws := m.tables[k][path]
	if !slices.Contains(ws, w) {
		m.tables[k][path] = append(ws, w)
	}
}

// watchReg is a watch a read asks for, entered in a table when its reply
// arrives (ZooKeeper.WatchRegistration and its subclasses).
type watchReg struct {
	op   tree.OpCode // exists, getData, getChildren(2) or addWatch
	mode tree.WatchMode
	path string
	w    *Watcher
}

// register enters the watch if rc says the server registered it:
// getData and getChildren only on OK; exists on OK (a data watch) and on
// NoNode (an exist watch, the only way to see NodeCreated); addWatch on OK
// and on NoNode (AddWatchRegistration.shouldAddWatch).
func (m *watchManager) register(r *watchReg, rc tree.Code) {
	switch r.op {
	case tree.OpExists:
		switch rc {
		case tree.OK:
			m.add(kindData, r.path, r.w)
		case tree.NoNode:
			m.add(kindExist, r.path, r.w)
		}
	case tree.OpGetData:
		if rc == tree.OK {
			m.add(kindData, r.path, r.w)
		}
	case tree.OpGetChildren, tree.OpGetChildren2:
		if rc == tree.OK {
			m.add(kindChild, r.path, r.w)
		}
	case tree.OpAddWatch:
		if rc == tree.OK || rc == tree.NoNode {
			k := kindPersistent
			if r.mode == tree.WatchPersistentRecursive {
				k = kindRecursive
			}
			m.add(k, r.path, r.w)
		}
	}
}

// knownEvent reports whether materialize handles t; ZKWatchManager throws
// on any other type, which drops the connection.
func knownEvent(t tree.EventType) bool {
	switch t {
	case tree.EventNodeCreated, tree.EventNodeDeleted, tree.EventNodeDataChanged, tree.EventNodeChildrenChanged:
		return true
	}
	return false
}

// materialize returns the watchers a node event goes to, each once, and
// removes the one-shot ones that fire (ZKWatchManager.materialize):
//
//   - NodeCreated, NodeDataChanged: data and exist watchers of path;
//   - NodeChildrenChanged: child watchers of path;
//   - NodeDeleted: data, exist and child watchers of path;
//   - every type: persistent watchers of path, and recursive watchers of
//     path and of each ancestor, which stay registered. A recursive watcher
//     never gets NodeChildrenChanged: 3.8.0's client did deliver it when
//     another watch made the server send one; ZOOKEEPER-4475 fixed that
//     (zookeeper.md A8.2 describes the fixed behaviour, which we follow).
//
// The order is table order (data, exist, child, persistent, recursive from
// path up to the root), then registration order.
func (m *watchManager) materialize(t tree.EventType, path string) []*Watcher {
	var out []*Watcher
	take := func(k watchKind) {
		if len(out) == 0 {
			// The table lets go of its slice here, and holds no watcher twice: out may be
			// that slice itself, instead of a copy.
			out = m.tables[k][path]
		} else {
			out = appendNew(out, m.tables[k][path])
		}
		delete(m.tables[k], path)
	}
	switch t {
	case tree.EventNodeCreated, tree.EventNodeDataChanged:
		take(kindData)
		take(kindExist)
	case tree.EventNodeChildrenChanged:
		take(kindChild)
	case tree.EventNodeDeleted:
		take(kindData)
		take(kindExist)
		take(kindChild)
	}
	out = appendNew(out, m.tables[kindPersistent][path])
	if t != tree.EventNodeChildrenChanged {
		for p := path; ; p = tree.ParentPath(p) {
			out = appendNew(out, m.tables[kindRecursive][p])
			if p == "/" {
				break
			}
		}
	}
	return out
}

// all returns every registered watcher once, for a session event, which
// ZooKeeper delivers to the default watcher and to every watcher in every
// table (materialize, case None). Registrations stay: the Java client
// clears them only with disableAutoWatchReset, which we do not model.
func (m *watchManager) all(def *Watcher) []*Watcher {
	out := []*Watcher{def}
	for k := range m.tables {
		for _, p := range m.paths(watchKind(k)) {
			out = appendNew(out, m.tables[k][p])
		}
	}
	return out
}

// paths returns the paths of table k in sorted order, for setWatches.
func (m *watchManager) paths(k watchKind) []string {
	ps := make([]string, 0, len(m.tables[k]))
	for p := range m.tables[k] {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// empty reports whether no watch at all is registered.
func (m *watchManager) empty() bool {
	for k := range m.tables {
		if len(m.tables[k]) > 0 {
			return false
		}
	}
	return true
}

// appendNew appends the watchers of ws not yet in out.
func appendNew(out, ws []*Watcher) []*Watcher {
	for _, w := range ws {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// watchDereg is a removeWatches call (WatchDeregistration): w is the
// watcher to remove, or nil to remove all watchers (removeAllWatches).
type watchDereg struct {
	path  string
	w     *Watcher
	typ   tree.WatcherType
	local bool
}

// removed lists the watchers a removal took out, by the event each gets.
type removed struct {
	child, data, persistent []*Watcher
}

// tablesFor lists the tables a WatcherType reaches when checking whether a
// watcher exists (ZKWatchManager.containsWatcher) and when removing it
// (removeWatcher). Checking includes the persistent tables for every type;
// removing reaches them only for Any. So removing a persistent watch by
// Children or Data finds it, removes nothing, and fails with NoWatcher, as
// in 3.8.
func tablesFor(t tree.WatcherType, removing bool) []watchKind {
	switch t {
	case tree.WatcherChildren:
		if removing {
			return []watchKind{kindChild}
		}
		return []watchKind{kindChild, kindPersistent, kindRecursive}
	case tree.WatcherData:
		if removing {
			return []watchKind{kindData, kindExist}
		}
		return []watchKind{kindData, kindExist, kindPersistent, kindRecursive}
	case tree.WatcherAny:
		return []watchKind{kindChild, kindData, kindExist, kindPersistent, kindRecursive}
	}
	return nil
}

// deregister completes a removeWatches or removeAllWatches call whose
// server answer (or local failure) is rc, as ZKWatchManager.removeWatcher
// and ClientCnxn.finishPacket do. It returns the code the caller gets and
// the watchers removed:
//
//  1. The client must hold such a watcher at path (containsWatcher),
//     whatever the server said: otherwise NoWatcher.
//  2. Unless local, a server error is the caller's error and nothing is
//     removed. With local, the watchers are removed whatever rc is, which
//     is how local removal works without a connection (zookeeper.md A8.3).
//  3. If nothing was removed: NoWatcher. Otherwise OK, even when rc was
//     ConnectionLoss ("ignore connectionloss when removing from local
//     session").
func (m *watchManager) deregister(d *watchDereg, rc tree.Code) (tree.Code, removed) {
	var out removed
	found := false
	for _, k := range tablesFor(d.typ, false) {
		ws := m.tables[k][d.path]
		if len(ws) > 0 && (d.w == nil || slices.Contains(ws, d.w)) {
			found = true
		}
	}
	if !found {
		return tree.NoWatcher, out
	}
	if !d.local && rc != tree.OK {
		return rc, out
	}
	for _, k := range tablesFor(d.typ, true) {
		ws := m.tables[k][d.path]
		var gone []*Watcher
		switch {
		case d.w == nil:
			gone = ws
			delete(m.tables[k], d.path)
		case slices.Contains(ws, d.w):
			gone = []*Watcher{d.w}
			ws = slices.DeleteFunc(slices.Clone(ws), func(w *Watcher) bool { return w == d.w })
			if len(ws) == 0 {
				delete(m.tables[k], d.path)
			} else {
				m.tables[k][d.path] = ws
			}
		}
		switch k {
		case kindChild:
			out.child = appendNew(out.child, gone)
		case kindData, kindExist:
			out.data = appendNew(out.data, gone)
		default:
			out.persistent = appendNew(out.persistent, gone)
		}
	}
	if len(out.child)+len(out.data)+len(out.persistent) == 0 {
		return tree.NoWatcher, out
	}
	return tree.OK, out
}

// removedState is the state of a watch-removed event: Disconnected when the
// removal completed without the server (ClientCnxn.queueEvent).
func removedState(rc tree.Code) wire.KeeperState {
	if rc == tree.SessionExpired || rc == tree.ConnectionLoss {
		return wire.StateDisconnected
	}
	return wire.StateSyncConnected
}
