// Package storage keeps one zoosim server's durable state on its disk: the txn log, snapshots
// and the two epoch files of zookeeper.md B1. The server (package zab) decides what to persist;
// a host executes its disk ops through a Store. Payloads are opaque: the store frames, checksums,
// orders and recovers (zxid, bytes) records and (zxid, bytes) snapshots, and never decodes them.
//
// # The disk it runs on
//
// FS is the little a disk must offer, with the promises of sim's disk ("What a disk promises"
// in package sim): a write is visible at once and durable only after a completed fsync of its
// file; fsyncs complete in the order they were issued; creating, renaming and removing a file
// are durable at once; a crash loses what was not synced, or keeps a torn prefix of it, or lands
// the last write as garbage.
//
// # Layout
//
// Every name the store owns is below; it leaves any other file alone. Zxids in names are 16
// lower-case hex digits, so names sort like the zxids they carry. Integers are little-endian;
// CRCs are CRC-32C (Castagnoli).
//
//	log.<first zxid>          txn log file; its name is the zxid of its first record
//	    header  20 bytes: magic "ZSLG", version u32 (1), prev u64, crc u32 of the 16 bytes before it
//	    record  size u32 (payload bytes), crc u32 of (size, zxid, payload), zxid u64, payload
//	snapshot.<zxid>           snapshot holding every txn up to zxid
//	    header  28 bytes: magic "ZSSN", version u32 (1), zxid u64, size u64,
//	            crc u32 of the 24 bytes before it and of the data
//	    data    size bytes, opaque
//	snapshot.<zxid>.tmp       a snapshot being written (renamed once fsynced)
//	acceptedEpoch             decimal epoch and a newline (B1: the paper's f.p)
//	currentEpoch              decimal epoch and a newline (B1: the paper's f.a)
//	acceptedEpoch.tmp, currentEpoch.tmp   an epoch being written (renamed once fsynced)
//	truncate.<zxid>           empty marker: every log record after zxid is void (see TruncateAfter)
//
// Zxids strictly increase across records and files. A log file's header names prev, the zxid the
// server's history had reached when the file was started (its last record, or a snapshot it had
// installed past its log). The headers chain the files together: recovery uses them to tell a
// file that continues the history from one that follows a gap (its predecessors were lost or
// purged) or one written after a truncation that its predecessor does not show. The epoch files
// end in a newline, which ZooKeeper's do not: it is how a torn "12" is told from a whole "1".
//
// # Crash safety
//
//   - Records reach the disk at once and are durable when the Sync issued after them completes.
//     Recovery keeps the longest valid prefix of each file; a torn or damaged record ends its
//     file there (the rest is truncated) and later files that do not chain on are removed.
//   - Snapshots and epochs are written to <name>.tmp, fsynced, then renamed (B1's
//     writeLongToFile): a crash leaves the old contents or the new, never a mix. A .tmp is
//     never written again while the rename of its previous contents waits on an fsync.
//   - Truncation is durable when TruncateAfter returns: truncating file contents needs an fsync,
//     so TruncateAfter first creates the marker truncate.<zxid> (creating a file is durable at
//     once); recovery applies any marker it finds; the marker is removed once the fsync of the
//     truncated file completed, in the next Sync.
//   - Recovery's own repairs (truncating a torn tail) need no marker: until they are durable the
//     damage that caused them is still there, and the next recovery repairs it the same way.
//
// # Startup checks
//
// Open applies B1's checks to the epoch files: a missing file defaults to the epoch of the last
// zxid; a currentEpoch behind that epoch is replaced by a valid currentEpoch.tmp
// (ZOOKEEPER-4269) or refused with ErrEpochBehind (the ZOOKEEPER-1653 symptom); an acceptedEpoch
// below currentEpoch is refused with ErrEpochOrder (the ZOOKEEPER-2307 symptom).
package storage
