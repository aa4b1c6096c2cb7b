package histories

import "errors"

// Errors of Decode. Every error it returns for bad input wraps one of them, with a one-line
// message that names the line (and, inside a record, the column and field) and the problem:
// "histories: bad history: line 12 col 57: op record, field "outcome": unknown outcome "okk"".
var (
	// ErrNotHistory: the input is not a zoosim history at all: it is empty, its first line is
	// not a JSON object, or that object has no "format" or names another format. A history of
	// another format version is refused with this error too; the message names the version.
	ErrNotHistory = errors.New("histories: not a zoosim history")
	// ErrBadHistory: the input starts as a zoosim history of this version but is damaged: a
	// line that is not a record, an unknown record type or field, a value of the wrong kind or
	// out of range, records out of sequence, or a file that ends before its end record
	// (truncated).
	ErrBadHistory = errors.New("histories: bad history")
)
