package storage

import (
	"fmt"
	"math"
	"slices"
)

// Recovered is what Open found on the disk.
type Recovered struct {
	// AcceptedEpoch and CurrentEpoch passed B1's startup checks.
	AcceptedEpoch, CurrentEpoch int64
	// SnapshotZxid and Snapshot are the newest valid snapshot; Snapshot is nil if there is none
	// (and SnapshotZxid 0).
	SnapshotZxid uint64
	Snapshot     []byte
	// Records are the log records after SnapshotZxid, oldest first, with increasing zxids.
	Records []Record
	// LastZxid is the last record's zxid, or SnapshotZxid if it is newer or there is no record.
	LastZxid uint64
	// Repairs has one line per file recovery changed, naming it and what was wrong.
	Repairs []string
}

// Open recovers a server's state from the disk as a restart finds it, repairs what a crash or a
// disk fault left behind, and returns a Store to continue from. Repairs, each reported in
// Recovered.Repairs:
//
//   - truncation markers (see TruncateAfter) are applied: log records after the oldest marker's
//     zxid are cut off and snapshots after it removed; the markers stay until the next Sync has
//     made the cuts durable;
//   - unfinished snapshots (snapshot.*.tmp) and epoch writes (*.tmp) are removed, except that
//     currentEpoch.tmp stands in for a currentEpoch that is behind the log (B1, ZOOKEEPER-4269);
//   - damaged snapshots are removed, and the next older one is used;
//   - a log file is cut after its last whole, valid record in order (a torn or damaged tail);
//     a file with no such record is removed;
//   - a log file whose header says it follows a zxid past the history recovered before it (a gap:
//     a file before it lost records, or was purged with the snapshot now damaged) is removed
//     with every later file, as replaying past a gap would build a state that never existed;
//   - a log file whose header says it follows a zxid before the end of the files before it was
//     written after a truncation that those files do not show (a lost fsync): they are cut
//     back to that zxid.
//
// The result is the longest history the disk proves: the newest valid snapshot and the log
// records after it that chain on to it.
//
// Open fails, changing nothing, when an epoch check of B1 fails (ErrEpochBehind, ErrEpochOrder),
// when an epoch file is damaged (ErrEpochFile), or when the FS fails (ErrFS). Recovered is then
// still returned when the failure concerns the epochs, describing what was found (its Repairs are
// the ones Open would have made).
//
// Open expects the disk as a restart finds it, every file durable: its repairs are not, until
// the first Sync, and they rely on the damage they repair being there again after a crash.
func Open(fs FS, opts Options) (*Store, *Recovered, error) {
	if opts.LogFileBytes < 0 {
		panic(fmt.Sprintf("storage: negative LogFileBytes %d", opts.LogFileBytes))
	}
	if opts.LogFileBytes == 0 {
		opts.LogFileBytes = DefaultLogFileBytes
	}
	r := &recovery{fs: fs, dir: listDir(fs.List())}
	if err := r.run(); err != nil {
		if r.epochsRead {
			return nil, &r.rec, err
		}
		return nil, nil, err
	}
	for _, name := range r.removes {
		if err := fs.Remove(name); err != nil {
			return nil, nil, fmt.Errorf("%w: remove %s: %w", ErrFS, name, err)
		}
	}
	s := &Store{
		fs:            fs,
		opts:          opts,
		snaps:         r.snaps,
		accepted:      &atomicFile{final: acceptedEpochF, tmp: epochTmpName(acceptedEpochF)},
		current:       &atomicFile{final: currentEpochF, tmp: epochTmpName(currentEpochF)},
		acceptedEpoch: r.rec.AcceptedEpoch,
		currentEpoch:  r.rec.CurrentEpoch,
		lastZxid:      r.rec.LastZxid,
	}
	for _, e := range r.chain {
		s.logs = append(s.logs, e.lf)
		if e.lf.size < e.size {
			fs.Truncate(e.lf.name, e.lf.size)
			s.markDirty(e.lf.name)
		}
	}
	for _, rn := range r.renames {
		if err := fs.Rename(rn[0], rn[1]); err != nil {
			return nil, nil, fmt.Errorf("%w: rename %s: %w", ErrFS, rn[0], err)
		}
	}
	for _, z := range r.dir.markers {
		s.markers = append(s.markers, marker{zxid: z})
	}
	// B1: a missing epoch file takes its default, which ZooKeeper writes at once; here it is
	// durable after the first Sync.
	if r.missingAccepted {
		s.set(s.accepted, epochBytes(s.acceptedEpoch))
	}
	if r.missingCurrent {
		s.set(s.current, epochBytes(s.currentEpoch))
	}
	return s, &r.rec, nil
}

