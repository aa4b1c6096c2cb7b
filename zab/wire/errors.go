package wire

import "errors"

// ErrBadFrame: a frame from the network could not be decoded; the wrapped
// message names the part that is damaged. An error of the tree's decoders
// inside a frame wraps both ErrBadFrame and tree.ErrBadEncoding. The peer
// that sent it is broken or the bytes were damaged, so the receiver drops
// the connection, as ZooKeeper does with a packet it cannot deserialize.
var ErrBadFrame = errors.New("wire: bad frame")
