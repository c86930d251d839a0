package halfinv_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/halfinv"
)

// Tolerances of the scale tests. The problems are J = 2^e·J₀ and
// g = 2^h·g₀ with small-integer J₀ and g₀, so both are exact in floating
// point for every e and h used, subnormal entries included. Since
//
//	σᵢ(2^e·J₀) = 2^e·σᵢ(J₀)   and   (2^e·J₀)^(−κ)·2^h·g₀ = 2^(h−e·κ)·J₀^(−κ)·g₀,
//
// with the threshold τ·σ_max scaling along, the product at any scale is the
// product of the unit-scale problem (solved by Reference, far from the
// edges of the range) times 2^(h−e·κ). Scaling by powers of two is exact, so
// a solver that scales J and g into a safe range loses nothing; what
// remains is the solvers' own rounding on these well-conditioned J₀ and the
// rounding of 2^(h−e·κ) for non-dyadic κ (≈ 1e-13 with |e| ≤ 1074). The
// largest error observed over the whole sweep is 2.7e-14.
const (
	// scaleTol is the relative agreement asked for by the specification.
	scaleTol = 1e-12
	// subnormalSlack is the absolute error allowed per entry of a result
	// that falls into the subnormal range, where spacing is 2^−1074: the
	// rounding of the last scaling step.
	subnormalSlack = 0x1p-1073
)

// pow2 returns x·2^t for real t, splitting 2^t into an integral power 2^i
// and a fractional one 2^f with f of the same sign as t: for t ≥ 0 it
// scales by 2^i first (exactly), for t < 0 last, so that the one rounding
// that can lose bits to underflow is the final, correctly rounded step and
// no intermediate overflows when the result does not.
func pow2(x, t float64) float64 {
	if t >= 0 {
		i := math.Floor(t)
		return math.Ldexp(x, int(i)) * math.Exp2(t-i)
	}
	i := math.Ceil(t)
	return math.Ldexp(x*math.Exp2(t-i), int(i))
}

// edgeProblem is one small-integer problem of the scale tests.
type edgeProblem struct {
	name string
	m, n int
	j, g []float64
}

// edgeProblems have integer entries below 2^5, so 2^e·J₀ is exact for
// −1074 ≤ e ≤ 1018, and condition numbers below 10 on the singular values
// that τ = 1e-3 keeps.
var edgeProblems = []edgeProblem{
	{"tall 5×3", 5, 3, []float64{3, -1, 4, 1, -5, 9, 2, 6, -5, 3, 5, -8, 9, 7, 9}, []float64{1, 2, -3, 4, 1}},
	{"wide 3×5", 3, 5, []float64{2, 7, -1, 8, 2, 8, -1, 8, 2, -8, 4, 5, 9, 0, -4}, []float64{-2, 5, 3}},
	{"square 4×4", 4, 4, []float64{10, 1, 2, 0, 1, -9, 0, 3, 2, 0, 8, 1, 0, 3, 1, -7}, []float64{1, -1, 2, 3}},
	{"rank one 3×2", 3, 2, []float64{1, 2, 2, 4, 3, 6}, []float64{1, 1, 2}},
}

// TestScaleInvariance runs Solve and Reference on 2^e·J₀ and 2^h·g₀ for
// every exponent e from −1074 to 1018 and checks the products and singular
// values against the unit-scale product times 2^(h−e·κ): within scaleTol
// relative when the result is a normal number, ErrOverflow when the result
// or σ₁ is beyond the float64 range.
func TestScaleInvariance(t *testing.T) {
	var s halfinv.Solver
	for _, pr := range edgeProblems {
		j0 := mat.NewDense(pr.m, pr.n, pr.j)
		for _, kappa := range []float64{0, 0.3, 0.5, 1} {
			for _, mode := range modes {
				p := halfinv.Params{Kappa: kappa, Tau: 1e-3, Mode: mode}
				w0 := make([]float64, pr.n)
				sv0, err := halfinv.Reference(w0, j0, pr.g, p)
				if err != nil {
					t.Fatalf("%s: unit-scale Reference: %v", pr.name, err)
				}
				failures := 0
				for e := -1074; e <= 1018 && failures < 3; e++ {
					// h = 0 keeps g at unit scale; h ≈ e·κ keeps the
					// result near unit scale and sends g to the edges.
					for _, h := range []int{0, int(math.Round(float64(e) * kappa))} {
						if !checkScaled(t, &s, pr, j0, sv0, w0, e, h, p) {
							failures++
						}
					}
				}
			}
		}
	}
}

