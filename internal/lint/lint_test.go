package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSimulatedWorldIsDeterministic is the real guard: it fails as soon as
// code inside the simulated world breaks the determinism contract.
func TestSimulatedWorldIsDeterministic(t *testing.T) {
	root := repoRoot(t)
	findings, err := CheckTree(root, SimulatedWorld)
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d determinism violation(s) in the simulated world (%s):\n",
		len(findings), strings.Join(SimulatedWorld, ", "))
	for _, f := range findings {
		fmt.Fprintf(&b, "  %s [%s]\n", f, f.Rule)
	}
	b.WriteString("Route time and randomness through the simulation kernel and start processes via sim/process.go.\n" +
		"For a justified exception, end the offending line with `// determinism: ok: <reason>`.")
	t.Error(b.String())
}

// repoRoot walks up from the working directory to the folder holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod found above the test's working directory")
		}
		dir = parent
	}
}

// TestPlantedViolations plants small files in a scratch tree and checks that
// exactly the expected findings come out. Each want entry reads
// "rule file:line".
func TestPlantedViolations(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name: "time.Now via alias",
			files: map[string]string{"sim/x.go": `package sim

import t "time"

func now() t.Time { return t.Now() }
`},
			want: []string{"wall-clock sim/x.go:5"},
		},
		{
			name: "time.Sleep, time.After, time.NewTicker",
			files: map[string]string{"zab/y.go": `package zab

import "time"

func wait() {
	time.Sleep(time.Second)
	<-time.After(time.Second)
	tk := time.NewTicker(time.Second)
	tk.Stop()
}
`},
			want: []string{"wall-clock zab/y.go:6", "wall-clock zab/y.go:7", "wall-clock zab/y.go:8"},
		},
		{
			name: "referring to a wall-clock function without calling it",
			files: map[string]string{"tree/clock.go": `package tree

import "time"

var clock = time.Now
`},
			want: []string{"wall-clock tree/clock.go:5"},
		},
		{
			name: "time types, constants and methods on values are fine",
			files: map[string]string{"sim/x.go": `package sim

import "time"

const tick = 10 * time.Millisecond

func later(at time.Time, d time.Duration) (time.Time, float64) {
	var tm *time.Timer
	_ = tm
	return at.Add(d + tick), d.Seconds()
}
`},
		},
		{
			name: "math/rand package-level function",
			files: map[string]string{"recipes/sub/z.go": `package sub

import "math/rand"

func pick(n int) int { return rand.Intn(n) }

func seed() { rand.Seed(1) }
`},
			want: []string{"global-rand recipes/sub/z.go:5", "global-rand recipes/sub/z.go:7"},
		},
		{
			name: "math/rand/v2 via alias, seeded generators are fine",
			files: map[string]string{"zab/client/c.go": `package client

import mr "math/rand/v2"

func draw() (int, int, int) {
	r := mr.New(mr.NewPCG(1, 2))
	var _ *mr.Rand = r
	var _ mr.Source = mr.NewChaCha8([32]byte{})
	return r.IntN(3), mr.IntN(3), mr.N[int](5)
}
`},
			want: []string{"global-rand zab/client/c.go:9", "global-rand zab/client/c.go:9"},
		},
		{
			name: "math/rand v1 seeded constructors are fine",
			files: map[string]string{"sim/x.go": `package sim

import "math/rand"

func gen() *rand.Rand {
	r := rand.New(rand.NewSource(7))
	_ = rand.NewZipf(r, 2, 1, 10)
	return r
}
`},
		},
		{
			name: "crypto/rand import and use",
			files: map[string]string{"sim/x.go": `package sim

import (
	crand "crypto/rand"
)

func key(b []byte) { crand.Read(b) }
`},
			want: []string{"crypto-rand sim/x.go:4", "crypto-rand sim/x.go:7"},
		},
		{
			name: "crypto/rand blank import",
			files: map[string]string{"tree/t.go": `package tree

import _ "crypto/rand"
`},
			want: []string{"crypto-rand tree/t.go:3"},
		},
		{
			name: "go statement flagged except in sim/process.go",
			files: map[string]string{
				"sim/x.go": `package sim

func f() {}

func spawn() {
	go f()
}
`,
				"sim/process.go": `package sim

func run(body func()) {
	go body()
}
`,
				"sim/cluster/process.go": `package cluster

func run(body func()) { go body() }
`,
			},
			want: []string{"goroutine sim/cluster/process.go:3", "goroutine sim/x.go:6"},
		},
		{
			name: "iter.Pull flagged except in sim/process.go",
			files: map[string]string{
				"zab/y.go": `package zab

import "iter"

func pull(seq iter.Seq[int], seq2 iter.Seq2[int, int]) {
	next, stop := iter.Pull(seq)
	defer stop()
	_, _ = next()
	_, _ = iter.Pull2(seq2)
}
`,
				"sim/process.go": `package sim

import . "iter"

func pull(seq Seq[int]) {
	next, stop := Pull(seq)
	defer stop()
	next()
}
`,
			},
			want: []string{"goroutine zab/y.go:6", "goroutine zab/y.go:9"},
		},
		{
			name: "dot-import of time",
			files: map[string]string{"sim/x.go": `package sim

import . "time"

func now() Time { return Now() }
`},
			want: []string{"wall-clock sim/x.go:3"},
		},
		{
			name: "dot-import of math/rand/v2 and iter",
			files: map[string]string{"recipes/r.go": `package recipes

import (
	. "iter"
	. "math/rand/v2"
)

var _ Seq[int]
var _ = IntN
`},
			want: []string{"goroutine recipes/r.go:4", "global-rand recipes/r.go:5"},
		},
		{
			name: "tests, testdata, hidden and underscore folders are not checked",
			files: map[string]string{
				"sim/x_test.go":          "package sim\n\nimport \"time\"\n\nvar _ = time.Now()\n",
				"sim/testdata/bad.go":    "package bad\n\nimport \"time\"\n\nvar _ = time.Now()\n",
				"sim/.cache/bad.go":      "package bad\n\nimport \"time\"\n\nvar _ = time.Now()\n",
				"sim/_scratch/bad.go":    "package bad\n\nimport \"time\"\n\nvar _ = time.Now()\n",
				"zab/client/c_test.go":   "package client\n\nfunc f() { go f() }\n",
				"sim/testdata/broken.go": "this is not Go",
			},
		},
		{
			name: "folders outside the simulated world are not checked",
			files: map[string]string{
				"cmd/main.go":      "package main\n\nimport \"time\"\n\nfunc main() { _ = time.Now(); go main() }\n",
				"internal/x/x.go":  "package x\n\nimport \"math/rand\"\n\nvar _ = rand.Int()\n",
				"simulator/s.go":   "package simulator\n\nimport \"time\"\n\nvar _ = time.Now()\n",
				"sim/ok.go":        "package sim\n",
				"recipes/empty.go": "package recipes\n",
			},
		},
		{
			name: "escape hatch with a reason suppresses",
			files: map[string]string{"sim/x.go": `package sim

import (
	"fmt"
	"time"
)

func dump() {
	fmt.Println(time.Now()) // determinism: ok: debug-only dump, never in a run
	fmt.Println(time.Now()) /* determinism: ok - logged for humans only */
	fmt.Println(time.Now())
}
`},
			want: []string{"wall-clock sim/x.go:11"},
		},
		{
			name: "bare escape hatch does not suppress and is reported",
			files: map[string]string{"sim/x.go": `package sim

import "time"

func now() time.Time {
	return time.Now() // determinism: ok
}

func later() time.Time {
	return time.Now() // determinism: ok:
}
`},
			want: []string{
				"wall-clock sim/x.go:6", "escape-hatch sim/x.go:6",
				"wall-clock sim/x.go:10", "escape-hatch sim/x.go:10",
			},
		},
		{
			name: "escape hatch only covers its own line",
			files: map[string]string{"sim/x.go": `package sim

import "time"

// determinism: ok: the next line is not covered
var t0 = time.Now()
`},
			want: []string{"wall-clock sim/x.go:6"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := plant(t, tt.files)
			findings, err := CheckTree(root, SimulatedWorld)
			if err != nil {
				t.Fatal(err)
			}
			if got := summarize(findings); !slices.Equal(got, tt.want) {
				t.Errorf("findings:\n  got  %q\n  want %q\nfull:\n%s", got, tt.want, render(findings))
			}
		})
	}
}

