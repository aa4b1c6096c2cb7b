package sim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DistKind names the shape of a Distribution.
type DistKind uint8

const (
	// Constant always draws Floor.
	Constant DistKind = iota
	// Uniform draws evenly from [Floor, Max].
	Uniform
	// Exponential draws Floor plus an exponential variate with mean Scale: memoryless delays,
	// mostly short with an occasional long one (TigerBeetle's packet simulator uses this shape).
	Exponential
	// LogNormal draws Floor plus Scale * exp(sigma * Z) for a standard normal Z: the heavy right
	// tail of real network and disk latencies. Scale is the median of the part above Floor.
	LogNormal
)

var distKindNames = [...]string{Constant: "const", Uniform: "uniform", Exponential: "exp", LogNormal: "lognormal"}

// String returns the kind's name as used in the text form of a Distribution.
func (k DistKind) String() string {
	if int(k) < len(distKindNames) {
		return distKindNames[k]
	}
	return fmt.Sprintf("DistKind(%d)", uint8(k))
}

// DefaultCeiling caps a long-tailed draw when Max is not set, so that one unlucky draw cannot
// stall a run for hours of virtual time.
const DefaultCeiling = time.Hour

// maxSigmaMilli bounds the log-normal shape: beyond sigma = 4 the tail covers ten orders of
// magnitude, which is no longer a model of anything.
const maxSigmaMilli = 4000

// Distribution is a seeded distribution of durations: message latencies, fsync latencies,
// connection-break detection delays.
//
// The zero value is the constant 0. Draws use integers only (see fixedpoint.go), so they are the
// same on every machine.
type Distribution struct {
	Kind DistKind
	// Floor is the smallest draw: the constant itself, the low end of a uniform range, or the
	// offset under an exponential or log-normal draw.
	Floor Duration
	// Max is the largest draw: the high end of a uniform range, or an optional cap for the
	// long-tailed kinds (0 means DefaultCeiling).
	Max Duration
	// Scale is the mean above Floor (Exponential) or the median above Floor (LogNormal).
	Scale Duration
	// SigmaMilli is the log-normal shape sigma in thousandths (500 means 0.5).
	SigmaMilli int64
}

// Const returns the distribution that always draws d.
func Const(d Duration) Distribution { return Distribution{Kind: Constant, Floor: d} }

// UniformIn returns the uniform distribution over [lo, hi].
func UniformIn(lo, hi Duration) Distribution { return Distribution{Kind: Uniform, Floor: lo, Max: hi} }

// Exp returns floor plus an exponential variate of the given mean.
func Exp(floor, mean Duration) Distribution {
	return Distribution{Kind: Exponential, Floor: floor, Scale: mean}
}

// LogNormalDist returns floor plus a log-normal variate with the given median and shape sigma in
// thousandths.
func LogNormalDist(floor, median Duration, sigmaMilli int64) Distribution {
	return Distribution{Kind: LogNormal, Floor: floor, Scale: median, SigmaMilli: sigmaMilli}
}

// ErrBadDistribution is returned for a distribution that cannot be drawn from.
var ErrBadDistribution = errors.New("sim: bad distribution")

// Validate reports the first reason d cannot be drawn from: a negative duration, a range upside
// down, a missing scale, a shape out of range, or an unknown kind.
func (d Distribution) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrBadDistribution, d, fmt.Sprintf(format, args...))
	}
	switch {
	case d.Floor < 0:
		return bad("floor %v is negative", d.Floor)
	case d.Max < 0:
		return bad("max %v is negative", d.Max)
	case d.Scale < 0:
		return bad("scale %v is negative", d.Scale)
	}
	switch d.Kind {
	case Constant:
	case Uniform:
		if d.Max < d.Floor {
			return bad("max %v is below floor %v", d.Max, d.Floor)
		}
	case Exponential, LogNormal:
		if d.Scale == 0 {
			return bad("scale must be above 0")
		}
		if d.Max != 0 && d.Max < d.Floor {
			return bad("max %v is below floor %v", d.Max, d.Floor)
		}
		if d.Kind == LogNormal && (d.SigmaMilli < 0 || d.SigmaMilli > maxSigmaMilli) {
			return bad("sigma %s is outside [0, 4]", milliString(d.SigmaMilli))
		}
	default:
		return bad("unknown kind %d", uint8(d.Kind))
	}
	return nil
}

// Sample draws one duration from d using r. d must be valid.
func (d Distribution) Sample(r *Rand) Duration {
	switch d.Kind {
	case Constant:
		return d.Floor
	case Uniform:
		return Duration(r.Between(int64(d.Floor), int64(d.Max)))
	case Exponential:
		u := r.Uint64()>>1 + 1 // uniform in [1, 2^63]: U = u/2^63 in (0, 1]
		return d.capped(mulShift(uint64(d.Scale), negLnUnitQ32(u), 32))
	case LogNormal:
		return d.capped(scaleByExp2(uint64(d.Scale), d.log2Factor(r)))
	}
	panic(fmt.Sprintf("sim: Sample on invalid distribution %s", d))
}

// log2Factor draws sigma*Z/ln 2 in signed Q32, so that 2 to that power is exp(sigma*Z). Z is the
// Irwin-Hall approximation of a standard normal: the sum of twelve uniforms minus six, which has
// mean 0 and variance 1 exactly and tails cut at six sigma.
func (d Distribution) log2Factor(r *Rand) int64 {
	// Six draws straight from the stream's PCG (what r.Uint64 returns), each two Q32 uniforms in
	// [0, 1): the high and the low half. The draws are most of a latency sample, and a sample is
	// taken for every message, so they are written out rather than looped over: no loop counter,
	// and the generator inlines six times over.
	p := &r.pcg
	sum := halves(p.Uint64()) + halves(p.Uint64()) + halves(p.Uint64()) +
		halves(p.Uint64()) + halves(p.Uint64()) + halves(p.Uint64())
	z := int64(sum) - 6<<32
	neg := z < 0
	if neg {
		z = -z
	}
	scaled := mulShift(uint64(z)*uint64(d.SigmaMilli)/1000, invLn2Q32, 32)
	if neg {
		return -int64(scaled)
	}
	return int64(scaled)
}

