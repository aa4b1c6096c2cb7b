// Package wire holds the messages of zoosim's ZooKeeper on the wire: the client protocol
// (client ↔ server, ZooKeeper's jute packets flattened into Go structs) and the quorum protocol
// (server ↔ server: Fast Leader Election notifications on the election port, and the
// Leader/Learner packets of zookeeper.md B3–B5 on the quorum port), with a compact binary
// encoding for each.
//
// Messages cross the simulated network as bytes, so nodes share no memory, and every decoder
// treats its input as hostile: a damaged or truncated frame is an error wrapping ErrBadFrame,
// never a panic. The one exception is TxnShare: the servers of a simulated ensemble may share
// the txns they decode from identical bytes, which is safe because a decoded txn is immutable
// (see TxnShare for the invariant and what checks it), and the path strings of what it decodes,
// which are immutable anyway (tree.Decoder).
package wire