// checkScaled solves the problem of pr at scales 2^e (J) and 2^h (g) with
// Solve and Reference and reports whether both passed.
func checkScaled(t *testing.T, s *halfinv.Solver, pr edgeProblem, j0 *mat.Dense, sv0, w0 []float64, e, h int, p halfinv.Params) bool {
	t.Helper()
	j := mat.NewDense(pr.m, pr.n, nil)
	for i, v := range pr.j {
		j.RawMatrix().Data[i] = math.Ldexp(v, e)
	}
	g := make([]float64, pr.m)
	for i, v := range pr.g {
		g[i] = math.Ldexp(v, h)
	}
	shift := float64(h) - float64(e)*p.Kappa
	want := make([]float64, pr.n)
	for i, v := range w0 {
		want[i] = pow2(v, shift)
	}
	// Decide overflow from logarithms, leaving out a band of width 1/64
	// in log₂ around the threshold where rounding could go either way.
	lsig := math.Log2(sv0[0]) + float64(e)
	lres := math.Log2(floats.Norm(w0, math.Inf(1))) + shift
	const band = 1.0 / 64
	if math.Abs(lsig-1024) < band || math.Abs(lres-1024) < band {
		return true
	}
	overflow := lsig > 1024 || lres > 1024
	ok := true
	tag := fmt.Sprintf("%s κ=%v %v, J·2^%d, g·2^%d", pr.name, p.Kappa, p.Mode, e, h)
	for name, solve := range solvers(s) {
		dst := filled(pr.n, 7)
		sv, err := solve(dst, j, g, p)
		if overflow {
			if !errors.Is(err, halfinv.ErrOverflow) {
				t.Errorf("%s, %s: error %v, want ErrOverflow", tag, name, err)
				ok = false
			}
			continue
		}
		if err != nil {
			t.Errorf("%s, %s: %v", tag, name, err)
			ok = false
			continue
		}
		var num, den float64
		for i := range dst {
			num = math.Max(num, math.Abs(dst[i]-want[i]))
			den = math.Max(den, math.Abs(want[i]))
		}
		if num > scaleTol*den+subnormalSlack {
			t.Errorf("%s, %s: got %v, want %v (max error %.3g of max %.3g)", tag, name, dst, want, num, den)
			ok = false
		}
		smax := math.Ldexp(sv0[0], e)
		for i := range sv {
			if w := math.Ldexp(sv0[i], e); math.Abs(sv[i]-w) > scaleTol*smax+subnormalSlack {
				t.Errorf("%s, %s: σ[%d] = %v, want %v", tag, name, i, sv[i], w)
				ok = false
			}
		}
	}
	return ok
}

