// Package tree is the znode data tree of a ZooKeeper 3.8 server: the
// replicated state machine at the heart of zab.
//
// It is pure and deterministic. It does no I/O, starts no goroutine, reads no
// clock and never lets map order reach an output: children are listed in
// sorted order, sessions and ephemerals iterate sorted. Time enters only as
// the leader's timestamp carried in a txn.
//
// # The pipeline
//
// A client write travels in three steps, as in ZooKeeper
// (../shared/reference/zookeeper.md, A13):
//
//  1. The leader's [Preparer] validates a [Request] against a view of the tree:
//     the committed tree plus every change already proposed but not yet
//     committed. That is why a pipelined `create /a` then `create /a/b`
//     succeeds, and why sequential suffixes stay consecutive. Validation
//     follows ZooKeeper's check order exactly (A5), so when several errors
//     hold at once the same one wins.
//  2. The result is a [Txn]: an idempotent record that carries everything it
//     decided (the final sequential path, the new version, the parent's new
//     child-create counter, the ephemerals a closed session leaves behind).
//     A failed write is still a txn (A7.1): it consumes a zxid and is ordered
//     like any other write.
//  3. Every replica applies the txn with [Tree.Apply]. Apply never re-derives
//     a decision; it replays the txn's values, so every replica reaches the
//     same state, the same [Tree.Digest] and the same results.
//
// Apply reports what changed as [Change] values. A [Watches] registry, which
// lives on the server a client is connected to, turns changes into watch
// events for the sessions that registered them (A8). The registry returns
// events; it never calls back.
//
// Reads go through [Tree.Read], which applies ZooKeeper's read-side checks
// (NoNode, then READ permission) and registers watches in the same order as
// the server does (an exists watch is set even on a missing node).
//
// # What is replicated
//
// The znodes with their persisted stat, data and ACL; the session table
// (created and closed by txns); the ephemeral owner index; the set of
// container and TTL nodes that the leader may reap. Watches and a
// connection's auth info are not replicated: they belong to one server.
//
// # Checking convergence
//
// [Tree.Digest] is a 64-bit sum of per-znode and per-session hashes, updated
// incrementally on every txn (the idea of ZooKeeper's digest, with our own
// hash). Two replicas that applied the same txns have equal digests, and a
// txn may carry the digest the leader expects after it, which [Tree.Apply]
// compares. [Tree.RecomputeDigest] recomputes it from scratch for tests.
//
// # Snapshots
//
// [Tree.WriteSnapshot] writes a deterministic, checksummed encoding of the
// whole tree and session table; [ReadSnapshot] reads it back and names what
// is wrong with a damaged one instead of panicking.
package tree
