package election

// Property tests over random schedules (pgregory.net/rapid). What FLE guarantees is weak
// (zookeeper.md B2, and testdata/split_decision.txt): it elects the best vote only when votes
// arrive within FinalizeWait, and with late or lost messages two servers can decide different
// leaders in the same round; Zab's discovery sorts that out. So the properties are:
//
//   - Invariants, on every schedule (any interleaving of the FIFO links, losses, crashes,
//     time passing while messages are in flight): votes are never invented (every vote sent
//     or decided is its leader's initial vote); a LOOKING server never sends a vote its own
//     initial vote beats; a decision is Leading exactly when it names the server itself; a
//     majority of voters sent the decided vote; a round only decreases when a server joins an
//     ensemble of an older round.
//   - Synchronous agreement: if every message arrives before any timer fires and none is
//     lost, all servers decide, in round 1, the same leader, the one with the best initial
//     vote, at their first timer.
//   - Convergence after faults: after a phase of arbitrary faults, with no more losses and
//     messages faster than timers, and a host that looks again when its election led nowhere
//     (a follower whose leader does not lead, a leader without a quorum of followers, as
//     Zab's discovery and its pings would), every server follows one leader within a bounded
//     number of timer events.
//
// TestPlantedFaults runs the synchronous property with broken vote orders and checks that it
// fails: the properties can see a wrong order.

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// chooser draws a schedule: rapid in the property tests, a seeded PCG in TestPlantedFaults.
type chooser interface {
	intn(n int, label string) int
}

type rapidChooser struct{ t *rapid.T }

func (c rapidChooser) intn(n int, label string) int { return rapid.IntRange(0, n-1).Draw(c.t, label) }

type pcgChooser struct{ r *rand.Rand }

func (c pcgChooser) intn(n int, _ string) int { return c.r.IntN(n) }

// propNet is a testNet with a global clock, the initial votes, and the property checks.
type propNet struct {
	*testNet
	c       chooser
	now     time.Duration
	initial map[wire.ServerID]wire.Vote
	checked int                     // net.sent[:checked] passed the per-message checks
	lastRnd map[wire.ServerID]int64 // per incarnation
	host    map[wire.ServerID]*hostState
	// marks counts rare paths the schedule reached (TestFaultSchedulesReachRarePaths).
	marks map[string]int
	// decided maps a round to the leader of the first decision seen in it.
	decided map[int64]wire.ServerID
	// seen: the server's current decision has been checked.
	seen map[wire.ServerID]bool
	// outcomeOnly turns the invariants off, to show the outcome checks catch faults alone.
	outcomeOnly bool
}

// hostState is the property's model of what Zab does after an election (B3): every
// hostCheck, a follower whose leader does not lead gives up and looks again, and so does a
// leader without a quorum of followers (Leader.lead's ping loop). A stale leader must give up:
// its LEADING answers carry its vote, and if that vote beats the proposal of the LOOKING
// servers it ends their finalize waits again and again (the wait looks at votes only).
type hostState struct {
	checkAt time.Duration // next check, if settled
}

const hostCheck = time.Second // ZooKeeper's initLimit*tickTime order of magnitude

func newPropNet(c chooser, n int, tmpl Config) *propNet {
	p := &propNet{c: c, initial: map[wire.ServerID]wire.Vote{}, lastRnd: map[wire.ServerID]int64{},
		host: map[wire.ServerID]*hostState{}, marks: map[string]int{}, decided: map[int64]wire.ServerID{},
		seen: map[wire.ServerID]bool{}}
	p.testNet = newTestNet(n, tmpl)
	p.log.Reset()
	for _, s := range p.servers {
		// Epochs 1..2, zxids of epoch 1 or of the server's current epoch, few counters:
		// plenty of ties, so the sid and epoch tie-breaks matter.
		epoch := int64(1 + c.intn(2, fmt.Sprintf("epoch%d", s.id)))
		zepoch := int64(1 + c.intn(int(epoch), fmt.Sprintf("zxid-epoch%d", s.id)))
		counter := int64(c.intn(3, fmt.Sprintf("counter%d", s.id)))
		p.initial[s.id] = vote(s.id, tree.Zxid(zepoch<<32|counter), epoch)
		p.host[s.id] = &hostState{}
	}
	return p
}

func (p *propNet) quorum() int { return len(p.servers)/2 + 1 }

