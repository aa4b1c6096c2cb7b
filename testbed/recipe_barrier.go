package testbed

import (
	"zoosim/histories"
	"zoosim/models"
	"zoosim/recipes"
	"zoosim/sim/cluster"
)

func init() {
	registerRecipeChecker(Checker{Name: models.CheckerBarriers, Workload: cluster.WorkloadBarrier,
		Rule: "nobody passes a barrier before N processes of distinct live sessions were present together (recipes.Barrier)",
		check: func(h *histories.History, _ cluster.Scenario, _ CheckOptions) models.Verdict {
			return models.CheckBarriers(h, models.BarrierOptions{})
		}})
	registerFlawCatch(FlawCatch{Flaw: recipes.FlawBarrierPassEarly, Checker: models.CheckerBarriers,
		Scenario: cluster.RecipeScenario(cluster.WorkloadBarrier)})
}
