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
// 2048×30) and a wide one (512×2956); 2000×300 is a tall J large enough
// for the blocked bidiagonalisation (and gonum's blocked QR). The GFLOP/s metric divides the
// operation count of Solver's factorisations, flops(m, n), by the time, so
// that the best Dgemm rate of the same run (BenchmarkDgemm in
// higlib/internal/gemm) divided by it is how far the step is from the FLOP
// bound at that rate.
func BenchmarkHalfInverse(b *testing.B) {
	shapes := []struct{ m, n int }{{512, 30}, {2048, 30}, {512, 2956}, {2000, 300}}
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
				b.ReportMetric(flops(sh.m, sh.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		})
	}
}

// flops is the leading-order operation count of Solver's factorisations of
// an m×n J with k = min(m, n) and l = max(m, n): Householder QR or LQ,
// 2lk² − 2k³/3, then the bidiagonalisation of the k×k factor, 8k³/3 (Golub &
// Van Loan, Matrix Computations, 4th ed., Secs. 5.2.2 and 5.4.8). The
// bidiagonal QR iterations, O(k²) per sweep, are not counted.
func flops(m, n int) float64 {
	k, l := float64(min(m, n)), float64(max(m, n))
	return 2*l*k*k - 2*k*k*k/3 + 8*k*k*k/3
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
