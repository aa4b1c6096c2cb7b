package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"zoosim/sim/cluster"
	"zoosim/testbed"
	"zoosim/zab"
)

func init() {
	register(command{name: "variants", run: variantsCommand, usage: "variants [--json]"})
}

// variantJSON is one variant in `zoosim variants --json`.
type variantJSON struct {
	Variant string `json:"variant"`
	// Rule is the rule the variant breaks (zab.Variant.Rule).
	Rule string `json:"rule"`
	// Checker is the checker expected to catch it, CheckerRule what that checker holds a history
	// to, and Why how the flaw shows to it (testbed.VariantCatches).
	Checker     string `json:"checker"`
	CheckerRule string `json:"checker_rule"`
	Why         string `json:"why"`
	// Scenario is the scenario, variant on, on which a fixed-seed sweep catches it (a scenario
	// file for `zoosim run --scenario`).
	Scenario cluster.Scenario `json:"scenario"`
}

// variantsCommand is `zoosim variants`: every protocol variant (zab.Variants), the rule it
// breaks and the checker expected to catch it (testbed.VariantCatches, the table the variants
// test holds each variant to).
func variantsCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zoosim variants", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print a JSON array, each variant with its catching scenario")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "zoosim variants: %v (%s)\n", err, usage())
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "zoosim variants: unexpected argument %q (%s)\n", fs.Arg(0), usage())
		return exitUsage
	}
	list, err := variantList()
	if err != nil {
		fmt.Fprintf(stderr, "zoosim variants: %v\n", err)
		return exitUsage
	}
	if *asJSON {
		if err := writeJSON(stdout, list); err != nil {
			fmt.Fprintf(stderr, "zoosim variants: %v\n", err)
			return exitUsage
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIANT\tCAUGHT BY\tRULE IT BREAKS")
	for _, v := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Variant, v.Checker, v.Rule)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "zoosim variants: %v\n", err)
		return exitUsage
	}
	fmt.Fprintln(stdout)
	for _, v := range list {
		fmt.Fprintf(stdout, "%s: %s\n", v.Variant, v.Why)
	}
	fmt.Fprintln(stdout, "\nrun one: go run ./cmd/zoosim run --variant VARIANT (zoosim variants --json has the scenario that catches each)")
	return exitOK
}

// variantList is every variant of zab.Variants, in its order, with its catch.
func variantList() ([]variantJSON, error) {
	catches := testbed.VariantCatches()
	checkers := testbed.Checkers()
	var out []variantJSON
	for _, v := range zab.Variants() {
		i := slices.IndexFunc(catches, func(c testbed.VariantCatch) bool { return c.Variant == v })
		if i < 0 {
			return nil, fmt.Errorf("variant %s has no catch in testbed.VariantCatches", v)
		}
		c := catches[i]
		j := slices.IndexFunc(checkers, func(k testbed.Checker) bool { return k.Name == c.Checker })
		if j < 0 {
			return nil, fmt.Errorf("variant %s: checker %q is not in testbed.Checkers", v, c.Checker)
		}
		out = append(out, variantJSON{Variant: string(v), Rule: v.Rule(), Checker: c.Checker,
			CheckerRule: checkers[j].Rule, Why: c.Why, Scenario: c.Flawed()})
	}
	return out, nil
}
