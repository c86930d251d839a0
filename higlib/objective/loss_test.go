package objective_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
	"github.com/higlab/hig/higlib/physics/physicstest"
	"github.com/higlab/hig/higlib/train"
)

// lossSetups pairs each network and map of setups with losses that fit its
// output: a weighted squared loss for every output length and the
// non-quadratic Infidelity for even ones.
func lossSetups(t *testing.T) []struct {
	setup
	loss objective.Loss
} {
	var out []struct {
		setup
		loss objective.Loss
	}
	for _, s := range setups(t) {
		o, _, _, _ := build(t, s, 0)
		w := make([]float64, o.Dim())
		for k := range w {
			w[k] = 0.5 + float64(k)
		}
		out = append(out, struct {
			setup
			loss objective.Loss
		}{s, objective.WeightedSquared{W: w}})
		if o.Dim()%2 == 0 {
			out = append(out, struct {
				setup
				loss objective.Loss
			}{s, objective.Infidelity{}})
		}
	}
	return out
}

// With any loss, GradY is the loss gradient over b, Grad agrees with
// central finite differences on both paths (Jacobian and backprop/VJP) and
// equals Jacᵀ GradY, and Loss on the whole set equals Eval's.
func TestEvalWithLoss(t *testing.T) {
	for si, s := range lossSetups(t) {
		t.Run(fmt.Sprintf("%s, %T", s.name, s.loss), func(t *testing.T) {
			o, params, data, idx := build(t, s.setup, uint64(si)+40)
			o.SampleLoss = s.loss
			if err := o.Check(data); err != nil {
				t.Fatal(err)
			}
			d, b, P := o.Dim(), len(idx), len(params)
			ws := o.NewWorkspace()
			full := optim.Local{Grad: make([]float64, P), GradY: make([]float64, b*d), Jac: &mat.Dense{}}
			o.Eval(&full, ws, params, data, idx)

			y, g := make([]float64, d), make([]float64, d)
			var loss float64
			for s, i := range idx {
				o.Predict(y, ws, params, data.X.RawRowView(i))
				loss += o.SampleLoss.Eval(g, y, data.Y.RawRowView(i))
				for k := range d {
					if got, want := full.GradY[s*d+k], g[k]/float64(b); !closeTo(got, want, exactTol) {
						t.Errorf("GradY[%d] = %v, want ∂L/∂y / b = %v", s*d+k, got, want)
					}
				}
			}
			if loss /= float64(b); !closeTo(full.Loss, loss, exactTol) {
				t.Errorf("Loss = %v, want %v", full.Loss, loss)
			}
			var jtg mat.VecDense
			jtg.MulVec(full.Jac.T(), mat.NewVecDense(b*d, full.GradY))
			lean := optim.Local{Grad: make([]float64, P)}
			o.Eval(&lean, o.NewWorkspace(), params, data, idx)
			fws := o.NewWorkspace()
			want := fd.Gradient(nil, func(th []float64) float64 {
				var l optim.Local
				o.Eval(&l, fws, th, data, idx)
				return l.Loss
			}, params, &fd.Settings{Formula: fd.Central})
			for c := range P {
				if !closeTo(full.Grad[c], want[c], fdTol) {
					t.Errorf("∂L/∂θ_%d = %v, finite difference %v", c, full.Grad[c], want[c])
				}
				if !closeTo(lean.Grad[c], want[c], fdTol) {
					t.Errorf("without Jac: ∂L/∂θ_%d = %v, finite difference %v", c, lean.Grad[c], want[c])
				}
				if !closeTo(full.Grad[c], jtg.AtVec(c), exactTol) {
					t.Errorf("Grad[%d] = %v, (JacᵀGradY)[%d] = %v", c, full.Grad[c], c, jtg.AtVec(c))
				}
			}
			all := make([]int, data.Len())
			for i := range all {
				all[i] = i
			}
			var whole optim.Local
			o.Eval(&whole, ws, params, data, all)
			if got := o.Loss(ws, params, data); !closeTo(got, whole.Loss, exactTol) {
				t.Errorf("Loss = %v, Eval on all samples = %v", got, whole.Loss)
			}
		})
	}
}

