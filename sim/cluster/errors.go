package cluster

import "errors"

var (
	// ErrBadOptions is returned (wrapped, naming the field) for Options an ensemble cannot run with.
	ErrBadOptions = errors.New("cluster: bad options")
	// ErrNoServer is returned for a server index the ensemble does not have.
	ErrNoServer = errors.New("cluster: no such server")
	// ErrNotStable is returned when the ensemble did not settle (a leader in broadcast, every live
	// server following it) before the time limit.
	ErrNotStable = errors.New("cluster: ensemble not stable")
	// ErrBadFrame counts in a host when a peer or a client sent bytes that do not decode; the
	// connection that carried them is closed.
	ErrBadFrame = errors.New("cluster: bad frame")
	// errBadOutput halts a server whose peer asked for something the host cannot execute (an
	// append without a txn, zxids the store refuses): a zab bug, reported as the server's error.
	errBadOutput = errors.New("cluster: peer output the host cannot execute")
)
