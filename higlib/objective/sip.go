package objective

import (
	"gonum.org/v1/gonum/mat"
)

// sipWork holds the scratch space of SIP's per-sample pseudo-inverse
// product (∂P/∂z)⁺ r (see optim.SIP): the d × m Jacobian as a matrix, its
// thin SVD and the coefficients Uᵀr.
type sipWork struct {
	d, m int
	svd  mat.SVD
	u, v mat.Dense
	c    []float64
}

func newSIPWork(d, m int) *sipWork {
	return &sipWork{d: d, m: m, c: make([]float64, min(d, m))}
}

// apply writes J⁺ r into dst (length m) for the row-major d × m matrix in
// jac, J⁺ = V diag(1/σ) Uᵀ over the singular values σ > cut·σ_max (the
// others discarded, as numpy's and TensorFlow's pinv with rcond do). A
// zero J gives a zero dst. It reports false if the SVD did not converge.
func (w *sipWork) apply(dst, jac, r []float64, cut float64) bool {
	J := mat.NewDense(w.d, w.m, jac)
	if !w.svd.Factorize(J, mat.SVDThin) {
		return false
	}
	sv := w.svd.Values(nil)
	w.svd.UTo(&w.u)
	w.svd.VTo(&w.v)
	clear(dst)
	if len(sv) == 0 || sv[0] == 0 {
		return true
	}
	lim := cut * sv[0]
	for k, s := range sv {
		w.c[k] = 0
		if s <= lim {
			continue
		}
		var ur float64
		for i := range w.d {
			ur += w.u.At(i, k) * r[i]
		}
		w.c[k] = ur / s
	}
	for j := range w.m {
		var x float64
		for k, ck := range w.c[:len(sv)] {
			x += w.v.At(j, k) * ck
		}
		dst[j] = x
	}
	return true
}
