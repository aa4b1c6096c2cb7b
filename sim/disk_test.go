package sim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// diskNode returns a world with one node and an open file on it.
func diskNode(t *testing.T, opts Options) (*World, *Node, *File) {
	w := newWorld(t, opts)
	n := w.AddNode("n1", noSoftware)
	return w, n, n.Disk().Open("log")
}

func TestWritesAreVisibleAtOnceAndDurableAfterSync(t *testing.T) {
	w, n, f := diskNode(t, plainOptions(1))
	f.Append([]byte("abc"))
	if got := f.Contents(); string(got) != "abc" {
		t.Fatalf("read %q right after the write", got)
	}
	var syncedAt Time = -1
	f.Sync(func(err error) {
		if err != nil {
			t.Fatal(err)
		}
		syncedAt = w.Now()
	})
	f.Append([]byte("def")) // after the fsync started: not covered by it
	w.RunFor(ms(5))
	if syncedAt != at(2) {
		t.Fatalf("fsync completed at %v, want 2ms", syncedAt)
	}
	_ = w.Crash(n.ID())
	got, _ := n.Disk().ReadFile("log")
	if string(got) != "abc" {
		t.Fatalf("after crash the file holds %q, want the synced %q", got, "abc")
	}
}

// A file only ever appended to keeps one copy of its bytes: what is durable is a prefix of what
// reads see, moved on by each completed fsync. A write elsewhere gives the durable contents their
// own copy, and a crash brings the file back to one copy of what survived.
func TestAppendOnlyFileKeepsOneCopy(t *testing.T) {
	w, n, f := diskNode(t, plainOptions(1))
	for i := range 5 {
		f.Append([]byte{'a' + byte(i)})
		f.Sync(nil)
		w.RunFor(ms(1))
	}
	f.Append([]byte("z")) // not synced
	w.RunFor(ms(5))
	fd := f.f
	if fd.durableApart || fd.durableLen != 5 || len(fd.durable.chunks) != 0 {
		t.Fatalf("after appends: durable apart %v, prefix %d bytes, %d chunks of its own; want a 5-byte prefix of the data",
			fd.durableApart, fd.durableLen, len(fd.durable.chunks))
	}
	f.WriteAt([]byte("X"), 0) // an overwrite: durable needs its own bytes now
	if !fd.durableApart || string(fd.durable.bytes()) != "abcde" {
		t.Fatalf("after an overwrite: durable apart %v holding %q, want its own \"abcde\"", fd.durableApart, fd.durable.bytes())
	}
	_ = w.Crash(n.ID())
	got, _ := n.Disk().ReadFile("log")
	if string(got) != "abcde" || fd.durableApart || fd.durableLen != 5 {
		t.Fatalf("after the crash: %q, durable apart %v, prefix %d; want \"abcde\" kept once", got, fd.durableApart, fd.durableLen)
	}
}

func TestCrashBeforeFsyncCompletesLosesTheWrite(t *testing.T) {
	w, n, f := diskNode(t, plainOptions(1))
	called := false
	f.Append([]byte("abc"))
	f.Sync(func(error) { called = true })
	w.RunFor(ms(1))
	_ = w.Crash(n.ID())
	w.RunFor(ms(5))
	got, _ := n.Disk().ReadFile("log")
	if len(got) != 0 || called {
		t.Fatalf("file holds %q, callback called=%v; want empty and no callback", got, called)
	}
	// The handle of the crashed incarnation is dead: writes through it are ignored.
	_ = w.Restart(n.ID())
	f.Append([]byte("zombie"))
	if got, _ := n.Disk().ReadFile("log"); len(got) != 0 {
		t.Fatalf("a stale handle wrote %q", got)
	}
}

