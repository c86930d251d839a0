package objective_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
)

// densePinv returns the pseudo-inverse of the r × c matrix a from gonum's
// full SVD, singular values at or below cut·σ_max discarded: the reference
// of SIP's per-sample inverse, written independently of the package's thin
// product.
func densePinv(a *mat.Dense, cut float64) *mat.Dense {
	r, c := a.Dims()
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDFull) {
		panic("SVD failed")
	}
	sv := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	inv := mat.NewDense(c, r, nil)
	sInv := mat.NewDense(c, r, nil)
	for k, s := range sv {
		if s > cut*sv[0] {
			sInv.Set(k, k, 1/s)
		}
	}
	inv.Product(&v, sInv, u.T())
	return inv
}

// sipReference computes SIP's proxy gradient (1/b) Σ (∂fᵢ/∂θ)ᵀ Jᵢ⁺ rᵢ
// densely: ∂fᵢ/∂θ by central finite differences of the network, Jᵢ from
// the map's Eval, Jᵢ⁺ from densePinv, rᵢ = y − ŷ.
func sipReference(net nn.Network, phys physics.Map, params []float64, d objective.Data, idx []int, cut float64) []float64 {
	_, m := net.Dims()
	_, _, dim := phys.Dims()
	P := len(params)
	grad := make([]float64, P)
	ne, pe := net.NewEvaluator(), phys.NewEvaluator()
	for _, i := range idx {
		x, t := d.X.RawRowView(i), d.Y.RawRowView(i)
		F := mat.NewDense(m, P, nil)
		fd.Jacobian(F, func(z, th []float64) { copy(z, ne.Forward(th, x)) }, params, &fd.JacobianSettings{Formula: fd.Central})
		z := append([]float64(nil), ne.Forward(params, x)...)
		y, jac := make([]float64, dim), make([]float64, dim*m)
		pe.Eval(y, jac, x, z)
		r := mat.NewVecDense(dim, nil)
		for k := range dim {
			r.SetVec(k, y[k]-t[k])
		}
		var dz, g mat.VecDense
		dz.MulVec(densePinv(mat.NewDense(dim, m, jac), cut), r)
		g.MulVec(F.T(), &dz)
		for c := range P {
			grad[c] += g.AtVec(c) / float64(len(idx))
		}
	}
	return grad
}

// sipCase is a small network and map for the SIP checks.
type sipCase struct {
	name string
	phys physics.Map
	cut  float64
}

func sipCases(t *testing.T) []sipCase {
	// A 3 × 4 linear map with singular values of very different sizes: the
	// cut 1e-2 discards the smallest (≈ 1e-3 relative), so a wrong cut
	// changes the result by a factor of order 1/1e-3.
	a := mat.NewDense(3, 4, []float64{
		1, 0.2, 0, 0.1,
		0, 0.5, 0.3, 0,
		1, 0.2 + 1e-3, 0, 0.1,
	})
	lin, err := physics.NewLinear(3, 4, a.RawMatrix().Data)
	if err != nil {
		t.Fatal(err)
	}
	return []sipCase{
		{"mix (3 outputs, 2 controls)", mix{in: 2}, 1e-5},
		{"mix with VJP", mixVJP{mix{in: 2}}, 1e-5},
		{"linear, small σ kept", lin, 1e-5},
		{"linear, small σ cut", lin, 1e-2},
	}
}

// sipTol bounds the relative disagreement with the reference: its network
// Jacobian is a central difference (error ≈ 1e-10 for O(1) derivatives),
// amplified by |J⁺| up to 1/σ_min ≈ 2e3 in the linear case kept.
const sipTol = 1e-6

