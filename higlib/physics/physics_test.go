package physics_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/physics"
	"github.com/higlab/hig/higlib/physics/physicstest"
)

var (
	_ physics.Map          = physics.Scale{}
	_ physics.VJPEvaluator = physics.Scale{}
	_ physics.VJPEvaluator = (*physics.Linear)(nil)
	_ physics.Map          = physics.Func{}
)

func TestScaleAndLinearPassConformance(t *testing.T) {
	for _, factors := range [][]float64{{1, 0.01}, {1, 1}, {-3, 0, 2.5}, {7}} {
		s, err := physics.NewScale(factors...)
		if err != nil {
			t.Fatal(err)
		}
		physicstest.Check(t, s, nil)
	}
	rng := rand.New(rand.NewPCG(21, 2))
	a := make([]float64, 4*9)
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	l, err := physics.NewLinear(4, 9, a)
	if err != nil {
		t.Fatal(err)
	}
	physicstest.Check(t, l, nil)
}

func TestScaleJacobianIsDiagonal(t *testing.T) {
	s := physics.Scale{2, -0.5, 0}
	y, jac := make([]float64, 3), make([]float64, 9)
	s.Eval(y, jac, nil, []float64{1, 2, 3})
	want := mat.NewDiagDense(3, []float64{2, -0.5, 0})
	if !mat.Equal(mat.NewDense(3, 3, jac), want) {
		t.Errorf("Jacobian %v, want diag(2, −0.5, 0)", jac)
	}
	if !slices.Equal(y, []float64{2, -1, 0}) {
		t.Errorf("y = %v, want (2, −1, 0)", y)
	}
}

func TestNewLinearRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		r, c int
		data []float64
	}{
		"zero rows":    {0, 2, nil},
		"short data":   {2, 2, []float64{1, 2, 3}},
		"NaN":          {1, 2, []float64{1, math.NaN()}},
		"Inf":          {1, 1, []float64{math.Inf(-1)}},
		"negative col": {1, -1, nil},
	} {
		if _, err := physics.NewLinear(tc.r, tc.c, tc.data); err == nil {
			t.Errorf("%s: NewLinear succeeded", name)
		}
	}
	if err := physics.Check(nil); err == nil {
		t.Error("Check(nil) succeeded")
	}
	if err := physics.Check(physics.Func{X: 0, Z: 0, Y: 1}); err == nil {
		t.Error("Check accepted z = 0")
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
		"Eval short y":   func() { s.Eval(make([]float64, 1), nil, nil, make([]float64, 2)) },
		"Eval long z":    func() { s.Eval(make([]float64, 2), nil, nil, make([]float64, 3)) },
		"Eval short jac": func() { s.Eval(make([]float64, 2), make([]float64, 3), nil, make([]float64, 2)) },
		"Eval long jac":  func() { s.Eval(make([]float64, 2), make([]float64, 6), nil, make([]float64, 2)) },
		"VJP short dst":  func() { s.VJP(make([]float64, 1), make([]float64, 2)) },
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
