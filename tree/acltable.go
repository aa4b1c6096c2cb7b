package tree

import (
	"encoding/binary"
	"slices"
)

// aclRef names an interned ACL list in an aclTable.
type aclRef uint32

// aclTable interns ACL lists so that a million nodes with the same ACL share
// one copy, with reference counts so that lists nobody uses are dropped
// (ZooKeeper's ReferenceCountedACLCache). A list keeps the order its setter
// gave; two lists with the same entries in another order are different.
type aclTable struct {
	// Invariant: entries[r].refs is the number of nodes whose acl is r; an
	// entry with no refs is on the free list and absent from byKey.
	entries []aclEntry
	byKey   map[string]aclRef
	free    []aclRef
	// last is the ref intern returned last, which it tries first: nearly every node of a
	// tree has the same ACL, and comparing the lists costs less than building and hashing a
	// key. It may name a freed entry or none (a table decoded from a snapshot): intern checks.
	last aclRef
}

type aclEntry struct {
	acl  []ACL
	key  string
	hash uint64 // of key; part of each node's digest
	refs int64
}

func newACLTable() aclTable {
	return aclTable{byKey: make(map[string]aclRef)}
}

// aclKey is a canonical byte string for a list, used as its identity.
func aclKey(acl []ACL) string { return string(appendACLKey(nil, acl)) }

// appendACLKey appends acl's key (aclKey) to b.
func appendACLKey(b []byte, acl []ACL) []byte {
	for _, a := range acl {
		b = binary.LittleEndian.AppendUint32(b, uint32(a.Perms))
		b = append(b, a.ID.Scheme...)
		b = append(b, 0)
		b = append(b, a.ID.ID...)
		b = append(b, 0)
	}
	return b
}

// intern returns the ref of acl, adding one reference. The key is built on the stack: a list
// already interned (nearly every create's) costs no allocation.
func (t *aclTable) intern(acl []ACL) aclRef {
	if int(t.last) < len(t.entries) {
		// Equal lists have equal keys, so this is the ref the key would find.
		if e := &t.entries[t.last]; e.refs > 0 && slices.Equal(e.acl, acl) {
			e.refs++
			return t.last
		}
	}
	var buf [64]byte
	kb := appendACLKey(buf[:0], acl)
	if ref, ok := t.byKey[string(kb)]; ok {
		t.entries[ref].refs++
		t.last = ref
		return ref
	}
	key := string(kb)
	entry := aclEntry{acl: slices.Clone(acl), key: key, hash: hashString(seedACL, key), refs: 1}
	var ref aclRef
	if n := len(t.free); n > 0 {
		ref = t.free[n-1]
		t.free = t.free[:n-1]
		t.entries[ref] = entry
	} else {
		ref = aclRef(len(t.entries))
		t.entries = append(t.entries, entry)
	}
	t.byKey[key] = ref
	t.last = ref
	return ref
}

// release drops one reference and frees the list when none is left.
func (t *aclTable) release(ref aclRef) {
	e := &t.entries[ref]
	e.refs--
	if e.refs > 0 {
		return
	}
	delete(t.byKey, e.key)
	*e = aclEntry{}
	t.free = append(t.free, ref)
}

// knownHash returns the hash of acl without building its key when a live
// entry holds that list: the entry ref when acl is its very slice (a record
// copied from a node with ref keeps it), or the entry intern returned last
// when acl equals it (nearly every new node's ACL). ref may be stale or
// meaningless; the checks make any value safe.
func (t *aclTable) knownHash(acl []ACL, ref aclRef) (uint64, bool) {
	if int(ref) < len(t.entries) {
		if e := &t.entries[ref]; e.refs > 0 && sameACLs(acl, e.acl) {
			return e.hash, true
		}
	}
	if int(t.last) < len(t.entries) {
		if e := &t.entries[t.last]; e.refs > 0 && slices.Equal(e.acl, acl) {
			return e.hash, true
		}
	}
	return 0, false
}

func (t *aclTable) get(ref aclRef) []ACL { return t.entries[ref].acl }

func (t *aclTable) hash(ref aclRef) uint64 { return t.entries[ref].hash }

// live returns the number of distinct lists in use.
func (t *aclTable) live() int { return len(t.byKey) }
