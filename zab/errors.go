package zab

import "errors"

var (
	// ErrBadConfig reports a Config that cannot run; the message names the field.
	ErrBadConfig = errors.New("zab: bad config")
	// ErrUnknownVariant reports a variant name that is not in Variants().
	ErrUnknownVariant = errors.New("zab: unknown variant")
	// ErrBadRecovery reports recovered disk state the Peer cannot start from (B1's startup
	// checks, or a log that does not follow its snapshot).
	ErrBadRecovery = errors.New("zab: bad recovered state")
)
