package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"zoosim/recipes"
	"zoosim/sim/cluster"
)

// zoosim recipes lists every recipe workload with its checker, and every flaw with the checker
// that catches it; --json the same, each flaw with its catching scenario.
func TestRecipesCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"recipes"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d:\n%s%s", code, out.String(), errb.String())
	}
	for _, k := range cluster.RecipeKinds() {
		if !strings.Contains(out.String(), "\n"+string(k)+" ") {
			t.Errorf("recipe %s is not listed:\n%s", k, out.String())
		}
	}
	for _, f := range recipes.AllFlaws() {
		if !strings.Contains(out.String(), string(f.Flaw)+" ") || !strings.Contains(out.String(), f.Rule) {
			t.Errorf("flaw %s is not listed with its rule:\n%s", f.Flaw, out.String())
		}
	}
	out.Reset()
	if code := run([]string{"recipes", "--json"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got struct {
		Recipes []recipeJSON `json:"recipes"`
		Flaws   []flawJSON   `json:"flaws"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Recipes) != len(cluster.RecipeKinds()) || len(got.Flaws) != len(recipes.AllFlaws()) {
		t.Fatalf("--json lists %d recipes and %d flaws, want %d and %d", len(got.Recipes), len(got.Flaws), len(cluster.RecipeKinds()), len(recipes.AllFlaws()))
	}
	for _, f := range got.Flaws {
		if f.Checker == "" || len(f.Scenario.RecipeFlaws) != 1 || string(f.Scenario.RecipeFlaws[0]) != f.Flaw {
			t.Errorf("flaw %s: checker %q, scenario flaws %v: want its catch", f.Flaw, f.Checker, f.Scenario.RecipeFlaws)
		}
	}
}

// --recipe runs a recipe workload, --recipe-flaw breaks it and the run fails with the recipe's
// checker; the replay command carries both flags.
func TestRecipeFlags(t *testing.T) {
	var out, errb bytes.Buffer
	args := []string{"run", "--seed", "1", "--duration", "5s", "--recipe", "lock", "--out", t.TempDir()}
	if code := run(args, &out, &errb); code != exitOK {
		t.Fatalf("exit %d:\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "\nlocks ") || !strings.Contains(out.String(), `"mix":{"lock":1}`) {
		t.Fatalf("a --recipe lock run without the lock workload or its checker:\n%s", out.String())
	}
	out.Reset()
	args = append(args[:len(args)-2], "--recipe-flaw", "lock-skip-predecessor", "--out", t.TempDir())
	if code := run(args, &out, &errb); code != exitViolation {
		t.Fatalf("a flawed lock: exit %d, want %d:\n%s", code, exitViolation, out.String())
	}
	if !strings.Contains(out.String(), "--recipe lock --recipe-flaw lock-skip-predecessor") {
		t.Fatalf("the replay command lacks the recipe flags:\n%s", out.String())
	}
	for _, bad := range [][]string{{"run", "--recipe", "nope"}, {"run", "--recipe", ","}, {"run", "--mix", "lock=-1"},
		{"run", "--mix", "bogus"}, {"run", "--recipe-flaw", "nope"}, {"recipes", "extra"}} {
		var o, e bytes.Buffer
		if code := run(bad, &o, &e); code != exitUsage || strings.Count(e.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, error %q: want exit %d and one line", bad, code, e.String(), exitUsage)
		}
	}
}
