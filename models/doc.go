// Package models checks a run's history against ZooKeeper's contract (zookeeper.md A8-A10 and
// B6; DESIGN.md "histories and models"). Each checker is a function from a histories.History to
// a Verdict: Pass, Fail with the violations it found, or Inconclusive when it cannot decide,
// which is never reported as a pass.
//
// Checkers run after a run, outside the simulated world; none feeds back into a run. Each one
// is shown by a test to catch a planted violation.
package models