// halves returns the sum of u's high and low 32 bits.
func halves(u uint64) uint64 { return u>>32 + uint64(uint32(u)) }

// capped adds Floor to a long-tailed draw and applies the cap. Its receiver is a pointer, as
// Sample's value receiver already is a copy: by value, each draw copied the Distribution again.
func (d *Distribution) capped(above uint64) Duration {
	limit := d.Max
	if limit == 0 {
		limit = d.Floor + DefaultCeiling
	}
	if above >= uint64(limit-d.Floor) {
		return limit
	}
	return d.Floor + Duration(above)
}

// String prints d in the form ParseDistribution reads: "const(1ms)", "uniform(1ms,5ms)",
// "exp(mean=2ms,floor=1ms)", "lognormal(median=2ms,sigma=0.5,floor=1ms,max=1s)".
func (d Distribution) String() string {
	switch d.Kind {
	case Constant:
		return "const(" + d.Floor.String() + ")"
	case Uniform:
		return "uniform(" + d.Floor.String() + "," + d.Max.String() + ")"
	case Exponential, LogNormal:
		var b strings.Builder
		if d.Kind == Exponential {
			b.WriteString("exp(mean=" + d.Scale.String())
		} else {
			b.WriteString("lognormal(median=" + d.Scale.String() + ",sigma=" + milliString(d.SigmaMilli))
		}
		if d.Floor != 0 {
			b.WriteString(",floor=" + d.Floor.String())
		}
		if d.Max != 0 {
			b.WriteString(",max=" + d.Max.String())
		}
		b.WriteString(")")
		return b.String()
	}
	return fmt.Sprintf("DistKind(%d)(...)", uint8(d.Kind))
}

// ParseDistribution reads the text form printed by Distribution.String and validates it.
func ParseDistribution(s string) (Distribution, error) {
	s = strings.TrimSpace(s)
	fail := func(why string) (Distribution, error) {
		return Distribution{}, fmt.Errorf("%w: %q: %s", ErrBadDistribution, s, why)
	}
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return fail(`want kind(args), e.g. "uniform(1ms,5ms)"`)
	}
	kind, body := s[:open], s[open+1:len(s)-1]
	var args []string
	if strings.TrimSpace(body) != "" {
		args = strings.Split(body, ",")
	}
	var d Distribution
	switch kind {
	case "const", "uniform":
		want := map[string]int{"const": 1, "uniform": 2}[kind]
		if len(args) != want {
			return fail(fmt.Sprintf("%s takes %d duration(s)", kind, want))
		}
		var ds [2]Duration
		for i, a := range args {
			v, err := time.ParseDuration(strings.TrimSpace(a))
			if err != nil {
				return fail(err.Error())
			}
			ds[i] = v
		}
		d = Const(ds[0])
		if kind == "uniform" {
			d = UniformIn(ds[0], ds[1])
		}
	case "exp", "lognormal":
		d.Kind = Exponential
		scaleKey := "mean"
		if kind == "lognormal" {
			d.Kind, scaleKey = LogNormal, "median"
		}
		seen := map[string]bool{}
		for _, a := range args {
			key, val, ok := strings.Cut(strings.TrimSpace(a), "=")
			if !ok || seen[key] {
				return fail(fmt.Sprintf("argument %q is not a single key=value", a))
			}
			seen[key] = true
			var err error
			switch {
			case key == scaleKey:
				d.Scale, err = time.ParseDuration(val)
			case key == "floor":
				d.Floor, err = time.ParseDuration(val)
			case key == "max":
				d.Max, err = time.ParseDuration(val)
			case key == "sigma" && kind == "lognormal":
				d.SigmaMilli, err = parseMilli(val)
			default:
				return fail(fmt.Sprintf("unknown argument %q", key))
			}
			if err != nil {
				return fail(err.Error())
			}
		}
		if !seen[scaleKey] {
			return fail(scaleKey + " is required")
		}
		if kind == "lognormal" && !seen["sigma"] {
			return fail("sigma is required")
		}
	default:
		return fail(fmt.Sprintf("unknown kind %q (want const, uniform, exp or lognormal)", kind))
	}
	if err := d.Validate(); err != nil {
		return Distribution{}, err
	}
	return d, nil
}

// milliString prints thousandths as a decimal: 500 -> "0.5", 1250 -> "1.25".
func milliString(m int64) string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	s := fmt.Sprintf("%s%d.%03d", sign, m/1000, m%1000)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// parseMilli reads a decimal with at most three fraction digits into thousandths, without floats.
func parseMilli(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 3 {
		return 0, fmt.Errorf("%q has more than three decimals", s)
	}
	w, err := strconv.ParseInt(whole, 10, 32)
	if err != nil || strings.HasPrefix(whole, "-") {
		return 0, fmt.Errorf("%q is not a non-negative decimal", s)
	}
	f := int64(0)
	if frac != "" {
		f, err = strconv.ParseInt(frac+strings.Repeat("0", 3-len(frac)), 10, 32)
		if err != nil || strings.HasPrefix(frac, "-") || strings.HasPrefix(frac, "+") {
			return 0, fmt.Errorf("%q is not a non-negative decimal", s)
		}
	}
	return w*1000 + f, nil
}
