package halfinv

import (
	"runtime"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/higlab/hig/higlib/internal/gemm"
	"github.com/higlab/hig/higlib/internal/par"
)

// Tile sizes of the parallel level-3 updates: each tile of C is one call of
// the serial packed Dgemm of package gemm, and the tiles are spread over the
// two goroutines of the stretch or the par pool (see run). Both are whole numbers of gemm's micro-tiles (gemm.MR×gemm.NR),
// and since gemm computes every element of C the same way in any tile, the
// tiling does not change the result.
const (
	tileRows = 8 * gemm.MR
	tileCols = 24 * gemm.NR
)

// poolState holds the jobs that Solver runs on the par pool or its
// stretch, preallocated so that running them does not allocate.
type poolState struct {
	group    par.Group
	gemmJob  gemmJob
	larfbJob larfbJob
	lqStep   lqStepJob
	copyJob  copyJob
	brdJob   brdJob
	stretch  par.Stretch // the helper for labrd's products and, on two processors, for every job (see run)
	ws       workspaces
}

// run runs job's parts on the Solver's stretch when it holds the helper
// and the machine has two processors, on the calling goroutine when the
// Solver is Serial or par.Crowded reports other work on the processors,
// and on the par pool otherwise. On two processors the pool's one worker
// sleeps between jobs and, on the virtual machines measured, takes a
// hundred microseconds and more to wake, about as long as one step of the
// blocked LQ; the helper of a stretch is already spinning. With more
// processors the pool's workers outnumber the one helper.
func (s *Solver) run(job par.Job, parts int) {
	switch {
	case s.pool.stretch.Active() && par.Workers() == 2:
		s.pool.stretch.DoAny(job, parts)
	case s.Serial || par.Crowded():
		for p := range parts {
			job.Run(p)
		}
	default:
		s.pool.group.Do(job, parts, false)
	}
}

// hold begins the Solver's stretch unless it holds the helper already or
// the Solver is Serial, and reports whether this call took it, so that the
// caller ends it.
func (s *Solver) hold() bool {
	if s.Serial || s.pool.stretch.Held() {
		return false
	}
	s.pool.stretch.Begin()
	return s.pool.stretch.Held()
}

// holdForAll is hold on two processors, where the helper serves every
// parallel part (see run), and does nothing elsewhere.
func (s *Solver) holdForAll() bool {
	return par.Workers() == 2 && s.hold()
}

// workspaces lends gemm's packing buffers to the parts of a job while they
// run. At most par.Workers() parts run at once, so that many buffers
// suffice; they are made on first use and kept, so that a Solver in steady
// state does not allocate.
type workspaces struct {
	busy []atomic.Bool
	ws   []gemm.Workspace
}

// get returns a free workspace and its index for put.
func (w *workspaces) get() (*gemm.Workspace, int) {
	for {
		for i := range w.busy {
			if w.busy[i].CompareAndSwap(false, true) {
				return &w.ws[i], i
			}
		}
		runtime.Gosched() // not reached: at most par.Workers() parts run at once
	}
}

func (w *workspaces) put(i int) { w.busy[i].Store(false) }

// init makes one workspace per pool goroutine, once.
func (w *workspaces) init() {
	if w.ws == nil {
		n := par.Workers()
		w.busy = make([]atomic.Bool, n)
		w.ws = make([]gemm.Workspace, n)
	}
}

// gemmJob is C ← α·op(A)·op(B) + β·C split into tiles of C, one per part.
// Each element of C is computed by the same serial kernel, with the same
// order of operations, whatever the tiling.
type gemmJob struct {
	tA, tB      blas.Transpose
	m, n, k     int
	alpha, beta float64
	a           []float64
	lda         int
	b           []float64
	ldb         int
	c           []float64
	ldc         int
	tilesN      int
	ws          *workspaces
}

func (g *gemmJob) parts() int {
	g.tilesN = (g.n + tileCols - 1) / tileCols
	return ((g.m + tileRows - 1) / tileRows) * g.tilesN
}

