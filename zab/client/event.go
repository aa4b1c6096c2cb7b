package client

import (
	"fmt"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// Event is what a watcher receives: a watch event (Type is a node event,
// State SyncConnected), a watch-removed event after removeWatches, or a
// session event (Type EventNone, State Disconnected, SyncConnected, Expired,
// AuthFailed or Closed). Like ZooKeeper's WatchedEvent it carries no data
// (zookeeper.md A8.1 "Delivery").
type Event struct {
	Type  tree.EventType
	State wire.KeeperState
	Path  string
	// Zxid is the zxid the server's notification carried, or 0 for events
	// the client made itself (session events, watch-removed events).
	Zxid tree.Zxid
}

// String prints the event on one line: "NodeDeleted /a SyncConnected".
func (e Event) String() string {
	if e.Type == tree.EventNone {
		return "None " + e.State.String()
	}
	return fmt.Sprintf("%s %s %s", e.Type, e.Path, e.State)
}

// Watcher is a watch callback with an identity. ZooKeeper's client keys its
// watch tables by watcher object and calls each watcher once per event even
// if it was registered through several operations (zookeeper.md A8.1
// "Dedup"; ZKWatchManager.materialize builds a set). Go functions are not
// comparable, so the identity is the pointer: create a Watcher once and
// pass the same pointer to every call that should count as one watcher.
type Watcher struct {
	fn func(Event)
}

// NewWatcher returns a watcher that calls fn (which may be nil) for every
// event delivered to it.
func NewWatcher(fn func(Event)) *Watcher { return &Watcher{fn: fn} }

func (w *Watcher) call(e Event) {
	if w.fn != nil {
		w.fn(e)
	}
}

// Observer sees what the client did, for history recording (histories,
// models). Every hook runs on the event loop. OnReturn and OnEvent run in
// the order the application sees the same results and events, immediately
// before the callback or watchers concerned.
type Observer interface {
	// OnInvoke: a request was issued and numbered xid; it runs inside the
	// call, before the request is sent. req belongs to the client: copy
	// what you keep. Requests the client refuses before numbering them (a
	// bad path, BadArguments) are not reported, as in Java they never
	// reach ClientCnxn.
	OnInvoke(xid int32, req *tree.Request)
	// OnReturn: request xid completed. reply is the server's reply when one
	// arrived, whatever its code, and nil when the client failed the
	// request itself (ConnectionLoss, SessionExpired, AuthFailed); err is
	// what the caller receives, nil on success. reply belongs to the client
	// and is reused after the call: copy the struct if you keep it (the
	// slices it holds are the caller's result and are never reused).
	OnReturn(xid int32, reply *wire.Reply, err error)
	// OnEvent: an event is being delivered to its watchers (possibly none).
	OnEvent(e Event)
}
