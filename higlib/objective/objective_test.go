package objective_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
	"github.com/higlab/hig/higlib/physics/physicstest"
)

const (
	// fdTol bounds |analytic − finite difference| / (1 + |finite difference|)
	// for fd.Central (step 6e-6): truncation h²/6·|f'''| ≈ 6e-12·|f'''| and
	// rounding ε·|f|/h ≈ 4e-11·|f| for O(1) to O(10) values and derivatives.
	fdTol = 1e-7
	// exactTol bounds the relative disagreement of two floating-point
	// evaluations of the same sums in a different order or with a
	// multiplication by 1/b instead of a division (a few ε ≈ 1.1e-16 per
	// term, tens of terms).
	exactTol = 1e-12
)

// mix is a test-only physics map that reads the sample's input x, with a
// full, state-dependent Jacobian and more outputs than controls, so that the
// chain rule in Eval is exercised beyond a diagonal scaling:
//
//	P(x, z) = (z₁z₂ + x₁z₁, sin z₁, z₂²),
//	∂P/∂z = [[z₂ + x₁, z₁], [cos z₁, 0], [0, 2z₂]].
//
// in is the length of x. It has no VJP, so Eval forms ∂P/∂z for first-order
// methods too.
type mix struct{ in int }

func (m mix) Dims() (int, int, int)           { return m.in, 2, 3 }
func (m mix) NewEvaluator() physics.Evaluator { return m }

func (m mix) Eval(y, jac, x, z []float64) {
	y[0] = z[0]*z[1] + x[0]*z[0]
	y[1] = math.Sin(z[0])
	y[2] = z[1] * z[1]
	if jac != nil {
		copy(jac, []float64{
			z[1] + x[0], z[0],
			math.Cos(z[0]), 0,
			0, 2 * z[1],
		})
	}
}

// mixVJP is mix with a VJP, the path first-order methods take.
type mixVJP struct{ mix }

type mixVJPEval struct {
	mix
	x0, z0, z1 float64
}

func (m mixVJP) NewEvaluator() physics.Evaluator { return &mixVJPEval{mix: m.mix} }

func (e *mixVJPEval) Eval(y, jac, x, z []float64) {
	e.mix.Eval(y, jac, x, z)
	e.x0, e.z0, e.z1 = x[0], z[0], z[1]
}

func (e *mixVJPEval) VJP(dst, v []float64) {
	dst[0] = (e.z1+e.x0)*v[0] + math.Cos(e.z0)*v[1]
	dst[1] = e.z0*v[0] + 2*e.z1*v[2]
}

func TestMixPassesConformance(t *testing.T) {
	physicstest.Check(t, mix{2}, nil)
	physicstest.Check(t, mixVJP{mix{3}}, nil)
}

type setup struct {
	name  string
	sizes []int
	acts  []nn.Activation
	phys  physics.Map
}

func setups(t *testing.T) []setup {
	scale, err := physics.NewScale(1, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	return []setup{
		{"toy net, no physics", []int{1, 7, 2}, []nn.Activation{nn.Tanh, nn.Identity}, nil},
		{"toy net, Scale(1, 0.01)", []int{1, 7, 2}, []nn.Activation{nn.Tanh, nn.Identity}, scale},
		{"2→4 tanh→2, mix", []int{2, 4, 2}, []nn.Activation{nn.Tanh, nn.Identity}, mix{2}},
		{"3→5 tanh→3 tanh→2, mix", []int{3, 5, 3, 2}, []nn.Activation{nn.Tanh, nn.Tanh, nn.Identity}, mix{3}},
		{"2→4 relu→2, mix with VJP", []int{2, 4, 2}, []nn.Activation{nn.ReLU, nn.Identity}, mixVJP{mix{2}}},
	}
}

func randDense(rng *rand.Rand, r, c int) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			m.Set(i, j, rng.NormFloat64())
		}
	}
	return m
}

