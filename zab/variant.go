package zab

import (
	"fmt"
	"slices"
	"strings"
)

// Variant names a deliberate protocol flaw, for researchers who compare a broken rule with the
// correct one on the same seeds. Each variant is small and documents the rule it breaks; the
// default (no variant) is the correct protocol.
type Variant string

const (
	// AckBeforeFsync: followers (and the leader, for its own vote) acknowledge a proposal, and
	// NEWLEADER, as soon as the txn is written, before the fsync completes. Breaks zookeeper.md B5
	// "Acknowledgement means the server has recorded the proposal to persistent storage" and
	// B4 step 3 (ZOOKEEPER-4646): a crash of a quorum that acked loses a committed txn.
	AckBeforeFsync Variant = "ack-before-fsync"
	// CommitWithoutQuorum: the leader commits a proposal once it has logged it itself, without
	// waiting for a quorum. Breaks B5's commit rule (b) "a quorum of voting members, leader
	// included, has ACKed": a leader crash loses txns clients saw committed.
	CommitWithoutQuorum Variant = "commit-without-quorum"
	// ReadFromUncommitted: every server applies a proposal to its tree when it logs it, not when it
	// is committed, so reads (and watches) see txns that may never commit. Breaks B5 (apply only
	// COMMITted txns, in order) and A10's Reliability: a read can see a write that is later lost.
	ReadFromUncommitted Variant = "read-from-uncommitted"
	// SkipTruncateOnSync: a follower ignores TRUNC during synchronization and keeps the txns its
	// old leader proposed but never committed. Breaks B4 case 2/3 (TRUNC discards uncommitted
	// txns, ZOOKEEPER-1154/1156): replicas diverge.
	SkipTruncateOnSync Variant = "skip-truncate-on-sync"
	// NoEphemeralCleanup: when a session expires, the leader forgets it without issuing the
	// closeSession txn, so its ephemeral nodes (and the session in the tree) stay behind while
	// the client is told it expired. Breaks A9: "On expiry the leader issues a closeSession txn.
	// It deletes all of that session's ephemerals."
	NoEphemeralCleanup Variant = "no-ephemeral-cleanup"
	// WatchAfterReply: a server sends the watch events a txn triggers after the reply to that txn
	// instead of before. Breaks A8.1/A13.4: "a client sees the event before any reply that reflects
	// the change".
	WatchAfterReply Variant = "watch-after-reply"
)

// variantRules lists every variant with the rule it breaks, for `zoosim variants`.
var variantRules = []struct {
	v    Variant
	rule string
}{
	{AckBeforeFsync, "ACK only after the txn is on disk (B5; ZOOKEEPER-4646)"},
	{CommitWithoutQuorum, "COMMIT only after a quorum including the leader ACKed (B5)"},
	{ReadFromUncommitted, "apply, and so serve reads of, committed txns only (B5, A10)"},
	{SkipTruncateOnSync, "TRUNC discards a follower's uncommitted txns (B4; ZOOKEEPER-1154)"},
	{NoEphemeralCleanup, "an expired session's ephemerals are deleted with it (A9)"},
	{WatchAfterReply, "a watch event precedes any reply that reflects the change (A8.1, A13.4)"},
}

// Variants returns every known variant in a fixed order.
func Variants() []Variant {
	out := make([]Variant, len(variantRules))
	for i, r := range variantRules {
		out[i] = r.v
	}
	return out
}

// Rule returns the rule a variant breaks, or "" for an unknown variant.
func (v Variant) Rule() string {
	for _, r := range variantRules {
		if r.v == v {
			return r.rule
		}
	}
	return ""
}

// ParseVariants parses a comma-separated list of variant names ("" is none).
func ParseVariants(s string) ([]Variant, error) {
	var out []Variant
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v := Variant(f)
		if v.Rule() == "" {
			return nil, fmt.Errorf("%w: %q (known: %s)", ErrUnknownVariant, f, strings.Join(variantNames(), ", "))
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

func variantNames() []string {
	var names []string
	for _, r := range variantRules {
		names = append(names, string(r.v))
	}
	return names
}

// variantSet is the Peer's parsed view of Config.Variants.
type variantSet struct {
	ackBeforeFsync, commitWithoutQuorum, readFromUncommitted bool
	skipTruncate, noEphemeralCleanup, watchAfterReply        bool
}

func newVariantSet(vs []Variant) (variantSet, error) {
	var s variantSet
	for _, v := range vs {
		switch v {
		case AckBeforeFsync:
			s.ackBeforeFsync = true
		case CommitWithoutQuorum:
			s.commitWithoutQuorum = true
		case ReadFromUncommitted:
			s.readFromUncommitted = true
		case SkipTruncateOnSync:
			s.skipTruncate = true
		case NoEphemeralCleanup:
			s.noEphemeralCleanup = true
		case WatchAfterReply:
			s.watchAfterReply = true
		default:
			return s, fmt.Errorf("%w: %q", ErrUnknownVariant, v)
		}
	}
	return s, nil
}