func TestFsyncsCompleteInOrder(t *testing.T) {
	opts := plainOptions(1)
	opts.Disk.FsyncLatency = UniformIn(ms(1), ms(30))
	w, n, _ := diskNode(t, opts)
	var order []int
	for i := 0; i < 20; i++ {
		f := n.Disk().Open(fmt.Sprintf("f%d", i))
		f.Append([]byte{1})
		f.Sync(func(error) { order = append(order, i) })
	}
	w.RunFor(ms(100))
	if len(order) != 20 || !slices.IsSorted(order) {
		t.Fatalf("fsyncs completed in order %v", order)
	}
}

func TestLostFsyncReportsSuccessButPersistsNothing(t *testing.T) {
	w, n, f := diskNode(t, plainOptions(1))
	n.Disk().LoseNextSyncs(1)
	f.Append([]byte("acknowledged"))
	var err error = errors.New("not called")
	f.Sync(func(e error) { err = e })
	w.RunFor(ms(5))
	if err != nil || string(f.Contents()) != "acknowledged" {
		t.Fatalf("lost fsync: callback %v, contents %q; want success and still readable", err, f.Contents())
	}
	// A later fsync does not rescue the lost writes: the cache forgot they were dirty.
	f.Append([]byte("!"))
	f.Sync(nil)
	w.RunFor(ms(5))
	_ = w.Crash(n.ID())
	got, _ := n.Disk().ReadFile("log")
	if want := "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00!"; string(got) != want {
		t.Fatalf("after crash %q, want a hole where the lost writes were, then %q", got, "!")
	}
}

func TestWipeLosesEveryFile(t *testing.T) {
	w, n, f := diskNode(t, plainOptions(1))
	f.Append([]byte("synced"))
	f.Sync(nil)
	w.RunFor(ms(5))
	_ = w.Crash(n.ID())
	n.Disk().Wipe()
	_ = w.Restart(n.ID())
	if got := n.Disk().List(); len(got) != 0 {
		t.Fatalf("files after wipe: %v", got)
	}
}

func TestRenameRemoveAndList(t *testing.T) {
	_, n, f := diskNode(t, plainOptions(1))
	d := n.Disk()
	f.Append([]byte("x"))
	d.Open("b")
	if err := d.Rename("log", "a"); err != nil {
		t.Fatal(err)
	}
	if got := d.List(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("List = %v", got)
	}
	if f.Name() != "a" || !d.Exists("a") || d.Exists("log") {
		t.Fatal("rename did not move the file")
	}
	if err := d.Remove("b"); err != nil || d.Exists("b") {
		t.Fatalf("remove: %v", err)
	}
	for _, err := range []error{d.Remove("nope"), d.Rename("nope", "x")} {
		if !errors.Is(err, ErrNoFile) {
			t.Errorf("got %v, want ErrNoFile", err)
		}
	}
	if _, err := d.ReadFile("nope"); !errors.Is(err, ErrNoFile) {
		t.Errorf("ReadFile: %v", err)
	}
}

// frame encodes a record as length, CRC-32C and payload: the kind of log a server writes. The
// checksum covers the length too, so that a run of zeros (a hole left by a lost write) never reads
// as a valid empty record.
func frame(payload []byte) []byte {
	out := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint32(out, uint32(len(payload)))
	out = append(out, payload...)
	binary.BigEndian.PutUint32(out[4:], recordSum(out[:4], payload))
	return out
}

func recordSum(size, payload []byte) uint32 {
	table := crc32.MakeTable(crc32.Castagnoli)
	return crc32.Update(crc32.Checksum(size, table), table, payload) ^ 0xa5a5a5a5
}

// unframe reads records until the data ends or a record fails its checksum, and returns them
// with whether the tail was damaged.
func unframe(data []byte) (records [][]byte, damaged bool) {
	for len(data) > 0 {
		if len(data) < 8 {
			return records, true
		}
		size := binary.BigEndian.Uint32(data)
		if uint64(len(data)-8) < uint64(size) {
			return records, true
		}
		payload := data[8 : 8+size]
		if recordSum(data[:4], payload) != binary.BigEndian.Uint32(data[4:]) {
			return records, true
		}
		records = append(records, payload)
		data = data[8+size:]
	}
	return records, false
}

