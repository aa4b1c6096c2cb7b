package election

import (
	"fmt"
	"strings"
	"time"

	"zoosim/zab/wire"
)

// Election is one server's Fast Leader Election, a pure state machine (see the package doc).
// It is not safe for concurrent use; the host calls it from its one event loop.
type Election struct {
	cfg    Config                // validated; Voters sorted
	index  map[wire.ServerID]int // voter id -> position in cfg.Voters
	quorum int                   // a majority of cfg.Voters

	// started is set by the first Look. Before it the election only queues what it receives.
	started bool
	// state is what the server advertises: LOOKING from Look until a decision or Settle.
	state wire.ServerState
	// round is logicalclock, the election round.
	// Invariant: it never decreases, except when a server out of the election adopts the
	// (possibly older) round of the ensemble it joins (ViaOutOfElection), as ZooKeeper does.
	round int64
	// initial is the vote Look started the round with: (Self, lastLoggedZxid, currentEpoch).
	initial wire.Vote
	// proposal is the vote this server sends while LOOKING (proposedLeader, proposedZxid,
	// proposedEpoch).
	// Invariant: while LOOKING, proposal is initial or a vote that cfg.Better ranked above
	// initial or above an earlier proposal of the same round.
	proposal wire.Vote
	// current is the vote answered to LOOKING notifications while not LOOKING
	// (QuorumPeer.currentVote): the decided vote, or what Settle and UpdatePeerEpoch set.
	current wire.Vote

	// recv is recvset: the latest vote of each voter in this round.
	// Invariant: every ballot in it has Round == round.
	recv tally
	// ooe is outofelection: the latest FOLLOWING or LEADING vote of each voter, any round.
	ooe tally

	// queue is the receive queue (recvqueue): notifications admitted while LOOKING, and this
	// server's own notifications, which ZooKeeper's connection manager loops back into the
	// same queue. It is drained before every call returns, except before the first Look.
	// Invariant: empty whenever state is not LOOKING.
	queue []wire.Notification

	// finalizing: the proposal had a quorum and the server is waiting FinalizeWait for a
	// better vote, until finalizeAt.
	finalizing bool
	finalizeAt time.Duration
	// interval is the retransmission interval (notTimeout).
	// Invariant: MinNotificationInterval <= interval <= MaxNotificationInterval.
	interval time.Duration
	// wait is interval plus its jitter, drawn once per interval.
	wait time.Duration
	// pollAt is when the server retransmits if it receives nothing before.
	pollAt time.Duration

	decided  bool
	decision Decision

	out []Outgoing
}

// Outgoing is a notification to send to one server.
type Outgoing struct {
	To wire.ServerID
	N  wire.Notification
}

func (o Outgoing) String() string {
	return fmt.Sprintf("%d->%d %s round %d %s", o.N.Sid, o.To, o.N.State, o.N.ElectionEpoch, o.N.Vote)
}

// New returns the election of cfg.Self, not started: call Look to start the first round.
func New(cfg Config) (*Election, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	e := &Election{
		cfg:    cfg,
		index:  make(map[wire.ServerID]int, len(cfg.Voters)),
		quorum: len(cfg.Voters)/2 + 1,
		state:  wire.Looking,
		recv:   newTally(len(cfg.Voters)),
		ooe:    newTally(len(cfg.Voters)),
	}
	for i, id := range cfg.Voters {
		e.index[id] = i
	}
	return e, nil
}

// Round returns the current round (logicalclock).
func (e *Election) Round() int64 { return e.round }

// State returns what the server advertises: LOOKING, or the state of its decision or Settle.
func (e *Election) State() wire.ServerState { return e.state }

// Vote returns the vote the server sends: its proposal while LOOKING, else its settled vote.
func (e *Election) Vote() wire.Vote {
	if e.state == wire.Looking {
		return e.proposal
	}
	return e.current
}

// Decision returns how the latest round ended, if it has. Look clears it.
func (e *Election) Decision() (Decision, bool) { return e.decision, e.decided }

// Outbox returns the notifications to send since the last call, in order, and forgets them.
// The host sends each over the connection to its To server; a lost one is recovered by
// retransmission. Notifications to Self never appear: the election loops them back itself.
func (e *Election) Outbox() []Outgoing {
	out := e.out
	e.out = nil
	return out
}

// Deadline returns when Tick must next be called, if a timer runs: the end of FinalizeWait,
// or the retransmission time while LOOKING. Calling Tick earlier does nothing; later is fine.
func (e *Election) Deadline() (time.Duration, bool) {
	switch {
	case !e.started || e.state != wire.Looking:
		return 0, false
	case e.finalizing:
		return e.finalizeAt, true
	}
	return e.pollAt, true
}

// String describes the election on one line, voters in id order, for logs and transcripts:
//
//	LOOKING round 3 vote (2, 0x5, e1) recv {1:(2, 0x5, e1), 2:(2, 0x5, e1)} finalize@1.2s
//	LOOKING round 2 vote (1, 0x5, e1) recv {1:(1, 0x5, e1)} ooe {3:(3, 0x5, e1) r1 LEADING} retransmit@400ms
//	FOLLOWING round 1 vote (3, 0x5, e1)
func (e *Election) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s round %d vote %s", e.state, e.round, e.Vote())
	if e.state != wire.Looking {
		return b.String()
	}
	// recvset ballots all carry the current round (its invariant), so only their votes and
	// non-LOOKING states are shown; outofelection ballots show their rounds.
	writeTally := func(name string, t tally, rounds bool) {
		sep := " " + name + " {"
		for i, id := range e.cfg.Voters {
			v, ok := t.get(i)
			if !ok {
				continue
			}
			fmt.Fprintf(&b, "%s%d:%s", sep, id, v.Vote)
			if rounds {
				fmt.Fprintf(&b, " r%d", v.Round)
			}
			if v.State != wire.Looking {
				fmt.Fprintf(&b, " %s", v.State)
			}
			sep = ", "
		}
		if sep == ", " {
			b.WriteString("}")
		} else if name == "recv" {
			b.WriteString(" recv {}")
		}
	}
	writeTally("recv", e.recv, false)
	writeTally("ooe", e.ooe, true)
	if at, ok := e.Deadline(); ok {
		what := "retransmit"
		if e.finalizing {
			what = "finalize"
		}
		fmt.Fprintf(&b, " %s@%v", what, at)
	}
	return b.String()
}

// voter returns the position of id in Voters.
func (e *Election) voter(id wire.ServerID) (int, bool) {
	i, ok := e.index[id]
	return i, ok
}

// send queues n for one server, stamped with this server's id.
func (e *Election) send(to wire.ServerID, v wire.Vote, round int64, state wire.ServerState) {
	e.out = append(e.out, Outgoing{To: to, N: wire.Notification{
		Vote: v, ElectionEpoch: round, State: state, Sid: e.cfg.Self,
	}})
}

// broadcast sends the proposal to every voter (sendNotifications): to the others through the
// outbox, to itself through the receive queue.
func (e *Election) broadcast() {
	for _, id := range e.cfg.Voters {
		if id == e.cfg.Self {
			e.queue = append(e.queue, wire.Notification{
				Vote: e.proposal, ElectionEpoch: e.round, State: wire.Looking, Sid: e.cfg.Self,
			})
			continue
		}
		e.send(id, e.proposal, e.round, wire.Looking)
	}
}