func TestSIPGradientMatchesDense(t *testing.T) {
	for _, tc := range sipCases(t) {
		_, m, _ := tc.phys.Dims()
		net, err := nn.New([]int{2, 5, m}, []nn.Activation{nn.Tanh, nn.Identity})
		if err != nil {
			t.Fatal(err)
		}
		obj, err := objective.New(net, tc.phys)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		params := make([]float64, net.NumParams())
		net.Init(params, rng)
		_, _, dim := tc.phys.Dims()
		n := 6
		X, Y := mat.NewDense(n, 2, nil), mat.NewDense(n, dim, nil)
		for i := range n {
			X.Set(i, 0, rng.Float64())
			X.Set(i, 1, rng.Float64())
			for k := range dim {
				Y.Set(i, k, rng.NormFloat64())
			}
		}
		d := objective.Data{X: X, Y: Y}
		idx := []int{4, 0, 2, 5}
		loc := optim.Local{Grad: make([]float64, len(params)), SIPCut: tc.cut}
		ws := obj.NewWorkspace()
		if err := obj.Eval(&loc, ws, params, d, idx); err != nil {
			t.Fatal(err)
		}
		want := sipReference(net, tc.phys, params, d, idx, tc.cut)
		var scale float64
		for _, w := range want {
			scale = max(scale, math.Abs(w))
		}
		for c := range want {
			if math.Abs(loc.Grad[c]-want[c]) > sipTol*scale {
				t.Errorf("%s: SIP gradient[%d] = %v, dense reference %v", tc.name, c, loc.Grad[c], want[c])
			}
		}
		// The true loss is reported, not the proxy's.
		plain := optim.Local{Grad: make([]float64, len(params))}
		if err := obj.Eval(&plain, ws, params, d, idx); err != nil {
			t.Fatal(err)
		}
		if loc.Loss != plain.Loss {
			t.Errorf("%s: loss with SIP %v, without %v", tc.name, loc.Loss, plain.Loss)
		}
	}
}

// TestSIPCutMatters shows the test above can fail: the same linear case
// with the two cuts gives gradients that differ far beyond sipTol.
func TestSIPCutMatters(t *testing.T) {
	cs := sipCases(t)
	lin := cs[2].phys
	net, _ := nn.New([]int{2, 5, 4}, []nn.Activation{nn.Tanh, nn.Identity})
	params := make([]float64, net.NumParams())
	net.Init(params, rand.New(rand.NewPCG(3, 3)))
	X := mat.NewDense(2, 2, []float64{0.1, 0.7, 0.5, 0.2})
	Y := mat.NewDense(2, 3, []float64{1, -1, 0.3, 0.2, 0.5, -0.8})
	d := objective.Data{X: X, Y: Y}
	kept := sipReference(net, lin, params, d, []int{0, 1}, 1e-5)
	cut := sipReference(net, lin, params, d, []int{0, 1}, 1e-2)
	var diff, scale float64
	for c := range kept {
		diff = max(diff, math.Abs(kept[c]-cut[c]))
		scale = max(scale, math.Abs(cut[c]))
	}
	if diff < 100*sipTol*scale {
		t.Errorf("cutting σ ≈ 1e-3 changed the SIP gradient by only %.3g (scale %.3g)", diff, scale)
	}
}

// TestSIPWithoutPhysicsIsTheGradient: with the identity map J⁺ = I, so
// SIP's proxy gradient is the ordinary one.
func TestSIPWithoutPhysicsIsTheGradient(t *testing.T) {
	net, _ := nn.New([]int{2, 4, 3}, []nn.Activation{nn.Tanh, nn.Identity})
	obj, err := objective.New(net, nil)
	if err != nil {
		t.Fatal(err)
	}
	params := make([]float64, net.NumParams())
	net.Init(params, rand.New(rand.NewPCG(5, 5)))
	d := objective.Data{X: mat.NewDense(2, 2, []float64{0.1, 0.7, 0.5, 0.2}), Y: mat.NewDense(2, 3, []float64{1, -1, 0.3, 0.2, 0.5, -0.8})}
	a := optim.Local{Grad: make([]float64, len(params)), SIPCut: 1e-5}
	b := optim.Local{Grad: make([]float64, len(params))}
	ws := obj.NewWorkspace()
	if err := obj.Eval(&a, ws, params, d, []int{0, 1}); err != nil {
		t.Fatal(err)
	}
	if err := obj.Eval(&b, ws, params, d, []int{0, 1}); err != nil {
		t.Fatal(err)
	}
	for c := range a.Grad {
		if a.Grad[c] != b.Grad[c] {
			t.Fatalf("gradient[%d]: SIP %v, plain %v", c, a.Grad[c], b.Grad[c])
		}
	}
}
