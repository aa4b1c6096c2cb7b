package tree

import (
	"errors"
	"fmt"
	"slices"
)

// CheckInvariants verifies every structural invariant of the tree and
// returns all violations joined, or nil. It walks the whole tree, so tests
// call it after every txn and servers call it only in debug runs:
//
//   - every node but the root has its parent, and the parent lists it;
//     every listed child exists, so numChildren equals the child count;
//   - the child-create counter covers the children: cversion >= numChildren
//     for every node that did not start with reserved children;
//   - the ephemeral index holds exactly the nodes each session owns, every
//     owner is a live session, and the container and TTL sets hold exactly
//     the container and TTL nodes;
//   - ACL reference counts match the nodes that use each list;
//   - czxid <= mzxid and czxid <= pzxid;
//   - the incremental digest equals one recomputed from scratch;
//   - a child set kept as a list is in order, without duplicates, and no
//     longer than maxSorted.
func (t *Tree) CheckInvariants() error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	paths := make([]string, 0, len(t.nodes))
	for path := range t.nodes {
		paths = append(paths, path)
	}
	slices.Sort(paths) // so that the report is deterministic

	ephemerals := make(map[SessionID][]string) // each in order, as paths is
	containers := make(map[string]struct{})
	ttls := make(map[string]struct{})
	refs := make(map[aclRef]int64)
	for _, path := range paths {
		n := t.nodes[path]
		refs[n.acl]++
		if path != RootPath {
			parent, ok := t.nodes[ParentPath(path)]
			if !ok {
				fail("%s: parent missing", path)
			} else if !parent.children.has(BaseName(path)) {
				fail("%s: not listed among its parent's children", path)
			}
		}
		for name := range n.children.all {
			if _, ok := t.nodes[JoinPath(path, name)]; !ok {
				fail("%s: lists child %q that does not exist", path, name)
			}
		}
		if n.children != nil && n.children.len() == 0 {
			fail("%s: empty child set not released", path)
		}
		if !n.children.valid() {
			fail("%s: child list %q is not strictly increasing, or longer than %d", path, n.children.sorted, maxSorted)
		}
		reserved := path == RootPath || path == ZooKeeperPath
		if !reserved && int(n.cversion) < n.children.len() {
			fail("%s: cversion %d counts fewer creates than its %d children", path, n.cversion, n.children.len())
		}
		if !reserved && (n.mzxid < n.czxid || n.pzxid < n.czxid) {
			fail("%s: czxid %s after mzxid %s or pzxid %s", path, n.czxid, n.mzxid, n.pzxid)
		}
		switch t.kind(n.ephemeralOwner) {
		case kindNormal:
			s := SessionID(n.ephemeralOwner)
			ephemerals[s] = append(ephemerals[s], path)
			if _, live := t.sessions[s]; !live {
				fail("%s: owned by session %s, which is not live", path, s)
			}
		case kindContainer:
			containers[path] = struct{}{}
		case kindTTL:
			ttls[path] = struct{}{}
		}
	}
	if !equalIndex(ephemerals, t.ephemerals) {
		fail("ephemeral index %v does not match the nodes' owners %v", describeIndex(t.ephemerals), ephemerals)
	}
	if !equalSet(containers, t.containers) {
		fail("container set %v does not match the container nodes %v", sortedKeys(t.containers), sortedKeys(containers))
	}
	if !equalSet(ttls, t.ttls) {
		fail("TTL set %v does not match the TTL nodes %v", sortedKeys(t.ttls), sortedKeys(ttls))
	}
	for ref := range t.acls.entries {
		e := &t.acls.entries[ref]
		if e.refs != refs[aclRef(ref)] {
			fail("ACL %d %v has %d references, %d nodes use it", ref, e.acl, e.refs, refs[aclRef(ref)])
		}
	}
	if d := t.RecomputeDigest(); d != t.digest {
		fail("digest %#016x, recomputed %#016x", t.digest, d)
	}
	return errors.Join(errs...)
}

func equalSet(a, b map[string]struct{}) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

// equalIndex reports whether the tree's ephemeral index b holds the sorted lists of a, and no
// empty set, each set kept as its invariant says.
func equalIndex(a map[SessionID][]string, b map[SessionID]*nameSet) bool {
	if len(a) != len(b) {
		return false
	}
	for s, set := range b {
		if set.len() == 0 || !set.valid() || !slices.Equal(set.list(), a[s]) {
			return false
		}
	}
	return true
}

func describeIndex(index map[SessionID]*nameSet) map[SessionID][]string {
	out := make(map[SessionID][]string, len(index))
	for s, set := range index {
		out[s] = set.list()
	}
	return out // fmt prints maps in key order
}

// valid reports whether the set keeps its invariant: a list is strictly increasing and no
// longer than maxSorted.
func (c *nameSet) valid() bool {
	if c == nil || c.big != nil {
		return true
	}
	if len(c.sorted) > maxSorted {
		return false
	}
	for i := 1; i < len(c.sorted); i++ {
		if c.sorted[i-1] >= c.sorted[i] {
			return false
		}
	}
	return true
}
