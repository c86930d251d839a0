// Package gemm is a cache-blocked, packed matrix-matrix product
//
//	C ← α·op(A)·op(B) + β·C,   op(X) = X or Xᵀ,
//
// on row-major float64 matrices with the argument conventions of gonum's
// blas.Float64 Dgemm. It follows the GotoBLAS/BLIS design (Goto & van de
// Geijn, "Anatomy of high-performance matrix multiplication", ACM TOMS 34(3),
// 2008; Van Zee & van de Geijn, "BLIS: A framework for rapidly instantiating
// BLAS functionality", ACM TOMS 41(3), 2015): for each block of NC columns of
// C and KC steps of the inner dimension, the KC×NC block of op(B) is packed
// into panels of NR columns; for each block of MC rows, the MC×KC block of
// op(A) is packed into panels of MR rows; an MR×NR micro-kernel then updates
// each MR×NR tile of C from one A panel and one B panel, so that the panels
// stream from the L1/L2 caches. When a panel would be used only a few times
// (C with at most 64 columns for A, at most MC rows for B), an untransposed
// operand is read in place instead. On amd64 CPUs with AVX2 and FMA the
// micro-kernel is Go assembly that keeps the 6×8 tile in twelve 256-bit
// registers; on processors that execute AVX-512 at full width (ChooseKernel
// decides from what CPUID reports) a second kernel computes two adjacent
// tiles at once in twelve 512-bit registers, with the same operations on
// every element. Elsewhere a pure-Go kernel does the same sums with
// math.FMA, fused multiply-adds in the same order, so that all give the
// same bits.
//
// Every element of C is computed by the same sequence of operations whatever
// tile it falls in: for each KC block in turn, the sum Σ_p a_ip·b_pj over the
// block is accumulated from zero in order of p with fused multiply-adds,
// and then combined as fma(α, sum, β·c_ij) (β = 1 after the first block). The result therefore does not
// depend on how C is split between goroutines, which makes the parallel
// Dgemm of Implementation deterministic.
//
// The package also holds the level-2 kernels of the solver's panels:
// GemvN (y ← α·A·x + β·y), GemvT (y ← α·Aᵀ·x + β·y), Ger (A ← A + α·x·yᵀ)
// and Dot, in AVX2/FMA assembly with pure-Go twins that use math.FMA in
// the same order, so that, as for Dgemm's kernels, the two give the same
// bits (see gemv.go).
package gemm

import (
	"math"

	"gonum.org/v1/gonum/blas"
)

// Blocking parameters. MR×NR is the register tile of the micro-kernel; an
// MC×KC packed block of A (144 KiB) is meant to stay in L2, a KC×NR panel of
// B (16 KiB) in L1, and the KC×NC packed block of B in L3.
const (
	MR = 6
	NR = 8
	MC = 72
	KC = 256
	NC = 2048
)

// Workspace holds the packing buffers of one goroutine. The zero value is
// ready to use; the buffers grow on first use to at most MC·KC and KC·NC
// elements and are then reused, so repeated calls do not allocate. A
// Workspace must not be used by two goroutines at once.
type Workspace struct {
	a, b []float64
	edge [MR * NR]float64 // a partial tile of C, padded to full size
}

