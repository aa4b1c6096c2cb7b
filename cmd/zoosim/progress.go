package main

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal: progress bars go only to a person watching, never
// into a file, a pipe or a test's buffer.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// virtualProgress returns a cluster.RunOptions.Progress that draws a bar of the run's virtual
// time on w, and a function that clears it; both do nothing when w is not a terminal.
func virtualProgress(w io.Writer) (func(done, total time.Duration), func()) {
	if !isTerminal(w) {
		return nil, func() {}
	}
	var bar *progressbar.ProgressBar
	report := func(done, total time.Duration) {
		if bar == nil {
			bar = progressbar.NewOptions64(total.Milliseconds(),
				progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription("virtual time (ms)"),
				progressbar.OptionShowCount(),
				progressbar.OptionSetWidth(30),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish())
		}
		_ = bar.Set64(done.Milliseconds())
	}
	return report, func() {
		if bar != nil {
			_ = bar.Finish()
		}
	}
}
