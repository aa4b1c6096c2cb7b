package testbed

import (
	"fmt"
	"slices"
	"testing"

	"zoosim/models"
	"zoosim/recipes"
	"zoosim/sim/cluster"
)

// maxFlawSeeds bounds the sweep that must catch each recipe flaw.
const maxFlawSeeds = 50

// TestRecipeSweeps is the fixed-seed sweep of every recipe workload under the default faults
// (issue 7): each recipe kind alone on cluster.RecipeScenario, then all of them together. Every
// checker must pass, the recipe's own among them. -testbed.seeds=N or ZOOSIM_SWEEP=N runs more.
func TestRecipeSweeps(t *testing.T) {
	seeds := sweepSeeds(t, 8)
	kinds := cluster.RecipeKinds()
	if len(kinds) == 0 {
		t.Fatal("no recipe workload is registered")
	}
	for _, k := range kinds {
		if !slices.ContainsFunc(Checkers(), func(c Checker) bool { return c.Workload == k }) {
			t.Errorf("recipe workload %s has no checker", k)
		}
		sweep(t, string(k), cluster.RecipeScenario(k), seeds)
	}
	all := cluster.RecipeScenario(kinds...)
	sweep(t, "all-recipes", all, max(1, seeds/2))
}

// TestRecipeFlaws checks that every recipe flaw is caught by the checker of the rule it breaks,
// within maxFlawSeeds seeds, and that the correct recipe passes that checker on the same seed.
func TestRecipeFlaws(t *testing.T) {
	cases := FlawCatches()
	for _, f := range recipes.AllFlaws() {
		if !slices.ContainsFunc(cases, func(c FlawCatch) bool { return c.Flaw == f.Flaw }) {
			t.Errorf("flaw %s has no entry in FlawCatches", f.Flaw)
		}
	}
	for _, c := range cases {
		t.Run(string(c.Flaw), func(t *testing.T) {
			t.Parallel()
			opts := Options{Check: CheckOptions{Only: []string{c.Checker}}}
			var caught *models.Verdict
			var seed uint64
			for seed = 1; seed <= maxFlawSeeds && caught == nil; seed++ {
				r, err := Run(c.Flawed(), seed, opts)
				if err != nil {
					t.Fatal(err)
				}
				if v := r.Verdict(c.Checker); v != nil && v.Status == models.Fail {
					caught = v
					break
				}
			}
			if caught == nil {
				t.Fatalf("flaw %s: not caught by checker %s in seeds 1 to %d", c.Flaw, c.Checker, maxFlawSeeds)
			}
			t.Logf("flaw %s: caught by %s at seed %d: %s", c.Flaw, c.Checker, seed, caught.Summary)
			r, err := Run(c.Scenario, seed, opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status() != models.Pass {
				t.Errorf("the correct recipe does not pass checker %s on the scenario and seed that caught %s", c.Checker, c.Flaw)
				reportFailure(t, r)
			}
		})
	}
}

// TestRecipeCheckersSkipOtherRuns checks that a recipe checker runs only on scenarios with its
// recipe (CheckersFor), and when asked for by name.
func TestRecipeCheckersSkipOtherRuns(t *testing.T) {
	for _, c := range CheckersFor(cluster.SweepScenario()) {
		if c.Workload != "" {
			t.Errorf("recipe checker %s runs on the default scenario", c.Name)
		}
	}
	got := CheckersFor(cluster.RecipeScenario(cluster.WorkloadLock))
	if !slices.ContainsFunc(got, func(c Checker) bool { return c.Name == models.CheckerLocks }) {
		t.Errorf("CheckersFor(lock scenario) = %v, want the locks checker among them", names(got))
	}
}

func names(cs []Checker) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.Name)
	}
	return fmt.Sprint(s)
}
