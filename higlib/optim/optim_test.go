package optim_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/higlab/hig/higlib/optim"
)

// adamTol is the relative tolerance between Adam's update and the test's
// own evaluation of the same formula: both use the same IEEE operations, so
// at most a few roundings (ε ≈ 1.1e-16 each) may differ.
const adamTol = 1e-15

func relClose(a, b, tol float64) bool {
	return a == b || math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b))
}

func fill(n int, v float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = v
	}
	return x
}

func TestGradientDescentStep(t *testing.T) {
	for _, tc := range []struct {
		lr, want float64 // want: the learning rate after Init
	}{{0, 0.01}, {0.5, 0.5}, {3, 3}} {
		g := &optim.GradientDescent{LearnRate: tc.lr}
		if err := g.Init(3); err != nil {
			t.Fatal(err)
		}
		if g.LearnRate != tc.want {
			t.Errorf("LearnRate %v after Init = %v, want %v", tc.lr, g.LearnRate, tc.want)
		}
		if g.NeedsJacobian() {
			t.Error("gradient descent needs no Jacobian")
		}
		grad := []float64{0.5, -2, 0}
		delta := fill(3, math.NaN())
		if err := g.Step(delta, &optim.Local{Grad: grad}); err != nil {
			t.Fatal(err)
		}
		for i := range grad {
			if delta[i] != -tc.want*grad[i] {
				t.Errorf("lr %v: Δθ_%d = %v, want −η g = %v", tc.lr, i, delta[i], -tc.want*grad[i])
			}
		}
	}
}

func TestGradientDescentRejects(t *testing.T) {
	for _, lr := range []float64{-1, math.NaN(), math.Inf(1), math.Inf(-1)} {
		g := &optim.GradientDescent{LearnRate: lr}
		if err := g.Init(2); err == nil || !strings.Contains(err.Error(), "learning rate") {
			t.Errorf("LearnRate %v: Init error = %v, want one about the learning rate", lr, err)
		}
	}
	g := &optim.GradientDescent{LearnRate: 0.1}
	if err := g.Init(2); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		delta := []float64{7, 8}
		err := g.Step(delta, &optim.Local{Grad: []float64{1, bad}})
		if !errors.Is(err, optim.ErrNotFinite) {
			t.Errorf("gradient with %v: error = %v, want ErrNotFinite", bad, err)
		}
		if delta[0] != 7 || delta[1] != 8 {
			t.Errorf("gradient with %v: delta changed to %v", bad, delta)
		}
	}
}

func TestAdamDefaults(t *testing.T) {
	a := &optim.Adam{}
	if err := a.Init(1); err != nil {
		t.Fatal(err)
	}
	// The defaults documented on the fields (Kingma & Ba's).
	if a.LearnRate != 0.001 || a.Beta1 != 0.9 || a.Beta2 != 0.999 || a.Epsilon != 1e-8 {
		t.Errorf("defaults η, β₁, β₂, ε = %v, %v, %v, %v, want 0.001, 0.9, 0.999, 1e-8", a.LearnRate, a.Beta1, a.Beta2, a.Epsilon)
	}
	if a.NeedsJacobian() {
		t.Error("Adam needs no Jacobian")
	}
	b := &optim.Adam{LearnRate: 0.2, Beta1: 0.5, Beta2: 0.7, Epsilon: 1e-3}
	if err := b.Init(1); err != nil {
		t.Fatal(err)
	}
	if b.LearnRate != 0.2 || b.Beta1 != 0.5 || b.Beta2 != 0.7 || b.Epsilon != 1e-3 {
		t.Errorf("Init changed explicit settings: %+v", b)
	}
}

// adamByHand applies Kingma & Ba's Algorithm 1 to a scalar gradient sequence
// and returns the updates: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
// Δ = −η (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε).
func adamByHand(eta, b1, b2, eps float64, gs []float64) []float64 {
	var m, v float64
	out := make([]float64, len(gs))
	for i, g := range gs {
		t := float64(i + 1)
		m = b1*m + (1-b1)*g
		v = b2*v + (1-b2)*g*g
		mhat := m / (1 - math.Pow(b1, t))
		vhat := v / (1 - math.Pow(b2, t))
		out[i] = -eta * mhat / (math.Sqrt(vhat) + eps)
	}
	return out
}

