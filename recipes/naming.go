package recipes

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"zoosim/histories"
	"zoosim/tree"
	"zoosim/zab/client"
)

// Service is ZooKeeper's naming (service discovery) recipe: each instance of a service
// registers an ephemeral node dir/<name> whose data is its endpoint, the address clients dial
// (zookeeper.md A2); a client resolves the service by listing the directory and reading each
// node, and keeps the answer with a child watch (A8.1): Resolve answers from it until the watch
// fires, then resolves again. One watch per client, on the service's directory.
//
// Guarantee. An endpoint is resolvable from its Register until its Deregister or the end of its
// session: a session expiry deregisters the instance as soon as it commits (A9), whether or not
// the instance's process knows yet (it learns it from ErrSessionEnded and registers again with
// a new session). Every endpoint Resolve returns was registered and listed in the directory at
// the answer's Zxid (the directory's pzxid, A4), and one session's answers never go back (A10).
// Answers converge: Settle returns an answer no older than every registration and
// deregistration committed before it was called, and it is then exactly the service's
// endpoints at its Zxid; so once the service stops changing, every client that settles holds
// its final endpoints.
//
// Register survives a lost connection: it creates again, and a NodeExists whose node this
// session owns with the same endpoint means the earlier attempt made it. A name registered by
// another session fails with ErrNameTaken: instance names are unique, and an instance picks a new
// one (or waits for the old session to expire) rather than take over another's.
type Service struct {
	s   *client.Session
	dir string
	// Flaws, when set, break the recipe on purpose (for the checkers' tests).
	Flaws Flaws

	ensured bool
	// node is this process's registered node, "" when it has none.
	node string
	// answer is the last resolution; resolved says there was one. changed is the child watch
	// its listing set. Invariant: resolved implies changed != nil.
	answer   Resolution
	resolved bool
	changed  *signal
}

// Endpoint is one registered instance of a service: its node's name and its endpoint.
type Endpoint struct {
	Name    string
	Address string
}

// Resolution is a service's endpoints, sorted by name, and the service directory's pzxid when
// it was listed: the zxid of the last registration or deregistration it reflects.
type Resolution struct {
	Endpoints []Endpoint
	Zxid      tree.Zxid
}

// String lists the endpoints as "name=address" joined by ",", as the naming workload records
// an answer.
func (r Resolution) String() string {
	parts := make([]string, len(r.Endpoints))
	for i, e := range r.Endpoints {
		parts[i] = e.Name + "=" + e.Address
	}
	return strings.Join(parts, ",")
}

// Address returns the endpoint registered as name, if the answer has it.
func (r Resolution) Address(name string) (string, bool) {
	i, ok := slices.BinarySearchFunc(r.Endpoints, name, func(e Endpoint, n string) int { return strings.Compare(e.Name, n) })
	if !ok {
		return "", false
	}
	return r.Endpoints[i].Address, true
}

// ErrNameTaken is returned by Register when another session registered the name.
var ErrNameTaken = errors.New("recipes: the name is registered by another session")

// FlawNamingCacheForever resolves once and answers every later Resolve, Next and Settle from
// that first answer, ignoring its watch (Next waits for the watch once, then for nothing):
// registrations and deregistrations after it go unseen.
const FlawNamingCacheForever Flaw = "naming-cache-forever"

func init() {
	registerFlaw(FlawNamingCacheForever, histories.RecipeNaming, "resolves once and answers from that cache forever, ignoring its watch")
}

// NewService returns the service on directory dir (created on first use) for the process
// running s.
func NewService(s *client.Session, dir string) *Service { return &Service{s: s, dir: dir} }

// Dir is the service's directory.
func (v *Service) Dir() string { return v.dir }

// Node is this process's registered node, "" when it has none.
func (v *Service) Node() string { return v.node }

