package testbed

import (
	"zoosim/histories"
	"zoosim/models"
	"zoosim/recipes"
	"zoosim/sim/cluster"
)

func init() {
	registerRecipeChecker(Checker{Name: models.CheckerNaming, Workload: cluster.WorkloadNaming,
		Rule: "every resolved endpoint was registered and listed at the answer's zxid; answers monotonic per session; settled answers exact and no older than the service at their sync (recipes.Service)",
		check: func(h *histories.History, _ cluster.Scenario, _ CheckOptions) models.Verdict {
			return models.CheckNaming(h, models.NamingOptions{})
		}})
	registerFlawCatch(FlawCatch{Flaw: recipes.FlawNamingCacheForever, Checker: models.CheckerNaming,
		Scenario: cluster.RecipeScenario(cluster.WorkloadNaming)})
}
