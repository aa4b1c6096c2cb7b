// Command zoosim runs a ZooKeeper ensemble on the deterministic simulator.
//
// This first version has one command, `zoosim run`: one seeded run of an ensemble under a mixed
// client workload with server crashes and restarts, then a check that the replicas converged and
// that every acknowledged write is there. Sweeps, replay, shrinking, reports and plots come with
// the CLI issue.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"zoosim/sim/cluster"
	"zoosim/zab"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit codes: 0 every check holds, 1 a violation, 2 bad usage or input.
const (
	exitOK        = 0
	exitViolation = 1
	exitUsage     = 2
)

var errUsage = errors.New("usage: zoosim run [--seed N] [--servers N] [--clients N] [--duration D] [--variant V]")

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(stderr, "zoosim:", errUsage)
		return exitUsage
	}
	fs := flag.NewFlagSet("zoosim run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	opts := defaultRunOptions()
	fs.Uint64Var(&opts.seed, "seed", opts.seed, "the run's seed")
	fs.IntVar(&opts.servers, "servers", opts.servers, "servers in the ensemble (1-9)")
	fs.IntVar(&opts.clients, "clients", opts.clients, "client sessions")
	fs.DurationVar(&opts.duration, "duration", opts.duration, "simulated time of the workload")
	variant := fs.String("variant", "", "comma-separated protocol variants (zab.Variants)")
	if err := fs.Parse(args[1:]); err != nil {
		fmt.Fprintf(stderr, "zoosim run: %v (%v)\n", err, errUsage)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "zoosim run: unexpected argument %q (%v)\n", fs.Arg(0), errUsage)
		return exitUsage
	}
	vs, err := zab.ParseVariants(*variant)
	if err != nil {
		fmt.Fprintf(stderr, "zoosim run: --variant: %v\n", err)
		return exitUsage
	}
	opts.variants = vs
	if err := opts.validate(); err != nil {
		fmt.Fprintf(stderr, "zoosim run: %v\n", err)
		return exitUsage
	}
	res, err := execute(opts, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "zoosim run: %v\n", err)
		return exitUsage
	}
	if !res.ok() {
		return exitViolation
	}
	return exitOK
}

type runOptions struct {
	seed              uint64
	servers, clients  int
	duration          time.Duration
	variants          []zab.Variant
	faultMin, faultMx time.Duration
}

// defaultRunOptions is the embedded default scenario: 5 servers, 20 clients, a mixed workload,
// crashes and restarts on, 60 simulated seconds, seed 1.
func defaultRunOptions() runOptions {
	return runOptions{seed: 1, servers: 5, clients: 20, duration: 60 * time.Second,
		faultMin: 5 * time.Second, faultMx: 15 * time.Second}
}

func (o runOptions) validate() error {
	switch {
	case o.servers < 1 || o.servers > cluster.MaxServers:
		return fmt.Errorf("--servers %d: want 1 to %d", o.servers, cluster.MaxServers)
	case o.clients < 1 || o.clients > 1000:
		return fmt.Errorf("--clients %d: want 1 to 1000", o.clients)
	case o.duration <= 0 || o.duration > 24*time.Hour:
		return fmt.Errorf("--duration %v: want more than 0 and at most 24h", o.duration)
	}
	return nil
}

func (o runOptions) String() string {
	return fmt.Sprintf("seed=%d servers=%d clients=%d duration=%v variants=%v faults=crash/restart every %v-%v",
		o.seed, o.servers, o.clients, o.duration, o.variants, o.faultMin, o.faultMx)
}
