package recipes

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Flaw is a deliberate mistake a recipe can be built with, so that a test (or a researcher
// comparing recipes on the same seeds) can show that the recipe checkers in models catch it
// (issue 7: "each recipe checker catches a deliberately broken recipe"). The recipes run
// correctly unless given a flaw; like a protocol variant (zab.Variant) it is a named option,
// never a fork of the code.
type Flaw string

// Flaws is a set of flaws, as a recipe's Flaws field holds them.
type Flaws []Flaw

// Has reports whether f is in the set.
func (fs Flaws) Has(f Flaw) bool { return slices.Contains(fs, f) }

// flawRules says, per flaw, which rule of its recipe it breaks. Each recipe's file registers its
// flaws (registerFlaw) when the package initializes.
var flawRules = map[Flaw]flawInfo{}

type flawInfo struct {
	recipe string // the recipe it breaks (histories.Recipe...)
	rule   string
}

func registerFlaw(f Flaw, recipe, rule string) {
	if _, dup := flawRules[f]; dup {
		panic("recipes: flaw " + string(f) + " registered twice")
	}
	flawRules[f] = flawInfo{recipe: recipe, rule: rule}
}

// FlawInfo describes one flaw for a listing.
type FlawInfo struct {
	Flaw   Flaw
	Recipe string
	Rule   string
}

// AllFlaws lists every flaw, sorted by name.
func AllFlaws() []FlawInfo {
	out := make([]FlawInfo, 0, len(flawRules))
	for f, info := range flawRules {
		out = append(out, FlawInfo{Flaw: f, Recipe: info.recipe, Rule: info.rule})
	}
	slices.SortFunc(out, func(a, b FlawInfo) int { return strings.Compare(string(a.Flaw), string(b.Flaw)) })
	return out
}

// ErrUnknownFlaw is returned by ParseFlaw for a name that is no flaw.
var ErrUnknownFlaw = errors.New("recipes: unknown flaw")

// ParseFlaw checks that name is a flaw.
func ParseFlaw(name string) (Flaw, error) {
	if _, ok := flawRules[Flaw(name)]; ok {
		return Flaw(name), nil
	}
	names := make([]string, 0, len(flawRules))
	for _, f := range AllFlaws() {
		names = append(names, string(f.Flaw))
	}
	return "", fmt.Errorf("%w %q (the flaws are %s)", ErrUnknownFlaw, name, strings.Join(names, ", "))
}
