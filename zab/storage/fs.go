package storage

// FS is the disk a Store runs on: one flat directory. The host satisfies it with the simulated
// disk (sim.Disk); a real runtime could satisfy it with a directory and os.File.
//
// It must keep sim's promises ("What a disk promises" in package sim): Append and Truncate are
// visible to ReadFile at once and durable only once a Sync of the file issued after them has
// completed; creating, renaming and removing files are durable at once; Sync callbacks run in
// the order the Syncs were issued, later, never inside the call. A crash loses the unsynced
// writes of each file, or keeps a prefix of them (the last possibly cut short), or lands the
// last write as garbage.
type FS interface {
	// List returns every file name, sorted.
	List() []string
	// ReadFile returns a copy of the file's current contents; the caller owns it.
	ReadFile(name string) ([]byte, error)
	// Append writes p at the end of the file, creating the file if it is missing. It does not
	// keep p after it returns.
	Append(name string, p []byte)
	// Truncate cuts the file to size.
	Truncate(name string, size int64)
	// Rename gives file from the name to, replacing any file called to.
	Rename(from, to string) error
	// Remove deletes the file.
	Remove(name string) error
	// Sync fsyncs the file, covering every write made to it so far; done runs when it completed,
	// at most once (never, if the node crashed first).
	Sync(name string, done func(error))
}
