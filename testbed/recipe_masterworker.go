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
			return models.CheckMasterWorker(h, masterWorkerOptions(h, sc))
		}})
	sc := cluster.MasterWorkerScenario()
	registerFlawCatch(FlawCatch{Flaw: recipes.FlawMasterWorkerNoReassign, Checker: models.CheckerMasterWorker, Scenario: sc})
	registerFlawCatch(FlawCatch{Flaw: recipes.FlawMasterWorkerEmptyTakeover, Checker: models.CheckerMasterWorker, Scenario: sc})
}

// masterWorkerOptions fit the checker's bounds to the scenario: the workloads stop at the end of
// the cooldown (nothing is owed after it); a task queued at a worker waits for the tasks before
// it, each a think time of work and a think time between rounds, so the completion bound grows
// with the think time; and a client cut off by a fault may need up to a session timeout to find a
// server again.
func masterWorkerOptions(h *histories.History, sc cluster.Scenario) models.MasterWorkerOptions {
	return models.MasterWorkerOptions{
		Stop:          h.Liveness.Healed + histories.Time(time.Duration(sc.Cooldown)),
		CompleteBound: models.DefaultMasterWorkerCompleteBound + 20*time.Duration(sc.Workload.Think),
		Settle:        max(models.DefaultMasterWorkerSettle, time.Duration(sc.SessionTimeout)),
	}
}
