package halfinv

import (
	"github.com/higlab/hig/internal/num"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	lapackgo "gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/internal/gemm"
)

// Solver computes half-inverse products like Reference, keeping its
// workspaces between calls so that repeated products of the same shape do
// not allocate. The zero value is ready to use. A Solver is not safe for
// concurrent use.
//
// Solver never forms the m×k or k×n singular vector matrices of J. It first
// compresses J to a k×k triangular factor with an orthogonal transformation,
// J = Q·R when m ≥ n (Householder QR) and J = L·Q when m < n (Householder
// LQ), then reduces that factor to bidiagonal form, K = Q_B·B·P_Bᵀ, and
// diagonalises B with implicit-shift QR iterations, B = U_B·Σ·V_Bᵀ. This is
// the R-bidiagonalisation route of Golub & Van Loan, Matrix Computations,
// 4th ed., Sec. 8.6.3 (Chan's method), which LAPACK's dgesvd also takes. Only
// the right singular vectors of the small k×k factor are accumulated
// explicitly; the left ones are applied to the vector g on the fly, so that
// Uᵀ·g costs one pass of the Householder reflectors and the rotations of the
// bidiagonal QR iterations.
//
// The right singular vectors of the bidiagonal factor are not accumulated
// either: the bidiagonal QR iterations record their rotations, and V_B is
// applied to the one filtered coefficient vector by replaying them (see
// bdsqrLog). The blocked LQ and bidiagonal reductions run their level-3
// updates in tiles on a second goroutine: on two processors the spinning
// helper of a par.Stretch, held from the copy of J to the end of the
// bidiagonalisation, elsewhere the persistent worker pool (see run). When
// other processes keep the processors busy, the stretch gives its helper up
// and the Solver works serially for a while (par.Crowded); Serial makes it
// do so always. Their
// panels, adapted from gonum's Dgelq2, Dlarft and Dlabrd (lqPanel, labrd),
// do their matrix-vector work in package gemm's AVX2 kernels: the LQ
// factorises each panel one step ahead, while the other goroutine updates
// the rows below the previous one, and the bidiagonal panel runs each
// column's products in four jobs split between the caller and the helper.
// In steady state Solve allocates nothing for a wide J or a tall one of at
// most 32 columns; a taller J with more columns goes through gonum's
// blocked Dgeqrf, whose parallel Dgemm allocates a little.
type Solver struct {
	// Serial makes Solve do all its work on the calling goroutine. The
	// zero value lets it use a second processor for the blocked LQ and
	// bidiagonalisation of a large J (see above), which on an idle
	// 2-core machine makes it about 1.5 times as fast. Set it when the
	// other processors are busy anyway: when several training runs or
	// other processes share the machine, each then gets a processor's
	// worth of work done without the cost of handing parts between
	// processors. (Without Serial the Solver notices a crowded machine
	// and falls back to serial work for a while by itself, see
	// internal/par; Serial saves it the detection.) The result is the
	// same to the bit either way.
	Serial bool

	m, n int // shape the workspace queries were made for

	a    []float64 // copy of J, overwritten by its QR or LQ factorisation
	tau  []float64 // scalar factors of the QR or LQ reflectors
	k    []float64 // k×k triangular factor, then its bidiagonalisation, then V_kᵀ
	d, e []float64 // diagonal and off-diagonal of the bidiagonal B
	tauQ []float64 // scalar factors of Q_B
	tauP []float64 // scalar factors of P_B
	c    []float64 // Qᵀ·g (tall) or g (wide), then U_kᵀ·… and the filtered coefficients
	y    []float64 // V_k·diag(φ)·U_kᵀ·c, then Qᵀ·[y; 0] for wide J
	s    []float64 // singular values returned to the caller
	work []float64

	log rotLog // right rotations of the bidiagonal QR iterations

	lqw, brw []float64 // workspaces of gelqf and gebrd
	gv, gw   []float64 // contiguous vectors of the parallel products in labrd
	gp       []float64 // their partial sums
	gt       []float64 // short vectors of labrd's small products
	ut, xt   []float64 // labrd's panel of reflectors and X, transposed
	yt       []float64 // and Y, transposed
	gram     []float64 // Gram matrix V·Vᵀ of an LQ panel's reflectors

	pool *poolState // tiled updates on the worker pool; a pointer keeps Solver copyable
}

var impl lapackgo.Implementation

