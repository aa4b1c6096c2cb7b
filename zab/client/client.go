package client

import (
	"fmt"
	"time"

	"zoosim/tree"
	"zoosim/zab/wire"
)

// Client is one ZooKeeper client session: the Java client's ZooKeeper,
// ClientCnxn and its two threads folded into one object driven by an event
// loop. It is not safe for concurrent use; everything runs on the loop.
type Client struct {
	// scratch is the encode buffer for outgoing frames (Conn.Send copies).
	scratch []byte
	// dec decodes every received frame into messages it reuses, so a reply
	// or an event costs no message allocation; nothing keeps its pointers
	// past the frame's handling (finish copies the reply).
	dec wire.ClientDecoder
	// ping is the frame of every ping, built once.
	ping wire.Request
	env  Env
	cfg  Config
	def  *Watcher // wraps cfg.Watcher

	state State
	// closing is set by Close, as ClientCnxn.closing: later requests fail
	// with ConnectionLoss and a lost connection is not re-established.
	closing       bool
	closeWaiters  []completer
	connWaiters   []completer
	lastDrop      error
	everConnected bool // a transport connection came up once (!isFirstConnect)

	sessionID tree.SessionID
	passwd    []byte
	// negotiated is the session timeout of the last ConnectResponse, 0
	// before the first.
	negotiated time.Duration
	// Invariant: readTimeout = 2/3 and connectTimeout = 1/Servers of the
	// negotiated timeout (of the requested one before the first
	// connection), in whole milliseconds as the Java client computes them.
	readTimeout, connectTimeout time.Duration
	// lastZxid is the highest zxid seen in a reply or event; every
	// ConnectRequest carries it, so no server behind it accepts the
	// session (zookeeper.md A9, A11).
	lastZxid tree.Zxid
	xid      int32 // the next xid to hand out

	hosts hostProvider
	// cn is the current connection attempt, nil between attempts.
	cn     *conn
	redial Timer // the wait before the next attempt, if any

	// Invariant: outgoing holds requests not yet sent, in xid order;
	// pending holds the requests sent on cn, in xid order, awaiting their
	// replies. outgoing is empty while cn is established.
	outgoing packetQueue
	pending  packetQueue
	// free holds released packets for reuse (newPacket).
	free []*packet

	auth    []string // digest credentials, in the order added
	watches watchManager
	// eventState is the state of the last session event delivered; an
	// event repeating it is dropped (EventThread.queueEvent), so repeated
	// failed attempts give one Disconnected.
	eventState wire.KeeperState

	// queue holds the callbacks, watcher calls and observer hooks not yet
	// run, in order. It plays the Java client's event thread: everything
	// the application sees goes through it, so callbacks never run inside
	// a call into the client and always run in the order their causes
	// happened. Its array is reused from one drain to the next.
	queue                   []task
	draining, drainSchedule bool
	// kickFn is kicked bound once, so a kick allocates no closure.
	kickFn func()
	// noResult is the zero result handed to completers when there is no
	// reply; completers only read it.
	noResult tree.Result
}

// task is one entry of the dispatch queue: a request's outcome (p), an
// event for watchers (event), or the completion of a call that needs no
// packet (done, with res or the zero result, and err). A struct rather
// than a closure, so queueing allocates nothing.
type task struct {
	p     *packet
	done  completer
	res   *tree.Result
	err   error
	event bool
	ev    Event
	ws    []*Watcher
}

// New creates a client and starts connecting at once (the first Dial
// happens inside New). It panics on an invalid Config.
func New(env Env, cfg Config) *Client {
	if err := cfg.validate(); err != nil {
		panic(err)
	}
	c := &Client{
		env:        env,
		cfg:        cfg,
		def:        NewWatcher(cfg.Watcher),
		sessionID:  cfg.SessionID,
		passwd:     append([]byte(nil), cfg.Passwd...),
		hosts:      newHostProvider(cfg.Servers, env.Rand),
		auth:       append([]string(nil), cfg.Auth...),
		watches:    newWatchManager(),
		eventState: wire.StateDisconnected,
		xid:        1,
		ping:       wire.Request{Xid: wire.XidPing, Req: pingRequest},
	}
	c.kickFn = c.kicked
	if c.passwd == nil {
		c.passwd = make([]byte, 16) // ClientCnxn's initial new byte[16]
	}
	c.setTimeouts(cfg.SessionTimeout.Milliseconds())
	c.startConnect()
	return c
}

// State returns the connection state.
func (c *Client) State() State { return c.state }

// SessionID returns the session id, 0 before the first connection.
func (c *Client) SessionID() tree.SessionID { return c.sessionID }

// SessionPasswd returns the session password, for resuming the session in
// another client (Config.Passwd).
func (c *Client) SessionPasswd() []byte { return append([]byte(nil), c.passwd...) }

