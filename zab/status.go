package zab

import (
	"fmt"
	"strconv"
	"time"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// stats are the counters behind Metrics and the sync-path coverage marks tests assert.
type stats struct {
	elections, proposals, requests, refused, expired, snapshots, digestErrors int64
	syncDiff, syncTrunc, syncSnap                                             int64
	latN                                                                      int64
	latSum, latMin, latMax                                                    time.Duration
	// notes keeps the last few role changes and anomalies, newest last, for Status.
	notes []string
}

func (s *stats) note(now time.Duration, msg string) {
	s.notes = append(s.notes, fmt.Sprintf("%v %s", now, msg))
	if len(s.notes) > 16 {
		s.notes = append(s.notes[:0], s.notes[len(s.notes)-8:]...)
	}
}

func (s *stats) syncCounter(mode wire.PacketType) *int64 {
	switch mode {
	case wire.PacketDiff:
		return &s.syncDiff
	case wire.PacketTrunc:
		return &s.syncTrunc
	}
	return &s.syncSnap
}

func (s *stats) latency(d time.Duration) {
	if s.latN == 0 || d < s.latMin {
		s.latMin = d
	}
	s.latMax = max(s.latMax, d)
	s.latSum += d
	s.latN++
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// Metrics is what ZooKeeper's `mntr` four-letter command reports, plus zoosim's sync-path
// counters (each sync mode a leader chose, so tests can prove a path ran).
type Metrics struct {
	Role                                  Role
	OutstandingRequests                   int
	LatencyMin, LatencyAvg, LatencyMax    time.Duration
	Znodes, Watches, Ephemerals, Sessions int
	Elections, Proposals, Requests        int64
	Refused, Expired, Snapshots           int64
	DigestMismatches                      int64
	SyncDiff, SyncTrunc, SyncSnap         int64
	LastZxid, LastLogged                  tree.Zxid
}

// Metrics reports the server's counters now.
func (p *Peer) Metrics() Metrics {
	s := &p.stats
	m := Metrics{
		Role: p.role, Znodes: p.data.tree.NodeCount(), Watches: p.srv.watches.Count(),
		Elections: s.elections, Proposals: s.proposals, Requests: s.requests,
		Refused: s.refused, Expired: s.expired, Snapshots: s.snapshots, DigestMismatches: s.digestErrors,
		SyncDiff: s.syncDiff, SyncTrunc: s.syncTrunc, SyncSnap: s.syncSnap,
		LastZxid: p.data.tree.LastZxid(), LastLogged: p.data.lastLogged(),
		LatencyMin: s.latMin, LatencyMax: s.latMax,
	}
	if s.latN > 0 {
		m.LatencyAvg = s.latSum / time.Duration(s.latN)
	}
	for _, c := range p.srv.conns {
		m.OutstandingRequests += c.queue.Len()
	}
	ids := p.data.tree.Sessions()
	m.Sessions = len(ids)
	for _, id := range ids {
		m.Ephemerals += len(p.data.tree.Ephemerals(id))
	}
	return m
}

// Status describes the server in one line: role, epochs, last logged, applied (committed)
// zxid and the tree digest.
func (p *Peer) Status() string {
	role := p.role.String()
	switch {
	case p.leader != nil:
		role += fmt.Sprintf(" (%s)", [...]string{"discovery", "sync", "broadcast"}[p.leader.phase])
	case p.learner != nil:
		role += fmt.Sprintf(" %d (%s)", p.learner.leaderID, p.learner.phaseName())
	}
	return fmt.Sprintf("server %d %s acceptedEpoch=%d currentEpoch=%d lastLogged=%s committed=%s digest=%#016x",
		p.cfg.ID, role, p.acceptedEpoch, p.currentEpoch, p.data.lastLogged(), p.data.tree.LastZxid(), p.data.tree.Digest())
}

// Notes returns the server's recent role changes and anomalies, oldest first.
func (p *Peer) Notes() []string { return append([]string(nil), p.stats.notes...) }

// Epochs returns acceptedEpoch and currentEpoch (B1).
func (p *Peer) Epochs() (accepted, current int64) { return p.acceptedEpoch, p.currentEpoch }
