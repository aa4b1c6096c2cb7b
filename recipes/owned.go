package recipes

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"zoosim/tree"
	"zoosim/zab/client"
)

// ownedNodes creates the ephemeral sequential nodes of one recipe instance (a lock's holds, an
// election's candidacy, a read-write lock's holds) and keeps track of the create attempts whose outcome a
// ConnectionLoss hid, so that no node of theirs is left behind (ZooKeeper's recipes,
// "Recoverable errors and the GUID").
//
// A create that fails with ConnectionLoss may still be applied, and later than one would like:
// a request that a follower forwarded before the client's connection dropped can be committed
// after the client reconnected elsewhere, listed the directory without finding it, and created
// another node, even after a leader change (the new leader commits the proposals it synced).
// Such a node belongs to the live session, so nobody deletes it until the session ends; in a
// lock or an election every contender behind it waits for a holder that does not exist. So
// ownedNodes remembers the name of every attempt whose outcome it does not know, looks for all
// of them (not only the last) when it recovers from a lost create, and deletes the ones it finds
// besides the node it keeps: when it recovers, whenever the recipe lists the directory while
// waiting (sweep), and when the recipe gives its node up (cleanup).
//
// createOwned (the barriers') looks only for the attempt it just made, so a node created by an
// earlier attempt of the same call can stay behind there.
type ownedNodes struct {
	s   *client.Session
	dir string
	// unknown are the name stems (prefix, session, attempt time) of the attempts whose node
	// may exist and is not the recipe's node: each names at most one node, since an attempt is
	// one create request.
	unknown []string
}

// create creates an ephemeral sequential node dir/prefix<session>-<time>-<seq> and returns its
// path and czxid. After a ConnectionLoss it lists dir for every attempt whose outcome it does
// not know; it keeps the first node of prefix it finds and deletes the others.
func (o *ownedNodes) create(c *Cancel, prefix string) (string, int64, error) {
	s := o.s
	for {
		if err := c.Err(); err != nil {
			return "", 0, err
		}
		guid := prefix + strconv.FormatUint(uint64(s.Client().SessionID()), 16) + "-" + strconv.FormatInt(int64(s.Now()), 10) + "-"
		path, stat, err := s.Create2(join(o.dir, guid), nil, tree.OpenACLUnsafe, tree.EphemeralSequential, 0)
		switch {
		case err == nil:
			return path, int64(stat.Czxid), nil
		case sessionEnded(err):
			return "", 0, fmt.Errorf("%w: %v", ErrSessionEnded, err)
		case !connectionLost(err):
			return "", 0, fmt.Errorf("recipes: creating a node in %s: %w", o.dir, err)
		}
		// The create may have happened, now or later: look for it, and for the earlier
		// attempts, before creating another.
		if !slices.Contains(o.unknown, guid) {
			o.unknown = append(o.unknown, guid)
		}
		if err := awaitConnected(s, c); err != nil {
			return "", 0, err
		}
		var kids []string
		if err := retry(s, c, func() (err error) { kids, err = s.GetChildren(o.dir, nil); return err }); err != nil {
			return "", 0, err
		}
		// Keep a node of this prefix (a read-write lock's earlier attempts may be of the other
		// kind: those are orphans).
		found := slices.DeleteFunc(o.orphans(kids, ""), func(k string) bool { return !strings.HasPrefix(k, prefix) })
		if len(found) == 0 {
			continue
		}
		sortBySequence(found)
		mine := join(o.dir, found[0])
		var ok bool
		if err := retry(s, c, func() (err error) { stat, ok, err = s.Exists(mine, nil); return err }); err != nil {
			return "", 0, err
		}
		if !ok {
			// Gone meanwhile: only the session's end deletes it.
			return "", 0, fmt.Errorf("%w: node %s is gone", ErrSessionEnded, mine)
		}
		o.forget(found[0])
		if _, err := o.sweep(kids, mine); err != nil {
			return "", 0, err
		}
		return mine, int64(stat.Czxid), nil
	}
}

