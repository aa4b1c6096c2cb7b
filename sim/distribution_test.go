package sim

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// The fixed-point functions are checked against the float ones here, in a test, where floats
// cannot reach a run.
func TestLog2Q32MatchesMathLog2(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		u := rapid.Uint64Min(1).Draw(t, "u")
		got := float64(log2Q32(u)) / (1 << 32)
		if want := math.Log2(float64(u)); math.Abs(got-want) > 1e-8 {
			t.Fatalf("log2(%d) = %.12f, want %.12f", u, got, want)
		}
	})
}

func TestScaleByExp2MatchesMathExp2(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.Uint64Range(1, 1<<40).Draw(t, "v")
		y := rapid.Int64Range(-20<<32, 20<<32).Draw(t, "y")
		got := float64(scaleByExp2(v, y))
		want := float64(v) * math.Exp2(float64(y)/(1<<32))
		if math.Abs(got-want) > 1e-7*want+1 {
			t.Fatalf("%d * 2^(%g) = %g, want %g", v, float64(y)/(1<<32), got, want)
		}
	})
}

// The table product and the series agree to within 256 units of the last Q62 place (a relative
// 6e-17): the series truncates each of its at most 25 terms by under one unit, so each table
// entry is within 25 units, and four entries multiplied with three truncations stay within about
// 4*25*2+3 = 203 units of each other.
func TestExp2TableMatchesTheTaylorSeries(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := rapid.Uint64Range(0, oneQ32-1).Draw(t, "f")
		fast, slow := exp2FracQ62(f), exp2TaylorQ62(f)
		if diff := int64(fast - slow); diff < -256 || diff > 256 {
			t.Fatalf("2^(%d/2^32): table %d, series %d", f, fast, slow)
		}
	})
}

// exp2FracQ62's products never reach mulShift's saturation, so leaving its check out changes no
// result: every table entry is below 2^63, and so is the product at every byte of every fraction.
func TestExp2FracProductsStayBelowSaturation(t *testing.T) {
	for i := range exp2Table {
		for b, e := range exp2Table[i] {
			if e >= 1<<63 || e < oneQ62 {
				t.Fatalf("exp2Table[%d][%d] = %d is outside [1, 2) in Q62", i, b, e)
			}
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		f := rapid.Uint64Range(0, oneQ32-1).Draw(t, "f")
		v := exp2Table[0][f>>24&0xff]
		for i, shift := range []uint{16, 8, 0} {
			v = mulShift(v, exp2Table[i+1][f>>shift&0xff], 62)
			if v >= 1<<63 {
				t.Fatalf("2^(%d/2^32): product %d reached %d", f, i+1, v)
			}
		}
		if got := exp2FracQ62(f); got != v {
			t.Fatalf("2^(%d/2^32) = %d, with mulShift %d", f, got, v)
		}
	})
}

func TestNegLnUnitMatchesMathLog(t *testing.T) {
	for _, u := range []uint64{1, 2, 1000, 1 << 40, 1<<62 + 12345, 1 << 63} {
		got := float64(negLnUnitQ32(u)) / (1 << 32)
		want := -math.Log(float64(u) / (1 << 63))
		if math.Abs(got-want) > 1e-8 {
			t.Errorf("-ln(%d/2^63) = %.12f, want %.12f", u, got, want)
		}
	}
}

func sampleMany(d Distribution, n int) []Duration {
	r := NewRand(11).Fork(d.String())
	out := make([]Duration, n)
	for i := range out {
		out[i] = d.Sample(r)
	}
	return out
}

func TestDistributionsHaveTheirShape(t *testing.T) {
	const n = 20000
	ms := time.Millisecond

	uni := sampleMany(UniformIn(2*ms, 4*ms), n)
	if lo, hi := slices.Min(uni), slices.Max(uni); lo < 2*ms || hi > 4*ms {
		t.Errorf("uniform(2ms,4ms) drew [%v, %v]", lo, hi)
	}

	exp := sampleMany(Exp(ms, 3*ms), n)
	var sum float64
	for _, d := range exp {
		if d < ms {
			t.Fatalf("exp drew %v below its floor", d)
		}
		sum += float64(d - ms)
	}
	if mean := time.Duration(sum / n); mean < 2900*time.Microsecond || mean > 3100*time.Microsecond {
		t.Errorf("exp(mean=3ms) has mean %v", mean)
	}

	logn := sampleMany(LogNormalDist(ms, 2*ms, 500), n)
	slices.Sort(logn)
	if median := logn[n/2] - ms; median < 1900*time.Microsecond || median > 2100*time.Microsecond {
		t.Errorf("lognormal(median=2ms) has median %v", median)
	}
	// For sigma 0.5 the 97.7th percentile is the median times e^(2*0.5) = 2.718.
	if p977 := logn[n*977/1000] - ms; p977 < 5*ms || p977 > 6*ms {
		t.Errorf("lognormal(median=2ms,sigma=0.5) has p97.7 %v, want about 5.4ms", p977)
	}

	capped := sampleMany(Distribution{Kind: LogNormal, Scale: ms, SigmaMilli: 4000, Max: 5 * ms}, n)
	if hi := slices.Max(capped); hi != 5*ms {
		t.Errorf("a sigma-4 lognormal capped at 5ms reached %v", hi)
	}
}

