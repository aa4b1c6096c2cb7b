package tree

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// The constants of the snapshot format described at [Tree.WriteSnapshot].
const (
	snapMagic   = "ZSIMSNAP"
	snapVersion = 1

	snapHeaderSize  = 24
	snapTrailerSize = 4
	// snapNodeFixed is the fixed-width part of a node record: six i64 and
	// three i32.
	snapNodeFixed = 6*8 + 3*4
	// The smallest encodings of a record, to bound counts by the input left.
	snapMinACLList  = 1
	snapMinACLEntry = 4 + 1 + 1
	snapSessionSize = 8 + 4
	snapMinNode     = 1 + 1 + snapNodeFixed + 1
	snapMinBody     = 4 + 8 + 1 + 1 + 1

	snapFlagExtendedTypes = 1 << 0
	snapFlagSkipACL       = 1 << 1
	snapKnownFlags        = snapFlagExtendedTypes | snapFlagSkipACL

	// snapMaxLength keeps lengths far from integer overflow (a snapshot must
	// fit in memory anyway); on 32-bit platforms snapMaxInt is the lower bound.
	snapMaxLength = 1 << 46
	snapMaxInt    = int(^uint(0) >> 1)
)

// castagnoli is the CRC-32C table; the hardware computes this polynomial.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// WriteSnapshot writes the whole replicated state of the tree to w: lastZxid,
// the options, the ACL lists in use, every znode with its data, persisted
// stat and ACL, and the session table. Nothing derived is written: child
// sets, the ephemeral, container and TTL indexes, ACL reference counts and
// the digest are rebuilt by [ReadSnapshot], so a snapshot can never disagree
// with itself about them. The tree is not modified.
//
// The encoding is canonical: the same tree always writes the same bytes
// (nodes, sessions and ACL lists are sorted, and no map order or internal
// numbering reaches the output), and every snapshot ReadSnapshot accepts is
// exactly the one WriteSnapshot writes for the tree it returns. Tests and
// the fuzzer rely on that.
//
// WriteSnapshot checks nothing of the tree's content: a tree that breaks an
// invariant the decoder checks writes a snapshot that ReadSnapshot rejects.
// But it finds nodes through their parents' child sets, so if those
// disagree with the nodes it returns an error rather than leave a node out.
// Otherwise only errors of w are returned.
//
// # Format, version 1
//
// Integers are little-endian and fixed-width (u32, i32, i64) except counts,
// lengths and ACL indexes, which are uvarints (encoding/binary) in their
// shortest form. A string is a uvarint length followed by that many bytes.
//
//	header   (24 bytes)
//	  magic        8 bytes  "ZSIMSNAP"
//	  version      u32      1
//	  length       u64      of the whole snapshot, header and trailer included
//	  headerCRC    u32      CRC-32C of the 20 bytes before it
//	options
//	  flags        u32      bit 0 ExtendedTypes, bit 1 SkipACL; other bits zero
//	  lastZxid     i64
//	ACL table
//	  count        uvarint
//	  count lists, sorted by aclKey, distinct, each used by some node:
//	    entries    uvarint
//	    entries times: perms u32, scheme string, id string
//	session table
//	  count        uvarint
//	  count sessions, sorted by id (signed), distinct:
//	    id i64, timeout i32
//	node table
//	  count        uvarint
//	  count nodes, sorted by path (bytewise), distinct:
//	    path string, data string,
//	    czxid i64, mzxid i64, pzxid i64, ctime i64, mtime i64, ephemeralOwner i64,
//	    version i32, cversion i32 (child creates, as persisted), aversion i32,
//	    acl uvarint (an index into the ACL table)
//	trailer
//	  crc          u32      CRC-32C (Castagnoli) of every byte before it
//
// Why this shape:
//
//   - A path sorts after every prefix of it, so in bytewise order a parent
//     precedes its children and the decoder checks each node's parent as it
//     goes; strict order also rules out duplicates without a second pass.
//   - The session table precedes the nodes, so an ephemeral whose owner is
//     not a live session is caught at the node that names it.
//   - ACL lists are stored once and named by index, as the tree interns them;
//     ordering them by key rather than by the tree's internal refs keeps the
//     bytes independent of the history that built the tree.
//   - The header carries the total length under its own CRC, so the decoder
//     tells a truncated snapshot (shorter than it says; the message names
//     the section it ends in), a damaged one (a CRC fails: CRC-32C detects
//     every error burst up to 32 bits, so any flipped byte) and one followed
//     by garbage apart, without trusting any length inside the damaged part.
//     The version precedes the header CRC so that a future layout reads as
//     an unknown version rather than as damage.
//   - Every count and length is bounded by the input that remains before
//     anything is allocated for it, so a hostile length costs nothing.
//
// A change of the layout needs a new version; TestSnapshotGolden pins the
// bytes of version 1.
func (t *Tree) WriteSnapshot(w io.Writer) error {
	root, ok := t.nodes[RootPath]
	if !ok {
		return errors.New("tree: cannot write a snapshot of a tree without a root")
	}
	// The nodes in path order, with their paths end to end in one array.
	// The order comes first because the header holds the total length and
	// the ACL table precedes the nodes: sizes and the lists in use are summed
	// from it, visiting the nodes in path order, which is close to the order
	// they sit in memory, rather than in map order, which is not.
	order := make([]snapNode, 0, len(t.nodes))
	paths := make([]byte, 0, 16*len(t.nodes))
	count, err := t.walkSorted(root, func(path []byte, n *znode) {
		paths = append(paths, path...)
		order = append(order, snapNode{n: n, end: len(paths)})
	})
	if err != nil {
		return err
	}
	if count != len(t.nodes) {
		return fmt.Errorf("tree: cannot write a snapshot: %d nodes, %d reachable through child sets", len(t.nodes), count)
	}
	// Marking the lists from the nodes rather than trusting reference counts
	// means a snapshot never holds a list nobody uses, which the decoder
	// would reject.
	uses := make([]int, len(t.acls.entries))
	size := snapHeaderSize + 4 + 8 + uvarintLen(uint64(len(t.nodes))) + len(t.nodes)*snapNodeFixed + snapTrailerSize
	start := 0
	for _, sn := range order {
		uses[sn.n.acl]++
		size += stringLen(sn.end-start) + stringLen(len(sn.n.data))
		start = sn.end
	}

	// The lists in use, by key; index maps a tree ref to its position.
	var refs []aclRef
	for ref, u := range uses {
		if u > 0 {
			refs = append(refs, aclRef(ref))
		}
	}
	slices.SortFunc(refs, func(a, b aclRef) int {
		return strings.Compare(t.acls.entries[a].key, t.acls.entries[b].key)
	})
	index := make([]uint64, len(t.acls.entries))
	size += uvarintLen(uint64(len(refs)))
	for i, ref := range refs {
		index[ref] = uint64(i)
		size += uses[ref] * uvarintLen(uint64(i))
		acl := t.acls.entries[ref].acl
		size += uvarintLen(uint64(len(acl)))
		for _, a := range acl {
			size += 4 + stringLen(len(a.ID.Scheme)) + stringLen(len(a.ID.ID))
		}
	}
	sessions := t.Sessions()
	size += uvarintLen(uint64(len(sessions))) + len(sessions)*snapSessionSize

	e := snapWriter{w: w, buf: make([]byte, 0, 64<<10)}
	e.buf = append(e.buf, snapMagic...)
	e.buf = binary.LittleEndian.AppendUint32(e.buf, snapVersion)
	e.buf = binary.LittleEndian.AppendUint64(e.buf, uint64(size))
	e.buf = binary.LittleEndian.AppendUint32(e.buf, crc32.Checksum(e.buf, castagnoli))

	var flags uint32
	if t.opts.ExtendedTypes {
		flags |= snapFlagExtendedTypes
	}
	if t.opts.SkipACL {
		flags |= snapFlagSkipACL
	}
	e.buf = binary.LittleEndian.AppendUint32(e.buf, flags)
	e.buf = binary.LittleEndian.AppendUint64(e.buf, uint64(t.lastZxid))

	e.uvarint(uint64(len(refs)))
	for _, ref := range refs {
		acl := t.acls.entries[ref].acl
		e.uvarint(uint64(len(acl)))
		for _, a := range acl {
			e.room(4)
			e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(a.Perms))
			e.str(a.ID.Scheme)
			e.str(a.ID.ID)
		}
	}

	e.uvarint(uint64(len(sessions)))
	for _, id := range sessions {
		e.room(snapSessionSize)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, uint64(id))
		e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(t.sessions[id]))
	}

	e.uvarint(uint64(len(order)))
	start = 0
	for _, sn := range order {
		e.node(paths[start:sn.end], sn.n, index[sn.n.acl])
		start = sn.end
	}

	e.flush()
	var trailer [snapTrailerSize]byte
	binary.LittleEndian.PutUint32(trailer[:], e.crc)
	if e.err == nil {
		_, e.err = w.Write(trailer[:])
	}
	return e.err
}

