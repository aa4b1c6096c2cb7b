package recipes

import (
	"fmt"
	"slices"
	"strings"

	"zoosim/histories"
	"zoosim/tree"
	"zoosim/zab/client"
)

// Group is ZooKeeper's group membership recipe: each member is an ephemeral node dir/<name>
// (zookeeper.md A2), so the group's members are the directory's children. Join creates the
// member's node, Leave deletes it, and the end of the member's session deletes it too (A9). A
// process follows the group by listing the directory with a child watch and listing it again
// each time the watch fires (A8.1): one watch per watcher, on the one node whose children it
// needs.
//
// Guarantee. Every view a Group returns is the group exactly as it was at one point of the
// committed history: the directory's children at the view's Zxid (the directory's pzxid, the
// zxid of the last join or leave the view reflects, A4). So a view never holds a member whose
// session had ended by then, the views of one session never go back (A10, single system
// image), and a member sees itself in every view from its Join to its Leave. A session expiry
// removes the member from the group as soon as the expiry commits, whether or not its process
// knows yet; the process learns it from ErrSessionEnded and must join again with a new session,
// and its watch is gone with the session. Views converge: Settle returns a view no older than
// every join and leave committed before it was called (a sync flushes the watch's event, which
// the server sends before the sync's reply, A8.1 "Ordering guarantees"), so once the group
// stops changing, every watcher that settles holds the final membership.
//
// Join survives a lost connection: it creates again, and a NodeExists whose node this session
// owns means the earlier attempt made it. A name still held by another session (the process's
// previous session, whose expiry has not committed yet) makes Join wait, watching only that node,
// until it is gone: names are unique among live members.
type Group struct {
	s   *client.Session
	dir string
	// Flaws, when set, break the recipe on purpose (for the checkers' tests).
	Flaws Flaws

	// ensured says the directory was created (or found).
	ensured bool
	// node is the member node this Group joined with, "" when not a member.
	node string
	// view is the last listing; listed says there was one. changed is the child watch that
	// listing set: it fires on the next join or leave. Invariant: listed implies changed != nil.
	view    GroupView
	listed  bool
	changed *signal
}

// GroupView is one listing of a group: its members' names, sorted, and the directory's pzxid
// when it was listed, the zxid of the last join or leave it reflects.
type GroupView struct {
	Members []string
	Zxid    tree.Zxid
}

// String joins the members with ",", as the membership workload records a view.
func (v GroupView) String() string { return strings.Join(v.Members, ",") }

// Has reports whether name is a member in the view.
func (v GroupView) Has(name string) bool {
	_, ok := slices.BinarySearch(v.Members, name)
	return ok
}

// FlawMembershipNoRewatch lists the group again when its watch fires but sets no new child
// watch, believing the old one still stands: every later join and leave goes unseen.
const FlawMembershipNoRewatch Flaw = "membership-no-rewatch"

func init() {
	registerFlaw(FlawMembershipNoRewatch, histories.RecipeMembership, "re-lists the group after a change without setting a new child watch, so later changes go unseen")
}

// NewGroup returns the group on directory dir (created on first use) for the process running s.
func NewGroup(s *client.Session, dir string) *Group { return &Group{s: s, dir: dir} }

// Dir is the group's directory.
func (g *Group) Dir() string { return g.dir }

// Node is this process's member node, "" when it is not a member.
func (g *Group) Node() string { return g.node }

// View is the last view listed, without asking the servers.
func (g *Group) View() GroupView { return g.view }

