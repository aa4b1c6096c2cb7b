package lint

import (
	"go/ast"
	"go/token"
	"strings"
	"unicode"
	"unicode/utf8"
)

// hatchMarker opens an escape-hatch comment. What follows it is the reason.
const hatchMarker = "determinism: ok"

// hatches holds the escape-hatch comments of one file.
type hatches struct {
	// justified holds the lines carrying a hatch with a reason; findings on
	// those lines are suppressed.
	justified map[int]bool
	// bare holds a finding for each hatch without a reason. An unexplained
	// exception cannot be reviewed, so it suppresses nothing and is reported.
	bare []Finding
}

// escapeHatches collects the escape-hatch comments of f.
func escapeHatches(fset *token.FileSet, f *ast.File, relPath string) hatches {
	h := hatches{justified: map[int]bool{}}
	for _, group := range f.Comments {
		for _, c := range group.List {
			reason, ok := hatchReason(c.Text)
			if !ok {
				continue
			}
			pos := fset.Position(c.Slash)
			if reason != "" {
				h.justified[pos.Line] = true
				continue
			}
			pos.Filename = relPath
			h.bare = append(h.bare, Finding{Pos: pos, Rule: RuleEscape, Message: "determinism: ok needs a reason"})
		}
	}
	return h
}

// hatchReason reports whether the comment text is an escape hatch and, if
// so, the reason it gives (empty for a bare hatch). Separators such as ":"
// or "-" between the marker and the reason do not count as a reason. A word
// merely starting with the marker ("determinism: okay") is not a hatch.
func hatchReason(text string) (reason string, ok bool) {
	text = strings.TrimSuffix(text, "*/")
	i := strings.Index(text, hatchMarker)
	if i < 0 {
		return "", false
	}
	rest := text[i+len(hatchMarker):]
	if r, _ := utf8.DecodeRuneInString(rest); unicode.IsLetter(r) || unicode.IsDigit(r) {
		return "", false
	}
	reason = strings.TrimFunc(rest, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(":-–—,;.", r)
	})
	return reason, true
}

// applyEscapeHatches drops the findings on justified lines and adds a
// finding for every bare hatch.
func applyEscapeHatches(findings []Finding, h hatches) []Finding {
	kept := findings[:0]
	for _, f := range findings {
		if !h.justified[f.Pos.Line] {
			kept = append(kept, f)
		}
	}
	return append(kept, h.bare...)
}
