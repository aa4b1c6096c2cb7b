package recipes

import (
	"errors"
	"fmt"
	"strings"

	"zoosim/histories"
	"zoosim/tree"
	"zoosim/zab/client"
)

// Election is ZooKeeper's leader election recipe (ZooKeeper's recipes, D/recipes.md "Leader
// Election"): each candidate creates an ephemeral sequential node in the election's directory;
// the candidate with the lowest sequence number leads, and every other candidate watches only
// the node just before its own (no herd effect: when the leader goes, one candidate wakes and
// finds itself the leader). When a candidate's predecessor goes but it is not the lowest yet
// (the predecessor gave up its candidacy), it watches the next node before it.
//
// Guarantee. Among candidates whose sessions are alive, at most one leads at a time, and each
// leader's token (its node's czxid) exceeds every earlier leader's, so it serves as an epoch
// that a resource can fence with. A leader learns that it lost the leadership when its session
// ends (Leading turns false, WaitLost returns ErrSessionEnded once the client hears of the
// expiry) or its node is deleted by someone else (ErrLeadershipLost). A leader cut off from the
// ensemble cannot know at once that its session expired: the next candidate may lead before the
// old leader's client learns of the expiry, so the old one may believe it leads a while longer
// (up to the session timeout past its last contact); the tokens tell them apart. When a leader
// resigns or its session ends, its node goes and the next live candidate leads as soon as its
// client sees the deletion: re-election needs no coordinator.
//
// Candidates name themselves with an id, carried in their node's name, so that anyone can ask
// who leads (Leader) with one listing. A create that fails with ConnectionLoss may have created
// the node, then or later: Join finds it by the unique prefix of its name before trying again,
// and the nodes of such attempts that turn up later are deleted (ownedNodes), so that no node
// of a live session that nobody campaigns with blocks the line.
type Election struct {
	s   *client.Session
	dir string
	id  string
	// Flaws, when set, break the recipe on purpose (for the checkers' tests).
	Flaws Flaws

	// node is this candidate's node, "" when it is no candidate; token its czxid. leading says
	// whether Campaign succeeded with it; lost is the watch on the node while leading.
	// Invariant: leading implies node != "" and lost != nil.
	node    string
	token   int64
	leading bool
	lost    *signal
	// own creates the candidate nodes and deletes those of lost attempts.
	own ownedNodes
}

// FlawElectionLeadAtOnce has a candidate lead as soon as its node exists, without waiting for
// the nodes before it: two candidates can lead at once.
const FlawElectionLeadAtOnce Flaw = "election-lead-at-once"

// FlawElectionResignKeepsNode has a leader resign by forgetting that it leads, leaving its node
// behind: nobody else is elected until the old leader's session ends.
const FlawElectionResignKeepsNode Flaw = "election-resign-keeps-node"

func init() {
	registerFlaw(FlawElectionLeadAtOnce, histories.RecipeElection, "a candidate leads as soon as its node exists, ignoring the nodes before it")
	registerFlaw(FlawElectionResignKeepsNode, histories.RecipeElection, "a leader resigns without deleting its node, so nobody is elected until its session ends")
}

// electionPrefix starts every candidate node's name: candidate-<id>-<session>-<time>-<sequence>.
const electionPrefix = "candidate-"

// ErrLeadershipLost is returned by WaitLost when the leader's node was deleted while its
// session lives (someone else deleted it): the leadership is gone.
var ErrLeadershipLost = errors.New("recipes: leadership lost")

// ErrNoLeader is returned by Leader when the election has no candidate.
var ErrNoLeader = errors.New("recipes: no leader")

// NewElection returns a candidacy in the election on directory dir (created on first use) for
// the process running s, which names itself id (no "/" in it).
func NewElection(s *client.Session, dir, id string) *Election {
	return &Election{s: s, dir: dir, id: id, own: ownedNodes{s: s, dir: dir}}
}

// Dir is the election's directory.
func (e *Election) Dir() string { return e.dir }

// Node is this candidate's node, "" when it is no candidate.
func (e *Election) Node() string { return e.node }

// Token is the leadership's token (the leader node's czxid), 0 when not leading; see the
// guarantee on Election.
func (e *Election) Token() int64 {
	if !e.leading {
		return 0
	}
	return e.token
}

// Leading reports whether Campaign succeeded, the candidate has not resigned, and it has not
// seen its leadership end: its session is alive as far as the client knows and its node was
// not seen deleted. A client cut off from the ensemble cannot know that its session expired:
// see the guarantee on Election.
func (e *Election) Leading() bool {
	return e.leading && !e.lost.fired && e.s.Client().State().IsAlive()
}

// Join makes the process a candidate: it creates the candidate node and returns at once, without
// waiting to lead. Joining again while a candidate does nothing. It fails with ErrSessionEnded
// when the session ended, or with c's error when c is cancelled first.
func (e *Election) Join(c *Cancel) error {
	if e.node != "" {
		return nil
	}
	if e.id == "" || strings.ContainsAny(e.id, "/\x00") {
		return fmt.Errorf("recipes: election %s: candidate id %q is empty or holds '/'", e.dir, e.id)
	}
	if err := ensurePath(e.s, c, e.dir); err != nil {
		return err
	}
	node, token, err := e.own.create(c, electionPrefix+e.id+"-")
	if err != nil {
		return err
	}
	e.node, e.token = node, token
	return nil
}