// snapNode is a node in path order: its path ends at end in the array of
// paths.
type snapNode struct {
	n   *znode
	end int
}

// snapItem is an entry of a parent's sorted child list: a child, or (sub)
// the child's descendants.
type snapItem struct {
	name string
	n    *znode
	sub  bool
}

// cmpSnapItem orders a child as its name and the child's descendants as its
// name followed by "/". A name holds no "/", so this is exactly the bytewise
// order of the full paths: every path below a child starts with its name and
// "/", and that prefix alone decides how it compares with a sibling's path.
// So "a", "a-b", "a/..." (its descendants), "a0": '-' < '/' < '0'.
func cmpSnapItem(a, b snapItem) int {
	n := min(len(a.name), len(b.name))
	if c := strings.Compare(a.name[:n], b.name[:n]); c != 0 {
		return c
	}
	// One name is a prefix of the other: compare what follows it, where a
	// sub item continues with '/' and a node item ends.
	next := func(it snapItem) int {
		switch {
		case n < len(it.name):
			return int(it.name[n])
		case it.sub:
			return '/'
		}
		return -1
	}
	return next(a) - next(b)
}

// walkSorted calls visit for the root and every node below it in bytewise
// path order, without sorting all paths: each parent's children are sorted
// on their own, with a child's subtree placed by cmpSnapItem. That is n log
// fanout work instead of n log n, and the child sets are at hand. The path
// passed to visit is valid until visit returns. It returns the number of
// nodes visited.
func (t *Tree) walkSorted(root *znode, visit func(path []byte, n *znode)) (int, error) {
	type frame struct {
		lo, next, end int // the frame's items are items[next:end]; it owns items[lo:]
		prefix        int // the parent's path is buf[:prefix], "" for the root
	}
	var (
		items  []snapItem
		frames []frame
		buf    = make([]byte, 0, 256)
	)
	push := func(n *znode, prefix int) error {
		lo := len(items)
		for name := range n.children.all {
			buf = append(append(buf[:prefix], '/'), name...)
			child := t.nodes[string(buf)]
			if child == nil {
				return fmt.Errorf("tree: cannot write a snapshot: %q is listed as a child but does not exist", buf)
			}
			items = append(items, snapItem{name: name, n: child})
			if child.children.len() > 0 {
				items = append(items, snapItem{name: name, n: child, sub: true})
			}
		}
		slices.SortFunc(items[lo:], cmpSnapItem)
		frames = append(frames, frame{lo: lo, next: lo, end: len(items), prefix: prefix})
		return nil
	}

	visit(append(buf[:0], '/'), root)
	count := 1
	if err := push(root, 0); err != nil {
		return count, err
	}
	for len(frames) > 0 {
		f := &frames[len(frames)-1]
		if f.next == f.end {
			items = items[:f.lo]
			frames = frames[:len(frames)-1]
			continue
		}
		it := items[f.next]
		f.next++
		buf = append(append(buf[:f.prefix], '/'), it.name...)
		if it.sub {
			if err := push(it.n, len(buf)); err != nil {
				return count, err
			}
			continue
		}
		visit(buf, it.n)
		count++
	}
	return count, nil
}

