package main

import (
	"path/filepath"

	"zoosim/testbed"
)

// saveRun saves a run under dir as a run folder (dir/seed-N, numbered when taken) and returns
// the folder's path. Every command that keeps a run (run --out, a sweep's failing seeds, a
// shrink's result) saves it through here, so run folders look the same whoever wrote them.
func saveRun(dir string, r *testbed.Result) (string, error) {
	path, err := testbed.Save(dir, r)
	if err != nil {
		return "", err
	}
	return filepath.Dir(path), nil
}
