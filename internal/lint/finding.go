package lint

import (
	"cmp"
	"fmt"
	"go/token"
	"slices"
)

// Rule names, one per way of breaking determinism. They are stable so that
// tests and tooling can match on them.
const (
	RuleWallClock  = "wall-clock"
	RuleGlobalRand = "global-rand"
	RuleCryptoRand = "crypto-rand"
	RuleGoroutine  = "goroutine"
	RuleEscape     = "escape-hatch"
)

// Finding is one violation of the determinism contract.
type Finding struct {
	// Pos locates the violation; Pos.Filename is relative to the checked
	// root and uses forward slashes, so output is the same on every OS.
	Pos     token.Position
	Rule    string
	Message string
}

// String renders the finding as file:line:col: message, the format editors
// and terminals turn into clickable links.
func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", f.Pos.Filename, f.Pos.Line, f.Pos.Column, f.Message)
}

// sortFindings orders findings by file, line and column (then rule and
// message, to break ties) so that output never depends on walk order.
func sortFindings(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Pos.Filename, b.Pos.Filename),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Message, b.Message),
		)
	})
}