// node writes one node record.
func (e *snapWriter) node(path []byte, n *znode, acl uint64) {
	// The usual node fits in the buffer whole; only a long path or large
	// data goes through the chunked writes.
	need := 2*binary.MaxVarintLen64 + len(path) + len(n.data) + snapNodeFixed + binary.MaxVarintLen64
	if need <= cap(e.buf) {
		e.room(need)
		e.buf = binary.AppendUvarint(e.buf, uint64(len(path)))
		e.buf = append(e.buf, path...)
		e.buf = binary.AppendUvarint(e.buf, uint64(len(n.data)))
		e.buf = append(e.buf, n.data...)
	} else {
		e.bytes(path)
		e.bytes(n.data)
		e.room(snapNodeFixed + binary.MaxVarintLen64)
	}
	e.buf = appendNodeFixed(e.buf, n)
	e.buf = binary.AppendUvarint(e.buf, acl)
}

// appendNodeFixed appends the fixed-width stat fields of a node record.
func appendNodeFixed(b []byte, n *znode) []byte {
	le := binary.LittleEndian
	b = le.AppendUint64(b, uint64(n.czxid))
	b = le.AppendUint64(b, uint64(n.mzxid))
	b = le.AppendUint64(b, uint64(n.pzxid))
	b = le.AppendUint64(b, uint64(n.ctime))
	b = le.AppendUint64(b, uint64(n.mtime))
	b = le.AppendUint64(b, uint64(n.ephemeralOwner))
	b = le.AppendUint32(b, uint32(n.version))
	b = le.AppendUint32(b, uint32(n.cversion))
	b = le.AppendUint32(b, uint32(n.aversion))
	return b
}