// Dgemm computes C ← α·op(A)·op(B) + β·C on the calling goroutine, where
// op(A) is m×k, op(B) is k×n and C is m×n, all row-major with leading
// dimensions lda, ldb and ldc, as gonum's blas.Float64 Dgemm does (ConjTrans
// is Trans). When β = 0, C is not read, so it may hold NaN; when α = 0 or
// k = 0, A and B are not read. Dgemm panics on bad arguments with gonum's
// messages.
func (w *Workspace) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	aT, bT := checkArgs(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	w.dgemm(aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// dgemm is Dgemm after the checks and quick returns.
func (w *Workspace) dgemm(aT, bT bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	kc0 := min(k, KC)
	nc0 := min(n, NC)
	w.a = grow(w.a, roundUp(min(m, MC), MR)*kc0)
	w.b = grow(w.b, roundUp(nc0, NR)*kc0)
	kern, wide := microKernel(), wideKernel()
	edge := &w.edge
	for jc := 0; jc < n; jc += NC {
		nc := min(n-jc, NC)
		// A panel of A is used by nc/NR column panels and a panel of B by
		// mc/MR row panels. When that is only a few, packing does not repay
		// its copy, and full panels of an untransposed operand are read in
		// place (partial ones are still packed, padded with zeros).
		aInPlace := inPlace && !aT && nc <= directN
		bInPlace := inPlace && !bT && m <= MC
		for pc := 0; pc < k; pc += KC {
			kc := min(k-pc, KC)
			bet := beta
			if pc > 0 {
				bet = 1
			}
			if !bInPlace {
				packB(w.b, bT, b, ldb, pc, kc, jc, nc)
			} else if r := nc % NR; r != 0 {
				packB(w.b[(nc-r)*kc:], bT, b, ldb, pc, kc, jc+nc-r, r)
			}
			for ic := 0; ic < m; ic += MC {
				mc := min(m-ic, MC)
				if !aInPlace {
					packA(w.a, aT, a, lda, ic, mc, pc, kc)
				} else if r := mc % MR; r != 0 {
					packA(w.a[(mc-r)*kc:], aT, a, lda, ic+mc-r, r, pc, kc)
				}
				for jr := 0; jr < nc; jr += NR {
					nr := min(nc-jr, NR)
					bk, rsB := w.b[jr*kc:], NR
					if bInPlace && nr == NR {
						bk, rsB = b[pc*ldb+jc+jr:], ldb
					}
					if wide != nil && nc-jr >= 2*NR {
						// Two full column panels at once; a partial row
						// panel goes through the 6×8 kernel, twice.
						bk2 := w.b[(jr+NR)*kc:]
						if bInPlace {
							bk2 = b[pc*ldb+jc+jr+NR:]
						}
						for ir := 0; ir < mc; ir += MR {
							ak, rsA, csA := w.a[ir*kc:], 1, MR
							if aInPlace && mc-ir >= MR {
								ak, rsA, csA = a[(ic+ir)*lda+pc:], lda, 1
							}
							off := (ic+ir)*ldc + jc + jr
							if mc-ir >= MR {
								wide(kc, ak, rsA, csA, bk, bk2, rsB, c[off:], ldc, alpha, bet)
								continue
							}
							mr := mc - ir
							edgeTile(kern, edge, kc, ak, rsA, csA, bk, rsB, c[off:], ldc, mr, NR, alpha, bet)
							edgeTile(kern, edge, kc, ak, rsA, csA, bk2, rsB, c[off+NR:], ldc, mr, NR, alpha, bet)
						}
						jr += NR
						continue
					}
					for ir := 0; ir < mc; ir += MR {
						mr := min(mc-ir, MR)
						ak, rsA, csA := w.a[ir*kc:], 1, MR
						if aInPlace && mr == MR {
							ak, rsA, csA = a[(ic+ir)*lda+pc:], lda, 1
						}
						off := (ic+ir)*ldc + jc + jr
						if mr == MR && nr == NR {
							kern(kc, ak, rsA, csA, bk, rsB, c[off:], ldc, alpha, bet)
							continue
						}
						edgeTile(kern, edge, kc, ak, rsA, csA, bk, rsB, c[off:], ldc, mr, nr, alpha, bet)
					}
				}
			}
		}
	}
}

// edgeTile computes a partial mr×nr tile of C with the full-size kernel
// through a full-size copy, so that it sees the same arithmetic as a full
// tile.
func edgeTile(kern kernelFunc, edge *[MR * NR]float64, kc int, ak []float64, rsA, csA int, bk []float64, rsB int, c []float64, ldc, mr, nr int, alpha, beta float64) {
	if beta != 0 {
		for i := range mr {
			copy(edge[i*NR:i*NR+nr], c[i*ldc:i*ldc+nr])
		}
	}
	kern(kc, ak, rsA, csA, bk, rsB, edge[:], NR, alpha, beta)
	for i := range mr {
		copy(c[i*ldc:i*ldc+nr], edge[i*NR:i*NR+nr])
	}
}

// directN is the widest block of C, in columns, for which full row panels
// of an untransposed A are read in place rather than packed: each is then
// used by at most directN/NR column panels, too few to repay a copy. B is
// read in place likewise when C has at most MC rows.
const directN = 8 * NR

// inPlace enables reading operands in place; tests turn it off to check
// that both ways give the same bits.
var inPlace = true

// kernelFunc is the signature of the micro-kernels: with
// s_ij = Σ_{p<kc} a[i·rsA + p·csA]·b[p·rsB + j], the sum taken in order of p,
// it sets c[i·ldc+j] to α·s_ij when β = 0 and to α·s_ij + β·c[i·ldc+j]
// otherwise, for i < MR and j < NR. A packed A panel has rsA = 1, csA = MR;
// an A read in place has rsA = lda, csA = 1. A packed B panel has rsB = NR;
// a B read in place has rsB = ldb.
type kernelFunc func(kc int, a []float64, rsA, csA int, b []float64, rsB int, c []float64, ldc int, alpha, beta float64)

// wideFunc is the signature of the 6×16 micro-kernels: a kernelFunc for two
// adjacent column panels of B, b1 for columns 0–7 of the tile and b2 for
// columns 8–15, with the same row stride rsB. Each element of C gets the
// same operations as from a kernelFunc, so the two give the same bits.
type wideFunc func(kc int, a []float64, rsA, csA int, b1, b2 []float64, rsB int, c []float64, ldc int, alpha, beta float64)

// packA copies the mc×kc block of op(A) at (ic, pc) into dst as panels of MR
// rows, each stored column by column (MR consecutive elements per column),
// padding the last panel with zero rows.
func packA(dst []float64, aT bool, a []float64, lda, ic, mc, pc, kc int) {
	for ir := 0; ir < mc; ir += MR {
		mr := min(mc-ir, MR)
		d := dst[ir*kc : (ir+MR)*kc]
		if aT {
			// op(A)[i][p] = a[p*lda+i]: each column of the panel is contiguous.
			for p := range kc {
				src := a[(pc+p)*lda+ic+ir:]
				dp := d[p*MR : p*MR+MR]
				copy(dp, src[:mr])
				clear(dp[mr:])
			}
			continue
		}
		if mr == MR {
			// Six rows at once, so that the writes are contiguous.
			o := (ic+ir)*lda + pc
			r0 := a[o : o+kc]
			r1 := a[o+lda : o+lda+kc]
			r2 := a[o+2*lda : o+2*lda+kc]
			r3 := a[o+3*lda : o+3*lda+kc]
			r4 := a[o+4*lda : o+4*lda+kc]
			r5 := a[o+5*lda : o+5*lda+kc]
			for p := range r0 {
				dp := (*[MR]float64)(d[p*MR : p*MR+MR])
				dp[0], dp[1], dp[2], dp[3], dp[4], dp[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
			}
			continue
		}
		for i := range mr {
			src := a[(ic+ir+i)*lda+pc : (ic+ir+i)*lda+pc+kc]
			for p, v := range src {
				d[p*MR+i] = v
			}
		}
		for i := mr; i < MR; i++ {
			for p := range kc {
				d[p*MR+i] = 0
			}
		}
	}
}

// packB copies the kc×nc block of op(B) at (pc, jc) into dst as panels of NR
// columns, each stored row by row (NR consecutive elements per row), padding
// the last panel with zero columns.
func packB(dst []float64, bT bool, b []float64, ldb, pc, kc, jc, nc int) {
	for jr := 0; jr < nc; jr += NR {
		nr := min(nc-jr, NR)
		d := dst[jr*kc : (jr+NR)*kc]
		if !bT {
			for p := range kc {
				src := b[(pc+p)*ldb+jc+jr:]
				dp := d[p*NR : p*NR+NR]
				copy(dp, src[:nr])
				clear(dp[nr:])
			}
			continue
		}
		// op(B)[p][j] = b[j*ldb+p]: each column of the panel is contiguous.
		if nr == NR {
			// Eight columns at once, so that the writes are contiguous.
			o := (jc+jr)*ldb + pc
			var src [NR][]float64
			for j := range src {
				src[j] = b[o+j*ldb : o+j*ldb+kc]
			}
			for p := range kc {
				dp := (*[NR]float64)(d[p*NR : p*NR+NR])
				dp[0], dp[1], dp[2], dp[3] = src[0][p], src[1][p], src[2][p], src[3][p]
				dp[4], dp[5], dp[6], dp[7] = src[4][p], src[5][p], src[6][p], src[7][p]
			}
			continue
		}
		for j := range nr {
			src := b[(jc+jr+j)*ldb+pc : (jc+jr+j)*ldb+pc+kc]
			for p, v := range src {
				d[p*NR+j] = v
			}
		}
		for j := nr; j < NR; j++ {
			for p := range kc {
				d[p*NR+j] = 0
			}
		}
	}
}

// kernelGo is the pure-Go micro-kernel (see kernelFunc). It fuses each
// multiply-add (math.FMA) in the order the assembly kernel does, and writes
// the tile as α·s or fma(α, s, β·c) as that kernel does, so that both give
// the same bits and a result does not depend on the build or the CPU. On
// CPUs without FMA instructions math.FMA is computed in software, slowly;
// the pure-Go kernel is the fallback, not the fast path.
func kernelGo(kc int, a []float64, rsA, csA int, b []float64, rsB int, c []float64, ldc int, alpha, beta float64) {
	// One row of the tile at a time, with its eight sums in local variables
	// that the compiler keeps in registers.
	for i := range MR {
		var s0, s1, s2, s3, s4, s5, s6, s7 float64
		ai := a[i*rsA:]
		for p := range kc {
			x := ai[p*csA]
			bv := (*[NR]float64)(b[p*rsB : p*rsB+NR])
			s0 = math.FMA(x, bv[0], s0)
			s1 = math.FMA(x, bv[1], s1)
			s2 = math.FMA(x, bv[2], s2)
			s3 = math.FMA(x, bv[3], s3)
			s4 = math.FMA(x, bv[4], s4)
			s5 = math.FMA(x, bv[5], s5)
			s6 = math.FMA(x, bv[6], s6)
			s7 = math.FMA(x, bv[7], s7)
		}
		cr := (*[NR]float64)(c[i*ldc : i*ldc+NR])
		sums := [NR]float64{s0, s1, s2, s3, s4, s5, s6, s7}
		if beta == 0 {
			for j, v := range sums {
				cr[j] = alpha * v
			}
		} else {
			for j, v := range sums {
				cr[j] = math.FMA(alpha, v, beta*cr[j])
			}
		}
	}
}

// scale sets C ← β·C; β = 0 writes zeros without reading C.
func scale(m, n int, beta float64, c []float64, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

func roundUp(x, r int) int { return (x + r - 1) / r * r }

func grow(x []float64, n int) []float64 {
	if cap(x) < n {
		return make([]float64, n)
	}
	return x[:n]
}

// UseAssembly selects the assembly micro-kernel when on is true and the CPU
// supports it, and the pure-Go kernel otherwise, and returns the previous
// choice. It is meant for tests and benchmarks of the callers and must not
// be called while a product is running.
func UseAssembly(on bool) (was bool) {
	was = useAsm
	useAsm = on && hasAsm
	setGemvAsm(useAsm)
	return was
}
