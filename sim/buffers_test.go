package sim

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
	"time"
	"unsafe"

	"pgregory.net/rapid"
)

// checkBuffers checks the network's free list against the packets in flight: no buffer is both
// free and in flight, none is in flight twice or free twice, every free buffer holds nothing but
// poison (or the zeros it was made with), and the count of buffers given out matches the packets
// in flight, so none leaked.
func checkBuffers(w *World) error {
	bufs := &w.net.bufs
	seen := map[*byte]string{}
	inFlight := 0
	for _, c := range w.net.conns.items {
		for side := range c.ends {
			f := &c.ends[side].in
			for _, p := range f.q[f.head:] {
				if p.kind != pktData || cap(p.data) == 0 {
					continue
				}
				inFlight++
				key := unsafe.SliceData(p.data)
				if where, dup := seen[key]; dup {
					return fmt.Errorf("a buffer of c%d is also %s", c.id, where)
				}
				seen[key] = fmt.Sprintf("in flight on c%d", c.id)
			}
		}
	}
	if bufs.held != inFlight {
		return fmt.Errorf("%d buffers given out, %d packets in flight", bufs.held, inFlight)
	}
	for k, free := range bufs.free {
		for _, buf := range free {
			if cap(buf) != 1<<(k+minBufShift) || len(buf) != 0 {
				return fmt.Errorf("class %d holds a buffer of len %d, cap %d", k, len(buf), cap(buf))
			}
			key := unsafe.SliceData(buf)
			if where, dup := seen[key]; dup {
				return fmt.Errorf("a free buffer of class %d is also %s", k, where)
			}
			seen[key] = fmt.Sprintf("free in class %d", k)
			for _, b := range buf[:cap(buf)] {
				if b != poisonByte && b != 0 {
					return fmt.Errorf("a free buffer of class %d holds %#x", k, b)
				}
			}
		}
	}
	return nil
}

// keeper keeps every message it receives, which the contract forbids, to show what it gets.
type keeper struct{ kept [][]byte }

func (k *keeper) Connected(*Conn)              {}
func (k *keeper) Received(_ *Conn, msg []byte) { k.kept = append(k.kept, msg) }
func (k *keeper) Closed(*Conn, error)          {}

func poisoned(p []byte) bool { return len(p) > 0 && bytes.Count(p, []byte{poisonByte}) == len(p) }

// A receiver that keeps a message past Received finds poison in it, in every run, and the buffer
// then carries a later message: the contract is "copy what you keep", and breaking it shows.
func TestKeptMessagesArePoisonedAndReused(t *testing.T) {
	w, client, srv, _ := twoNodes(t, plainOptions(1))
	k := &keeper{}
	srv.Listen(2, func(*Conn) ConnHandler { return k })
	c := client.Dial(srv.ID(), 2, &endpoint{})
	_ = c.Send([]byte("first"))
	w.RunFor(ms(5))
	if len(k.kept) != 1 || !poisoned(k.kept[0]) {
		t.Fatalf("the kept message reads %q after Received returned, want poison", k.kept)
	}
	_ = c.Send([]byte("second"))
	w.RunFor(ms(5))
	if unsafe.SliceData(k.kept[0]) != unsafe.SliceData(k.kept[1]) {
		t.Fatal("the second message did not reuse the first one's buffer")
	}
	if got := string(k.kept[0][:len("second")]); got != poisonedString(len("second")) {
		t.Fatalf("kept slice reads %q", got)
	}
}

func poisonedString(n int) string { return string(bytes.Repeat([]byte{poisonByte}, n)) }

func TestBufferClassesAndLimits(t *testing.T) {
	for _, tc := range []struct{ n, class int }{
		{1, 0}, {64, 0}, {65, 1}, {128, 1}, {129, 2}, {1 << 20, maxBufShift - minBufShift}, {1<<20 + 1, -1},
	} {
		if got := bufClass(tc.n); got != tc.class {
			t.Errorf("bufClass(%d) = %d, want %d", tc.n, got, tc.class)
		}
	}
	var b buffers
	// Empty messages take no buffer: nil stays nil, as with slices.Clone.
	if got := b.copyOf(nil); got != nil || b.held != 0 {
		t.Fatalf("copyOf(nil) = %v, held %d", got, b.held)
	}
	if got := b.copyOf([]byte{}); got == nil || len(got) != 0 || b.held != 0 {
		t.Fatalf("copyOf(empty) = %v, held %d", got, b.held)
	}
	// A large message gets its own buffer, and the free list does not keep it.
	big := b.copyOf(make([]byte, 1<<20+1))
	b.release(big)
	if b.held != 0 || !poisoned(big) {
		t.Fatalf("held %d after releasing a large message; poisoned %v", b.held, poisoned(big))
	}
	for k := range b.free {
		if len(b.free[k]) != 0 {
			t.Fatalf("class %d kept a large message's buffer", k)
		}
	}
	// A class keeps at most bufClassBytes worth of free buffers.
	var out [][]byte
	for range 10 {
		out = append(out, b.copyOf(make([]byte, 1<<20)))
	}
	for _, buf := range out {
		b.release(buf)
	}
	if got, want := len(b.free[maxBufShift-minBufShift]), bufClassBytes>>maxBufShift; got != want {
		t.Fatalf("the 1 MiB class keeps %d buffers, want %d", got, want)
	}
}