func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

func stringLen(n int) int { return uvarintLen(uint64(n)) + n }

// snapWriter fills one reused buffer and hands it to w when full, keeping
// the running CRC of everything written. After an error of w it discards
// the rest and WriteSnapshot returns that error.
type snapWriter struct {
	w   io.Writer
	buf []byte
	crc uint32
	err error
}

func (e *snapWriter) flush() {
	if e.err == nil && len(e.buf) > 0 {
		e.crc = crc32.Update(e.crc, castagnoli, e.buf)
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
}

// room makes sure n more bytes fit in the buffer; n <= cap(buf).
func (e *snapWriter) room(n int) {
	if cap(e.buf)-len(e.buf) < n {
		e.flush()
	}
}

func (e *snapWriter) uvarint(x uint64) {
	e.room(binary.MaxVarintLen64)
	e.buf = binary.AppendUvarint(e.buf, x)
}

// str writes a string of any length, in chunks that fit the buffer.
func (e *snapWriter) str(s string) {
	e.uvarint(uint64(len(s)))
	for len(s) > 0 {
		e.room(1)
		k := min(len(s), cap(e.buf)-len(e.buf))
		e.buf = append(e.buf, s[:k]...)
		s = s[k:]
	}
}

func (e *snapWriter) bytes(b []byte) {
	e.uvarint(uint64(len(b)))
	for len(b) > 0 {
		e.room(1)
		k := min(len(b), cap(e.buf)-len(e.buf))
		e.buf = append(e.buf, b[:k]...)
		b = b[k:]
	}
}

// ReadSnapshot decodes a snapshot written by [Tree.WriteSnapshot] into a new
// tree, rebuilding the children sets, the ephemeral, container and TTL
// indexes, the ACL reference counts and the digest.
//
// Any damage is an error wrapping [ErrBadSnapshot] whose one-line message
// names what is wrong: "tree: bad snapshot: checksum mismatch",
// "...: truncated in node table (1234 of 5678 bytes)", "...: node 17
// (/a/b): parent /a missing", "...: unknown version 9". Nodes and sessions
// are numbered from 0 in the order of the snapshot. Besides the structure,
// it checks what the tree relies on: every path is valid and sorted after
// the one before (so none is repeated), every parent precedes its children,
// the reserved nodes exist, ACL indexes are in range and every list is
// used, every ephemeral's owner is a session of the snapshot, no zxid is
// after lastZxid, czxid is not after mzxid or pzxid, and every cversion
// covers its node's children. Those checks and the way the tree is built
// establish every invariant of [Tree.CheckInvariants]; the tests and the
// fuzzer confirm that every accepted snapshot passes it. ReadSnapshot does
// not call it: it would more than double the decode time of a large tree.
// Bytes after the trailing checksum are an error too, so r must hold the
// snapshot alone.
//
// ReadSnapshot never panics, and allocates in proportion to the input
// actually read, whatever its length fields claim.
func ReadSnapshot(r io.Reader) (*Tree, error) {
	var hdr [snapHeaderSize]byte
	n, err := io.ReadFull(r, hdr[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("%w: reading: %w", ErrBadSnapshot, err)
	}
	total, err := checkSnapHeader(hdr[:n])
	if err != nil {
		return nil, err
	}
	buf, err := readSnapRest(r, hdr[:], total)
	if err != nil {
		return nil, err
	}
	return decodeSnapshot(buf, total)
}

// checkSnapHeader checks the header, or the part of it the input holds,
// and returns the total length it declares.
func checkSnapHeader(h []byte) (int, error) {
	if m := min(len(h), len(snapMagic)); string(h[:m]) != snapMagic[:m] {
		return 0, badSnapshot("bad magic %s", shortQuote(string(h[:m])))
	}
	if len(h) < 12 {
		return 0, badSnapshot("truncated in header (%d of %d bytes)", len(h), snapHeaderSize)
	}
	if v := binary.LittleEndian.Uint32(h[8:]); v != snapVersion {
		return 0, badSnapshot("unknown version %d", v)
	}
	if len(h) < snapHeaderSize {
		return 0, badSnapshot("truncated in header (%d of %d bytes)", len(h), snapHeaderSize)
	}
	if crc32.Checksum(h[:20], castagnoli) != binary.LittleEndian.Uint32(h[20:]) {
		return 0, badSnapshot("header checksum mismatch")
	}
	total := binary.LittleEndian.Uint64(h[12:])
	if total < snapHeaderSize+snapMinBody+snapTrailerSize || total > snapMaxLength || total >= uint64(snapMaxInt) {
		return 0, badSnapshot("bad length %d in header", total)
	}
	return int(total), nil
}

// readSnapRest reads the rest of a snapshot of total bytes after its header,
// and one byte more if there is one, so that trailing garbage shows. The
// buffer grows as the input arrives, so a length that lies costs nothing.
func readSnapRest(r io.Reader, hdr []byte, total int) ([]byte, error) {
	want := total + 1
	size := min(want, 1<<20)
	if l, ok := r.(interface{ Len() int }); ok { // bytes.Reader, bytes.Buffer
		size = min(want, len(hdr)+max(l.Len(), 0)+1)
	}
	buf := make([]byte, len(hdr), max(size, len(hdr)))
	copy(buf, hdr)
	for len(buf) < want {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(cap(buf), want-len(buf)))
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), want)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: reading: %w", ErrBadSnapshot, err)
		}
	}
	return buf, nil
}

