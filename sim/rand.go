package sim

import (
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Rand is a seeded stream of random numbers for one purpose (the network, the fault schedule, the
// workload, one node's software, ...).
//
// Every random choice in a run draws from a Rand forked by name from the run's seed. A fork is
// derived from its parent's seed and its own name only, never from the parent's state, so that
// drawing more numbers in one purpose never moves another: changing the workload leaves the fault
// schedule where it was. The generator is PCG-DXSM from math/rand/v2, whose output is specified;
// the bounded and ratio draws on top of it are implemented here, in integers, so that no change
// of the standard library's helpers and no floating point can move a run.
type Rand struct {
	// name is the fork path from the run seed, e.g. "net/n1->n2"; used in messages only.
	name string
	// seed is this stream's own seed, from which its forks are derived.
	seed uint64
	pcg  rand.PCG
}

// NewRand returns the root stream of a run with the given seed.
func NewRand(seed uint64) *Rand {
	r := &Rand{seed: seed}
	r.pcg.Seed(splitmix(seed), splitmix(seed^0x6a09e667f3bcc909))
	return r
}

// Fork returns the stream named name under r. Forking the same name twice gives two streams that
// produce the same numbers; callers that share a purpose share one stream instead.
func (r *Rand) Fork(name string) *Rand {
	child := &Rand{name: name, seed: splitmix(r.seed ^ fnv64(name))}
	if r.name != "" {
		child.name = r.name + "/" + name
	}
	child.pcg.Seed(splitmix(child.seed), splitmix(child.seed^0xbb67ae8584caa73b))
	return child
}

// Name returns the fork path of the stream ("" for the root).
func (r *Rand) Name() string { return r.name }

// Uint64 returns a uniformly distributed 64-bit number.
func (r *Rand) Uint64() uint64 { return r.pcg.Uint64() }

// Below returns a uniform number in [0, n). It panics if n is 0.
//
// Lemire's multiply-and-reject method: unbiased, and almost always a single draw.
func (r *Rand) Below(n uint64) uint64 {
	if n == 0 {
		panic("sim: Rand.Below(0)")
	}
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		threshold := -n % n
		for lo < threshold {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return hi
}

// IntN returns a uniform int in [0, n). It panics if n <= 0.
func (r *Rand) IntN(n int) int {
	if n <= 0 {
		panic(fmt.Sprintf("sim: Rand.IntN(%d)", n))
	}
	return int(r.Below(uint64(n)))
}

// Between returns a uniform int64 in [lo, hi]. It panics if hi < lo.
func (r *Rand) Between(lo, hi int64) int64 {
	if hi < lo {
		panic(fmt.Sprintf("sim: Rand.Between(%d, %d)", lo, hi))
	}
	span := uint64(hi - lo)
	if span == 1<<64-1 {
		return int64(r.Uint64())
	}
	return lo + int64(r.Below(span+1))
}

// Chance returns true with probability p.
func (r *Rand) Chance(p Ratio) bool {
	if p.Num == 0 {
		return false
	}
	if p.Num >= p.Den {
		return true
	}
	return r.Below(p.Den) < p.Num
}

// Shuffle permutes n elements uniformly (Fisher-Yates), calling swap for each exchange.
func (r *Rand) Shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, r.IntN(i+1))
	}
}

// Ratio is a probability as an exact fraction Num/Den. Probabilities are integer ratios, never
// floats, so that a decision draws the same way on every machine. The zero value means never.
type Ratio struct {
	// Invariant: Num <= Den, and Den == 0 only in the zero value.
	Num, Den uint64
}

// ErrBadRatio is returned for a ratio that is not a probability.
var ErrBadRatio = errors.New("sim: bad ratio")

// Frac returns the ratio num/den.
func Frac(num, den uint64) Ratio { return Ratio{Num: num, Den: den} }

// Always is the ratio 1/1.
var Always = Ratio{Num: 1, Den: 1}

// IsZero reports whether r never happens.
func (r Ratio) IsZero() bool { return r.Num == 0 }

// Validate reports whether r is a probability: a denominator above zero and a numerator no larger
// than it (the zero value is valid and means never).
func (r Ratio) Validate() error {
	switch {
	case r.Num == 0 && r.Den == 0:
		return nil
	case r.Den == 0:
		return fmt.Errorf("%w: %d/0 has a zero denominator", ErrBadRatio, r.Num)
	case r.Num > r.Den:
		return fmt.Errorf("%w: %d/%d is over 1", ErrBadRatio, r.Num, r.Den)
	}
	return nil
}

// String prints r as "num/den", or "0" for never.
func (r Ratio) String() string {
	if r.Num == 0 {
		return "0"
	}
	return strconv.FormatUint(r.Num, 10) + "/" + strconv.FormatUint(r.Den, 10)
}

// ParseRatio reads "num/den", "0" or "1".
func ParseRatio(s string) (Ratio, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "0":
		return Ratio{}, nil
	case "1":
		return Always, nil
	}
	num, den, ok := strings.Cut(s, "/")
	if !ok {
		return Ratio{}, fmt.Errorf("%w: %q is not of the form num/den", ErrBadRatio, s)
	}
	n, err1 := strconv.ParseUint(strings.TrimSpace(num), 10, 64)
	d, err2 := strconv.ParseUint(strings.TrimSpace(den), 10, 64)
	if err1 != nil || err2 != nil {
		return Ratio{}, fmt.Errorf("%w: %q is not of the form num/den", ErrBadRatio, s)
	}
	r := Ratio{Num: n, Den: d}
	if n == 0 {
		r = Ratio{}
	}
	if err := r.Validate(); err != nil {
		return Ratio{}, err
	}
	return r, nil
}

// splitmix is the SplitMix64 finalizer: a bijective mix that turns related seeds into unrelated
// ones.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// fnv64 is FNV-1a over the bytes of s.
func fnv64(s string) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 0x100000001b3
	}
	return h
}
