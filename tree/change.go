package tree

// Change is one effect of an applied txn that watches can observe: a node
// created, deleted, or its data set. [Tree.Apply] reports the changes of a
// txn in the order ZooKeeper's DataTree triggers them (sub-op by sub-op for
// a multi, path by path for a closed session), and a [Watches] registry
// expands each into the watch triggers of zookeeper.md A8.1:
//
//   - NodeCreated:     data watches on Path fire NodeCreated; child watches on
//     the parent fire NodeChildrenChanged.
//   - NodeDeleted:     data watches on Path fire NodeDeleted; child watches on
//     Path fire NodeDeleted too, but once per watcher (ZooKeeper's "processed"
//     suppression); child watches on the parent fire NodeChildrenChanged.
//   - NodeDataChanged: data watches on Path fire NodeDataChanged.
//
// setACL changes nothing a watch sees (A4), so it produces no Change.
type Change struct {
	Type EventType // EventNodeCreated, EventNodeDeleted or EventNodeDataChanged
	Path string
}
