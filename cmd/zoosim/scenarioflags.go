package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"zoosim/histories"
	"zoosim/recipes"
	"zoosim/sim/cluster"
	"zoosim/zab"
)

// scenarioFlags are the flags that choose a scenario, shared by every command that runs one
// (run, sweep, compare): a scenario file or the default, then the flags that were set on top.
type scenarioFlags struct {
	fs *flag.FlagSet
	// base is the scenario the flags change when no scenario file is given.
	base     cluster.Scenario
	file     string
	servers  int
	clients  int
	safety   time.Duration
	liveness time.Duration
	faults   string
	variant  string
	swarm    bool
	recipe   string
	mix      string
	flaws    string
}

// addScenarioFlags defines the scenario flags on fs; base is the scenario they change when no
// scenario file is given (a file's missing fields keep cluster.DefaultScenario's).
func addScenarioFlags(fs *flag.FlagSet, base cluster.Scenario) *scenarioFlags {
	f := &scenarioFlags{fs: fs, base: base}
	fs.StringVar(&f.file, "scenario", "", "a scenario file (JSON; fields it leaves out keep the default scenario's)")
	fs.IntVar(&f.servers, "servers", 0, "servers in the ensemble")
	fs.IntVar(&f.clients, "clients", 0, "client workloads")
	fs.DurationVar(&f.safety, "duration", 0, "the safety phase: how long workloads run under faults")
	fs.DurationVar(&f.liveness, "liveness", 0, "the bound on convergence after every fault is healed")
	fs.StringVar(&f.faults, "faults", "", `comma-separated fault kinds to draw, equally weighted ("none" for no faults; see cluster.FaultKinds)`)
	fs.StringVar(&f.variant, "variant", "", "comma-separated protocol variants (zab.Variants; \"\" is the correct protocol)")
	fs.BoolVar(&f.swarm, "swarm", false, "draw the scenario itself from the seed")
	fs.StringVar(&f.recipe, "recipe", "", "comma-separated recipe workloads to run instead (lock, election, queue...; see zoosim recipes): 8 clients each, 4 s sessions")
	fs.StringVar(&f.mix, "mix", "", "the workload mix, KIND=WEIGHT,... (a kind alone weighs 1; see cluster.WorkloadKinds)")
	fs.StringVar(&f.flaws, "recipe-flaw", "", "comma-separated recipe flaws to inject (see zoosim recipes)")
	return f
}

// set reports whether the named flag was given.
func (f *scenarioFlags) set(name string) bool {
	given := false
	f.fs.Visit(func(fl *flag.Flag) { given = given || fl.Name == name })
	return given
}

// scenario is the scenario file's (or the base), with the flags that were given applied,
// validated. Errors are one line naming the flag.
func (f *scenarioFlags) scenario() (cluster.Scenario, error) {
	sc := f.base
	if f.file != "" {
		data, err := os.ReadFile(f.file)
		if err != nil {
			return sc, fmt.Errorf("--scenario: %w", err)
		}
		if sc, err = cluster.ParseScenario(data); err != nil {
			return sc, fmt.Errorf("--scenario %s: %w", f.file, err)
		}
	}
	if f.set("recipe") {
		kinds, err := parseRecipeKinds(f.recipe)
		if err != nil {
			return sc, err
		}
		preset := cluster.RecipeScenario(kinds...)
		sc.Workload.Mix, sc.Clients, sc.SessionTimeout = preset.Workload.Mix, preset.Clients, preset.SessionTimeout
	}
	if f.set("mix") {
		mix, err := parseMix(f.mix)
		if err != nil {
			return sc, err
		}
		sc.Workload.Mix = mix
	}
	if f.set("recipe-flaw") {
		sc.RecipeFlaws = nil
		for _, name := range splitList(f.flaws) {
			fl, err := recipes.ParseFlaw(name)
			if err != nil {
				return sc, fmt.Errorf("--recipe-flaw: %w", err)
			}
			sc.RecipeFlaws = append(sc.RecipeFlaws, fl)
		}
	}
	if f.set("servers") {
		sc.Servers = f.servers
	}
	if f.set("clients") {
		sc.Clients = f.clients
	}
	if f.set("duration") {
		sc.Safety = cluster.Duration(f.safety)
	}
	if f.set("liveness") {
		sc.Liveness = cluster.Duration(f.liveness)
	}
	if f.set("swarm") {
		sc.Swarm = f.swarm
	}
	if f.set("faults") {
		weights, err := parseFaultKinds(f.faults)
		if err != nil {
			return sc, err
		}
		sc.Faults.Weights = weights
	}
	if f.set("variant") {
		vs, err := zab.ParseVariants(f.variant)
		if err != nil {
			return sc, fmt.Errorf("--variant: %w", err)
		}
		sc.Variants = vs
	}
	if err := sc.Validate(); err != nil {
		return sc, err
	}
	return sc, nil
}

