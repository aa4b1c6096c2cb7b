// Command zoosim runs a ZooKeeper ensemble on the deterministic simulator and checks what its
// clients saw against ZooKeeper's contract.
//
//	zoosim run [flags]        one seeded run of a scenario, judged by every checker
//	zoosim sweep [flags]      a seed range on all cores (or one shard of it), failing seeds kept
//	zoosim merge DIR...       join the results of a sweep's shards
//	zoosim replay PATH        re-run a saved history (a file or a run folder): same trace hash?
//	                          then judge it again
//	zoosim check PATH         judge a saved history as it is, without running anything
//	zoosim shrink PATH        the smallest fault schedule and workload that still fail
//	zoosim compare A B...     variants or scenario files on the same seeds, side by side
//	zoosim report DIR         rebuild a run folder's report
//	zoosim variants           the protocol variants and the rule each breaks
//
// `zoosim run` with no flags runs the embedded default scenario (cluster.DefaultScenario: 5
// servers, 20 clients, every workload, faults on, 60 simulated seconds, seed 1). It prints the
// seed and the whole scenario first, a progress bar in virtual time (on a terminal), then each
// checker's verdict, the trace hash, the command that replays the run, and the run folder.
// Exit codes, for every command: 0 every check holds, 1 a violation (or a verdict that could
// not decide, or a replay that diverged), 2 bad usage or input, with one line saying what is
// wrong.
//
// Each command lives in its own file and adds itself to the command table (register).
//
// ZOOSIM_CPUPROFILE=FILE writes a CPU profile of the whole command to FILE (go tool pprof
// reads it), to see where a sweep's time goes without a benchmark. ZOOSIM_MEMPROFILE=FILE
// writes an allocation profile (every 4 KiB allocated sampled; pprof's -sample_index=alloc_space
// or alloc_objects) when the command ends.
//
// default.pgo, beside this file, is a CPU profile of `zoosim sweep --seeds 300` that go build
// and go run use for profile-guided optimization (hot calls inlined across packages): it cut the
// instructions per sweep seed by 4.9% (scripts/instructions.sh) and changes no result, since
// optimization never changes what the code computes. Refresh it after large changes to the hot
// paths: ZOOSIM_CPUPROFILE=cmd/zoosim/default.pgo go run ./cmd/zoosim sweep --seeds 300.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
)

func main() {
	stop, err := startCPUProfile(os.Getenv("ZOOSIM_CPUPROFILE"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "zoosim: ZOOSIM_CPUPROFILE: %v\n", err)
		os.Exit(exitUsage)
	}
	// Referring to the allocation profile at all turns on the runtime's default sampling (every
	// 512 KiB, with a stack walk each time): off unless asked for.
	runtime.MemProfileRate = 0
	memProfile := os.Getenv("ZOOSIM_MEMPROFILE")
	if memProfile != "" {
		runtime.MemProfileRate = 4096
	}
	code := run(os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err := writeMemProfile(memProfile); err != nil {
		fmt.Fprintf(os.Stderr, "zoosim: ZOOSIM_MEMPROFILE: %v\n", err)
		code = max(code, exitUsage)
	}
	os.Exit(code)
}

// writeMemProfile writes the allocation profile to path (nothing when path is empty).
func writeMemProfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startCPUProfile starts profiling into path (nothing when path is empty) and returns the
// function that stops it and closes the file.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// Exit codes: 0 every check holds, 1 a violation, 2 bad usage or input.
const (
	exitOK        = 0
	exitViolation = 1
	exitUsage     = 2
)

// command is one subcommand of zoosim.
type command struct {
	name string
	// usage is the command's synopsis, after "zoosim ".
	usage string
	// run executes the command with the arguments after its name and returns the exit code.
	run func(args []string, stdout, stderr io.Writer) int
}

// commands is the command table, in the order usage lists them.
var commands []command

// register adds a command to the table (from each command file's init). The table lists the
// main job first, then the other commands by name.
func register(c command) {
	commands = append(commands, c)
	slices.SortFunc(commands, func(a, b command) int {
		if (a.name == "run") != (b.name == "run") {
			if a.name == "run" {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
}

// usage lists every command's synopsis on one line.
func usage() string {
	parts := make([]string, len(commands))
	for i, c := range commands {
		parts[i] = "zoosim " + c.usage
	}
	return "usage: " + strings.Join(parts, " | ")
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "zoosim: no command (%s)\n", usage())
		return exitUsage
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "zoosim: unknown command %q (%s)\n", args[0], usage())
	return exitUsage
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
