package testbed

import (
	"zoosim/histories"
	"zoosim/models"
	"zoosim/recipes"
	"zoosim/sim/cluster"
)

func init() {
	registerRecipeChecker(Checker{Name: models.CheckerElections, Workload: cluster.WorkloadElection,
		Rule: "at most one leader per election among live sessions, tokens increasing; a new leader within a bound of the old one's end while candidates live and the ensemble is calm (recipes.Election)",
		check: func(h *histories.History, _ cluster.Scenario, _ CheckOptions) models.Verdict {
			return models.CheckElections(h, models.ElectionOptions{})
		}})
	sc := cluster.RecipeScenario(cluster.WorkloadElection)
	registerFlawCatch(FlawCatch{Flaw: recipes.FlawElectionLeadAtOnce, Checker: models.CheckerElections, Scenario: sc})
	registerFlawCatch(FlawCatch{Flaw: recipes.FlawElectionResignKeepsNode, Checker: models.CheckerElections, Scenario: sc})
}
