package sim

import "errors"

// Errors of the fault-injection API: the harness asked for something the world's state does not
// allow. They are returned, never panicked, because random fault schedules run into them.
var (
	// ErrUnknownNode is returned for a node id the world does not have.
	ErrUnknownNode = errors.New("sim: unknown node")
	// ErrNodeDown is returned when a running node was needed but the node has crashed.
	ErrNodeDown = errors.New("sim: node is down")
	// ErrNodeUp is returned when restarting a node that is running.
	ErrNodeUp = errors.New("sim: node is up")
	// ErrNodePaused is returned when pausing a node that is already paused.
	ErrNodePaused = errors.New("sim: node is paused")
	// ErrNodeNotPaused is returned when resuming a node that is not paused.
	ErrNodeNotPaused = errors.New("sim: node is not paused")
	// ErrBadFault is returned for a fault that makes no sense: overlapping partition groups,
	// a negative clog, a node bridging to itself.
	ErrBadFault = errors.New("sim: bad fault")
)

// Errors a connection reports to its handler's Closed, or returns from Send.
var (
	// ErrRefused: the peer is up but nothing listens on the port, or its accept function refused.
	ErrRefused = errors.New("sim: connection refused")
	// ErrUnreachable: the handshake never reached the peer (it is down, or a partition is in the
	// way); the dialer learns it after the detection delay, like a connect timeout.
	ErrUnreachable = errors.New("sim: peer unreachable")
	// ErrReset: the connection broke (the peer crashed, a partition cut it, or it was reset);
	// messages in flight were lost.
	ErrReset = errors.New("sim: connection reset")
	// ErrPeerClosed: the peer closed the connection; every message it sent before closing
	// was delivered first.
	ErrPeerClosed = errors.New("sim: connection closed by peer")
	// ErrClosed: Send on a connection this end already knows to be closed.
	ErrClosed = errors.New("sim: use of closed connection")
)
