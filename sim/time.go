package sim

import (
	"fmt"
	"time"
)

// Time is a point in virtual time: nanoseconds since the start of a run.
//
// Virtual time advances only when the kernel jumps to the next event; nothing reads a wall clock.
// It is a plain int64 so that it orders, subtracts and hashes without surprises, and so that
// porcupine histories can use it directly as a timestamp.
type Time int64

// Duration is a span of virtual time. It is the standard library's type: only the arithmetic and
// the constants are used, never the wall clock behind it.
type Duration = time.Duration

// Never is a time after every event a run can schedule.
const Never Time = 1<<63 - 1

// Add returns t+d, saturating at Never instead of wrapping.
func (t Time) Add(d Duration) Time {
	if d > 0 && t > Never-Time(d) {
		return Never
	}
	return t + Time(d)
}

// Sub returns the duration t-u.
func (t Time) Sub(u Time) Duration { return Duration(t - u) }

// Max returns the later of t and u.
func (t Time) Max(u Time) Time {
	if u > t {
		return u
	}
	return t
}

// String prints t with a fixed width as hours:minutes:seconds.nanoseconds, for example
// "00:01:02.003000000", so that trace lines align and sort as text. Never prints as "never".
func (t Time) String() string {
	if t == Never {
		return "never"
	}
	sign := ""
	if t < 0 {
		sign, t = "-", -t
	}
	ns := int64(t)
	sec := ns / 1e9
	return fmt.Sprintf("%s%02d:%02d:%02d.%09d", sign, sec/3600, sec/60%60, sec%60, ns%1e9)
}
