package tree

import (
	"fmt"
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
func ValidatePath(path string) error {
	if path == "" {
		return fmt.Errorf("path length must be > 0")
	}
	if path[0] != '/' {
		return fmt.Errorf("path %q must start with / character", path)
	}
	if len(path) == 1 {
		return nil
	}
	if path[len(path)-1] == '/' {
		return fmt.Errorf("path %q must not end with / character", path)
	}
	last := byte('/')
	for i := 1; i < len(path); {
		c := path[i]
		switch {
		case c == 0:
			return fmt.Errorf("invalid path %q: null character not allowed @%d", path, i)
		case c == '/' && last == '/':
			return fmt.Errorf("invalid path %q: empty node name specified @%d", path, i)
		case c == '.' && last == '.':
			if path[i-2] == '/' && (i+1 == len(path) || path[i+1] == '/') {
				return fmt.Errorf("invalid path %q: relative paths not allowed @%d", path, i)
			}
		case c == '.':
			if path[i-1] == '/' && (i+1 == len(path) || path[i+1] == '/') {
				return fmt.Errorf("invalid path %q: relative paths not allowed @%d", path, i)
			}
		case c < utf8.RuneSelf:
			if c <= 0x1f || c == 0x7f {
				return fmt.Errorf("invalid path %q: invalid character @%d", path, i)
			}
		default:
			r, size := utf8.DecodeRuneInString(path[i:])
			if invalidPathRune(r) {
				return fmt.Errorf("invalid path %q: invalid character @%d", path, i)
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
	if sequential {
		return ValidatePath(path + "1")
	}
	return ValidatePath(path)
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
func SequentialName(path string, counter int32) string {
	return fmt.Sprintf("%s%010d", path, counter)
}
