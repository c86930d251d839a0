// This file adapts Dlabrd from gonum.org/v1/gonum/lapack/gonum (v0.17.0),
// Copyright ©2015 The Gonum Authors. All rights reserved. It is distributed
// under Gonum's BSD-style licence, whose full text, conditions and
// disclaimer are in LICENSE.gonum beside this file.

package halfinv

import (
	"github.com/higlab/hig/higlib/internal/gemm"
)

// labrd reduces the first nb rows and columns of the m×n matrix a (m ≥ n)
// to upper bidiagonal form and returns the matrices X (m×nb) and Y (n×nb)
// of the update A ← A − V·Yᵀ − X·Uᵀ of the rest, as gonum's Dlabrd does for
// m ≥ n (the panel of LAPACK's dgebrd; Dongarra, Sorensen & Hammarling,
// J. Comput. Appl. Math. 27 (1989)), step for step and product for
// product. Two things differ:
//
//   - Every product runs in package gemm's kernels on contiguous vectors:
//     the column of A being reduced and the new columns of X and Y are
//     gathered once, updated in place by all the products that touch them,
//     and written back once, instead of going through strided calls of
//     gonum's Dgemv and Dscal, which were half of the panel's time. The
//     panel's reflectors u_k and the columns of X and Y are also kept
//     transposed, so that the products with them run over long rows.
//   - The two products with the whole trailing matrix, y ← A(i:m, i+1:n)ᵀ·u
//     and x ← A(i+1:m, i+1:n)·v, about a third of the work, are split in
//     two by columns across the spinning helper of par.Stretch (see gemv).
//
// Norms come from larfg. The results agree with Dlabrd to rounding, not
// bit for bit, because the kernels fuse multiply and add.
func (s *Solver) labrd(m, n, nb int, a []float64, lda int, d, e, tauQ, tauP, x []float64, ldx int, y []float64, ldy int) {
	if m < n {
		panic("halfinv: labrd needs m ≥ n")
	}
	s.gv, s.gw = grow(s.gv, m), grow(s.gw, m)
	s.gt = grow(s.gt, 2*(nb+1))
	// Transposed copies of the panel: row k of ut is column k of A from row
	// k down (the vector u_k), row k of xt and yt is column k of X and Y.
	// With them every product with the first i columns of A, X or Y reads
	// i long rows instead of many rows of length i.
	s.ut, s.xt, s.yt = grow(s.ut, nb*m), grow(s.xt, nb*m), grow(s.yt, nb*n)
	ut, xt, yt := s.ut, s.xt, s.yt
	col, w := s.gv, s.gw
	t1, t2 := s.gt[:nb+1], s.gt[nb+1:]
	// The helper spins only while the panel runs, so that it leaves its
	// processor to the pool for the level-3 update that follows.
	s.pool.stretch.Begin()
	defer s.pool.stretch.End()
	for i := range nb {
		// A(i:m, i) −= A(i:m, 0:i)·Y(i, 0:i)ᵀ + X(i:m, 0:i)·A(0:i, i).
		ca := col[:m-i]
		for r := range ca {
			ca[r] = a[(i+r)*lda+i]
		}
		for r := range i {
			t1[r] = a[r*lda+i]
		}
		gemm.GemvT(i, m-i, -1, ut[i:], m, y[i*ldy:i*ldy+i], 1, ca)
		gemm.GemvT(i, m-i, -1, xt[i:], m, t1[:i], 1, ca)
		// The reflector Q_i that zeroes A(i+1:m, i); ca becomes its vector u.
		d[i], tauQ[i] = larfg(m-i, ca[0], ca[1:])
		ca[0] = 1
		if i == n-1 {
			ca[0] = d[i] // the last column keeps β, as in Dlabrd
		}
		for r, v := range ca {
			a[(i+r)*lda+i] = v
		}
		if i == n-1 {
			continue
		}
		copy(ut[i*m+i:(i+1)*m], ca)

		// Y(i+1:n, i) = τ_Q·(A(i:m, i+1:n)ᵀ·u − Y(i+1:n, 0:i)·(A(i:m, 0:i)ᵀ·u)
		//                   − A(0:i, i+1:n)ᵀ·(X(i:m, 0:i)ᵀ·u)).
		wy := w[:n-i-1]
		s.gemv(true, m-i, n-i-1, a[i*lda+i+1:], lda, ca, wy)
		gemm.GemvN(i, m-i, 1, ut[i:], m, ca, 0, t1[:i])
		gemm.GemvT(i, n-i-1, -1, yt[i+1:], n, t1[:i], 1, wy)
		gemm.GemvN(i, m-i, 1, xt[i:], m, ca, 0, t2[:i])
		gemm.GemvT(i, n-i-1, -1, a[i+1:], lda, t2[:i], 1, wy)
		yrow := yt[i*n+i+1 : (i+1)*n]
		for j, v := range wy {
			v *= tauQ[i]
			yrow[j] = v
			y[(i+1+j)*ldy+i] = v
		}
		for r, v := range t2[:i] {
			y[r*ldy+i] = v // Dlabrd leaves this scratch here too
		}

		// A(i, i+1:n) −= Y(i+1:n, 0:i+1)·A(i, 0:i+1)ᵀ + A(0:i, i+1:n)ᵀ·X(i, 0:i)ᵀ.
		row := a[i*lda+i+1 : i*lda+n]
		gemm.GemvT(i+1, n-i-1, -1, yt[i+1:], n, a[i*lda:i*lda+i+1], 1, row)
		gemm.GemvT(i, n-i-1, -1, a[i+1:], lda, x[i*ldx:i*ldx+i], 1, row)
		// The reflector P_i that zeroes A(i, i+2:n); row becomes its vector v.
		e[i], tauP[i] = larfg(n-i-1, row[0], row[1:])
		row[0] = 1

		// X(i+1:m, i) = τ_P·(A(i+1:m, i+1:n)·v − A(i+1:m, 0:i+1)·(Y(i+1:n, 0:i+1)ᵀ·v)
		//                   − X(i+1:m, 0:i)·(A(0:i, i+1:n)·v)).
		wx := w[:m-i-1]
		s.gemv(false, m-i-1, n-i-1, a[(i+1)*lda+i+1:], lda, row, wx)
		gemm.GemvN(i+1, n-i-1, 1, yt[i+1:], n, row, 0, t1[:i+1])
		gemm.GemvT(i+1, m-i-1, -1, ut[i+1:], m, t1[:i+1], 1, wx)
		gemm.GemvN(i, n-i-1, 1, a[i+1:], lda, row, 0, t2[:i])
		gemm.GemvT(i, m-i-1, -1, xt[i+1:], m, t2[:i], 1, wx)
		xrow := xt[i*m+i+1 : (i+1)*m]
		for r, v := range wx {
			v *= tauP[i]
			xrow[r] = v
			x[(i+1+r)*ldx+i] = v
		}
		x[i*ldx+i] = t1[i] // Dlabrd's scratch, as above
		for r, v := range t2[:i] {
			x[r*ldx+i] = v
		}
	}
}

