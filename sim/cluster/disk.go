package cluster

import (
	"fmt"

	"zoosim/sim"
	"zoosim/zab/storage"
)

// diskFS is the simulated disk as zab/storage's FS: one flat directory whose writes are durable
// only after a completed fsync, exactly the promises storage.FS asks for. One diskFS serves one
// incarnation of a server (its store's), and a handle belongs to the node's current incarnation,
// so nothing stale survives a crash.
//
// The handle of the file last appended to or synced is kept: a store appends to and syncs one
// log file after another, and opening it again for every call cost a map lookup and a handle
// each time. A handle follows its file's contents, not its name, so the kept one is dropped
// whenever a file is renamed or removed; nothing else changes what a name refers to while the
// incarnation runs (only this diskFS renames or removes files, and Disk.Wipe needs a crash).
type diskFS struct {
	node *sim.Node
	// name and file are the kept handle (file nil when none is kept).
	// Invariant: file is what node.Disk().Open(name) would return, but for being a handle of
	// its own.
	name string
	file *sim.File
}

var _ storage.FS = (*diskFS)(nil)

// open returns a handle of the named file, creating the file if it is missing.
func (fs *diskFS) open(name string) *sim.File {
	if fs.file == nil || fs.name != name {
		fs.name, fs.file = name, fs.node.Disk().Open(name)
	}
	return fs.file
}

func (fs *diskFS) List() []string { return fs.node.Disk().List() }

func (fs *diskFS) ReadFile(name string) ([]byte, error) { return fs.node.Disk().ReadFile(name) }

func (fs *diskFS) Append(name string, p []byte) { fs.open(name).Append(p) }

// Truncate cuts an existing file; a missing one stays missing (Open would create it).
func (fs *diskFS) Truncate(name string, size int64) {
	if d := fs.node.Disk(); d.Exists(name) {
		fs.open(name).Truncate(size)
	}
}

func (fs *diskFS) Rename(from, to string) error {
	fs.file = nil
	return fs.node.Disk().Rename(from, to)
}

func (fs *diskFS) Remove(name string) error {
	fs.file = nil
	return fs.node.Disk().Remove(name)
}

// Sync fsyncs the file. A missing file fails, later, as FS promises: never inside the call.
func (fs *diskFS) Sync(name string, done func(error)) {
	d := fs.node.Disk()
	if (fs.file == nil || fs.name != name) && !d.Exists(name) {
		err := fmt.Errorf("%w: sync of %s", sim.ErrNoFile, name)
		fs.node.After(0, "sync-missing "+name, func() { done(err) })
		return
	}
	fs.open(name).Sync(done)
}