// build returns the objective, random parameters, n random samples and a
// mini-batch of indices in a scrambled order.
func build(t *testing.T, s setup, seed uint64) (*objective.Objective, []float64, objective.Data, []int) {
	t.Helper()
	net, err := nn.New(s.sizes, s.acts)
	if err != nil {
		t.Fatal(err)
	}
	o, err := objective.New(net, s.phys)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 31))
	params := make([]float64, net.NumParams())
	for i := range params {
		params[i] = 0.7 * rng.NormFloat64()
	}
	const n = 6
	d := objective.Data{X: randDense(rng, n, net.In()), Y: randDense(rng, n, o.Dim())}
	if err := o.Check(d); err != nil {
		t.Fatal(err)
	}
	return o, params, d, []int{4, 1, 3}
}

func closeTo(a, b, tol float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(b)) }

func TestDim(t *testing.T) {
	for _, s := range setups(t) {
		o, _, _, _ := build(t, s, 1)
		want := s.sizes[len(s.sizes)-1]
		if s.phys != nil {
			_, _, want = s.phys.Dims()
		}
		if o.Dim() != want {
			t.Errorf("%s: Dim = %d, want %d", s.name, o.Dim(), want)
		}
	}
}

func TestGradMatchesFiniteDifferences(t *testing.T) {
	for si, s := range setups(t) {
		t.Run(s.name, func(t *testing.T) {
			o, params, data, idx := build(t, s, uint64(si))
			ws := o.NewWorkspace()
			for _, withJac := range []bool{false, true} {
				out := optim.Local{Grad: make([]float64, len(params))}
				if withJac {
					out.Jac = &mat.Dense{}
				}
				o.Eval(&out, ws, params, data, idx)
				fws := o.NewWorkspace()
				want := fd.Gradient(nil, func(th []float64) float64 {
					var b optim.Local
					o.Eval(&b, fws, th, data, idx)
					return b.Loss
				}, params, &fd.Settings{Formula: fd.Central})
				for c := range want {
					if !closeTo(out.Grad[c], want[c], fdTol) {
						t.Errorf("with Jac %v: ∂L/∂θ_%d = %v, finite difference %v", withJac, c, out.Grad[c], want[c])
					}
				}
			}
		})
	}
}

func TestJacMatchesFiniteDifferences(t *testing.T) {
	for si, s := range setups(t) {
		t.Run(s.name, func(t *testing.T) {
			o, params, data, idx := build(t, s, uint64(si)+10)
			d, b, P := o.Dim(), len(idx), len(params)
			ws := o.NewWorkspace()
			out := optim.Local{Jac: &mat.Dense{}}
			o.Eval(&out, ws, params, data, idx)
			if r, c := out.Jac.Dims(); r != b*d || c != P {
				t.Fatalf("Jac is %d×%d, want %d×%d", r, c, b*d, P)
			}
			// y as a function of θ, flattened sample-major: y[s·d + k] = y_{idx[s], k}.
			want := mat.NewDense(b*d, P, nil)
			fws := o.NewWorkspace()
			fd.Jacobian(want, func(y, th []float64) {
				for s, i := range idx {
					o.Predict(y[s*d:(s+1)*d], fws, th, data.X.RawRowView(i))
				}
			}, params, &fd.JacobianSettings{Formula: fd.Central})
			for r := range b * d {
				for c := range P {
					if g, w := out.Jac.At(r, c), want.At(r, c); !closeTo(g, w, fdTol) {
						t.Errorf("∂y_%d/∂θ_%d = %v, finite difference %v", r, c, g, w)
					}
				}
			}
		})
	}
}

