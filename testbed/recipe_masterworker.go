package testbed

import (
	"time"

	"zoosim/histories"
	"zoosim/models"
	"zoosim/recipes"
	"zoosim/sim/cluster"
)

func init() {
	registerRecipeChecker(Checker{Name: models.CheckerMasterWorker, Workload: cluster.WorkloadMasterWorker,
		Rule: "each task in one place at a time and executed only by its assignee; no task left with a gone worker, and none left undone, while a master and a worker live (recipes.Master, recipes.Worker)",
		check: func(h *histories.History, sc cluster.Scenario, _ CheckOptions) models.Verdict {
			// The workloads stop at the end of the cooldown: nothing is owed after it.
			stop := h.Liveness.Healed + histories.Time(time.Duration(sc.Cooldown))
			return models.CheckMasterWorker(h, models.MasterWorkerOptions{Stop: stop})
		}})
	sc := cluster.MasterWorkerScenario()
	registerFlawCatch(FlawCatch{Flaw: recipes.FlawMasterWorkerNoReassign, Checker: models.CheckerMasterWorker, Scenario: sc})
	registerFlawCatch(FlawCatch{Flaw: recipes.FlawMasterWorkerEmptyTakeover, Checker: models.CheckerMasterWorker, Scenario: sc})
}
