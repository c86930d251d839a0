//go:build amd64 && !purego

package gemm

// useGemvAsm selects the AVX2/FMA kernels of GemvN and GemvT; it follows
// useAsm (see UseAssembly).
var useGemvAsm = hasAsm

// dotRows4 writes to s[r] the four-lane dot product of row r of A (rows at
// a, a+lda, …) with x over the first n elements, n a positive multiple of
// four, with the lanes combined as (s₀+s₂)+(s₁+s₃).
//
//go:noescape
func dotRows4(n int, a *float64, lda int, x *float64, s *[4]float64)

// axpyRows4 adds the four rows at a, a+lda, … scaled by x[0], …, x[3] to y,
// y_j ← fma(a_3j, x_3, fma(a_2j, x_2, fma(a_1j, x_1, fma(a_0j, x_0, y_j))))
// for j < n, n a positive multiple of four.
//
//go:noescape
func axpyRows4(n int, a *float64, lda int, x *[4]float64, y *float64)

func setGemvAsm(on bool) { useGemvAsm = on }

// gerRows4 updates the four rows at a, a+lda, …: a_rj ← fma(x[r], y_j, a_rj)
// for j < n, n a positive multiple of four.
//
//go:noescape
func gerRows4(n int, a *float64, lda int, x *[4]float64, y *float64)
