package client

import "fmt"

// State is the client's connection state, ZooKeeper.States of the Java
// client without the states this client never enters (NOT_CONNECTED,
// ASSOCIATING, CONNECTEDREADONLY: there is no read-only mode here).
type State int

const (
	// Connecting: no session-established connection; the client is dialing
	// a server, waiting for its ConnectResponse, or waiting before the next
	// attempt. Requests issued now queue (see the package documentation).
	Connecting State = iota
	// Connected: the session is established on a server.
	Connected
	// Closed: the session expired or was closed. Terminal: every request
	// fails with SessionExpired (ClientCnxn.conLossPacket, state CLOSED).
	Closed
	// AuthFailed: a server rejected an auth packet. Terminal: every request
	// fails with AuthFailed.
	AuthFailed
)

var stateNames = [...]string{"Connecting", "Connected", "Closed", "AuthFailed"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// IsAlive reports whether the client may still reach Connected
// (States.isAlive: neither CLOSED nor AUTH_FAILED).
func (s State) IsAlive() bool { return s == Connecting || s == Connected }