func TestGradYGradAndJacAgree(t *testing.T) {
	for si, s := range setups(t) {
		t.Run(s.name, func(t *testing.T) {
			o, params, data, idx := build(t, s, uint64(si)+20)
			d, b, P := o.Dim(), len(idx), len(params)
			ws := o.NewWorkspace()
			full := optim.Local{Grad: make([]float64, P), GradY: make([]float64, b*d), Jac: &mat.Dense{}}
			// Stale values must be overwritten.
			for i := range full.Grad {
				full.Grad[i] = math.NaN()
			}
			for i := range full.GradY {
				full.GradY[i] = math.NaN()
			}
			o.Eval(&full, ws, params, data, idx)

			// GradY = (y − ŷ)/b and Loss = (1/b) Σ ½‖y − ŷ‖², from Predict.
			y := make([]float64, d)
			var loss float64
			for s, i := range idx {
				o.Predict(y, ws, params, data.X.RawRowView(i))
				for k := range d {
					r := y[k] - data.Y.At(i, k)
					loss += r * r / 2
					if got, want := full.GradY[s*d+k], r/float64(b); !closeTo(got, want, exactTol) {
						t.Errorf("GradY[%d] = %v, want (y − ŷ)/b = %v", s*d+k, got, want)
					}
				}
			}
			loss /= float64(b)
			if !closeTo(full.Loss, loss, exactTol) {
				t.Errorf("Loss = %v, want %v", full.Loss, loss)
			}

			// Grad = Jacᵀ GradY.
			var jtg mat.VecDense
			jtg.MulVec(full.Jac.T(), mat.NewVecDense(b*d, full.GradY))
			for c := range P {
				if !closeTo(full.Grad[c], jtg.AtVec(c), exactTol) {
					t.Errorf("Grad[%d] = %v, (JacᵀGradY)[%d] = %v", c, full.Grad[c], c, jtg.AtVec(c))
				}
			}

			// The backprop path (no Jacobian requested) agrees.
			lean := optim.Local{Grad: make([]float64, P)}
			for i := range lean.Grad {
				lean.Grad[i] = 1e300
			}
			o.Eval(&lean, o.NewWorkspace(), params, data, idx)
			for c := range P {
				if !closeTo(lean.Grad[c], full.Grad[c], exactTol) {
					t.Errorf("Grad[%d] without Jac = %v, with Jac = %v", c, lean.Grad[c], full.Grad[c])
				}
			}
			if lean.Loss != full.Loss {
				t.Errorf("Loss without Jac = %v, with Jac = %v", lean.Loss, full.Loss)
			}
		})
	}
}

func TestLossEqualsEvalOnWholeSet(t *testing.T) {
	for si, s := range setups(t) {
		o, params, data, _ := build(t, s, uint64(si)+30)
		all := make([]int, data.Len())
		for i := range all {
			all[i] = i
		}
		var b optim.Local
		ws := o.NewWorkspace()
		o.Eval(&b, ws, params, data, all)
		if got := o.Loss(ws, params, data); !closeTo(got, b.Loss, exactTol) {
			t.Errorf("%s: Loss = %v, Eval on all samples = %v", s.name, got, b.Loss)
		}
	}
}

// A Jac that is a view into a larger matrix (stride > columns) is filled in
// place without touching the elements outside the view.
func TestEvalJacIntoStridedView(t *testing.T) {
	s := setups(t)[2]
	o, params, data, idx := build(t, s, 40)
	d, b, P := o.Dim(), len(idx), len(params)
	ref := optim.Local{Jac: &mat.Dense{}}
	o.Eval(&ref, o.NewWorkspace(), params, data, idx)

	const sentinel = -12345.0
	big := mat.NewDense(b*d+1, P+3, nil)
	for i := range b*d + 1 {
		for j := range P + 3 {
			big.Set(i, j, sentinel)
		}
	}
	view := big.Slice(0, b*d, 1, P+1).(*mat.Dense)
	o.Eval(&optim.Local{Jac: view}, o.NewWorkspace(), params, data, idx)
	if !mat.Equal(view, ref.Jac) {
		t.Errorf("Jac written into a view differs from a fresh one")
	}
	for i := range b*d + 1 {
		for j := range P + 3 {
			inside := i < b*d && j >= 1 && j < P+1
			if !inside && big.At(i, j) != sentinel {
				t.Errorf("element (%d, %d) outside the view was overwritten: %v", i, j, big.At(i, j))
			}
		}
	}
}