// look starts (or restarts) a server's election with its initial vote.
func (p *propNet) look(id wire.ServerID) {
	s := p.srv(id)
	s.now = p.now
	p.host[id] = &hostState{}
	p.seen[id] = false
	p.testNet.look(id, p.initial[id])
	p.log.Reset()
}

func (p *propNet) deliver(l testLink) {
	for _, s := range p.servers {
		s.now = p.now
	}
	p.testNet.deliver(l)
	p.log.Reset()
}

// pick returns a random link with notifications in flight.
func (p *propNet) pick(label string) testLink {
	ls := p.pending()
	return ls[p.c.intn(len(ls), label)]
}

// settle delivers in random order until nothing is in flight, checking as it goes.
func (p *propNet) settle(limit int) error {
	for i := 0; p.inFlight() > 0; i++ {
		if i == limit {
			return fmt.Errorf("no quiescence after %d deliveries", limit)
		}
		p.deliver(p.pick("deliver"))
		if err := p.check(); err != nil {
			return err
		}
	}
	return nil
}

// nextEvent returns the earliest election deadline or host check, if any.
func (p *propNet) nextEvent(withHost bool) (time.Duration, bool) {
	var at time.Duration
	ok := false
	consider := func(t time.Duration) {
		if !ok || t < at {
			at, ok = t, true
		}
	}
	for _, s := range p.servers {
		if d, has := s.e.Deadline(); has {
			consider(d)
		}
		if withHost && s.e.State() != wire.Looking {
			consider(p.host[s.id].checkAt)
		}
	}
	return at, ok
}

// fire ticks every server whose deadline has come, in random order, then runs the host
// checks that are due.
func (p *propNet) fire(withHost bool) {
	order := slices.Clone(p.servers)
	for i := len(order) - 1; i > 0; i-- {
		j := p.c.intn(i+1, "tick-order")
		order[i], order[j] = order[j], order[i]
	}
	for _, s := range order {
		if d, ok := s.e.Deadline(); ok && d <= p.now {
			p.testNet.tick(s.id, p.now)
		}
	}
	p.log.Reset()
	if withHost {
		p.hostChecks()
	}
}

func (p *propNet) hostChecks() {
	for _, s := range p.servers {
		h := p.host[s.id]
		if s.e.State() == wire.Looking || h.checkAt > p.now {
			continue
		}
		ok := false
		switch s.e.State() {
		case wire.Leading:
			ok = len(p.followers(s.id))+1 >= p.quorum()
		case wire.Following:
			ok = p.srv(s.e.Vote().Leader).e.State() == wire.Leading
		}
		if ok {
			h.checkAt = p.now + hostCheck
			continue
		}
		p.look(s.id)
	}
}

// followers returns the servers that follow id.
func (p *propNet) followers(id wire.ServerID) []wire.ServerID {
	var fs []wire.ServerID
	for _, f := range p.servers {
		if f.id != id && f.e.State() == wire.Following && f.e.Vote().Leader == id {
			fs = append(fs, f.id)
		}
	}
	return fs
}

// check runs the invariants on what happened since the last check.
func (p *propNet) check() error {
	if p.outcomeOnly {
		return nil
	}
	for _, o := range p.sent[p.checked:] {
		n := o.N
		if init, ok := p.initial[n.Leader]; !ok || n.Vote != init {
			return fmt.Errorf("%s: an invented vote (initial votes %v)", o, p.initial)
		}
		if n.State == wire.Looking && p.initial[n.Sid].Beats(n.Vote) {
			return fmt.Errorf("%s: LOOKING with a vote below its own initial %v", o, p.initial[n.Sid])
		}
	}
	p.checked = len(p.sent)
	for _, s := range p.servers {
		e := s.e
		if r := e.Round(); r < p.lastRnd[s.id] {
			if d, ok := e.Decision(); !ok || d.Via != ViaOutOfElection {
				return fmt.Errorf("server %d: round went back from %d to %d: %s", s.id, p.lastRnd[s.id], r, e)
			}
		}
		p.lastRnd[s.id] = e.Round()
		d, ok := e.Decision()
		if !ok {
			continue
		}
		if d.Vote != p.initial[d.Leader] || d.Leader != d.Vote.Leader {
			return fmt.Errorf("server %d decided %v, not its leader's initial vote %v", s.id, d, p.initial[d.Leader])
		}
		if (d.State == wire.Leading) != (d.Leader == s.id) || e.State() != d.State && e.State() != wire.Looking {
			return fmt.Errorf("server %d: decision %v in state %v", s.id, d, e.State())
		}
		if h := p.host[s.id]; !p.seen[s.id] {
			p.seen[s.id] = true
			h.checkAt = p.now + hostCheck
			senders := map[wire.ServerID]bool{s.id: true}
			for _, o := range p.sent {
				if o.N.Vote == d.Vote {
					senders[o.N.Sid] = true
				}
			}
			if len(senders) < p.quorum() {
				return fmt.Errorf("server %d decided %v, sent by %d servers only", s.id, d, len(senders))
			}
			p.marks["via "+d.Via.String()]++
			if l, ok := p.decided[d.Round]; ok && l != d.Leader {
				p.marks["different leaders in one round"]++
			} else if !ok {
				p.decided[d.Round] = d.Leader
			}
		}
	}
	return nil
}