// parseRecipeKinds reads --recipe: recipe workload kinds.
func parseRecipeKinds(s string) ([]cluster.WorkloadKind, error) {
	known := cluster.RecipeKinds()
	var kinds []cluster.WorkloadKind
	for _, k := range splitList(s) {
		kind := cluster.WorkloadKind(k)
		if !slices.Contains(known, kind) {
			return nil, fmt.Errorf("--recipe: unknown recipe %q (known: %s)", k, joinNames(known))
		}
		if !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
	}
	if len(kinds) == 0 {
		return nil, fmt.Errorf("--recipe: no recipe given (known: %s)", joinNames(known))
	}
	return kinds, nil
}

// parseMix reads --mix: KIND=WEIGHT pairs, or a KIND alone for weight 1.
func parseMix(s string) (cluster.Mix, error) {
	known := cluster.WorkloadKinds()
	mix := cluster.Mix{}
	for _, item := range splitList(s) {
		name, weight, hasWeight := strings.Cut(item, "=")
		kind := cluster.WorkloadKind(strings.TrimSpace(name))
		if !slices.Contains(known, kind) {
			return nil, fmt.Errorf("--mix: unknown workload %q (known: %s)", name, joinNames(known))
		}
		w := 1
		if hasWeight {
			n, err := strconv.Atoi(strings.TrimSpace(weight))
			if err != nil || n < 0 {
				return nil, fmt.Errorf("--mix: %s=%s: the weight must be a whole number, 0 or more", name, weight)
			}
			w = n
		}
		mix[kind] = w
	}
	if len(mix) == 0 {
		return nil, fmt.Errorf("--mix: no workload given (known: %s)", joinNames(known))
	}
	return mix, nil
}

func joinNames[K ~string](ks []K) string {
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// parseFaultKinds reads --faults: kinds drawn with equal weights, or "none".
func parseFaultKinds(s string) (cluster.FaultWeights, error) {
	weights := cluster.FaultWeights{}
	if strings.TrimSpace(s) == "none" {
		return weights, nil
	}
	known := cluster.FaultKinds()
	for _, k := range splitList(s) {
		kind := histories.FaultKind(k)
		if !slices.Contains(known, kind) {
			names := make([]string, len(known))
			for i, k := range known {
				names[i] = string(k)
			}
			return nil, fmt.Errorf("--faults: unknown fault kind %q (known: %s, or none)", k, strings.Join(names, ", "))
		}
		weights[kind] = 1
	}
	if len(weights) == 0 {
		return nil, fmt.Errorf(`--faults: no fault kind given (use "none" for no faults)`)
	}
	return weights, nil
}

// args are the given scenario flags again, for a command line that reproduces the run.
func (f *scenarioFlags) args() []string {
	var out []string
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "scenario", "servers", "clients", "duration", "liveness", "faults", "variant", "recipe", "mix", "recipe-flaw":
			out = append(out, fmt.Sprintf("--%s %s", fl.Name, shellWord(fl.Value.String())))
		case "swarm":
			out = append(out, "--swarm="+fl.Value.String())
		}
	})
	return out
}

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
