package storage

// Encoders for tests that craft files.

func LogHeader(prev uint64) []byte { return appendLogHeader(nil, prev) }

func EncodeRecord(r Record) []byte { return appendRecord(nil, r) }

func EncodeSnapshot(z uint64, data []byte) []byte { return encodeSnapshot(z, data) }
