package client

// hostProvider picks the next server to dial as the Java client's
// StaticHostProvider does (without reconfiguration): the server list is
// shuffled once, then tried round-robin; when the round comes back to the
// server the client last connected to (or to the first one, if it never
// connected) the client waits spinDelay before dialing (next(1000) in
// ClientCnxn.SendThread.run).
type hostProvider struct {
	// Invariant: order is a permutation of [0, n).
	order []int
	// current is the position in order of the server dialed last, -1
	// before the first dial.
	current int
	// last is the position of the server the client last connected to
	// (onConnected), -1 before the first dial, 0 after it until the first
	// connection.
	last int
}

// newHostProvider shuffles [0, n) with rand as Collections.shuffle does:
// from the end, swap each position with a random one at or before it.
func newHostProvider(n int, rand func(int) int) hostProvider {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	for i := n; i > 1; i-- {
		j := rand(i)
		order[i-1], order[j] = order[j], order[i-1]
	}
	return hostProvider{order: order, current: -1, last: -1}
}

// next returns the next server to dial and whether the client must first
// wait the spin delay, having tried every server since it last connected.
// The very first call never waits.
func (h *hostProvider) next() (server int, spin bool) {
	h.current++
	if h.current == len(h.order) {
		h.current = 0
	}
	spin = h.current == h.last
	if h.last == -1 {
		h.last = 0
	}
	return h.order[h.current], spin
}

// onConnected records that the current server accepted the session.
func (h *hostProvider) onConnected() { h.last = h.current }