// decodeSnapshot decodes a whole snapshot whose header declared total bytes.
func decodeSnapshot(buf []byte, total int) (*Tree, error) {
	body := total - snapTrailerSize
	if len(buf) < total {
		// Decode what is there to find the section the input ends in; the
		// decoder stops at the first error, which names it.
		d := snapDecoder{b: buf, off: snapHeaderSize, end: min(len(buf), body)}
		section := "checksum"
		if _, err := d.decode(); err != nil {
			section = d.section
		}
		return nil, badSnapshot("truncated in %s (%d of %d bytes)", section, len(buf), total)
	}
	if crc32.Checksum(buf[:body], castagnoli) != binary.LittleEndian.Uint32(buf[body:]) {
		return nil, badSnapshot("checksum mismatch")
	}
	if len(buf) > total {
		return nil, badSnapshot("trailing garbage after checksum")
	}
	d := snapDecoder{b: buf, off: snapHeaderSize, end: body}
	return d.decode()
}

func badSnapshot(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadSnapshot}, args...)...)
}

// snapDecoder reads the body of a snapshot, b[off:end].
type snapDecoder struct {
	b        []byte
	off, end int
	// section names the part being decoded, for messages.
	section string
}

func (d *snapDecoder) short() error {
	return badSnapshot("truncated in %s", d.section)
}

// uvarint reads a uvarint in its shortest form.
func (d *snapDecoder) uvarint() (uint64, error) {
	if d.off < d.end && d.b[d.off] < 0x80 {
		x := uint64(d.b[d.off])
		d.off++
		return x, nil
	}
	x, n := binary.Uvarint(d.b[d.off:d.end])
	switch {
	case n == 0:
		return 0, d.short()
	case n < 0:
		return 0, badSnapshot("varint overflows 64 bits in %s", d.section)
	case d.b[d.off+n-1] == 0:
		return 0, badSnapshot("varint not in shortest form in %s", d.section)
	}
	d.off += n
	return x, nil
}

