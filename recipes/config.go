package recipes

import (
	"bytes"
	"errors"
	"fmt"
	"path"

	"zoosim/histories"
	"zoosim/tree"
	"zoosim/zab/client"
)

// Config is ZooKeeper's configuration recipe: the configuration is one persistent node whose
// data is the configuration and whose data version is its version (zookeeper.md A4: every
// setData adds one). Publishers write it with a conditional setData (A6), so a publication
// replaces exactly the version it was based on; readers read it with a data watch and read it
// again each time the watch fires (A8.1): one watch per reader, on the one node it needs.
//
// Guarantee. Every configuration a reader holds is one that was committed, with its version, and
// the versions one session reads never go back (A10, single system image). Versions strictly
// increase: a publication based on an old version fails (ErrConfigConflict) rather than undo a
// newer one. Readers converge: Settle returns a version no older than every publication committed
// before it was called (a sync flushes the watch's event, which the server sends before the
// sync's reply, A8.1 "Ordering guarantees"), so once publishing stops, every reader that settles
// holds the last version. A session expiry costs a reader its watch (A9): Next and Settle fail
// with ErrSessionEnded, and a new session must read again. The configuration node is persistent,
// so nothing else of it depends on sessions.
type Config struct {
	s    *client.Session
	path string
	// Flaws, when set, break the recipe on purpose (for the checkers' tests).
	Flaws Flaws

	ensured bool
	// held is the configuration last read; read says there was a read. changed is the watch
	// that read set (a data watch, or an exist watch while the node does not exist).
	// Invariant: read implies changed != nil.
	held    ConfigValue
	read    bool
	changed *signal
}

// ConfigValue is one version of a configuration. Version is the node's data version, -1 while
// nothing was published (the node does not exist).
type ConfigValue struct {
	Version int32
	Data    []byte
}

// ErrConfigConflict is returned by Publish when the configuration is no longer at the version
// the publication was based on: another publisher came first, or, after a lost connection,
// this publication may have been applied and another one put on top of it.
var ErrConfigConflict = errors.New("recipes: the configuration changed since the version the publication was based on")

// FlawConfigNoRewatch reads the configuration again when its watch fires but sets no new watch,
// believing the old one still stands: every later publication goes unseen.
const FlawConfigNoRewatch Flaw = "config-no-rewatch"

func init() {
	registerFlaw(FlawConfigNoRewatch, histories.RecipeConfig, "re-reads the configuration after a change without setting a new watch, so later versions go unseen")
}

// NewConfig returns the configuration stored at node path (its parents created on first use)
// for the process running s.
func NewConfig(s *client.Session, path string) *Config { return &Config{s: s, path: path} }

// Path is the configuration's node.
func (g *Config) Path() string { return g.path }

// Current is the configuration last read, without asking the servers: Version -1 before any
// read.
func (g *Config) Current() ConfigValue {
	if !g.read {
		return ConfigValue{Version: -1}
	}
	return g.held
}

// Read reads the configuration now and sets a watch that Next waits on.
func (g *Config) Read(c *Cancel) (ConfigValue, error) {
	err := g.fetch(c)
	return g.Current(), err
}

// Next blocks until the configuration changed since the last read and returns the new version;
// the first call returns the configuration as it is. It fails with ErrSessionEnded when the
// session ends, or with c's error when c is cancelled, and then returns the last version read.
func (g *Config) Next(c *Cancel) (ConfigValue, error) {
	if g.read {
		if err := g.changed.await(c); err != nil {
			return g.Current(), err
		}
	}
	err := g.fetch(c)
	return g.Current(), err
}

// Settle brings the configuration up to date with every publication committed before the call:
// it syncs with the leader (zookeeper.md A10) and reads again if the watch fired meanwhile; the
// server sends a fired watch's event before the sync's reply, so a watch that has not fired by
// then means nothing changed. It returns the configuration and the zxid the sync was answered
// at (the client's last zxid seen just after it): the configuration is the one at that zxid or
// a later one.
func (g *Config) Settle(c *Cancel) (ConfigValue, tree.Zxid, error) {
	if err := retry(g.s, c, func() error { return g.s.Sync(g.path) }); err != nil {
		return g.Current(), 0, err
	}
	synced := g.s.Client().LastZxidSeen()
	if !g.read || g.changed.fired {
		if err := g.fetch(c); err != nil {
			return g.Current(), 0, err
		}
	}
	return g.Current(), synced, nil
}

