package experiment

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/internal/num"

	"github.com/higlab/hig/higlib/optim"
)

// Step is one update of a method from a problem's initial parameters, with
// what the method saw.
type Step struct {
	// Batch lists the training samples of the mini-batch.
	Batch []int
	// Loss is the batch-mean loss at the initial parameters.
	Loss float64
	// SingularValues are those of the stacked Jacobian ∂y/∂θ
	// ((b·d) × P), in decreasing order.
	SingularValues []float64
	// Update is Δθ: the next parameters are Params0 + Update.
	Update []float64
}

// FirstStep computes the first update of a fresh method m on the first b
// training samples of p at p.Params0, and the singular values of their
// stacked Jacobian.
func FirstStep(p *Problem, m optim.Method, b int) (*Step, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("experiment: nil method")
	}
	if n := p.Train.Len(); b < 1 || b > n {
		return nil, fmt.Errorf("experiment: batch size %d must lie in 1…%d (the training set size)", b, n)
	}
	obj, P := p.Obj, p.Obj.Net.NumParams()
	idx := make([]int, b)
	for i := range idx {
		idx[i] = i
	}
	loc := optim.Local{Grad: make([]float64, P), GradY: make([]float64, b*obj.Dim()), Jac: &mat.Dense{}}
	if err := obj.Eval(&loc, obj.NewWorkspace(), p.Params0, p.Train, idx); err != nil {
		return nil, fmt.Errorf("experiment: training %w", err)
	}
	if !num.IsFinite(loc.Loss) || !num.Finite(loc.Grad) {
		return nil, errors.New("experiment: the loss at the initial parameters is not finite: the outputs overflow")
	}
	if err := m.Init(P); err != nil {
		return nil, err
	}
	delta := make([]float64, P)
	if err := m.Step(delta, &loc); err != nil {
		return nil, err
	}
	var svd mat.SVD
	if !svd.Factorize(loc.Jac, mat.SVDNone) {
		return nil, errors.New("experiment: the singular value decomposition of the stacked Jacobian did not converge")
	}
	return &Step{Batch: idx, Loss: loc.Loss, SingularValues: svd.Values(nil), Update: delta}, nil
}
