package gemm_test

import (
	"fmt"

	"gonum.org/v1/gonum/blas"

	"github.com/higlab/hig/higlib/internal/gemm"
)

// C ← A·Bᵀ for a 2×3 A and a 2×3 B, row-major, as gonum's blas.Float64.
func ExampleImplementation_Dgemm() {
	a := []float64{
		1, 2, 3,
		4, 5, 6,
	}
	b := []float64{
		1, 0, 1,
		0, 1, 0,
	}
	c := make([]float64, 4)
	gemm.Implementation{}.Dgemm(blas.NoTrans, blas.Trans, 2, 2, 3, 1, a, 3, b, 3, 0, c, 2)
	fmt.Println(c[:2])
	fmt.Println(c[2:])
	// Output:
	// [4 2]
	// [10 5]
}

// A Workspace keeps the packing buffers between calls, so that repeated
// products on one goroutine do not allocate.
func ExampleWorkspace_Dgemm() {
	var w gemm.Workspace
	a := []float64{1, 2, 3, 4} // 2×2
	c := []float64{1, 1, 1, 1}
	// C ← 2·A·A + 1·C.
	w.Dgemm(blas.NoTrans, blas.NoTrans, 2, 2, 2, 2, a, 2, a, 2, 1, c, 2)
	fmt.Println(c)
	// Output:
	// [15 21 31 45]
}
