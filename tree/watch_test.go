package tree

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func created(p string) Change { return Change{EventNodeCreated, p} }
func deleted(p string) Change { return Change{EventNodeDeleted, p} }
func changed(p string) Change { return Change{EventNodeDataChanged, p} }

// watchStep applies changes and expects exactly the events want, in order,
// written as WatchEvent.String does.
type watchStep struct {
	changes []Change
	want    []string
}

type watchCase struct {
	name  string
	setup func(w *Watches)
	steps []watchStep
	// after is the registry's Describe once every step has run.
	after string
}

func eventStrings(evs []WatchEvent) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, e.String())
	}
	return out
}

func runWatchCases(t *testing.T, cases []watchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWatches()
			tc.setup(w)
			for i, st := range tc.steps {
				got := eventStrings(w.Trigger(st.changes, nil))
				if !slices.Equal(got, st.want) {
					t.Errorf("step %d %v:\n got  %q\n want %q", i, st.changes, got, st.want)
				}
				if err := w.check(); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			if got := w.Describe(); got != tc.after {
				t.Errorf("Describe:\n got  %q\n want %q", got, tc.after)
			}
		})
	}
}

// zookeeper.md A8.1: the standard (one-shot) watches of getData, exists and
// getChildren, with the trigger table, one-time removal and the delete dedup.
func TestWatchA81Standard(t *testing.T) {
	runWatchCases(t, []watchCase{
		{
			name:  "exists watch on a missing node fires NodeCreated",
			setup: func(w *Watches) { w.AddData("/a", 1) },
			steps: []watchStep{
				{[]Change{created("/b")}, nil},
				{[]Change{created("/a")}, []string{"0x1 NodeCreated /a"}},
			},
		},
		{
			name:  "data watch fires NodeDataChanged on setData",
			setup: func(w *Watches) { w.AddData("/a", 1) },
			steps: []watchStep{
				{[]Change{changed("/a")}, []string{"0x1 NodeDataChanged /a"}},
			},
		},
		{
			name:  "data watch fires NodeDeleted on delete",
			setup: func(w *Watches) { w.AddData("/a", 1) },
			steps: []watchStep{
				{[]Change{deleted("/a")}, []string{"0x1 NodeDeleted /a"}},
			},
		},
		{
			name:  "data watch ignores children and other paths",
			setup: func(w *Watches) { w.AddData("/a", 1) },
			steps: []watchStep{
				{[]Change{created("/a/b"), changed("/a/b"), deleted("/a/b"), changed("/ab"), changed("/")}, nil},
			},
			after: "data /a 0x1 standard\n",
		},
		{
			name:  "child watch fires NodeChildrenChanged on child create",
			setup: func(w *Watches) { w.AddChild("/a", 1) },
			steps: []watchStep{
				{[]Change{created("/a/b")}, []string{"0x1 NodeChildrenChanged /a"}},
			},
		},
		{
			name:  "child watch fires NodeChildrenChanged on child delete",
			setup: func(w *Watches) { w.AddChild("/a", 1) },
			steps: []watchStep{
				{[]Change{deleted("/a/b")}, []string{"0x1 NodeChildrenChanged /a"}},
			},
		},
		{
			name:  "child watch fires NodeDeleted on its own delete",
			setup: func(w *Watches) { w.AddChild("/a", 1) },
			steps: []watchStep{
				{[]Change{deleted("/a")}, []string{"0x1 NodeDeleted /a"}},
			},
		},
		{
			name:  "child watch ignores data changes, own create and grandchildren",
			setup: func(w *Watches) { w.AddChild("/a", 1) },
			steps: []watchStep{
				{[]Change{changed("/a"), created("/a"), created("/a/b/c"), deleted("/a/b/c")}, nil},
			},
			after: "child /a 0x1 standard\n",
		},
		{
			name:  "child watch on the root sees top-level creates",
			setup: func(w *Watches) { w.AddChild("/", 1) },
			steps: []watchStep{
				{[]Change{created("/a")}, []string{"0x1 NodeChildrenChanged /"}},
			},
		},
		{
			name: "one-shot: the second change gives no event",
			setup: func(w *Watches) {
				w.AddData("/a", 1)
				w.AddChild("/a", 1)
			},
			steps: []watchStep{
				{[]Change{changed("/a"), changed("/a")}, []string{"0x1 NodeDataChanged /a"}},
				{[]Change{created("/a/x")}, []string{"0x1 NodeChildrenChanged /a"}},
				{[]Change{created("/a/y"), changed("/a"), deleted("/a")}, nil},
			},
		},
		{
			name: "data and child watch on a deleted node give ONE NodeDeleted",
			setup: func(w *Watches) {
				w.AddData("/a", 1)
				w.AddChild("/a", 1)
				w.AddChild("/a", 2) // child watch only: not suppressed
				w.AddChild("/", 3)
			},
			steps: []watchStep{
				{[]Change{deleted("/a")}, []string{
					"0x1 NodeDeleted /a",
					"0x2 NodeDeleted /a",
					"0x3 NodeChildrenChanged /",
				}},
				// The suppressed child watch was still consumed.
				{[]Change{created("/a"), deleted("/a")}, nil},
			},
		},
		{
			name:  "re-adding a standard watch is one registration",
			setup: func(w *Watches) { w.AddData("/a", 1); w.AddData("/a", 1) },
			steps: []watchStep{
				{[]Change{changed("/a"), changed("/a")}, []string{"0x1 NodeDataChanged /a"}},
			},
		},
	})
}

