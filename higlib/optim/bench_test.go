package optim_test

import (
	"fmt"
	"testing"

	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/stepcost"
)

// stepCases are the shapes of the step benchmarks: the chapter's toy (J of
// 512 × 30 and 2048 × 30) and a case the size of the paper's oscillator
// experiment (J of 512 × 2956).
func stepCases() []stepcost.Case {
	return []stepcost.Case{stepcost.Toy(256), stepcost.Toy(1024), stepcost.Wide(20, 128)}
}

func mustBench(tb testing.TB, c stepcost.Case) *stepcost.Bench {
	s, err := stepcost.New(c)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// BenchmarkHIGStep times one whole HIG step: the stacked Jacobian of the
// batch, the decomposition and the update. "solver" is optim.HalfInverse as
// used in training; "reference" replaces its decomposition and update with
// halfinv.Reference, the straightforward mat.SVD path.
func BenchmarkHIGStep(b *testing.B) {
	for _, c := range stepCases() {
		s := mustBench(b, c)
		b.Run(c.Name+"/solver", func(b *testing.B) {
			m := optim.HIG(1)
			if err := m.Init(len(s.Params)); err != nil {
				b.Fatal(err)
			}
			// One step outside the loop sizes the workspaces, so that
			// allocs/op shows the steady state even when b.N is tiny.
			if err := s.Step(m); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Step(m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.Name+"/reference", func(b *testing.B) {
			p := halfinv.Params{Kappa: 0.5, Tau: 1e-6}
			b.ReportAllocs()
			for b.Loop() {
				s.Eval()
				if _, err := halfinv.Reference(s.Delta, s.Loc.Jac, s.Loc.GradY, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkToyStep times one whole step of each method on the toy at the
// default batch size (256), including what each needs from the objective:
// the gradient alone (one backward pass per sample) for Adam, the stacked
// Jacobian for Gauss-Newton and HIG. The ratio of these times sets the toy
// study's step budgets (toy.FirstOrderRatio).
func BenchmarkToyStep(b *testing.B) {
	for _, tc := range []struct {
		name string
		m    optim.Method
	}{
		{"adam", &optim.Adam{LearnRate: 1e-3}},
		{"gn", optim.GaussNewton(1)},
		{"hig", optim.HIG(1)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := mustBench(b, stepcost.Toy(256))
			if !tc.m.NeedsJacobian() {
				s.Loc.Jac, s.Loc.GradY = nil, nil
			}
			if err := tc.m.Init(len(s.Params)); err != nil {
				b.Fatal(err)
			}
			// One step first, so that the method's workspaces exist and
			// the loop measures the steady state.
			if err := s.Step(tc.m); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Step(tc.m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func Example_stepShapes() {
	for _, c := range stepCases() {
		s, err := stepcost.New(c)
		if err != nil {
			panic(err)
		}
		r, k := s.Loc.Jac.Dims()
		fmt.Printf("%s: J is %d×%d\n", c.Name, r, k)
	}
	// Output:
	// toy-b256: J is 512×30
	// toy-b1024: J is 2048×30
	// wide-h20-b128: J is 512×2956
}
