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
// product. Three things differ:
//
//   - Every product runs in package gemm's kernels on contiguous vectors:
//     the column of A being reduced and the new columns of X and Y are
//     gathered once, updated in place by all the products that touch them,
//     and written back once, instead of going through strided calls of
//     gonum's Dgemv and Dscal. The panel's reflectors u_k and the columns
//     of X and Y are also kept transposed, so that the products with them
//     run over long rows.
//   - Apart from the two reflectors themselves (larfg), each column's work
//     runs as four jobs (brdJob) on the spinning helper of par.Stretch and
//     the caller, each cut in two: the small products Uᵀ·u and Xᵀ·u; then,
//     by halves of the columns, the new column of Y, which needs the product
//     A(i:m, i+1:n)ᵀ·u with the whole trailing matrix, and the update of
//     row i; then, by halves of the columns again, the partial sums of
//     A(i+1:m, i+1:n)·v and of the small products with v; and by halves
//     of the rows, the new column of X and the update of the next column
//     of A. Small trailing matrices keep one part per job.
//   - Because of that split, the products with v, A(i+1:m, i+1:n)·v and
//     the small ones, are sums of two partial sums, one per half of the
//     columns, when a job has two parts. Everything else is computed
//     element by element as Dlabrd's calls compute it, up to the fused
//     multiply-adds of the kernels, so the results agree with Dlabrd to
//     rounding, not bit for bit. The number of parts depends on the shape
//     only, so which goroutine runs a part never changes a bit.
//
// Norms come from larfg. If c is not nil (length m), each left reflector
// Q_i is applied to it as soon as it is formed, so that on return c holds
// Q_{nb−1}ᵀ⋯Q_0ᵀ·c; this is how gebrd computes Q_Bᵀ·c.
func (s *Solver) labrd(m, n, nb int, a []float64, lda int, d, e, tauQ, tauP, x []float64, ldx int, y []float64, ldy int, c []float64) {
	if m < n {
		panic("halfinv: labrd needs m ≥ n")
	}
	s.gv, s.gw = grow(s.gv, m), grow(s.gw, max(m, n))
	s.gt = grow(s.gt, 4*(nb+1))
	s.gp = grow(s.gp, 2*m+4*(nb+1))
	// Transposed copies of the panel: row k of ut is column k of A from row
	// k down (the vector u_k), row k of xt and yt is column k of X and Y.
	// With them every product with the first i columns of A, X or Y reads
	// i long rows instead of many rows of length i.
	s.ut, s.xt, s.yt = grow(s.ut, nb*m), grow(s.xt, nb*m), grow(s.yt, nb*n)
	j := &s.pool.brdJob
	*j = brdJob{m: m, n: n, a: a, lda: lda, x: x, ldx: ldx, y: y, ldy: ldy,
		ut: s.ut, xt: s.xt, yt: s.yt, col: s.gv, w: s.gw,
		t1: s.gt[:nb+1], t2: s.gt[nb+1 : 2*(nb+1)], ta: s.gt[2*(nb+1) : 3*(nb+1)]}
	j.partial = [2][]float64{s.gp[:m], s.gp[m : 2*m]}
	j.pt1 = [2][]float64{s.gp[2*m : 2*m+nb+1], s.gp[2*m+nb+1 : 2*m+2*(nb+1)]}
	j.pt2 = [2][]float64{s.gp[2*m+2*(nb+1) : 2*m+3*(nb+1)], s.gp[2*m+3*(nb+1) : 2*m+4*(nb+1)]}
	defer func() { *j = brdJob{} }()
	// Unless Solve holds the helper already (on two processors it does,
	// from the LQ to the end of the bidiagonalisation), it spins only
	// while the panel runs, leaving its processor to the pool for the
	// level-3 update that follows.
	if s.hold() {
		defer s.pool.stretch.End()
	}

	// Column 0 of A needs no update before its reflector.
	ca := j.col[:m]
	for r := range ca {
		ca[r] = a[r*lda]
	}
	for i := range nb {
		j.i = i
		ca := j.col[:m-i]
		// The reflector Q_i that zeroes A(i+1:m, i); ca becomes its vector u.
		d[i], tauQ[i] = larfg(m-i, ca[0], ca[1:])
		ca[0] = 1
		if c != nil && tauQ[i] != 0 {
			// c ← Q_iᵀ·c = c − τ·(uᵀc)·u on c[i:m].
			ci := c[i:m]
			w := tauQ[i] * gemm.Dot(ca, ci)
			one := [1]float64{1}
			gemm.Ger(1, len(ci), -w, one[:], ca, ci, len(ci))
		}
		if i == n-1 {
			ca[0] = d[i] // the last column keeps β, as in Dlabrd
		}
		for r, v := range ca {
			a[(i+r)*lda+i] = v
		}
		if i == n-1 {
			continue
		}
		copy(j.ut[i*m+i:(i+1)*m], ca)
		j.tau = tauQ[i]

		// t1 = U(i:m, 0:i)ᵀ·u, t2 = X(i:m, 0:i)ᵀ·u; then Y(i+1:n, i) =
		// τ_Q·(A(i:m, i+1:n)ᵀ·u − Y(i+1:n, 0:i)·t1 − A(0:i, i+1:n)ᵀ·t2) and
		// A(i, i+1:n) −= Y(i+1:n, 0:i+1)·A(i, 0:i+1)ᵀ + A(0:i, i+1:n)ᵀ·X(i, 0:i)ᵀ.
		parts := j.cut(m-i, n-i-1)
		if i > 0 {
			s.brdRun(brdDots, parts)
		}
		s.brdRun(brdY, parts)
		for r, v := range j.t2[:i] {
			y[r*ldy+i] = v // Dlabrd leaves this scratch here too
		}

		// The reflector P_i that zeroes A(i, i+2:n); row becomes its vector v.
		row := a[i*lda+i+1 : i*lda+n]
		e[i], tauP[i] = larfg(n-i-1, row[0], row[1:])
		row[0] = 1
		j.tau = tauP[i]

		// X(i+1:m, i) = τ_P·(A(i+1:m, i+1:n)·v − A(i+1:m, 0:i+1)·(Y(i+1:n, 0:i+1)ᵀ·v)
		//                   − X(i+1:m, 0:i)·(A(0:i, i+1:n)·v)),
		// then the next column of A, A(i+1:m, i+1) −= A(i+1:m, 0:i+1)·Y(i+1, 0:i+1)ᵀ
		// + X(i+1:m, 0:i+1)·A(0:i+1, i+1).
		j.parts = j.cut(m-i-1, n-i-1)
		s.brdRun(brdXSums, j.parts)
		t1, t2 := j.t1[:i+1], j.t2[:i]
		copy(t1, j.pt1[0][:i+1])
		copy(t2, j.pt2[0][:i])
		if j.parts == 2 {
			for k := range t1 {
				t1[k] += j.pt1[1][k]
			}
			for k := range t2 {
				t2[k] += j.pt2[1][k]
			}
		}
		j.next = i+1 < nb
		if j.next {
			for r := range i + 1 {
				j.ta[r] = a[r*lda+i+1]
			}
		}
		s.brdRun(brdX, j.parts)
		x[i*ldx+i] = t1[i] // Dlabrd's scratch, as above
		for r, v := range t2 {
			x[r*ldx+i] = v
		}
	}
}

