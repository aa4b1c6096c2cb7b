package tree

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The reserved nodes of zookeeper.md A1. They exist in every tree from the
// start and cannot be deleted (DataTree.isSpecialPath).
const (
	RootPath      = "/"
	ZooKeeperPath = "/zookeeper"
	QuotaPath     = "/zookeeper/quota"
	ConfigPath    = "/zookeeper/config"
)

// IsSpecialPath reports whether path is one of the reserved nodes that a
// delete rejects with BadArguments.
func IsSpecialPath(path string) bool {
	return path == RootPath || path == ZooKeeperPath || path == QuotaPath || path == ConfigPath
}

// ValidatePath checks a path exactly as ZooKeeper's PathUtils.validatePath
// does (zookeeper.md A1) and says what is wrong with it. ZooKeeper checks
// UTF-16 code units; a Go string is UTF-8, so a rune outside the Basic
// Multilingual Plane (a surrogate pair in Java) and a malformed byte (which
// Java decodes to U+FFFD) are both invalid here as they are there.
func ValidatePath(path string) error { return validatePath(path, false) }

// validatePath is ValidatePath of path, or with sequential of path+"1" (see
// ValidateCreatePath) without building that string: '1' is a plain
// character that cannot end a name with '/' or complete a truncated UTF-8
// sequence, so the checks of path+"1" are those of path, except that no
// name ends where path does and path may end in '/'.
func validatePath(path string, sequential bool) error {
	shown := func() string { // the path the messages name
		if sequential {
			return path + "1"
		}
		return path
	}
	// nameEndsAfter reports whether the name holding index i ends there: the
	// path ends or a '/' follows.
	nameEndsAfter := func(i int) bool {
		if i+1 == len(path) {
			return !sequential
		}
		return path[i+1] == '/'
	}
	if path == "" && !sequential {
		return fmt.Errorf("path length must be > 0")
	}
	if path == "" || path[0] != '/' {
		return fmt.Errorf("path %q must start with / character", shown())
	}
	if len(path) == 1 && !sequential {
		return nil
	}
	if path[len(path)-1] == '/' && !sequential {
		return fmt.Errorf("path %q must not end with / character", path)
	}
	last := byte('/')
	for i := 1; i < len(path); {
		c := path[i]
		switch {
		case c > '/' && c < 0x7f:
			// Digits, letters and the like: plain, and most of a path. The
			// cases below say so too; this one only says it in fewer steps.
		case c == 0:
			return fmt.Errorf("invalid path %q: null character not allowed @%d", shown(), i)
		case c == '/' && last == '/':
			return fmt.Errorf("invalid path %q: empty node name specified @%d", shown(), i)
		case c == '.' && last == '.':
			if path[i-2] == '/' && nameEndsAfter(i) {
				return fmt.Errorf("invalid path %q: relative paths not allowed @%d", shown(), i)
			}
		case c == '.':
			if path[i-1] == '/' && nameEndsAfter(i) {
				return fmt.Errorf("invalid path %q: relative paths not allowed @%d", shown(), i)
			}
		case c < utf8.RuneSelf:
			if c <= 0x1f || c == 0x7f {
				return fmt.Errorf("invalid path %q: invalid character @%d", shown(), i)
			}
		default:
			r, size := utf8.DecodeRuneInString(path[i:])
			if invalidPathRune(r) {
				return fmt.Errorf("invalid path %q: invalid character @%d", shown(), i)
			}
			last = 0x80 // not '/' nor '.'
			i += size
			continue
		}
		last = c
		i++
	}
	return nil
}

// invalidPathRune holds the non-ASCII ranges PathUtils forbids: C1 controls,
// surrogates and the private use area, and U+FFF0..U+FFFF (which includes
// U+FFFD, Java's replacement for a malformed byte). Runes beyond U+FFFF are
// surrogate pairs in Java and so fall in the forbidden surrogate range.
func invalidPathRune(r rune) bool {
	return r <= 0x9f || (r >= 0xd800 && r <= 0xf8ff) || r >= 0xfff0
}

// ValidateCreatePath checks the path of a create. For a sequential create
// ZooKeeper validates path+"1", so "/q/" is a legal sequential prefix that
// yields "/q/0000000007" (zookeeper.md A1).
func ValidateCreatePath(path string, sequential bool) error {
	return validatePath(path, sequential)
}

// ParentPath returns the parent of a valid, non-root path: "/a/b" -> "/a",
// "/a" -> "/".
func ParentPath(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return RootPath
	}
	return path[:i]
}

// BaseName returns the last component of a valid path: "/a/b" -> "b".
func BaseName(path string) string {
	return path[strings.LastIndexByte(path, '/')+1:]
}

// JoinPath joins a parent path and a child name: ("/", "a") -> "/a".
func JoinPath(parent, name string) string {
	if parent == RootPath {
		return "/" + name
	}
	return parent + "/" + name
}

// SequentialName appends the parent's child-create counter to path as
// ZooKeeper does: %010d of a signed 32-bit counter, so past 2147483647 the
// name carries a minus sign (zookeeper.md A3).
//
// It builds the bytes of fmt.Sprintf("%s%010d", path, counter) by hand, in
// one allocation instead of fmt's three: the leader names every sequential
// create with it, and the checkers call it for every sequential name they
// match.
func SequentialName(path string, counter int32) string {
	var buf [64]byte
	b := append(buf[:0], path...)
	n := int64(counter)
	width := 10 // %010d counts the sign in the width
	if n < 0 {
		b = append(b, '-')
		n = -n
		width--
	}
	var digits [10]byte
	d := strconv.AppendInt(digits[:0], n, 10)
	for range width - len(d) {
		b = append(b, '0')
	}
	b = append(b, d...)
	return string(b)
}
