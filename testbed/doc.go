// Package testbed joins a run and its checks: Run executes a scenario with a seed on the
// simulated ensemble (sim/cluster) and judges the history with every checker of package
// models; Check judges a history that was saved; a failing run is saved as a history file and
// names the one command that replays it (DESIGN.md "Runs, faults and phases", "histories and
// models").
//
// It sits above both sim/cluster and models, which must not know each other: the runner
// records, the checkers never run inside the simulated world. The command line (cmd/zoosim),
// the fixed-seed sweeps in `go test`, and later the recipes all need the same "run, then check
// everything, then say how to replay" step, so it lives here once instead of in each of them.
//
// Nothing here runs inside the simulated world: a run is finished before any checker sees its
// history, and checkers may use wall-clock timeouts (porcupine's).
package testbed
