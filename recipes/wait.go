package recipes

import (
	"fmt"

	"zoosim/tree"
	"zoosim/zab/client"
)

// This file holds the waiting and retrying that every recipe shares: how a recipe blocks until a
// watch fires, how it rides out a lost connection, and when it gives up because the session
// ended.

// signal is a one-shot flag that a watcher sets when a node event arrives; it wakes the process
// that waits on it. Session events (Disconnected, SyncConnected, Expired) only wake the process,
// which then looks at the session's state: a watch stays registered across a reconnect (the
// client sets it again, zookeeper.md A8.1), so only expiry ends the wait.
type signal struct {
	s     *client.Session
	fired bool
	w     *client.Watcher
}

func newSignal(s *client.Session) *signal {
	g := &signal{s: s}
	g.w = client.NewWatcher(func(e client.Event) {
		if e.Type != tree.EventNone {
			g.fired = true
		}
		s.Wake()
	})
	return g
}

// await blocks until g fired, the session ended (ErrSessionEnded) or c was cancelled (its
// error).
func (g *signal) await(c *Cancel) error {
	s := g.s
	c.enter(s)
	defer c.leave(s)
	for {
		switch {
		case c.Err() != nil:
			return c.Err()
		case !s.Client().State().IsAlive():
			return ErrSessionEnded
		case g.fired:
			return nil
		}
		s.Park()
	}
}

// awaitConnected blocks until the session is connected, ended (ErrSessionEnded), or c was
// cancelled (its error).
func awaitConnected(s *client.Session, c *Cancel) error {
	cl := s.Client()
	if cl.State() == client.Connected {
		return nil
	}
	// The callback may come after this call returned (on a cancel): it then only wakes the
	// process once more, which every wait loop tolerates.
	done := false
	cl.WaitConnected(func(error) { done = true; s.Wake() })
	c.enter(s)
	defer c.leave(s)
	for {
		switch {
		case c.Err() != nil:
			return c.Err()
		case !cl.State().IsAlive():
			return ErrSessionEnded
		case done && cl.State() == client.Connected:
			return nil
		case done:
			// Connected and then lost again before the process ran: wait once more.
			done = false
			cl.WaitConnected(func(error) { done = true; s.Wake() })
		}
		s.Park()
	}
}

// retry runs an idempotent call until it does not fail with ConnectionLoss, waiting for the
// connection in between. A session that ended becomes ErrSessionEnded; c's error stops it.
func retry(s *client.Session, c *Cancel, call func() error) error {
	for {
		if err := c.Err(); err != nil {
			return err
		}
		err := call()
		switch {
		case err == nil:
			return nil
		case sessionEnded(err):
			return fmt.Errorf("%w: %v", ErrSessionEnded, err)
		case connectionLost(err):
			if err := awaitConnected(s, c); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// ensurePath creates path and its missing parents as empty persistent nodes; nodes that exist
// already are fine.
func ensurePath(s *client.Session, c *Cancel, path string) error {
	for i := 1; i <= len(path); i++ {
		if i < len(path) && path[i] != '/' {
			continue
		}
		prefix := path[:i]
		err := retry(s, c, func() error {
			_, err := s.Create(prefix, nil, tree.OpenACLUnsafe, tree.Persistent)
			if client.CodeOf(err) == tree.NodeExists {
				return nil
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("recipes: creating %s: %w", prefix, err)
		}
	}
	return nil
}