// count reads a count of records of at least minSize bytes each; a count
// that the input left cannot hold is an error before anything is allocated.
func (d *snapDecoder) count(what string, minSize int) (int, error) {
	x, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if x > uint64((d.end-d.off)/minSize) {
		return 0, badSnapshot("%d %s cannot fit in the %d bytes left of %s", x, what, d.end-d.off, d.section)
	}
	return int(x), nil
}

// bytes reads a length-prefixed string; the result aliases the input.
func (d *snapDecoder) bytes() ([]byte, error) {
	var l uint64
	if d.off < d.end && d.b[d.off] < 0x80 {
		l = uint64(d.b[d.off])
		d.off++
	} else {
		var err error
		if l, err = d.uvarint(); err != nil {
			return nil, err
		}
	}
	if l > uint64(d.end-d.off) {
		return nil, d.short()
	}
	s := d.b[d.off : d.off+int(l) : d.off+int(l)]
	d.off += int(l)
	return s, nil
}

func (d *snapDecoder) fixed(n int) ([]byte, error) {
	if d.end-d.off < n {
		return nil, d.short()
	}
	s := d.b[d.off : d.off+n]
	d.off += n
	return s, nil
}

// decode decodes the body into a new tree and validates it.
func (d *snapDecoder) decode() (*Tree, error) {
	le := binary.LittleEndian
	d.section = "options"
	b, err := d.fixed(12)
	if err != nil {
		return nil, err
	}
	flags := le.Uint32(b)
	if flags&^snapKnownFlags != 0 {
		return nil, badSnapshot("unknown option bits %#x", flags&^snapKnownFlags)
	}
	t := &Tree{
		opts:       Options{ExtendedTypes: flags&snapFlagExtendedTypes != 0, SkipACL: flags&snapFlagSkipACL != 0},
		acls:       newACLTable(),
		ephemerals: make(map[SessionID]*nameSet),
		containers: make(map[string]struct{}),
		ttls:       make(map[string]struct{}),
		lastZxid:   Zxid(le.Uint64(b[4:])),
	}

	if err := d.decodeACLs(t); err != nil {
		return nil, err
	}
	if err := d.decodeSessions(t); err != nil {
		return nil, err
	}
	if err := d.decodeNodes(t); err != nil {
		return nil, err
	}
	d.section = "checksum" // what follows the node table
	if d.off != d.end {
		return nil, badSnapshot("%d unexpected bytes after node table", d.end-d.off)
	}

	for _, path := range []string{RootPath, ZooKeeperPath, QuotaPath, ConfigPath} {
		if _, ok := t.nodes[path]; !ok {
			return nil, badSnapshot("reserved node %s missing", path)
		}
	}
	for i := range t.acls.entries {
		if t.acls.entries[i].refs == 0 {
			return nil, badSnapshot("ACL %d is used by no node", i)
		}
	}
	return t, nil
}

// decodeACLs fills the ACL table directly: the snapshot's index of a list
// is its ref, and reference counts start at zero for the nodes to add.
func (d *snapDecoder) decodeACLs(t *Tree) error {
	d.section = "ACL table"
	count, err := d.count("ACL lists", snapMinACLList)
	if err != nil {
		return err
	}
	t.acls.entries = make([]aclEntry, count)
	for i := range count {
		entries, err := d.count("ACL entries", snapMinACLEntry)
		if err != nil {
			return err
		}
		var acl []ACL // an empty list decodes as nil
		if entries > 0 {
			acl = make([]ACL, entries)
		}
		for j := range acl {
			b, err := d.fixed(4)
			if err != nil {
				return err
			}
			scheme, err := d.bytes()
			if err != nil {
				return err
			}
			id, err := d.bytes()
			if err != nil {
				return err
			}
			acl[j] = ACL{Perms: Perm(int32(binary.LittleEndian.Uint32(b))), ID: ID{Scheme: string(scheme), ID: string(id)}}
		}
		key := aclKey(acl)
		if i > 0 && key <= t.acls.entries[i-1].key {
			return badSnapshot("ACL %d %s not sorted after ACL %d %s", i, shortQuote(fmt.Sprint(acl)), i-1, shortQuote(fmt.Sprint(t.acls.entries[i-1].acl)))
		}
		t.acls.entries[i] = aclEntry{acl: acl, key: key, hash: hashString(seedACL, key)}
		t.acls.byKey[key] = aclRef(i)
	}
	return nil
}