// Join makes the process a member named name, with data for the other members to read, and
// returns its member node. It fails with ErrSessionEnded when the session ends first, or with
// c's error when c is cancelled first (then the process is not a member).
func (g *Group) Join(c *Cancel, name string, data []byte) (string, error) {
	if g.node != "" {
		return "", fmt.Errorf("recipes: group %s: Join while a member as %s", g.dir, g.node)
	}
	if err := g.ensure(c); err != nil {
		return "", err
	}
	path := join(g.dir, name)
	me := int64(g.s.Client().SessionID())
	for {
		if err := c.Err(); err != nil {
			return "", err
		}
		_, err := g.s.Create(path, data, tree.OpenACLUnsafe, tree.Ephemeral)
		switch {
		case err == nil:
			g.node = path
			return path, nil
		case sessionEnded(err):
			return "", fmt.Errorf("%w: %v", ErrSessionEnded, err)
		case connectionLost(err):
			// The create may have happened: the next attempt's NodeExists tells.
			if err := awaitConnected(g.s, c); err != nil {
				return "", err
			}
			continue
		case client.CodeOf(err) != tree.NodeExists:
			return "", fmt.Errorf("recipes: joining group %s: %w", g.dir, err)
		}
		// The name is taken: by this session (an attempt whose reply was lost), or by another
		// one, whose node goes when it leaves or its session ends.
		gone := newSignal(g.s)
		var st tree.Stat
		var ok bool
		if err := retry(g.s, c, func() (err error) { st, ok, err = g.s.Exists(path, gone.w); return err }); err != nil {
			return "", err
		}
		switch {
		case !ok:
			continue
		case st.EphemeralOwner == me:
			g.node = path
			return path, nil
		}
		if err := gone.await(c); err != nil {
			return "", err
		}
	}
}

// Leave deletes the member node, riding out a lost connection. When the session ended the node is
// gone already and Leave returns ErrSessionEnded. Either way the process is no longer a member.
func (g *Group) Leave() error {
	if g.node == "" {
		return fmt.Errorf("%w: group %s", ErrNotHeld, g.dir)
	}
	node := g.node
	g.node = ""
	return deleteOwned(g.s, node)
}

// Members lists the group now and sets a child watch that Next waits on.
func (g *Group) Members(c *Cancel) (GroupView, error) {
	err := g.list(c)
	return g.view, err
}

// Next blocks until the group changed since the last view and returns the new view; the first
// call returns the group as it is. It fails with ErrSessionEnded when the session ends, or with
// c's error when c is cancelled, and then returns the last view.
func (g *Group) Next(c *Cancel) (GroupView, error) {
	if !g.listed {
		err := g.list(c)
		return g.view, err
	}
	if err := g.changed.await(c); err != nil {
		return g.view, err
	}
	err := g.list(c)
	return g.view, err
}

// Settle brings the view up to date with every join and leave committed before the call: it syncs
// with the leader (zookeeper.md A10) and lists again if the watch fired meanwhile; the server
// sends a fired watch's event before the sync's reply, so a watch that has not fired by then
// means nothing changed. It returns the view and the zxid the sync was answered at (the client's
// last zxid seen just after it): the view is the group at that zxid or later.
func (g *Group) Settle(c *Cancel) (GroupView, tree.Zxid, error) {
	if err := g.ensure(c); err != nil {
		return g.view, 0, err
	}
	if err := retry(g.s, c, func() error { return g.s.Sync(g.dir) }); err != nil {
		return g.view, 0, err
	}
	synced := g.s.Client().LastZxidSeen()
	if !g.listed || g.changed.fired {
		if err := g.list(c); err != nil {
			return g.view, 0, err
		}
	}
	return g.view, synced, nil
}

// list lists the directory with a new child watch.
func (g *Group) list(c *Cancel) error {
	if err := g.ensure(c); err != nil {
		return err
	}
	sig := newSignal(g.s)
	w := sig.w
	if g.listed && g.Flaws.Has(FlawMembershipNoRewatch) {
		w = nil
	}
	var kids []string
	var st tree.Stat
	if err := retry(g.s, c, func() (err error) { kids, st, err = g.s.GetChildren2(g.dir, w); return err }); err != nil {
		return err
	}
	members := slices.Clone(kids)
	slices.Sort(members)
	g.view = GroupView{Members: members, Zxid: st.Pzxid}
	g.listed, g.changed = true, sig
	return nil
}

// ensure creates the directory once.
func (g *Group) ensure(c *Cancel) error {
	if g.ensured {
		return nil
	}
	if err := ensurePath(g.s, c, g.dir); err != nil {
		return err
	}
	g.ensured = true
	return nil
}