func TestAdamFirstSteps(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    optim.Adam
		eta  float64
		b1   float64
		b2   float64
		eps  float64
	}{
		{"defaults", optim.Adam{}, 0.001, 0.9, 0.999, 1e-8},
		{"custom", optim.Adam{LearnRate: 0.3, Beta1: 0.5, Beta2: 0.8, Epsilon: 1e-3}, 0.3, 0.5, 0.8, 1e-3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Each component sees its own scalar sequence; component 0 is
			// the (0.5, −2) sequence, component 3 a zero gradient.
			seq := [][]float64{{0.5, -2}, {-2, 0.5}, {1e-6, 1e3}, {0, 0}}
			a := tc.a
			if err := a.Init(len(seq)); err != nil {
				t.Fatal(err)
			}
			want := make([][]float64, len(seq))
			for i, s := range seq {
				want[i] = adamByHand(tc.eta, tc.b1, tc.b2, tc.eps, s)
			}
			delta := make([]float64, len(seq))
			for step := range 2 {
				g := make([]float64, len(seq))
				for i := range seq {
					g[i] = seq[i][step]
				}
				if err := a.Step(delta, &optim.Local{Grad: g}); err != nil {
					t.Fatal(err)
				}
				for i := range seq {
					if !relClose(delta[i], want[i][step], adamTol) {
						t.Errorf("step %d, component %d: Δ = %v, by hand %v", step+1, i, delta[i], want[i][step])
					}
				}
			}
			// Step 1 in closed form: m̂ = g and v̂ = g² up to the rounding of
			// 1 − β, so Δ₁ = −η g / (|g| + ε) to within a few ε.
			b := tc.a
			if err := b.Init(1); err != nil {
				t.Fatal(err)
			}
			d1 := make([]float64, 1)
			if err := b.Step(d1, &optim.Local{Grad: []float64{0.5}}); err != nil {
				t.Fatal(err)
			}
			if want := -tc.eta * 0.5 / (0.5 + tc.eps); !relClose(d1[0], want, 1e-13) {
				t.Errorf("first step = %v, want −η g/(|g|+ε) = %v", d1[0], want)
			}
		})
	}
}

func TestAdamRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    optim.Adam
		msg  string
	}{
		{"negative lr", optim.Adam{LearnRate: -0.1}, "learning rate"},
		{"NaN lr", optim.Adam{LearnRate: math.NaN()}, "learning rate"},
		{"Inf lr", optim.Adam{LearnRate: math.Inf(1)}, "learning rate"},
		{"β₁ = 1", optim.Adam{Beta1: 1}, "(0, 1)"},
		{"β₁ > 1", optim.Adam{Beta1: 1.5}, "(0, 1)"},
		{"β₁ < 0", optim.Adam{Beta1: -0.1}, "(0, 1)"},
		{"β₂ = 1", optim.Adam{Beta2: 1}, "(0, 1)"},
		{"β₂ < 0", optim.Adam{Beta2: -0.5}, "(0, 1)"},
		{"β₂ NaN", optim.Adam{Beta2: math.NaN()}, "(0, 1)"},
		{"ε < 0", optim.Adam{Epsilon: -1e-8}, "ε"},
		{"ε NaN", optim.Adam{Epsilon: math.NaN()}, "ε"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.a.Init(3)
			if err == nil {
				t.Fatal("Init gives no error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestAdamNonFiniteGradientLeavesStateAlone(t *testing.T) {
	g1 := []float64{0.5, -2}
	g2 := []float64{-2, 0.5}
	for _, bad := range []float64{math.NaN(), math.Inf(-1)} {
		// A failed first step: the next valid step equals a fresh first step.
		a, fresh := &optim.Adam{}, &optim.Adam{}
		if err := a.Init(2); err != nil {
			t.Fatal(err)
		}
		if err := fresh.Init(2); err != nil {
			t.Fatal(err)
		}
		delta := []float64{7, 8}
		if err := a.Step(delta, &optim.Local{Grad: []float64{bad, 1}}); !errors.Is(err, optim.ErrNotFinite) {
			t.Errorf("gradient with %v: error = %v, want ErrNotFinite", bad, err)
		}
		if delta[0] != 7 || delta[1] != 8 {
			t.Errorf("gradient with %v: delta changed to %v", bad, delta)
		}
		got, want := make([]float64, 2), make([]float64, 2)
		if err := a.Step(got, &optim.Local{Grad: g1}); err != nil {
			t.Fatal(err)
		}
		if err := fresh.Step(want, &optim.Local{Grad: g1}); err != nil {
			t.Fatal(err)
		}
		if got[0] != want[0] || got[1] != want[1] {
			t.Errorf("after a failed step: %v, fresh first step %v", got, want)
		}
		// A failed step between two valid ones changes nothing either.
		if err := a.Step(delta, &optim.Local{Grad: []float64{1, bad}}); err == nil {
			t.Error("no error for a non-finite gradient")
		}
		if err := a.Step(got, &optim.Local{Grad: g2}); err != nil {
			t.Fatal(err)
		}
		if err := fresh.Step(want, &optim.Local{Grad: g2}); err != nil {
			t.Fatal(err)
		}
		if got[0] != want[0] || got[1] != want[1] {
			t.Errorf("second step after a failed one: %v, without it %v", got, want)
		}
	}
}

func TestInitResetsAdam(t *testing.T) {
	a := &optim.Adam{LearnRate: 0.1}
	if err := a.Init(1); err != nil {
		t.Fatal(err)
	}
	first := make([]float64, 1)
	if err := a.Step(first, &optim.Local{Grad: []float64{0.5}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Step(make([]float64, 1), &optim.Local{Grad: []float64{-2}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Init(1); err != nil {
		t.Fatal(err)
	}
	again := make([]float64, 1)
	if err := a.Step(again, &optim.Local{Grad: []float64{0.5}}); err != nil {
		t.Fatal(err)
	}
	if again[0] != first[0] {
		t.Errorf("first step after re-Init = %v, want %v", again[0], first[0])
	}
}
