package testbed

import (
	"zoosim/histories"
	"zoosim/models"
	"zoosim/recipes"
	"zoosim/sim/cluster"
)

func init() {
	registerRecipeChecker(Checker{Name: models.CheckerConfig, Workload: cluster.WorkloadConfig,
		Rule: "every configuration version read was committed with its data; versions monotonic per session; settled readers no older than the node at their sync (recipes.Config)",
		check: func(h *histories.History, _ cluster.Scenario, _ CheckOptions) models.Verdict {
			return models.CheckConfig(h, models.ConfigOptions{})
		}})
	registerFlawCatch(FlawCatch{Flaw: recipes.FlawConfigNoRewatch, Checker: models.CheckerConfig,
		Scenario: cluster.RecipeScenario(cluster.WorkloadConfig)})
}