// The default loss is HalfSquared, bit for bit: the toy's numbers rest on it.
func TestDefaultLossIsHalfSquared(t *testing.T) {
	for si, s := range setups(t) {
		o, params, data, idx := build(t, s, uint64(si)+50)
		d, b, P := o.Dim(), len(idx), len(params)
		var outs [2]optim.Local
		for k, l := range []objective.Loss{nil, objective.HalfSquared{}} {
			o.SampleLoss = l
			outs[k] = optim.Local{Grad: make([]float64, P), GradY: make([]float64, b*d), Jac: &mat.Dense{}}
			o.Eval(&outs[k], o.NewWorkspace(), params, data, idx)
		}
		a, c := outs[0], outs[1]
		if math.Float64bits(a.Loss) != math.Float64bits(c.Loss) || !mat.Equal(a.Jac, c.Jac) ||
			fmt.Sprint(a.Grad, a.GradY) != fmt.Sprint(c.Grad, c.GradY) {
			t.Errorf("%s: nil loss and HalfSquared differ", s.name)
		}
	}
}

func TestCheckRejectsLossOfWrongLength(t *testing.T) {
	o, _, data, _ := build(t, setups(t)[2], 1)
	o.SampleLoss = objective.WeightedSquared{W: []float64{1, 2}}
	if err := o.Check(data); err == nil {
		t.Error("Check accepted two weights for three outputs")
	} else {
		t.Log(err)
	}
	o.SampleLoss = objective.Infidelity{}
	if err := o.Check(data); err == nil {
		t.Error("Check accepted Infidelity for an odd output length")
	}
}

func TestNewWeightedSquaredRejects(t *testing.T) {
	for _, w := range [][]float64{nil, {1, -1}, {math.NaN()}, {math.Inf(1)}} {
		if _, err := objective.NewWeightedSquared(w...); err == nil {
			t.Errorf("NewWeightedSquared(%v) accepted", w)
		}
	}
}

// normalise is the map y = z/‖z‖, a stand-in for a simulator that keeps
// the norm of a state (as the Schrödinger equation does), with Jacobian
// ∂y_i/∂z_j = (δ_ij − y_i y_j)/‖z‖.
var normalise = physics.Func{Z: 4, Y: 4, F: func(y, jac, _, z []float64) {
	n := math.Sqrt(z[0]*z[0] + z[1]*z[1] + z[2]*z[2] + z[3]*z[3])
	for i := range y {
		y[i] = z[i] / n
	}
	for i := range y {
		for j := range z {
			if jac != nil {
				jac[i*4+j] = -y[i] * y[j] / n
				if i == j {
					jac[i*4+j] += 1 / n
				}
			}
		}
	}
}}

// A network with 4 linear outputs, normalised to a state of two complex
// amplitudes (real parts, then imaginary parts), learns to produce the state
// ŷ = (1, i)/√2 from the input 1 under the infidelity 1 − |⟨ŷ, y⟩|². From
// y = (1, 0), ⟨ŷ, y⟩ = 1/√2, so L = ½ and ∂L/∂y = −2·(1/√2)·ŷ = (−1, 0, 0, −1)
// in the layout (Re y₁, Re y₂, Im y₁, Im y₂). HIG needs only that gradient.
func ExampleInfidelity() {
	net, err := nn.New([]int{1, 4}, []nn.Activation{nn.Identity})
	if err != nil {
		panic(err)
	}
	obj, err := objective.New(net, normalise)
	if err != nil {
		panic(err)
	}
	obj.SampleLoss = objective.Infidelity{}
	s := 1 / math.Sqrt2
	data := objective.Data{X: mat.NewDense(1, 1, []float64{1}), Y: mat.NewDense(1, 4, []float64{s, 0, 0, s})}
	if err := obj.Check(data); err != nil {
		panic(err)
	}
	params := make([]float64, net.NumParams())
	params[0] = 1 // the weight of output 1: z = (1, 0, 0, 0) at x = 1
	ws := obj.NewWorkspace()
	out := optim.Local{Grad: make([]float64, len(params)), GradY: make([]float64, 4), Jac: &mat.Dense{}}
	obj.Eval(&out, ws, params, data, []int{0})
	for k := range out.GradY {
		out.GradY[k] += 0 // print −0 as 0
	}
	fmt.Printf("L = %.3f, ∂L/∂y = %.3f\n", out.Loss, out.GradY)
	res, err := train.Train(obj, data, params, optim.HIG(0.5), &train.Settings{Steps: 4})
	if err != nil {
		panic(err)
	}
	fmt.Printf("after %d HIG steps: L = %.1e\n", res.Step, obj.Loss(ws, res.Params, data))
	// Output:
	// L = 0.500, ∂L/∂y = [-1.000 0.000 0.000 -1.000]
	// after 4 HIG steps: L = 3.6e-09
}

func TestNormaliseConforms(t *testing.T) {
	physicstest.Check(t, normalise, nil)
}

