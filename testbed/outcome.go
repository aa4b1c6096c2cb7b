package testbed

import (
	"time"

	"zoosim/histories"
	"zoosim/models"
)

// Outcome is one run's result in a few fields: what a sweep keeps of each seed (thousands of
// them), writes as a JSON line, merges across shards and plots. The history itself is kept
// only for the runs that did not pass.
type Outcome struct {
	Seed uint64 `json:"seed"`
	// Label names what ran when several scenarios or variants share the seeds (a compare, a
	// sweep of a scenario file); "" otherwise.
	Label string `json:"label,omitempty"`
	// Status is the overall status: "pass", "FAIL" or "inconclusive" (models.Status).
	Status string `json:"status"`
	// Failing are the checkers that did not pass, in Checkers order; First is the first one's
	// summary.
	Failing []string `json:"failing,omitempty"`
	First   string   `json:"first,omitempty"`
	// Servers and Clients are the scenario's as run (a swarm draws them; the history counts every
	// client it recorded, replacements of killed clients and the setup client included).
	Servers int `json:"servers"`
	Clients int `json:"clients"`
	// Ops, Faults: how many client operations and faults the history holds.
	Ops    int `json:"ops"`
	Faults int `json:"faults"`
	// Virtual is the virtual time the run covered, in seconds.
	Virtual float64 `json:"virtual_s"`
	// Converged says whether the liveness phase converged; Recovery is how long it took from
	// the heal, in seconds (0 when it did not converge).
	Converged bool    `json:"converged"`
	Recovery  float64 `json:"recovery_s"`
	// ElectionMax is the longest stretch without a serving leader, in seconds (from the
	// liveness checker's metrics; 0 when it did not run).
	ElectionMax float64 `json:"election_max_s"`
	// TraceHash is the run's trace hash: the same seed and commit give the same one.
	TraceHash uint64 `json:"trace_hash,string"` // a string: JSON readers in JavaScript lose integers above 2^53
	// Folder is where the run was saved (its run folder or history file), "" when it was not.
	Folder string `json:"folder,omitempty"`
}

// Outcome summarizes the run.
func (r *Result) Outcome() Outcome {
	h := r.History
	o := Outcome{
		Seed: r.Seed, Status: r.Status().String(), Failing: r.Failing(),
		Servers: r.Scenario.Servers, Clients: r.Scenario.Clients,
		Ops: len(h.Ops), Faults: len(h.Faults),
		Virtual:   time.Duration(h.Header.End).Seconds(),
		Converged: h.Liveness.Converged,
		TraceHash: h.Header.TraceHash,
	}
	if len(o.Failing) > 0 {
		o.First = r.Verdict(o.Failing[0]).Summary
	}
	if h.Liveness.Converged && h.Liveness.At != histories.Never {
		o.Recovery = time.Duration(h.Liveness.At - h.Liveness.Healed).Seconds()
	}
	if v := r.Verdict(CheckerLiveness); v != nil {
		for _, m := range v.Metrics {
			if m.Name == "election_max" {
				o.ElectionMax = m.Value
			}
		}
	}
	return o
}

// OK reports whether the run passed.
func (o *Outcome) OK() bool { return o.Status == models.Pass.String() }
