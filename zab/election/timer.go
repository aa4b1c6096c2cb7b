package election

import (
	"fmt"
	"time"
)

// Tick tells the election that time has passed. At the end of the finalize wait it decides
// for its proposal (ViaQuorum). At the retransmission time, nothing having arrived for the
// interval, it sends its proposal to every voter again and doubles the interval up to
// MaxNotificationInterval (zookeeper.md B2). ZooKeeper retransmits only when its connection
// manager has delivered everything queued and otherwise reconnects; here the host owns the
// connections, so the election always retransmits and the host drops what it cannot send.
func (e *Election) Tick(now time.Duration) {
	at, ok := e.Deadline()
	if !ok || now < at {
		return
	}
	if e.finalizing {
		e.decide(e.proposal, ViaQuorum)
		return
	}
	e.broadcast()
	e.setInterval(min(2*e.interval, e.cfg.MaxNotificationInterval))
	e.pollAt = now + e.wait
	e.drain(now)
}

// setInterval sets the retransmission interval and draws its jitter.
func (e *Election) setInterval(d time.Duration) {
	e.interval = d
	e.wait = d
	if e.cfg.Jitter == nil {
		return
	}
	n := int64(d / 2)
	if n <= 0 {
		return
	}
	j := e.cfg.Jitter(n)
	if j < 0 || j >= n {
		panic(fmt.Sprintf("election: server %d: Jitter(%d) returned %d, outside [0, %d)", e.cfg.Self, n, j, n))
	}
	e.wait += time.Duration(j)
}