// recovery works out what Open recovers and repairs, touching nothing until every check passed.
type recovery struct {
	fs  FS
	dir dirListing
	rec Recovered
	// limit is the oldest truncation marker's zxid (MaxUint64 without one).
	limit uint64
	// removes are the files to remove.
	removes []string
	// renames are (from, to) pairs.
	renames [][2]string
	// chain is the log files that survive, oldest first, each with what it keeps.
	chain []*chainEntry
	// snaps are the snapshots that survive, ascending.
	snaps                           []uint64
	missingAccepted, missingCurrent bool
	epochsRead                      bool
}

type chainEntry struct {
	// lf is the file as it will be, size and last included.
	lf *logFile
	// size is the file's size on disk now.
	size int64
	// recs are the records lf keeps; offs[i] is where recs[i] starts.
	recs []Record
	offs []int64
}

func (r *recovery) repair(name, format string, args ...any) {
	r.rec.Repairs = append(r.rec.Repairs, name+": "+fmt.Sprintf(format, args...))
}

func (r *recovery) remove(name, format string, args ...any) {
	r.removes = append(r.removes, name)
	r.repair(name, format, args...)
}

func (r *recovery) read(name string) ([]byte, error) {
	b, err := r.fs.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %w", ErrFS, name, err)
	}
	return b, nil
}

func (r *recovery) run() error {
	r.limit = math.MaxUint64
	if len(r.dir.markers) > 0 {
		r.limit = slices.Min(r.dir.markers)
	}
	if err := r.snapshots(); err != nil {
		return err
	}
	if err := r.logs(); err != nil {
		return err
	}
	for _, e := range r.chain {
		for i, rec := range e.recs {
			if rec.Zxid > r.rec.SnapshotZxid {
				r.rec.Records = append(r.rec.Records, e.recs[i:]...)
				break
			}
		}
	}
	r.rec.LastZxid = max(r.rec.SnapshotZxid, r.lastRecord())
	return r.epochs()
}

// snapshots picks the newest valid snapshot and removes what cannot be used.
func (r *recovery) snapshots() error {
	for _, name := range r.dir.snapTmps {
		r.remove(name, "unfinished snapshot (a crash came before its rename), removed")
	}
	chosen := false
	for _, z := range slices.Backward(r.dir.snaps) {
		name := snapName(z)
		switch {
		case z > r.limit:
			r.remove(name, "newer than the truncation marker %s, removed", markerName(r.limit))
			continue
		case chosen:
			r.snaps = append(r.snaps, z) // older snapshots are read only if they are needed
			continue
		}
		b, err := r.read(name)
		if err != nil {
			return err
		}
		data, problem := decodeSnapshot(z, b)
		if problem != "" {
			r.remove(name, "damaged (%s), skipped and removed", problem)
			continue
		}
		chosen = true
		r.rec.SnapshotZxid, r.rec.Snapshot = z, data
		r.snaps = append(r.snaps, z)
	}
	slices.Reverse(r.snaps)
	return nil
}

// lastRecordUpTo is the zxid of the last record in the chain that is at most z (0 if none).
func (r *recovery) lastRecordUpTo(z uint64) uint64 {
	for _, e := range slices.Backward(r.chain) {
		for _, rec := range slices.Backward(e.recs) {
			if rec.Zxid <= z {
				return rec.Zxid
			}
		}
	}
	return 0
}

func (r *recovery) lastRecord() uint64 {
	if n := len(r.chain); n > 0 {
		return r.chain[n-1].lf.last
	}
	return 0
}

// logs reads the log files in order and keeps the longest history that chains on to the
// snapshot (see Open).
func (r *recovery) logs() error {
	gap := ""
	for _, first := range r.dir.logs {
		name := logName(first)
		if gap != "" {
			r.remove(name, "after the gap at %s, removed", gap)
			continue
		}
		if first > r.limit {
			r.remove(name, "after the truncation marker %s, removed", markerName(r.limit))
			continue
		}
		b, err := r.read(name)
		if err != nil {
			return err
		}
		prev, problem := parseLogHeader(b)
		if problem != "" {
			r.remove(name, "%s, removed", problem)
			continue
		}
		sc := scanLog(b, first, prev)
		if k := sc.cutAfter(r.limit); k < len(sc.recs) {
			sc.problem = fmt.Sprintf("%d records after zxid %s (truncation marker %s)", len(sc.recs)-k, hexZxid(r.limit), markerName(r.limit))
			sc.recs, sc.offs, sc.end = sc.recs[:k], sc.offs[:k], sc.offs[k]
		}
		// Only a file that survives may cut the files before it back (supersede): a cut is not
		// durable until the next Sync, and the file is the evidence that repeats it after a crash.
		if have := max(r.rec.SnapshotZxid, r.lastRecordUpTo(prev)); prev > have {
			gap = name
			r.remove(name, "follows zxid %s but the history before it ends at %s: a gap, removed", hexZxid(prev), hexZxid(have))
			continue
		}
		if len(sc.recs) == 0 {
			if sc.problem == "" {
				r.remove(name, "holds no record, removed")
			} else {
				r.remove(name, "%s, leaving no record: removed", sc.problem)
			}
			continue
		}
		if prev < r.lastRecord() {
			r.supersede(prev, name)
		}
		if sc.problem != "" {
			r.repair(name, "truncated %s", sc.problem)
		}
		r.chain = append(r.chain, &chainEntry{
			lf:   &logFile{name: name, first: first, prev: prev, last: sc.recs[len(sc.recs)-1].Zxid, size: sc.end},
			size: int64(len(b)),
			recs: sc.recs,
			offs: sc.offs,
		})
	}
	return nil
}