// zookeeper.md A8.2: persistent and persistent-recursive watches, as 3.8.0
// registers them (both tables).
func TestWatchA82Persistent(t *testing.T) {
	runWatchCases(t, []watchCase{
		{
			name:  "persistent fires repeatedly and survives delete and recreate",
			setup: func(w *Watches) { w.AddWatch("/a", 1, WatchPersistent) },
			steps: []watchStep{
				{[]Change{created("/a")}, []string{"0x1 NodeCreated /a"}},
				{[]Change{created("/a/b")}, []string{"0x1 NodeChildrenChanged /a"}},
				{[]Change{created("/a/c")}, []string{"0x1 NodeChildrenChanged /a"}},
				{[]Change{changed("/a"), changed("/a")}, []string{"0x1 NodeDataChanged /a", "0x1 NodeDataChanged /a"}},
				{[]Change{changed("/a/b"), created("/a/b/c")}, nil},
				{[]Change{deleted("/a/b")}, []string{"0x1 NodeChildrenChanged /a"}},
				// Registered in both tables, but one NodeDeleted (A8.1 dedup).
				{[]Change{deleted("/a")}, []string{"0x1 NodeDeleted /a"}},
				{[]Change{created("/a")}, []string{"0x1 NodeCreated /a"}},
			},
			after: "data /a 0x1 persistent\nchild /a 0x1 persistent\n",
		},
		{
			name:  "recursive fires for descendants but never NodeChildrenChanged",
			setup: func(w *Watches) { w.AddWatch("/a", 1, WatchPersistentRecursive) },
			steps: []watchStep{
				{[]Change{created("/a/b")}, []string{"0x1 NodeCreated /a/b"}},
				{[]Change{created("/a/b/c")}, []string{"0x1 NodeCreated /a/b/c"}},
				{[]Change{changed("/a/b/c")}, []string{"0x1 NodeDataChanged /a/b/c"}},
				// Matched in both tables (ancestor in each): one event.
				{[]Change{deleted("/a/b/c")}, []string{"0x1 NodeDeleted /a/b/c"}},
				{[]Change{changed("/a/b"), changed("/a/b")}, []string{"0x1 NodeDataChanged /a/b", "0x1 NodeDataChanged /a/b"}},
				// Not descendants: a sibling with a common prefix, the parent, the root.
				{[]Change{created("/ab"), changed("/ab"), changed("/"), created("/b")}, nil},
			},
			after: "data /a 0x1 persistent-recursive\nchild /a 0x1 persistent-recursive\n",
		},
		{
			name:  "recursive at the exact path",
			setup: func(w *Watches) { w.AddWatch("/a", 1, WatchPersistentRecursive) },
			steps: []watchStep{
				{[]Change{created("/a")}, []string{"0x1 NodeCreated /a"}},
				{[]Change{changed("/a")}, []string{"0x1 NodeDataChanged /a"}},
				{[]Change{deleted("/a")}, []string{"0x1 NodeDeleted /a"}},
				{[]Change{created("/a")}, []string{"0x1 NodeCreated /a"}},
			},
			after: "data /a 0x1 persistent-recursive\nchild /a 0x1 persistent-recursive\n",
		},
		{
			name: "recursive on the root sees everything but child events",
			setup: func(w *Watches) {
				w.AddWatch("/", 1, WatchPersistentRecursive)
				w.AddChild("/", 2)
			},
			steps: []watchStep{
				{[]Change{created("/a")}, []string{"0x1 NodeCreated /a", "0x2 NodeChildrenChanged /"}},
				{[]Change{changed("/")}, []string{"0x1 NodeDataChanged /"}},
			},
			after: "data / 0x1 persistent-recursive\nchild / 0x1 persistent-recursive\n",
		},
		{
			name: "a standard watch at an ancestor does not fire for descendants",
			setup: func(w *Watches) {
				w.AddWatch("/x", 9, WatchPersistentRecursive) // forces the ancestor walk
				w.AddData("/a", 1)
				w.AddChild("/a", 2)
				w.AddWatch("/a", 3, WatchPersistent)
			},
			steps: []watchStep{
				{[]Change{changed("/a/b"), deleted("/a/b/c")}, nil},
			},
			after: "data /a 0x1 standard\ndata /a 0x3 persistent\ndata /x 0x9 persistent-recursive\n" +
				"child /a 0x2 standard\nchild /a 0x3 persistent\nchild /x 0x9 persistent-recursive\n",
		},
		{
			name: "a session with recursive at /a and a standard at /a/b gets one event",
			setup: func(w *Watches) {
				w.AddWatch("/a", 1, WatchPersistentRecursive)
				w.AddData("/a/b", 1)
			},
			steps: []watchStep{
				{[]Change{changed("/a/b")}, []string{"0x1 NodeDataChanged /a/b"}},
				{[]Change{changed("/a/b")}, []string{"0x1 NodeDataChanged /a/b"}},
			},
			after: "data /a 0x1 persistent-recursive\nchild /a 0x1 persistent-recursive\n",
		},
		{
			// The 3.8.0 quirk: one mode per (path, session) per table, so a
			// standard getData watch downgrades the data-table entry of a
			// persistent watch, and the child table keeps persistent.
			name: "3.8.0 downgrade quirk: getData after addWatch persistent",
			setup: func(w *Watches) {
				w.AddWatch("/a", 1, WatchPersistent)
				w.AddData("/a", 1)
			},
			steps: []watchStep{
				{[]Change{changed("/a")}, []string{"0x1 NodeDataChanged /a"}},
				{[]Change{changed("/a")}, nil}, // the downgraded watch was one-shot
				{[]Change{created("/a/b")}, []string{"0x1 NodeChildrenChanged /a"}},
				{[]Change{created("/a/c")}, []string{"0x1 NodeChildrenChanged /a"}},
			},
			after: "child /a 0x1 persistent\n",
		},
		{
			// Downgrading a recursive watch leaves the child table
			// recursive, which still reports a descendant's delete (through
			// the child table's NodeDeleted trigger) but no longer its
			// create or data change.
			name: "3.8.0 downgrade quirk: exists after addWatch recursive",
			setup: func(w *Watches) {
				w.AddWatch("/a", 1, WatchPersistentRecursive)
				w.AddData("/a", 1)
			},
			steps: []watchStep{
				{[]Change{created("/a/b"), changed("/a/b")}, nil},
				{[]Change{deleted("/a/b")}, []string{"0x1 NodeDeleted /a/b"}},
				{[]Change{changed("/a")}, []string{"0x1 NodeDataChanged /a"}},
				{[]Change{changed("/a")}, nil},
			},
			after: "child /a 0x1 persistent-recursive\n",
		},
		{
			name: "addWatch replaces a standard watch with a persistent one",
			setup: func(w *Watches) {
				w.AddData("/a", 1)
				w.AddChild("/a", 1)
				w.AddWatch("/a", 1, WatchPersistent)
			},
			steps: []watchStep{
				{[]Change{changed("/a"), changed("/a")}, []string{"0x1 NodeDataChanged /a", "0x1 NodeDataChanged /a"}},
			},
			after: "data /a 0x1 persistent\nchild /a 0x1 persistent\n",
		},
	})
}

