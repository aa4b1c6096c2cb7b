package tree

// znode is one node of the tree: ZooKeeper's DataNode with its StatPersisted
// inlined, so that a node is 96 bytes on 64-bit machines.
//
// The persisted stat differs from the client's [Stat] in one field: cversion
// here counts child creates only, which is also the sequential-suffix counter
// (zookeeper.md A3). The client sees 2*cversion - numChildren.
type znode struct {
	// Invariant: never mutated in place; setData installs a new slice, so a
	// slice handed to a reader stays valid.
	data []byte
	// Invariant: the names of the children, each a substring of the child's
	// full path so that it shares its bytes; nil when there are none.
	children *nameSet

	czxid, mzxid, pzxid Zxid
	ctime, mtime        int64
	// ephemeralOwner is the raw owner: a session id, the container marker or
	// TTL bits (ephemeralKind).
	ephemeralOwner int64
	version        int32
	// Invariant: cversion counts creates of children and never decreases.
	cversion int32
	aversion int32
	acl      aclRef
}

// stat builds the client-visible stat (DataNode.copyStat). extended says
// whether TTL owners exist (Options.ExtendedTypes).
func (n *znode) stat(extended bool) Stat {
	numChildren := int32(n.children.len())
	return Stat{
		Czxid:          n.czxid,
		Mzxid:          n.mzxid,
		Ctime:          n.ctime,
		Mtime:          n.mtime,
		Version:        n.version,
		Cversion:       2*n.cversion - numChildren,
		Aversion:       n.aversion,
		EphemeralOwner: clientEphemeralOwner(n.ephemeralOwner, extended),
		DataLength:     int32(len(n.data)),
		NumChildren:    numChildren,
		Pzxid:          n.pzxid,
	}
}

// The ephemeral kinds that an owner value encodes (EphemeralType.java,
// zookeeper.md A2).
type ephemeralKind uint8

const (
	kindVoid      ephemeralKind = iota // a plain persistent node
	kindNormal                         // owned by a session
	kindContainer                      // a container (A2.1)
	kindTTL                            // a persistent node with a TTL (A2.1)
)

// ContainerOwner is the owner value of every container node.
const ContainerOwner int64 = -1 << 63

// ttlMask marks a TTL owner: the high byte set, the TTL in the low 40 bits.
const ttlMask = int64(-1) << 56

// MaxTTL is the largest TTL a node may have, in milliseconds.
const MaxTTL int64 = 1<<40 - 1

// TTLOwner encodes a TTL as an owner value (EphemeralType.TTL.toEphemeralOwner).
func TTLOwner(ttl int64) int64 { return ttlMask | ttl }

// kindOf classifies an owner value. TTL owners exist only when extended
// types are enabled; otherwise a value with the high byte set would be a
// session id (which is why ZooKeeper limits server ids to 254 then).
func kindOf(owner int64, extended bool) ephemeralKind {
	switch {
	case extended && owner&ttlMask == ttlMask:
		return kindTTL
	case owner == ContainerOwner:
		return kindContainer
	case owner == 0:
		return kindVoid
	}
	return kindNormal
}

// clientEphemeralOwner is what a client sees: only a real ephemeral shows
// its session; containers and TTL nodes show 0 (DataNode.getClientEphemeralOwner).
func clientEphemeralOwner(owner int64, extended bool) int64 {
	if kindOf(owner, extended) != kindNormal {
		return 0
	}
	return owner
}
