package recipes

import (
	"errors"

	"zoosim/tree"
	"zoosim/zab/client"
)

var (
	// ErrCanceled is returned by a call whose Cancel was cancelled.
	ErrCanceled = errors.New("recipes: canceled")
	// ErrTimeout is returned by a call whose Cancel (WithTimeout) ran out of time.
	ErrTimeout = errors.New("recipes: timed out")
	// ErrSessionEnded is returned when the session under the recipe expired or was closed:
	// every ephemeral node the recipe held is gone (zookeeper.md A9), so a lock, a leadership,
	// a membership held through it is lost. The caller needs a new session to take part again.
	ErrSessionEnded = errors.New("recipes: the session ended")
	// ErrNotHeld is returned when releasing something the caller does not hold.
	ErrNotHeld = errors.New("recipes: not held")
)

// sessionEnded reports whether err says the session is gone for good: expired, closed, or
// refused its credentials.
func sessionEnded(err error) bool {
	switch client.CodeOf(err) {
	case tree.SessionExpired, tree.AuthFailed:
		return true
	}
	return errors.Is(err, ErrSessionEnded)
}

// connectionLost reports whether err is a ConnectionLoss: the request's outcome is unknown and
// the session may still be alive (zookeeper.md A5).
func connectionLost(err error) bool { return client.CodeOf(err) == tree.ConnectionLoss }