// log2FactorReference is log2Factor as first written, a plain loop over the six draws: the
// specification that the unrolled version must match bit for bit.
func log2FactorReference(sigmaMilli int64, r *Rand) int64 {
	var sum uint64
	for i := 0; i < 6; i++ {
		u := r.Uint64()
		sum += u>>32 + u&(oneQ32-1)
	}
	z := int64(sum) - 6<<32
	neg := z < 0
	if neg {
		z = -z
	}
	scaled := mulShift(uint64(z)*uint64(sigmaMilli)/1000, invLn2Q32, 32)
	if neg {
		return -int64(scaled)
	}
	return int64(scaled)
}

// log2Factor gives the reference's values from the same draws, over many streams and shapes, and
// leaves its stream where the reference leaves its twin.
func TestLog2FactorMatchesTheReference(t *testing.T) {
	for seed := uint64(1); seed <= 2000; seed++ {
		fast, slow := NewRand(seed).Fork("f"), NewRand(seed).Fork("f")
		sigma := int64(seed*7919) % (maxSigmaMilli + 1)
		if seed%4 == 0 {
			sigma = []int64{0, 1, 500, maxSigmaMilli}[seed/4%4]
		}
		d := LogNormalDist(0, time.Millisecond, sigma)
		for i := 0; i < 50; i++ {
			if got, want := d.log2Factor(fast), log2FactorReference(sigma, slow); got != want {
				t.Fatalf("seed %d sigma %d draw %d: %d, want %d", seed, sigma, i, got, want)
			}
		}
		if got, want := fast.Uint64(), slow.Uint64(); got != want {
			t.Fatalf("seed %d: the streams parted: next draws %d and %d", seed, got, want)
		}
	}
}

// Pinned draws of each kind: the integer math and the draw order must never change silently.
func TestSamplesArePinned(t *testing.T) {
	r := NewRand(9)
	got := []Duration{
		Const(time.Millisecond).Sample(r),
		UniformIn(time.Millisecond, 2*time.Millisecond).Sample(r),
		Exp(0, time.Millisecond).Sample(r),
		LogNormalDist(100*time.Microsecond, time.Millisecond, 500).Sample(r),
	}
	want := pinnedSamples
	if !slices.Equal(got, want) {
		t.Fatalf("samples of seed 9 changed:\n got %v\nwant %v", got, want)
	}
}

var pinnedSamples = []Duration{1000000, 1309845, 470741, 1079422}

func TestDistributionTextRoundTrips(t *testing.T) {
	for _, d := range []Distribution{
		{},
		Const(3 * time.Millisecond),
		UniformIn(time.Microsecond, 5*time.Millisecond),
		Exp(0, 2*time.Millisecond),
		{Kind: Exponential, Floor: time.Millisecond, Scale: 2 * time.Millisecond, Max: time.Second},
		LogNormalDist(100*time.Microsecond, 300*time.Microsecond, 1250),
	} {
		back, err := ParseDistribution(d.String())
		if err != nil || back != d {
			t.Errorf("%+v printed as %q parsed back as %+v, %v", d, d.String(), back, err)
		}
	}
}

func TestBadDistributionsAreRejectedWithTheReason(t *testing.T) {
	for text, reason := range map[string]string{
		"const(-1ms)":                        "negative",
		"uniform(5ms,1ms)":                   "below floor",
		"exp(floor=1ms)":                     "mean is required",
		"exp(mean=0s)":                       "scale must be above 0",
		"lognormal(median=1ms)":              "sigma is required",
		"lognormal(median=1ms,sigma=4.5)":    "outside [0, 4]",
		"lognormal(median=1ms,sigma=1.2345)": "three decimals",
		"gauss(1ms)":                         "unknown kind",
		"uniform(1ms)":                       "takes 2",
		"exp(mean=1ms,mean=2ms)":             "single key=value",
		"exp(mean=1ms,sigma=1)":              "unknown argument",
		"const(soon)":                        "invalid duration",
		"1ms":                                "want kind(args)",
	} {
		_, err := ParseDistribution(text)
		if !errors.Is(err, ErrBadDistribution) || !strings.Contains(err.Error(), reason) {
			t.Errorf("ParseDistribution(%q) = %v, want ErrBadDistribution mentioning %q", text, err, reason)
		}
	}
}