// orphans returns the children among kids that an attempt of unknown outcome created, other
// than mine (a base name, or "").
func (o *ownedNodes) orphans(kids []string, mine string) []string {
	var out []string
	for _, k := range kids {
		if k == mine {
			continue
		}
		for _, g := range o.unknown {
			if strings.HasPrefix(k, g) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// forget drops the attempt that created the node named name from the unknown ones.
func (o *ownedNodes) forget(name string) {
	o.unknown = slices.DeleteFunc(o.unknown, func(g string) bool { return strings.HasPrefix(name, g) })
}

// sweep deletes the orphans among kids (a listing of dir), keeping mine (a path, or ""), and
// returns a copy of kids without them. It takes no Cancel, as deleteOwned does: it is cleanup.
func (o *ownedNodes) sweep(kids []string, mine string) ([]string, error) {
	orphans := o.orphans(kids, base(mine))
	if len(orphans) == 0 {
		return kids, nil
	}
	for _, k := range orphans {
		if err := deleteOwned(o.s, join(o.dir, k)); err != nil {
			return nil, err
		}
		o.forget(k)
	}
	rest := make([]string, 0, len(kids)-len(orphans))
	for _, k := range kids {
		if !slices.Contains(orphans, k) {
			rest = append(rest, k)
		}
	}
	return rest, nil
}

// listOwnedKind returns dir's children whose names start with one of prefixes, in sequence
// order. It copies them: the slice a read returns is the history's record of the reply as well
// (histories.Recorder.Return keeps it), so a recipe must not sort or filter it in place.
func listOwnedKind(s *client.Session, c *Cancel, dir string, prefixes ...string) ([]string, error) {
	var kids []string
	if err := retry(s, c, func() (err error) { kids, err = s.GetChildren(dir, nil); return err }); err != nil {
		return nil, err
	}
	return ownKind(kids, prefixes...), nil
}

// ownKind returns a sorted copy of the names among kids that start with one of prefixes.
func ownKind(kids []string, prefixes ...string) []string {
	var out []string
	for _, k := range kids {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				out = append(out, k)
				break
			}
		}
	}
	sortBySequence(out)
	return out
}

// cleanup deletes the orphans that exist now, after the recipe gave its node up: a node left
// behind would block the contenders behind it until the session ended. It lists the directory
// only when some attempt's outcome is unknown, which is rare.
func (o *ownedNodes) cleanup() error {
	if len(o.unknown) == 0 {
		return nil
	}
	var kids []string
	if err := retry(o.s, nil, func() (err error) { kids, err = o.s.GetChildren(o.dir, nil); return err }); err != nil {
		return err
	}
	_, err := o.sweep(kids, "")
	return err
}

// The helpers below are shared by every recipe that keeps nodes of its own.

// createOwned creates an ephemeral sequential node dir/prefix<guid>-<seq> and returns its path
// and czxid. The guid (the session id and the virtual time of the attempt) lets it find the node
// after a ConnectionLoss left the create's outcome unknown.
func createOwned(s *client.Session, c *Cancel, dir, prefix string) (string, int64, error) {
	for {
		if err := c.Err(); err != nil {
			return "", 0, err
		}
		guid := prefix + strconv.FormatUint(uint64(s.Client().SessionID()), 16) + "-" + strconv.FormatInt(int64(s.Now()), 10) + "-"
		path, stat, err := s.Create2(join(dir, guid), nil, tree.OpenACLUnsafe, tree.EphemeralSequential, 0)
		switch {
		case err == nil:
			return path, int64(stat.Czxid), nil
		case sessionEnded(err):
			return "", 0, fmt.Errorf("%w: %v", ErrSessionEnded, err)
		case !connectionLost(err):
			return "", 0, fmt.Errorf("recipes: creating a node in %s: %w", dir, err)
		}
		// The create may have happened: look for the node before creating another.
		if err := awaitConnected(s, c); err != nil {
			return "", 0, err
		}
		var kids []string
		if err := retry(s, c, func() (err error) { kids, err = s.GetChildren(dir, nil); return err }); err != nil {
			return "", 0, err
		}
		for _, k := range kids {
			if strings.HasPrefix(k, guid) {
				path := join(dir, k)
				var stat tree.Stat
				var ok bool
				if err := retry(s, c, func() (err error) { stat, ok, err = s.Exists(path, nil); return err }); err != nil {
					return "", 0, err
				}
				if ok {
					return path, int64(stat.Czxid), nil
				}
			}
		}
	}
}

// deleteOwned deletes a node this session created, riding out lost connections until it is
// gone or the session ended (ErrSessionEnded); NoNode means an earlier attempt deleted it.
// It takes no Cancel: it is the cleanup after a cancel, and a node left behind would block others
// until the session ends.
func deleteOwned(s *client.Session, node string) error {
	if node == "" {
		return nil
	}
	return retry(s, nil, func() error {
		err := s.Delete(node, -1)
		if client.CodeOf(err) == tree.NoNode {
			return nil
		}
		return err
	})
}

// listSequential returns dir's children whose names start with prefix, in sequence order. It
// copies them: the slice a read returns is also the history's record of the reply
// (histories.Recorder.Return keeps it), so a recipe must never sort or filter it in place.
func listSequential(s *client.Session, c *Cancel, dir, prefix string) ([]string, error) {
	var kids []string
	err := retry(s, c, func() (err error) { kids, err = s.GetChildren(dir, nil); return err })
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(kids))
	for _, k := range kids {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	sortBySequence(out)
	return out, nil
}

// waitGone blocks until path does not exist, and reports whether it existed when the wait
// began (false: it was gone already, without a wait).
func waitGone(s *client.Session, c *Cancel, path string) (bool, error) {
	sig := newSignal(s)
	var ok bool
	if err := retry(s, c, func() (err error) { _, ok, err = s.Exists(path, sig.w); return err }); err != nil {
		return false, err
	}
	if !ok {
		return false, nil
	}
	// Any event on the node ends the wait: the caller looks at the children again, so a
	// data change (no lock node's data changes) costs one listing at most.
	return true, sig.await(c)
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}
