package testbed

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"zoosim/histories"
	"zoosim/models"
	"zoosim/sim/cluster"
	"zoosim/tree"
)

// ErrUnknownChecker is returned when CheckOptions names a checker that does not exist.
var ErrUnknownChecker = errors.New("testbed: unknown checker")

// The checkers' names, as their verdicts carry them.
const (
	CheckerLinearizable = "linearizable"
	CheckerZxidOrder    = "zxid-order"
	CheckerWatches      = "watches"
	CheckerSessions     = "sessions"
	CheckerZab          = "zab"
	CheckerLiveness     = "liveness"
)

// Checker is one property of ZooKeeper's contract, checked on a whole history.
type Checker struct {
	// Name is the verdict's checker name.
	Name string
	// Rule says in one line what the checker holds the history to.
	Rule string
	// Workload, when set, makes the checker a recipe checker: it judges the steps of that
	// recipe workload and runs only on scenarios whose mix has it (or when CheckOptions.Only
	// names it).
	Workload cluster.WorkloadKind
	// check judges h, run from sc.
	check func(h *histories.History, sc cluster.Scenario, opts CheckOptions) models.Verdict
}

// appliesTo reports whether the checker judges runs of sc by default.
func (c *Checker) appliesTo(sc cluster.Scenario) bool {
	return c.Workload == "" || sc.Workload.Mix[c.Workload] > 0
}

// CheckersFor returns the checkers Check runs by default on a history of sc: every checker of
// the protocol, and the recipe checkers of the recipes sc's workload runs.
func CheckersFor(sc cluster.Scenario) []Checker {
	var out []Checker
	for i := range checkers {
		if checkers[i].appliesTo(sc) {
			out = append(out, checkers[i])
		}
	}
	return out
}

// registerRecipeChecker adds a recipe checker after the others; each recipe checker's file
// calls it from its init, so the order is the files' (sorted by name).
func registerRecipeChecker(c Checker) {
	if c.Workload == "" {
		panic("testbed: recipe checker " + c.Name + " names no workload")
	}
	checkers = append(checkers, c)
}

// checkers are every checker, cheapest first: a sweep that stops at the first failure then
// spends the least.
var checkers = []Checker{
	{Name: CheckerZab, Rule: "one leader per epoch, committed logs are prefixes of one sequence, primary order, acknowledged writes survive, replicas converge (zookeeper.md B6)",
		check: func(h *histories.History, _ cluster.Scenario, _ CheckOptions) models.Verdict {
			return models.CheckZab(h)
		}},
	{Name: CheckerZxidOrder, Rule: "the committed log explains every reply: reads equal the state at their zxid, writes in real-time order, sessions never go back, sync then read (A10)",
		check: func(h *histories.History, _ cluster.Scenario, _ CheckOptions) models.Verdict {
			return models.CheckZxidOrder(h, zxidOrderOptions())
		}},
	{Name: CheckerSessions, Rule: "an ephemeral lives from its create to its owner's close or expiry; no session expires while its client kept contact (A9)",
		check: func(h *histories.History, sc cluster.Scenario, _ CheckOptions) models.Verdict {
			return models.CheckSessions(h, sessionOptions(sc))
		}},
	{Name: CheckerWatches, Rule: "one event per watch registration, of the right type, before any reply that reflects a later state, none lost across reconnect (A8)",
		check: func(h *histories.History, _ cluster.Scenario, _ CheckOptions) models.Verdict {
			return models.CheckWatches(h, models.WatchOptions{})
		}},
	{Name: CheckerLinearizable, Rule: "writes are linearizable against the znode model, checked by porcupine per path where sound (A1-A7)",
		check: func(h *histories.History, _ cluster.Scenario, opts CheckOptions) models.Verdict {
			return models.CheckLinearizable(h, models.LinearizableOptions{Timeout: opts.LinearizableTimeout})
		}},
	{Name: CheckerLiveness, Rule: "after every fault is healed a leader serves, clients write again and the replicas converge within the scenario's bound",
		check: func(h *histories.History, sc cluster.Scenario, _ CheckOptions) models.Verdict {
			return models.CheckLiveness(h, models.LivenessOptions{MaxConvergence: time.Duration(sc.Liveness)})
		}},
}

