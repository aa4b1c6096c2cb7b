package lint

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SimulatedWorld lists the top-level folders whose code runs inside the
// simulation and is therefore bound by the determinism contract. Subfolders
// (sim/cluster, zab/client, ...) are covered too. histories is here because its Recorder runs
// on the event loop while a run records.
var SimulatedWorld = []string{"sim", "zab", "tree", "recipes", "histories"}

// CheckTree checks every non-test Go file under the given folders of root,
// recursively, and returns all findings sorted by file, line and column.
//
// A listed folder that does not exist is skipped: the project creates folders
// only once they hold code, and the guard must not fail before then. Like the
// go tool, the walk ignores testdata folders and folders or files whose names
// start with "." or "_". A file that does not parse is reported as an error
// naming it, since an unparsable file cannot be vouched for.
func CheckTree(root string, dirs []string) ([]Finding, error) {
	fset := token.NewFileSet()
	seen := map[string]bool{} // overlapping dirs must not double-report
	var findings []Finding
	for _, dir := range dirs {
		files, err := goFiles(filepath.Join(root, filepath.FromSlash(dir)))
		if err != nil {
			return nil, err
		}
		for _, path := range files {
			if seen[path] {
				continue
			}
			seen[path] = true
			fs, err := checkPath(fset, root, path)
			if err != nil {
				return nil, err
			}
			findings = append(findings, fs...)
		}
	}
	sortFindings(findings)
	return findings, nil
}

// checkPath parses one file and checks it under its root-relative name.
func checkPath(fset *token.FileSet, root, path string) ([]Finding, error) {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return nil, err
	}
	rel = filepath.ToSlash(rel)
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("lint: parsing %s: %w", rel, err)
	}
	return CheckFile(fset, f, rel), nil
}

// goFiles lists the checkable Go files under dir, or nothing if dir does not
// exist.
func goFiles(dir string) ([]string, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if checkedFile(d.Name()) {
			files = append(files, path)
		}
		return nil
	})
	return files, err
}

// skipDir reports whether a folder holds no simulated-world code: testdata is
// fixture material, and the go tool ignores "." and "_" folders.
func skipDir(name string) bool {
	return name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// checkedFile reports whether a file is production Go code. Tests run in the
// real world and may use the wall clock; "." and "_" files are not built.
func checkedFile(name string) bool {
	return strings.HasSuffix(name, ".go") &&
		!strings.HasSuffix(name, "_test.go") &&
		!strings.HasPrefix(name, ".") &&
		!strings.HasPrefix(name, "_")
}