// TestMissingFoldersAreSkipped checks that an empty repository passes: the
// project creates folders only once they hold code.
func TestMissingFoldersAreSkipped(t *testing.T) {
	findings, err := CheckTree(t.TempDir(), slices.Concat(SimulatedWorld, []string{"does/not/exist"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 0 {
		t.Errorf("unexpected findings:\n%s", render(findings))
	}
}

// TestFindingsAreSortedAndFormatted checks the deterministic order across
// files and folders, the String format, and that overlapping folders do not
// report a file twice.
func TestFindingsAreSortedAndFormatted(t *testing.T) {
	root := plant(t, map[string]string{
		"zab/a.go":         "package zab\n\nimport \"time\"\n\nvar _ = time.Since(time.Now())\n",
		"sim/b.go":         "package sim\n\nfunc f() { go f() }\n",
		"sim/cluster/c.go": "package cluster\n\nimport \"math/rand\"\n\nvar _ = rand.Int63()\n",
	})
	findings, err := CheckTree(root, []string{"zab", "sim/cluster", "sim"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"sim/b.go:3:12: go statement starts a goroutine that races the event loop; only sim/process.go may start goroutines",
		"sim/cluster/c.go:5:9: math/rand.Int63 uses the global random source; draw from the run's seeded *rand.Rand",
		"zab/a.go:5:9: time.Since reads or waits on the wall clock; use the simulated clock",
		"zab/a.go:5:20: time.Now reads or waits on the wall clock; use the simulated clock",
	}
	var got []string
	for _, f := range findings {
		got = append(got, f.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSyntaxErrorNamesFile checks that an unparsable file fails the check
// loudly rather than being silently skipped.
func TestSyntaxErrorNamesFile(t *testing.T) {
	root := plant(t, map[string]string{
		"sim/ok.go":         "package sim\n",
		"zab/client/bad.go": "package client\n\nfunc broken( {\n",
	})
	_, err := CheckTree(root, SimulatedWorld)
	if err == nil {
		t.Fatal("CheckTree succeeded on a file with a syntax error")
	}
	if !strings.Contains(err.Error(), "zab/client/bad.go") {
		t.Errorf("error %q does not name zab/client/bad.go", err)
	}
}

// TestHatchReason pins down what counts as a reason.
func TestHatchReason(t *testing.T) {
	tests := []struct {
		text   string
		reason string
		ok     bool
	}{
		{"// determinism: ok: debug dump", "debug dump", true},
		{"// determinism: ok - debug dump", "debug dump", true},
		{"// determinism: ok because tests", "because tests", true},
		{"/* determinism: ok: logged */", "logged", true},
		{"// determinism: ok", "", true},
		{"// determinism: ok:", "", true},
		{"// determinism: ok: ", "", true},
		{"/* determinism: ok */", "", true},
		{"// determinism: okay then", "", false},
		{"// nothing to see", "", false},
	}
	for _, tt := range tests {
		reason, ok := hatchReason(tt.text)
		if reason != tt.reason || ok != tt.ok {
			t.Errorf("hatchReason(%q) = %q, %v; want %q, %v", tt.text, reason, ok, tt.reason, tt.ok)
		}
	}
}

// plant writes files (slash-separated relative paths) under a fresh
// temporary root and returns the root.
func plant(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, src := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// summarize renders findings as "rule file:line" for compact comparison.
func summarize(findings []Finding) []string {
	var out []string
	for _, f := range findings {
		out = append(out, fmt.Sprintf("%s %s:%d", f.Rule, f.Pos.Filename, f.Pos.Line))
	}
	return out
}

// render lists findings one per line for failure messages.
func render(findings []Finding) string {
	var b strings.Builder
	for _, f := range findings {
		fmt.Fprintf(&b, "  %s [%s]\n", f, f.Rule)
	}
	return b.String()
}
