package testbed

import (
	"zoosim/histories"
	"zoosim/models"
	"zoosim/recipes"
	"zoosim/sim/cluster"
)

func init() {
	registerRecipeChecker(Checker{Name: models.CheckerDoubleBarriers, Workload: cluster.WorkloadDoubleBarrier,
		Rule: "nobody enters before N are present; nobody leaves before everyone who entered before the ready node began to leave or lost its session (recipes.DoubleBarrier)",
		check: func(h *histories.History, _ cluster.Scenario, _ CheckOptions) models.Verdict {
			return models.CheckDoubleBarriers(h, models.DoubleBarrierOptions{})
		}})
	registerFlawCatch(FlawCatch{Flaw: recipes.FlawDoubleBarrierLeaveEarly, Checker: models.CheckerDoubleBarriers,
		Scenario: cluster.RecipeScenario(cluster.WorkloadDoubleBarrier)})
}
