package oscillator_test

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/higlab/hig/higlib/oscillator"
	"github.com/higlab/hig/higlib/physics/physicstest"
)

// TestBookPreset pins the book notebook's set-up as Book states it.
func TestBookPreset(t *testing.T) {
	c := mustNew(t, oscillator.Book())
	if c.N() != 2 || c.Steps() != 24 || c.DT() != 0.5 || c.Gain() != 1 || c.Coupling() != (oscillator.Coupling{Linear: 0.2}) {
		t.Errorf("Book gives N = %d, Steps = %d, DT = %v, Gain = %v, Coupling = %+v", c.N(), c.Steps(), c.DT(), c.Gain(), c.Coupling())
	}
	p := mustNew(t, oscillator.Config{})
	if p.Gain() != oscillator.Gain || p.Coupling() != oscillator.PaperCoupling {
		t.Errorf("zero Config gives Gain = %v, Coupling = %+v; want the paper's 3 and d³", p.Gain(), p.Coupling())
	}
	if got := mustNew(t, c.Config()); got.Config() != c.Config() {
		t.Errorf("New(c.Config()) = %+v, want %+v", got.Config(), c.Config())
	}
}

func TestNewRejectsBadCoupling(t *testing.T) {
	for _, cfg := range []oscillator.Config{
		{Coupling: oscillator.Coupling{Linear: -0.2}},
		{Coupling: oscillator.Coupling{Cubic: math.NaN()}},
		{Coupling: oscillator.Coupling{Linear: math.Inf(1)}},
		{Gain: math.NaN()},
		{Gain: math.Inf(-1)},
	} {
		c, err := oscillator.New(cfg)
		if err == nil || c != nil {
			t.Errorf("New(%+v) = %v, %v; want an error", cfg, c, err)
			continue
		}
		if !strings.Contains(err.Error(), "coupling") && !strings.Contains(err.Error(), "Gain") {
			t.Errorf("New(%+v): error %q names neither the coupling nor the gain", cfg, err)
		}
	}
}

// TestCouplingConformance checks the exact Jacobian and the VJP of the
// book's linear chain and of a mixed coupling against central finite
// differences (physicstest.Check), with conformanceTol: the linear chain's
// map is affine in the controls, so its differences carry rounding only,
// and the mixed one is no stiffer than the paper's chain.
func TestCouplingConformance(t *testing.T) {
	sample := func(x, z []float64, rng *rand.Rand) {
		for i := range x {
			x[i] = rng.Float64()
		}
		for i := range z {
			z[i] = 2*rng.Float64() - 1
		}
	}
	for _, cfg := range []oscillator.Config{
		oscillator.Book(),
		{N: 3, Steps: 20, DT: 0.25, Coupling: oscillator.Coupling{Linear: 0.5, Cubic: 0.7}, Gain: -2},
	} {
		c := mustNew(t, cfg)
		physicstest.Check(t, c, &physicstest.Config{Tol: conformanceTol, Sample: sample, Seed: 7})
		physicstest.Check(t, c, &physicstest.Config{Tol: conformanceTol, Seed: 8})
	}
}

// TestBookChainIsAffineInControls checks what makes the book's set-up
// easy for SIP: with a linear coupling the final state is affine in the
// controls, y(z) = y(0) + J z with a J that depends on neither x nor z.
func TestBookChainIsAffineInControls(t *testing.T) {
	c := mustNew(t, oscillator.Book())
	ev := c.NewEvaluator()
	rng := rand.New(rand.NewPCG(4, 4))
	x := []float64{0.3, 0.9, 0.2, 0.6}
	z := make([]float64, c.Steps())
	for i := range z {
		z[i] = 2*rng.Float64() - 1
	}
	y0, y, jac0, jac := make([]float64, 4), make([]float64, 4), make([]float64, 4*24), make([]float64, 4*24)
	ev.Eval(y0, jac0, x, make([]float64, 24))
	ev.Eval(y, jac, x, z)
	for r := range 4 {
		want := y0[r]
		for j, zj := range z {
			want += jac0[r*24+j] * zj
			if d := math.Abs(jac[r*24+j] - jac0[r*24+j]); d > 1e-13 {
				t.Errorf("∂y_%d/∂z_%d differs by %.3g between z = 0 and a random z", r, j, d)
			}
		}
		if math.Abs(y[r]-want) > 1e-12 {
			t.Errorf("y_%d = %v, y(0) + J z = %v", r, y[r], want)
		}
	}
}

// TestBookEnergyDecaysAsRK4Predicts: without control the book's linear
// chain splits into two normal modes, x₁ + x₂ with ω² = 1 and x₁ − x₂ with
// ω² = 1 + 2·0.2, and RK4 multiplies each mode's complex amplitude by
// R(−iωh) per step, so each mode's energy by |R(−iωh)|² (rk4Factor; below
// 1: RK4 damps oscillations). H(T)/H(0) is a weighted mean of the two
// modes' factors over the 24 steps and must lie between them, up to
// rounding; a wrong coupling or stiffness moves it out.
func TestBookEnergyDecaysAsRK4Predicts(t *testing.T) {
	c := mustNew(t, oscillator.Book())
	h := c.DT()
	lo, hi := math.Inf(1), 0.0
	for _, w2 := range []float64{1, 1.4} {
		r := cmplx.Abs(rk4Factor(complex(0, -math.Sqrt(w2)*h)))
		f := math.Pow(r*r, float64(c.Steps()))
		lo, hi = min(lo, f), max(hi, f)
	}
	t.Logf("energy factors over T = 12: %.6f … %.6f", lo, hi)
	rng := rand.New(rand.NewPCG(6, 1))
	for range 5 {
		x0 := make([]float64, 4)
		for i := range x0 {
			x0[i] = rng.Float64()
		}
		traj := c.Trajectory(nil, x0, make([]float64, c.Steps()))
		got := c.Energy(traj[4*c.Steps():]) / c.Energy(x0)
		if got < lo-1e-12 || got > hi+1e-12 {
			t.Errorf("x0 = %.3f: H(T)/H(0) = %.9f, outside the modes' RK4 factors [%.9f, %.9f]", x0, got, lo, hi)
		}
	}
}
