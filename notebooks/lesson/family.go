package lesson

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/halfinv"
)

// CheckStep compares a hand-written step V·Σ^(−κ)·Uᵀ·g of the κ family
// (notebook 1) with an independent computation: halfinv.Reference for
// κ ∈ [0, 1] (truncated at τ·σ₁), and the gradient Jᵀg for κ = −1, which
// needs no truncation. It returns the largest |difference| relative to the
// largest entry of that reference, and the reference's name. Other κ have
// no counterpart in the library; CheckStep says so in its error.
func CheckStep(step []float64, j mat.Matrix, g []float64, kappa, tau float64) (diff float64, against string, err error) {
	m, n := j.Dims()
	if len(step) != n || len(g) != m {
		return 0, "", fmt.Errorf("lesson: J is %d × %d, but len(step) = %d and len(g) = %d", m, n, len(step), len(g))
	}
	ref := make([]float64, n)
	switch {
	case kappa == -1:
		mat.NewVecDense(n, ref).MulVec(j.T(), mat.NewVecDense(m, g))
		against = "Jᵀg"
	case kappa >= 0 && kappa <= 1:
		if _, err := halfinv.Reference(ref, j, g, halfinv.Params{Kappa: kappa, Tau: tau}); err != nil {
			return 0, "", err
		}
		against = "halfinv.Reference"
	default:
		return 0, "", fmt.Errorf("κ = %g: no library counterpart (halfinv takes κ ∈ [0, 1], and κ = −1 is Jᵀg), so the step is not checked", kappa)
	}
	scale := floats.Norm(ref, math.Inf(1))
	if scale == 0 {
		return 0, "", errors.New("lesson: the reference step is zero")
	}
	d := make([]float64, n)
	floats.SubTo(d, step, ref)
	return floats.Norm(d, math.Inf(1)) / scale, against, nil
}

// MaxAbsDiff returns the largest |a − b| over the entries of two matrices
// of the same shape, and of two vectors of the same length (x, y may be
// nil).
func MaxAbsDiff(a, b mat.Matrix, x, y []float64) float64 {
	ra, ca := a.Dims()
	if rb, cb := b.Dims(); ra != rb || ca != cb || len(x) != len(y) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range ra {
		for k := range ca {
			d = max(d, math.Abs(a.At(i, k)-b.At(i, k)))
		}
	}
	for i := range x {
		d = max(d, math.Abs(x[i]-y[i]))
	}
	return d
}