// best returns the initial vote that beats all others under wire.Vote.Beats.
func (p *propNet) best() wire.Vote {
	var b wire.Vote
	for i, s := range p.servers {
		if v := p.initial[s.id]; i == 0 || v.Beats(b) {
			b = v
		}
	}
	return b
}

// runSynchronous checks synchronous agreement: everyone looks at time 0 (in random order,
// interleaved with deliveries), every message arrives before time moves, and nothing is
// lost.
func runSynchronous(c chooser, n int, tmpl Config, outcomeOnly bool) error {
	p := newPropNet(c, n, tmpl)
	p.outcomeOnly = outcomeOnly
	var unlooked []wire.ServerID
	for _, s := range p.servers {
		unlooked = append(unlooked, s.id)
	}
	for len(unlooked) > 0 {
		if p.inFlight() > 0 && c.intn(2, "look-or-deliver") == 0 {
			p.deliver(p.pick("deliver"))
		} else {
			i := c.intn(len(unlooked), "look")
			p.look(unlooked[i])
			unlooked = slices.Delete(unlooked, i, i+1)
		}
		if err := p.check(); err != nil {
			return err
		}
	}
	for events := 0; ; events++ {
		if err := p.settle(20000); err != nil {
			return err
		}
		at, ok := p.nextEvent(false)
		if !ok {
			break
		}
		if events == 5*n {
			return fmt.Errorf("undecided after %d timer events: %s", events, p.describe())
		}
		p.now = at
		p.fire(false)
		if err := p.check(); err != nil {
			return err
		}
	}
	best := p.best()
	for _, s := range p.servers {
		d, ok := s.e.Decision()
		if !ok || d.Vote != best || d.Round != 1 || d.Via != ViaQuorum || d.State != s.e.State() {
			return fmt.Errorf("server %d: decision %v %v, want %v in round 1 via quorum (at %v: %s)",
				s.id, d, ok, best, p.now, p.describe())
		}
		if p.now != s.e.cfg.FinalizeWait {
			return fmt.Errorf("decided at %v, want the first finalize wait's end", p.now)
		}
	}
	return nil
}

// runFaultsThenHeal checks the invariants under faults and convergence after them.
func runFaultsThenHeal(c chooser, n int, tmpl Config) error {
	_, err := faultsThenHeal(c, n, tmpl)
	return err
}

func faultsThenHeal(c chooser, n int, tmpl Config) (map[string]int, error) {
	jitter := rand.New(rand.NewPCG(uint64(c.intn(1<<30, "jitter-seed")), 1))
	tmpl.Jitter = func(n int64) int64 { return jitter.Int64N(n) }
	p := newPropNet(c, n, tmpl)
	for _, s := range p.servers {
		p.look(s.id)
	}
	steps := c.intn(80, "fault-steps")
	for i := 0; i < steps; i++ {
		switch k := c.intn(10, "fault-action"); {
		case k < 5 && p.inFlight() > 0:
			p.deliver(p.pick("deliver"))
		case k < 7 && p.inFlight() > 0: // a broken connection loses what is in flight on it
			p.drop(p.pick("drop"))
			p.log.Reset()
		case k < 9: // time passes, messages or not
			if at, ok := p.nextEvent(true); ok && c.intn(2, "to-next-event") == 0 {
				p.now = max(p.now, at)
			} else {
				p.now += time.Duration(c.intn(400, "advance-ms")) * time.Millisecond
			}
			p.fire(true)
		default: // a crash and restart: the round starts over
			id := p.servers[c.intn(len(p.servers), "restart")].id
			p.restart(id)
			p.marks["restart"]++
			p.lastRnd[id] = 0
			p.look(id)
		}
		if err := p.check(); err != nil {
			return p.marks, err
		}
	}
	// Heal: nothing more is lost, and messages are faster than timers.
	for events := 0; ; events++ {
		if err := p.settle(20000); err != nil {
			return p.marks, err
		}
		if p.converged() {
			return p.marks, nil
		}
		if events == 60*n {
			return p.marks, fmt.Errorf("no single leader %d timer events after the faults: %s", events, p.describe())
		}
		at, ok := p.nextEvent(true)
		if !ok {
			return p.marks, fmt.Errorf("stuck without timers: %s", p.describe())
		}
		p.now = max(p.now, at)
		p.fire(true)
		if err := p.check(); err != nil {
			return p.marks, err
		}
	}
}

