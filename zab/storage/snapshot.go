package storage

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Snapshot file framing (see the package doc's Layout). The header carries the zxid and the size
// under the CRC, so a snapshot renamed from the wrong tmp, cut short, or damaged anywhere is
// detected, and recovery falls back to the next older one.
const (
	snapMagic      = "ZSSN"
	snapVersion    = 1
	snapHeaderSize = 28
)

func encodeSnapshot(z uint64, data []byte) []byte {
	b := make([]byte, 0, snapHeaderSize+len(data))
	b = append(b, snapMagic...)
	b = binary.LittleEndian.AppendUint32(b, snapVersion)
	b = binary.LittleEndian.AppendUint64(b, z)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(data)))
	crc := crc32.Update(crc32.Checksum(b, castagnoli), castagnoli, data)
	b = binary.LittleEndian.AppendUint32(b, crc)
	return append(b, data...)
}

// decodeSnapshot returns the data of the snapshot file named for zxid z, or what is wrong with it.
func decodeSnapshot(z uint64, b []byte) (data []byte, problem string) {
	if len(b) < snapHeaderSize {
		return nil, fmt.Sprintf("torn header (%d of %d bytes)", len(b), snapHeaderSize)
	}
	if string(b[:4]) != snapMagic {
		return nil, fmt.Sprintf("not a snapshot (magic %q)", b[:4])
	}
	size := binary.LittleEndian.Uint64(b[16:24])
	if size != uint64(len(b)-snapHeaderSize) {
		return nil, fmt.Sprintf("holds %d data bytes, its header says %d", len(b)-snapHeaderSize, size)
	}
	crc := crc32.Update(crc32.Checksum(b[:24], castagnoli), castagnoli, b[snapHeaderSize:])
	if crc != binary.LittleEndian.Uint32(b[24:28]) {
		return nil, "checksum mismatch"
	}
	if v := binary.LittleEndian.Uint32(b[4:8]); v != snapVersion {
		return nil, fmt.Sprintf("unknown snapshot version %d", v)
	}
	if hz := binary.LittleEndian.Uint64(b[8:16]); hz != z {
		return nil, fmt.Sprintf("holds the snapshot at %s, not the name's", hexZxid(hz))
	}
	return b[snapHeaderSize:], ""
}