func (d *snapDecoder) decodeSessions(t *Tree) error {
	d.section = "session table"
	count, err := d.count("sessions", snapSessionSize)
	if err != nil {
		return err
	}
	t.sessions = make(map[SessionID]int32, count)
	var prev SessionID
	for i := range count {
		b, err := d.fixed(snapSessionSize)
		if err != nil {
			return err
		}
		id := SessionID(int64(binary.LittleEndian.Uint64(b)))
		timeout := int32(binary.LittleEndian.Uint32(b[8:]))
		if i > 0 && id <= prev {
			return badSnapshot("session %d (%s) not sorted after session %s", i, id, prev)
		}
		prev = id
		t.sessions[id] = timeout
		t.digest += sessionTerm(id, timeout)
	}
	return nil
}

// snapChunk is how many node records the decoder handles at a time: their
// paths share one string and their small data one array.
const snapChunk = 1024

// snapSmallData is the largest data that shares its chunk's array; larger
// data gets its own.
const snapSmallData = 256

// snapRecord locates one node record in the input during decoding.
type snapRecord struct {
	path, pathEnd int
	data, dataEnd int
	fixed         int
	acl           uint64
}

// snapChild is a decoded node's path and parent, kept until the child sets
// are built.
type snapChild struct {
	path   string
	parent *znode
}

