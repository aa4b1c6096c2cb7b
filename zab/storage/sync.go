package storage

import (
	"fmt"
	"slices"
)

// atomicFile is a file replaced whole: the new contents go to <final>.tmp, which is fsynced and
// then renamed over <final>, ZooKeeper's writeLongToFile idiom (zookeeper.md B1). A crash leaves
// the old contents or the new under the final name, never a mix.
//
// The tmp is never written while a batch waits to rename it: the fsync in flight covers only the
// writes made before it, so a rewrite would let the rename expose contents a crash can still
// tear. Contents set meanwhile wait in want and are written when that batch completes.
type atomicFile struct {
	final, tmp string
	zxid       uint64 // for snapshots
	// written: the tmp exists and no Sync has been issued since it was written (or a Sync failed
	// and left it behind).
	// Invariant: written implies inFlight == nil and want == nil.
	written bool
	// inFlight is the batch whose completion renames the tmp over final.
	inFlight *batch
	// want are contents set while inFlight was pending.
	// Invariant: want != nil implies inFlight != nil.
	want []byte
	// wantBatch is the first batch issued after want was set: it is not complete before want's
	// fsync is, and counts that fsync in its outstanding before it is even issued.
	// Invariant: wantBatch != nil implies want != nil.
	wantBatch *batch
}

// batch is one Sync: the fsyncs it issued, the renames and marker removals that wait for them,
// and the caller's done.
type batch struct {
	done func(error)
	// outstanding counts the fsyncs not yet completed, deferred tmp writes not yet issued (see
	// atomicFile.wantBatch), and, while Sync runs, Sync itself.
	outstanding int
	err         error
}

// set gives the file new contents: written to the tmp now, or when the rename in flight is done.
func (s *Store) set(a *atomicFile, contents []byte) {
	if a.inFlight != nil {
		a.want = contents
		return
	}
	s.writeTmp(a, contents)
	a.written = true
	s.markDirty(a.tmp)
}

func (s *Store) writeTmp(a *atomicFile, contents []byte) {
	if a.written {
		s.remove(a.tmp) // a fresh file rather than a truncation: a crash may keep either, both are stray tmps
	}
	s.fs.Append(a.tmp, contents)
}

// SetAcceptedEpoch persists acceptedEpoch = e (B1, the paper's f.p): the value is durable under
// acceptedEpoch when the next Sync completes. A negative epoch is a caller bug and panics.
func (s *Store) SetAcceptedEpoch(e int64) {
	checkEpoch(e)
	s.acceptedEpoch = e
	s.set(s.accepted, epochBytes(e))
}

// SetCurrentEpoch persists currentEpoch = e (B1, the paper's f.a) like SetAcceptedEpoch. When
// both are set before one Sync, acceptedEpoch is renamed first, so a crash never leaves
// currentEpoch ahead of acceptedEpoch; and both are renamed after the batch's snapshots, so
// currentEpoch never vouches for data a crash can still lose (ZOOKEEPER-4643's order).
func (s *Store) SetCurrentEpoch(e int64) {
	checkEpoch(e)
	s.currentEpoch = e
	s.set(s.current, epochBytes(e))
}

func checkEpoch(e int64) {
	if e < 0 {
		panic(fmt.Sprintf("storage: negative epoch %d", e))
	}
}

