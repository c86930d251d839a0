package steer

import (
	"testing"

	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
	"github.com/higlab/hig/higlib/stepcost"
)

// BenchmarkOscillator times, in one run, what a step of the experiment
// costs: the simulator's value and 4 × 96 Jacobian for one sample (a HIG
// step at b = 128 needs 128 of them) and its value with one VJP (what Adam
// needs per sample), the stacked Jacobian J (512 × 2956) of a batch of 128
// through network and simulator, one whole HIG step at b = 128, and one
// Adam step at b = 512 by the VJP path. The simulator's share of a HIG step
// is 128 × value+jacobian / hig-step-b128.
func BenchmarkOscillator(b *testing.B) {
	s, err := NewSetup(Config{TrainSize: 512, TestSize: 1}, 1)
	if err != nil {
		b.Fatal(err)
	}
	x := s.Train.X.RawRowView(0)
	u := s.Controls(s.Params0, x)
	ev := s.Chain.NewEvaluator().(physics.VJPEvaluator)
	nx, nz, ny := s.Chain.Dims()
	y, jac, g := make([]float64, ny), make([]float64, ny*nz), make([]float64, nz)
	v := make([]float64, nx)
	for i := range v {
		v[i] = 1
	}
	b.Run("simulator/value+jacobian", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ev.Eval(y, jac, x, u)
		}
	})
	b.Run("simulator/value+vjp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ev.Eval(y, nil, x, u)
			ev.VJP(g, v)
		}
	})
	hig, err := stepcost.New(stepcost.Oscillator(128))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("jacobian-b128", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			hig.Eval()
		}
	})
	b.Run("hig-step-b128", func(b *testing.B) {
		m := optim.HIG(1)
		if err := m.Init(len(hig.Params)); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := hig.Step(m); err != nil {
				b.Fatal(err)
			}
		}
	})
	adam, err := stepcost.New(stepcost.Oscillator(512))
	if err != nil {
		b.Fatal(err)
	}
	adam.Loc.Jac, adam.Loc.GradY = nil, nil
	b.Run("adam-step-b512", func(b *testing.B) {
		m := &optim.Adam{LearnRate: 3e-4}
		if err := m.Init(len(adam.Params)); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := adam.Step(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
