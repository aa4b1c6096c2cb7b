package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"zoosim/sim/cluster"
	"zoosim/testbed"
)

func init() {
	register(command{name: "merge", run: mergeCommand, usage: "merge [--out DIR] [--json] SWEEP-FOLDER..."})
}

// sweepFolder is what one `zoosim sweep` wrote: its summary and its outcomes.
type sweepFolder struct {
	dir      string
	summary  sweepSummary
	outcomes []testbed.Outcome
}

// shardOf is the folder's share of the sweep (all of it, 0/1, when it was not sharded).
func (f *sweepFolder) shardOf() shardSpec {
	if f.summary.Shard == nil {
		return shardSpec{0, 1}
	}
	return *f.summary.Shard
}

// mergeCommand is `zoosim merge`: the shards of one sweep (each a folder `zoosim sweep --shard`
// wrote, or a folder holding them, such as the volume an Indexed Job's pods shared) joined into
// one summary, and with --out into one sweep folder. Folders of different sweeps (another
// scenario, seed range, shard count or checker set), a shard given twice or a seed in two
// folders are errors; shards of different commits, missing shards and seeds that did not run
// are warnings, and a merge with seeds missing exits 1, as the sweep would have.
func mergeCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zoosim merge", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("out", "", "write the merged outcomes.jsonl and summary.json into this folder")
	asJSON := fs.Bool("json", false, "print the merged summary as JSON instead of text")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "zoosim merge: %v (%s)\n", err, usage())
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "zoosim merge: no sweep folder given (%s)\n", usage())
		return exitUsage
	}
	dirs, err := expandSweepFolders(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "zoosim merge: %v\n", err)
		return exitUsage
	}
	folders := make([]*sweepFolder, len(dirs))
	for i, dir := range dirs {
		if folders[i], err = loadSweepFolder(dir); err != nil {
			fmt.Fprintf(stderr, "zoosim merge: %v\n", err)
			return exitUsage
		}
	}
	outcomes, sum, warnings, err := merge(folders)
	if err != nil {
		fmt.Fprintf(stderr, "zoosim merge: %v\n", err)
		return exitUsage
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "zoosim merge: warning: %s\n", w)
	}

	dir := ""
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			fmt.Fprintf(stderr, "zoosim merge: --out: %v\n", err)
			return exitUsage
		}
		if dir, err = filepath.Abs(*out); err != nil {
			fmt.Fprintf(stderr, "zoosim merge: --out: %v\n", err)
			return exitUsage
		}
		// The merged outcomes name their run folders relative to the merged folder, as a sweep's
		// do (merged/../shard-0-of-8/seed-5 when merged is inside the sweep's folder).
		for i := range outcomes {
			outcomes[i].Folder = relativeTo(dir, outcomes[i].Folder)
		}
	}
	sum.add(outcomes, dir)
	if dir != "" {
		if err := writeSweepFolder(dir, outcomes, sum); err != nil {
			fmt.Fprintf(stderr, "zoosim merge: %v\n", err)
			return exitUsage
		}
	}
	if *asJSON {
		if err := writeJSON(stdout, sum); err != nil {
			fmt.Fprintf(stderr, "zoosim merge: %v\n", err)
			return exitUsage
		}
	} else {
		fmt.Fprintf(stdout, "zoosim merge of %d sweep folders: seeds %s\n", len(folders), sum.Seeds)
		fmt.Fprintf(stdout, "scenario=%s\n", sum.Scenario)
		if len(sum.OnlyCheckers) > 0 {
			fmt.Fprintf(stdout, "checkers=%s\n", strings.Join(sum.OnlyCheckers, ","))
		}
		fmt.Fprintf(stdout, "commit=%s\n", sum.Commit)
		sum.print(stdout, dir)
	}
	fmt.Fprintf(stderr, "wall time %.1fs summed over %d sweep folders\n", sum.WallS, len(folders))
	return sum.exitCode()
}

