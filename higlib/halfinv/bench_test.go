package halfinv_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/halfinv"
)

// BenchmarkHalfInverse compares Reference with a reused Solver on the shapes
// that occur in HIG training: tall Jacobians of a small network (512×30,
// 2048×30) and a wide one (512×2956).
func BenchmarkHalfInverse(b *testing.B) {
	shapes := []struct{ m, n int }{{512, 30}, {2048, 30}, {512, 2956}}
	p := halfinv.Params{Kappa: 0.5, Tau: 1e-6, Mode: halfinv.Truncate}
	for _, sh := range shapes {
		rnd := rand.New(rand.NewPCG(1, 2))
		j := randomDense(rnd, sh.m, sh.n)
		g := randomVec(rnd, sh.m)
		dst := make([]float64, sh.n)
		b.Run(fmt.Sprintf("%dx%d", sh.m, sh.n), func(b *testing.B) {
			b.Run("reference", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := halfinv.Reference(dst, j, g, p); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("solver", func(b *testing.B) {
				var s halfinv.Solver
				if _, err := s.Solve(dst, j, g, p); err != nil { // warm up the workspaces
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.Solve(dst, j, g, p); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func randomDense(rnd *rand.Rand, m, n int) *mat.Dense {
	data := make([]float64, m*n)
	for i := range data {
		data[i] = rnd.NormFloat64()
	}
	return mat.NewDense(m, n, data)
}

func randomVec(rnd *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rnd.NormFloat64()
	}
	return x
}
