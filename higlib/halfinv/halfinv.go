// Package halfinv computes the truncated partial inverse of a matrix applied
// to a vector, the linear-algebra kernel of Half-Inverse Gradients.
//
// For an m×n matrix J with thin singular value decomposition J = U Σ Vᵀ and a
// vector g of length m, the half-inverse product is
//
//	J^(−κ) g = V · diag(φ(σ₁), …, φ(σₖ)) · Uᵀ · g,   k = min(m, n),
//
// where φ(σ) = σ^(−κ) for singular values above the threshold τ·σ_max. What
// happens to the others is chosen by Mode: Truncate sets φ to zero (they are
// discarded, as in Schnell, Holl & Thuerey, ICLR 2022, Sec. 3, and the
// "Half-Inverse Gradients" chapter of the Physics-based Deep Learning book),
// Clamp replaces σ by τ·σ_max before inverting, which is the variant that the
// chapter's note on truncation versus clamping argues against.
//
// κ = 1 is the truncated pseudo-inverse (the Gauss-Newton step); κ = ½ is the
// half-inverse of HIG.
package halfinv

import (
	"errors"
	"fmt"
	"math"

	"github.com/higlab/hig/internal/num"

	"gonum.org/v1/gonum/mat"
)

// Mode says what becomes of singular values at or below the threshold.
type Mode int

const (
	// Truncate discards small singular values: their inverse is zero.
	Truncate Mode = iota
	// Clamp raises small singular values to the threshold before inverting.
	Clamp
)

// String returns the mode's name as used on the command line.
func (m Mode) String() string {
	switch m {
	case Truncate:
		return "truncate"
	case Clamp:
		return "clamp"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode is the inverse of Mode.String.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "truncate":
		return Truncate, nil
	case "clamp":
		return Clamp, nil
	}
	return 0, fmt.Errorf("halfinv: unknown mode %q: use truncate or clamp", s)
}

// Errors returned by Solve and Reference.
var (
	ErrNotFinite = errors.New("halfinv: matrix or vector holds NaN or Inf")
	ErrSVD       = errors.New("halfinv: singular value decomposition did not converge")
	// ErrOverflow reports a result that is not finite: a kept (or
	// clamped) singular value was too small to invert, where a larger τ
	// helps, or, with an error that wraps ErrOverflow, the largest singular
	// value of a finite J is beyond the float64 range.
	ErrOverflow = errors.New("halfinv: the product overflows: a kept singular value is too small to invert; raise τ")
	// ErrEmpty reports a J with no rows or no columns.
	ErrEmpty = errors.New("halfinv: J is empty: it needs at least one row and one column")
)

// errSigmaOverflow is the ErrOverflow of a J whose largest singular value
// cannot be represented, although its entries can.
var errSigmaOverflow error = sigmaOverflow{}

type sigmaOverflow struct{}

func (sigmaOverflow) Error() string {
	return "halfinv: the largest singular value of J overflows float64 (exceeds 1.8e308); scale J down"
}

func (sigmaOverflow) Unwrap() error { return ErrOverflow }

// Params are the exponent, threshold and mode of one half-inverse product.
type Params struct {
	Kappa float64 // exponent κ in [0, 1]
	Tau   float64 // relative threshold τ ≥ 0
	Mode  Mode
}

// Validate reports whether p is usable.
func (p Params) Validate() error {
	if !(p.Kappa >= 0 && p.Kappa <= 1) {
		return fmt.Errorf("halfinv: exponent κ = %v is outside [0, 1]", p.Kappa)
	}
	if !(p.Tau >= 0) || math.IsInf(p.Tau, 0) {
		return fmt.Errorf("halfinv: threshold τ = %v must be a finite number ≥ 0", p.Tau)
	}
	if p.Mode != Truncate && p.Mode != Clamp {
		return fmt.Errorf("halfinv: unknown mode %d", int(p.Mode))
	}
	return nil
}

// Factor returns the factor φ(σ) that multiplies the component of g along the
// singular pair of σ, given the largest singular value smax:
//
//	φ(σ) = σ^(−κ)            if σ > τ·smax,
//	φ(σ) = 0                 otherwise, with Truncate,
//	φ(σ) = (τ·smax)^(−κ)     otherwise, with Clamp (0 when τ·smax = 0).
//
// Factor is the single definition of the filter used by every path.
func (p Params) Factor(sigma, smax float64) float64 {
	thr := p.Tau * smax
	if smax <= 0 {
		return 0
	}
	if sigma > thr {
		return math.Pow(sigma, -p.Kappa)
	}
	if p.Mode == Clamp && thr > 0 {
		return math.Pow(thr, -p.Kappa)
	}
	return 0
}

// Reference computes dst = V·diag(φ(σ))·Uᵀ·g the straightforward way: a thin
// mat.SVD with U and V formed, then two matrix-vector products. It allocates
// and exists as the baseline that Solver is tested and benchmarked against.
// It returns the singular values in decreasing order, and the same errors as
// Solver.Solve, leaving dst unchanged on error. Like Solve, it scales J and g
// by powers of two into a safe range when their entries are very large or
// very small (see Solver.Solve).
func Reference(dst []float64, j mat.Matrix, g []float64, p Params) ([]float64, error) {
	m, n := j.Dims()
	checkDims(dst, m, n, g)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if m == 0 || n == 0 {
		return nil, ErrEmpty
	}
	jmax, okJ := maxAbsFinite(j)
	gmax, okG := maxAbsFiniteVec(g, 0)
	if !okJ || !okG {
		return nil, ErrNotFinite
	}
	ej, eg := scaleExp(jmax), scaleExp(gmax)
	if ej != 0 {
		js := mat.DenseCopyOf(j)
		scaleBy(js.RawMatrix().Data, ej) // DenseCopyOf packs with stride n
		j = js
	}
	if eg != 0 {
		g = append([]float64(nil), g...)
		scaleBy(g, eg)
	}
	var svd mat.SVD
	if !svd.Factorize(j, mat.SVDThin) {
		return nil, ErrSVD
	}
	s := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	k := len(s)
	utg := mat.NewVecDense(k, nil)
	utg.MulVec(u.T(), mat.NewVecDense(m, g))
	for i := 0; i < k; i++ {
		utg.SetVec(i, utg.AtVec(i)*p.Factor(s[i], s[0]))
	}
	out := mat.NewVecDense(n, nil)
	out.MulVec(&v, utg)
	if err := unscale(out.RawVector().Data, s, ej, eg, p.Kappa); err != nil {
		return nil, err
	}
	if !num.Finite(out.RawVector().Data) {
		return nil, ErrOverflow
	}
	copy(dst, out.RawVector().Data)
	return s, nil
}

func checkDims(dst []float64, m, n int, g []float64) {
	if len(g) != m {
		panic(fmt.Sprintf("halfinv: len(g) = %d, want %d rows", len(g), m))
	}
	if len(dst) != n {
		panic(fmt.Sprintf("halfinv: len(dst) = %d, want %d columns", len(dst), n))
	}
}
