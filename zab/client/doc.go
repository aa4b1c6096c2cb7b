// Package client is zoosim's ZooKeeper client library: the Java client of
// ZooKeeper 3.8 (ZooKeeper, ClientCnxn, ZKWatchManager, StaticHostProvider)
// rebuilt on an abstract event loop, so it runs inside the deterministic
// simulation. References to zookeeper.md are to
// ../shared/reference/zookeeper.md.
//
// # Two layers
//
// [Client] is the asynchronous core. The host (sim/cluster) implements
// [Env]: virtual time, timers, connections and a seeded random stream; it
// calls the client back through [ConnHandler] and timer functions, all on
// one event loop. The client starts no goroutine and reads no clock.
// Callbacks, watchers and [Observer] hooks run from a queue that plays the
// Java client's event thread: never inside a call into the client, always
// in the order their causes happened.
//
// [Session] is the blocking facade for code running as a simulated
// process: each method issues the asynchronous call and parks the process
// through a [Waiter] until the callback ran.
//
// # Sessions and servers (zookeeper.md A9)
//
// The client shuffles the servers once with Env.Rand and tries them in
// turn; after a full round without success it waits one second, and once
// any connection ever came up it waits a random 0-999 ms before each
// attempt, as the Java client does. A ConnectRequest carries the
// requested timeout, the session id and password, and lastZxidSeen, the
// highest zxid of any reply or event; a server behind that zxid refuses by
// closing the connection, and the client moves on to the next one.
//
// A ConnectResponse with timeout 0 means the session expired: the watchers
// get Expired, every request fails with SessionExpired and the client is
// Closed for good. Otherwise, with negotiated timeout T, the client drops
// a connection it has heard nothing on for 2T/3 (the read timeout), or T/n
// for an attempt not yet established (n servers), and pings when it has
// sent nothing for T/3.
//
// # Requests
//
// Requests are numbered with increasing xids and sent in order on one
// connection; every reply must answer the oldest pending request, except
// pings (-2), auth replies (-4) and notifications (-1). setWatches (-8) is
// pending like a request, as in Java. A reply out of order, a frame that
// does not decode or a message out of place drops the connection.
//
// When a connection is lost, every pending request fails with
// ConnectionLoss and the watchers get Disconnected (once, however many
// attempts fail). Requests issued while there is no established connection
// queue, as in ZooKeeper 3.8: they are sent after the next successful
// handshake, or fail with ConnectionLoss when the attempt in progress fails
// (Java fails its outgoing queue along with the pending one). Callers that
// must not wait can check [Client.State] first.
//
// After a reconnect to the same session the client sends, before any
// queued request, its auth credentials and setWatches with every watch it
// holds and relativeZxid = lastZxidSeen, so the new server fires at once
// what it missed (zookeeper.md A8.1 "Reconnect").
//
// [Client.Close] sends closeSession and becomes Closed on its reply or on
// losing the connection. Meanwhile new requests fail with ConnectionLoss;
// after it, with SessionExpired (ClientCnxn.queuePacket and conLossPacket).
//
// # Watches (zookeeper.md A8)
//
// Watches are held as the Java client holds them: a watch is entered only
// when the reply says the server set it; an event takes the one-shot
// watchers of its path out and calls each watcher once, however many
// reads registered it; persistent and recursive watches stay. Every
// session event goes to the default watcher ([Config].Watcher) and to
// every registered watcher.
//
// # Errors
//
// Failures are *[Error] values carrying the ZooKeeper code, the op and the
// path; test them with errors.Is against the Err* values or with [CodeOf].
//
// # Differences from the Java client
//
//   - No chroot, no read-only mode, no SASL, no reconfig
//     (updateServerList), no disableAutoWatchReset, no request timeout.
//     Not provided: getEphemerals, getAllChildrenNumber, multiRead, whoAmI.
//   - Only digest credentials: the wire protocol carries no auth scheme.
//   - Xids are handed out when a request is issued, not when it is
//     written; the order on the wire is the same.
//   - lastZxidSeen is the maximum, not the last, reply zxid (equal for a
//     well-behaved server) and also counts event zxids if a server sends
//     them (3.8 sends -1, which changes nothing).
//   - A watch-removed or session event goes to watchers in a fixed order
//     (table order, then registration order); Java iterates hash sets.
//   - A recursive watcher never gets NodeChildrenChanged, even when another
//     watch makes the server send one: the 3.8.0 client delivered it,
//     ZOOKEEPER-4475 stopped that (zookeeper.md A8.2).
//   - After Expired or AuthFailed no Closed event follows: the Java client
//     kills its event thread right after those, so a later Closed is
//     delivered only if it wins a race.
//   - While waiting between attempts the state is Connecting; Java keeps
//     reporting CONNECTED until the next attempt starts.
//   - Ping timing follows the Java send loop, including its one-second
//     slack, with the loop waking on timers and on received frames.
package client
