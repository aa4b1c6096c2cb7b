package testbed

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"zoosim/models"
)

// failuresDir is where tests save the histories of failing runs (ignored by git).
const failuresDir = "testdata/failures"

// seedsFlag is how many seeds the fixed-seed sweeps run: the flag, else $ZOOSIM_SWEEP, else each
// sweep's fast default.
var seedsFlag = flag.Int("testbed.seeds", 0, "seeds per fixed-seed sweep (0: $ZOOSIM_SWEEP, else the fast default)")

func sweepSeeds(t *testing.T, fast int) int {
	if *seedsFlag > 0 {
		return *seedsFlag
	}
	if s := os.Getenv("ZOOSIM_SWEEP"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("ZOOSIM_SWEEP=%q: want a positive number of seeds", s)
		}
		return n
	}
	return fast
}

// reportFailure saves a run that did not pass and logs its verdicts and the command that
// replays it.
func reportFailure(t *testing.T, r *Result) {
	t.Helper()
	path, err := Save(failuresDir, r)
	if err != nil {
		t.Errorf("%v", err)
		path = filepath.Join(failuresDir, "(not saved)")
	}
	t.Errorf("seed %d: %s\n%sreplay: %s\n(judge the saved history without re-running: %s)", r.Seed, r.Status(), r.Table(), ReplayCommand(path), CheckCommand(path))
}

// mustPass fails the test unless every verdict passed.
func mustPass(t *testing.T, r *Result) {
	t.Helper()
	if r.Status() != models.Pass {
		reportFailure(t, r)
	}
}