// Solve writes V·diag(φ(σ))·Uᵀ·g into dst, where J = U Σ Vᵀ is m×n, len(g) = m
// and len(dst) = n; φ is Params.Factor. It returns the singular values of J in
// decreasing order, in a slice owned by the Solver that the next call
// overwrites. Solve panics if the lengths do not match J and returns an error,
// leaving dst unchanged, when J has no rows or no columns (ErrEmpty), J or g
// is not finite (ErrNotFinite), the decomposition fails (ErrSVD), or the
// product or the largest singular value overflows (ErrOverflow).
// A zero J gives a zero dst. J is not modified.
//
// When max |Jᵢⱼ| lies outside [2^−458, 2^458] (LAPACK's smlnum and bignum),
// Solve works on 2^e·J with the power of two that brings it just inside,
// as LAPACK's driver routines do, and likewise g by some 2^h; the singular
// values and the product are scaled back at the end by 2^−e and 2^(e·κ−h)
// (see unscale). This keeps full accuracy over the whole float64 range,
// subnormal entries included; a singular value that is subnormal after
// scaling back is returned with the few bits a subnormal holds. Inside the
// range nothing is scaled and the arithmetic is unchanged.
func (s *Solver) Solve(dst []float64, j *mat.Dense, g []float64, p Params) ([]float64, error) {
	m, n := j.Dims()
	checkDims(dst, m, n, g)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if m == 0 || n == 0 {
		return nil, ErrEmpty
	}
	s.reserve(m, n)
	// On two processors the stretch's helper serves every parallel part
	// of the blocked LQ and bidiagonalisation (see run); for a wide J it
	// is woken here, so that it is spinning by the time the LQ needs it,
	// and smallSolve releases it before the bidiagonal QR iterations,
	// which are serial. A tall J is factorised by gonum's Dgeqrf, whose
	// own goroutines the spinning helper would only slow down, so
	// smallSolve takes the helper for the bidiagonalisation alone.
	// Factorisations too small to block (the toy's) never wake it.
	if m < n && m > lqBlock && s.holdForAll() {
		defer s.pool.stretch.End()
	}
	jmax, okJ := s.copyIn(j)
	gmax, okG := maxAbsFiniteVec(g, 0)
	if !okJ || !okG {
		return nil, ErrNotFinite
	}
	ej, eg := scaleExp(jmax), scaleExp(gmax)
	k := min(m, n)
	a := s.a[:m*n]
	scaleBy(a, ej)
	kk := s.k[:k*k]
	c := s.c[:k]
	work := s.work
	if m >= n {
		// J = Q·R; Uᵀ·g = U_Rᵀ·(Qᵀ·g)[:n] and V = V_R.
		impl.Dgeqrf(m, n, a, n, s.tau, work, len(work))
		y := s.y[:m]
		copy(y, g)
		scaleBy(y, eg)
		impl.Dorm2r(blas.Left, blas.Trans, m, 1, n, a, n, s.tau, y, 1, work)
		copy(c, y[:n])
		for i := range n {
			row := kk[i*n : (i+1)*n]
			clear(row[:i])
			copy(row[i:], a[i*n+i:i*n+n])
		}
	} else {
		// J = L·Q with Q the first m rows of an n×n orthogonal matrix;
		// Uᵀ·g = U_Lᵀ·g and V = Qᵀ·V_L.
		s.gelqf(m, n, a, s.tau)
		copy(c, g)
		scaleBy(c, eg)
		for i := range m {
			row := kk[i*m : (i+1)*m]
			copy(row[:i+1], a[i*n:i*n+i+1])
			clear(row[i+1:])
		}
	}
	if !s.smallSolve(k, p) {
		return nil, ErrSVD
	}
	// s.y[:k] now holds V_K·diag(φ)·U_Kᵀ·c.
	if m < n {
		y := s.y[:n]
		clear(y[m:])
		if m > lqBlock {
			s.applyQt(m, n, a, y)
		} else {
			impl.Dorml2(blas.Left, blas.Trans, n, 1, m, a, n, s.tau, y, 1, work)
		}
	}
	if err := unscale(s.y[:n], s.s[:k], ej, eg, p.Kappa); err != nil {
		return nil, err
	}
	if !num.Finite(s.y[:n]) {
		return nil, ErrOverflow
	}
	copy(dst, s.y[:n])
	return s.s[:k], nil
}

