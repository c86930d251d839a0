package gemm

import "math"

// Matrix-vector products for the level-2 parts of the solver's reductions
// (the panels of the bidiagonalisation and of the LQ factorisation), where
// gonum's Dgemv, with 128-bit vectors and no fused multiply-add, was the
// bottleneck.
//
// Both are defined by an exact order of fused multiply-adds, which the
// AVX2/FMA kernels and the pure-Go ones (math.FMA) follow alike, so they
// give the same bits with and without the assembly, and every element of y
// is computed the same way whichever rows (GemvN) or columns (GemvT) a
// caller hands to one call. Splitting a product across goroutines by rows
// or by columns therefore does not change its result.

// GemvN computes y ← α·A·x + β·y for the row-major m×n matrix A with leading
// dimension lda, len(x) ≥ n and len(y) ≥ m; when β = 0, y is not read.
//
// Each y_i is a dot product accumulated in four lanes, lane l holding
// a_ij·x_j for j ≡ l (mod 4) up to the last multiple of four, combined as
// (s₀+s₂)+(s₁+s₃); the remaining j are added in order by fused
// multiply-adds; then y_i = α·s (β = 0) or α·s + β·y_i.
func GemvN(m, n int, alpha float64, a []float64, lda int, x []float64, beta float64, y []float64) {
	if m == 0 {
		return
	}
	if lda < max(1, n) || len(a) < (m-1)*lda+n || len(x) < n || len(y) < m {
		panic("gemm: bad GemvN arguments")
	}
	n4 := n &^ 3
	var s [4]float64
	i := 0
	if useGemvAsm {
		for ; i+4 <= m; i += 4 {
			if n4 > 0 {
				dotRows4(n4, &a[i*lda], lda, &x[0], &s)
			} else {
				s = [4]float64{}
			}
			for r := range 4 {
				row := a[(i+r)*lda : (i+r)*lda+n]
				t := s[r]
				for j := n4; j < n; j++ {
					t = math.FMA(row[j], x[j], t)
				}
				y[i+r] = combine(alpha, t, beta, y[i+r])
			}
		}
	}
	for ; i < m; i++ {
		row := a[i*lda : i*lda+n]
		y[i] = combine(alpha, dotGo(row, x[:n]), beta, y[i])
	}
}

func combine(alpha, s, beta, y float64) float64 {
	if beta == 0 {
		return alpha * s
	}
	return alpha*s + beta*y
}

// dotGo is one row of GemvN's dot product in pure Go, in the same order as
// the AVX2 kernel.
func dotGo(a, x []float64) float64 {
	n := len(a)
	n4 := n &^ 3
	var s0, s1, s2, s3 float64
	for j := 0; j < n4; j += 4 {
		s0 = math.FMA(a[j], x[j], s0)
		s1 = math.FMA(a[j+1], x[j+1], s1)
		s2 = math.FMA(a[j+2], x[j+2], s2)
		s3 = math.FMA(a[j+3], x[j+3], s3)
	}
	t := (s0 + s2) + (s1 + s3)
	for j := n4; j < n; j++ {
		t = math.FMA(a[j], x[j], t)
	}
	return t
}

// GemvT computes y ← α·Aᵀ·x + β·y for the row-major m×n matrix A with
// leading dimension lda, len(x) ≥ m and len(y) ≥ n; when β = 0, y is not
// read.
//
// y is first set to β·y (or zero), the x_i are scaled to α·x_i, and then
// the rows are added in order, y_j ← fma(a_ij, α·x_i, y_j) for i = 0, 1, ….
func GemvT(m, n int, alpha float64, a []float64, lda int, x []float64, beta float64, y []float64) {
	if n == 0 {
		return
	}
	if lda < max(1, n) || (m > 0 && len(a) < (m-1)*lda+n) || len(x) < m || len(y) < n {
		panic("gemm: bad GemvT arguments")
	}
	y = y[:n]
	switch beta {
	case 0:
		clear(y)
	case 1:
	default:
		for j := range y {
			y[j] *= beta
		}
	}
	n4 := n &^ 3
	i := 0
	if useGemvAsm && n4 > 0 {
		for ; i+4 <= m; i += 4 {
			ax := [4]float64{alpha * x[i], alpha * x[i+1], alpha * x[i+2], alpha * x[i+3]}
			axpyRows4(n4, &a[i*lda], lda, &ax, &y[0])
			for r := range 4 {
				row := a[(i+r)*lda : (i+r)*lda+n]
				for j := n4; j < n; j++ {
					y[j] = math.FMA(row[j], ax[r], y[j])
				}
			}
		}
	}
	for ; i < m; i++ {
		ax := alpha * x[i]
		row := a[i*lda : i*lda+n]
		for j, v := range row {
			y[j] = math.FMA(v, ax, y[j])
		}
	}
}

// Ger computes A ← A + α·x·yᵀ for the row-major m×n matrix A with leading
// dimension lda, len(x) ≥ m and len(y) ≥ n, as a_ij ← fma(α·x_i, y_j, a_ij):
// every element is updated the same way whichever rows or columns a call
// covers.
func Ger(m, n int, alpha float64, x, y []float64, a []float64, lda int) {
	if m == 0 || n == 0 {
		return
	}
	if lda < max(1, n) || len(a) < (m-1)*lda+n || len(x) < m || len(y) < n {
		panic("gemm: bad Ger arguments")
	}
	n4 := n &^ 3
	i := 0
	if useGemvAsm && n4 > 0 {
		for ; i+4 <= m; i += 4 {
			ax := [4]float64{alpha * x[i], alpha * x[i+1], alpha * x[i+2], alpha * x[i+3]}
			gerRows4(n4, &a[i*lda], lda, &ax, &y[0])
			for r := range 4 {
				row := a[(i+r)*lda : (i+r)*lda+n]
				for j := n4; j < n; j++ {
					row[j] = math.FMA(ax[r], y[j], row[j])
				}
			}
		}
	}
	for ; i < m; i++ {
		ax := alpha * x[i]
		row := a[i*lda : i*lda+n]
		for j, v := range y[:n] {
			row[j] = math.FMA(ax, v, row[j])
		}
	}
}

// Dot returns x·y over the first n = len(x) elements, accumulated as one
// row of GemvN (four lanes, then the remainder in order).
func Dot(x, y []float64) float64 {
	n := len(x)
	y = y[:n]
	n4 := n &^ 3
	if !useGemvAsm || n4 == 0 {
		return dotGo(x, y)
	}
	// With a zero row stride, the four rows of dotRows4 are all x; the
	// extra products run in the spare multiply-add units while the loads
	// of x and y set the pace.
	var s [4]float64
	dotRows4(n4, &x[0], 0, &y[0], &s)
	t := s[0]
	for j := n4; j < n; j++ {
		t = math.FMA(x[j], y[j], t)
	}
	return t
}
