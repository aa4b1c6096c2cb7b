package storage

import (
	"fmt"
	"slices"
)

// TruncateAfter drops every record with a zxid after zxid and every snapshot newer than it: ZAB's
// TRUNC (zookeeper.md B4), which discards txns the leader does not have. It is a no-op when
// zxid >= LastZxid. Appends after it go to a new log file.
//
// The truncation is durable when TruncateAfter returns, although the cut file is not fsynced
// until the next Sync: it first creates the marker truncate.<zxid>, and creating a file is
// durable at once. Recovery applies a marker it finds, so a crash before that fsync cannot bring
// the dropped records back; the Sync that makes the cut durable removes the marker. Snapshots and
// whole log files after zxid are removed, which is durable at once too.
//
// It fails with ErrTruncateTooFar, changing nothing, when the store cannot rebuild the state at
// zxid: the newest snapshot at or before it is not followed by an unbroken log up to zxid
// (Purge removed that log, keeping only snapshots newer than zxid; or a snapshot installed past
// the log, as a SNAP sync does, hides what came before it). The ZAB peer never asks for this:
// it refuses a TRUNC below its own snapshot. It fails with ErrFS when the file to cut cannot be
// read.
func (s *Store) TruncateAfter(zxid uint64) error {
	if zxid >= s.lastZxid {
		return nil
	}
	base := uint64(0)
	if i, found := slices.BinarySearch(s.snaps, zxid); found {
		base = zxid
	} else if i > 0 {
		base = s.snaps[i-1]
	}
	if !s.logHolds(base, zxid) {
		return fmt.Errorf("%w: the state at %s needs the snapshot at %s and every txn after it up to %s, and the log does not hold them all",
			ErrTruncateTooFar, hexZxid(zxid), hexZxid(base), hexZxid(zxid))
	}
	keep := 0 // log files that keep records
	for keep < len(s.logs) && s.logs[keep].first <= zxid {
		keep++
	}
	var cut *logFile
	var cutAt int64
	if keep > 0 && s.logs[keep-1].last > zxid {
		cut = s.logs[keep-1]
		b, err := s.fs.ReadFile(cut.name)
		if err != nil {
			return fmt.Errorf("%w: read %s: %w", ErrFS, cut.name, err)
		}
		prev, problem := parseLogHeader(b)
		var sc logScan
		if problem == "" {
			sc = scanLog(b, cut.first, prev)
			if sc.problem != "" || sc.end != cut.size || prev != cut.prev {
				problem = fmt.Sprintf("does not hold what the store wrote (%d valid bytes of %d, expected %d)", sc.end, len(b), cut.size)
			}
		}
		if problem != "" {
			return fmt.Errorf("%w: %s: %s", ErrFS, cut.name, problem)
		}
		k := sc.cutAfter(zxid)
		cutAt = sc.offs[k]
		cut.last = sc.recs[k-1].Zxid
	}

	// Snapshots first: a crash from here on recovers a prefix of the old history or the new one.
	for _, z := range slices.Clone(s.snaps) {
		if z > zxid {
			s.remove(snapName(z))
		}
	}
	s.snaps = slices.DeleteFunc(s.snaps, func(z uint64) bool { return z > zxid })
	s.pendingSnaps = slices.DeleteFunc(s.pendingSnaps, func(a *atomicFile) bool {
		if a.zxid <= zxid {
			return false
		}
		if a.written || a.inFlight != nil {
			s.remove(a.tmp) // an fsync in flight on it completes on nothing
		}
		if a.wantBatch != nil {
			a.wantBatch.outstanding-- // cannot be the head batch: a.inFlight is before it
		}
		return true
	})
	if cut != nil {
		s.fs.Append(markerName(zxid), nil)
		s.addMarker(zxid)
		s.fs.Truncate(cut.name, cutAt)
		cut.size = cutAt
		s.markDirty(cut.name)
	}
	for _, f := range s.logs[keep:] {
		s.remove(f.name)
	}
	s.logs = s.logs[:keep]
	s.cur = nil
	s.recomputeLastZxid()
	return nil
}

// addMarker records a marker for the next Sync to remove. A marker that an earlier Sync would
// remove is taken back from it: that Sync does not cover this truncation.
func (s *Store) addMarker(z uint64) {
	for i := range s.markers {
		if s.markers[i].zxid == z {
			s.markers[i].owner = nil
			return
		}
	}
	s.markers = append(s.markers, marker{zxid: z})
}

// logHolds reports whether the log holds every txn in (base, z]: one run of log files, each
// starting where the one before it ended, starts at or before base and reaches z. A file whose
// prev is past the last record of the file before it starts a new run: the snapshot it followed
// (a SNAP sync's) hides the history in between.
func (s *Store) logHolds(base, z uint64) bool {
	if base == z {
		return true
	}
	runPrev := uint64(0)
	for i, f := range s.logs {
		if i == 0 || f.prev != s.logs[i-1].last {
			runPrev = f.prev
		}
		if f.last >= z {
			return runPrev <= base
		}
	}
	return false
}