// Publish makes data the configuration's next version, provided the configuration is still at
// version base (-1: nothing published yet), and returns the new version. It fails with
// ErrConfigConflict when it is not, with ErrSessionEnded when the session ends first, or with c's
// error. Each publication's data must differ from every other's (a counter or a unique id in it):
// after a lost connection Publish reads the node back, and only its data tells whether the
// write was applied.
func (g *Config) Publish(c *Cancel, data []byte, base int32) (ConfigValue, error) {
	if err := g.ensure(c); err != nil {
		return ConfigValue{}, err
	}
	for {
		if err := c.Err(); err != nil {
			return ConfigValue{}, err
		}
		var st tree.Stat
		var err error
		if base < 0 {
			_, st, err = g.s.Create2(g.path, data, tree.OpenACLUnsafe, tree.Persistent, 0)
		} else {
			st, err = g.s.SetData(g.path, data, base)
		}
		switch {
		case err == nil:
			return ConfigValue{Version: st.Version, Data: bytes.Clone(data)}, nil
		case sessionEnded(err):
			return ConfigValue{}, fmt.Errorf("%w: %v", ErrSessionEnded, err)
		case client.CodeOf(err) == tree.NodeExists, client.CodeOf(err) == tree.BadVersion, client.CodeOf(err) == tree.NoNode:
			return ConfigValue{}, fmt.Errorf("%w: %s at version %d: %v", ErrConfigConflict, g.path, base, err)
		case !connectionLost(err):
			return ConfigValue{}, fmt.Errorf("recipes: publishing %s: %w", g.path, err)
		}
		// The write may have been applied: read the node back.
		if err := awaitConnected(g.s, c); err != nil {
			return ConfigValue{}, err
		}
		var cur []byte
		err = retry(g.s, c, func() (err error) { cur, st, err = g.s.GetData(g.path, nil); return err })
		switch {
		case client.CodeOf(err) == tree.NoNode && base < 0:
			continue
		case client.CodeOf(err) == tree.NoNode:
			return ConfigValue{}, fmt.Errorf("%w: %s is gone", ErrConfigConflict, g.path)
		case err != nil:
			return ConfigValue{}, err
		case bytes.Equal(cur, data):
			return ConfigValue{Version: st.Version, Data: bytes.Clone(data)}, nil
		case base >= 0 && st.Version == base:
			continue // not applied (yet): try again on the same base
		}
		return ConfigValue{}, fmt.Errorf("%w: %s is at version %d, not %d", ErrConfigConflict, g.path, st.Version, base)
	}
}

// fetch reads the node with a new watch: a data watch when it exists, an exist watch (which
// fires on its creation) when it does not.
func (g *Config) fetch(c *Cancel) error {
	for {
		sig := newSignal(g.s)
		w := sig.w
		if g.read && g.Flaws.Has(FlawConfigNoRewatch) {
			w = nil
		}
		var data []byte
		var st tree.Stat
		err := retry(g.s, c, func() (err error) { data, st, err = g.s.GetData(g.path, w); return err })
		switch {
		case err == nil:
			g.held = ConfigValue{Version: st.Version, Data: bytes.Clone(data)}
			g.read, g.changed = true, sig
			return nil
		case client.CodeOf(err) != tree.NoNode:
			return err
		}
		// Nothing published yet: watch for the creation.
		var ok bool
		if err := retry(g.s, c, func() (err error) { _, ok, err = g.s.Exists(g.path, w); return err }); err != nil {
			return err
		}
		if ok {
			continue // created meanwhile: read it
		}
		g.held = ConfigValue{Version: -1}
		g.read, g.changed = true, sig
		return nil
	}
}

// ensure creates the node's parents once.
func (g *Config) ensure(c *Cancel) error {
	if g.ensured {
		return nil
	}
	if dir := path.Dir(g.path); dir != "/" {
		if err := ensurePath(g.s, c, dir); err != nil {
			return err
		}
	}
	g.ensured = true
	return nil
}
