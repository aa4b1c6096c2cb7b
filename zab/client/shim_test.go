package client

// A stand-in for zab/wire's codec until wire.AppendClientMessage and
// wire.DecodeClientMessage land: JSON with a type tag. Remove this file
// when frame.go switches to the real codec.

import (
	"encoding/json"
	"errors"
	"fmt"

	"zoosim/zab/wire"
)

type shimFrame struct {
	Kind string
	Msg  json.RawMessage
}

func init() {
	appendFrame = shimAppend
	decodeFrame = shimDecode
}

func shimAppend(b []byte, m wire.ClientMessage) []byte {
	var kind string
	switch m.(type) {
	case *wire.ConnectRequest:
		kind = "connreq"
	case *wire.ConnectResponse:
		kind = "connresp"
	case *wire.Request:
		kind = "req"
	case *wire.Reply:
		kind = "reply"
	case *wire.Event:
		kind = "event"
	default:
		panic(fmt.Sprintf("shim: cannot encode %T", m))
	}
	body, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	out, err := json.Marshal(shimFrame{Kind: kind, Msg: body})
	if err != nil {
		panic(err)
	}
	return append(b, out...)
}

func shimDecode(b []byte) (wire.ClientMessage, error) {
	var f shimFrame
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	var m wire.ClientMessage
	switch f.Kind {
	case "connreq":
		m = &wire.ConnectRequest{}
	case "connresp":
		m = &wire.ConnectResponse{}
	case "req":
		m = &wire.Request{}
	case "reply":
		m = &wire.Reply{}
	case "event":
		m = &wire.Event{}
	default:
		return nil, errors.New("shim: unknown frame kind")
	}
	if err := json.Unmarshal(f.Msg, m); err != nil {
		return nil, err
	}
	return m, nil
}
