package tree

import (
	"testing"
	"unicode/utf16"
)

// javaValidatePath is PathUtils.validatePath transcribed over UTF-16 code
// units, the way Java sees a string, as the reference for the fuzzer.
func javaValidatePath(path string) bool {
	runes := []rune(path) // malformed bytes become U+FFFD, as Java decodes them
	chars := utf16.Encode(runes)
	if len(chars) == 0 || chars[0] != '/' {
		return false
	}
	if len(chars) == 1 {
		return true
	}
	if chars[len(chars)-1] == '/' {
		return false
	}
	last := uint16('/')
	for i := 1; i < len(chars); i++ {
		c := chars[i]
		switch {
		case c == 0:
			return false
		case c == '/' && last == '/':
			return false
		case c == '.' && last == '.':
			if chars[i-2] == '/' && (i+1 == len(chars) || chars[i+1] == '/') {
				return false
			}
		case c == '.':
			if chars[i-1] == '/' && (i+1 == len(chars) || chars[i+1] == '/') {
				return false
			}
		case c > 0 && c <= 0x1f, c >= 0x7f && c <= 0x9f, c >= 0xd800 && c <= 0xf8ff, c >= 0xfff0:
			return false
		}
		last = c
	}
	return true
}

// FuzzValidatePath compares ValidatePath with a literal transcription of
// ZooKeeper's rule over UTF-16 (zookeeper.md A1).
func FuzzValidatePath(f *testing.F) {
	for _, seed := range []string{"/", "/a", "/a/", "//", "/.", "/..", "/...", "/a/./b", "/a\x00", "/\u0085",
		"/\ud7ff", "/\ue000", "/😀", "/\xff", "/a..", "/..a", "/a/b/../c", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, path string) {
		got := ValidatePath(path) == nil
		if want := javaValidatePath(path); got != want {
			t.Fatalf("ValidatePath(%q) valid=%v, ZooKeeper's rule says %v", path, got, want)
		}
	})
}

// FuzzPrepareApply drives random requests through prepare, apply and
// commit, with pipelining, and checks that nothing panics, every invariant
// holds after every txn, the leader's projected digest matches, and a
// replica fed the same txns converges.
func FuzzPrepareApply(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb})
	f.Add([]byte("create a multi then close the session, pipelined"))
	f.Fuzz(func(t *testing.T, program []byte) {
		h := newHarness(t, Options{ExtendedTypes: len(program)%2 == 0})
		replica := New(h.tree.Options())
		paths := []string{"/a", "/b", "/a/b", "/a/c", "/a/b/c", "/b/a", "/a/", "/q-", "/a/q-", "//", "/zookeeper"}
		modes := []CreateMode{Persistent, Ephemeral, PersistentSequential, EphemeralSequential, Container, PersistentWithTTL, PersistentSequentialWithTTL, 9}
		next := func() int {
			if len(program) == 0 {
				return 0
			}
			b := program[0]
			program = program[1:]
			return int(b)
		}
		request := func(kind int) Request {
			path := paths[next()%len(paths)]
			version := int32(next()%4) - 1
			switch kind % 6 {
			case 0, 1:
				req := create(path, modes[next()%len(modes)])
				req.TTL = int64(next()) - 10
				return req
			case 2:
				return del(path, version)
			case 3:
				return setData(path, string(rune('a'+next()%26)), version)
			case 4:
				return Request{Type: OpSetACL, Path: path, ACL: [][]ACL{OpenACLUnsafe, ReadACLUnsafe, CreatorAllACL, nil}[next()%4], Version: version}
			}
			return Request{Type: OpCheck, Path: path, Version: version}
		}
		var txns []*Txn
		flush := func() {
			for _, x := range txns {
				h.apply(x)
				if a := replica.Apply(x); a.DigestErr != nil {
					t.Fatalf("replica: %v", a.DigestErr)
				}
			}
			txns = txns[:0]
		}
		for len(program) > 0 {
			s := SessionID(1 + next()%3)
			op := next()
			var req Request
			switch op % 10 {
			case 7:
				req = Request{Type: OpCreateSession, Timeout: 30000}
			case 8:
				req = Request{Type: OpCloseSession}
			case 9:
				n := 1 + next()%4
				req = Request{Type: OpMulti}
				for range n {
					req.Ops = append(req.Ops, request(next()))
				}
			default:
				req = request(op)
			}
			if s == 3 {
				h.auth[s] = NewAuth("10.0.0.3").AddDigest("u:p", "")
			}
			txns = append(txns, h.prepare(s, req))
			if next()%3 != 0 { // sometimes keep requests in flight
				flush()
			}
		}
		flush()
		if replica.Digest() != h.tree.Digest() {
			t.Fatalf("replica digest %#x, leader %#x", replica.Digest(), h.tree.Digest())
		}
	})
}
