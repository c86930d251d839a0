package oscillator_test

import (
	"math/rand/v2"
	"testing"

	"github.com/higlab/hig/higlib/oscillator"
	"github.com/higlab/hig/higlib/physics"
)

// BenchmarkEval times one sample of the paper's setting (N = 2, 96 steps):
// the value alone, the value with the 4 × 96 Jacobian (adjoint, compare
// BenchmarkJacobianTangent for forward-mode tangents), and one
// vector–Jacobian product after a value-only Eval (the work a first-order
// method does per sample). A HIG step at b = 128 needs 128 value+jacobian
// evaluations.
func BenchmarkEval(b *testing.B) {
	c, err := oscillator.New(oscillator.Config{})
	if err != nil {
		b.Fatal(err)
	}
	nx, nz, ny := c.Dims()
	rng := rand.New(rand.NewPCG(1, 2))
	x, z := make([]float64, nx), make([]float64, nz)
	for i := range x {
		x[i] = rng.Float64()
	}
	for i := range z {
		z[i] = 2*rng.Float64() - 1
	}
	y, jac := make([]float64, ny), make([]float64, ny*nz)
	v, g := []float64{0.3, -1, 0.7, 0.2}, make([]float64, nz)
	ev := c.NewEvaluator().(physics.VJPEvaluator)
	b.Run("value", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ev.Eval(y, nil, x, z)
		}
	})
	b.Run("value+jacobian", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ev.Eval(y, jac, x, z)
		}
	})
	b.Run("value+vjp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ev.Eval(y, nil, x, z)
			ev.VJP(g, v)
		}
	})
}
