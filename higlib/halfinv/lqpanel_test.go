package halfinv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/lapack"

	"github.com/higlab/hig/higlib/internal/gemm"
	"github.com/higlab/hig/internal/num"
)

// TestLQPanelMatchesGonum checks lqPanel against gonum's Dgelq2 followed by
// Dlarft(Forward, RowWise), which it adapts: the factorised panel, τ and T
// must agree to a few units of rounding relative to each array's largest
// element, with both kernels. Rows of very different scales (down to
// 2⁻⁷⁰⁰, where larfg's norm falls back to Dnrm2) are included.
func TestLQPanelMatchesGonum(t *testing.T) {
	for _, asm := range []bool{true, false} {
		was := gemm.UseAssembly(asm)
		for _, sh := range [][2]int{{1, 1}, {1, 9}, {5, 5}, {7, 40}, {32, 33}, {32, 700}, {13, 301}} {
			for _, tiny := range []bool{false, true} {
				ib, n := sh[0], sh[1]
				t.Run(fmt.Sprintf("asm=%v/%dx%d/tiny=%v", asm, ib, n, tiny), func(t *testing.T) {
					rnd := rand.New(rand.NewPCG(uint64(ib), uint64(n)))
					a0 := make([]float64, ib*n)
					for i := range a0 {
						a0[i] = rnd.NormFloat64()
						if tiny && (i/n)%2 == 1 {
							a0[i] *= 0x1p-700
						}
					}
					want, got := append([]float64(nil), a0...), append([]float64(nil), a0...)
					tauW, tauG := make([]float64, ib), make([]float64, ib)
					tW, tG := make([]float64, ib*ib), make([]float64, ib*ib)
					impl.Dgelq2(ib, n, want, n, tauW, make([]float64, ib))
					impl.Dlarft(lapack.Forward, lapack.RowWise, n, ib, want, n, tauW, tW, ib)
					var s Solver
					s.reserve(ib, n)
					vt := make([]float64, n*ib)
					s.lqPanel(ib, n, got, n, tauG, tG, vt)
					// vt is Vᵀ: the reflectors of got, unit diagonal, zeros left of it.
					for j := range n {
						for r := range ib {
							want := 0.0
							switch {
							case r == j:
								want = 1
							case r < j:
								want = got[r*n+j]
							}
							if vt[j*ib+r] != want {
								t.Fatalf("vt[%d, %d] = %v, want V[%d, %d] = %v", j, r, vt[j*ib+r], r, j, want)
							}
						}
					}
					for _, c := range []struct {
						name string
						w, g []float64
					}{{"a", want, got}, {"tau", tauW, tauG}, {"T", tW, tG}} {
						if d, scale := maxDiff(c.w, c.g); !(d <= 1e-12*scale) {
							t.Errorf("%s: max difference %g (largest element %g)", c.name, d, scale)
						}
					}
				})
			}
		}
		gemm.UseAssembly(was)
	}
}

// maxDiff returns the largest absolute difference between a and b and the
// largest |a_i| (at least the smallest normal number, so that zero arrays
// compare exactly).
func maxDiff(a, b []float64) (diff, scale float64) {
	scale = 0x1p-1022
	for i := range a {
		scale = math.Max(scale, math.Abs(a[i]))
		diff = math.Max(diff, math.Abs(a[i]-b[i]))
	}
	return diff, scale
}

// TestGelqfLookAhead checks that factorising each panel one step ahead,
// concurrently with the update of the rows below it, gives the same bits as
// doing the steps in order.
func TestGelqfLookAhead(t *testing.T) {
	for _, sh := range [][2]int{{97, 300}, {200, 1000}, {64, 65}, {331, 500}} {
		m, n := sh[0], sh[1]
		rnd := rand.New(rand.NewPCG(uint64(m), 5))
		a0 := make([]float64, m*n)
		for i := range a0 {
			a0[i] = rnd.NormFloat64()
		}
		run := func(ahead bool) []float64 {
			defer func(was bool) { lookAhead = was }(lookAhead)
			lookAhead = ahead
			var s Solver
			s.reserve(m, n)
			a := append([]float64(nil), a0...)
			s.gelqf(m, n, a, s.tau)
			return append(a, s.tau[:m]...)
		}
		if !num.SameBits(run(true), run(false)) {
			t.Errorf("%dx%d: look-ahead changes the factorisation", m, n)
		}
	}
}

// TestApplyQtMatchesDorml2 checks the blocked applyQt against gonum's
// Dorml2(Left, Trans) on the reflectors of gelqf's factorisation, with a
// last panel of 1, 2, 8 and 32 rows, and with a zero row in A, whose
// reflector is the identity (τ = 0).
func TestApplyQtMatchesDorml2(t *testing.T) {
	for _, sh := range [][2]int{{40, 41}, {64, 65}, {97, 300}, {130, 131}, {300, 2000}} {
		m, n := sh[0], sh[1]
		rnd := rand.New(rand.NewPCG(uint64(m), 11))
		var s Solver
		s.reserve(m, n)
		a := s.a[:m*n]
		for i := range a {
			a[i] = rnd.NormFloat64()
		}
		clear(a[m/2*n : (m/2+1)*n])
		s.gelqf(m, n, a, s.tau)
		if s.tau[m/2] != 0 {
			t.Fatalf("%dx%d: τ of the zero row is %v, want 0", m, n, s.tau[m/2])
		}
		y0 := make([]float64, n)
		for i := range y0 {
			y0[i] = rnd.NormFloat64()
		}
		want := append([]float64(nil), y0...)
		impl.Dorml2(blas.Left, blas.Trans, n, 1, m, a, n, s.tau, want, 1, make([]float64, 1))
		got := append([]float64(nil), y0...)
		s.applyQt(m, n, a, got)
		if d, scale := maxDiff(want, got); !(d <= 1e-13*scale) {
			t.Errorf("%dx%d: max difference %g (largest element %g)", m, n, d, scale)
		}
	}
}
