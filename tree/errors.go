package tree

import "errors"

// Operating errors of the package. Result codes a client sees are [Code]
// values; these are for the server and the harness.
var (
	// ErrDigestMismatch: after applying a txn the tree's digest differs from
	// the one the leader computed when it prepared the txn, so this replica
	// has diverged.
	ErrDigestMismatch = errors.New("tree: digest mismatch")
	// ErrBadSnapshot: a snapshot could not be decoded; the wrapped message
	// names the part that is damaged.
	ErrBadSnapshot = errors.New("tree: bad snapshot")
	// ErrRequestTooLarge: a request's wire size exceeds the frame limit
	// (zookeeper.md A12); ZooKeeper closes the connection, so the client
	// sees ConnectionLoss and the request has no effect.
	ErrRequestTooLarge = errors.New("tree: request larger than jute.maxbuffer")
	// ErrBadEncoding: a txn, request, result or auth list could not be
	// decoded (see codec.go); the wrapped message names the field that is
	// damaged. The bytes came from the network or a disk, so this is damage
	// or a bug in the sender, never a client error.
	ErrBadEncoding = errors.New("tree: bad encoding")
)
