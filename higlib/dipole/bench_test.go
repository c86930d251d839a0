package dipole_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/higlab/hig/higlib/dipole"
	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
	"github.com/higlab/hig/higlib/stepcost"
)

// BenchmarkEval times one sample of the paper's setting (14 points, 384
// steps): the value alone, the value with the 28 × 384 Jacobian (14 adjoint
// sweeps), and one vector–Jacobian product after a value-only Eval (the
// work a first-order method does per sample). A HIG step at b = 16 needs 16
// value+jacobian evaluations.
func BenchmarkEval(b *testing.B) {
	w, err := dipole.New(dipole.Config{})
	if err != nil {
		b.Fatal(err)
	}
	_, nz, ny := w.Dims()
	rng := rand.New(rand.NewPCG(1, 2))
	z := make([]float64, nz)
	for i := range z {
		z[i] = rng.NormFloat64()
	}
	y, jac := make([]float64, ny), make([]float64, ny*nz)
	v, g := make([]float64, ny), make([]float64, nz)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	ev := w.NewEvaluator().(physics.VJPEvaluator)
	b.Run("value", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ev.Eval(y, nil, nil, z)
		}
	})
	b.Run("value+jacobian", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ev.Eval(y, jac, nil, z)
		}
	})
	b.Run("value+vjp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ev.Eval(y, nil, nil, z)
			ev.VJP(g, v)
		}
	})
}

// dipoleCase is the shape of the paper's quantum dipole experiment: the
// 28 → 20 → 20 → 20 → 384 network (tanh, linear output; P = 9,484) followed
// by the simulator, at batch size b; J is 28b × 9,484. Inputs and targets
// are stepcost's random data, which do not change the cost.
func dipoleCase(tb testing.TB, b int) *stepcost.Bench {
	w, err := dipole.New(dipole.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	s, err := stepcost.New(stepcost.Case{Name: fmt.Sprintf("dipole-b%d", b), Sizes: []int{28, 20, 20, 20, 384},
		Acts: []nn.Activation{nn.Tanh, nn.Tanh, nn.Tanh, nn.Identity}, Phys: w, Batch: b})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// BenchmarkStep times one optimizer step of the quantum dipole experiment
// with the paper's settings, through the library's objective and
// optimizers: HIG at b = 16 (η = 0.5, τ = 1e-5; J is 448 × 9,484) as a
// whole and in its two parts, the stacked Jacobian (16 simulations with
// their 28 × 384 Jacobians, and the network's Jacobian rows) and the
// half-inverse solve; and an Adam step at b = 256 (η = 5e-4), whose
// gradient comes from VJPs without any Jacobian.
func BenchmarkStep(b *testing.B) {
	s := dipoleCase(b, 16)
	b.Run("hig-b16/step", func(b *testing.B) {
		m := &optim.HalfInverse{LearnRate: 0.5, Kappa: 0.5, Tau: 1e-5}
		if err := m.Init(len(s.Params)); err != nil {
			b.Fatal(err)
		}
		if err := s.Step(m); err != nil { // sizes the workspaces
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Step(m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hig-b16/jacobian", func(b *testing.B) {
		s.Eval()
		b.ReportAllocs()
		for b.Loop() {
			s.Eval()
		}
	})
	b.Run("hig-b16/solve", func(b *testing.B) {
		var solver halfinv.Solver
		dir := make([]float64, len(s.Params))
		p := halfinv.Params{Kappa: 0.5, Tau: 1e-5}
		s.Eval()
		if _, err := solver.Solve(dir, s.Loc.Jac, s.Loc.GradY, p); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := solver.Solve(dir, s.Loc.Jac, s.Loc.GradY, p); err != nil {
				b.Fatal(err)
			}
		}
	})
	a := dipoleCase(b, 256)
	a.Loc.Jac = nil
	b.Run("adam-b256/step", func(b *testing.B) {
		m := &optim.Adam{LearnRate: 5e-4}
		if err := m.Init(len(a.Params)); err != nil {
			b.Fatal(err)
		}
		if err := a.Step(m); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := a.Step(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
