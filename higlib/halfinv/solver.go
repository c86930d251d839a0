package halfinv

import (
	"gonum.org/v1/gonum/mat"
)

// Solver computes half-inverse products like Reference, keeping its
// workspaces between calls so that repeated products of the same shape do
// not allocate. The zero value is ready to use. A Solver is not safe for
// concurrent use.
type Solver struct {
	svd  mat.SVD
	u, v mat.Dense
	s    []float64
	utg  []float64
}

// Solve writes V·diag(φ(σ))·Uᵀ·g into dst, where J = U Σ Vᵀ is m×n, len(g) = m
// and len(dst) = n; φ is Params.Factor. It returns the singular values of J in
// decreasing order, in a slice owned by the Solver that the next call
// overwrites. Solve panics if the lengths do not match J and returns an error,
// leaving dst unchanged, when J or g is not finite or the decomposition fails.
// A zero J gives a zero dst.
func (s *Solver) Solve(dst []float64, j *mat.Dense, g []float64, p Params) ([]float64, error) {
	m, n := j.Dims()
	checkDims(dst, m, n, g)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if !finiteMatrix(j) || !finite(g) {
		return nil, ErrNotFinite
	}
	if !s.svd.Factorize(j, mat.SVDThin) {
		return nil, ErrSVD
	}
	k := min(m, n)
	s.s = grow(s.s, k)
	s.svd.Values(s.s)
	s.svd.UTo(&s.u)
	s.svd.VTo(&s.v)
	s.utg = grow(s.utg, k)
	utg := mat.NewVecDense(k, s.utg)
	utg.MulVec(s.u.T(), mat.NewVecDense(m, g))
	for i := range k {
		s.utg[i] *= p.Factor(s.s[i], s.s[0])
	}
	mat.NewVecDense(n, dst).MulVec(&s.v, utg)
	return s.s, nil
}

func grow(x []float64, n int) []float64 {
	if cap(x) < n {
		return make([]float64, n)
	}
	return x[:n]
}
