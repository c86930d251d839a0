package halfinv_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/higlib/internal/gemm"
)

// TestSolveMatchesReferencePureGoKernel repeats the comparison with
// Reference on shapes whose blocked LQ and bidiagonalisation reach package
// gemm, with its pure-Go micro-kernel in place of the assembly one.
func TestSolveMatchesReferencePureGoKernel(t *testing.T) {
	defer gemm.UseAssembly(gemm.UseAssembly(false))
	rnd := newRand()
	var s halfinv.Solver
	for _, sh := range [][2]int{{200, 150}, {150, 320}, {300, 140}, {97, 700}} {
		j := randomDense(rnd, sh[0], sh[1])
		g := randomVec(rnd, sh[0])
		for _, mode := range modes {
			t.Run(fmt.Sprintf("%dx%d/%v", sh[0], sh[1], mode), func(t *testing.T) {
				compare(t, &s, j, g, halfinv.Params{Kappa: 0.5, Tau: 1e-6, Mode: mode})
			})
		}
	}
}

// TestSolveKernelsAgree solves the oscillator-size problem with both
// micro-kernels. They round differently (fused against separate multiply
// and add), so the products agree to the accuracy of the decomposition, not
// bit for bit.
func TestSolveKernelsAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("512×2956 with the pure-Go kernel takes about a second")
	}
	rnd := newRand()
	j := randomDense(rnd, 512, 2956)
	g := randomVec(rnd, 512)
	p := halfinv.Params{Kappa: 0.5, Tau: 1e-6, Mode: halfinv.Truncate}
	var s halfinv.Solver
	asm := make([]float64, 2956)
	if _, err := s.Solve(asm, j, g, p); err != nil {
		t.Fatal(err)
	}
	was := gemm.UseAssembly(false)
	defer gemm.UseAssembly(was)
	pure := make([]float64, 2956)
	if _, err := s.Solve(pure, j, g, p); err != nil {
		t.Fatal(err)
	}
	if d := relDiff(asm, pure); d > solveTol {
		t.Errorf("assembly and pure-Go kernels differ by %.3g (relative), want ≤ %g", d, solveTol)
	}
}

// TestSolveDeterministic solves the same problems repeatedly, with fresh and
// reused Solvers: the parts of the parallel updates land on different
// goroutines from run to run, and the bits must not change.
func TestSolveDeterministic(t *testing.T) {
	rnd := newRand()
	p := halfinv.Params{Kappa: 0.5, Tau: 1e-6, Mode: halfinv.Truncate}
	var reused halfinv.Solver
	for _, sh := range [][2]int{{300, 140}, {150, 1000}} {
		j := randomDense(rnd, sh[0], sh[1])
		g := randomVec(rnd, sh[0])
		var first []float64
		for run := range 6 {
			s := &reused
			if run%2 == 1 {
				s = new(halfinv.Solver)
			}
			dst := make([]float64, sh[1])
			if _, err := s.Solve(dst, j, g, p); err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = dst
				continue
			}
			for i := range dst {
				if math.Float64bits(dst[i]) != math.Float64bits(first[i]) {
					t.Fatalf("%v run %d: dst[%d] = %v, first run %v", sh, run, i, dst[i], first[i])
				}
			}
		}
	}
}