// decodeNodes decodes the node table in chunks of records and then builds
// the child sets.
//
// Allocation is what decoding a million nodes costs, so it is shared where
// sharing is safe. A chunk's paths are one string and each path a substring
// of it, which the tree then shares further (child names, index keys). A
// chunk's small data is one array, each node's data a slice of it with its
// capacity cut, which is safe because the tree never writes into data (it
// installs new slices). A chunk's nodes are one array too, as the tree's
// own slabs are (newNode). The price is that a deleted node's path, small
// data and node stay in memory while another node of its chunk lives; a
// deleted node is cleared, so nothing else is kept.
//
// Child sets are built once every node is known, so that each map is made
// with its final size instead of growing from empty.
func (d *snapDecoder) decodeNodes(t *Tree) error {
	d.section = "node table"
	count, err := d.count("nodes", snapMinNode)
	if err != nil {
		return err
	}
	t.nodes = make(map[string]*znode, count)
	children := make([]snapChild, 0, count)
	childCounts := make(map[*znode]int)
	recs := make([]snapRecord, 0, min(count, snapChunk))
	var (
		prev       string
		parentPath string // the parent of the node before, which is often this one's
		parent     *znode
		run        int // how many nodes in a row had that parent
		i          int // the index of the next node
	)
	for i < count {
		// Locate the records of one chunk.
		recs = recs[:0]
		pathBytes, dataBytes := 0, 0
		for len(recs) < cap(recs) && i+len(recs) < count {
			var r snapRecord
			p, err := d.bytes()
			if err != nil {
				return err
			}
			r.path, r.pathEnd = d.off-len(p), d.off
			data, err := d.bytes()
			if err != nil {
				return err
			}
			r.data, r.dataEnd = d.off-len(data), d.off
			if _, err := d.fixed(snapNodeFixed); err != nil {
				return err
			}
			r.fixed = d.off - snapNodeFixed
			if r.acl, err = d.uvarint(); err != nil {
				return err
			}
			recs = append(recs, r)
			pathBytes += len(p)
			if len(data) <= snapSmallData {
				dataBytes += len(data)
			}
		}
		var sb strings.Builder
		sb.Grow(pathBytes)
		for _, r := range recs {
			sb.Write(d.b[r.path:r.pathEnd])
		}
		paths := sb.String()
		arena := make([]byte, 0, dataBytes)
		nodes := make([]znode, len(recs))

		for j, r := range recs {
			path := paths[:r.pathEnd-r.path]
			paths = paths[len(path):]
			if err := ValidatePath(path); err != nil {
				return badSnapshot("node %d: %v", i, err)
			}
			if i > 0 && path <= prev {
				if path == prev {
					return badSnapshot("node %d (%s): duplicate path", i, path)
				}
				return badSnapshot("node %d (%s): not sorted after %s", i, path, prev)
			}
			prev = path
			if path != RootPath {
				if pp := ParentPath(path); pp != parentPath || parent == nil {
					if parent != nil {
						childCounts[parent] += run
					}
					parentPath, parent, run = pp, t.nodes[pp], 0
					if parent == nil {
						return badSnapshot("node %d (%s): parent %s missing", i, path, pp)
					}
				}
				run++
				children = append(children, snapChild{path: path, parent: parent})
			}
			if r.acl >= uint64(len(t.acls.entries)) {
				return badSnapshot("node %d (%s): ACL %d out of range (%d lists)", i, path, r.acl, len(t.acls.entries))
			}

			b := d.b[r.fixed : r.fixed+snapNodeFixed]
			le := binary.LittleEndian
			n := &nodes[j]
			*n = znode{
				czxid:          Zxid(le.Uint64(b[0:])),
				mzxid:          Zxid(le.Uint64(b[8:])),
				pzxid:          Zxid(le.Uint64(b[16:])),
				ctime:          int64(le.Uint64(b[24:])),
				mtime:          int64(le.Uint64(b[32:])),
				ephemeralOwner: int64(le.Uint64(b[40:])),
				version:        int32(le.Uint32(b[48:])),
				cversion:       int32(le.Uint32(b[52:])),
				aversion:       int32(le.Uint32(b[56:])),
				acl:            aclRef(r.acl),
			}
			switch data := d.b[r.data:r.dataEnd]; {
			case len(data) == 0:
			case len(data) <= snapSmallData:
				k := len(arena)
				arena = append(arena, data...)
				n.data = arena[k:len(arena):len(arena)]
			default:
				n.data = slices.Clone(data)
			}
			if z := max(n.czxid, n.mzxid, n.pzxid); z > t.lastZxid {
				return badSnapshot("node %d (%s): zxid %s after lastZxid %s", i, path, z, t.lastZxid)
			}
			if (n.mzxid < n.czxid || n.pzxid < n.czxid) && path != RootPath && path != ZooKeeperPath {
				return badSnapshot("node %d (%s): czxid %s after mzxid %s or pzxid %s", i, path, n.czxid, n.mzxid, n.pzxid)
			}
			if t.kind(n.ephemeralOwner) == kindNormal {
				if _, ok := t.sessions[SessionID(n.ephemeralOwner)]; !ok {
					return badSnapshot("node %d (%s): ephemeral owner %s is not a session of the snapshot", i, path, SessionID(n.ephemeralOwner))
				}
			}

			t.nodes[path] = n
			t.index(path, n.ephemeralOwner, true)
			e := &t.acls.entries[r.acl]
			e.refs++
			ph := hashString(seedPath, path)
			t.digest += dataTerm(ph, n.data) + metaTerm(ph, n, e.hash)
			i++
		}
	}
	if parent != nil {
		childCounts[parent] += run
	}

	// The child sets, each made at its final size. A parent's children are
	// mostly consecutive, so the count is looked up once per run. The
	// child-create counter must cover the children, except on the two nodes
	// that start with reserved children (as CheckInvariants says).
	root, zk := t.nodes[RootPath], t.nodes[ZooKeeperPath]
	var cur *znode
	for _, c := range children {
		if c.parent != cur {
			cur = c.parent
			if cur.children == nil {
				k := childCounts[cur]
				if int(cur.cversion) < k && cur != root && cur != zk {
					return badSnapshot("node %s: cversion %d counts fewer creates than its %d children", ParentPath(c.path), cur.cversion, k)
				}
				cur.children = newNameSet(k)
			}
		}
		cur.children.add(BaseName(c.path))
	}
	return nil
}

// shortQuote quotes s for a one-line message, cutting it if long.
func shortQuote(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "..."
	}
	return strconv.Quote(s)
}
