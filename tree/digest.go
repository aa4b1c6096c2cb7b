package tree

// The digest of a tree is the wrapping sum, over every znode, of a data term
// and a metadata term, plus a term per session. A sum can be updated in O(1)
// per changed node: subtract the old term, add the new one. That is the idea
// of ZooKeeper's digest (DigestCalculator, one CRC per node, summed); the
// hash is ours, it covers the ACL and the session table as well, and it
// splits each node in two terms so that a stat-only change (a parent's pzxid
// when a child is created) does not rehash the parent's data.

// dataTerm is a node's contribution from its path and data.
func dataTerm(pathHash uint64, data []byte) uint64 {
	return mix(pathHash ^ hashBytes(seedData, data))
}

// metaTerm is a node's contribution from its path, persisted stat and ACL.
func metaTerm(pathHash uint64, n *znode, aclHash uint64) uint64 {
	h := pathHash ^ seedMeta
	h = hashWord(h, uint64(n.czxid))
	h = hashWord(h, uint64(n.mzxid))
	h = hashWord(h, uint64(n.pzxid))
	h = hashWord(h, uint64(n.ctime))
	h = hashWord(h, uint64(n.mtime))
	h = hashWord(h, uint64(n.ephemeralOwner))
	h = hashWord(h, uint64(uint32(n.version))|uint64(uint32(n.cversion))<<32)
	h = hashWord(h, uint64(uint32(n.aversion)))
	h = hashWord(h, aclHash)
	return mix(h)
}

// sessionTerm is a session's contribution.
func sessionTerm(id SessionID, timeout int32) uint64 {
	return mix(hashWord(hashWord(seedSession, uint64(id)), uint64(uint32(timeout))))
}

// nodeTerm is the whole contribution of one node.
func (t *Tree) nodeTerm(path string, n *znode) uint64 {
	ph := hashString(seedPath, path)
	return dataTerm(ph, n.data) + metaTerm(ph, n, t.acls.hash(n.acl))
}

// Digest returns the digest of the whole state: every znode and every
// session. Two trees that applied the same txns have the same digest.
func (t *Tree) Digest() uint64 { return t.digest }

// RecomputeDigest computes the digest from scratch. Tests compare it with
// [Tree.Digest] after every txn to check the incremental updates.
func (t *Tree) RecomputeDigest() uint64 {
	var d uint64
	for path, n := range t.nodes {
		d += t.nodeTerm(path, n) // a sum does not depend on map order
	}
	for id, timeout := range t.sessions {
		d += sessionTerm(id, timeout)
	}
	return d
}