// gemvMinParallel is the number of matrix elements from which gemv splits
// a product with the helper of par.Stretch; below it the hand-off costs
// more than it saves.
const gemvMinParallel = 96 * 96

// gemvJob is y ← A·x (trans false) or y ← Aᵀ·x (trans true) for the m×n
// matrix A in two parts, each over half of A's columns, so that each
// goroutine reads the same half of a trailing matrix from product to
// product. For Aᵀ·x each part writes its half of y, computed by gemm.GemvT
// as one call would; for A·x each part writes a partial sum over its
// columns, and gemv adds the two. Which goroutine runs a part does not
// change the result.
type gemvJob struct {
	trans bool
	m, n  int
	a     []float64
	lda   int
	x, y  []float64

	partial []float64 // 2×m partial sums of A·x
}

func (g *gemvJob) Run(p int) {
	j0, j1 := split(g.n, 2, p)
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

// gemv computes y = A·x or Aᵀ·x for the m×n matrix a, in two parts with
// the helper of the current par.Stretch when it is large enough (serially
// when no stretch holds the helper), in one gemm call otherwise.
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
	*g = gemvJob{trans: trans, m: m, n: n, a: a, lda: lda, x: x, y: y, partial: s.gp[:2*m]}
	s.pool.stretch.Do(g, 2)
	if !trans {
		for i := range y[:m] {
			y[i] = g.partial[i] + g.partial[m+i]
		}
	}
	*g = gemvJob{}
}
