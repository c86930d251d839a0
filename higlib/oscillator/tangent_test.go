package oscillator

import (
	"math"
	"math/rand/v2"
	"testing"
)

// tangent computes ∂s(T)/∂u by forward-mode tangents: one tangent per
// control, propagated through the linearised RK4 step from the step of its
// control to the end, Steps(Steps+1)/2 tangent steps in all against the
// adjoint's 2N·Steps. It is an independent derivation of the same
// derivative (it shares only the forward pass and the stored stage
// stiffnesses with the adjoint), used to check the adjoint and as the
// alternative in the benchmark that justifies it.
type tangent struct {
	ev                *Evaluator
	d                 []float64 // tangents, column-major: tangent of u_j at d[j·2N:(j+1)·2N]
	sig, k, acc, next []float64
	y                 []float64
}

func newTangent(c *Chain) *tangent {
	m := 2 * c.n
	return &tangent{
		ev:  c.NewEvaluator().(*Evaluator),
		d:   make([]float64, m*c.steps),
		sig: make([]float64, m), k: make([]float64, m), acc: make([]float64, m),
		next: make([]float64, m), y: make([]float64, m),
	}
}

// applyA writes A(σ)w = (w_p, K w_x) into out, K the symmetric tridiagonal
// matrix with −1 − cᵢ − c_{i−1} on its diagonal and cᵢ beside it.
func applyA(out, w, c []float64, n int) {
	copy(out[:n], w[n:])
	kx := out[n:]
	for i := range n {
		kx[i] = -w[i]
	}
	for i, ci := range c {
		t := ci * (w[i+1] - w[i])
		kx[i] += t
		kx[i+1] -= t
	}
}

func (tg *tangent) jacobian(jac, x, z []float64) {
	c := tg.ev.chain
	n, steps, h := c.n, c.steps, c.dt
	m, nc := 2*n, 4*(n-1)
	tg.ev.Eval(tg.y, nil, x, z)
	clear(tg.d)
	for t := range steps {
		coef := tg.ev.coef[t*nc : (t+1)*nc]
		stage := func(j int) []float64 { return coef[j*(n-1) : (j+1)*(n-1)] }
		for j := 0; j <= t; j++ {
			d := tg.d[j*m : (j+1)*m]
			var ud float64
			if j == t {
				ud = 1
			}
			applyA(tg.k, d, stage(0), n)
			tg.k[m-1] += Gain * ud
			for i := range m {
				tg.acc[i] = tg.k[i]
				tg.sig[i] = d[i] + h/2*tg.k[i]
			}
			applyA(tg.k, tg.sig, stage(1), n)
			tg.k[m-1] += Gain * ud
			for i := range m {
				tg.acc[i] += 2 * tg.k[i]
				tg.sig[i] = d[i] + h/2*tg.k[i]
			}
			applyA(tg.k, tg.sig, stage(2), n)
			tg.k[m-1] += Gain * ud
			for i := range m {
				tg.acc[i] += 2 * tg.k[i]
				tg.sig[i] = d[i] + h*tg.k[i]
			}
			applyA(tg.k, tg.sig, stage(3), n)
			tg.k[m-1] += Gain * ud
			for i := range m {
				d[i] += h / 6 * (tg.acc[i] + tg.k[i])
			}
		}
	}
	for r := range m {
		for j := range steps {
			jac[r*steps+j] = tg.d[j*m+r]
		}
	}
}

// TestAdjointMatchesTangents checks the adjoint Jacobian against the
// forward-mode one. Both differentiate the same discrete map exactly, so
// they differ only by rounding in a different order of operations: a few
// ulps of the largest entry per step, hence 1e-12 relative.
func TestAdjointMatchesTangents(t *testing.T) {
	for _, cfg := range []Config{{N: 1}, {}, {N: 3, Steps: 40}, {N: 5, Steps: 17, DT: 0.05}} {
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m := 2 * c.n
		rng := rand.New(rand.NewPCG(uint64(c.n), 3))
		x, z := make([]float64, m), make([]float64, c.steps)
		for i := range x {
			x[i] = rng.Float64()
		}
		for i := range z {
			z[i] = 2*rng.Float64() - 1
		}
		got, want := make([]float64, m*c.steps), make([]float64, m*c.steps)
		c.NewEvaluator().Eval(make([]float64, m), got, x, z)
		newTangent(c).jacobian(want, x, z)
		var scale float64
		for _, w := range want {
			scale = max(scale, math.Abs(w))
		}
		for k := range got {
			if math.Abs(got[k]-want[k]) > 1e-12*scale {
				t.Errorf("%+v: ∂y_%d/∂u_%d: adjoint %v, tangents %v", cfg, k/c.steps, k%c.steps, got[k], want[k])
			}
		}
	}
}

// BenchmarkJacobianTangent is the forward-mode alternative to the adjoint
// Jacobian of Evaluator.Eval (BenchmarkEval/value+jacobian), for N = 2 and
// 96 steps.
func BenchmarkJacobianTangent(b *testing.B) {
	c, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	tg := newTangent(c)
	rng := rand.New(rand.NewPCG(1, 2))
	x, z := make([]float64, 4), make([]float64, c.steps)
	for i := range x {
		x[i] = rng.Float64()
	}
	for i := range z {
		z[i] = 2*rng.Float64() - 1
	}
	jac := make([]float64, 4*c.steps)
	b.ReportAllocs()
	for b.Loop() {
		tg.jacobian(jac, x, z)
	}
}
