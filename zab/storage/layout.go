package storage

import (
	"fmt"
	"strconv"
	"strings"
)

// File names (see the package doc's Layout).
const (
	logPrefix      = "log."
	snapPrefix     = "snapshot."
	markerPrefix   = "truncate."
	tmpSuffix      = ".tmp"
	acceptedEpochF = "acceptedEpoch"
	currentEpochF  = "currentEpoch"
	zxidDigits     = 16
)

func zxidName(prefix string, z uint64) string { return fmt.Sprintf("%s%016x", prefix, z) }

func logName(first uint64) string  { return zxidName(logPrefix, first) }
func snapName(z uint64) string     { return zxidName(snapPrefix, z) }
func markerName(z uint64) string   { return zxidName(markerPrefix, z) }
func epochTmpName(f string) string { return f + tmpSuffix }
func hexZxid(z uint64) string      { return fmt.Sprintf("%#x", z) }
func epochOf(z uint64) int64       { return int64(z >> 32) }

// parseZxidName returns the zxid of a name made by zxidName(prefix, z) and whatever follows it.
// Only the exact spelling counts (16 lower-case hex digits), so names another program wrote are
// never mistaken for the store's.
func parseZxidName(name, prefix string) (z uint64, rest string, ok bool) {
	s, found := strings.CutPrefix(name, prefix)
	if !found || len(s) < zxidDigits {
		return 0, "", false
	}
	digits := s[:zxidDigits]
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return 0, "", false
		}
	}
	z, err := strconv.ParseUint(digits, 16, 64)
	if err != nil {
		return 0, "", false
	}
	return z, s[zxidDigits:], true
}

// dirListing is a directory sorted into the store's kinds of file.
type dirListing struct {
	logs     []uint64 // log files by first zxid, ascending
	snaps    []uint64 // snapshots, ascending
	snapTmps []string
	markers  []uint64 // ascending
	epochs   map[string]bool
}

func listDir(names []string) dirListing {
	d := dirListing{epochs: map[string]bool{}}
	for _, n := range names {
		if z, rest, ok := parseZxidName(n, logPrefix); ok && rest == "" {
			d.logs = append(d.logs, z)
		} else if z, rest, ok := parseZxidName(n, snapPrefix); ok && rest == "" {
			d.snaps = append(d.snaps, z)
		} else if ok && rest == tmpSuffix {
			d.snapTmps = append(d.snapTmps, n)
		} else if z, rest, ok := parseZxidName(n, markerPrefix); ok && rest == "" {
			d.markers = append(d.markers, z)
		} else {
			switch n {
			case acceptedEpochF, currentEpochF, epochTmpName(acceptedEpochF), epochTmpName(currentEpochF):
				d.epochs[n] = true
			}
		}
	}
	return d
}
