// Package recipes holds the coordination recipes people build on ZooKeeper — locks, read-write
// locks, leader election, group membership, barriers, queues, configuration, naming and
// master-worker task assignment — written on zab/client's blocking Session, for straight-line
// code that runs as a simulated process (DESIGN.md "Processes").
//
// Every recipe states its guarantee in its type's doc, including what a session expiry does to
// it, and is judged under faults by a checker in package models (issue 7): sim/cluster runs each
// recipe as a workload kind and records its steps (histories.RecipeEvent), and the testbed
// sweeps them with crashes, partitions, pauses and expiring sessions.
//
// # Conventions
//
//   - Blocking calls take a *Cancel, this package's context-style cancellation (see Cancel for
//     why not context.Context); nil never cancels. A cancelled call undoes what it started.
//   - No herd effect: a waiter watches the one node whose change concerns it (the lock node just
//     before its own), so a release wakes one waiter, not all.
//   - A ConnectionLoss leaves an operation's outcome unknown (zookeeper.md A5): idempotent calls
//     are retried once the client has reconnected, and a sequential node's name carries a
//     unique prefix so that the recipe finds it rather than creating a second one.
//   - When the session ends, every ephemeral node of the recipe is gone with it (zookeeper.md
//     A9): calls return ErrSessionEnded, and the caller needs a new session.
//   - Flaws (Flaw) break a recipe on purpose, to show that its checker catches the break.
//
// The recipes only use the client API, so they would run unchanged on a real client that
// implemented client.Waiter with a real thread.
package recipes
