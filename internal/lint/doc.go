// Package lint guards the determinism contract of the simulated world.
//
// zoosim promises that one seed plus one commit determines a run bit for
// bit: a failing run found by a fuzzer or a CI job can be replayed exactly,
// as many times as needed, on any machine. That promise only holds if every
// source of nondeterminism inside the simulated world flows through the
// simulation kernel. Three things quietly break it:
//
//   - the wall clock (time.Now, time.Sleep, time.After, timers and
//     tickers), because real time differs on every run and on every machine;
//   - global randomness (the package-level functions of math/rand and
//     math/rand/v2, and anything from crypto/rand), because the global
//     source is not derived from the run's seed;
//   - goroutines and coroutines (go statements, iter.Pull, iter.Pull2),
//     because the Go scheduler interleaves them with the event loop in an
//     order nobody controls. Only the kernel's own process machinery in
//     sim/process.go may start them, since it hands control back and forth
//     explicitly.
//
// The contract covers the non-test Go files in the folders listed in
// [SimulatedWorld] and their subfolders. Code outside them (command-line
// tools, test harnesses, _test.go files, testdata) lives in the real world
// and may use the clock freely.
//
// The check is purely syntactic (go/ast, no type checking), so it stays fast
// and dependency-free. It honours import aliases and reports dot-imports of
// the watched packages, because those would hide the calls it looks for. It
// does not try to detect a local variable shadowing a package name.
//
// # Escape hatch
//
// A justified exception is written down on the offending line:
//
//	fmt.Println(time.Now()) // determinism: ok: debug-only dump, never in a run
//
// The comment must give a reason after "determinism: ok"; the reason is what
// a reviewer reads when deciding whether the exception still holds. A bare
// "// determinism: ok" suppresses nothing and is itself reported.
//
// # Enforcement
//
// TestSimulatedWorldIsDeterministic in this package runs [CheckTree] over the
// repository, so `go test ./...` fails as soon as a violation lands.
package lint
