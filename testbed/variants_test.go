package testbed

import (
	"slices"
	"testing"
	"time"

	"zoosim/histories"
	"zoosim/models"
	"zoosim/sim/cluster"
	"zoosim/zab"
)

// maxVariantSeeds bounds the sweep that must catch each variant (issue 5: "every zab variant is
// caught by a fixed-seed sweep of at most 200 seeds, by the checker that should catch it").
const maxVariantSeeds = 200

// variantCase is one deliberate protocol flaw (zab.Variants), the scenario whose faults and
// workload give the flaw its chance to show, and the checker that holds the history to the rule
// the flaw breaks.
type variantCase struct {
	variant  zab.Variant
	scenario cluster.Scenario
	checker  string
}

// variantCases lists every variant once. Each scenario targets what its flaw needs, so that the
// first catching seed comes early and the whole test stays cheap; each checker is the one whose
// rule (../shared/reference/zookeeper.md) the variant breaks, not merely the first one that
// happens to fail.
func variantCases() []variantCase {
	return []variantCase{
		// ack-before-fsync breaks B5 ("Acknowledgement means the server has recorded the proposal
		// to persistent storage") and B4 step 3 (C11, ZOOKEEPER-4646): a quorum that acked and then
		// crashes loses a txn the leader committed, and a server that acked an epoch (its
		// acceptedEpoch, NEWLEADER) before it was durable can, after a crash, help a second leader
		// establish the same epoch (B1). Both are B6 invariants across servers (primary
		// integrity, one leader per epoch): CheckerZab.
		{zab.AckBeforeFsync, quorumCrashScenario(), CheckerZab},
		// commit-without-quorum breaks B5's commit rule (b): the leader applies and answers txns
		// only it has logged, and a leader crash loses them, so a later epoch is established
		// without a txn a server applied while serving (B6 primary integrity): CheckerZab.
		{zab.CommitWithoutQuorum, cluster.SweepScenario(), CheckerZab},
		// read-from-uncommitted breaks B5 (apply only COMMITted txns) and A10's Reliability: a
		// server answers reads from a state no quorum committed yet (or ever). The zxid-order
		// checker replays the committed log and holds every reply to the state at its zxid (A10).
		{zab.ReadFromUncommitted, cluster.SweepScenario(), CheckerZxidOrder},
		// skip-truncate-on-sync breaks B4 case 2/3 (C2, ZOOKEEPER-1154): a server that rejoins
		// with a txn no other server has keeps it through TRUNC and applies it, so its committed
		// log is no prefix of the ensemble's history (B6 agreement, primary integrity): CheckerZab.
		{zab.SkipTruncateOnSync, strayProposalScenario(), CheckerZab},
		// no-ephemeral-cleanup breaks A9 ("On expiry the leader issues a closeSession txn. It
		// deletes all of that session's ephemerals"): a client is told its session expired while
		// the committed log never closes it and its ephemerals stay. The sessions checker holds
		// expiries and ephemerals to A9.
		{zab.NoEphemeralCleanup, sessionExpiryScenario(), CheckerSessions},
		// watch-after-reply breaks A8.1 and A13.4 ("a client sees the event before any reply that
		// reflects the change"): the watches checker orders each event against the replies on
		// the same session.
		{zab.WatchAfterReply, cluster.SweepScenario(), CheckerWatches},
	}
}

// quorumCrashScenario is where acknowledging before fsync loses committed txns: 3 servers, so
// that 2 crashed servers are a quorum (MaxDown 2), and only the faults that crash a server in
// the middle of its disk work: crash-after-write (a follower crashes right after appending
// txns, before their fsync; a flawed follower has already acked them) and crash-proposing (the
// leader crashes with a proposal outstanding and its own copy not durable). Faults come every
// 300 ms or so, so two of them often overlap: a quorum that acked then loses its unsynced tail.
func quorumCrashScenario() cluster.Scenario {
	sc := cluster.SweepScenario()
	sc.Servers = 3
	sc.Faults.MaxDown = 2
	sc.Faults.Weights = cluster.FaultWeights{histories.FaultCrashAfterWrite: 2, histories.FaultCrashProposing: 1}
	sc.Faults.MeanGap = cluster.Duration(300 * time.Millisecond)
	sc.Faults.MeanDuration = cluster.Duration(500 * time.Millisecond)
	return sc
}