// TestSigmaOverflow: a finite J whose largest singular value is beyond the
// float64 range is ErrOverflow from both paths, with dst untouched, and
// one just inside the range is solved.
func TestSigmaOverflow(t *testing.T) {
	const big = 1e308
	cases := []struct {
		name     string
		j        *mat.Dense
		overflow bool
	}{
		{"2×2 of 1e308", mat.NewDense(2, 2, []float64{big, big, big, big}), true},
		{"row of four 1e308", mat.NewDense(1, 4, []float64{big, -big, big, big}), true},
		{"column of four 1e308", mat.NewDense(4, 1, []float64{big, big, -big, big}), true},
		{"max float on the diagonal", mat.NewDense(2, 2, []float64{math.MaxFloat64, 0, 0, 1}), false},
		{"row of three 1e308", mat.NewDense(1, 3, []float64{big, big, -big}), false},
	}
	var s halfinv.Solver
	for _, c := range cases {
		m, n := c.j.Dims()
		g := filled(m, 1)
		for _, kappa := range kappas {
			p := halfinv.Params{Kappa: kappa, Tau: 1e-6}
			for name, solve := range solvers(&s) {
				dst := filled(n, 7)
				sv, err := solve(dst, c.j, g, p)
				if c.overflow {
					if !errors.Is(err, halfinv.ErrOverflow) {
						t.Errorf("%s κ=%v, %s: error %v, want ErrOverflow", c.name, kappa, name, err)
					}
					if dst[0] != 7 {
						t.Errorf("%s, %s: dst changed to %v on error", c.name, name, dst)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s κ=%v, %s: %v", c.name, kappa, name, err)
					continue
				}
				if math.IsInf(sv[0], 0) || sv[0] < 1e308 {
					t.Errorf("%s, %s: σ₁ = %v", c.name, name, sv[0])
				}
				for _, x := range dst {
					if math.IsNaN(x) || math.IsInf(x, 0) {
						t.Errorf("%s, %s: dst = %v", c.name, name, dst)
						break
					}
				}
			}
		}
	}
	// The diagonal case has a known answer: (σ₁^−κ, 1) for g = (1, 1).
	for name, solve := range solvers(&s) {
		dst := make([]float64, 2)
		if _, err := solve(dst, cases[3].j, []float64{1, 1}, halfinv.Params{Kappa: 1, Tau: 0}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := 1 / math.MaxFloat64; math.Abs(dst[0]-want) > 1e-15*want || math.Abs(dst[1]-1) > 1e-15 {
			t.Errorf("%s: diag(MaxFloat64, 1)⁻¹·(1, 1) = %v, want (%v, 1)", name, dst, want)
		}
	}
}

// emptyDense returns an r×c Dense with r or c zero: gonum's constructors
// refuse those shapes, but slicing makes them.
func emptyDense(r, c int) *mat.Dense {
	if r == 0 && c == 0 {
		return &mat.Dense{}
	}
	return mat.NewDense(max(r, 1), max(c, 1), nil).Slice(0, r, 0, c).(*mat.Dense)
}

// TestEmpty: a J without rows or columns is ErrEmpty from both paths, not a
// panic; a g whose length does not match stays a panic, as documented.
func TestEmpty(t *testing.T) {
	var s halfinv.Solver
	for _, sh := range [][2]int{{0, 0}, {0, 3}, {3, 0}} {
		j := emptyDense(sh[0], sh[1])
		if r, c := j.Dims(); r != sh[0] || c != sh[1] {
			t.Fatalf("emptyDense(%d, %d) is %d×%d", sh[0], sh[1], r, c)
		}
		for name, solve := range solvers(&s) {
			dst := filled(sh[1], 7)
			var err error
			panicked := func() (v any) {
				defer func() { v = recover() }()
				_, err = solve(dst, j, make([]float64, sh[0]), halfinv.Params{Kappa: 0.5})
				return nil
			}()
			if panicked != nil {
				t.Errorf("%s on a %d×%d J panics: %v", name, sh[0], sh[1], panicked)
				continue
			}
			if !errors.Is(err, halfinv.ErrEmpty) {
				t.Errorf("%s on a %d×%d J: error %v, want ErrEmpty", name, sh[0], sh[1], err)
			}
			for _, x := range dst {
				if x != 7 {
					t.Errorf("%s: dst changed to %v", name, dst)
				}
			}
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s on a %d×%d J: no panic for len(g) = %d", name, sh[0], sh[1], sh[0]+1)
					}
				}()
				solve(dst, j, make([]float64, sh[0]+1), halfinv.Params{})
			}()
		}
	}
}