func TestWatchA82RecursiveCount(t *testing.T) {
	w := NewWatches()
	w.AddWatch("/a", 1, WatchPersistentRecursive)
	w.AddWatch("/b", 2, WatchPersistentRecursive)
	if w.data.recursive != 2 || w.child.recursive != 2 {
		t.Fatalf("recursive counts %d %d, want 2 2", w.data.recursive, w.child.recursive)
	}
	w.AddData("/a", 1) // downgrade in the data table only
	if w.data.recursive != 1 || w.child.recursive != 2 {
		t.Fatalf("after downgrade: recursive counts %d %d, want 1 2", w.data.recursive, w.child.recursive)
	}
	w.RemoveSession(2)
	w.Remove("/a", 1, WatcherChildren)
	if w.data.recursive != 0 || w.child.recursive != 0 {
		t.Fatalf("after removal: recursive counts %d %d, want 0 0", w.data.recursive, w.child.recursive)
	}
	if err := w.check(); err != nil {
		t.Fatal(err)
	}
}

// zookeeper.md A8.3: removeWatches with each WatcherType, and checkWatches.
func TestWatchA83Remove(t *testing.T) {
	setup := func() *Watches {
		w := NewWatches()
		w.AddData("/d", 1)
		w.AddChild("/c", 1)
		w.AddData("/b", 1)
		w.AddChild("/b", 1)
		w.AddWatch("/p", 1, WatchPersistent)
		w.AddWatch("/r", 1, WatchPersistentRecursive)
		w.AddData("/d", 2)
		return w
	}
	const all = "data /b 0x1 standard\ndata /d 0x1 standard\ndata /d 0x2 standard\ndata /p 0x1 persistent\ndata /r 0x1 persistent-recursive\n" +
		"child /b 0x1 standard\nchild /c 0x1 standard\nchild /p 0x1 persistent\nchild /r 0x1 persistent-recursive\n"
	if got := setup().Describe(); got != all {
		t.Fatalf("setup:\n got  %q\n want %q", got, all)
	}
	cases := []struct {
		path  string
		s     SessionID
		typ   WatcherType
		ok    bool
		after string // Describe with the lines of all removed that drop
	}{
		{"/d", 1, WatcherData, true, "data /d 0x1 standard\n"},
		{"/d", 1, WatcherChildren, false, ""},
		{"/d", 1, WatcherAny, true, "data /d 0x1 standard\n"},
		{"/d", 3, WatcherAny, false, ""},
		{"/c", 1, WatcherChildren, true, "child /c 0x1 standard\n"},
		{"/c", 1, WatcherData, false, ""},
		{"/c", 1, WatcherAny, true, "child /c 0x1 standard\n"},
		{"/b", 1, WatcherData, true, "data /b 0x1 standard\n"},
		{"/b", 1, WatcherChildren, true, "child /b 0x1 standard\n"},
		{"/b", 1, WatcherAny, true, "data /b 0x1 standard\nchild /b 0x1 standard\n"},
		{"/p", 1, WatcherAny, true, "data /p 0x1 persistent\nchild /p 0x1 persistent\n"},
		{"/p", 1, WatcherData, true, "data /p 0x1 persistent\n"},
		{"/r", 1, WatcherAny, true, "data /r 0x1 persistent-recursive\nchild /r 0x1 persistent-recursive\n"},
		{"/r/x", 1, WatcherAny, false, ""}, // a recursive watch is removed at its own path only
		{"/missing", 1, WatcherAny, false, ""},
		{"/d", 1, WatcherType(4), false, ""}, // 3.9's Persistent: unknown in 3.8
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s_%s_%s", tc.path, tc.s, tc.typ), func(t *testing.T) {
			w := setup()
			if got := w.Remove(tc.path, tc.s, tc.typ); got != tc.ok {
				t.Errorf("Remove = %v, want %v", got, tc.ok)
			}
			want := all
			for _, line := range strings.SplitAfter(tc.after, "\n") {
				want = strings.Replace(want, line, "", 1)
			}
			if got := w.Describe(); got != want {
				t.Errorf("Describe:\n got  %q\n want %q", got, want)
			}
			if err := w.check(); err != nil {
				t.Fatal(err)
			}
			if w.Remove(tc.path, tc.s, tc.typ) {
				t.Errorf("second Remove succeeded")
			}
		})
	}
}