// A corrupted tail lands the write in flight as garbage; a reader with checksums detects it and
// keeps every record before it.
func TestCorruptTailIsCaughtByChecksums(t *testing.T) {
	w, n, f := diskNode(t, plainOptions(1))
	f.Append(frame([]byte("record 1")))
	f.Append(frame([]byte("record 2")))
	f.Sync(nil)
	w.RunFor(ms(5))
	f.Append(frame([]byte("record 3, in flight at the crash")))
	n.Disk().CorruptNextCrash()
	_ = w.Crash(n.ID())
	got, _ := n.Disk().ReadFile("log")
	records, damaged := unframe(got)
	if !damaged {
		t.Fatalf("the reader saw no damage in %q", got)
	}
	if len(records) != 2 || string(records[1]) != "record 2" {
		t.Fatalf("synced records not intact: %q", records)
	}
}

// diskOp is one step of the disk property: a write, a truncation, an fsync, or a crash.
type diskOp struct {
	file     int
	truncate bool
	off      int64
	data     []byte
}

// TestSyncedDataSurvivesCrashes checks the crash model against a model of the disk: after a
// crash, each file holds exactly its synced writes (lose-unsynced), or its synced writes plus a
// prefix of the later ones with the next possibly torn (torn-unsynced); never less than what
// completed fsyncs covered.
func TestSyncedDataSurvivesCrashes(t *testing.T) {
	for _, mode := range []CrashMode{LoseUnsynced, TornUnsynced} {
		t.Run(mode.String(), func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				opts := plainOptions(rapid.Uint64().Draw(t, "seed"))
				opts.Disk.Crash = mode
				opts.Disk.FsyncLatency = UniformIn(0, ms(3))
				w := MustNew(opts)
				defer w.Close()
				n := w.AddNode("n", noSoftware)
				names := []string{"a", "b"}
				// Per file: the contents after the last crash, the writes since, and how many of
				// them a completed fsync covers.
				base := [2][]byte{}
				var ops [2][]diskOp
				var synced [2]int
				var files [2]*File
				open := func() {
					for i, name := range names {
						files[i] = n.Disk().Open(name)
					}
				}
				open()
				for step := rapid.IntRange(1, 60).Draw(t, "steps"); step > 0; step-- {
					i := rapid.IntRange(0, 1).Draw(t, "file")
					switch rapid.IntRange(0, 9).Draw(t, "op") {
					case 0, 1, 2, 3:
						data := rapid.SliceOfN(rapid.Byte(), 1, 12).Draw(t, "data")
						op := diskOp{file: i, off: int64(len(files[i].Contents())), data: data}
						if rapid.IntRange(0, 3).Draw(t, "overwrite") == 0 {
							op.off = rapid.Int64Range(0, op.off+3).Draw(t, "off")
						}
						files[i].WriteAt(op.data, op.off)
						ops[i] = append(ops[i], op)
					case 4:
						op := diskOp{file: i, truncate: true, off: rapid.Int64Range(0, int64(len(files[i].Contents()))+2).Draw(t, "size")}
						files[i].Truncate(op.off)
						ops[i] = append(ops[i], op)
					case 5, 6:
						covered := len(ops[i])
						files[i].Sync(func(error) { synced[i] = max(synced[i], covered) })
					case 7:
						_ = w.Crash(n.ID())
						for j := range names {
							got, _ := n.Disk().ReadFile(names[j])
							if !survivorOK(mode, base[j], ops[j], synced[j], got) {
								t.Fatalf("%s after crash holds %v; base %v, writes %v, %d synced",
									names[j], got, base[j], ops[j], synced[j])
							}
							base[j], ops[j], synced[j] = got, nil, 0
						}
						_ = w.Restart(n.ID())
						open()
					}
					w.RunFor(ms(rapid.IntRange(0, 3).Draw(t, "gap ms")))
				}
			})
		})
	}
}

