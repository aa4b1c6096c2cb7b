package sim

import "math/bits"

// Fixed-point logarithm and exponential for the long-tailed distributions.
//
// A run must replay bit for bit on any machine. Floating-point transcendental functions do not
// promise that: math.Log and math.Exp have assembly versions on some architectures and pure Go
// ones on others, and the compiler may fuse multiply-adds on arm64 but not on amd64. So the
// exponential and log-normal draws are computed here with integers only. Values are unsigned fixed
// point: Q32 has 32 fraction bits, Q62 has 62.

const (
	// ln2Q62 is ln(2) * 2^62, rounded.
	ln2Q62 uint64 = 3196577161300663915
	// ln2Q32 is ln(2) * 2^32, rounded.
	ln2Q32 uint64 = 2977044472
	// invLn2Q32 is 1/ln(2) * 2^32, rounded.
	invLn2Q32 uint64 = 6196328019
	oneQ32    uint64 = 1 << 32
	oneQ62    uint64 = 1 << 62
)

// maxU64 is the saturation value of the fixed-point helpers.
const maxU64 = 1<<64 - 1

// mulShift returns floor(a*b / 2^s) computed through a 128-bit product, saturating at maxU64
// instead of overflowing.
func mulShift(a, b uint64, s uint) uint64 {
	hi, lo := bits.Mul64(a, b)
	switch {
	case s >= 128:
		return 0
	case s >= 64:
		return hi >> (s - 64)
	case s == 0:
		if hi != 0 {
			return maxU64
		}
		return lo
	case hi>>s != 0:
		return maxU64
	}
	return hi<<(64-s) | lo>>s
}

// log2Q32 returns log2(u) in Q32 for u >= 1, to within 2^-32.
//
// The integer part is the position of the top bit. The fraction comes bit by bit: square the
// mantissa (kept in [1, 2) as Q62); if the square reaches 2, the next fraction bit is 1 and the
// square is halved.
func log2Q32(u uint64) uint64 {
	if u == 0 {
		panic("sim: log2Q32(0)")
	}
	k := uint(63 - bits.LeadingZeros64(u))
	var m uint64
	if k <= 62 {
		m = u << (62 - k)
	} else {
		m = u >> 1
	}
	var frac uint64
	for i := 31; i >= 0; i-- {
		hi, lo := bits.Mul64(m, m)
		m = hi<<2 | lo>>62
		if m >= 1<<63 {
			m >>= 1
			frac |= 1 << uint(i)
		}
	}
	return uint64(k)<<32 | frac
}

// negLnUnitQ32 returns -ln(U) in Q32 for U = u / 2^63, where u is in [1, 2^63]; the result is in
// [0, 63*ln 2].
func negLnUnitQ32(u uint64) uint64 {
	negLog2 := 63<<32 - log2Q32(u)
	return mulShift(negLog2, ln2Q32, 32)
}

// exp2FracQ62 returns 2^f in Q62 for a fraction f in Q32, 0 <= f < 1, as the product of four
// table entries, one per byte of f: 2^f = 2^(b3/2^8) * 2^(b2/2^16) * 2^(b1/2^24) * 2^(b0/2^32).
// Each product truncates, so the result is within a few units of the last Q62 place.
func exp2FracQ62(f uint64) uint64 {
	v := exp2Table[0][f>>24&0xff]
	v = mulQ62(v, exp2Table[1][f>>16&0xff])
	v = mulQ62(v, exp2Table[2][f>>8&0xff])
	return mulQ62(v, exp2Table[3][f&0xff])
}

// mulQ62 returns floor(a*b / 2^62), which is mulShift(a, b, 62) for a and b below 2^63: their
// product is below 2^126, so it cannot saturate, and the check for that is left out. Every table
// entry, and every product of them, is a power of two below 2 in Q62, so below 2^63.
func mulQ62(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi<<2 | lo>>62
}

// exp2Table[i][b] is 2^(b / 2^(8*(i+1))) in Q62, built once by exp2TaylorQ62.
var exp2Table = func() (t [4][256]uint64) {
	for i := range t {
		for b := range t[i] {
			t[i][b] = exp2TaylorQ62(uint64(b) << (24 - 8*i))
		}
	}
	return t
}()

// exp2TaylorQ62 returns 2^f in Q62 for a fraction f in Q32, 0 <= f < 1, by the Taylor series of
// e^x at x = f*ln 2 < 0.7, which has converged to the last bit after about twenty terms. Its
// divisions make it too slow for every draw; it builds exp2Table.
func exp2TaylorQ62(f uint64) uint64 {
	x := mulShift(f<<30, ln2Q62, 62)
	sum, term := oneQ62, oneQ62
	for k := uint64(1); term != 0; k++ {
		term = mulShift(term, x, 62) / k
		sum += term
	}
	return sum
}

// scaleByExp2 returns floor(v * 2^(y / 2^32)) for a signed Q32 exponent y, saturating at
// maxU64. The power of two is applied as part of the one final shift, so nothing is rounded
// twice.
func scaleByExp2(v uint64, y int64) uint64 {
	if y >= 0 {
		whole := uint64(y) >> 32
		if whole > 62 {
			if v == 0 {
				return 0
			}
			return maxU64
		}
		return mulShift(v, exp2FracQ62(uint64(y)&(oneQ32-1)), uint(62-whole))
	}
	a := uint64(-y)
	whole, frac := a>>32, a&(oneQ32-1)
	if whole > 64 {
		return 0
	}
	if frac == 0 {
		return mulShift(v, oneQ62, uint(62+whole))
	}
	// 2^-(whole+frac) = 2^(1-frac) / 2^(whole+1), with 1-frac in (0, 1).
	return mulShift(v, exp2FracQ62(oneQ32-frac), uint(62+whole+1))
}
