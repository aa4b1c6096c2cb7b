package models

import (
	"fmt"
	"slices"
	"sort"

	"zoosim/histories"
	"zoosim/tree"
)

// CheckerConfig is the name of CheckConfig's verdicts.
const CheckerConfig = "config"

// ConfigOptions tune CheckConfig.
type ConfigOptions struct {
	// Recipe is the recipe whose steps are judged (histories.RecipeConfig when empty).
	Recipe string
}

// The configuration workload's steps (sim/cluster): Name is the configuration's node. "read",
// "published" and "settled" carry the version (the node's data version, -1 for no
// configuration) in Token and the data in Value; "synced" carries in Token the zxid the
// settle's sync was answered at, and comes just before its "settled".
const (
	configRead      = "read"
	configPublished = "published"
	configSynced    = "synced"
	configSettled   = "settled"
)

// CheckConfig judges the configuration recipe (recipes.Config; issue 7) against the committed
// log, replayed with package tree:
//
//   - every version a process read, published or settled at was committed: the node held that
//     data at that version (version -1: the node did not exist yet);
//   - one session's versions never go back (A10: a session's reads are monotonic);
//   - watchers converge: a reader settles at a version no older than the node's at the zxid its
//     settle's sync was answered at. The recipe owes this and no more: a publication committed
//     after the sync (a publisher's write still in flight when the workloads stopped) may miss
//     it. So when the last publication committed before the settles, every reader that settled
//     holds the last committed version; the verdict counts those that do.
//
// Readers are judged at zxids, not at times: a reader's server may lag the leader by any number
// of txns, so "the reader holds the last version when the run ends" would fail correct runs
// whose last publication committed while the readers were settling.
func CheckConfig(h *histories.History, opts ConfigOptions) Verdict {
	if opts.Recipe == "" {
		opts.Recipe = histories.RecipeConfig
	}
	steps := recipeSteps(h, opts.Recipe)
	nodes := map[string]bool{}
	for _, e := range steps {
		nodes[e.Name] = true
	}
	versions := configReplay(h, nodes)
	var vs violations

	lastVersion := map[tree.SessionID]int64{}
	synced := map[int]*histories.RecipeEvent{}
	var reads, published, settled, atLast int
	for _, e := range steps {
		cv := versions[e.Name]
		switch e.Step {
		case configSynced:
			synced[e.Process] = e
			continue
		case configRead:
			reads++
		case configPublished:
			published++
		case configSettled:
			settled++
		default:
			continue
		}
		if !cv.committed(int32(e.Token), e.Value) {
			vs.addf(e.Time, nil, "config %s: process %d (session %s) %s version %d with data %q, which the committed log never gave the node",
				e.Name, e.Process, e.Session, configVerb(e.Step), e.Token, e.Value)
		}
		if last, ok := lastVersion[e.Session]; ok && e.Token < last {
			vs.addf(e.Time, nil, "config %s: process %d (session %s) %s version %d after version %d: its versions went back",
				e.Name, e.Process, e.Session, configVerb(e.Step), e.Token, last)
		}
		if last, ok := lastVersion[e.Session]; !ok || e.Token > last {
			lastVersion[e.Session] = e.Token
		}
		if e.Step != configSettled {
			continue
		}
		s := synced[e.Process]
		delete(synced, e.Process)
		if s == nil || s.Session != e.Session {
			vs.addf(e.Time, nil, "config %s: process %d (session %s) settled without a sync before it", e.Name, e.Process, e.Session)
			continue
		}
		z := tree.Zxid(s.Token)
		if need := cv.versionAt(z); int32(e.Token) < need {
			vs.addf(e.Time, nil, "config %s: process %d (session %s) settled at version %d, but its sync was answered at zxid %s, when the node was at version %d: the watcher did not converge",
				e.Name, e.Process, e.Session, e.Token, z, need)
		}
		if int32(e.Token) == cv.last() {
			atLast++
		}
	}
	v := vs.verdict(CheckerConfig, fmt.Sprintf("%d reads and %d publications of %d configurations, %d readers settled (%d at the last version): every version committed, monotonic per session, settled readers converge",
		reads, published, len(nodes), settled, atLast))
	if reads+published+settled == 0 {
		v.Summary = "no configuration was read: nothing to check"
	}
	v.Metrics = []Metric{{Name: "reads", Value: float64(reads)}, {Name: "publications", Value: float64(published)},
		{Name: "settled readers", Value: float64(settled)}, {Name: "settled readers at the last version", Value: float64(atLast)}}
	return v
}

func configVerb(step string) string {
	switch step {
	case configPublished:
		return "published"
	case configSettled:
		return "settled at"
	}
	return "read"
}

// configVersions is the committed history of one configuration node: its version and data
// after each txn that created, changed or deleted it, in zxid order.
type configVersions []configVersion

type configVersion struct {
	zxid    tree.Zxid
	version int32 // -1: the node does not exist
	data    string
}

// committed reports whether the node held data at version (version -1, no data: it did not
// exist, as before its creation).
func (cv configVersions) committed(version int32, data string) bool {
	if version == -1 {
		return data == ""
	}
	return slices.ContainsFunc(cv, func(v configVersion) bool { return v.version == version && v.data == data })
}

// versionAt is the node's version after the committed log up to zxid z, -1 if it did not exist.
func (cv configVersions) versionAt(z tree.Zxid) int32 {
	i := sort.Search(len(cv), func(i int) bool { return cv[i].zxid > z })
	if i == 0 {
		return -1
	}
	return cv[i-1].version
}

// last is the node's final version, -1 if it never existed or is gone.
func (cv configVersions) last() int32 {
	if len(cv) == 0 {
		return -1
	}
	return cv[len(cv)-1].version
}

// configReplay replays the committed log (ordCommitted) with package tree and returns the
// history of each node in nodes.
func configReplay(h *histories.History, nodes map[string]bool) map[string]configVersions {
	out := map[string]configVersions{}
	if len(nodes) == 0 {
		return out
	}
	t := tree.New(tree.Options{})
	for _, x := range ordCommitted(h) {
		a := t.Apply(x)
		for _, ch := range a.Changes {
			if !nodes[ch.Path] {
				continue
			}
			v := configVersion{zxid: x.Zxid, version: -1}
			if data, st, ok := t.Get(ch.Path); ok {
				v.version, v.data = st.Version, string(data)
			}
			cv := out[ch.Path]
			if n := len(cv); n > 0 && cv[n-1].zxid == x.Zxid {
				cv[n-1] = v // a multi changed it twice: keep its state after the txn
			} else {
				cv = append(cv, v)
			}
			out[ch.Path] = cv
		}
	}
	return out
}
