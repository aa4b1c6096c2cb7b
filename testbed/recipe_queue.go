package testbed

import (
	"zoosim/histories"
	"zoosim/models"
	"zoosim/recipes"
	"zoosim/sim/cluster"
)

func init() {
	registerRecipeChecker(Checker{Name: models.CheckerQueues, Workload: cluster.WorkloadQueue,
		Rule: "each queue item taken at most once, by the session whose delete removed it; every acknowledged item consumed, ambiguous or lost with its consumer; FIFO per consumer (recipes.Queue)",
		check: func(h *histories.History, _ cluster.Scenario, _ CheckOptions) models.Verdict {
			return models.CheckQueues(h, models.QueueOptions{})
		}})
	registerFlawCatch(FlawCatch{Flaw: recipes.FlawQueueIgnoreNoNode, Checker: models.CheckerQueues,
		Scenario: cluster.RecipeScenario(cluster.WorkloadQueue)})
}
