package recipes

import (
	"slices"
	"strconv"
	"strings"
)

// sequenceDigits is the width of the counter ZooKeeper appends to a sequential node's name
// (zookeeper.md A3): ten decimal digits, zero-padded.
const sequenceDigits = 10

// sequenceOf returns the counter a sequential node's name ends with.
func sequenceOf(name string) (int64, bool) {
	if len(name) < sequenceDigits {
		return 0, false
	}
	n, err := strconv.ParseInt(name[len(name)-sequenceDigits:], 10, 64)
	return n, err == nil && n >= 0
}

// sortBySequence orders sequential node names by their counter, the order in which they were
// created (getChildren returns children in no particular order, zookeeper.md A1; names that
// differ before the counter must not decide). Names without a counter go last, by name.
func sortBySequence(names []string) {
	slices.SortFunc(names, func(a, b string) int {
		sa, oka := sequenceOf(a)
		sb, okb := sequenceOf(b)
		switch {
		case oka && okb && sa != sb:
			if sa < sb {
				return -1
			}
			return 1
		case oka != okb:
			if oka {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
}

// join makes a child path.
func join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// base returns the last component of a path.
func base(path string) string { return path[strings.LastIndexByte(path, '/')+1:] }
