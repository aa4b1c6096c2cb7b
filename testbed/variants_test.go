package testbed

import (
	"slices"
	"testing"

	"zoosim/models"
	"zoosim/sim/cluster"
	"zoosim/zab"
)

// maxVariantSeeds bounds the sweep that must catch each variant (issue 5: "every zab variant is
// caught by a fixed-seed sweep of at most 200 seeds, by the checker that should catch it").
const maxVariantSeeds = 200

// TestVariants checks that every protocol variant is caught: seeds 1 to maxVariantSeeds of the
// variant's scenario run in order, with only the expected checker, until its verdict fails; then
// the same scenario and seed without the variant must pass that checker, so the catch is the
// flaw's and not the checker's (a failing default run is saved under testdata/failures with the
// command that replays it).
func TestVariants(t *testing.T) {
	cases := VariantCatches()
	for _, v := range zab.Variants() {
		if !slices.ContainsFunc(cases, func(c VariantCatch) bool { return c.Variant == v }) {
			t.Errorf("variant %s has no entry in VariantCatches", v)
		}
	}
	for _, c := range cases {
		t.Run(string(c.Variant), func(t *testing.T) {
			t.Parallel()
			if c.Variant.Rule() == "" {
				t.Fatalf("variant %q is not in zab.Variants", c.Variant)
			}
			opts := Options{Check: CheckOptions{Only: []string{c.Checker}}}
			seed, verdict := catchVariant(t, c.Flawed(), opts, c.Checker)
			if verdict == nil {
				t.Fatalf("variant %s: not caught by checker %s in seeds 1 to %d", c.Variant, c.Checker, maxVariantSeeds)
			}
			first := verdict.Summary
			if len(verdict.Violations) > 0 {
				first = verdict.Violations[0].String()
			}
			t.Logf("variant %s: caught by checker %s at seed %d: %s", c.Variant, c.Checker, seed, first)

			correct := c.Scenario
			correct.Variants = nil
			r, err := Run(correct, seed, opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status() != models.Pass {
				t.Errorf("the correct protocol does not pass checker %s on the scenario and seed that caught %s", c.Checker, c.Variant)
				reportFailure(t, r)
			}
		})
	}
}

// catchVariant runs seeds 1 to maxVariantSeeds of sc in order and returns the first seed whose
// verdict of checker is a failure, with that verdict; nil if none failed.
func catchVariant(t *testing.T, sc cluster.Scenario, opts Options, checker string) (uint64, *models.Verdict) {
	t.Helper()
	inconclusive := 0
	for seed := uint64(1); seed <= maxVariantSeeds; seed++ {
		r, err := Run(sc, seed, opts)
		if err != nil {
			t.Fatal(err)
		}
		v := r.Verdict(checker)
		if v == nil {
			t.Fatalf("seed %d: checker %s gave no verdict", seed, checker)
		}
		switch v.Status {
		case models.Fail:
			return seed, v
		case models.Inconclusive:
			inconclusive++
		}
	}
	if inconclusive > 0 {
		t.Logf("checker %s was inconclusive on %d of %d seeds", checker, inconclusive, maxVariantSeeds)
	}
	return 0, nil
}
