package gemm

import "gonum.org/v1/gonum/blas"

// Panic messages, the same as gonum's blas/gonum so that callers see one
// vocabulary.
const (
	badTranspose = "blas: illegal transpose"
	mLT0         = "blas: m < 0"
	nLT0         = "blas: n < 0"
	kLT0         = "blas: k < 0"
	badLdA       = "blas: bad leading dimension of A"
	badLdB       = "blas: bad leading dimension of B"
	badLdC       = "blas: bad leading dimension of C"
	shortA       = "blas: insufficient length of a"
	shortB       = "blas: insufficient length of b"
	shortC       = "blas: insufficient length of c"
)

// checkArgs panics, as gonum's Dgemm does, if the arguments do not describe
// valid matrices, and reports whether A and B are transposed.
func checkArgs(tA, tB blas.Transpose, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) (aT, bT bool) {
	for _, t := range [2]blas.Transpose{tA, tB} {
		switch t {
		case blas.NoTrans, blas.Trans, blas.ConjTrans:
		default:
			panic(badTranspose)
		}
	}
	switch {
	case m < 0:
		panic(mLT0)
	case n < 0:
		panic(nLT0)
	case k < 0:
		panic(kLT0)
	}
	aT = tA != blas.NoTrans
	bT = tB != blas.NoTrans
	aRows, aCols := m, k
	if aT {
		aRows, aCols = k, m
	}
	bRows, bCols := k, n
	if bT {
		bRows, bCols = n, k
	}
	if lda < max(1, aCols) {
		panic(badLdA)
	}
	if ldb < max(1, bCols) {
		panic(badLdB)
	}
	if ldc < max(1, n) {
		panic(badLdC)
	}
	if m == 0 || n == 0 {
		return aT, bT
	}
	if aRows > 0 && aCols > 0 && len(a) < (aRows-1)*lda+aCols {
		panic(shortA)
	}
	if bRows > 0 && bCols > 0 && len(b) < (bRows-1)*ldb+bCols {
		panic(shortB)
	}
	if len(c) < (m-1)*ldc+n {
		panic(shortC)
	}
	return aT, bT
}