// survivorOK reports whether got is a state the crash model allows.
func survivorOK(mode CrashMode, base []byte, ops []diskOp, synced int, got []byte) bool {
	state := slices.Clone(base)
	for k := 0; k <= len(ops); k++ {
		if k >= synced {
			if bytes.Equal(state, got) {
				return true
			}
			if mode == LoseUnsynced {
				return false
			}
			if k < len(ops) && !ops[k].truncate {
				for cut := 1; cut < len(ops[k].data); cut++ {
					torn := modelApply(slices.Clone(state), diskOp{off: ops[k].off, data: ops[k].data[:cut]})
					if bytes.Equal(torn, got) {
						return true
					}
				}
			}
		}
		if k < len(ops) {
			state = modelApply(state, ops[k])
		}
	}
	return false
}

// The model must be able to reject: a lost fsync breaks the promise, and survivorOK says so.
func TestSurvivorModelRejectsALostSyncedWrite(t *testing.T) {
	ops := []diskOp{{data: []byte("ab")}, {off: 2, data: []byte("cd")}}
	if survivorOK(LoseUnsynced, nil, ops, 2, []byte("ab")) {
		t.Fatal("the model accepted losing a synced write")
	}
	if survivorOK(TornUnsynced, nil, ops, 1, nil) {
		t.Fatal("the model accepted losing a synced write in torn mode")
	}
	if !survivorOK(TornUnsynced, nil, ops, 1, []byte("abc")) {
		t.Fatal("the model rejected a torn unsynced write")
	}
}

// modelApply is the disk model's write: contents as one flat slice, written in the plainest way,
// for the crash model and the content property to check the kernel against.
func modelApply(contents []byte, op diskOp) []byte {
	if op.truncate {
		if op.off <= int64(len(contents)) {
			return contents[:op.off]
		}
		return append(contents, make([]byte, op.off-int64(len(contents)))...)
	}
	if end := op.off + int64(len(op.data)); end > int64(len(contents)) {
		contents = append(contents, make([]byte, end-int64(len(contents)))...)
	}
	copy(contents[op.off:], op.data)
	return contents
}

// TestContentMatchesTheFlatModel drives the chunked contents with writes and truncations around
// chunk boundaries and checks every read against modelApply; it also checks the invariant that
// lets growth skip clearing: every byte past the end is zero.
func TestContentMatchesTheFlatModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var c content
		var model []byte
		// Offsets cluster around the first chunk boundaries, where the pieces meet.
		offset := func(label string) int64 {
			base := int64(rapid.IntRange(0, 3).Draw(t, label+" chunk")) * chunkSize
			return max(0, base+rapid.Int64Range(-70, 70).Draw(t, label))
		}
		for step := rapid.IntRange(1, 40).Draw(t, "steps"); step > 0; step-- {
			switch rapid.IntRange(0, 4).Draw(t, "op") {
			case 0, 1:
				n := rapid.IntRange(0, 200).Draw(t, "len")
				if rapid.IntRange(0, 9).Draw(t, "big") == 0 {
					n = rapid.IntRange(chunkSize-100, 2*chunkSize+100).Draw(t, "big len")
				}
				data := make([]byte, n)
				for i := range data {
					data[i] = byte(1 + (i+step)%255) // never zero: a stale zero cannot pass for it
				}
				op := diskOp{off: offset("off"), data: data}
				if rapid.Bool().Draw(t, "append") {
					op.off = c.size
				}
				c.write(op.off, op.data)
				model = modelApply(model, op)
			case 2:
				op := diskOp{truncate: true, off: offset("size")}
				c.truncate(op.off)
				model = modelApply(model, op)
			case 3:
				c = c.clone()
			case 4:
				n := rapid.Int64Range(0, c.size).Draw(t, "prefix")
				c, model = c.prefix(n), model[:n]
			}
			if c.size != int64(len(model)) {
				t.Fatalf("size %d, model %d", c.size, len(model))
			}
			if got := c.bytes(); !bytes.Equal(got, model) {
				t.Fatalf("contents differ from the model (%d bytes)", len(model))
			}
			off := rapid.Int64Range(0, int64(len(model))+10).Draw(t, "read at")
			buf := make([]byte, rapid.IntRange(0, 300).Draw(t, "read len"))
			n, err := c.readAt(buf, off)
			want := max(0, min(int64(len(buf)), int64(len(model))-off))
			if int64(n) != want || (err == nil) != (int64(len(buf)) == want && off < int64(len(model))) ||
				!bytes.Equal(buf[:n], model[min(off, int64(len(model))):][:n]) {
				t.Fatalf("readAt(%d bytes, %d) = %d, %v; want %d bytes", len(buf), off, n, err, want)
			}
			for i, chunk := range c.chunks {
				if i > 0 || len(c.chunks) > 1 {
					if len(chunk) != chunkSize {
						t.Fatalf("chunk %d of %d is %d long", i, len(c.chunks), len(chunk))
					}
				}
				for j, b := range chunk {
					if at := int64(i)*chunkSize + int64(j); at >= c.size && b != 0 {
						t.Fatalf("byte %d past the end (%d) is %d", at, c.size, b)
					}
				}
			}
			if len(c.chunks) != chunksFor(c.size) {
				t.Fatalf("%d chunks for %d bytes", len(c.chunks), c.size)
			}
		}
	})
}

