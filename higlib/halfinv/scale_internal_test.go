package halfinv

import (
	"math"
	"testing"
)

// TestScaleExp: inside [smlnum, bignum] and for 0 nothing is scaled (the
// ordinary range, where results must stay bit for bit what they were);
// outside, the scaled maximum lands just inside the bound it crossed.
func TestScaleExp(t *testing.T) {
	for _, a := range []float64{0, smlnum, 1e-100, 1e-3, 1, 10, 1e100, bignum} {
		if e := scaleExp(a); e != 0 {
			t.Errorf("scaleExp(%v) = %d, want 0", a, e)
		}
	}
	low := []float64{math.SmallestNonzeroFloat64, 3e-320, 0x1p-1022, 1e-300, math.Nextafter(smlnum, 0)}
	high := []float64{math.Nextafter(bignum, math.Inf(1)), 1e200, 1e308, math.MaxFloat64}
	for _, a := range low {
		s := math.Ldexp(a, scaleExp(a))
		if !(s >= smlnum && s < 2*smlnum) {
			t.Errorf("scaleExp(%v) = %d scales it to %v, want [smlnum, 2·smlnum)", a, scaleExp(a), s)
		}
	}
	for _, a := range high {
		s := math.Ldexp(a, scaleExp(a))
		if !(s >= bignum/2 && s < bignum) {
			t.Errorf("scaleExp(%v) = %d scales it to %v, want [bignum/2, bignum)", a, scaleExp(a), s)
		}
	}
}

// TestUnscale checks unscale against math.Pow on values and exponents where
// 2^(ej·κ−eg) and the result are normal numbers, the no-op at ej = eg = 0,
// and the overflow of σ₁.
func TestUnscale(t *testing.T) {
	y := []float64{1.5, -3, 0}
	sv := []float64{2, 1}
	if err := unscale(y, sv, 0, 0, 0.7); err != nil || y[0] != 1.5 || y[1] != -3 || sv[0] != 2 {
		t.Errorf("unscale with no scaling changed y to %v, sv to %v (error %v)", y, sv, err)
	}
	for _, c := range []struct {
		ej, eg int
		kappa  float64
	}{{-500, 0, 0.5}, {500, 0, 1}, {-1000, -300, 0.3}, {1074, 900, 0.9}, {-600, 400, 1}, {0, -700, 0.4}} {
		y := []float64{1.25, -0.75}
		sv := []float64{3, 1}
		if err := unscale(y, sv, c.ej, c.eg, c.kappa); err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		// math.Pow(2, t) with t formed in float64: accurate to |t|·ε.
		f := math.Pow(2, float64(c.ej)*c.kappa-float64(c.eg))
		for i, want := range []float64{1.25 * f, -0.75 * f} {
			if math.Abs(y[i]-want) > 1e-13*math.Abs(want) {
				t.Errorf("%+v: y[%d] = %v, want %v", c, i, y[i], want)
			}
		}
		if sv[0] != math.Ldexp(3, -c.ej) || sv[1] != math.Ldexp(1, -c.ej) {
			t.Errorf("%+v: sv = %v", c, sv)
		}
	}
	if err := unscale([]float64{1}, []float64{3, 1}, -1023, 0, 0.5); err != errSigmaOverflow {
		t.Errorf("σ₁ = 3·2^1023: error %v, want errSigmaOverflow", err)
	}
}
