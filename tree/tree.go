package tree

import (
	"slices"
	"strings"
)

// Options are the server settings that change what the tree accepts.
type Options struct {
	// ExtendedTypes is zookeeper.extendedTypesEnabled: TTL nodes exist only
	// when it is set; without it a TTL create is Unimplemented (A2).
	ExtendedTypes bool
	// SkipACL is zookeeper.skipACL: every permission check passes.
	SkipACL bool
}

// Tree is the replicated state of a ZooKeeper server: the znodes, the session
// table and the indexes derived from them. Its methods are not safe for
// concurrent use; in the simulator one event loop owns it.
type Tree struct {
	opts Options

	// Invariant: holds every node under its full path, "/" included; every
	// non-root node's parent is present and lists it among its children.
	nodes map[string]*znode
	acls  aclTable

	// Invariant: sessions holds every session created and not yet closed,
	// with its negotiated timeout in ms.
	sessions map[SessionID]int32
	// Invariant: ephemerals[s] is exactly the set of nodes whose owner is s
	// (of kind normal); no entry is an empty set.
	ephemerals map[SessionID]*nameSet
	// Invariant: containers and ttls hold exactly the container and TTL nodes.
	containers map[string]struct{}
	ttls       map[string]struct{}

	// Invariant: digest == RecomputeDigest().
	digest uint64
	// lastZxid is the zxid of the last txn applied (lastProcessedZxid).
	lastZxid Zxid

	// changes is reused by Apply; see Applied.Changes.
	changes []Change

	// spareNodes and spareSets hand out the tree's znodes and name sets
	// (newNode, newSet).
	spareNodes slab[znode]
	spareSets  slab[nameSet]
	// spareResults hands out the result lists of multis (applyMulti): every
	// replica applies every multi, and its results are read once, by the
	// server that replies, so the lists of a slab are dropped within a few
	// txns of each other.
	spareResults slab[Result]
}

// newNode returns a zeroed node of the tree's own, carved from a slab: a
// node is a small object that every create allocates (and a replica applies
// every create), so one allocation per slab instead of one per node saves
// most of the allocator's work. Nothing but the tree holds a *znode
// (readers get copies or the data slice), so nodes need no other owner to
// share a slab. A slab stays allocated while any of its nodes lives, so a
// deleted node's 96 bytes may linger; deleteNode clears the node so that it
// keeps nothing else alive.
func (t *Tree) newNode() *znode { return t.spareNodes.one() }

// newSet returns an empty name set for a node's children or a session's
// ephemerals, carved from a slab as newNode carves nodes, with room for a
// few names in the same allocation. A set dropped when it empties is
// cleared, so that its slab keeps nothing else alive.
func (t *Tree) newSet() *nameSet {
	c := t.spareSets.one()
	c.initSmall()
	return c
}

// New returns a tree as a fresh ZooKeeper server has it: the root, /zookeeper,
// /zookeeper/quota and /zookeeper/config (readable by anyone, writable by
// nobody), every stat zero except /zookeeper/config's aversion, which is -1
// because the server installs its ACL with setACL version -1 (DataTree's
// constructor and addConfigNode). Because the reserved nodes were never
// created as children, the root's client cversion reads -1 and /zookeeper's
// reads -2, as on a real server.
func New(opts Options) *Tree {
	t := &Tree{
		opts:       opts,
		nodes:      make(map[string]*znode),
		acls:       newACLTable(),
		sessions:   make(map[SessionID]int32),
		ephemerals: make(map[SessionID]*nameSet),
		containers: make(map[string]struct{}),
		ttls:       make(map[string]struct{}),
	}
	for _, path := range []string{RootPath, ZooKeeperPath, QuotaPath, ConfigPath} {
		acl := OpenACLUnsafe
		if path == ConfigPath {
			acl = ReadACLUnsafe
		}
		n := t.newNode()
		n.data, n.acl = []byte{}, t.acls.intern(acl)
		if path == ConfigPath {
			n.aversion = -1
		}
		t.nodes[path] = n
		if path != RootPath {
			t.addChild(t.nodes[ParentPath(path)], path)
		}
		t.digest += t.nodeTerm(path, n)
	}
	return t
}

// Options returns the options the tree was made with.
func (t *Tree) Options() Options { return t.opts }

// LastZxid returns the zxid of the last txn applied.
func (t *Tree) LastZxid() Zxid { return t.lastZxid }

// NodeCount returns the number of znodes, the reserved ones included.
func (t *Tree) NodeCount() int { return len(t.nodes) }

// Exists reports whether path names a node.
func (t *Tree) Exists(path string) bool {
	_, ok := t.nodes[path]
	return ok
}