// A file that is written while its fsyncs complete never has an empty pending list; its arena
// must still stay small, and the writes must still reach the durable contents intact.
func TestArenaStaysBoundedUnderContinuousWrites(t *testing.T) {
	w, n, f := diskNode(t, plainOptions(1))
	var want []byte
	for i := 0; i < 2000; i++ {
		rec := frame([]byte(fmt.Sprintf("record %d", i)))
		f.Append(rec)
		want = append(want, rec...)
		if i%3 == 0 {
			f.Sync(nil)
		}
		w.RunFor(Duration(700 * time.Microsecond))
		if len(f.f.pending) == 0 {
			t.Fatalf("write %d: pending emptied; the test no longer exercises the compaction", i)
		}
		if live := f.f.arena[f.f.pending[0].start:]; len(f.f.arena) > 2*len(live)+len(rec) {
			t.Fatalf("write %d: arena holds %d bytes for %d pending", i, len(f.f.arena), len(live))
		}
	}
	f.Sync(nil)
	w.RunFor(ms(5))
	_ = w.Crash(n.ID())
	if got, _ := n.Disk().ReadFile("log"); !bytes.Equal(got, want) {
		t.Fatalf("after crash %d bytes survived, want the %d synced", len(got), len(want))
	}
}

// Truncating a file and growing it again reads zeros where the cut bytes were, within a chunk and
// across chunks, in what reads see and in what survives a crash.
func TestTruncateThenExtendReadsZeros(t *testing.T) {
	w, n, f := diskNode(t, plainOptions(1))
	full := bytes.Repeat([]byte{0xff}, 3*chunkSize)
	f.Append(full)
	f.Truncate(chunkSize / 2)
	f.Truncate(2 * chunkSize)
	f.WriteAt([]byte{7}, 3*chunkSize)
	want := make([]byte, 3*chunkSize+1)
	copy(want, full[:chunkSize/2])
	want[3*chunkSize] = 7
	if !bytes.Equal(f.Contents(), want) {
		t.Fatal("the cut bytes came back")
	}
	f.Sync(nil)
	w.RunFor(ms(5))
	_ = w.Crash(n.ID())
	if got, _ := n.Disk().ReadFile("log"); !bytes.Equal(got, want) {
		t.Fatal("the cut bytes came back after the crash")
	}
}