func TestWatchA83RemovedWatchDoesNotFire(t *testing.T) {
	w := NewWatches()
	w.AddWatch("/a", 1, WatchPersistentRecursive)
	w.AddData("/a", 2)
	if !w.Remove("/a", 1, WatcherAny) {
		t.Fatal("Remove failed")
	}
	got := eventStrings(w.Trigger([]Change{changed("/a"), created("/a/b")}, nil))
	if want := []string{"0x2 NodeDataChanged /a"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWatchA83Contains(t *testing.T) {
	w := NewWatches()
	w.AddData("/d", 1)
	w.AddChild("/c", 1)
	w.AddWatch("/r", 1, WatchPersistentRecursive)
	w.AddData("/o", 2)
	cases := []struct {
		path string
		s    SessionID
		typ  WatcherType
		want bool
	}{
		{"/d", 1, WatcherData, true},
		{"/d", 1, WatcherChildren, false},
		{"/d", 1, WatcherAny, true},
		{"/c", 1, WatcherChildren, true},
		{"/c", 1, WatcherData, false},
		{"/c", 1, WatcherAny, true},
		{"/r", 1, WatcherData, true},
		{"/r", 1, WatcherChildren, true},
		{"/r/x", 1, WatcherAny, false},
		{"/o", 1, WatcherAny, false}, // another session's watch does not count
		{"/o", 2, WatcherData, true},
		{"/d", 1, WatcherType(0), false},
	}
	for _, tc := range cases {
		if got := w.Contains(tc.path, tc.s, tc.typ); got != tc.want {
			t.Errorf("Contains(%s, %s, %s) = %v, want %v", tc.path, tc.s, tc.typ, got, tc.want)
		}
	}
}

// zookeeper.md A8.1: watches live on the connected server; a closed
// connection drops them all.
func TestWatchRemoveSession(t *testing.T) {
	w := NewWatches()
	for _, s := range []SessionID{1, 2} {
		w.AddData("/a", s)
		w.AddChild("/a", s)
		w.AddWatch("/b", s, WatchPersistentRecursive)
	}
	w.AddData("/only1", 1)
	if got := w.Count(); got != 9 {
		t.Fatalf("Count = %d, want 9", got)
	}
	w.RemoveSession(1)
	w.RemoveSession(7) // unknown: no-op
	if err := w.check(); err != nil {
		t.Fatal(err)
	}
	if got := w.Count(); got != 4 {
		t.Errorf("Count = %d, want 4", got)
	}
	want := "data /a 0x2 standard\ndata /b 0x2 persistent-recursive\nchild /a 0x2 standard\nchild /b 0x2 persistent-recursive\n"
	if got := w.Describe(); got != want {
		t.Errorf("Describe:\n got  %q\n want %q", got, want)
	}
	got := eventStrings(w.Trigger([]Change{deleted("/a"), created("/b/x"), changed("/only1")}, nil))
	if want := []string{"0x2 NodeDeleted /a", "0x2 NodeCreated /b/x"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	w.RemoveSession(2)
	if w.Count() != 0 || w.Describe() != "" || w.data.recursive != 0 || w.child.recursive != 0 {
		t.Errorf("not empty after removing every session: %q", w.Describe())
	}
}

// zookeeper.md A8.1 "Reconnect": DataTree.setWatches.
func TestWatchA81SetWatches(t *testing.T) {
	const rel = Zxid(10)
	nodes := map[string]Stat{
		"/old":    {Mzxid: 5, Pzxid: 5},
		"/eq":     {Mzxid: 10, Pzxid: 10}, // not newer than rel: re-armed
		"/newdat": {Mzxid: 11, Pzxid: 5},
		"/newkid": {Mzxid: 5, Pzxid: 12},
	}
	stat := func(p string) (Stat, bool) { s, ok := nodes[p]; return s, ok }
	cases := []struct {
		name                                   string
		data, exist, child, persistent, recurs []string
		want                                   []string
		after                                  string
	}{
		{name: "data on a missing node: NodeDeleted", data: []string{"/gone"},
			want: []string{"0x7 NodeDeleted /gone"}},
		{name: "data on a changed node: NodeDataChanged", data: []string{"/newdat"},
			want: []string{"0x7 NodeDataChanged /newdat"}},
		{name: "data on an unchanged node: re-armed", data: []string{"/old", "/eq", "/newkid"},
			after: "data /eq 0x7 standard\ndata /newkid 0x7 standard\ndata /old 0x7 standard\n"},
		{name: "exist on a present node: NodeCreated", exist: []string{"/old"},
			want: []string{"0x7 NodeCreated /old"}},
		{name: "exist on a missing node: re-armed", exist: []string{"/gone"},
			after: "data /gone 0x7 standard\n"},
		{name: "child on a missing node: NodeDeleted", child: []string{"/gone"},
			want: []string{"0x7 NodeDeleted /gone"}},
		{name: "child on a node with new children: NodeChildrenChanged", child: []string{"/newkid"},
			want: []string{"0x7 NodeChildrenChanged /newkid"}},
		{name: "child on an unchanged node: re-armed", child: []string{"/old", "/eq", "/newdat"},
			after: "child /eq 0x7 standard\nchild /newdat 0x7 standard\nchild /old 0x7 standard\n"},
		{name: "persistent: re-armed without catch-up", persistent: []string{"/newdat", "/gone"},
			after: "data /gone 0x7 persistent\ndata /newdat 0x7 persistent\nchild /gone 0x7 persistent\nchild /newdat 0x7 persistent\n"},
		{name: "recursive: re-armed without catch-up", recurs: []string{"/newkid"},
			after: "data /newkid 0x7 persistent-recursive\nchild /newkid 0x7 persistent-recursive\n"},
		{
			name:  "order: all data, then all exist, then all child",
			child: []string{"/newkid", "/gone"},
			exist: []string{"/newdat", "/old"},
			data:  []string{"/gone2", "/newdat"},
			want: []string{
				"0x7 NodeDeleted /gone2", "0x7 NodeDataChanged /newdat",
				"0x7 NodeCreated /newdat", "0x7 NodeCreated /old",
				"0x7 NodeChildrenChanged /newkid", "0x7 NodeDeleted /gone",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWatches()
			prefix := []WatchEvent{{Session: 1, Type: EventNone, Path: "keep"}}
			got := w.SetWatches(rel, tc.data, tc.exist, tc.child, tc.persistent, tc.recurs, 7, stat, prefix)
			if len(got) == 0 || got[0] != prefix[0] {
				t.Fatalf("out was not appended to: %v", got)
			}
			if gs := eventStrings(got[1:]); !slices.Equal(gs, tc.want) {
				t.Errorf("events:\n got  %q\n want %q", gs, tc.want)
			}
			if d := w.Describe(); d != tc.after {
				t.Errorf("Describe:\n got  %q\n want %q", d, tc.after)
			}
			if err := w.check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Events of one table trigger come sorted by session, whatever the order of
// registration and of Go's map iteration.
func TestWatchDeterministicOrder(t *testing.T) {
	sessions := []SessionID{0x10, 3, 0x2a, 1, 2, 0x7fffffff00000001, 9, 5}
	for run := 0; run < 20; run++ {
		w := NewWatches()
		for _, s := range sessions {
			w.AddData("/a", s)
			w.AddChild("/", s)
		}
		w.AddWatch("/", 4, WatchPersistentRecursive)
		got := eventStrings(w.Trigger([]Change{deleted("/a")}, nil))
		want := []string{
			"0x1 NodeDeleted /a", "0x2 NodeDeleted /a", "0x3 NodeDeleted /a",
			"0x4 NodeDeleted /a", "0x5 NodeDeleted /a", "0x9 NodeDeleted /a",
			"0x10 NodeDeleted /a", "0x2a NodeDeleted /a", "0x7fffffff00000001 NodeDeleted /a",
			"0x1 NodeChildrenChanged /", "0x2 NodeChildrenChanged /", "0x3 NodeChildrenChanged /",
			"0x5 NodeChildrenChanged /", "0x9 NodeChildrenChanged /", "0x10 NodeChildrenChanged /",
			"0x2a NodeChildrenChanged /", "0x7fffffff00000001 NodeChildrenChanged /",
		}
		if !slices.Equal(got, want) {
			t.Fatalf("run %d:\n got  %q\n want %q", run, got, want)
		}
	}
}

func TestWatchStrings(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{WatchStandard.String(), "standard"},
		{WatchPersistent.String(), "persistent"},
		{WatchPersistentRecursive.String(), "persistent-recursive"},
		{WatchMode(3).String(), "WatchMode(3)"},
		{WatcherChildren.String(), "Children"},
		{WatcherData.String(), "Data"},
		{WatcherAny.String(), "Any"},
		{WatcherType(5).String(), "WatcherType(5)"},
		{WatchEvent{5, EventNodeCreated, "/a"}.String(), "0x5 NodeCreated /a"},
		{fmt.Sprint(int32(WatcherChildren), int32(WatcherData), int32(WatcherAny)), "1 2 3"},
		{NewWatches().Describe(), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestWatchPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"invalid mode":        func() { NewWatches().AddWatch("/a", 1, WatchMode(3)) },
		"invalid change type": func() { NewWatches().Trigger([]Change{{EventNodeChildrenChanged, "/a"}}, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

// refWatches is the naive reference for the rapid test: a flat list of
// registrations evaluated by brute force, with no index, no recursive
// count and an ancestor test by string prefix.
type refWatches struct{ regs []refReg }

type refReg struct {
	child bool
	path  string
	s     SessionID
	mode  WatchMode
}

func (r *refWatches) find(child bool, path string, s SessionID) int {
	return slices.IndexFunc(r.regs, func(g refReg) bool { return g.child == child && g.path == path && g.s == s })
}

func (r *refWatches) set(child bool, path string, s SessionID, mode WatchMode) {
	if i := r.find(child, path, s); i >= 0 {
		r.regs[i].mode = mode
		return
	}
	r.regs = append(r.regs, refReg{child, path, s, mode})
}

func (r *refWatches) remove(child bool, path string, s SessionID) bool {
	i := r.find(child, path, s)
	if i < 0 {
		return false
	}
	r.regs = slices.Delete(r.regs, i, i+1)
	return true
}

func refIsAncestor(anc, p string) bool {
	if anc == p {
		return false
	}
	return anc == "/" || strings.HasPrefix(p, anc+"/")
}

func (r *refWatches) trigger(child bool, path string, typ EventType, suppress []SessionID, out []WatchEvent) ([]WatchEvent, []SessionID) {
	var matched []SessionID
	var keep []refReg
	for _, g := range r.regs {
		hit := false
		if g.child == child {
			switch {
			case g.path == path:
				hit = g.mode != WatchPersistentRecursive || typ != EventNodeChildrenChanged
			case refIsAncestor(g.path, path):
				hit = g.mode == WatchPersistentRecursive && typ != EventNodeChildrenChanged
			}
		}
		if hit && !slices.Contains(matched, g.s) {
			matched = append(matched, g.s)
		}
		if !(hit && g.path == path && g.mode == WatchStandard) {
			keep = append(keep, g)
		}
	}
	r.regs = keep
	slices.Sort(matched)
	for _, s := range matched {
		if !slices.Contains(suppress, s) {
			out = append(out, WatchEvent{s, typ, path})
		}
	}
	return out, matched
}

func (r *refWatches) applyChange(c Change, out []WatchEvent) []WatchEvent {
	parent := "/"
	if i := strings.LastIndex(c.Path, "/"); i > 0 {
		parent = c.Path[:i]
	}
	switch c.Type {
	case EventNodeCreated:
		out, _ = r.trigger(false, c.Path, EventNodeCreated, nil, out)
		out, _ = r.trigger(true, parent, EventNodeChildrenChanged, nil, out)
	case EventNodeDeleted:
		var processed []SessionID
		out, processed = r.trigger(false, c.Path, EventNodeDeleted, nil, out)
		out, _ = r.trigger(true, c.Path, EventNodeDeleted, processed, out)
		out, _ = r.trigger(true, parent, EventNodeChildrenChanged, nil, out)
	case EventNodeDataChanged:
		out, _ = r.trigger(false, c.Path, EventNodeDataChanged, nil, out)
	}
	return out
}

func (r *refWatches) describe() string {
	regs := slices.Clone(r.regs)
	slices.SortFunc(regs, func(a, b refReg) int {
		if a.child != b.child {
			if a.child {
				return 1
			}
			return -1
		}
		if c := strings.Compare(a.path, b.path); c != 0 {
			return c
		}
		return cmp.Compare(a.s, b.s)
	})
	var b strings.Builder
	for _, g := range regs {
		table := "data"
		if g.child {
			table = "child"
		}
		fmt.Fprintf(&b, "%s %s %s %s\n", table, g.path, g.s, g.mode)
	}
	return b.String()
}

// Trigger, Remove, Contains, Count and Describe agree with the brute-force
// reference over random operation sequences (zookeeper.md A8.1, A8.2, A8.3).
func TestWatchRapidMatchesReference(t *testing.T) {
	paths := []string{"/", "/a", "/a/b", "/a/b/c", "/b", "/ab"}
	rapid.Check(t, func(t *rapid.T) {
		w := NewWatches()
		var ref refWatches
		genPath := rapid.SampledFrom(paths)
		genSession := rapid.SampledFrom([]SessionID{1, 2, 3})
		genMode := rapid.SampledFrom([]WatchMode{WatchStandard, WatchPersistent, WatchPersistentRecursive})
		genType := rapid.SampledFrom([]WatcherType{WatcherChildren, WatcherData, WatcherAny})
		genChange := rapid.Custom(func(t *rapid.T) Change {
			return Change{
				rapid.SampledFrom([]EventType{EventNodeCreated, EventNodeDeleted, EventNodeDataChanged}).Draw(t, "type"),
				genPath.Draw(t, "path"),
			}
		})
		t.Repeat(map[string]func(*rapid.T){
			"AddData": func(t *rapid.T) {
				p, s := genPath.Draw(t, "path"), genSession.Draw(t, "s")
				w.AddData(p, s)
				ref.set(false, p, s, WatchStandard)
			},
			"AddChild": func(t *rapid.T) {
				p, s := genPath.Draw(t, "path"), genSession.Draw(t, "s")
				w.AddChild(p, s)
				ref.set(true, p, s, WatchStandard)
			},
			"AddWatch": func(t *rapid.T) {
				p, s, m := genPath.Draw(t, "path"), genSession.Draw(t, "s"), genMode.Draw(t, "mode")
				w.AddWatch(p, s, m)
				ref.set(false, p, s, m)
				ref.set(true, p, s, m)
			},
			"Remove": func(t *rapid.T) {
				p, s, typ := genPath.Draw(t, "path"), genSession.Draw(t, "s"), genType.Draw(t, "type")
				got := w.Remove(p, s, typ)
				want := false
				if typ != WatcherData && ref.remove(true, p, s) {
					want = true
				}
				if typ != WatcherChildren && ref.remove(false, p, s) {
					want = true
				}
				if got != want {
					t.Fatalf("Remove(%s, %s, %s) = %v, want %v", p, s, typ, got, want)
				}
			},
			"RemoveSession": func(t *rapid.T) {
				s := genSession.Draw(t, "s")
				w.RemoveSession(s)
				ref.regs = slices.DeleteFunc(ref.regs, func(g refReg) bool { return g.s == s })
			},
			"Trigger": func(t *rapid.T) {
				changes := rapid.SliceOfN(genChange, 1, 3).Draw(t, "changes")
				got := w.Trigger(changes, nil)
				var want []WatchEvent
				for _, c := range changes {
					want = ref.applyChange(c, want)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("Trigger(%v):\n got  %v\n want %v", changes, got, want)
				}
			},
			"Contains": func(t *rapid.T) {
				p, s, typ := genPath.Draw(t, "path"), genSession.Draw(t, "s"), genType.Draw(t, "type")
				want := (typ != WatcherData && ref.find(true, p, s) >= 0) ||
					(typ != WatcherChildren && ref.find(false, p, s) >= 0)
				if got := w.Contains(p, s, typ); got != want {
					t.Fatalf("Contains(%s, %s, %s) = %v, want %v", p, s, typ, got, want)
				}
			},
			"": func(t *rapid.T) {
				if err := w.check(); err != nil {
					t.Fatal(err)
				}
				if got, want := w.Count(), len(ref.regs); got != want {
					t.Fatalf("Count = %d, want %d", got, want)
				}
				if got, want := w.Describe(), ref.describe(); got != want {
					t.Fatalf("Describe:\n got  %q\n want %q", got, want)
				}
			},
		})
	})
}
