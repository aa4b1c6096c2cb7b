package models

import (
	"fmt"
	"strings"

	"zoosim/histories"
)

// Status is a checker's conclusion.
type Status uint8

const (
	// Pass: the history satisfies the property.
	Pass Status = iota + 1
	// Fail: the history violates it; Violations say where.
	Fail
	// Inconclusive: the checker could not decide (porcupine timed out, or the history lacks
	// what the check needs). Never a pass.
	Inconclusive
)

func (s Status) String() string {
	switch s {
	case Pass:
		return "pass"
	case Fail:
		return "FAIL"
	case Inconclusive:
		return "inconclusive"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// MaxViolations bounds how many violations a verdict lists; Verdict.Total counts them all.
const MaxViolations = 20

// Violation is one place where a history breaks a property.
type Violation struct {
	// Time is when the violation shows: usually the return of the offending op.
	Time histories.Time
	// Ops are the IDs of the ops involved, the offending one first.
	Ops []int
	// Message says what is wrong in one line, naming ops, sessions, paths and zxids.
	Message string
}

func (v Violation) String() string {
	return fmt.Sprintf("at %s: %s", FormatTime(v.Time), v.Message)
}

// Metric is a named measurement a checker reports (a liveness time, a count).
type Metric struct {
	Name  string
	Value float64
	Unit  string // "s", "ops", ""
}

// Verdict is what one checker concluded about one history.
type Verdict struct {
	Checker string
	Status  Status
	// Summary says in one line what was checked and the outcome ("12034 ops on 14 paths:
	// linearizable", or the first violation).
	Summary string
	// Violations lists the first MaxViolations violations, in time order; Total counts all.
	Violations []Violation
	Total      int
	// Metrics are measurements, in a fixed order.
	Metrics []Metric
}

// OK reports whether the verdict is a pass.
func (v *Verdict) OK() bool { return v.Status == Pass }

// String prints the verdict: one line, then one indented line per listed violation.
func (v *Verdict) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-14s %-12s %s", v.Checker, v.Status, v.Summary)
	for _, x := range v.Violations {
		fmt.Fprintf(&b, "\n    %s", x)
	}
	if v.Total > len(v.Violations) {
		fmt.Fprintf(&b, "\n    ... and %d more", v.Total-len(v.Violations))
	}
	return b.String()
}

// violations collects a checker's violations, keeping the first MaxViolations.
type violations struct {
	list  []Violation
	total int
}

func (vs *violations) add(v Violation) {
	vs.total++
	if len(vs.list) < MaxViolations {
		vs.list = append(vs.list, v)
	}
}

func (vs *violations) addf(t histories.Time, ops []int, format string, args ...any) {
	vs.add(Violation{Time: t, Ops: ops, Message: fmt.Sprintf(format, args...)})
}

// verdict builds the verdict: Fail with the first violation as its summary when there is one,
// else Pass with passSummary.
func (vs *violations) verdict(checker, passSummary string) Verdict {
	v := Verdict{Checker: checker, Violations: vs.list, Total: vs.total}
	if vs.total == 0 {
		v.Status, v.Summary = Pass, passSummary
		return v
	}
	v.Status = Fail
	v.Summary = fmt.Sprintf("%d violation(s); first: %s", vs.total, vs.list[0].Message)
	return v
}

// FormatTime prints a virtual time as seconds with millisecond precision ("12.345s"), or
// "never".
func FormatTime(t histories.Time) string {
	if t == histories.Never {
		return "never"
	}
	return fmt.Sprintf("%d.%03ds", int64(t)/1e9, int64(t)/1e6%1000)
}