// strayProposalScenario is where a rejoining server needs TRUNC (B4 case 2/3, the C2 scenario):
// the leader crashes right after sending a proposal (crash-proposing), and torn-unsynced disks
// may keep the unsynced proposal in its log while the crash drops the messages in flight, so the
// old leader restarts with a txn nobody else logged; the others elect a leader without it, and
// the old leader rejoins. 5 servers keep a quorum while two are down.
func strayProposalScenario() cluster.Scenario {
	sc := cluster.SweepScenario()
	sc.Disk.Crash = "torn-unsynced"
	sc.Faults.Weights = cluster.FaultWeights{histories.FaultCrashProposing: 1}
	sc.Faults.MeanGap = cluster.Duration(300 * time.Millisecond)
	sc.Faults.MeanDuration = cluster.Duration(500 * time.Millisecond)
	return sc
}

// sessionExpiryScenario is where sessions expire while the run still has time to show it: only
// ephemeral clients (WorkloadEphemeral kills a client's node, so its session must expire, or
// pauses it past its timeout, so its client is told Expired when it resumes), a 500 ms tick and a
// 2 s session timeout, so a pause (timeout plus two ticks, 3 s) ends well inside the 10 s safety
// phase. No server faults: the flaw needs expiries only, and a fault near an expiry only makes
// the sessions checker more lenient.
func sessionExpiryScenario() cluster.Scenario {
	sc := cluster.SweepScenario()
	sc.Clients = 10
	sc.TickTime = cluster.Duration(500 * time.Millisecond)
	sc.SessionTimeout = cluster.Duration(2 * time.Second)
	sc.Workload.Mix = cluster.Mix{cluster.WorkloadEphemeral: 1}
	sc.Faults.Weights = nil
	return sc
}

// TestVariants checks that every protocol variant is caught: seeds 1 to maxVariantSeeds of the
// variant's scenario run in order, with only the expected checker, until its verdict fails; then
// the same scenario and seed without the variant must pass that checker, so the catch is the
// flaw's and not the checker's (a failing default run is saved under testdata/failures with the
// command that replays it).
func TestVariants(t *testing.T) {
	cases := variantCases()
	for _, v := range zab.Variants() {
		if !slices.ContainsFunc(cases, func(c variantCase) bool { return c.variant == v }) {
			t.Errorf("variant %s has no entry in variantCases", v)
		}
	}
	for _, c := range cases {
		t.Run(string(c.variant), func(t *testing.T) {
			t.Parallel()
			if c.variant.Rule() == "" {
				t.Fatalf("variant %q is not in zab.Variants", c.variant)
			}
			opts := Options{Check: CheckOptions{Only: []string{c.checker}}}
			flawed := c.scenario
			flawed.Variants = []zab.Variant{c.variant}

			seed, verdict := catchVariant(t, flawed, opts, c.checker)
			if verdict == nil {
				t.Fatalf("variant %s: not caught by checker %s in seeds 1 to %d", c.variant, c.checker, maxVariantSeeds)
			}
			first := verdict.Summary
			if len(verdict.Violations) > 0 {
				first = verdict.Violations[0].String()
			}
			t.Logf("variant %s: caught by checker %s at seed %d: %s", c.variant, c.checker, seed, first)

			correct := c.scenario
			correct.Variants = nil
			r, err := Run(correct, seed, opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status() != models.Pass {
				t.Errorf("the correct protocol does not pass checker %s on the scenario and seed that caught %s", c.checker, c.variant)
				reportFailure(t, r)
			}
		})
	}
}

// catchVariant runs seeds 1 to maxVariantSeeds of sc in order and returns the first seed whose
// verdict of checker is a failure, with that verdict; nil if none failed.
func catchVariant(t *testing.T, sc cluster.Scenario, opts Options, checker string) (uint64, *models.Verdict) {
	t.Helper()
	inconclusive := 0
	for seed := uint64(1); seed <= maxVariantSeeds; seed++ {
		r, err := Run(sc, seed, opts)
		if err != nil {
			t.Fatal(err)
		}
		v := r.Verdict(checker)
		if v == nil {
			t.Fatalf("seed %d: checker %s gave no verdict", seed, checker)
		}
		switch v.Status {
		case models.Fail:
			return seed, v
		case models.Inconclusive:
			inconclusive++
		}
	}
	if inconclusive > 0 {
		t.Logf("checker %s was inconclusive on %d of %d seeds", checker, inconclusive, maxVariantSeeds)
	}
	return 0, nil
}
