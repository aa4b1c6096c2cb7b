package storage_test

import (
	"fmt"
	"maps"
	"slices"
)

// memFS is an in-memory FS with sim's durability rules (sim/disk.go): writes and truncations are
// visible at once and durable once an fsync issued after them completes; creating, renaming and
// removing files are durable at once; fsyncs complete in FIFO order, only when the test says so;
// a crash loses unsynced writes or keeps a torn prefix of them, and can land the last write as
// garbage. Misuse by the store (truncating or fsyncing a file that does not exist, which on the
// simulated disk would create it) panics, so tests catch it.
type memFS struct {
	files map[string]*memFile
	seq   uint64
	// syncs are the fsyncs in flight, oldest first.
	syncs []memSync
	// loseSyncs is how many coming fsyncs report success and persist nothing.
	loseSyncs int
	// counts of operations, for tests that check what the store did.
	appends, fsyncs, renames, removes int
}

type memFile struct {
	data, durable []byte
	pending       []memWrite
	lastWrite     uint64
	lostWrites    bool
}

type memWrite struct {
	seq      uint64
	off      int64
	data     []byte
	truncate bool
}

type memSync struct {
	name string
	f    *memFile
	upTo uint64
	done func(error)
}

func newMemFS() *memFS { return &memFS{files: map[string]*memFile{}} }

func (m *memFS) List() []string { return slices.Sorted(maps.Keys(m.files)) }

func (m *memFS) ReadFile(name string) ([]byte, error) {
	f, ok := m.files[name]
	if !ok {
		return nil, fmt.Errorf("memfs: no file %s", name)
	}
	return slices.Clone(f.data), nil
}

func (m *memFS) Append(name string, p []byte) {
	f, ok := m.files[name]
	if !ok {
		f = &memFile{}
		m.files[name] = f
	}
	m.appends++
	m.write(f, memWrite{off: int64(len(f.data)), data: slices.Clone(p)})
}

func (m *memFS) Truncate(name string, size int64) {
	f, ok := m.files[name]
	if !ok {
		panic("memfs: truncate of missing file " + name)
	}
	m.write(f, memWrite{off: size, truncate: true})
}

func (m *memFS) write(f *memFile, w memWrite) {
	m.seq++
	w.seq = m.seq
	f.pending = append(f.pending, w)
	f.data = apply(f.data, w)
	f.lastWrite = m.seq
}

func apply(b []byte, w memWrite) []byte {
	if w.truncate {
		if w.off <= int64(len(b)) {
			return b[:w.off]
		}
		return append(b, make([]byte, w.off-int64(len(b)))...)
	}
	if w.off > int64(len(b)) {
		b = append(b, make([]byte, w.off-int64(len(b)))...)
	}
	end := w.off + int64(len(w.data))
	if end > int64(len(b)) {
		return append(b[:w.off], w.data...)
	}
	copy(b[w.off:], w.data)
	return b
}

func (m *memFS) Rename(from, to string) error {
	f, ok := m.files[from]
	if !ok {
		return fmt.Errorf("memfs: no file %s", from)
	}
	m.renames++
	delete(m.files, from)
	m.files[to] = f
	return nil
}

func (m *memFS) Remove(name string) error {
	if _, ok := m.files[name]; !ok {
		return fmt.Errorf("memfs: no file %s", name)
	}
	m.removes++
	delete(m.files, name)
	return nil
}

func (m *memFS) Sync(name string, done func(error)) {
	f, ok := m.files[name]
	if !ok {
		panic("memfs: fsync of missing file " + name)
	}
	m.fsyncs++
	m.syncs = append(m.syncs, memSync{name: name, f: f, upTo: m.seq, done: done})
}

// complete completes the next n fsyncs in flight (all of them if n < 0) and returns how many it
// completed. A done may issue more fsyncs; they are completed too if n allows.
func (m *memFS) complete(n int) int {
	k := 0
	for (n < 0 || k < n) && len(m.syncs) > 0 {
		op := m.syncs[0]
		m.syncs = m.syncs[1:]
		f := op.f
		covered := 0
		for covered < len(f.pending) && f.pending[covered].seq <= op.upTo {
			covered++
		}
		if m.loseSyncs > 0 {
			m.loseSyncs--
			f.lostWrites = f.lostWrites || covered > 0
		} else {
			for _, w := range f.pending[:covered] {
				f.durable = apply(f.durable, w)
			}
		}
		f.pending = slices.Delete(f.pending, 0, covered)
		k++
		if op.done != nil {
			op.done(nil)
		}
	}
	return k
}

type crashMode int

const (
	loseUnsynced crashMode = iota
	tornUnsynced
)

// crash applies sim's crash model: fsyncs in flight are forgotten (their dones never run),
// durable contents survive, and the unsynced writes of each file are lost (loseUnsynced) or a
// prefix of them is kept, the next one possibly cut short (tornUnsynced). With corrupt, the
// newest write in flight on the disk lands as garbage. draw(n) returns a number in [0, n).
func (m *memFS) crash(mode crashMode, corrupt bool, draw func(n int) int) {
	m.syncs = nil
	var victim *memFile
	if corrupt {
		for _, name := range m.List() {
			f := m.files[name]
			if len(f.pending) > 0 && (victim == nil || f.lastWrite > victim.lastWrite) {
				victim = f
			}
		}
	}
	for _, name := range m.List() {
		f := m.files[name]
		if len(f.pending) == 0 {
			if f.lostWrites {
				f.data = slices.Clone(f.durable)
				f.lostWrites = false
			}
			continue
		}
		if mode == tornUnsynced {
			kept := draw(len(f.pending) + 1)
			for _, w := range f.pending[:kept] {
				f.durable = apply(f.durable, w)
			}
			if kept < len(f.pending) && !f.pending[kept].truncate && len(f.pending[kept].data) > 1 {
				w := f.pending[kept]
				w.data = w.data[:1+draw(len(w.data)-1)]
				f.durable = apply(f.durable, w)
			}
		}
		if f == victim {
			last := f.pending[len(f.pending)-1]
			if !last.truncate && len(last.data) > 0 {
				garbage := make([]byte, 1+draw(len(last.data)))
				for i := range garbage {
					garbage[i] = byte(draw(256))
				}
				f.durable = apply(f.durable, memWrite{off: last.off, data: garbage})
			}
		}
		f.pending = nil
		f.lostWrites = false
		f.data = slices.Clone(f.durable)
	}
}

// damage overwrites bytes of a file, durably, as a disk fault would.
func (m *memFS) damage(name string, off int, p []byte) {
	f, ok := m.files[name]
	if !ok {
		panic("memfs: damage of missing file " + name)
	}
	copy(f.data[off:], p)
	copy(f.durable[off:], p)
}

// put creates or replaces a file with durable contents.
func (m *memFS) put(name string, p []byte) {
	m.files[name] = &memFile{data: slices.Clone(p), durable: slices.Clone(p)}
}

// durable reports whether every file's contents are durable.
func (m *memFS) allDurable() bool {
	for _, f := range m.files {
		if len(f.pending) > 0 {
			return false
		}
	}
	return true
}
