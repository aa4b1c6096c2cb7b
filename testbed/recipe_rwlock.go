package testbed

import (
	"zoosim/histories"
	"zoosim/models"
	"zoosim/recipes"
	"zoosim/sim/cluster"
)

func init() {
	registerRecipeChecker(Checker{Name: models.CheckerRWLocks, Workload: cluster.WorkloadRWLock,
		Rule: "no writer holds a read-write lock while any other holder does, among live sessions; write fencing tokens strictly increase per lock (recipes.RWLock)",
		check: func(h *histories.History, _ cluster.Scenario, _ CheckOptions) models.Verdict {
			return models.CheckRWLocks(h, models.RWLockOptions{})
		}})
	sc := cluster.RecipeScenario(cluster.WorkloadRWLock)
	registerFlawCatch(FlawCatch{Flaw: recipes.FlawRWLockReaderIgnoresWriters, Checker: models.CheckerRWLocks, Scenario: sc})
	registerFlawCatch(FlawCatch{Flaw: recipes.FlawRWLockWriterIgnoresReaders, Checker: models.CheckerRWLocks, Scenario: sc})
}