// smallSolve computes the SVD K = U_K·Σ·V_Kᵀ of the k×k matrix in s.k, stores
// Σ in s.s and V_K·diag(φ(σ))·U_Kᵀ·c in s.y[:k], where c is s.c[:k].
func (s *Solver) smallSolve(k int, p Params) bool {
	kk := s.k[:k*k]
	c := s.c[:k]
	d, e := s.d[:k], s.e[:max(k-1, 0)]
	work := s.work
	// K = Q_B·B·P_Bᵀ with B upper bidiagonal; Q_B and P_B stay as
	// reflectors, and c ← Q_Bᵀ·c on the way.
	if k > 2*brdBlock {
		s.holdForAll() // unless Solve holds it already; released below
	}
	s.gebrd(k, kk, d, e, s.tauQ, s.tauP, c)
	s.pool.stretch.End() // bdsqrLog is serial
	// B = U_B·Σ·V_Bᵀ; c ← U_Bᵀ·Q_Bᵀ·c = U_Kᵀ·c, and the right rotations
	// that form V_B are logged rather than accumulated.
	if !bdsqrLog(k, d, e, c, &s.log) {
		return false
	}
	sv := s.s[:k]
	copy(sv, d)
	// y ← V_B·diag(φ)·U_Kᵀ·c, then y ← P_B·y = V_K·diag(φ)·U_Kᵀ·c.
	y := s.y[:k]
	for i := range c {
		y[i] = c[i] * p.Factor(sv[i], sv[0])
	}
	s.log.applyP(y)
	if k > lqBlock {
		// P_B = G_0·…·G_{k-2} with G_i stored in row i right of the
		// superdiagonal, as Dormbr(ApplyP) passes it to Dormlq.
		applyRowsT(k-1, kk[1:], k, s.tauP, y[1:])
	} else if k > 1 {
		// The same with gonum's Dorml2, for the small factors that keep
		// their bits from before (the toy's).
		impl.Dorml2(blas.Left, blas.Trans, k-1, 1, k-1, kk[1:], k, s.tauP, y[1:], 1, work)
	}
	return true
}

// reserve sizes the workspaces for an m×n J, querying the optimal LAPACK
// workspace lengths only when the shape changes and reallocating only when a
// buffer is too small.
func (s *Solver) reserve(m, n int) {
	if m == s.m && n == s.n && s.work != nil {
		return
	}
	k := min(m, n)
	s.a = grow(s.a, m*n)
	s.tau = grow(s.tau, k)
	s.k = grow(s.k, k*k)
	s.d = grow(s.d, k)
	s.e = grow(s.e, max(k-1, 0))
	s.tauQ = grow(s.tauQ, k)
	s.tauP = grow(s.tauP, k)
	s.c = grow(s.c, k)
	s.y = grow(s.y, max(m, n))
	s.s = grow(s.s, k)

	var q [1]float64
	lw := max(1, 4*(k-1), m, n)
	query := func(f func(work []float64)) {
		f(q[:])
		lw = max(lw, int(q[0]))
	}
	if m >= n {
		query(func(w []float64) { impl.Dgeqrf(m, n, s.a, n, s.tau, w, -1) })
	} else {
		s.lqw = grow(s.lqw, lqWork(m, n))
	}
	if k > 0 {
		s.brw = grow(s.brw, brdWork(k))
	}
	s.work = grow(s.work, lw)
	if s.pool == nil {
		s.pool = new(poolState)
	}
	s.m, s.n = m, n
}

func grow(x []float64, n int) []float64 {
	if cap(x) < n {
		return make([]float64, n)
	}
	return x[:n]
}

// copyIn copies J into s.a, densely packed with stride n, and returns
// max |J_ij| and whether every element is finite, as maxAbsFinite does. A
// large J is copied in two halves of rows on the second goroutine (see run).
func (s *Solver) copyIn(j *mat.Dense) (jmax float64, ok bool) {
	m, n := j.Dims()
	c := &s.pool.copyJob
	*c = copyJob{raw: j.RawMatrix(), a: s.a[:m*n], parts: 1}
	if m*n >= copyMinParallel {
		c.parts = 2
	}
	s.run(c, c.parts)
	jmax, ok = c.max[0], c.ok[0]
	if c.parts == 2 {
		jmax, ok = max(jmax, c.max[1]), ok && c.ok[1]
	}
	*c = copyJob{}
	return jmax, ok
}