// SaveSnapshot saves data as the snapshot holding every txn up to zxid. It is written to
// snapshot.<zxid>.tmp now and appears as snapshot.<zxid> when the next Sync completes; until
// then a crash forgets it. The next Append starts a new log file, as ZooKeeper rolls its log at
// each snapshot. A zxid past LastZxid (a snapshot received in a SNAP sync, B4) raises LastZxid.
//
// The store keeps records after zxid and drops none before it: a caller that installs a snapshot
// in place of a different history truncates first (TruncateAfter).
func (s *Store) SaveSnapshot(zxid uint64, data []byte) {
	i, found := slices.BinarySearchFunc(s.pendingSnaps, zxid, func(a *atomicFile, z uint64) int { return cmpUint(a.zxid, z) })
	if !found {
		name := snapName(zxid)
		s.pendingSnaps = slices.Insert(s.pendingSnaps, i, &atomicFile{final: name, tmp: name + tmpSuffix, zxid: zxid})
	}
	s.set(s.pendingSnaps[i], encodeSnapshot(zxid, data))
	s.lastZxid = max(s.lastZxid, zxid)
	s.cur = nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Sync makes every change made so far durable: it fsyncs each file written since the last Sync,
// then renames the snapshots and epochs written before it to their final names and removes the
// truncation markers whose truncations it made durable, then calls done. Several Syncs may be
// outstanding; their dones run in the order the Syncs were issued, each from the completion of
// an fsync, except that a Sync with nothing to wait for on a disk without log files calls done
// before it returns.
//
// done's error is non-nil when an fsync failed (ErrSync) or a file the store owns could not be
// renamed or removed (ErrFS): the store no longer knows what is durable, and the server should
// stop and recover from the disk.
func (s *Store) Sync(done func(error)) {
	b := s.newBatch(done)
	s.batches.Push(b)
	if s.err != nil {
		s.release(b)
		return
	}
	for _, name := range s.dirty {
		s.fsync(b, name)
	}
	s.dirty = s.dirty[:0]
	s.eachAtomic(func(a *atomicFile) {
		switch {
		case a.written:
			a.written, a.inFlight = false, b // its tmp was dirty: fsynced above
		case a.want != nil && a.wantBatch == nil:
			a.wantBatch = b
			b.outstanding++
		}
	})
	for i := range s.markers {
		if s.markers[i].owner == nil {
			s.markers[i].owner = b
		}
	}
	if b.outstanding == 1 && s.batches.Len() == 1 && len(s.logs) > 0 {
		// Nothing to wait for: fsync anyway, so done still runs later, from the event loop.
		s.fsync(b, s.logs[len(s.logs)-1].name)
	}
	s.release(b)
}

func (s *Store) newBatch(done func(error)) *batch {
	var b *batch
	if n := len(s.spareBatches); n > 0 {
		b = s.spareBatches[n-1]
		s.spareBatches[n-1] = nil
		s.spareBatches = s.spareBatches[:n-1]
	} else {
		b = new(batch)
	}
	*b = batch{done: done, outstanding: 1}
	return b
}

func (s *Store) fsync(b *batch, name string) {
	b.outstanding++
	var c *fsyncCall
	if n := len(s.spareFsyncs); n > 0 {
		c = s.spareFsyncs[n-1]
		s.spareFsyncs[n-1] = nil
		s.spareFsyncs = s.spareFsyncs[:n-1]
	} else {
		c = &fsyncCall{s: s}
		c.done = c.complete
	}
	c.b, c.name = b, name
	s.fs.Sync(name, c.done)
}

// fsyncCall is one fsync in flight, with its completion bound once: calls are recycled, so a
// steady stream of fsyncs allocates no callbacks. FS calls done at most once (FS.Sync).
type fsyncCall struct {
	s    *Store
	b    *batch
	name string
	done func(error) // c.complete
}

func (c *fsyncCall) complete(err error) {
	s, b, name := c.s, c.b, c.name
	if b == nil {
		panic("storage: an fsync completed twice")
	}
	c.b, c.name = nil, ""
	s.spareFsyncs = append(s.spareFsyncs, c)
	if err != nil && b.err == nil {
		b.err = fmt.Errorf("%w: %s: %w", ErrSync, name, err)
	}
	s.release(b)
}

// eachAtomic visits the atomic files in rename order: snapshots by zxid, acceptedEpoch,
// currentEpoch.
func (s *Store) eachAtomic(f func(*atomicFile)) {
	for _, a := range slices.Clone(s.pendingSnaps) {
		f(a)
	}
	f(s.accepted)
	f(s.current)
}

// release drops one of b's outstanding counts and completes, in issue order, every batch that is
// done. A done that calls Sync only queues its batch: the loop already running completes it.
func (s *Store) release(b *batch) {
	b.outstanding--
	if s.draining {
		return
	}
	s.draining = true
	for s.batches.Len() > 0 && (*s.batches.Front()).outstanding == 0 {
		head := s.batches.Pop()
		s.complete(head)
		if s.err == nil {
			// complete dropped every reference to head (markers and renames it owned); a failed
			// store keeps markers pointing at their batch, so its batches are not reused.
			*head = batch{}
			s.spareBatches = append(s.spareBatches, head)
		}
	}
	s.draining = false
}

// complete finishes a batch whose fsyncs all completed: markers first (their truncations are
// durable now), then renames in rename order, then done.
func (s *Store) complete(b *batch) {
	if b.err != nil {
		s.fail(b.err)
	}
	if s.err == nil {
		s.markers = slices.DeleteFunc(s.markers, func(m marker) bool {
			if m.owner == b {
				s.remove(markerName(m.zxid))
				return true
			}
			return false
		})
	}
	s.eachAtomic(func(a *atomicFile) {
		if a.inFlight != b {
			return
		}
		a.inFlight = nil
		if s.err != nil {
			// Nothing is known durable: no rename. A later batch waiting for want fails too. The
			// tmp stays; written makes a later set replace it rather than append to it.
			if a.wantBatch != nil {
				a.wantBatch.outstanding--
			}
			a.want, a.wantBatch, a.written = nil, nil, true
			return
		}
		if err := s.fs.Rename(a.tmp, a.final); err != nil {
			s.fail(fmt.Errorf("%w: rename %s: %w", ErrFS, a.tmp, err))
		} else if a.isSnapshot() {
			s.snapshotVisible(a.zxid)
		}
		if a.want == nil {
			if a.isSnapshot() {
				s.pendingSnaps = slices.DeleteFunc(s.pendingSnaps, func(p *atomicFile) bool { return p == a })
			}
			return
		}
		s.fs.Append(a.tmp, a.want) // the rename took the old tmp away
		a.want = nil
		if wb := a.wantBatch; wb != nil {
			a.wantBatch, a.inFlight = nil, wb
			wb.outstanding-- // the deferred write is issued: its fsync takes its place
			s.fsync(wb, a.tmp)
		} else {
			a.written = true
			s.markDirty(a.tmp)
		}
	})
	err := b.err
	if err == nil {
		err = s.err
	}
	if b.done != nil {
		b.done(err)
	}
}

func (a *atomicFile) isSnapshot() bool { return a.final != acceptedEpochF && a.final != currentEpochF }

func (s *Store) snapshotVisible(z uint64) {
	if i, found := slices.BinarySearch(s.snaps, z); !found {
		s.snaps = slices.Insert(s.snaps, i, z)
	}
}