// Stat returns the client-visible stat of path.
func (t *Tree) Stat(path string) (Stat, bool) {
	n, ok := t.nodes[path]
	if !ok {
		return Stat{}, false
	}
	return n.stat(t.opts.ExtendedTypes), true
}

// Get returns the data and stat of path. The data is shared with the tree
// and must not be modified.
func (t *Tree) Get(path string) ([]byte, Stat, bool) {
	n, ok := t.nodes[path]
	if !ok {
		return nil, Stat{}, false
	}
	return n.data, n.stat(t.opts.ExtendedTypes), true
}

// Children returns the names of path's children in sorted order. ZooKeeper
// returns them in HashSet order, which no client may rely on (A1); sorting
// keeps the simulator deterministic.
func (t *Tree) Children(path string) ([]string, bool) {
	n, ok := t.nodes[path]
	if !ok {
		return nil, false
	}
	return t.children(n), true
}

// children is Children of the node n.
func (t *Tree) children(n *znode) []string { return n.children.list() }

// ACL returns the ACL of path. It is shared with the tree and must not be
// modified.
func (t *Tree) ACL(path string) ([]ACL, bool) {
	n, ok := t.nodes[path]
	if !ok {
		return nil, false
	}
	return t.acls.get(n.acl), true
}

// Sessions returns the live sessions in increasing order.
func (t *Tree) Sessions() []SessionID {
	ids := make([]SessionID, 0, len(t.sessions))
	for id := range t.sessions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// SessionTimeout returns the negotiated timeout of a live session, in ms.
func (t *Tree) SessionTimeout(id SessionID) (int32, bool) {
	timeout, ok := t.sessions[id]
	return timeout, ok
}

// Ephemerals returns the paths of the ephemeral nodes that session owns, in
// sorted order.
func (t *Tree) Ephemerals(session SessionID) []string {
	return t.ephemerals[session].list()
}

// Containers returns the paths of every container node, sorted.
func (t *Tree) Containers() []string { return sortedKeys(t.containers) }

// TTLNodes returns the paths of every TTL node, sorted.
func (t *Tree) TTLNodes() []string { return sortedKeys(t.ttls) }

// AllChildrenNumber counts the descendants of path (getAllChildrenNumber);
// for the root it excludes the root itself, counting the reserved nodes.
func (t *Tree) AllChildrenNumber(path string) int {
	if path == RootPath {
		return len(t.nodes) - 1
	}
	prefix := path + "/"
	count := 0
	for p := range t.nodes {
		if strings.HasPrefix(p, prefix) {
			count++
		}
	}
	return count
}

func sortedKeys(set map[string]struct{}) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// addChild records path as a child of parent, naming it by a substring of
// path so that the name shares the path's bytes.
func (t *Tree) addChild(parent *znode, path string) {
	if parent.children == nil {
		parent.children = t.newSet()
	}
	parent.children.add(BaseName(path))
}

// kind classifies a node's owner under this tree's options.
func (t *Tree) kind(owner int64) ephemeralKind { return kindOf(owner, t.opts.ExtendedTypes) }

// index adds or removes path from the owner indexes.
func (t *Tree) index(path string, owner int64, add bool) {
	switch t.kind(owner) {
	case kindContainer:
		setAdd(t.containers, path, add)
	case kindTTL:
		setAdd(t.ttls, path, add)
	case kindNormal:
		s := SessionID(owner)
		set := t.ephemerals[s]
		if add {
			if set == nil {
				set = t.newSet()
				t.ephemerals[s] = set
			}
			set.add(path)
		} else if set != nil {
			set.remove(path)
			if set.len() == 0 {
				delete(t.ephemerals, s)
				*set = nameSet{} // its slab may outlive it (newSet)
			}
		}
	}
}

func setAdd(set map[string]struct{}, key string, add bool) {
	if add {
		set[key] = struct{}{}
	} else {
		delete(set, key)
	}
}

// updateNode runs mutate on the node at path and keeps the digest in step.
// dataChanged says whether mutate may replace the data, so that a stat-only
// change does not rehash the data.
func (t *Tree) updateNode(path string, n *znode, dataChanged bool, mutate func(n *znode)) {
	ph := hashString(seedPath, path)
	oldACL := t.acls.hash(n.acl)
	t.digest -= metaTerm(ph, n, oldACL)
	if dataChanged {
		t.digest -= dataTerm(ph, n.data)
	}
	mutate(n)
	t.digest += metaTerm(ph, n, t.acls.hash(n.acl))
	if dataChanged {
		t.digest += dataTerm(ph, n.data)
	}
}