// copyMinParallel is the number of elements of J from which copyIn splits
// its work.
const copyMinParallel = 1 << 18

// copyJob copies rows of J and finds their largest magnitude; see copyIn.
type copyJob struct {
	raw   blas64.General
	a     []float64
	parts int
	max   [2]float64
	ok    [2]bool
}

func (c *copyJob) Run(p int) {
	m, n := c.raw.Rows, c.raw.Cols
	i0, i1 := p*m/c.parts, (p+1)*m/c.parts
	var amax float64
	ok := true
	for i := i0; i < i1 && ok; i++ {
		row := c.raw.Data[i*c.raw.Stride : i*c.raw.Stride+n]
		copy(c.a[i*n:(i+1)*n], row)
		amax, ok = maxAbsFiniteVec(row, amax)
	}
	c.max[p], c.ok[p] = amax, ok
}

// applyQt overwrites y (length n) with Qᵀ·y, where the first m rows of a
// and s.tau hold gelqf's blocked LQ factorisation (m > lqBlock), and
// s.lqw still holds the triangular factor T of each panel's block
// reflector. Q = H_{m−1}⋯H_0, so Qᵀ·y applies H_{m−1} first, as
// Dorml2(Left, Trans) does; here a whole panel of reflectors at a time
// (Golub & Van Loan, Matrix Computations, 4th ed., Sec. 5.1.6): the product
// H_i⋯H_{i+ib−1} of panel i is I − Vᵀ·T·V, so y ← y − Vᵀ·(T·(V·y)), from
// the last panel to the first. With V = [V₁ V₂], V₁ the ib×ib unit upper
// triangle, the long products V₂·y and V₂ᵀ·w run in gemm's kernels. (Split
// over two cores they measured no faster: the helper is asleep by then.)
func (s *Solver) applyQt(m, n int, a, y []float64) {
	const nb = lqBlock
	s.gt = grow(s.gt, 4*(nb+1))
	w, v2y := s.gt[:nb], s.gt[nb+1:2*nb+1]
	for i0 := (m - 1) / nb * nb; i0 >= 0; i0 -= nb {
		ib := min(nb, m-i0)
		t := s.lqw[i0*nb : i0*nb+ib*ib]
		off, cols := i0+ib, n-i0-ib // V₂ is a[i0:i0+ib, off:n]
		// w = V·y = V₁·y₁ + V₂·y₂.
		gemm.GemvN(ib, cols, 1, a[i0*n+off:], n, y[off:n], 0, v2y[:ib])
		for r := range ib {
			sum := y[i0+r] + v2y[r]
			v := a[(i0+r)*n+i0:]
			for c := r + 1; c < ib; c++ {
				sum += v[c] * y[i0+c]
			}
			w[r] = sum
		}
		// w ← T·w, T upper triangular, from the top row down.
		for r := range ib {
			var sum float64
			for c := r; c < ib; c++ {
				sum += t[r*ib+c] * w[c]
			}
			w[r] = sum
		}
		// y₁ −= V₁ᵀ·w, y₂ −= V₂ᵀ·w.
		for c := ib - 1; c >= 0; c-- {
			sum := w[c]
			for r := range c {
				sum += a[(i0+r)*n+i0+c] * w[r]
			}
			y[i0+c] -= sum
		}
		gemm.GemvT(ib, cols, -1, a[i0*n+off:], n, w[:ib], 1, y[off:n])
	}
}

// applyRowsT overwrites y (length m) with H_0·H_1⋯H_{m−1}·y, where H_i =
// I − τ_i·v_i·v_iᵀ and v_i is one at i, zero before it and row i of a
// after it: Dorml2(Left, Trans) for m reflectors of length m and one
// vector, with the products in gemm's kernels instead of Dlarf's
// matrix-vector calls on a one-column matrix.
func applyRowsT(m int, a []float64, lda int, tau, y []float64) {
	one := [1]float64{1}
	for i := m - 1; i >= 0; i-- {
		if tau[i] == 0 {
			continue
		}
		v, yi := a[i*lda+i+1:i*lda+m], y[i+1:m]
		w := tau[i] * (y[i] + gemm.Dot(v, yi))
		y[i] -= w
		gemm.Ger(1, len(v), -w, one[:], v, yi, max(1, len(v)))
	}
}
