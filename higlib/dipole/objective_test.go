package dipole_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/dipole"
	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
)

// TestFitsObjective puts the paper's network (28 → 20 → 20 → 20 → 384,
// tanh, linear output; P = 9,484) in front of the simulator through package
// objective, as the experiment will: the dimensions fit, the data pass the
// objective's checks, and the stacked Jacobian of a batch of b = 4 has
// 4·28 rows whose sample blocks are ∂ψ_i(T)/∂u · ∂u_i/∂θ, checked here for
// one sample against the map's and the network's own Jacobians.
func TestFitsObjective(t *testing.T) {
	w := mustNew(t, dipole.Config{})
	net, err := nn.New([]int{28, 20, 20, 20, 384}, []nn.Activation{nn.Tanh, nn.Tanh, nn.Tanh, nn.Identity})
	if err != nil {
		t.Fatal(err)
	}
	if P := net.NumParams(); P != 9484 {
		t.Fatalf("the paper's network has %d parameters, want 9,484", P)
	}
	obj, err := objective.New(net, w)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(12, 13))
	data := w.Dataset(4, rng)
	if err := obj.Check(data); err != nil {
		t.Fatal(err)
	}
	params := make([]float64, net.NumParams())
	net.Init(params, rng)
	const b, d = 4, 28
	loc := optim.Local{Grad: make([]float64, len(params)), GradY: make([]float64, b*d), Jac: &mat.Dense{}}
	obj.Eval(&loc, obj.NewWorkspace(), params, data, []int{0, 1, 2, 3})
	if r, c := loc.Jac.Dims(); r != b*d || c != len(params) {
		t.Fatalf("stacked Jacobian is %d × %d, want %d × %d", r, c, b*d, len(params))
	}

	// Sample 2 by hand: u = f(x; θ), J_i = ∂ψ(T)/∂u · ∂u/∂θ.
	ev := net.NewEvaluator()
	x := data.X.RawRowView(2)
	u := slices.Clone(ev.Forward(params, x))
	fj := mat.NewDense(384, len(params), nil)
	eye := make([]float64, 384*384)
	for i := range 384 {
		eye[i*384+i] = 1
	}
	ev.SeededJacobian(fj.RawMatrix().Data, eye, 384)
	y, pj := make([]float64, d), mat.NewDense(d, 384, nil)
	w.NewEvaluator().Eval(y, pj.RawMatrix().Data, nil, u)
	var want mat.Dense
	want.Mul(pj, fj)
	got := loc.Jac.Slice(2*d, 3*d, 0, len(params))
	var worst, big float64
	for r := range d {
		for c := range len(params) {
			worst = max(worst, math.Abs(got.At(r, c)-want.At(r, c)))
			big = max(big, math.Abs(want.At(r, c)))
		}
	}
	if worst > 1e-12*(1+big) || big == 0 {
		t.Errorf("sample 2's block of the stacked Jacobian differs from ∂P/∂u·∂f/∂θ by %.3g (max %.3g)", worst, big)
	}
}