// Register registers the process as instance name of the service, reachable at address, and
// returns its node. It fails with ErrNameTaken when another session holds the name, with
// ErrSessionEnded when the session ends first, or with c's error when c is cancelled first (then
// the process is not registered, unless a create whose reply was lost made the node: the session's
// end removes it).
func (v *Service) Register(c *Cancel, name, address string) (string, error) {
	if v.node != "" {
		return "", fmt.Errorf("recipes: service %s: Register while registered as %s", v.dir, v.node)
	}
	if err := v.ensure(c); err != nil {
		return "", err
	}
	path := join(v.dir, name)
	me := int64(v.s.Client().SessionID())
	for {
		if err := c.Err(); err != nil {
			return "", err
		}
		_, err := v.s.Create(path, []byte(address), tree.OpenACLUnsafe, tree.Ephemeral)
		switch {
		case err == nil:
			v.node = path
			return path, nil
		case sessionEnded(err):
			return "", fmt.Errorf("%w: %v", ErrSessionEnded, err)
		case connectionLost(err):
			if err := awaitConnected(v.s, c); err != nil {
				return "", err
			}
			continue
		case client.CodeOf(err) != tree.NodeExists:
			return "", fmt.Errorf("recipes: registering in service %s: %w", v.dir, err)
		}
		var data []byte
		var st tree.Stat
		err = retry(v.s, c, func() (err error) { data, st, err = v.s.GetData(path, nil); return err })
		switch {
		case client.CodeOf(err) == tree.NoNode:
			continue // the holder went meanwhile
		case err != nil:
			return "", err
		case st.EphemeralOwner == me && bytes.Equal(data, []byte(address)):
			v.node = path
			return path, nil
		}
		return "", fmt.Errorf("%w: %s", ErrNameTaken, path)
	}
}

// Deregister deletes the registered node, riding out a lost connection. When the session ended
// the node is gone already and Deregister returns ErrSessionEnded.
func (v *Service) Deregister() error {
	if v.node == "" {
		return fmt.Errorf("%w: service %s", ErrNotHeld, v.dir)
	}
	node := v.node
	v.node = ""
	return deleteOwned(v.s, node)
}

// Resolve returns the service's endpoints: the last answer while its watch has not fired, or a
// new one (a listing with a new child watch, then a read of each node).
func (v *Service) Resolve(c *Cancel) (Resolution, error) {
	if v.resolved && v.Flaws.Has(FlawNamingCacheForever) {
		if v.changed.fired {
			v.changed = newSignal(v.s) // set on no node: it never fires
		}
		return v.answer, nil
	}
	if v.resolved && !v.changed.fired {
		return v.answer, nil
	}
	err := v.resolve(c)
	return v.answer, err
}

// Next blocks until the service changed since the last answer and returns the new answer; the
// first call resolves at once. It fails with ErrSessionEnded when the session ends, or with c's
// error when c is cancelled, and then returns the last answer.
func (v *Service) Next(c *Cancel) (Resolution, error) {
	if v.resolved {
		if err := v.changed.await(c); err != nil {
			return v.answer, err
		}
	}
	return v.Resolve(c)
}

// Settle brings the answer up to date with every registration and deregistration committed
// before the call: it syncs with the leader (zookeeper.md A10), and resolves again for as long as
// the watch fires (the server sends a fired watch's event before the sync's reply, and before
// the reply of a read that found a node gone, A8.1). It returns the answer, then exactly the
// service's endpoints at its Zxid, and the zxid the sync was answered at (the client's last zxid
// seen just after it): the answer is the service at that zxid or later.
func (v *Service) Settle(c *Cancel) (Resolution, tree.Zxid, error) {
	if err := v.ensure(c); err != nil {
		return v.answer, 0, err
	}
	if err := retry(v.s, c, func() error { return v.s.Sync(v.dir) }); err != nil {
		return v.answer, 0, err
	}
	synced := v.s.Client().LastZxidSeen()
	for !v.resolved || v.changed.fired {
		if _, err := v.Resolve(c); err != nil {
			return v.answer, 0, err
		}
	}
	return v.answer, synced, nil
}

// resolve lists the directory with a new child watch and reads each node. A node gone before
// its read is left out; its delete fired the watch, so the answer is refreshed on the next
// Resolve.
func (v *Service) resolve(c *Cancel) error {
	if err := v.ensure(c); err != nil {
		return err
	}
	sig := newSignal(v.s)
	var kids []string
	var st tree.Stat
	if err := retry(v.s, c, func() (err error) { kids, st, err = v.s.GetChildren2(v.dir, sig.w); return err }); err != nil {
		return err
	}
	names := slices.Clone(kids)
	slices.Sort(names)
	eps := make([]Endpoint, 0, len(names))
	for _, name := range names {
		var data []byte
		err := retry(v.s, c, func() (err error) { data, _, err = v.s.GetData(join(v.dir, name), nil); return err })
		switch {
		case client.CodeOf(err) == tree.NoNode:
			continue
		case err != nil:
			return err
		}
		eps = append(eps, Endpoint{Name: name, Address: string(data)})
	}
	v.answer = Resolution{Endpoints: eps, Zxid: st.Pzxid}
	v.resolved, v.changed = true, sig
	return nil
}

func (v *Service) ensure(c *Cancel) error {
	if v.ensured {
		return nil
	}
	if err := ensurePath(v.s, c, v.dir); err != nil {
		return err
	}
	v.ensured = true
	return nil
}
