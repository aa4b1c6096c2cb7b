package storage

import (
	"fmt"
	"strconv"
)

// Epoch files hold a decimal number and a newline. ZooKeeper writes the number alone
// (writeLongToFile, zookeeper.md B1); the newline is ours, so that a torn write of "12" (which
// keeps "1") reads as damaged rather than as a smaller epoch.

func epochBytes(e int64) []byte { return append(strconv.AppendInt(nil, e, 10), '\n') }

// parseEpoch reads an epoch file's contents, or says what is wrong with them.
func parseEpoch(b []byte) (int64, string) {
	if len(b) < 2 || b[len(b)-1] != '\n' {
		return 0, fmt.Sprintf("holds %q, not a number and a newline", b)
	}
	digits := b[:len(b)-1]
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, fmt.Sprintf("holds %q, not a number and a newline", b)
		}
	}
	e, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil {
		return 0, fmt.Sprintf("holds %q, out of range", b)
	}
	return e, ""
}
