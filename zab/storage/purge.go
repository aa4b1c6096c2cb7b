package storage

import "fmt"

// Purge removes what recovery will never need, as ZooKeeper's autopurge does (PurgeTxnLog): it
// keeps the newest retain snapshots and every log file that may hold a txn after the oldest of
// them, and removes older snapshots and log files. It returns the names it removed, snapshots
// first, each group oldest first. Snapshots not yet renamed by a Sync do not count. Removing is
// durable at once.
//
// retain below 1 is a caller bug and panics. ZooKeeper insists on at least 3, so that a damaged
// newest snapshot still leaves older ones to fall back on, with the logs that follow them.
func (s *Store) Purge(retain int) []string {
	if retain < 1 {
		panic(fmt.Sprintf("storage: Purge must retain at least one snapshot, not %d", retain))
	}
	if len(s.snaps) == 0 {
		return nil
	}
	from := max(0, len(s.snaps)-retain)
	oldest := s.snaps[from]
	var removed []string
	for _, z := range s.snaps[:from] {
		removed = append(removed, snapName(z))
		s.remove(snapName(z))
	}
	s.snaps = s.snaps[from:]
	// A file's records all come before the next file's first zxid; if that is at most oldest+1,
	// the snapshot holds every one of them. The last file is never removed.
	n := 0
	for n+1 < len(s.logs) && s.logs[n+1].first-1 <= oldest {
		removed = append(removed, s.logs[n].name)
		s.remove(s.logs[n].name)
		n++
	}
	s.logs = s.logs[n:]
	return removed
}
