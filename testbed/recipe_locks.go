package testbed

import (
	"zoosim/histories"
	"zoosim/models"
	"zoosim/recipes"
	"zoosim/sim/cluster"
)

func init() {
	registerRecipeChecker(Checker{Name: models.CheckerLocks, Workload: cluster.WorkloadLock,
		Rule: "no two holders of a lock at once while their sessions live; fencing tokens strictly increase per lock (recipes.Lock)",
		check: func(h *histories.History, _ cluster.Scenario, _ CheckOptions) models.Verdict {
			return models.CheckLocks(h, models.LockOptions{})
		}})
	sc := cluster.RecipeScenario(cluster.WorkloadLock)
	registerFlawCatch(FlawCatch{Flaw: recipes.FlawLockSkipPredecessor, Checker: models.CheckerLocks, Scenario: sc})
	registerFlawCatch(FlawCatch{Flaw: recipes.FlawLockWatchFirst, Checker: models.CheckerLocks, Scenario: sc})
}
