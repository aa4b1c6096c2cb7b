package lint

import (
	"fmt"
	"go/ast"
	"go/token"
	"strconv"
)

// Import paths of the packages the contract watches.
const (
	pathTime       = "time"
	pathRand       = "math/rand"
	pathRandV2     = "math/rand/v2"
	pathCryptoRand = "crypto/rand"
	pathIter       = "iter"
)

// processFile is the kernel's process machinery, the one place allowed to
// start goroutines and coroutines: it hands control between them and the
// event loop explicitly, so their interleaving is fixed.
const processFile = "sim/process.go"

// wallClock lists the functions of package time that read or wait on real
// time. Types, constants and methods on values (time.Duration,
// time.Millisecond, t.Add) are pure and stay allowed.
var wallClock = map[string]bool{
	"Now": true, "Sleep": true, "After": true, "AfterFunc": true,
	"Since": true, "Until": true, "NewTimer": true, "NewTicker": true,
	"Tick": true,
}

// seededRand lists the exported names of math/rand and math/rand/v2 that do
// not touch the global source: constructors of explicitly seeded generators
// and the types they return. Every other exported name in those packages is
// a package-level function drawing from (or reseeding) the global source.
var seededRand = map[string]bool{
	"New": true, "NewSource": true, "NewPCG": true, "NewChaCha8": true, "NewZipf": true,
	"Rand": true, "Source": true, "Source64": true, "PCG": true, "ChaCha8": true, "Zipf": true,
}

// coroutines lists the functions of package iter that start a coroutine.
var coroutines = map[string]bool{"Pull": true, "Pull2": true}

// checker accumulates the findings for one file.
type checker struct {
	fset     *token.FileSet
	relPath  string
	kernel   bool              // the file is sim/process.go
	imported map[string]string // local package name -> watched import path
	findings []Finding
}

// CheckFile checks one parsed file against the determinism contract and
// returns its findings, sorted by position. relPath is the file's path
// relative to the repository root with forward slashes; it names the file in
// the findings and decides the sim/process.go exception. Escape-hatch
// comments are honoured (see the package documentation).
func CheckFile(fset *token.FileSet, f *ast.File, relPath string) []Finding {
	c := &checker{
		fset:     fset,
		relPath:  relPath,
		kernel:   relPath == processFile,
		imported: map[string]string{},
	}
	c.checkImports(f)
	c.checkBody(f)
	findings := applyEscapeHatches(c.findings, escapeHatches(fset, f, relPath))
	sortFindings(findings)
	return findings
}

// report records a finding at pos.
func (c *checker) report(pos token.Pos, rule, format string, args ...any) {
	p := c.fset.Position(pos)
	p.Filename = c.relPath
	c.findings = append(c.findings, Finding{Pos: p, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// checkImports records the local names of watched packages, so that aliased
// uses are recognised, and reports imports that are violations by
// themselves: crypto/rand, and dot-imports that would hide forbidden calls
// from this syntactic check.
func (c *checker) checkImports(f *ast.File) {
	for _, spec := range f.Imports {
		path, err := strconv.Unquote(spec.Path.Value)
		if err != nil || !watched(path) {
			continue
		}
		if path == pathCryptoRand {
			c.report(spec.Pos(), RuleCryptoRand,
				"import of crypto/rand: OS entropy cannot be replayed from the run's seed")
			// Still record the name, so every use is reported too.
		}
		name := defaultName(path)
		if spec.Name != nil {
			name = spec.Name.Name
		}
		switch name {
		case "_":
			continue
		case ".":
			c.checkDotImport(spec, path)
			continue
		}
		c.imported[name] = path
	}
}

// checkDotImport reports a dot-import of a watched package: its functions
// would be called unqualified and escape detection.
func (c *checker) checkDotImport(spec *ast.ImportSpec, path string) {
	rule := ""
	switch path {
	case pathTime:
		rule = RuleWallClock
	case pathRand, pathRandV2:
		rule = RuleGlobalRand
	case pathIter:
		if c.kernel {
			return
		}
		rule = RuleGoroutine
	default:
		return // crypto/rand: the import itself is already reported
	}
	c.report(spec.Pos(), rule, "dot-import of %q hides calls this check must see; import it by name", path)
}

// checkBody walks the file for go statements and uses of watched packages.
func (c *checker) checkBody(f *ast.File) {
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			if !c.kernel {
				c.report(n.Go, RuleGoroutine,
					"go statement starts a goroutine that races the event loop; only %s may start goroutines", processFile)
			}
		case *ast.SelectorExpr:
			c.checkSelector(n)
		}
		return true
	})
}

// checkSelector reports a reference pkg.Name to a forbidden function of a
// watched package. References are reported whether or not they are called
// (f := time.Now is as bad as time.Now()).
func (c *checker) checkSelector(sel *ast.SelectorExpr) {
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return
	}
	path, ok := c.imported[id.Name]
	if !ok {
		return
	}
	name := sel.Sel.Name
	switch path {
	case pathTime:
		if wallClock[name] {
			c.report(sel.Pos(), RuleWallClock,
				"time.%s reads or waits on the wall clock; use the simulated clock", name)
		}
	case pathRand, pathRandV2:
		if ast.IsExported(name) && !seededRand[name] {
			c.report(sel.Pos(), RuleGlobalRand,
				"%s.%s uses the global random source; draw from the run's seeded *rand.Rand", path, name)
		}
	case pathCryptoRand:
		c.report(sel.Pos(), RuleCryptoRand,
			"crypto/rand.%s reads OS entropy, which the run's seed cannot replay", name)
	case pathIter:
		if coroutines[name] && !c.kernel {
			c.report(sel.Pos(), RuleGoroutine,
				"iter.%s starts a coroutine outside the kernel; only %s may start coroutines", name, processFile)
		}
	}
}

// watched reports whether the import path is one the contract restricts.
func watched(path string) bool {
	switch path {
	case pathTime, pathRand, pathRandV2, pathCryptoRand, pathIter:
		return true
	}
	return false
}

// defaultName is the name a watched package is referred to by when imported
// without an alias. math/rand/v2 is "rand": the major-version suffix is not
// part of the name.
func defaultName(path string) string {
	switch path {
	case pathRand, pathRandV2, pathCryptoRand:
		return "rand"
	}
	return path
}
