// Package histories holds what a run recorded: the client operations with their invoke and
// return times in virtual time, the watch and session events clients received, the faults with
// their start and end, the servers' role changes, what each server applied and the committed
// log, each server's final state, and samples of the kernel's trace for replay (DESIGN.md,
// "histories and models").
//
// A History is built by a Recorder while the scenario runner (sim/cluster) drives a run, read
// by the checkers (models) and the reports, and stored as JSON lines with a header that holds
// the seed, the whole scenario, the commit and the trace hash. It imports nothing of ours but
// tree's plain value types (requests, results, txns, stats, codes), so every layer above the
// kernel can read it.
//
// # Time and order
//
// Times are virtual nanoseconds since the start of the run. Many records share an instant, so
// every record also takes a Seq when it is recorded: Seq order is the event loop's order, which
// is real-time order. Checkers that need a strict order (porcupine's call and return times)
// use Seqs.
//
// # Outcomes
//
// An op the server answered is OK or Failed (a failed write is a txn that changed nothing, A7.1).
// An op the client failed itself (ConnectionLoss, SessionExpired) or that never returned is
// Unknown: a write may have taken effect at any time after its invoke (tooling.md 1.6).
package histories
