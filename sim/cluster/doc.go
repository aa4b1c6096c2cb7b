// Package cluster runs a ZooKeeper ensemble on the simulation kernel: zab servers and zab/client
// clients as real code on sim nodes, with the helpers a test or a scenario needs to drive them
// (find the leader, wait for a stable ensemble, crash and restart servers, compare replicas).
//
// It is the only package where the kernel (sim) and the server (zab) meet (DESIGN.md, "Layers"):
// zab is a pure state machine that never sees a connection, a timer or a disk, and sim knows
// nothing of ZooKeeper. The glue lives here:
//
//   - Server hosts one zab.Peer on a sim.Node. Its boot function (run again after every restart)
//     recovers the peer from the node's disk through zab/storage, and after every input to the
//     peer it executes the peer's Ready exactly as zab.Ready's doc orders: disk operations, then
//     sends, then the fsync whose completion releases AfterSync and calls Peer.Synced. One sim
//     timer, re-armed after every input, calls Peer.Tick at Peer.Deadline.
//   - Each server listens on three ports, as ZooKeeper does: election (3888, Fast Leader Election
//     notifications, one outgoing connection per peer with a small send queue), quorum (2888,
//     leader/learner packets) and client (2181).
//   - A client node carries one zab/client Client: its Env is the node (clock, timers, dials to
//     the servers' client ports, the node's random stream), and its blocking Session parks a
//     simulated process (NewWaiter: sim.NewFuture and sim.Await).
//   - Ensemble builds a world with N servers and offers Leader, RunUntilStable, NewClient, Spawn,
//     Crash, Restart, Digests and Converged.
//
// # Runs
//
// On top of the ensemble, Run turns a seeded Scenario into a recorded histories.History
// (DESIGN.md "Runs, faults and phases"):
//
//   - Scenario (scenario.go) is the run's data: ensemble size, clients, workload mix, fault plan
//     or explicit schedule, variants, phase durations, latency and disk models. It encodes as
//     JSON and ParseScenario reads it back; DefaultScenario and SweepScenario are the presets,
//     and Swarm (swarm.go) draws a whole scenario from a seed.
//   - The fault plan becomes an explicit schedule first (schedule.go: FaultSpec, Target), drawn
//     from the run's "faults" stream; the injector (faults.go) executes it, resolving targets
//     such as "the leader" when each fault starts, and records every fault's start and end.
//     Crash triggers live in the host: after a Ready that appended to the log has been sent,
//     before its fsync starts (crash-after-write, corrupt tails), and after a Ready that sent a
//     new PROPOSAL (crash the proposing leader).
//   - Workloads (workload.go) run one simulated process per client slot over a blocking
//     client.Session; a slot's client may be closed, expire or be killed and replaced.
//   - Observers (record.go) feed a histories.Recorder from every client instance and every
//     server host without touching the kernel, so recording leaves the trace hash alone.
//   - Run (run.go) waits for a stable ensemble, creates the workloads' skeleton, runs the safety
//     phase with the schedule, heals every fault and requires convergence within the liveness
//     bound.
//
// A server that cannot start (its disk fails B1's startup checks) or whose storage fails stays
// visible: Server.Errors and Server.Status say why, and Server.Peer is nil. Options.TraceReady
// adds every Ready the hosts execute to the world's trace, for debugging a run.
//
// Virtual time crosses the boundary as time.Duration since the start of the world (sim.Time is
// nanoseconds since the start of the run), so the peer's clock and the kernel's agree exactly.
//
// Server ids: the server with index i (0-based, the order servers were added to the world) has
// myid i+1 (wire.ServerID), as ZooKeeper numbers its servers from 1. The roster type is the one
// place that maps sim.NodeID to wire.ServerID and back.
package cluster
