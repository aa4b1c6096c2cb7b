// Package zab is zoosim's ZooKeeper server: Fast Leader Election, ZAB's discovery,
// synchronization and broadcast, the request pipeline, sessions and watches (zookeeper.md
// parts A9–A13 and B).
//
// # Shape
//
// A Peer is a pure state machine in the style of etcd raft's RawNode. Inputs are method calls:
// election notifications, quorum packets and connection changes, client frames and connection
// changes, ticks, and disk completions (Synced). Every input takes the current virtual time as an
// argument; the Peer reads no clock, starts no goroutine and draws randomness only from the
// function its Config gives it. Outputs leave as data: Ready says what to write to the disk, whether
// to fsync, what to send now, and what to send only after that fsync completed. The rule "persist
// before acknowledging" (zookeeper.md B5: "Acknowledgement means the server has recorded the
// proposal to persistent storage") lives in Ready.AfterSync, and the simulated disk punishes a host
// or a variant that breaks it.
//
// The host (sim/cluster, in simulation) owns connections, timers and the disk: after every input
// it takes Ready, executes it in order, and re-arms one timer at Deadline.
//
// # Variants
//
// Config.Variants names deliberate protocol flaws (Variant); each documents the rule it breaks.
// The zero Config runs the correct protocol.
package zab
