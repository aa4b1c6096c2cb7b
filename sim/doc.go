// Package sim is zoosim's deterministic simulation kernel: a virtual clock, one event queue,
// seeded random streams, a network of TCP-like connections, disks with a write/fsync split, nodes
// that crash, restart and pause, and simulated processes. A whole ZooKeeper ensemble runs on it
// as real code; sim itself knows nothing of ZooKeeper.
//
// # The determinism contract
//
// One seed plus one commit determines a run bit for bit. To keep that true:
//
//   - Time is virtual (Time, nanoseconds). World.Step takes the earliest event of one heap
//     ordered by (time, sequence number) and jumps the clock to it; nothing runs concurrently.
//   - Every random choice draws from a Rand forked by name from the run seed: one stream per
//     link of the network, per disk, per node's software, and per purpose the caller names
//     (World.Stream). Drawing more in one stream never moves another. Probabilities are integer
//     Ratios and the long-tailed latency draws use integer arithmetic only, so a seed replays
//     the same on every machine.
//   - Processes (Proc) are coroutines resumed only by the kernel, one at a time.
//   - Nothing iterates a map into an output: files, nodes and connections are visited in sorted
//     or creation order.
//   - Every handled event is folded into a rolling trace hash (World.TraceHash) and can be printed
//     as one line (World.TraceTo), after a header line with the seed and every option.
//
// Code in sim, zab, tree, recipes and sim/cluster never calls the wall clock, global random
// functions, or starts goroutines; internal/lint's test enforces it.
//
// # The world
//
// A World holds nodes (AddNode with a Boot function that builds the node's software, again after
// every restart). A node's software dials and accepts connections (Node.Dial, Node.Listen,
// ConnHandler), arms timers (Node.After, Node.NewTimer), writes and syncs files on its Disk, and
// spawns processes (Node.Spawn). The harness injects faults: Crash, Restart, Pause, Resume,
// Partition, PartitionOneWay, Isolate, Bridge, Heal, ClogLink, ClogNode, ResetLink, SetFilter,
// and the disk's LoseNextSyncs, CorruptNextCrash and Wipe. Options.Validate rejects bad options
// with an error naming the field; fault calls with unknown nodes return errors; misuse of the API
// by the code under test (scheduling in the past, completing a future twice) panics.
//
// # What a connection promises
//
// Messages on one connection arrive in order, each after a latency drawn for it, and never
// overtake one another. When a connection breaks (a crash, a partition, a reset), everything in
// flight is lost and each end learns of it after the detection delay; nothing sent before a break
// arrives after it. Messages are copied, so nodes share no memory: the sender may reuse its buffer
// as soon as Send returns, and the receiver may use a message only until its Received returns
// (the kernel recycles the copy's buffer, overwritten with garbage, for a later message; copy or
// decode what you keep). UnsafeReorder and UnsafeDuplicate break FIFO on purpose, for protocol
// variants only.
//
// # What a disk promises
//
// A write is visible to reads at once and survives a crash only once an fsync covering it has
// completed. A crash loses the rest (LoseUnsynced) or keeps a random torn prefix of it
// (TornUnsynced); a lost fsync (a fault) reports success and persists nothing; a corrupted tail
// (a fault) lands the write in flight as garbage, which the reader's checksums must catch.
package sim