// zxidOrderOptions and sessionOptions are the options of the zxid-order and sessions checkers
// for a history of sc: the servers' tree options, and their tickTime.
func zxidOrderOptions() models.ZxidOrderOptions { return models.ZxidOrderOptions{Tree: tree.Options{}} }

func sessionOptions(sc cluster.Scenario) models.SessionOptions {
	return models.SessionOptions{Tree: tree.Options{}, TickTime: time.Duration(sc.TickTime)}
}

// Checkers returns every checker, in the order Check runs them.
func Checkers() []Checker { return slices.Clone(checkers) }

// CheckOptions choose and tune the checkers.
type CheckOptions struct {
	// Only, when not empty, names the checkers to run (Checker.Name); the others are skipped.
	Only []string
	// LinearizableTimeout bounds porcupine's search in wall-clock time (0 means
	// models.DefaultLinearizableTimeout). A search cut short is Inconclusive, never a pass.
	LinearizableTimeout time.Duration
}

// Validate reports a name in Only that is no checker (ErrUnknownChecker).
func (o CheckOptions) Validate() error {
	for _, name := range o.Only {
		if !slices.ContainsFunc(checkers, func(c Checker) bool { return c.Name == name }) {
			names := make([]string, len(checkers))
			for i, c := range checkers {
				names[i] = c.Name
			}
			return fmt.Errorf("%w %q (the checkers are %s)", ErrUnknownChecker, name, strings.Join(names, ", "))
		}
	}
	return nil
}

// Check judges a history with every checker that applies to its scenario (CheckersFor), or with
// those opts.Only names, in the order of Checkers. The history's header must hold the scenario it ran (sim/cluster writes it): the
// session checker needs its tickTime and the liveness checker its bound. A header without a
// readable scenario is an error wrapping cluster.ErrBadScenario.
func Check(h *histories.History, opts CheckOptions) ([]models.Verdict, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	sc, err := cluster.ParseScenario(h.Header.Scenario)
	if err != nil {
		return nil, fmt.Errorf("testbed: the history's header: %w", err)
	}
	runs := func(c *Checker) bool {
		if len(opts.Only) > 0 {
			return slices.Contains(opts.Only, c.Name)
		}
		return c.appliesTo(sc)
	}
	var out []models.Verdict
	// sessions is the sessions checker's verdict when zxid-order computed it too.
	var sessions *models.Verdict
	for i := range checkers {
		c := &checkers[i]
		if !runs(c) {
			continue
		}
		switch {
		case c.Name == CheckerZxidOrder && slices.ContainsFunc(checkers, func(other Checker) bool { return other.Name == CheckerSessions && runs(&other) }):
			// Both replay the committed log; one replay serves the two (the same verdicts).
			ord, ses := models.CheckZxidOrderAndSessions(h, zxidOrderOptions(), sessionOptions(sc))
			out, sessions = append(out, ord), &ses
		case c.Name == CheckerSessions && sessions != nil:
			out = append(out, *sessions)
		default:
			out = append(out, c.check(h, sc, opts))
		}
	}
	return out, nil
}

// Overall is the status of a set of verdicts: Fail if any failed, else Inconclusive if any
// could not decide, else Pass. No verdicts at all is Inconclusive: nothing was shown to hold.
func Overall(vs []models.Verdict) models.Status {
	if len(vs) == 0 {
		return models.Inconclusive
	}
	status := models.Pass
	for i := range vs {
		switch vs[i].Status {
		case models.Fail:
			return models.Fail
		case models.Inconclusive:
			status = models.Inconclusive
		case models.Pass:
		default:
			status = models.Inconclusive
		}
	}
	return status
}
