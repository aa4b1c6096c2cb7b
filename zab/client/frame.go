package client

import "zoosim/zab/wire"

// appendFrame and decodeFrame are the client protocol's codec. They are
// variables only until zab/wire's codec lands (wire.AppendClientMessage,
// wire.DecodeClientMessage); the tests set them from a shim meanwhile.
var (
	appendFrame func(b []byte, m wire.ClientMessage) []byte
	decodeFrame func(b []byte) (wire.ClientMessage, error)
)