// supersede cuts the chain back to zxid prev: a file that follows prev was started after a
// truncation to prev, so the records after prev in the files before it are void. (Markers make
// truncations durable, so only a lying disk leaves this behind.)
func (r *recovery) supersede(prev uint64, by string) {
	for n := len(r.chain); n > 0; n = len(r.chain) {
		e := r.chain[n-1]
		k := len(e.recs)
		for k > 0 && e.recs[k-1].Zxid > prev {
			k--
		}
		if k == 0 {
			r.remove(e.lf.name, "superseded by %s, which follows zxid %s, removed", by, hexZxid(prev))
			r.chain = r.chain[:n-1]
			continue
		}
		if k < len(e.recs) {
			r.repair(e.lf.name, "truncated %d records after zxid %s: superseded by %s, which follows it", len(e.recs)-k, hexZxid(prev), by)
			e.recs, e.lf.size, e.offs = e.recs[:k], e.offs[k], e.offs[:k]
			e.lf.last = e.recs[k-1].Zxid
		}
		return
	}
}

// epochs applies B1's startup checks.
func (r *recovery) epochs() error {
	r.epochsRead = true
	last := r.rec.LastZxid
	ez := epochOf(last)
	current, ok, err := r.readEpoch(currentEpochF)
	if err != nil {
		return err
	}
	r.missingCurrent = !ok
	if !ok {
		current = ez
	}
	usedTmp := false
	if ez > current {
		tmp := epochTmpName(currentEpochF)
		note := "no " + tmp
		if r.dir.epochs[tmp] {
			b, err := r.read(tmp)
			if err != nil {
				return err
			}
			v, problem := parseEpoch(b)
			switch {
			case problem != "":
				note = tmp + " " + problem
			case v < ez:
				note = fmt.Sprintf("%s holds %d, also behind", tmp, v)
			default:
				r.repair(currentEpochF, "holds %d, behind the last zxid's epoch %d: replaced by %s, which holds %d (ZOOKEEPER-4269)", current, ez, tmp, v)
				r.renames = append(r.renames, [2]string{tmp, currentEpochF})
				current, usedTmp = v, true
			}
		}
		if !usedTmp {
			return fmt.Errorf("%w: currentEpoch is %d but the last zxid %s is in epoch %d, and %s", ErrEpochBehind, current, hexZxid(last), ez, note)
		}
	}
	accepted, ok, err := r.readEpoch(acceptedEpochF)
	if err != nil {
		return err
	}
	r.missingAccepted = !ok
	if !ok {
		accepted = ez
	}
	r.rec.AcceptedEpoch, r.rec.CurrentEpoch = accepted, current
	if accepted < current {
		return fmt.Errorf("%w: acceptedEpoch is %d, currentEpoch is %d", ErrEpochOrder, accepted, current)
	}
	for _, f := range []string{acceptedEpochF, currentEpochF} {
		tmp := epochTmpName(f)
		if r.dir.epochs[tmp] && !(usedTmp && f == currentEpochF) {
			r.remove(tmp, "unfinished epoch write (a crash came before its rename), removed")
		}
	}
	return nil
}

// readEpoch reads an epoch file under its final name; ok is false if there is none.
func (r *recovery) readEpoch(name string) (e int64, ok bool, err error) {
	if !r.dir.epochs[name] {
		return 0, false, nil
	}
	b, err := r.read(name)
	if err != nil {
		return 0, false, err
	}
	e, problem := parseEpoch(b)
	if problem != "" {
		return 0, false, fmt.Errorf("%w: %s %s", ErrEpochFile, name, problem)
	}
	return e, true, nil
}
