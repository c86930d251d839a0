// This file adapts Dlabrd from gonum.org/v1/gonum/lapack/gonum (v0.17.0),
// Copyright ©2015 The Gonum Authors. All rights reserved. It is distributed
// under Gonum's BSD-style licence, whose full text, conditions and
// disclaimer are in LICENSE.gonum beside this file.

package halfinv

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/higlab/hig/higlib/internal/gemm"
)

// labrd reduces the first nb rows and columns of the m×n matrix a (m ≥ n)
// to upper bidiagonal form and returns the matrices X (m×nb) and Y (n×nb)
// of the update A ← A − V·Yᵀ − X·Uᵀ of the rest, exactly as gonum's Dlabrd
// does for m ≥ n (the panel of LAPACK's dgebrd; Dongarra, Sorensen &
// Hammarling, J. Comput. Appl. Math. 27 (1989)). It is that routine with
// one change: the two products with the whole trailing matrix, which carry
// about two thirds of its time, y ← A(i:m, i+1:n)ᵀ·u and
// x ← A(i+1:m, i+1:n)·v, run as gemvJobs on the pool with the AVX2 kernels
// of package gemm, on contiguous copies of u and of the result. The
// other products involve at most nb columns and stay with gonum's Dgemv.
func (s *Solver) labrd(m, n, nb int, a []float64, lda int, d, e, tauQ, tauP, x []float64, ldx int, y []float64, ldy int) {
	if m < n {
		panic("halfinv: labrd needs m ≥ n")
	}
	bi := blas64.Implementation()
	s.gv, s.gw, s.gp = grow(s.gv, m), grow(s.gw, m), grow(s.gp, 2*m)
	u, w := s.gv, s.gw
	// The helper spins only while the panel runs, so that it leaves its
	// processor to the pool for the level-3 update that follows.
	s.pool.stretch.Begin()
	defer s.pool.stretch.End()
	for i := range nb {
		bi.Dgemv(blas.NoTrans, m-i, i, -1, a[i*lda:], lda, y[i*ldy:], 1, 1, a[i*lda+i:], lda)
		bi.Dgemv(blas.NoTrans, m-i, i, -1, x[i*ldx:], ldx, a[i:], lda, 1, a[i*lda+i:], lda)

		a[i*lda+i], tauQ[i] = impl.Dlarfg(m-i, a[i*lda+i], a[min(i+1, m-1)*lda+i:], lda)
		d[i] = a[i*lda+i]
		if i == n-1 {
			continue
		}
		a[i*lda+i] = 1
		// y(i+1:n, i) = A(i:m, i+1:n)ᵀ·A(i:m, i).
		for r := range m - i {
			u[r] = a[(i+r)*lda+i]
		}
		s.gemv(true, m-i, n-i-1, a[i*lda+i+1:], lda, u[:m-i], w[:n-i-1])
		for j, v := range w[:n-i-1] {
			y[(i+1+j)*ldy+i] = v
		}
		bi.Dgemv(blas.Trans, m-i, i, 1, a[i*lda:], lda, a[i*lda+i:], lda, 0, y[i:], ldy)
		bi.Dgemv(blas.NoTrans, n-i-1, i, -1, y[(i+1)*ldy:], ldy, y[i:], ldy, 1, y[(i+1)*ldy+i:], ldy)
		bi.Dgemv(blas.Trans, m-i, i, 1, x[i*ldx:], ldx, a[i*lda+i:], lda, 0, y[i:], ldy)
		bi.Dgemv(blas.Trans, i, n-i-1, -1, a[i+1:], lda, y[i:], ldy, 1, y[(i+1)*ldy+i:], ldy)
		bi.Dscal(n-i-1, tauQ[i], y[(i+1)*ldy+i:], ldy)

		bi.Dgemv(blas.NoTrans, n-i-1, i+1, -1, y[(i+1)*ldy:], ldy, a[i*lda:], 1, 1, a[i*lda+i+1:], 1)
		bi.Dgemv(blas.Trans, i, n-i-1, -1, a[i+1:], lda, x[i*ldx:], 1, 1, a[i*lda+i+1:], 1)

		a[i*lda+i+1], tauP[i] = larfg(n-i-1, a[i*lda+i+1], a[i*lda+min(i+2, n-1):])
		e[i] = a[i*lda+i+1]
		a[i*lda+i+1] = 1

		// x(i+1:m, i) = A(i+1:m, i+1:n)·A(i, i+1:n)ᵀ.
		s.gemv(false, m-i-1, n-i-1, a[(i+1)*lda+i+1:], lda, a[i*lda+i+1:i*lda+n], w[:m-i-1])
		for r, v := range w[:m-i-1] {
			x[(i+1+r)*ldx+i] = v
		}
		bi.Dgemv(blas.Trans, n-i-1, i+1, 1, y[(i+1)*ldy:], ldy, a[i*lda+i+1:], 1, 0, x[i:], ldx)
		bi.Dgemv(blas.NoTrans, m-i-1, i+1, -1, a[(i+1)*lda:], lda, x[i:], ldx, 1, x[(i+1)*ldx+i:], ldx)
		bi.Dgemv(blas.NoTrans, i, n-i-1, 1, a[i+1:], lda, a[i*lda+i+1:], 1, 0, x[i:], ldx)
		bi.Dgemv(blas.NoTrans, m-i-1, i, -1, x[(i+1)*ldx:], ldx, x[i:], ldx, 1, x[(i+1)*ldx+i:], ldx)
		bi.Dscal(m-i-1, tauP[i], x[(i+1)*ldx+i:], ldx)
	}
}

