package zab

import (
	"slices"
	"time"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// tracker is the leader's SessionTracker (A9): every global session with its expiry, owner and
// closing flag. Expiry is bucketed by tickTime as ZooKeeper's ExpiryQueue does.
type tracker struct {
	// Invariant: sessions holds exactly the sessions live in the leader's projected state
	// (created or being created, not yet closed).
	sessions  map[tree.SessionID]*tracked
	nextCheck time.Duration
	tick      time.Duration
}

type tracked struct {
	timeout int32
	expires time.Duration
	owner   wire.ServerID // 0: not known since the leader changed
	closing bool
}

// start rebuilds the tracker from the tree when a leader is established: expiry restarts from
// now (A9 "Leader change").
func (t *tracker) start(p *Peer) {
	t.tick = p.cfg.TickTime
	t.sessions = map[tree.SessionID]*tracked{}
	for _, id := range p.data.tree.Sessions() {
		to, _ := p.data.tree.SessionTimeout(id)
		t.sessions[id] = &tracked{timeout: to, expires: t.round(p.now, to)}
	}
	t.nextCheck = t.roundTick(p.now)
}

// round is ExpiryQueue's bucket: ((now+timeout)/tick + 1)·tick.
func (t *tracker) round(now time.Duration, timeout int32) time.Duration {
	at := now + time.Duration(timeout)*time.Millisecond
	return (at/t.tick + 1) * t.tick
}

func (t *tracker) roundTick(now time.Duration) time.Duration { return (now/t.tick + 1) * t.tick }

func (t *tracker) add(p *Peer, id tree.SessionID, timeout int32, owner wire.ServerID) {
	t.sessions[id] = &tracked{timeout: timeout, expires: t.round(p.now, timeout), owner: owner}
}

func (t *tracker) ensure(p *Peer, id tree.SessionID, timeout int32) {
	if _, ok := t.sessions[id]; !ok {
		t.add(p, id, timeout, 0)
	}
}

func (t *tracker) remove(id tree.SessionID) { delete(t.sessions, id) }

func (t *tracker) closing(id tree.SessionID) {
	if s, ok := t.sessions[id]; ok {
		s.closing = true
	}
}

// touch extends a session's life (any request or ping, here or reported by a learner) by
// timeout: the timeout negotiated on the connection the touch came through, which after a
// reconnect may differ from the one the session was created with. ZooKeeper's touchSession
// buckets the expiry with the connection's timeout and leaves the session's own (the one a new
// leader restarts it with) alone.
func (t *tracker) touch(p *Peer, id tree.SessionID, timeout int32) {
	if s, ok := t.sessions[id]; ok && !s.closing {
		s.expires = t.round(p.now, timeout)
	}
}

// check is the session check at prep time (SessionTrackerImpl.checkSession): an unknown or
// closing session is expired; a session owned by another server has moved.
func (t *tracker) check(id tree.SessionID, owner wire.ServerID) tree.Code {
	s, ok := t.sessions[id]
	if !ok || s.closing {
		return tree.SessionExpired
	}
	if owner != 0 {
		if s.owner == 0 {
			s.owner = owner
		} else if s.owner != owner {
			return tree.SessionMoved
		}
	}
	return tree.OK
}

// revalidate handles a reconnect to a server: the session moves there if it is live, and is
// touched with the timeout the server negotiated for the new connection (ZooKeeper's
// revalidateSession: touchSession with the reconnect's timeout, then setOwner).
func (t *tracker) revalidate(p *Peer, id tree.SessionID, owner wire.ServerID, timeout int32) bool {
	s, ok := t.sessions[id]
	if !ok || s.closing {
		return false
	}
	s.owner = owner
	s.expires = t.round(p.now, timeout)
	return true
}

// expire closes every session whose time ran out, each with one closeSession txn that deletes
// its ephemerals (A9).
func (t *tracker) expire(p *Peer) {
	t.nextCheck = t.roundTick(p.now)
	var due []tree.SessionID
	for id, s := range t.sessions {
		if !s.closing && s.expires <= p.now {
			due = append(due, id)
		}
	}
	slices.Sort(due)
	for _, id := range due {
		if p.leader == nil {
			return
		}
		p.stats.expired++
		if p.variant.noEphemeralCleanup {
			delete(t.sessions, id) // the flaw: no closeSession txn
			continue
		}
		t.sessions[id].closing = true
		p.leaderSubmit(&wire.Forward{Session: id, Req: tree.Request{Type: tree.OpCloseSession}}, nil)
	}
}