// merge joins the folders' outcomes in seed order (their run folders made absolute) and checks
// that they are shards of one sweep. Warnings are one line each.
func merge(folders []*sweepFolder) ([]testbed.Outcome, *sweepSummary, []string, error) {
	first := folders[0]
	scenario, err := scenarioJSON(first.summary.Scenario)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: scenario: %w", filepath.Join(first.dir, summaryFile), err)
	}
	sum := &sweepSummary{Commit: first.summary.Commit, Scenario: scenario, OnlyCheckers: first.summary.OnlyCheckers,
		Seeds: first.summary.Seeds, Expected: int(first.summary.Seeds.count())}
	count := first.shardOf().Count
	byShard := map[int]*sweepFolder{}
	bySeed := map[uint64]*sweepFolder{}
	commits := []string{first.summary.Commit}
	var warnings []string
	var outcomes []testbed.Outcome
	for _, f := range folders {
		s := f.summary
		sc, err := scenarioJSON(s.Scenario)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: scenario: %w", filepath.Join(f.dir, summaryFile), err)
		}
		shard := f.shardOf()
		switch {
		case !bytes.Equal(sc, scenario):
			return nil, nil, nil, fmt.Errorf("%s and %s ran different scenarios: only the shards of one sweep merge", first.dir, f.dir)
		case s.Seeds != sum.Seeds:
			return nil, nil, nil, fmt.Errorf("%s swept seeds %s and %s seeds %s: only the shards of one sweep merge", first.dir, sum.Seeds, f.dir, s.Seeds)
		case !slices.Equal(s.OnlyCheckers, sum.OnlyCheckers):
			return nil, nil, nil, fmt.Errorf("%s and %s ran different checkers: only the shards of one sweep merge", first.dir, f.dir)
		case shard.Count != count:
			return nil, nil, nil, fmt.Errorf("%s is shard %s and %s is shard %s: only the shards of one sweep merge", first.dir, first.shardOf(), f.dir, shard)
		case byShard[shard.Index] != nil:
			return nil, nil, nil, fmt.Errorf("shard %s given twice: %s and %s", shard, byShard[shard.Index].dir, f.dir)
		}
		byShard[shard.Index] = f
		if !slices.Contains(commits, s.Commit) {
			commits = append(commits, s.Commit)
		}
		if s.Interrupted || s.NotRun > 0 {
			warnings = append(warnings, fmt.Sprintf("shard %s (%s) is incomplete: %d of its %d seeds ran", shard, f.dir, len(f.outcomes), s.Expected))
		}
		sum.WallS += s.WallS
		sum.Merged = append(sum.Merged, f.dir)
		for _, o := range f.outcomes {
			if o.Seed < sum.Seeds.From || o.Seed > sum.Seeds.To || (o.Seed-sum.Seeds.From)%uint64(count) != uint64(shard.Index) {
				return nil, nil, nil, fmt.Errorf("%s: seed %d is not in shard %s of seeds %s", filepath.Join(f.dir, outcomesFile), o.Seed, shard, sum.Seeds)
			}
			if g := bySeed[o.Seed]; g != nil {
				return nil, nil, nil, fmt.Errorf("seed %d is in both %s and %s", o.Seed, g.dir, f.dir)
			}
			bySeed[o.Seed] = f
			o.Folder = resolve(f.dir, o.Folder)
			outcomes = append(outcomes, o)
		}
	}
	if len(commits) > 1 {
		sum.Commit = strings.Join(commits, ",")
		warnings = append(warnings, fmt.Sprintf("the folders ran different commits (%s): their trace hashes do not compare", sum.Commit))
	}
	for i := range count {
		if byShard[i] == nil {
			warnings = append(warnings, fmt.Sprintf("shard %d/%d is missing: its seeds did not run", i, count))
		}
	}
	slices.SortFunc(outcomes, func(a, b testbed.Outcome) int { return cmp.Compare(a.Seed, b.Seed) })
	if missing := sum.Expected - len(outcomes); missing > 0 {
		warnings = append(warnings, fmt.Sprintf("%d of the %d seeds %s did not run (first: %s)", missing, sum.Expected, sum.Seeds, firstMissing(sum.Seeds, bySeed, 5)))
	}
	return outcomes, sum, warnings, nil
}

// firstMissing lists up to n seeds of the range that have no outcome.
func firstMissing(r seedRange, have map[uint64]*sweepFolder, n int) string {
	var out []string
	for seed := r.From; len(out) < n; seed++ {
		if have[seed] == nil {
			out = append(out, fmt.Sprint(seed))
		}
		if seed == r.To {
			break
		}
	}
	return strings.Join(out, ", ")
}

// expandSweepFolders returns the sweep folders the arguments name: a folder with a summary.json
// is one; a folder without one stands for the shard folders (shard-I-of-N) inside it, as a
// sharded sweep given one --out leaves them.
func expandSweepFolders(args []string) ([]string, error) {
	var dirs []string
	for _, arg := range args {
		if fi, err := os.Stat(arg); err != nil {
			return nil, err
		} else if !fi.IsDir() {
			return nil, fmt.Errorf("%s is not a folder (give the folders `zoosim sweep --out` wrote)", arg)
		}
		if _, err := os.Stat(filepath.Join(arg, summaryFile)); err == nil {
			dirs = append(dirs, arg)
			continue
		}
		shards, _ := filepath.Glob(filepath.Join(arg, "shard-*-of-*", summaryFile))
		if len(shards) == 0 {
			return nil, fmt.Errorf("%s holds no %s, nor shard folders with one: not a sweep folder", arg, summaryFile)
		}
		for _, s := range shards {
			dirs = append(dirs, filepath.Dir(s))
		}
	}
	for i, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, err
		}
		dirs[i] = abs
	}
	return dirs, nil
}

// loadSweepFolder reads a sweep folder's summary.json and outcomes.jsonl.
func loadSweepFolder(dir string) (*sweepFolder, error) {
	f := &sweepFolder{dir: dir}
	path := filepath.Join(dir, summaryFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &f.summary); err != nil {
		return nil, fmt.Errorf("%s: not a sweep summary: %v", path, err)
	}
	if len(f.summary.Scenario) == 0 || f.summary.Seeds.To < f.summary.Seeds.From {
		return nil, fmt.Errorf("%s: not a sweep summary (no scenario or seed range)", path)
	}
	if s := f.summary.Shard; s != nil && (s.Count < 1 || s.Index < 0 || s.Index >= s.Count) {
		return nil, fmt.Errorf("%s: shard %s out of range", path, s)
	}
	path = filepath.Join(dir, outcomesFile)
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var o testbed.Outcome
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			return nil, fmt.Errorf("%s:%d: not an outcome: %v", path, line, err)
		}
		f.outcomes = append(f.outcomes, o)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// scenarioJSON returns a scenario's JSON in one canonical form, to compare two encodings: the
// scenario as cluster encodes it when it parses (fields in order, whatever wrote the file),
// else the JSON without insignificant spaces.
func scenarioJSON(raw json.RawMessage) (json.RawMessage, error) {
	if sc, err := cluster.ParseScenario(raw); err == nil {
		return sc.JSON(), nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, err
	}
	if b.Len() == 0 {
		return nil, errors.New("empty")
	}
	return b.Bytes(), nil
}