// Every optimizer trains with a loss that is not ½‖y − ŷ‖²: each lowers the
// infidelity of 16 random unit states reached through normalise.
func TestEveryMethodTrainsWithInfidelity(t *testing.T) {
	net, err := nn.New([]int{2, 8, 4}, []nn.Activation{nn.Tanh, nn.Identity})
	if err != nil {
		t.Fatal(err)
	}
	obj, err := objective.New(net, normalise)
	if err != nil {
		t.Fatal(err)
	}
	obj.SampleLoss = objective.Infidelity{}
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 16
	x, y := mat.NewDense(n, 2, nil), mat.NewDense(n, 4, nil)
	for i := range n {
		phi := 2 * math.Pi * rng.Float64()
		x.Set(i, 0, math.Cos(phi))
		x.Set(i, 1, math.Sin(phi))
		// ŷ = (cos φ, i sin φ): a unit state that the input determines.
		y.Set(i, 0, math.Cos(phi))
		y.Set(i, 3, math.Sin(phi))
	}
	data := objective.Data{X: x, Y: y}
	if err := obj.Check(data); err != nil {
		t.Fatal(err)
	}
	params0 := make([]float64, net.NumParams())
	net.Init(params0, rng)
	start := obj.Loss(obj.NewWorkspace(), params0, data)
	for _, m := range []optim.Method{&optim.GradientDescent{LearnRate: 0.5}, &optim.Adam{LearnRate: 0.01}, optim.GaussNewton(0.5), optim.HIG(0.5)} {
		res, err := train.Train(obj, data, params0, m, &train.Settings{Steps: 200, BatchSize: 8, Seed: 1})
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		end := obj.Loss(obj.NewWorkspace(), res.Params, data)
		t.Logf("%T: infidelity %.3g → %.3g", m, start, end)
		if !(end < start/2) {
			t.Errorf("%T: infidelity %.3g → %.3g, want at least halved", m, start, end)
		}
	}
}

// Per-sample weights: sample i contributes W[i]·L_i to the batch mean and
// W[i]·∂L/∂y_i to GradY; Grad agrees with finite differences on both paths.
func TestEvalWithSampleWeights(t *testing.T) {
	for si, st := range setups(t) {
		o, params, data, idx := build(t, st, uint64(si)+60)
		data.W = []float64{0.5, 2, 0, 1, 3, 1.5}
		o.SampleLoss = objective.WeightedSquared{W: make([]float64, o.Dim())}
		for k := range o.Dim() {
			o.SampleLoss.(objective.WeightedSquared).W[k] = 1 + float64(k)
		}
		if err := o.Check(data); err != nil {
			t.Fatal(err)
		}
		d, b, P := o.Dim(), len(idx), len(params)
		ws := o.NewWorkspace()
		full := optim.Local{Grad: make([]float64, P), GradY: make([]float64, b*d), Jac: &mat.Dense{}}
		o.Eval(&full, ws, params, data, idx)
		y, g := make([]float64, d), make([]float64, d)
		var loss float64
		for s, i := range idx {
			o.Predict(y, ws, params, data.X.RawRowView(i))
			loss += data.W[i] * o.SampleLoss.Eval(g, y, data.Y.RawRowView(i))
			for k := range d {
				if got, want := full.GradY[s*d+k], data.W[i]*g[k]/float64(b); !closeTo(got, want, exactTol) {
					t.Errorf("%s: GradY[%d] = %v, want W·∂L/∂y / b = %v", st.name, s*d+k, got, want)
				}
			}
		}
		if loss /= float64(b); !closeTo(full.Loss, loss, exactTol) {
			t.Errorf("%s: Loss = %v, want %v", st.name, full.Loss, loss)
		}
		lean := optim.Local{Grad: make([]float64, P)}
		o.Eval(&lean, o.NewWorkspace(), params, data, idx)
		fws := o.NewWorkspace()
		want := fd.Gradient(nil, func(th []float64) float64 {
			var l optim.Local
			o.Eval(&l, fws, th, data, idx)
			return l.Loss
		}, params, &fd.Settings{Formula: fd.Central})
		for c := range P {
			if !closeTo(full.Grad[c], want[c], fdTol) || !closeTo(lean.Grad[c], want[c], fdTol) {
				t.Errorf("%s: ∂L/∂θ_%d = %v (Jac), %v (backprop), finite difference %v", st.name, c, full.Grad[c], lean.Grad[c], want[c])
			}
		}
	}
	o, _, data, _ := build(t, setups(t)[0], 1)
	for _, w := range [][]float64{{1, 2}, {1, 1, 1, 1, 1, -1}, {1, 1, 1, 1, 1, math.NaN()}} {
		data.W = w
		if err := o.Check(data); err == nil {
			t.Errorf("Check accepted weights %v", w)
		}
	}
}