// gemvMinParallel is the number of matrix elements from which a gemvJob is
// split across the pool; below it, waking the other goroutines costs more
// than it saves.
const gemvMinParallel = 96 * 96

// gemvJob is y ← A·x (trans false) or y ← Aᵀ·x (trans true) for the m×n
// matrix A, split by rows of A for A·x and by columns for Aᵀ·x. Each element
// of y is computed by gemm.GemvN or gemm.GemvT in the same way whatever the
// split, so the result does not depend on the number of parts.
type gemvJob struct {
	trans bool
	m, n  int
	a     []float64
	lda   int
	x, y  []float64
	parts int

	partial []float64 // parts×m partial sums of A·x
}

func (g *gemvJob) Run(p int) {
	j0, j1 := split(g.n, g.parts, p)
	if g.trans {
		gemm.GemvT(g.m, j1-j0, 1, g.a[j0:], g.lda, g.x, 0, g.y[j0:j1])
		return
	}
	// Part p's share of A·x, over its columns, goes to row p of partial.
	gemm.GemvN(g.m, j1-j0, 1, g.a[j0:], g.lda, g.x[j0:j1], 0, g.partial[p*g.m:(p+1)*g.m])
}

// split returns part p of n items cut into parts pieces whose boundaries are
// multiples of four, so that each piece starts on the kernels' vector width.
func split(n, parts, p int) (lo, hi int) {
	per := (n + parts - 1) / parts
	per = (per + 3) &^ 3
	return min(n, p*per), min(n, (p+1)*per)
}

// gemv computes y = A·x or Aᵀ·x for the m×n matrix a, on the pool when it
// is large enough.
func (s *Solver) gemv(trans bool, m, n int, a []float64, lda int, x, y []float64) {
	if m == 0 || n == 0 {
		clear(y)
		return
	}
	if m*n < gemvMinParallel {
		if trans {
			gemm.GemvT(m, n, 1, a, lda, x, 0, y)
		} else {
			gemm.GemvN(m, n, 1, a, lda, x, 0, y)
		}
		return
	}
	s.gp = grow(s.gp, 2*m)
	g := &s.pool.gemvJob
	*g = gemvJob{trans: trans, m: m, n: n, a: a, lda: lda, x: x, y: y, parts: 2, partial: s.gp[:2*m]}
	s.pool.stretch.Do(g, g.parts)
	if !trans {
		for i := range y[:m] {
			y[i] = g.partial[i] + g.partial[m+i]
		}
	}
	*g = gemvJob{}
}