// SessionTimeout returns the negotiated session timeout, 0 before the first
// connection.
func (c *Client) SessionTimeout() time.Duration { return c.negotiated }

// LastZxidSeen returns the highest zxid seen in a reply or event.
func (c *Client) LastZxidSeen() tree.Zxid { return c.lastZxid }

// Server returns the server of the current connection attempt, or -1
// between attempts.
func (c *Client) Server() int {
	if c.cn == nil {
		return -1
	}
	return c.cn.server
}

// LastDrop returns why the client last dropped or lost a connection (an
// error wrapping ErrProtocol, ErrTimeout or ErrConnClosed), nil if never.
func (c *Client) LastDrop() error { return c.lastDrop }

// DefaultWatcher returns the watcher wrapping Config.Watcher: pass it to a
// read to set a watch whose events go there (the Java API's watch=true).
func (c *Client) DefaultWatcher() *Watcher { return c.def }

// String describes the client on one line, like ClientCnxn.toString.
func (c *Client) String() string {
	return fmt.Sprintf("client session=%s state=%s server=%d lastZxid=%s xid=%d queued=%d pending=%d timeout=%v",
		c.sessionID, c.state, c.Server(), c.lastZxid, c.xid, c.outgoing.len(), c.pending.len(), c.negotiated)
}

// post queues t to run from the event loop after everything queued before.
func (c *Client) post(t task) { c.queue = append(c.queue, t) }

// drain runs the queue. Every entry from the event loop (a ConnHandler
// method, a timer) ends with it. A callback that calls into the client
// only adds to the queue, which this loop then runs too.
func (c *Client) drain() {
	if c.draining {
		return
	}
	c.draining = true
	for i := 0; i < len(c.queue); i++ {
		t := c.queue[i]
		c.queue[i] = task{}
		c.run(&t)
	}
	c.queue = c.queue[:0]
	c.draining = false
}

// run runs one task of the queue.
func (c *Client) run(t *task) {
	switch {
	case t.p != nil:
		p := t.p
		var reply *wire.Reply
		res := &c.noResult
		if p.replied {
			reply, res = &p.reply, &p.reply.Result
		}
		if c.cfg.Observer != nil && p.msg.Xid > 0 {
			c.cfg.Observer.OnReturn(p.msg.Xid, reply, p.err)
		}
		if p.done != nil {
			p.done.complete(res, p.err)
		}
		c.release(p)
	case t.event:
		if c.cfg.Observer != nil {
			c.cfg.Observer.OnEvent(t.ev)
		}
		for _, w := range t.ws {
			w.call(t.ev)
		}
	default:
		res := t.res
		if res == nil {
			res = &c.noResult
		}
		t.done.complete(res, t.err)
	}
}

// kick makes sure a queue filled by an API call runs: the call itself
// never runs callbacks, so the drain goes to the next turn of the loop.
func (c *Client) kick() {
	if c.draining || c.drainSchedule || len(c.queue) == 0 {
		return
	}
	c.drainSchedule = true
	c.env.After(0, c.kickFn)
}

// kicked is the turn of the loop that kick asked for.
func (c *Client) kicked() {
	c.drainSchedule = false
	c.drain()
}

// setState moves to s and tells WaitConnected callers what they waited for.
func (c *Client) setState(s State) {
	c.state = s
	var err error
	switch {
	case s == Connected:
	case !s.IsAlive():
		err = &Error{Code: c.failCode()}
	default:
		return
	}
	waiters := c.connWaiters
	c.connWaiters = nil
	for _, w := range waiters {
		c.post(task{done: w, err: err})
	}
}

// failCode is the code of a request the client fails itself, by state
// (ClientCnxn.conLossPacket): AuthFailed, SessionExpired once closed (after
// expiry or close), ConnectionLoss otherwise.
func (c *Client) failCode() tree.Code {
	switch c.state {
	case AuthFailed:
		return tree.AuthFailed
	case Closed:
		return tree.SessionExpired
	}
	return tree.ConnectionLoss
}

// sessionEvent delivers a session event to the default watcher and every
// registered watcher, unless it repeats the last one.
func (c *Client) sessionEvent(s wire.KeeperState) {
	if s == c.eventState {
		return
	}
	c.eventState = s
	c.deliver(Event{Type: tree.EventNone, State: s}, c.watches.all(c.def))
}

// deliver queues e for the watchers ws.
func (c *Client) deliver(e Event, ws []*Watcher) {
	c.post(task{event: true, ev: e, ws: ws})
}

// setTimeouts derives the timers from a session timeout of ms
// milliseconds, in Java's integer arithmetic (ClientCnxn constructor and
// onConnected; zookeeper.md A9 "Client timers").
func (c *Client) setTimeouts(ms int64) {
	c.readTimeout = msDuration(ms * 2 / 3)
	c.connectTimeout = msDuration(ms / int64(c.cfg.Servers))
}

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }
