package physics_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/physics"
)

// fdTol bounds |analytic − finite difference| / (1 + |finite difference|).
// Scale is linear, so fd.Central (step 6e-6) has no truncation error and
// only rounding, about ε·|P|/h ≈ 1e-16·10/6e-6 ≈ 2e-10 for |P| ≲ 10.
const fdTol = 1e-8

var _ physics.Map = physics.Scale{}

func TestScaleJacobianMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 1))
	for _, factors := range [][]float64{{1, 0.01}, {1, 1}, {-3, 0, 2.5}, {7}} {
		s, err := physics.NewScale(factors...)
		if err != nil {
			t.Fatal(err)
		}
		in, out := s.Dims()
		if in != len(factors) || out != len(factors) {
			t.Fatalf("Dims = %d, %d, want %d twice", in, out, len(factors))
		}
		z := make([]float64, in)
		for i := range z {
			z[i] = rng.NormFloat64()
		}
		y := make([]float64, out)
		s.Eval(y, z)
		for i := range y {
			if y[i] != factors[i]*z[i] {
				t.Errorf("%v: P(z)_%d = %v, want %v", factors, i, y[i], factors[i]*z[i])
			}
		}
		got := make([]float64, out*in)
		for i := range got {
			got[i] = math.NaN() // Jacobian must write every entry
		}
		s.Jacobian(got, z)
		want := mat.NewDense(out, in, nil)
		fd.Jacobian(want, func(y, z []float64) { s.Eval(y, z) }, z, &fd.JacobianSettings{Formula: fd.Central})
		for r := range out {
			for c := range in {
				if g, w := got[r*in+c], want.At(r, c); !(math.Abs(g-w) <= fdTol*(1+math.Abs(w))) {
					t.Errorf("%v: ∂P_%d/∂z_%d = %v, finite difference %v", factors, r, c, g, w)
				}
			}
		}
	}
}

func TestNewScaleCopiesFactors(t *testing.T) {
	f := []float64{1, 2}
	s, err := physics.NewScale(f...)
	if err != nil {
		t.Fatal(err)
	}
	f[1] = 5
	if s[1] != 2 {
		t.Errorf("NewScale aliases its argument: %v", s)
	}
}

func TestNewScaleRejects(t *testing.T) {
	for _, tc := range []struct {
		name    string
		factors []float64
		msg     string
	}{
		{"empty", nil, "at least one"},
		{"NaN", []float64{1, math.NaN()}, "not finite"},
		{"+Inf", []float64{math.Inf(1)}, "not finite"},
		{"-Inf", []float64{2, 3, math.Inf(-1)}, "not finite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := physics.NewScale(tc.factors...)
			if err == nil {
				t.Fatalf("NewScale(%v) = %v, want an error", tc.factors, s)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestScalePanicsOnWrongLengths(t *testing.T) {
	s := physics.Scale{1, 2}
	for name, f := range map[string]func(){
		"Eval short dst":     func() { s.Eval(make([]float64, 1), make([]float64, 2)) },
		"Eval long z":        func() { s.Eval(make([]float64, 2), make([]float64, 3)) },
		"Jacobian short dst": func() { s.Jacobian(make([]float64, 3), make([]float64, 2)) },
		"Jacobian long dst":  func() { s.Jacobian(make([]float64, 6), make([]float64, 2)) },
		"Jacobian short z":   func() { s.Jacobian(make([]float64, 4), make([]float64, 1)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		}()
	}
}
