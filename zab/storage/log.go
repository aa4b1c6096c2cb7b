package storage

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Log file framing (see the package doc's Layout).
const (
	logMagic        = "ZSLG"
	logVersion      = 1
	logHeaderSize   = 20
	recordHeadSize  = 16
	maxRecordLength = 1<<32 - 1
)

// Record is one txn log entry: a zxid and the opaque bytes the server stores under it.
type Record struct {
	Zxid    uint64
	Payload []byte
}

// logFile is what the store knows of one log file on disk.
type logFile struct {
	name string
	// first is the zxid in the name: the zxid of the file's first record.
	first uint64
	// prev is the header's prev: the zxid the history had reached before first.
	prev uint64
	// last is the zxid of the file's last record.
	// Invariant: prev < first <= last.
	last uint64
	// size is the file's length: the header and whole records only.
	size int64
}

func appendLogHeader(b []byte, prev uint64) []byte {
	start := len(b)
	b = append(b, logMagic...)
	b = binary.LittleEndian.AppendUint32(b, logVersion)
	b = binary.LittleEndian.AppendUint64(b, prev)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

// parseLogHeader returns the header's prev, or what is wrong with the header.
func parseLogHeader(b []byte) (prev uint64, problem string) {
	switch {
	case len(b) < logHeaderSize:
		return 0, fmt.Sprintf("torn header (%d of %d bytes)", len(b), logHeaderSize)
	case string(b[:4]) != logMagic:
		return 0, fmt.Sprintf("not a log file (magic %q)", b[:4])
	case crc32.Checksum(b[:16], castagnoli) != binary.LittleEndian.Uint32(b[16:20]):
		return 0, "header checksum mismatch"
	case binary.LittleEndian.Uint32(b[4:8]) != logVersion:
		return 0, fmt.Sprintf("unknown log version %d", binary.LittleEndian.Uint32(b[4:8]))
	}
	return binary.LittleEndian.Uint64(b[8:16]), ""
}

func appendRecord(b []byte, r Record) []byte {
	if uint64(len(r.Payload)) > maxRecordLength {
		panic(fmt.Sprintf("storage: record %s has %d bytes, more than a log record holds", hexZxid(r.Zxid), len(r.Payload)))
	}
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(r.Payload)))
	b = append(b, 0, 0, 0, 0) // crc, filled in below
	b = binary.LittleEndian.AppendUint64(b, r.Zxid)
	b = append(b, r.Payload...)
	binary.LittleEndian.PutUint32(b[start+4:], recordCRC(b[start:]))
	return b
}

// recordCRC is the CRC of a framed record: of its size, zxid and payload.
func recordCRC(rec []byte) uint32 {
	return crc32.Update(crc32.Checksum(rec[:4], castagnoli), castagnoli, rec[8:])
}

// logScan is what scanLog found in a log file.
type logScan struct {
	recs []Record // payloads alias the scanned bytes
	// offs[i] is where recs[i] starts.
	offs []int64
	// end is where the valid records end: the header and every record in recs.
	end int64
	// problem says what stopped the scan before the end of the file ("" if nothing did).
	problem string
}

// scanLog reads the records of a log file whose header is valid, up to the first one that is
// torn, damaged, or out of order. first is the zxid the file's name promises for its first
// record, prev the header's.
func scanLog(b []byte, first, prev uint64) logScan {
	s := logScan{end: logHeaderSize}
	last := prev
	for off := int64(logHeaderSize); off < int64(len(b)); {
		rest := b[off:]
		if len(rest) < recordHeadSize {
			s.problem = fmt.Sprintf("torn tail at offset %d (%d bytes)", off, len(rest))
			return s
		}
		n := int64(binary.LittleEndian.Uint32(rest[:4]))
		if n > int64(len(rest))-recordHeadSize {
			s.problem = fmt.Sprintf("torn tail at offset %d (%d bytes, the record there claims %d)", off, len(rest), recordHeadSize+n)
			return s
		}
		rec := rest[:recordHeadSize+n]
		if recordCRC(rec) != binary.LittleEndian.Uint32(rec[4:8]) {
			s.problem = fmt.Sprintf("damaged record at offset %d and all after it (%d bytes): checksum mismatch", off, len(rest))
			return s
		}
		z := binary.LittleEndian.Uint64(rec[8:16])
		switch {
		case len(s.recs) == 0 && z != first:
			s.problem = fmt.Sprintf("first record and all after it (%d bytes): its zxid %s is not the name's", len(rest), hexZxid(z))
			return s
		case z <= last:
			s.problem = fmt.Sprintf("record at offset %d and all after it (%d bytes): its zxid %s does not follow %s", off, len(rest), hexZxid(z), hexZxid(last))
			return s
		}
		s.recs = append(s.recs, Record{Zxid: z, Payload: rec[recordHeadSize:]})
		s.offs = append(s.offs, off)
		last = z
		off += int64(len(rec))
		s.end = off
	}
	return s
}

// cutAfter returns how many of the scanned records have zxid <= z.
func (s *logScan) cutAfter(z uint64) int {
	k := len(s.recs)
	for k > 0 && s.recs[k-1].Zxid > z {
		k--
	}
	return k
}