func (g *gemmJob) Run(p int) {
	r0 := (p / g.tilesN) * tileRows
	c0 := (p % g.tilesN) * tileCols
	r1, c1 := min(g.m, r0+tileRows), min(g.n, c0+tileCols)
	a := g.a[r0*g.lda:]
	if g.tA == blas.Trans {
		a = g.a[r0:]
	}
	b := g.b[c0:]
	if g.tB == blas.Trans {
		b = g.b[c0*g.ldb:]
	}
	w, i := g.ws.get()
	w.Dgemm(g.tA, g.tB, r1-r0, c1-c0, g.k, g.alpha, a, g.lda, b, g.ldb, g.beta, g.c[r0*g.ldc+c0:], g.ldc)
	g.ws.put(i)
}

// gemm runs a gemmJob on the pool.
func (s *Solver) gemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	s.pool.ws.init()
	g := &s.pool.gemmJob
	*g = gemmJob{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, ws: &s.pool.ws}
	s.run(g, g.parts())
	*g = gemmJob{}
}

// larfbJob applies the block reflector H = I − Vᵀ·T·V of a row-wise,
// forward-stored block of k reflectors from the right, C ← C·H, to the m×n
// matrix C, one block of tileRows rows per part: it is the Right, NoTrans,
// Forward, RowWise case of LAPACK's dlarfb (Schreiber & Van Loan, "A
// storage-efficient WY representation for products of Householder
// transformations", SIAM J. Sci. Stat. Comput. 10 (1989)), written so that
// its products run serially in package gemm (the small triangular ones in
// gonum's Dtrmm). Rows of C are independent, so the result does not depend
// on the split.
type larfbJob struct {
	m, n, k int
	v       []float64 // k×n, unit upper triangular in its first k columns
	ldv     int
	vt      []float64 // Vᵀ explicitly, n×k with stride k (see lqPanel)
	t       []float64 // k×k upper triangular
	ldt     int
	c       []float64
	ldc     int
	work    []float64 // m×k
	rows    int       // rows per part, a multiple of gemm.MR
	ws      *workspaces
}

func (l *larfbJob) parts() int { return (l.m + l.rows - 1) / l.rows }

func (l *larfbJob) Run(p int) {
	bi := blas64.Implementation()
	r0 := p * l.rows
	m := min(l.m, r0+l.rows) - r0
	n, k := l.n, l.k
	c := l.c[r0*l.ldc:]
	w := l.work[r0*k : (r0+m)*k]
	// W = C1·V1ᵀ + C2·V2ᵀ.
	for i := range m {
		copy(w[i*k:(i+1)*k], c[i*l.ldc:i*l.ldc+k])
	}
	bi.Dtrmm(blas.Right, blas.Upper, blas.Trans, blas.Unit, m, k, 1, l.v, l.ldv, w, k)
	gw, gi := l.ws.get()
	if n > k {
		// V2ᵀ read in place from vt: with at most gemm.MC rows per part,
		// gemm then packs nothing, where V2 itself would be packed
		// (transposed) by every part.
		gw.Dgemm(blas.NoTrans, blas.NoTrans, m, k, n-k, 1, c[k:], l.ldc, l.vt[k*k:], k, 1, w, k)
	}
	// W ← W·T.
	bi.Dtrmm(blas.Right, blas.Upper, blas.NoTrans, blas.NonUnit, m, k, 1, l.t, l.ldt, w, k)
	// C2 −= W·V2.
	if n > k {
		gw.Dgemm(blas.NoTrans, blas.NoTrans, m, n-k, k, -1, w, k, l.v[k:], l.ldv, 1, c[k:], l.ldc)
	}
	l.ws.put(gi)
	// C1 −= W·V1.
	bi.Dtrmm(blas.Right, blas.Upper, blas.NoTrans, blas.Unit, m, k, 1, l.v, l.ldv, w, k)
	for i := range m {
		row := c[i*l.ldc : i*l.ldc+k]
		for j, x := range w[i*k : (i+1)*k] {
			row[j] -= x
		}
	}
}

// lqBlock is the panel width of gelqf.
const lqBlock = 32

