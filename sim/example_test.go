package sim_test

import (
	"os"
	"time"

	"zoosim/sim"
)

// echoServer is a node's software: it listens on port 2181 and answers every message with "pong".
type echoServer struct{}

func (echoServer) boot(n *sim.Node) {
	n.Listen(2181, func(*sim.Conn) sim.ConnHandler { return echoServer{} })
}
func (echoServer) Connected(*sim.Conn)              {}
func (echoServer) Received(c *sim.Conn, msg []byte) { _ = c.Send([]byte("pong")) }
func (echoServer) Closed(*sim.Conn, error)          {}

// inbox hands what a connection receives (or why it closed) to a process.
type inbox struct{ box *sim.Mailbox[string] }

func (inbox) Connected(*sim.Conn)                {}
func (i inbox) Received(_ *sim.Conn, msg []byte) { i.box.Put(string(msg)) }
func (i inbox) Closed(_ *sim.Conn, err error)    { i.box.Put(err.Error()) }

// A client process pings a server twice; the server crashes in between, and the client learns of
// it after the detection delay. The trace starts with the seed and every option, and the same
// seed gives the same trace, line for line, on every machine.
func Example() {
	opts := sim.DefaultOptions(7)
	opts.Network.Latency = sim.Const(time.Millisecond)
	opts.Network.DetectionDelay = sim.Const(20 * time.Millisecond)
	w := sim.MustNew(opts)
	defer w.Close()
	w.TraceTo(os.Stdout)

	server := w.AddNode("server", echoServer{}.boot)
	w.AddNode("client", func(n *sim.Node) {
		replies := inbox{box: &sim.Mailbox[string]{}}
		conn := n.Dial(server.ID(), 2181, replies)
		n.Spawn("workload", func(p *sim.Proc) {
			for i := 0; i < 2; i++ {
				_ = conn.Send([]byte("ping"))
				reply, err := replies.box.GetTimeout(p, time.Second)
				n.Logf("reply %q, err %v", reply, err)
				p.Sleep(10 * time.Millisecond)
			}
		})
	})
	w.After(5*time.Millisecond, "crash the server", func() { _ = w.Crash(server.ID()) })
	w.RunFor(time.Second)
	// Output:
	// sim seed=7 network.latency=const(1ms) network.detection-delay=const(20ms) network.egress-bytes-per-sec=0 network.unsafe-reorder=0 network.unsafe-duplicate=0 disk.fsync-latency=lognormal(median=1.5ms,sigma=0.5,floor=500µs) disk.crash=lose-unsynced disk.lost-fsync=0 disk.corrupt-tail=0
	// 00:00:00.000000000 server boot #1
	// 00:00:00.000000000 client boot #1
	// 00:00:00.000000000 client dial c1 ->server
	// 00:00:00.000000000 client proc-start workload #1
	// 00:00:00.000000000 client send c1 ->server 4B
	// 00:00:00.001000000 server accept c1 <-client
	// 00:00:00.001000000 server deliver c1 <-client 4B
	// 00:00:00.001000000 server send c1 ->client 4B
	// 00:00:00.002000000 client connected c1 <-server
	// 00:00:00.002000000 client deliver c1 <-server 4B
	// 00:00:00.002000000 client proc-wake workload #1
	// 00:00:00.002000000 client reply "pong", err <nil>
	// 00:00:00.005000000 -- timer crash the server #1
	// 00:00:00.005000000 server crash
	// 00:00:00.005000000 client fault break c1 (crash of server)
	// 00:00:00.012000000 client proc-wake workload #1
	// 00:00:00.012000000 client drop c1 ->server 4B (broken)
	// 00:00:00.025000000 client broken c1 <-server (sim: connection reset)
	// 00:00:00.025000000 client proc-wake workload #1
	// 00:00:00.025000000 client reply "sim: connection reset", err <nil>
	// 00:00:00.035000000 client proc-wake workload #1
	// 00:00:00.035000000 client proc-exit workload #1
}