// The phases of one column of labrd, run by brdJob.
const (
	brdDots  = iota // t1 = Uᵀ·u (part 0), t2 = Xᵀ·u (part 1)
	brdY            // a new column of Y and the update of row i, by columns
	brdXSums        // partial sums of A·v, Yᵀ·v and A(0:i, :)·v, by columns
	brdX            // a new column of X and the next column of A, by rows
)

// brdJob is one phase of one column of labrd (see there), in parts that
// write disjoint parts of its outputs; brdRun runs it.
type brdJob struct {
	phase, parts int
	i            int
	m, n         int
	a            []float64
	lda          int
	x            []float64
	ldx          int
	y            []float64
	ldy          int
	ut, xt, yt   []float64
	col, w       []float64 // the column of A being reduced, and Y's or X's new column
	t1, t2, ta   []float64 // short vectors; ta is A(0:i+1, i+1)
	partial      [2][]float64
	pt1, pt2     [2][]float64
	tau          float64
	next         bool // brdX also updates the next column of A
}

// cut returns the number of parts for a phase whose trailing matrix is
// r×c: two when the product with it repays the hand-off to the helper.
func (j *brdJob) cut(r, c int) int {
	if r*c >= gemvMinParallel {
		return 2
	}
	return 1
}

// brdRun runs phase ph of s.pool.brdJob in parts parts on the stretch.
func (s *Solver) brdRun(ph, parts int) {
	j := &s.pool.brdJob
	j.phase, j.parts = ph, parts
	s.pool.stretch.Do(j, parts)
}

