package testbed

import (
	"zoosim/histories"
	"zoosim/models"
	"zoosim/recipes"
	"zoosim/sim/cluster"
)

func init() {
	registerRecipeChecker(Checker{Name: models.CheckerMembership, Workload: cluster.WorkloadMembership,
		Rule: "every group view is the group's exact membership at its zxid, monotonic per session, holds its own member; settled views no older than the group at their sync (recipes.Group)",
		check: func(h *histories.History, _ cluster.Scenario, _ CheckOptions) models.Verdict {
			return models.CheckMembership(h, models.MembershipOptions{})
		}})
	registerFlawCatch(FlawCatch{Flaw: recipes.FlawMembershipNoRewatch, Checker: models.CheckerMembership,
		Scenario: cluster.RecipeScenario(cluster.WorkloadMembership)})
}
