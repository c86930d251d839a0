package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BenchmarkDgemm compares, at n×n×n, gonum's pure-Go Dgemm (parallel), this
// package's Implementation (parallel over GOMAXPROCS goroutines), its serial
// Workspace.Dgemm with the kernel ChooseKernel picks for this CPU, the same
// with the AVX2 kernel alone (where AVX-512 is picked), and the serial
// pure-Go kernel. The GFLOP/s metric counts 2n³ floating-point operations
// per product.
func BenchmarkDgemm(b *testing.B) {
	for _, n := range []int{1000} {
		rnd := rand.New(rand.NewPCG(1, 2))
		x, y, z := randSlice(rnd, n*n), randSlice(rnd, n*n), randSlice(rnd, n*n)
		var w Workspace
		impls := []struct {
			name  string
			dgemm func(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)
			asm   bool
			wide  bool
		}{
			{"gonum", gonum.Implementation{}.Dgemm, useAsm, useWide},
			{"gemm", Implementation{}.Dgemm, useAsm, useWide},
			{"gemm-serial", w.Dgemm, useAsm, useWide},
			{"gemm-serial-avx2", w.Dgemm, useAsm, false},
			{"gemm-serial-purego", w.Dgemm, false, false},
		}
		for _, im := range impls {
			if im.name == "gemm-serial-avx2" && !useWide {
				continue // the same as gemm-serial
			}
			b.Run(fmt.Sprintf("%dx%d/%s", n, n, im.name), func(b *testing.B) {
				saved, savedWide := useAsm, useWide
				useAsm, useWide = im.asm, im.wide
				defer func() { useAsm, useWide = saved, savedWide }()
				b.ReportAllocs()
				for b.Loop() {
					im.dgemm(blas.NoTrans, blas.NoTrans, n, n, n, 1, x, n, y, n, 0, z, n)
				}
				b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkMicroKernel runs the MR×NR micro-kernel alone on cache-resident
// panels (KC steps), the ceiling for the blocked product.
func BenchmarkMicroKernel(b *testing.B) {
	rnd := rand.New(rand.NewPCG(1, 2))
	ap, bp := randSlice(rnd, KC*MR), randSlice(rnd, KC*NR)
	c := make([]float64, MR*NR)
	for _, asm := range []bool{true, false} {
		if asm && !hasAsm {
			continue
		}
		b.Run(fmt.Sprintf("asm=%v", asm), func(b *testing.B) {
			saved := useAsm
			useAsm = asm
			kern := microKernel()
			useAsm = saved
			for b.Loop() {
				kern(KC, ap, 1, MR, bp, NR, c, NR, 1, 1)
			}
			b.ReportMetric(2*MR*NR*KC*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
