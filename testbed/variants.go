package testbed

import (
	"time"

	"zoosim/histories"
	"zoosim/sim/cluster"
	"zoosim/zab"
)

// VariantCatch says how the testbed catches one deliberate protocol flaw (zab.Variants): the
// checker whose rule (../shared/reference/zookeeper.md) the flaw breaks, not merely the first
// one that happens to fail, and a scenario whose faults and workload give the flaw its chance to
// show, so that a fixed-seed sweep of it catches the flaw early (TestVariants holds every
// variant to this). `zoosim variants` lists them.
type VariantCatch struct {
	Variant zab.Variant
	// Checker is the name of the checker that catches the variant (Checker.Name).
	Checker string
	// Why says in one line which rule the flaw breaks and how that checker sees it.
	Why string
	// Scenario is the scenario the sweep runs, without the variant (Flawed adds it): the correct
	// protocol must pass the same checker on it.
	Scenario cluster.Scenario
}

// Flawed is the catch's scenario with its variant on.
func (c VariantCatch) Flawed() cluster.Scenario {
	sc := c.Scenario
	sc.Variants = []zab.Variant{c.Variant}
	return sc
}

// VariantCatches lists every variant once, in zab.Variants order.
func VariantCatches() []VariantCatch {
	return []VariantCatch{
		// ack-before-fsync breaks B5 ("Acknowledgement means the server has recorded the proposal
		// to persistent storage") and B4 step 3 (C11, ZOOKEEPER-4646): a quorum that acked and then
		// crashes loses a txn the leader committed, and a server that acked an epoch (its
		// acceptedEpoch, NEWLEADER) before it was durable can, after a crash, help a second leader
		// establish the same epoch (B1). Both are B6 invariants across servers (primary
		// integrity, one leader per epoch).
		{Variant: zab.AckBeforeFsync, Checker: CheckerZab, Scenario: quorumCrashScenario(),
			Why: "a quorum that acked unsynced txns crashes: a committed txn is lost, or two leaders share an epoch (B5, B4, B6)"},
		// commit-without-quorum breaks B5's commit rule (b): the leader applies and answers txns
		// only it has logged, and a leader crash loses them, so a later epoch is established
		// without a txn a server applied while serving (B6 primary integrity).
		{Variant: zab.CommitWithoutQuorum, Checker: CheckerZab, Scenario: cluster.SweepScenario(),
			Why: "a leader crash loses txns only it had logged and applied: a later epoch lacks them (B5, B6 primary integrity)"},
		// read-from-uncommitted breaks B5 (apply only COMMITted txns) and A10's Reliability: a
		// server answers reads from a state no quorum committed yet (or ever). The zxid-order
		// checker replays the committed log and holds every reply to the state at its zxid (A10).
		{Variant: zab.ReadFromUncommitted, Checker: CheckerZxidOrder, Scenario: cluster.SweepScenario(),
			Why: "a read reflects a txn the committed log does not hold at its zxid (B5, A10)"},
		// skip-truncate-on-sync breaks B4 case 2/3 (C2, ZOOKEEPER-1154): a server that rejoins
		// with a txn no other server has keeps it through TRUNC and applies it, so its committed
		// log is no prefix of the ensemble's history (B6 agreement, primary integrity).
		{Variant: zab.SkipTruncateOnSync, Checker: CheckerZab, Scenario: strayProposalScenario(),
			Why: "a rejoining server keeps a txn nobody else has: its committed log is no prefix of the ensemble's (B4, B6)"},
		// no-ephemeral-cleanup breaks A9 ("On expiry the leader issues a closeSession txn. It
		// deletes all of that session's ephemerals"): a client is told its session expired while
		// the committed log never closes it and its ephemerals stay.
		{Variant: zab.NoEphemeralCleanup, Checker: CheckerSessions, Scenario: sessionExpiryScenario(),
			Why: "a client is told its session expired, but no closeSession txn deletes its ephemerals (A9)"},
		// watch-after-reply breaks A8.1 and A13.4 ("a client sees the event before any reply that
		// reflects the change"): the watches checker orders each event against the replies on
		// the same session.
		{Variant: zab.WatchAfterReply, Checker: CheckerWatches, Scenario: cluster.SweepScenario(),
			Why: "a watch event arrives after a reply that already reflects its change (A8.1, A13.4)"},
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