func TestEvalPanics(t *testing.T) {
	s := setups(t)[2]
	o, params, data, idx := build(t, s, 50)
	ws := o.NewWorkspace()
	for name, f := range map[string]func(){
		"empty batch":   func() { o.Eval(&optim.Local{}, ws, params, data, nil) },
		"short Grad":    func() { o.Eval(&optim.Local{Grad: make([]float64, 1)}, ws, params, data, idx) },
		"short GradY":   func() { o.Eval(&optim.Local{GradY: make([]float64, 1)}, ws, params, data, idx) },
		"wrong Jac":     func() { o.Eval(&optim.Local{Jac: mat.NewDense(2, 2, nil)}, ws, params, data, idx) },
		"short params":  func() { o.Eval(&optim.Local{}, ws, params[1:], data, idx) },
		"index too big": func() { o.Eval(&optim.Local{}, ws, params, data, []int{data.Len()}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Eval did not panic", name)
				}
			}()
			f()
		}()
	}
}

func TestNewRejects(t *testing.T) {
	net, err := nn.New([]int{1, 3}, []nn.Activation{nn.Identity})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := objective.New(nil, nil); err == nil || !strings.Contains(err.Error(), "nil network") {
		t.Errorf("New(nil, nil) error = %v, want one about the nil network", err)
	}
	if _, err := objective.New(net, mix{1}); err == nil || !strings.Contains(err.Error(), "3 outputs") {
		t.Errorf("New(3 outputs, map taking 2) error = %v, want one about the dimensions", err)
	}
	net2, err := nn.New([]int{1, 2}, []nn.Activation{nn.Identity})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := objective.New(net2, mix{4}); err == nil || !strings.Contains(err.Error(), "inputs of length 4") {
		t.Errorf("New(map reading 4 inputs after a 1-input network) error = %v, want one about the input length", err)
	}
	if _, err := objective.New(net2, physics.Func{Z: 2, Y: 0}); err == nil || !strings.Contains(err.Error(), "positive") {
		t.Errorf("New(map with 0 outputs) error = %v, want one about the dimensions", err)
	}
}

func TestCheckRejects(t *testing.T) {
	net, err := nn.New([]int{2, 3, 2}, []nn.Activation{nn.Tanh, nn.Identity})
	if err != nil {
		t.Fatal(err)
	}
	o, err := objective.New(net, mix{2}) // 2 inputs, 3 physics outputs
	if err != nil {
		t.Fatal(err)
	}
	good := func() objective.Data {
		rng := rand.New(rand.NewPCG(60, 1))
		return objective.Data{X: randDense(rng, 4, 2), Y: randDense(rng, 4, 3)}
	}
	if err := o.Check(good()); err != nil {
		t.Fatalf("Check(good data) = %v", err)
	}
	withX := func(i, j int, v float64) objective.Data { d := good(); d.X.Set(i, j, v); return d }
	withY := func(i, j int, v float64) objective.Data { d := good(); d.Y.Set(i, j, v); return d }
	for _, tc := range []struct {
		name string
		data objective.Data
		msg  string
	}{
		{"zero value", objective.Data{}, "empty"},
		{"nil Y", objective.Data{X: good().X}, "empty"},
		{"empty Dense", objective.Data{X: &mat.Dense{}, Y: &mat.Dense{}}, "empty"},
		{"rows differ", objective.Data{X: good().X, Y: mat.NewDense(3, 3, nil)}, "4 inputs but 3 targets"},
		{"input columns", objective.Data{X: mat.NewDense(4, 3, nil), Y: good().Y}, "inputs have 3 columns"},
		{"target columns", objective.Data{X: good().X, Y: mat.NewDense(4, 2, nil)}, "targets have 2 columns"},
		{"NaN in X", withX(2, 1, math.NaN()), "input 2"},
		{"+Inf in X", withX(0, 0, math.Inf(1)), "input 0"},
		{"NaN in Y", withY(3, 2, math.NaN()), "target 3"},
		{"-Inf in Y", withY(1, 0, math.Inf(-1)), "target 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := o.Check(tc.data)
			if err == nil {
				t.Fatal("Check gives no error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}
