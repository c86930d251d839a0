package dipole_test

import (
	"math/rand/v2"
	"testing"

	"github.com/higlab/hig/higlib/dipole"
	"github.com/higlab/hig/higlib/physics"
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
