package steer

import (
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/optim"
)

// BenchmarkBook times, in one run, a step of each method of the book
// preset at its batch size: HIG at b = 32 (the stacked 128 × 1444 Jacobian
// and its half-inverse), Adam at b = 256 (VJPs) and SIP at b = 256 (each
// sample's 4 × 24 ∂P/∂z, its pseudo-inverse and a backward pass), each an
// objective evaluation plus the method's step. The ratios BookAdamRatio and
// BookSIPRatio are hig-step-b32 over adam-step-b256 and sip-step-b256,
// rounded up.
func BenchmarkBook(b *testing.B) {
	s, err := NewSetup(Config{Preset: PresetBook, TrainSize: 256, TestSize: 1}, 1)
	if err != nil {
		b.Fatal(err)
	}
	P := s.Net.NumParams()
	for _, tc := range []struct {
		name string
		m    optim.Method
		b    int
	}{
		{"hig-step-b32", &optim.HalfInverse{LearnRate: 2, Kappa: 0.5, Tau: BookTau}, 32},
		{"adam-step-b256", &optim.Adam{}, 256},
		{"sip-step-b256", optim.NewSIP(1e-3), 256},
	} {
		b.Run(tc.name, func(b *testing.B) {
			if err := tc.m.Init(P); err != nil {
				b.Fatal(err)
			}
			loc := optim.Local{Grad: make([]float64, P)}
			if tc.m.NeedsJacobian() {
				loc.GradY = make([]float64, tc.b*4)
				loc.Jac = mat.NewDense(tc.b*4, P, nil)
			}
			if pi, ok := tc.m.(optim.PhysicsInverter); ok {
				loc.SIPCut = pi.SIPCut()
			}
			idx := make([]int, tc.b)
			for i := range idx {
				idx[i] = i
			}
			ws := s.Obj.NewWorkspace()
			params := append([]float64(nil), s.Params0...)
			delta := make([]float64, P)
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Obj.Eval(&loc, ws, params, s.Train, idx); err != nil {
					b.Fatal(err)
				}
				if err := tc.m.Step(delta, &loc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
