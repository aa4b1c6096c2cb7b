package main

import (
	"zoosim/reports"
	"zoosim/testbed"
)

// saveRun saves a run under dir as a run folder (dir/seed-N, numbered when taken: the history,
// scenario, verdicts, metrics, plots and report.html, reports.WriteRunFolder) and returns the
// folder's path. Every command that keeps a run (run, a sweep's failing seeds, a shrink's
// result) saves it through here, so run folders look the same whoever wrote them.
func saveRun(dir string, r *testbed.Result) (string, error) {
	folder, err := testbed.NewRunFolder(dir, r.Seed)
	if err != nil {
		return "", err
	}
	if err := reports.WriteRunFolder(folder, r, testbed.ReplayCommand(folder)); err != nil {
		return "", err
	}
	return folder, nil
}
