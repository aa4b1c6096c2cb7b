package sim

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Options are everything that shapes a run besides the code and what the caller does: the seed,
// and the behaviour of the network and the disks. A run prints them first (World.Header), so that
// one line is enough to replay it.
type Options struct {
	// Seed determines every random choice of the run.
	Seed    uint64
	Network NetworkOptions
	Disk    DiskOptions
}

// NetworkOptions shape the simulated network.
type NetworkOptions struct {
	// Latency is the one-way delay of each message. A message never overtakes an earlier one on
	// the same connection, whatever it draws (unless UnsafeReorder says otherwise).
	Latency Distribution
	// DetectionDelay is how long each end of a broken connection takes to learn of the break
	// (a reset arriving, a keepalive or read timeout expiring).
	DetectionDelay Distribution
	// EgressBytesPerSec bounds how fast each node puts bytes on the wire; 0 means unbounded.
	// A message waits for the ones its node sent before it to finish transmitting.
	EgressBytesPerSec int64
	// UnsafeReorder is the chance that a message ignores FIFO order and keeps its own drawn
	// latency, so it may overtake earlier ones. TCP never does this; it exists only for protocol
	// variants that study what an unordered transport would break.
	UnsafeReorder Ratio
	// UnsafeDuplicate is the chance that a message is delivered twice. TCP never does this either;
	// like UnsafeReorder it exists only for protocol variants.
	UnsafeDuplicate Ratio
}

// DiskOptions shape every node's simulated disk.
type DiskOptions struct {
	// FsyncLatency is how long an fsync takes to complete. Completions on one disk are in order.
	FsyncLatency Distribution
	// Crash says what a crash does to data written but not yet synced.
	Crash CrashMode
	// LostFsync is the chance that an fsync reports success without making its data durable:
	// the data stays readable until the next crash and is gone after it. This breaks the promise
	// a disk makes; it is a fault for testing what a server does when storage lies.
	LostFsync Ratio
	// CorruptTail is the chance that a crash lands the write in flight as garbage rather than
	// losing it: the file's tail then fails its checksum when read back.
	CorruptTail Ratio
}

// CrashMode says what a crash does to data written but not synced.
type CrashMode uint8

const (
	// LoseUnsynced loses every write not covered by a completed fsync.
	LoseUnsynced CrashMode = iota
	// TornUnsynced keeps a random prefix of the unsynced writes, the last one possibly cut short,
	// as a disk does when it was part-way through flushing its cache.
	TornUnsynced
)

func (m CrashMode) String() string {
	switch m {
	case LoseUnsynced:
		return "lose-unsynced"
	case TornUnsynced:
		return "torn-unsynced"
	}
	return fmt.Sprintf("CrashMode(%d)", uint8(m))
}

// ParseCrashMode reads the name printed by CrashMode.String.
func ParseCrashMode(s string) (CrashMode, error) {
	switch s {
	case "lose-unsynced":
		return LoseUnsynced, nil
	case "torn-unsynced":
		return TornUnsynced, nil
	}
	return 0, fmt.Errorf("%w: crash mode %q (want lose-unsynced or torn-unsynced)", ErrBadOptions, s)
}

// ErrBadOptions is returned (wrapped, naming the field) for options a run cannot use.
var ErrBadOptions = errors.New("sim: bad options")

// DefaultOptions returns options for a healthy LAN with SSDs: sub-millisecond message latency
// with a log-normal tail, breaks noticed within tens of milliseconds, fsyncs of a few
// milliseconds, and unsynced data lost on a crash.
func DefaultOptions(seed uint64) Options {
	return Options{
		Seed: seed,
		Network: NetworkOptions{
			Latency:        LogNormalDist(100*time.Microsecond, 300*time.Microsecond, 500),
			DetectionDelay: UniformIn(5*time.Millisecond, 50*time.Millisecond),
		},
		Disk: DiskOptions{
			FsyncLatency: LogNormalDist(500*time.Microsecond, 1500*time.Microsecond, 500),
			Crash:        LoseUnsynced,
		},
	}
}

// Validate returns every reason the options cannot be used, each naming its field, joined.
func (o Options) Validate() error {
	var errs []error
	field := func(name string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %w", ErrBadOptions, name, err))
		}
	}
	field("network.latency", o.Network.Latency.Validate())
	field("network.detection-delay", o.Network.DetectionDelay.Validate())
	if o.Network.EgressBytesPerSec < 0 {
		field("network.egress-bytes-per-sec", fmt.Errorf("%d is negative", o.Network.EgressBytesPerSec))
	}
	field("network.unsafe-reorder", o.Network.UnsafeReorder.Validate())
	field("network.unsafe-duplicate", o.Network.UnsafeDuplicate.Validate())
	field("disk.fsync-latency", o.Disk.FsyncLatency.Validate())
	if o.Disk.Crash > TornUnsynced {
		field("disk.crash", fmt.Errorf("unknown mode %d", uint8(o.Disk.Crash)))
	}
	field("disk.lost-fsync", o.Disk.LostFsync.Validate())
	field("disk.corrupt-tail", o.Disk.CorruptTail.Validate())
	return errors.Join(errs...)
}

// String prints every option as key=value on one line, in a fixed order.
func (o Options) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed=%d", o.Seed)
	n, d := o.Network, o.Disk
	fmt.Fprintf(&b, " network.latency=%s network.detection-delay=%s", n.Latency, n.DetectionDelay)
	fmt.Fprintf(&b, " network.egress-bytes-per-sec=%d", n.EgressBytesPerSec)
	fmt.Fprintf(&b, " network.unsafe-reorder=%s network.unsafe-duplicate=%s", n.UnsafeReorder, n.UnsafeDuplicate)
	fmt.Fprintf(&b, " disk.fsync-latency=%s disk.crash=%s", d.FsyncLatency, d.Crash)
	fmt.Fprintf(&b, " disk.lost-fsync=%s disk.corrupt-tail=%s", d.LostFsync, d.CorruptTail)
	return b.String()
}
