package cluster

import (
	"fmt"

	"zoosim/sim"
	"zoosim/zab/storage"
)

// diskFS is the simulated disk as zab/storage's FS: one flat directory whose writes are durable
// only after a completed fsync, exactly the promises storage.FS asks for. Handles are opened per
// call: sim.Disk.Open is a map lookup, and a handle belongs to the node's current incarnation,
// so nothing stale survives a crash.
type diskFS struct{ node *sim.Node }

var _ storage.FS = diskFS{}

func (fs diskFS) List() []string { return fs.node.Disk().List() }

func (fs diskFS) ReadFile(name string) ([]byte, error) { return fs.node.Disk().ReadFile(name) }

func (fs diskFS) Append(name string, p []byte) { fs.node.Disk().Open(name).Append(p) }

// Truncate cuts an existing file; a missing one stays missing (Open would create it).
func (fs diskFS) Truncate(name string, size int64) {
	if d := fs.node.Disk(); d.Exists(name) {
		d.Open(name).Truncate(size)
	}
}

func (fs diskFS) Rename(from, to string) error { return fs.node.Disk().Rename(from, to) }

func (fs diskFS) Remove(name string) error { return fs.node.Disk().Remove(name) }

// Sync fsyncs the file. A missing file fails, later, as FS promises: never inside the call.
func (fs diskFS) Sync(name string, done func(error)) {
	d := fs.node.Disk()
	if !d.Exists(name) {
		err := fmt.Errorf("%w: sync of %s", sim.ErrNoFile, name)
		fs.node.After(0, "sync-missing "+name, func() { done(err) })
		return
	}
	d.Open(name).Sync(done)
}