// gelqf computes the LQ factorisation of the m×n matrix a (m < n) in place,
// as LAPACK's dgelqf does (Golub & Van Loan, Matrix Computations, 4th ed.,
// Sec. 5.2.3, blocked Householder QR applied to Aᵀ): each panel of lqBlock
// rows is factorised by lqPanel, which also forms the triangular factor of
// its block reflector, and the rows below are updated by larfbJob.
//
// The panels are factorised one step ahead: one goroutine applies the
// block reflector of panel p to the rows of panel p+1 and factorises that
// panel, while the pool applies the same reflector to the rows below, in
// parts of gemm.MC rows that the goroutines take as they become free. The
// panels, which are level-2 work, so no longer leave the other core idle,
// and no core waits at a barrier between the two updates. Each row is
// transformed by the same operations as without the look-ahead, so the
// result does not depend on it. The T of every panel stays in s.lqw for
// applyQt. gelqf needs lqWork(m, n) elements of s.lqw. A matrix of at most
// lqBlock rows goes to gonum's Dgelq2 unblocked.
func (s *Solver) gelqf(m, n int, a []float64, tau []float64) {
	k := min(m, n)
	s.pool.ws.init()
	const nb = lqBlock
	// The T of every panel, kept for applyQt, and two Vᵀ: the step that
	// applies panel p's reflector runs while panel p+1 is factorised.
	tws := func(i int) []float64 { return s.lqw[i*nb : i*nb+nb*nb] }
	nt := (m + nb - 1) / nb * nb * nb
	vts := [2][]float64{s.lqw[nt : nt+nb*n], s.lqw[nt+nb*n : nt+2*nb*n]}
	ww := s.lqw[nt+2*nb*n:]
	var i int
	for i = 0; i+nb < k; i += nb {
		tw, vt := tws(i), vts[(i/nb)%2]
		if i == 0 {
			s.lqPanel(nb, n, a, n, tau, tw, vt)
		}
		next := i + nb
		// The block reflector of panel i applied to rows next:end.
		larfb := func(r0, r1 int) larfbJob {
			return larfbJob{m: r1 - r0, n: n - i, k: nb, v: a[i*n+i:], ldv: n, vt: vt, t: tw, ldt: nb,
				c: a[r0*n+i:], ldc: n, work: ww, rows: larfbRows(r1 - r0), ws: &s.pool.ws}
		}
		if next+nb >= k || !lookAhead {
			l := &s.pool.larfbJob
			*l = larfb(next, m)
			s.run(l, l.parts())
			*l = larfbJob{}
			if next+nb < k {
				s.lqPanel(nb, n-next, a[next*n+next:], n, tau[next:], tws(next), vts[(next/nb)%2])
			}
			continue
		}
		st := &s.pool.lqStep
		*st = lqStepJob{s: s, ib: nb, n: n - next, a: a[next*n+next:], lda: n, tau: tau[next:], t: tws(next), vt: vts[(next/nb)%2],
			own: larfb(next, next+nb), larfb: larfb(next+nb, m)}
		st.own.rows = nb
		st.larfb.work = ww[nb*nb:]
		st.larfb.rows = gemm.MC
		s.run(st, 1+st.larfb.parts())
		*st = lqStepJob{}
	}
	if i == 0 {
		// Too few rows to block: gonum's Dgelq2, which Solve's Dorml2
		// matches (and the toy's shapes keep their bits).
		impl.Dgelq2(m-i, n-i, a[i*n+i:], n, tau[i:], ww)
		return
	}
	// The last panel, of at most nb rows, with its T for applyQt.
	s.lqPanel(k-i, n-i, a[i*n+i:], n, tau[i:], s.lqw[i*nb:i*nb+(k-i)*(k-i)], vts[(i/nb)%2])
}

// lookAhead switches gelqf's look-ahead; tests turn it off to check that
// it does not change the result.
var lookAhead = true

// lqStepJob is one look-ahead step of gelqf: part 0 applies the current
// block reflector to the rows of the next panel (own, one part) and
// factorises that panel; parts 1, 2, … apply the reflector to the rows
// below it, gemm.MC rows each, so that the goroutine that finishes part 0
// early or late still finds work or leaves little behind.
type lqStepJob struct {
	s      *Solver
	ib, n  int
	a      []float64
	lda    int
	tau, t []float64
	vt     []float64
	own    larfbJob
	larfb  larfbJob
}

func (j *lqStepJob) Run(p int) {
	if p == 0 {
		j.own.Run(0)
		j.s.lqPanel(j.ib, j.n, j.a, j.lda, j.tau, j.t, j.vt)
		return
	}
	j.larfb.Run(p - 1)
}