func (j *brdJob) Run(p int) {
	i, m, n := j.i, j.m, j.n
	a, lda := j.a, j.lda
	u := j.col[:m-i]
	switch j.phase {
	case brdDots:
		if p == 0 {
			gemm.GemvN(i, m-i, 1, j.ut[i:], m, u, 0, j.t1[:i])
		}
		if p == 1 || j.parts == 1 {
			gemm.GemvN(i, m-i, 1, j.xt[i:], m, u, 0, j.t2[:i])
		}
	case brdY:
		c0, c1 := split(n-i-1, j.parts, p)
		if c0 == c1 {
			return
		}
		wy := j.w[c0:c1]
		gemm.GemvT(m-i, c1-c0, 1, a[i*lda+i+1+c0:], lda, u, 0, wy)
		if i > 0 {
			gemm.GemvT(i, c1-c0, -1, j.yt[i+1+c0:], n, j.t1[:i], 1, wy)
			gemm.GemvT(i, c1-c0, -1, a[i+1+c0:], lda, j.t2[:i], 1, wy)
		}
		yrow := j.yt[i*n+i+1+c0 : i*n+i+1+c1]
		for k, v := range wy {
			v *= j.tau
			yrow[k] = v
			j.y[(i+1+c0+k)*j.ldy+i] = v
		}
		row := a[i*lda+i+1+c0 : i*lda+i+1+c1]
		gemm.GemvT(i+1, c1-c0, -1, j.yt[i+1+c0:], n, a[i*lda:i*lda+i+1], 1, row)
		gemm.GemvT(i, c1-c0, -1, a[i+1+c0:], lda, j.x[i*j.ldx:i*j.ldx+i], 1, row)
	case brdXSums:
		c0, c1 := split(n-i-1, j.parts, p)
		v := a[i*lda+i+1+c0 : i*lda+i+1+c1]
		gemm.GemvN(m-i-1, c1-c0, 1, a[(i+1)*lda+i+1+c0:], lda, v, 0, j.partial[p][:m-i-1])
		gemm.GemvN(i+1, c1-c0, 1, j.yt[i+1+c0:], n, v, 0, j.pt1[p][:i+1])
		gemm.GemvN(i, c1-c0, 1, a[i+1+c0:], lda, v, 0, j.pt2[p][:i])
	case brdX:
		r0, r1 := split(m-i-1, j.parts, p)
		if r0 == r1 {
			return
		}
		wx := j.w[r0:r1]
		copy(wx, j.partial[0][r0:r1])
		if j.parts == 2 {
			for k, v := range j.partial[1][r0:r1] {
				wx[k] += v
			}
		}
		gemm.GemvT(i+1, r1-r0, -1, j.ut[i+1+r0:], m, j.t1[:i+1], 1, wx)
		gemm.GemvT(i, r1-r0, -1, j.xt[i+1+r0:], m, j.t2[:i], 1, wx)
		xrow := j.xt[i*m+i+1+r0 : i*m+i+1+r1]
		for k, v := range wx {
			v *= j.tau
			xrow[k] = v
			j.x[(i+1+r0+k)*j.ldx+i] = v
		}
		if !j.next {
			return
		}
		// Rows r0:r1 of the next column, A(i+1:m, i+1), into col, which
		// then starts at row i+1; col's rows 0:i are no longer read.
		ca := j.col[r0:r1]
		for k := range ca {
			ca[k] = a[(i+1+r0+k)*lda+i+1]
		}
		gemm.GemvT(i+1, r1-r0, -1, j.ut[i+1+r0:], m, j.y[(i+1)*j.ldy:(i+1)*j.ldy+i+1], 1, ca)
		gemm.GemvT(i+1, r1-r0, -1, j.xt[i+1+r0:], m, j.ta[:i+1], 1, ca)
	}
}

// gemvMinParallel is the number of elements of a trailing matrix from
// which labrd's jobs are cut in two for the helper of par.Stretch; below it
// the hand-off costs more than it saves.
const gemvMinParallel = 96 * 96

// split returns part p of n items cut into parts pieces whose boundaries are
// multiples of four, so that each piece starts on the kernels' vector width.
func split(n, parts, p int) (lo, hi int) {
	per := (n + parts - 1) / parts
	per = (per + 3) &^ 3
	return min(n, p*per), min(n, (p+1)*per)
}
