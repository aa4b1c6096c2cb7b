package main

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"zoosim/recipes"
	"zoosim/sim/cluster"
	"zoosim/testbed"
)

func init() {
	register(command{name: "recipes", run: recipesCommand, usage: "recipes [--json]"})
}

// recipeJSON is one recipe workload in `zoosim recipes --json`.
type recipeJSON struct {
	Workload string `json:"workload"`
	// Checkers are the recipe checkers that judge its runs, with their rules.
	Checkers []checkerJSON `json:"checkers"`
}

type checkerJSON struct {
	Name string `json:"name"`
	Rule string `json:"rule"`
}

// flawJSON is one recipe flaw in `zoosim recipes --json`.
type flawJSON struct {
	Flaw   string `json:"flaw"`
	Recipe string `json:"recipe"`
	Rule   string `json:"rule"`
	// Checker is the checker expected to catch it (testbed.FlawCatches); Scenario, flaw on, is
	// a scenario on which a fixed-seed sweep catches it.
	Checker  string           `json:"checker"`
	Scenario cluster.Scenario `json:"scenario"`
}

// recipesCommand is `zoosim recipes`: the recipe workloads with the checkers that judge them,
// and the recipe flaws with the rule each breaks and the checker that catches it.
func recipesCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zoosim recipes", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print a JSON object: the recipes and the flaws, each flaw with its catching scenario")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "zoosim recipes: %v (%s)\n", err, usage())
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "zoosim recipes: unexpected argument %q (%s)\n", fs.Arg(0), usage())
		return exitUsage
	}
	var list struct {
		Recipes []recipeJSON `json:"recipes"`
		Flaws   []flawJSON   `json:"flaws"`
	}
	for _, k := range cluster.RecipeKinds() {
		r := recipeJSON{Workload: string(k)}
		for _, c := range testbed.Checkers() {
			if c.Workload == k {
				r.Checkers = append(r.Checkers, checkerJSON{Name: c.Name, Rule: c.Rule})
			}
		}
		list.Recipes = append(list.Recipes, r)
	}
	catches := testbed.FlawCatches()
	for _, f := range recipes.AllFlaws() {
		fj := flawJSON{Flaw: string(f.Flaw), Recipe: f.Recipe, Rule: f.Rule}
		for _, c := range catches {
			if c.Flaw == f.Flaw {
				fj.Checker, fj.Scenario = c.Checker, c.Flawed()
			}
		}
		list.Flaws = append(list.Flaws, fj)
	}
	if *asJSON {
		if err := writeJSON(stdout, list); err != nil {
			fmt.Fprintf(stderr, "zoosim recipes: %v\n", err)
			return exitUsage
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RECIPE\tCHECKER\tRULE")
	for _, r := range list.Recipes {
		for _, c := range r.Checkers {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Workload, c.Name, c.Rule)
		}
	}
	fmt.Fprintln(tw, "\t\t")
	fmt.Fprintln(tw, "FLAW\tCAUGHT BY\tWHAT IT BREAKS")
	for _, f := range list.Flaws {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Flaw, f.Checker, f.Rule)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "zoosim recipes: %v\n", err)
		return exitUsage
	}
	fmt.Fprintln(stdout, "\nrun one: go run ./cmd/zoosim run --recipe RECIPE [--recipe-flaw FLAW] (zoosim sweep takes the same flags)")
	return exitOK
}
