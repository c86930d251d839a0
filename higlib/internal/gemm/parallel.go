package gemm

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Implementation is a blas.Float64 whose Dgemm is this package's blocked
// product, split over goroutines; every other routine is gonum's pure-Go one.
// The zero value is ready to use and safe for concurrent use.
type Implementation struct {
	gonum.Implementation

	// Threads is the largest number of goroutines one Dgemm call uses.
	// Zero means runtime.GOMAXPROCS(0).
	Threads int
}

var _ blas.Float64 = Implementation{}

// minParFlops is the size, in multiply-adds m·n·k, below which Dgemm runs on
// the calling goroutine only: a goroutine hand-off costs about as much as a
// product of this size.
const minParFlops = 64 * 64 * 64

var workspaces = sync.Pool{New: func() any { return new(Workspace) }}

// Dgemm computes C ← α·op(A)·op(B) + β·C as Workspace.Dgemm does. C is split
// into bands of whole micro-tiles, along its longer side, one per goroutine;
// since each element of C is computed the same way in any band, the result
// has the same bits for every Threads.
func (impl Implementation) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	aT, bT := checkArgs(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	t := impl.Threads
	if t <= 0 {
		t = runtime.GOMAXPROCS(0)
	}
	byCols := n >= m
	step := MR
	if byCols {
		step = NR
	}
	long := max(m, n)
	t = min(t, (long+step-1)/step)
	if m*n*k < minParFlops {
		t = 1
	}
	band := roundUp((long+t-1)/t, step)
	run := func(lo, hi int) {
		w := workspaces.Get().(*Workspace)
		if byCols {
			off := lo
			if bT {
				off = lo * ldb
			}
			bb := b[off:]
			w.dgemm(aT, bT, m, hi-lo, k, alpha, a, lda, bb, ldb, beta, c[lo:], ldc)
		} else {
			off := lo * lda
			if aT {
				off = lo
			}
			aa := a[off:]
			w.dgemm(aT, bT, hi-lo, n, k, alpha, aa, lda, b, ldb, beta, c[lo*ldc:], ldc)
		}
		workspaces.Put(w)
	}
	var wg sync.WaitGroup
	for lo := band; lo < long; lo += band {
		wg.Add(1)
		go func(lo int) {
			defer wg.Done()
			run(lo, min(long, lo+band))
		}(lo)
	}
	run(0, min(long, band))
	wg.Wait()
}
