package testbed

import (
	"slices"
	"strings"

	"zoosim/recipes"
	"zoosim/sim/cluster"
)

// FlawCatch says how the testbed catches one deliberately broken recipe (recipes.Flaw), as
// VariantCatch does for a protocol variant: the recipe checker whose rule the flaw breaks, and
// the scenario a fixed-seed sweep runs to catch it (TestRecipeFlaws holds every flaw to this).
type FlawCatch struct {
	Flaw recipes.Flaw
	// Checker is the name of the checker that catches the flaw (Checker.Name).
	Checker string
	// Scenario is the scenario the sweep runs, without the flaw (Flawed adds it): the correct
	// recipe must pass the same checker on it.
	Scenario cluster.Scenario
}

// Flawed is the catch's scenario with its flaw on.
func (c FlawCatch) Flawed() cluster.Scenario {
	sc := c.Scenario
	sc.RecipeFlaws = []recipes.Flaw{c.Flaw}
	return sc
}

// flawCatches are the registered catches; each recipe checker's file registers those of its
// recipe's flaws from its init.
var flawCatches []FlawCatch

func registerFlawCatch(c FlawCatch) { flawCatches = append(flawCatches, c) }

// FlawCatches lists the catch of every recipe flaw, sorted by flaw.
func FlawCatches() []FlawCatch {
	out := slices.Clone(flawCatches)
	slices.SortFunc(out, func(a, b FlawCatch) int { return strings.Compare(string(a.Flaw), string(b.Flaw)) })
	return out
}
