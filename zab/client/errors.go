package client

import (
	"errors"
	"fmt"
	"strings"

	"zoosim/tree"
)

// Error is how every call reports failure: the ZooKeeper result code, the
// operation and the path it was called with. The code is what a Java
// client's KeeperException carries, whether the server sent it (NoNode,
// BadVersion...) or the client decided it locally (ConnectionLoss when the
// connection broke, SessionExpired after the session ended, BadArguments
// for a path the Java client would have refused with an
// IllegalArgumentException).
//
// Compare with errors.Is against an Error holding only a code, such as the
// Err* values below or &Error{Code: c}: the op and path are then ignored.
// [CodeOf] extracts the code.
type Error struct {
	Code tree.Code
	Op   tree.OpCode // 0 in a bare code value
	Path string
	// Err is the local cause when the client refused the call before
	// sending it (a bad path), or nil.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("client: ")
	if e.Op != 0 {
		b.WriteString(e.Op.String())
		if e.Path != "" {
			b.WriteString(" " + e.Path)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Code.String())
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Is matches target when it is an *Error with the same code and no op and
// path of its own, which is what the Err* values are.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Op == 0 && t.Path == ""
}

// Unwrap returns the local cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the ZooKeeper code of err: OK for nil, the code of an
// *Error in its chain, and SystemError for anything else.
func CodeOf(err error) tree.Code {
	if err == nil {
		return tree.OK
	}
	if e, ok := err.(*Error); ok { // the usual case, without errors.As's allocation
		return e.Code
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return tree.SystemError
}

// The codes callers test for most, as values for errors.Is.
var (
	ErrConnectionLoss          = &Error{Code: tree.ConnectionLoss}
	ErrSessionExpired          = &Error{Code: tree.SessionExpired}
	ErrSessionMoved            = &Error{Code: tree.SessionMoved}
	ErrAuthFailed              = &Error{Code: tree.AuthFailed}
	ErrNoNode                  = &Error{Code: tree.NoNode}
	ErrNodeExists              = &Error{Code: tree.NodeExists}
	ErrBadVersion              = &Error{Code: tree.BadVersion}
	ErrNotEmpty                = &Error{Code: tree.NotEmpty}
	ErrNoChildrenForEphemerals = &Error{Code: tree.NoChildrenForEphemerals}
	ErrNoAuth                  = &Error{Code: tree.NoAuth}
	ErrInvalidACL              = &Error{Code: tree.InvalidACL}
	ErrBadArguments            = &Error{Code: tree.BadArguments}
	ErrNoWatcher               = &Error{Code: tree.NoWatcher}
	ErrRuntimeInconsistency    = &Error{Code: tree.RuntimeInconsistency}
	ErrUnimplemented           = &Error{Code: tree.Unimplemented}
)

// Operating errors that are not ZooKeeper codes: the reasons the client
// drops a connection. They reach no caller (requests fail with
// ConnectionLoss); [Client.LastDrop] reports the latest one for debugging.
var (
	// ErrProtocol: the server sent a frame that does not decode, a message
	// out of place, or a reply whose xid is not the oldest pending
	// request's (ClientCnxn.readResponse "Xid out of order").
	ErrProtocol = errors.New("client: protocol violation")
	// ErrTimeout: nothing heard from the server within the connect or read
	// timeout (zookeeper.md A9, "Client timers").
	ErrTimeout = errors.New("client: server silent for too long")
	// ErrConnClosed: the host reported the connection closed or refused,
	// or a send failed.
	ErrConnClosed = errors.New("client: connection closed")
)

func protocolError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrProtocol}, args...)...)
}