// Campaign joins the election if the process is no candidate yet, and blocks until it leads; it
// returns the leadership's token. It fails with ErrSessionEnded when the session ends first, or
// with c's error when c is cancelled first; in both cases the candidate node is gone (deleted
// by Campaign, or with the session) and the process is no candidate any more.
func (e *Election) Campaign(c *Cancel) (int64, error) {
	if e.leading {
		return 0, fmt.Errorf("recipes: election %s: Campaign while leading with %s", e.dir, e.node)
	}
	if err := e.Join(c); err != nil {
		return 0, err
	}
	if err := e.wait(c); err != nil {
		e.abandon()
		return 0, err
	}
	// Watch the node from now on, so that the leader learns of its deletion.
	lost := newSignal(e.s)
	var ok bool
	err := retry(e.s, c, func() (err error) { _, ok, err = e.s.Exists(e.node, lost.w); return err })
	switch {
	case err != nil:
		e.abandon()
		return 0, err
	case !ok:
		e.abandon()
		return 0, fmt.Errorf("%w: candidate node %s is gone", ErrSessionEnded, e.node)
	}
	e.leading, e.lost = true, lost
	return e.token, nil
}

// wait blocks until e.node is the lowest candidate node.
func (e *Election) wait(c *Cancel) error {
	if e.Flaws.Has(FlawElectionLeadAtOnce) {
		return nil
	}
	me := base(e.node)
	for {
		kids, err := listOwnedKind(e.s, c, e.dir, electionPrefix)
		if err != nil {
			return err
		}
		if kids, err = e.own.sweep(kids, e.node); err != nil {
			return err
		}
		i := indexOf(kids, me)
		switch {
		case i < 0:
			// Only the session's end deletes our node.
			return fmt.Errorf("%w: candidate node %s is gone", ErrSessionEnded, e.node)
		case i == 0:
			return nil
		}
		if _, err := waitGone(e.s, c, join(e.dir, kids[i-1])); err != nil {
			return err
		}
	}
}

// WaitLost blocks while the process leads and returns how the leadership ended:
// ErrSessionEnded when the session ended, ErrLeadershipLost when the node was deleted while the
// session lives, or c's error when c was cancelled first (the process still leads). A leader
// typically runs its work under a Cancel and calls WaitLost with it, or polls Leading.
func (e *Election) WaitLost(c *Cancel) error {
	if !e.leading {
		return fmt.Errorf("%w: election %s", ErrNotHeld, e.dir)
	}
	err := e.lost.await(c)
	switch {
	case err == nil:
		return fmt.Errorf("%w: node %s was deleted", ErrLeadershipLost, e.node)
	case errors.Is(err, ErrSessionEnded):
		return err
	}
	if !e.s.Client().State().IsAlive() {
		return ErrSessionEnded
	}
	return err
}

// Resign gives the candidacy up, leading or not: it deletes the candidate node, riding out a
// lost connection, so that the next candidate leads. When the session ended the node is gone
// already and Resign returns ErrSessionEnded: a leader lost the leadership at some point before
// (tokens tell). Either way the process is no candidate afterwards; Campaign makes it one again.
func (e *Election) Resign() error {
	if e.node == "" {
		return fmt.Errorf("%w: election %s", ErrNotHeld, e.dir)
	}
	if e.leading && e.Flaws.Has(FlawElectionResignKeepsNode) {
		e.node, e.token, e.leading, e.lost = "", 0, false, nil
		return nil
	}
	return e.abandon()
}

// abandon deletes the candidate node and forgets it, and deletes the nodes of lost attempts.
func (e *Election) abandon() error {
	node := e.node
	e.node, e.token, e.leading, e.lost = "", 0, false, nil
	if err := deleteOwned(e.s, node); err != nil {
		return err
	}
	return e.own.cleanup()
}

// Leader answers who leads the election on dir now: the candidate with the lowest node, as its
// node and the id it joined with. It syncs first, so the answer is not older than the call (a
// leader whose session ended but whose expiry the ensemble has not committed yet still counts:
// its node is there). It returns ErrNoLeader when there is no candidate.
func Leader(s *client.Session, c *Cancel, dir string) (node, id string, err error) {
	if err := retry(s, c, func() error { return s.Sync(dir) }); err != nil {
		if client.CodeOf(err) == tree.NoNode {
			return "", "", ErrNoLeader
		}
		return "", "", err
	}
	var kids []string
	err = retry(s, c, func() (err error) { kids, err = s.GetChildren(dir, nil); return err })
	switch {
	case client.CodeOf(err) == tree.NoNode:
		return "", "", ErrNoLeader
	case err != nil:
		return "", "", err
	}
	cands := ownKind(kids, electionPrefix)
	if len(cands) == 0 {
		return "", "", ErrNoLeader
	}
	return join(dir, cands[0]), electionIDOf(cands[0]), nil
}

// electionIDOf returns the candidate id in a candidate node's name
// (candidate-<id>-<session>-<time>-<sequence>; the id may hold dashes, the rest does not).
func electionIDOf(name string) string {
	rest := strings.TrimPrefix(name, electionPrefix)
	for range 3 {
		i := strings.LastIndexByte(rest, '-')
		if i < 0 {
			return ""
		}
		rest = rest[:i]
	}
	return rest
}