// The free list stays sound in the unsafe modes (duplicates are copies of their own, reordered
// packets are still released once) and through every way packets are lost: breaks, closes,
// crashes, refusals. Every message carries its own checksum, so a buffer reused while still in
// flight would show as a corrupt delivery.
func TestMessageBuffersUnderFaultsAndUnsafeModes(t *testing.T) {
	delivered := 0
	rapid.Check(t, func(t *rapid.T) {
		opts := DefaultOptions(rapid.Uint64().Draw(t, "seed"))
		opts.Network.Latency = UniformIn(0, 3*time.Millisecond)
		opts.Network.UnsafeDuplicate = Ratio{uint64(rapid.IntRange(0, 1).Draw(t, "dup")), 4}
		opts.Network.UnsafeReorder = Ratio{uint64(rapid.IntRange(0, 1).Draw(t, "reorder")), 4}
		w := MustNew(opts)
		defer w.Close()
		check := func(c *Conn, msg []byte) {
			delivered++
			if len(msg) < 8 || binary.BigEndian.Uint64(msg) != sum(msg[8:]) {
				t.Fatalf("c%d delivered a corrupt message of %d bytes", c.ID(), len(msg))
			}
		}
		nodes := make([]*Node, 3)
		for i := range nodes {
			nodes[i] = w.AddNode(fmt.Sprintf("n%d", i), func(n *Node) {
				if n.ID() != 2 { // n2 refuses every connection
					n.Listen(1, func(*Conn) ConnHandler { return &endpoint{onReceive: check} })
				}
			})
		}
		var conns []*Conn
		for steps := rapid.IntRange(1, 80).Draw(t, "steps"); steps > 0; steps-- {
			a, b := nodes[rapid.IntRange(0, 2).Draw(t, "a")], nodes[rapid.IntRange(0, 2).Draw(t, "b")]
			switch rapid.IntRange(0, 15).Draw(t, "action") {
			case 0, 1:
				if a != b && a.Up() {
					conns = append(conns, a.Dial(b.ID(), 1, &endpoint{onReceive: check}))
				}
			case 2, 3, 4, 5, 10, 11, 12, 13, 14, 15:
				conns = slices.DeleteFunc(conns, func(c *Conn) bool { return c.state == endClosed })
				if len(conns) > 0 {
					c := conns[rapid.IntRange(0, len(conns)-1).Draw(t, "conn")]
					for k := rapid.IntRange(1, 6).Draw(t, "burst"); k > 0; k-- {
						msg := make([]byte, 8+rapid.IntRange(0, 300).Draw(t, "len"))
						for i := 8; i < len(msg); i++ {
							msg[i] = byte(k + i)
						}
						binary.BigEndian.PutUint64(msg, sum(msg[8:]))
						_ = c.Send(msg)
						poison(msg) // the sender reuses its buffer at once
					}
				}
			case 6:
				if len(conns) > 0 {
					conns[rapid.IntRange(0, len(conns)-1).Draw(t, "conn")].Close()
				}
			case 7:
				if a != b {
					_ = w.ResetLink(a.ID(), b.ID())
				} else {
					w.Heal()
				}
			case 8:
				if w.Crash(a.ID()) == nil {
					_ = w.Restart(a.ID())
				}
			case 9:
				if a != b {
					_ = w.Partition([]NodeID{a.ID()}, []NodeID{b.ID()})
				} else {
					w.Heal()
				}
			}
			w.RunFor(Duration(rapid.IntRange(0, 3000).Draw(t, "gap µs")) * time.Microsecond)
			if err := checkBuffers(w); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range conns {
			c.Close()
		}
		w.RunFor(time.Second)
		if err := checkBuffers(w); err != nil {
			t.Fatal(err)
		}
		if w.net.bufs.held != 0 {
			t.Fatalf("%d buffers still held after every connection closed", w.net.bufs.held)
		}
	})
	// Typically 1,100-1,800 deliveries over the hundred cases; the floor only trips if the
	// property stops testing.
	t.Logf("%d deliveries checked", delivered)
	if delivered < 500 {
		t.Fatalf("only %d deliveries checked", delivered)
	}
}

func sum(p []byte) uint64 { return hashBytes(p) }

// poison covers exactly the message, whether it takes one copy of the block or several.
func TestPoisonCoversExactlyTheMessage(t *testing.T) {
	for _, n := range []int{0, 1, 63, 511, 512, 513, 1024, 1025, 1500} {
		buf := bytes.Repeat([]byte{1}, n+16)
		poison(buf[:n])
		if n > 0 && !poisoned(buf[:n]) {
			t.Errorf("%d bytes: not all poisoned: %v", n, buf[:n])
		}
		if !bytes.Equal(buf[n:], bytes.Repeat([]byte{1}, 16)) {
			t.Errorf("%d bytes: poison ran past the end: %v", n, buf[n:])
		}
	}
}

// release keeps exactly the buffers whose capacity is their size class's, as bufClass defines
// the classes, and the buffers of no other capacity.
func TestReleaseKeepsOnlyClassBuffers(t *testing.T) {
	caps := []int{1, 2, 32, 63, 64, 65, 96, 127, 128, 129, 192, 256, 4096, 4097, 1<<20 - 1, 1 << 20, 1<<20 + 1, 1 << 21}
	for _, c := range caps {
		var b buffers
		b.held = 1
		b.release(make([]byte, 1, c))
		k := bufClass(c)
		want := k >= 0 && c == 1<<(k+minBufShift)
		kept := 0
		for k := range b.free {
			kept += len(b.free[k])
		}
		if got := kept == 1; got != want || (want && len(b.free[k]) != 1) {
			t.Errorf("cap %d: kept %d buffers (in class %d: %v), want kept %v", c, kept, k, k >= 0 && len(b.free[k]) == 1, want)
		}
	}
}
