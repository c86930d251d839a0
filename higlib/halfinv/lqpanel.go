// This file adapts Dgelq2 and Dlarft from gonum.org/v1/gonum/lapack/gonum
// (v0.17.0), Copyright ©2015 The Gonum Authors. All rights reserved. It is
// distributed under Gonum's BSD-style licence, whose full text, conditions
// and disclaimer are in LICENSE.gonum beside this file.

package halfinv

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/higlab/hig/higlib/internal/gemm"
)

// lqPanel computes the LQ factorisation of the ib×n panel a (ib ≤ n) in
// place, as gonum's Dgelq2 does, and the upper triangular factor T (ib×ib,
// stride ib) of its block reflector H = I − Vᵀ·T·V, as Dlarft(Forward,
// RowWise) does (Golub & Van Loan, Matrix Computations, 4th ed., Sec. 5.1.6
// and 5.2.3).
//
// Each reflector is applied to the rows below it with a matrix-vector
// product and a rank-one update in package gemm's AVX2 kernels, and the
// norms come from gemm.Dot (see larfg). lqPanel runs on the calling
// goroutine: gelqf overlaps it with the level-3 update of the rows below
// the panel. It also writes Vᵀ explicitly into vt (n×ib, stride ib), for
// larfbJob and for T, which is built from the Gram matrix V·Vᵀ, one gemm,
// rather than from ib matrix-vector products: T_ii = τ_i and
// T(0:i, i) = −τ_i·T(0:i, 0:i)·(V·Vᵀ)(0:i, i).
func (s *Solver) lqPanel(ib, n int, a []float64, lda int, tau, t, vt []float64) {
	s.gw = grow(s.gw, ib)
	w := s.gw
	for i := range ib {
		a[i*lda+i], tau[i] = larfg(n-i, a[i*lda+i], a[i*lda+min(i+1, n-1):])
		if i == ib-1 || tau[i] == 0 {
			continue
		}
		aii := a[i*lda+i]
		a[i*lda+i] = 1
		v := a[i*lda+i : i*lda+n]
		rows := ib - i - 1
		c := a[(i+1)*lda+i:]
		// C ← C·(I − τ·v·vᵀ) = C − τ·(C·v)·vᵀ.
		gemm.GemvN(rows, n-i, 1, c, lda, v, 0, w[:rows])
		gemm.Ger(rows, n-i, -tau[i], w[:rows], v, c, lda)
		a[i*lda+i] = aii
	}

	// Vᵀ explicitly, n×ib: column r is zero above row r, one at r, and the
	// stored reflector below it. larfbJob reads it in place.
	vt = vt[:n*ib]
	for j := range ib {
		row := vt[j*ib : (j+1)*ib]
		for r := range j {
			row[r] = a[r*lda+j]
		}
		row[j] = 1
		clear(row[j+1:])
	}
	// Below the triangle, four rows of Vᵀ at a time from four columns of
	// each row of V.
	j := ib
	for ; j+4 <= n; j += 4 {
		r0, r1, r2, r3 := vt[j*ib:(j+1)*ib], vt[(j+1)*ib:(j+2)*ib], vt[(j+2)*ib:(j+3)*ib], vt[(j+3)*ib:(j+4)*ib]
		for r := range ib {
			src := a[r*lda+j : r*lda+j+4]
			r0[r], r1[r], r2[r], r3[r] = src[0], src[1], src[2], src[3]
		}
	}
	for ; j < n; j++ {
		row := vt[j*ib : (j+1)*ib]
		for r := range ib {
			row[r] = a[r*lda+j]
		}
	}
	// G = V·Vᵀ, of which T needs the part above the diagonal: rows 0:h in
	// full and the block (h:ib, h:ib). V is read in place from the panel,
	// whose leading ib×ib block holds L on and below the diagonal: that
	// part is swapped for V's zeros and ones while the products run, so
	// that, with vt, gemm packs neither operand.
	s.gram = grow(s.gram, 2*ib*ib)
	g, saved := s.gram[:ib*ib], s.gram[ib*ib:]
	for r := range ib {
		row := a[r*lda : r*lda+r+1]
		copy(saved[r*ib:], row)
		clear(row[:r])
		row[r] = 1
	}
	s.pool.ws.init()
	gw, gi := s.pool.ws.get()
	h := ib / 2
	gw.Dgemm(blas.NoTrans, blas.NoTrans, h, ib, n, 1, a, lda, vt, ib, 0, g, ib)
	gw.Dgemm(blas.NoTrans, blas.NoTrans, ib-h, ib-h, n, 1, a[h*lda:], lda, vt[h:], ib, 0, g[h*ib+h:], ib)
	s.pool.ws.put(gi)
	for r := range ib {
		copy(a[r*lda:r*lda+r+1], saved[r*ib:r*ib+r+1])
	}
	for i := range ib {
		t[i*ib+i] = tau[i]
		// z = (V·Vᵀ)(0:i, i), then T(0:i, i) = −τ_i·T(0:i, 0:i)·z, with T
		// upper triangular, row by row from the top.
		for r := range i {
			var sum float64
			for c := r; c < i; c++ {
				sum += t[r*ib+c] * g[c*ib+i]
			}
			t[r*ib+i] = -tau[i] * sum
		}
		for r := i + 1; r < ib; r++ {
			t[r*ib+i] = 0
		}
	}
}

// larfg is gonum's Dlarfg for a contiguous x (incX = 1): it generates the
// elementary reflector H with H·(α, x) = (β, 0), returning β and τ and
// overwriting x with the reflector's vector v. The only change is the norm
// of x: gonum's Dnrm2 scales every element to avoid overflow, which made it
// the largest cost of an LQ panel; here ‖x‖ is √(x·x) from gemm.Dot when
// that sum of squares lies in [2⁻⁶⁰⁰, ∞), where neither overflow nor
// underflow can harm it, and Dnrm2 otherwise.
func larfg(n int, alpha float64, x []float64) (beta, tau float64) {
	if n <= 1 {
		return alpha, 0
	}
	x = x[:n-1]
	xnorm := nrm2(x)
	if xnorm == 0 {
		return alpha, 0
	}
	bi := blas64.Implementation()
	beta = -math.Copysign(impl.Dlapy2(alpha, xnorm), alpha)
	safmin := dlamchS / dlamchE
	knt := 0
	if math.Abs(beta) < safmin {
		rsafmn := 1 / safmin
		for {
			knt++
			bi.Dscal(n-1, rsafmn, x, 1)
			beta *= rsafmn
			alpha *= rsafmn
			if math.Abs(beta) >= safmin {
				break
			}
		}
		xnorm = nrm2(x)
		beta = -math.Copysign(impl.Dlapy2(alpha, xnorm), alpha)
	}
	tau = (beta - alpha) / beta
	bi.Dscal(n-1, 1/(alpha-beta), x, 1)
	for range knt {
		beta *= safmin
	}
	return beta, tau
}

// nrm2 is the Euclidean norm of x; see larfg.
func nrm2(x []float64) float64 {
	if s := gemm.Dot(x, x); s >= 0x1p-600 && s <= math.MaxFloat64 {
		return math.Sqrt(s)
	}
	return blas64.Implementation().Dnrm2(len(x), x, 1)
}
