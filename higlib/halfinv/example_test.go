package halfinv_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/halfinv"
)

// ExampleSolver_Solve applies the half-inverse (κ = ½) of a 3×2 Jacobian to a
// residual vector, discarding singular values below 1 % of the largest.
func ExampleSolver_Solve() {
	j := mat.NewDense(3, 2, []float64{
		3, 0,
		0, 1,
		0, 0,
	})
	g := []float64{1, 1, 1}
	dst := make([]float64, 2)
	var s halfinv.Solver
	sv, err := s.Solve(dst, j, g, halfinv.Params{Kappa: 0.5, Tau: 0.01, Mode: halfinv.Truncate})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("σ = [%.4f %.4f]\n", sv[0], sv[1])
	fmt.Printf("J^(−½)·g = [%.4f %.4f]\n", dst[0], dst[1])
	// Output:
	// σ = [3.0000 1.0000]
	// J^(−½)·g = [0.5774 1.0000]
}