// converged reports whether one server leads and all others follow it. The host model
// changes nothing from there on.
func (p *propNet) converged() bool {
	for _, s := range p.servers {
		if s.e.State() == wire.Leading {
			return len(p.followers(s.id)) == len(p.servers)-1
		}
	}
	return false
}

func (p *propNet) describe() string {
	s := fmt.Sprintf("now %v initial %v;", p.now, p.initial)
	for _, sv := range p.servers {
		s += fmt.Sprintf(" [%d: %s]", sv.id, sv.e)
	}
	return s
}

func TestPropertySynchronousAgreement(t *testing.T) {
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("n=%d", n), rapid.MakeCheck(func(t *rapid.T) {
			if err := runSynchronous(rapidChooser{t}, n, Config{}, false); err != nil {
				t.Fatal(err)
			}
		}))
	}
}

func TestPropertyConvergesAfterFaults(t *testing.T) {
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("n=%d", n), rapid.MakeCheck(func(t *rapid.T) {
			if err := runFaultsThenHeal(rapidChooser{t}, n, Config{}); err != nil {
				t.Fatal(err)
			}
		}))
	}
}

// TestPlantedFaults shows that the synchronous property catches a wrong vote order: a
// reversed one, and ZooKeeper's pre-1419 order (BetterWithoutEpochGuard). Each must fail on
// one of the first seeds of a fixed PCG schedule, both with the invariants and with the
// outcome check alone.
func TestPlantedFaults(t *testing.T) {
	for _, c := range []struct {
		name   string
		better func(a, b wire.Vote) bool
	}{
		{"reversed order", func(a, b wire.Vote) bool { return b.Beats(a) }},
		{"ZOOKEEPER-1419 order", BetterWithoutEpochGuard},
	} {
		for _, outcomeOnly := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/outcome-only=%v", c.name, outcomeOnly), func(t *testing.T) {
				for seed := uint64(1); seed <= 200; seed++ {
					ch := pcgChooser{rand.New(rand.NewPCG(seed, 0))}
					if err := runSynchronous(ch, 5, Config{Better: c.better}, outcomeOnly); err != nil {
						t.Logf("caught with seed %d: %v", seed, truncate(err))
						return
					}
				}
				t.Fatal("the property did not catch the planted fault in 200 seeds")
			})
		}
	}
	// The same seeds pass with the right order.
	for seed := uint64(1); seed <= 50; seed++ {
		if err := runSynchronous(pcgChooser{rand.New(rand.NewPCG(seed, 0))}, 5, Config{}, false); err != nil {
			t.Fatalf("seed %d, right order: %v", seed, err)
		}
	}
}

func truncate(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// TestFaultSchedulesReachRarePaths checks that the fault schedules of
// TestPropertyConvergesAfterFaults are not vacuous: over a fixed set of PCG seeds they make
// servers decide by each rule, restart, and decide different leaders in one round.
func TestFaultSchedulesReachRarePaths(t *testing.T) {
	total := map[string]int{}
	for _, n := range []int{3, 5} {
		for seed := uint64(1); seed <= 150; seed++ {
			marks, err := faultsThenHeal(pcgChooser{rand.New(rand.NewPCG(seed, 7))}, n, Config{})
			if err != nil {
				t.Fatalf("n=%d seed %d: %v", n, seed, err)
			}
			for k, v := range marks {
				total[k] += v
			}
		}
	}
	t.Logf("marks: %v", total)
	for _, k := range []string{"via quorum", "via round", "via outofelection", "restart", "different leaders in one round"} {
		if total[k] == 0 {
			t.Errorf("no schedule reached %q", k)
		}
	}
}
