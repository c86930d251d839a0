package optim_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
)

// stepCase is one shape of a whole optimizer step: network, physics map and
// batch size.
type stepCase struct {
	name  string
	sizes []int
	acts  []nn.Activation
	phys  physics.Map
	batch int
}

// stepCases are the shapes of issue #4: the chapter's toy (1 → 7 tanh → 2,
// J of 512 × 30 and 2048 × 30) and a case the size of the paper's oscillator
// experiment (4 → 20 → 20 → 20 → 96, a 96 → 4 linear stand-in for the
// simulator, b = 128: J of 512 × 2956).
func stepCases() []stepCase {
	rng := rand.New(rand.NewPCG(7, 7))
	a := make([]float64, 4*96)
	for i := range a {
		a[i] = rng.NormFloat64() / 10
	}
	toyPhys := physics.Scale{1, 0.01}
	return []stepCase{
		{"toy-b256", []int{1, 7, 2}, []nn.Activation{nn.Tanh, nn.Identity}, toyPhys, 256},
		{"toy-b1024", []int{1, 7, 2}, []nn.Activation{nn.Tanh, nn.Identity}, toyPhys, 1024},
		{"wide-b128", []int{4, 20, 20, 20, 96}, []nn.Activation{nn.ReLU, nn.ReLU, nn.ReLU, nn.Identity},
			&physics.Linear{Rows: 4, Cols: 96, Data: a}, 128},
	}
}

// stepBench holds a problem ready for repeated steps.
type stepBench struct {
	obj    *objective.Objective
	ws     *objective.Workspace
	params []float64
	data   objective.Data
	idx    []int
	batch  objective.Batch
	delta  []float64
}

func newStepBench(c stepCase) *stepBench {
	net, err := nn.New(c.sizes, c.acts)
	if err != nil {
		panic(err)
	}
	obj, err := objective.New(net, c.phys)
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	P, d := net.NumParams(), obj.Dim()
	s := &stepBench{obj: obj, ws: obj.NewWorkspace(), params: make([]float64, P), delta: make([]float64, P)}
	net.Init(s.params, rng)
	x := mat.NewDense(c.batch, net.In(), nil)
	y := mat.NewDense(c.batch, d, nil)
	for i := 0; i < c.batch; i++ {
		for j := 0; j < net.In(); j++ {
			x.Set(i, j, rng.Float64())
		}
		for j := 0; j < d; j++ {
			y.Set(i, j, rng.Float64())
		}
	}
	s.data = objective.Data{X: x, Y: y}
	s.idx = make([]int, c.batch)
	for i := range s.idx {
		s.idx[i] = i
	}
	s.batch = objective.Batch{Grad: make([]float64, P), GradY: make([]float64, c.batch*d), Jac: mat.NewDense(c.batch*d, P, nil)}
	return s
}

func (s *stepBench) local() *optim.Local {
	return &optim.Local{Loss: s.batch.Loss, Grad: s.batch.Grad, GradY: s.batch.GradY, Jac: s.batch.Jac}
}

// BenchmarkHIGStep times one whole HIG step: the stacked Jacobian of the
// batch, the decomposition and the update. "solver" is optim.HalfInverse as
// used in training; "reference" replaces its decomposition and update with
// halfinv.Reference, the straightforward mat.SVD path.
func BenchmarkHIGStep(b *testing.B) {
	for _, c := range stepCases() {
		s := newStepBench(c)
		b.Run(c.name+"/solver", func(b *testing.B) {
			m := optim.HIG(1)
			if err := m.Init(len(s.params)); err != nil {
				b.Fatal(err)
			}
			loc := s.local()
			// One step outside the loop sizes the workspaces, so that
			// allocs/op shows the steady state even when b.N is tiny.
			s.obj.Eval(&s.batch, s.ws, s.params, s.data, s.idx)
			if err := m.Step(s.delta, loc); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				s.obj.Eval(&s.batch, s.ws, s.params, s.data, s.idx)
				if err := m.Step(s.delta, loc); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/reference", func(b *testing.B) {
			p := halfinv.Params{Kappa: 0.5, Tau: 1e-6}
			b.ReportAllocs()
			for b.Loop() {
				s.obj.Eval(&s.batch, s.ws, s.params, s.data, s.idx)
				if _, err := halfinv.Reference(s.delta, s.batch.Jac, s.batch.GradY, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkToyStep times one whole step of each method on the toy at the
// default batch size (256), including what each needs from the objective:
// the gradient alone for Adam, the stacked Jacobian for Gauss-Newton and
// HIG. The ratio of these times sets the toy study's step budgets.
func BenchmarkToyStep(b *testing.B) {
	c := stepCases()[0]
	for _, name := range []string{"adam", "gn", "hig"} {
		b.Run(name, func(b *testing.B) {
			s := newStepBench(c)
			var m optim.Method
			switch name {
			case "adam":
				m = &optim.Adam{LearnRate: 1e-3}
				s.batch.Jac, s.batch.GradY = nil, nil
			case "gn":
				m = optim.GaussNewton(1)
			case "hig":
				m = optim.HIG(1)
			}
			if err := m.Init(len(s.params)); err != nil {
				b.Fatal(err)
			}
			loc := s.local()
			b.ReportAllocs()
			for b.Loop() {
				s.obj.Eval(&s.batch, s.ws, s.params, s.data, s.idx)
				if err := m.Step(s.delta, loc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func Example_stepShapes() {
	for _, c := range stepCases() {
		s := newStepBench(c)
		r, k := s.batch.Jac.Dims()
		fmt.Printf("%s: J is %d×%d\n", c.name, r, k)
	}
	// Output:
	// toy-b256: J is 512×30
	// toy-b1024: J is 2048×30
	// wide-b128: J is 512×2956
}
