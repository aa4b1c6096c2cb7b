package testbed

import (
	"os/exec"
	"runtime/debug"
	"strings"
	"sync"
)

var commitOnce = sync.OnceValue(findCommit)

// Commit is the source revision of this build, for histories' headers: the VCS revision Go
// stamped into the binary, else what git says about the working directory (with "+dirty" when
// it has uncommitted changes), else "". `go test` and `go run` binaries carry no VCS stamp, so
// the git fallback is what names their commit. A replay on another commit is expected to
// diverge; the header says which commit to check out.
func Commit() string { return commitOnce() }

func findCommit() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		var rev string
		dirty := false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				rev += "+dirty"
			}
			return rev
		}
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		rev += "+dirty"
	}
	return rev
}
