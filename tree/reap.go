package tree

import "slices"

// ReapCandidates lists, sorted, the nodes the leader's ContainerManager
// would delete at time now (ms) (zookeeper.md A2.1):
//
//   - a container with no children that has had a child (its child-create
//     counter is above zero), or, when maxNeverUsedMs is not zero, one that
//     never had a child and was last modified more than maxNeverUsedMs ago;
//   - a TTL node with no children whose mtime is more than its TTL ago.
//
// The leader turns each into an OpDeleteContainer request, which its
// Preparer validates again: a child that appeared in the meantime makes it
// fail NotEmpty. Rate limits (maxPerMinute) are the server's business.
func (t *Tree) ReapCandidates(now, maxNeverUsedMs int64) []string {
	var out []string
	for path := range t.containers {
		n := t.nodes[path]
		if n.children.len() > 0 {
			continue
		}
		if n.cversion > 0 || (maxNeverUsedMs != 0 && now-n.mtime > maxNeverUsedMs) {
			out = append(out, path)
		}
	}
	for path := range t.ttls {
		n := t.nodes[path]
		if n.children.len() > 0 {
			continue
		}
		if ttl := n.ephemeralOwner &^ ttlMask; ttl != 0 && now-n.mtime > ttl {
			out = append(out, path)
		}
	}
	slices.Sort(out)
	return out
}
