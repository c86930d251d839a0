package halfinv

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Bounds of the range of max |Jᵢⱼ| (and of max |gᵢ|) in which Solve and
// Reference factorise without scaling: smlnum = √(safe minimum)/ε and
// bignum = 1/smlnum, the bounds that LAPACK's dgesvd uses for the same
// purpose (Anderson et al., LAPACK Users' Guide, 3rd ed., 1999, on the
// scaling done by the driver routines). Inside this range products of two
// entries neither overflow nor lose bits to underflow, so the QR, LQ,
// bidiagonal and QR-iteration steps work at full accuracy; matrices built
// from ordinary data lie deep inside it and are not touched.
const (
	smlnum = 0x1p-458 // √dlamchS / dlamchE = 2^−511 / 2^−53
	bignum = 0x1p458
)

// scaleExp returns the exponent e such that 2^e·amax lies in
// [smlnum, bignum], moving amax just inside the bound it was outside of, as
// dgesvd's scaling does, and 0 when amax is 0 or already in range. A power of
// two makes the scaling exact for every entry that does not become
// subnormal, and those are below ε·amax, where rounding does not matter.
func scaleExp(amax float64) int {
	if amax == 0 || (amax >= smlnum && amax <= bignum) {
		return 0
	}
	_, x := math.Frexp(amax) // amax = f·2^x, f ∈ [½, 1)
	if amax < smlnum {
		return -457 - x // 2^e·amax = f·2^−457 ∈ [smlnum, 2·smlnum)
	}
	return 458 - x // 2^e·amax = f·2^458 ∈ [bignum/2, bignum)
}

// scaleBy multiplies x by 2^e in place; e = 0 leaves x bit for bit alone.
func scaleBy(x []float64, e int) {
	if e == 0 {
		return
	}
	for i, v := range x {
		x[i] = math.Ldexp(v, e)
	}
}

// maxAbsFinite returns max |aᵢⱼ| and whether every entry of a is finite.
func maxAbsFinite(a mat.Matrix) (amax float64, ok bool) {
	if d, isDense := a.(*mat.Dense); isDense {
		raw := d.RawMatrix()
		r, c := d.Dims()
		for i := range r {
			if amax, ok = maxAbsFiniteVec(raw.Data[i*raw.Stride:i*raw.Stride+c], amax); !ok {
				return 0, false
			}
		}
		return amax, true
	}
	r, c := a.Dims()
	for i := range r {
		for k := range c {
			v := math.Abs(a.At(i, k))
			if !(v <= math.MaxFloat64) {
				return 0, false // NaN or ±Inf
			}
			amax = math.Max(amax, v)
		}
	}
	return amax, true
}

// maxAbsFiniteVec returns max(amax, max |xᵢ|) and whether every xᵢ is finite.
func maxAbsFiniteVec(x []float64, amax float64) (float64, bool) {
	for _, v := range x {
		v = math.Abs(v)
		if !(v <= math.MaxFloat64) {
			return 0, false
		}
		if v > amax {
			amax = v
		}
	}
	return amax, true
}

// unscale undoes the scaling of a product computed for 2^ej·J and 2^eg·g.
// The singular values of J are 2^−ej times those of the scaled matrix. The
// factors φ(σ) = σ^(−κ) relate as φ(2^ej·σ) = 2^(−ej·κ)·φ(σ), and the
// threshold τ·σ_max scales along, so the filter decides the same and
//
//	J^(−κ)·g = 2^(ej·κ − eg) · (2^ej·J)^(−κ)·(2^eg·g).
//
// unscale rescales sv and y accordingly. It reports an overflow when σ₁ of J
// is beyond the float64 range. With ej = eg = 0 it changes nothing.
func unscale(y, sv []float64, ej, eg int, kappa float64) error {
	if ej == 0 && eg == 0 {
		return nil
	}
	scaleBy(sv, -ej)
	if len(sv) > 0 && math.IsInf(sv[0], 0) {
		return errSigmaOverflow
	}
	// t = ej·κ − eg = ti + tf + tlo with ti an integer, tf = ej·κ − ⌊ej·κ⌋
	// in [0, 1) and tlo the rounding error of the product ej·κ, kept so
	// that 2^t is accurate to a few ulp even for |ej| ≈ 1000 and
	// non-dyadic κ. All three parts are exact.
	thi := float64(ej) * kappa
	tlo := math.FMA(float64(ej), kappa, -thi)
	fl := math.Floor(thi)
	ti := int(fl) - eg
	f := math.Exp2(thi-fl) * (1 + tlo*math.Ln2) // 2^(tf+tlo) ∈ [1, 2)
	// For t < 0 move a factor 2 from ti into f, so that both parts are ≤ 1
	// and 2^f is applied first: neither step overflows when the result does
	// not, and only the last can lose bits to underflow. For t ≥ 0 both
	// parts are ≥ 1 and 2^ti, which is exact, goes first, so that a
	// subnormal y is not rounded before it is scaled up.
	if ti < 0 {
		if f > 1 {
			ti++
			f /= 2
		}
		for i, v := range y {
			y[i] = math.Ldexp(v*f, ti)
		}
		return nil
	}
	for i, v := range y {
		y[i] = math.Ldexp(v, ti) * f
	}
	return nil
}