// lqWork is the length of workspace that gelqf needs for an m-row matrix.
func lqWork(m, n int) int {
	nt := (m + lqBlock - 1) / lqBlock * lqBlock * lqBlock
	return nt + 2*lqBlock*n + max((m+lqBlock)*lqBlock, m, n)
}

// brdBlock is the panel width of gebrd.
const brdBlock = 32

// gebrd reduces the n×n matrix a to upper bidiagonal form in place, as
// LAPACK's dgebrd does (Golub & Van Loan, Sec. 5.4.8; the blocked panel
// reduction of Dongarra, Sorensen & Hammarling, "Block reduction of matrices
// to condensed forms for eigenvalue computations", J. Comput. Appl. Math. 27
// (1989)): Dlabrd reduces brdBlock rows and columns at a time and returns
// X and Y for the rank-2·brdBlock update A ← A − V·Yᵀ − X·Uᵀ of the rest,
// which runs as one tiled gemm (see run): its operands [V X] and [Yᵀ; U]
// are copied side by side first, so that C is read and written once, with
// twice the work per pass, in one job instead of two. It needs
// brdWork(n) elements of s.brw: X, Y and the two copies.
//
// gebrd also overwrites c (length n) with Q_Bᵀ·c, where Q_B = H_0⋯H_{n−1}
// is the product of its left reflectors: labrd applies each one to c as it
// forms it, while its vector is at hand, and the reflectors of the last,
// unblocked columns are applied at the end.
func (s *Solver) gebrd(n int, a, d, e, tauQ, tauP, c []float64) {
	nb := brdBlock
	var i int
	for i = 0; n-i > 2*nb; i += nb {
		x, y := s.brw[:n*nb], s.brw[n*nb:2*n*nb]
		s.labrd(n-i, n-i, nb, a[i*n+i:], n, d[i:], e[i:], tauQ[i:], tauP[i:], x, nb, y, nb, c[i:])
		// A(i+nb:n, i+nb:n) −= [V X]·[Yᵀ; U], one product of inner
		// dimension 2·nb, with V and U the panel's reflectors in A and Yᵀ
		// read from labrd's transposed copy of Y.
		r, w := n-i-nb, 2*nb
		vx, yu := s.brw[2*n*nb:2*n*nb+r*w], s.brw[4*n*nb:4*n*nb+w*r]
		for k := range r {
			copy(vx[k*w:k*w+nb], a[(i+nb+k)*n+i:(i+nb+k)*n+i+nb])
			copy(vx[k*w+nb:(k+1)*w], x[(nb+k)*nb:(nb+k+1)*nb])
		}
		for k := range nb {
			copy(yu[k*r:(k+1)*r], s.yt[k*(n-i)+nb:(k+1)*(n-i)])
			copy(yu[(nb+k)*r:(nb+k+1)*r], a[(i+k)*n+i+nb:(i+k+1)*n])
		}
		s.gemm(blas.NoTrans, blas.NoTrans, r, r, w, -1, vx, w, yu, r, 1, a[(i+nb)*n+i+nb:], n)
		for j := i; j < i+nb; j++ {
			a[j*n+j] = d[j]
			a[j*n+j+1] = e[j]
		}
	}
	impl.Dgebd2(n-i, n-i, a[i*n+i:], n, d[i:], e[i:], tauQ[i:], tauP[i:], s.brw)
	// The unblocked part's reflectors, H_i first, applied to c as Dormbr
	// would; Dorm2r allocates nothing and never reaches gonum's parallel
	// Dgemm.
	impl.Dorm2r(blas.Left, blas.Trans, n-i, 1, n-i, a[i*n+i:], n, tauQ[i:], c[i:], 1, s.brw)
}

// brdWork is the length of workspace that gebrd needs for an n×n matrix.
func brdWork(n int) int {
	if n > 2*brdBlock {
		return 6 * n * brdBlock
	}
	return n // Dgebd2 alone
}

// larfbRows is the number of rows per part of a larfbJob on m rows.
func larfbRows(m int) int {
	r := (m + larfbParts - 1) / larfbParts
	return max(gemm.MR, (r+gemm.MR-1)/gemm.MR*gemm.MR)
}

const larfbParts = 2
