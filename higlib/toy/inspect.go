package toy

// Helpers for looking inside one half-inverse step of the toy problem: the
// stacked Jacobian of a mini-batch, its singular values, and how the step
// changes with the truncation threshold τ and the handling of small singular
// values. The notebooks call these; training itself goes through Setup.Run
// and Setup.RunMethod.

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/higlib/optim"
)

// StackedJacobian returns, at the initial parameters of s, the stacked
// Jacobian ∂y/∂θ ((b·d) × P) of the first b training samples and the
// output-space gradient g = ∂L/∂y of their batch-mean loss (length b·d),
// exactly what the first half-inverse step of a run with batch size b sees
// (apart from the batch order). b must lie in [1, TrainSize].
func (s *Setup) StackedJacobian(b int) (*mat.Dense, []float64, error) {
	if n := s.Train.Len(); b < 1 || b > n {
		return nil, nil, fmt.Errorf("toy: batch size %d outside [1, %d]", b, n)
	}
	idx := make([]int, b)
	for i := range idx {
		idx[i] = i
	}
	out := optim.Local{GradY: make([]float64, b*s.Obj.Dim()), Jac: &mat.Dense{}}
	if err := s.Obj.Eval(&out, s.Obj.NewWorkspace(), s.Params0, s.Train, idx); err != nil {
		return nil, nil, fmt.Errorf("toy: %w", err)
	}
	return out.Jac, out.GradY, nil
}

// SingularValues returns the singular values, in decreasing order, of the
// stacked Jacobian of the first b training samples at the initial
// parameters (see StackedJacobian). There are min(b·d, P) of them.
func (s *Setup) SingularValues(b int) ([]float64, error) {
	j, _, err := s.StackedJacobian(b)
	if err != nil {
		return nil, err
	}
	var svd mat.SVD
	if !svd.Factorize(j, mat.SVDNone) {
		return nil, halfinv.ErrSVD
	}
	return svd.Values(nil), nil
}

// TauPoint is one entry of a τ sweep: the update V·diag(φ(σ))·Uᵀ·g for one
// threshold and mode, summarised by its norm, the cosine of the angle
// between it and the reference update, and how many singular values lie
// above the threshold.
type TauPoint struct {
	Tau    float64
	Mode   halfinv.Mode
	Norm   float64 // ‖J^(−κ) g‖
	Cosine float64 // cos∠(update, reference update); NaN if either is zero
	Kept   int     // singular values σ > τ·σ_max
}

// TauSweep computes the half-inverse product J^(−κ) g (package halfinv) of
// one Jacobian and output gradient for every threshold in taus and every
// mode in modes, in that nesting order (all taus for modes[0] first). The
// reference direction is the truncated product at threshold refTau.
func TauSweep(j mat.Matrix, g []float64, kappa float64, taus []float64, modes []halfinv.Mode, refTau float64) ([]TauPoint, error) {
	_, n := j.Dims()
	ref := make([]float64, n)
	if _, err := halfinv.Reference(ref, j, g, halfinv.Params{Kappa: kappa, Tau: refTau, Mode: halfinv.Truncate}); err != nil {
		return nil, err
	}
	var pts []TauPoint
	dst := make([]float64, n)
	for _, mode := range modes {
		for _, tau := range taus {
			p := halfinv.Params{Kappa: kappa, Tau: tau, Mode: mode}
			if err := p.Validate(); err != nil {
				return nil, err
			}
			sv, err := halfinv.Reference(dst, j, g, p)
			if err != nil {
				return nil, err
			}
			kept := 0
			for _, s := range sv {
				if s > tau*sv[0] {
					kept++
				}
			}
			pts = append(pts, TauPoint{Tau: tau, Mode: mode, Norm: floats.Norm(dst, 2), Cosine: cosine(dst, ref), Kept: kept})
		}
	}
	return pts, nil
}

// cosine returns the cosine of the angle between a and b, NaN if either is
// zero.
func cosine(a, b []float64) float64 {
	na, nb := floats.Norm(a, 2), floats.Norm(b, 2)
	if na == 0 || nb == 0 {
		return math.NaN()
	}
	return floats.Dot(a, b) / (na * nb)
}
