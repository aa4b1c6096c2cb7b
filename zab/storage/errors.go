package storage

import "errors"

// Errors of the package. Damage that recovery can repair is never an error: Open repairs it and
// reports a line in Recovered.Repairs. These are for states no repair can make safe.
var (
	// ErrEpochBehind: currentEpoch is older than the epoch of the last zxid and no valid
	// currentEpoch.tmp makes up for it (zookeeper.md B1, ZOOKEEPER-1653). The message names both.
	ErrEpochBehind = errors.New("storage: currentEpoch is older than the last zxid's epoch")
	// ErrEpochOrder: acceptedEpoch is below currentEpoch (zookeeper.md B1, ZOOKEEPER-2307). The
	// message names both.
	ErrEpochOrder = errors.New("storage: acceptedEpoch is below currentEpoch")
	// ErrEpochFile: an epoch file under its final name does not hold a number. It was fsynced
	// before its rename, so only a lying disk or an outside hand can do this, and guessing a
	// value could break the promise the epoch stands for.
	ErrEpochFile = errors.New("storage: damaged epoch file")
	// ErrTruncateTooFar: TruncateAfter would keep log records that no remaining snapshot leads up
	// to, because the history before them was purged; nothing was changed.
	ErrTruncateTooFar = errors.New("storage: cannot truncate below the retained history")
	// ErrSync: an fsync failed. The store stops trusting its files: this and every later Sync
	// report the error, and the server should crash and recover.
	ErrSync = errors.New("storage: fsync failed")
	// ErrFS: reading, renaming or removing a file the store owns failed.
	ErrFS = errors.New("storage: file system error")
)
