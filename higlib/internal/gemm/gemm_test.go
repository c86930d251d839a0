package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// tol is the relative accuracy asked of every element: its error must stay
// below tol·(|α|·Σ_p |a_ip|·|b_pj| + |β|·|c_ij|). Both this package and
// gonum round k products and sums, so each is within k·ε of the exact
// value times that scale (Higham, Accuracy and Stability of Numerical
// Algorithms, 2nd ed., Sec. 3.5); k ≤ 600 here gives 600·1.1e-16 < 1e-13.
const tol = 1e-13

// kernels runs f with each kernel the CPU has: the AVX-512 one for pairs of
// column panels (when ChooseKernel picks it here), the AVX2 one, and the
// pure-Go one.
func kernels(t *testing.T, f func(t *testing.T)) {
	saved, savedWide := useAsm, useWide
	defer func() { useAsm, useWide = saved, savedWide }()
	for _, k := range []Kernel{KernelAVX512, KernelAVX2, KernelGo} {
		if k == KernelAVX512 && !savedWide || k == KernelAVX2 && !saved {
			continue
		}
		useAsm, useWide = k != KernelGo, k == KernelAVX512
		t.Run(k.String(), f)
	}
}

type gemmCase struct {
	tA, tB           blas.Transpose
	m, n, k          int
	alpha, beta      float64
	padA, padB, padC int // extra leading-dimension elements
	sameAB           bool
}

func (c gemmCase) String() string {
	return fmt.Sprintf("%c%c/%dx%dx%d/α=%g/β=%g/pad=%d,%d,%d/alias=%v",
		c.tA, c.tB, c.m, c.n, c.k, c.alpha, c.beta, c.padA, c.padB, c.padC, c.sameAB)
}

// operands builds random A, B and C for c. Elements of C outside the m×n
// matrix (the leading-dimension padding) are set to a sentinel, and when
// β = 0 the whole of C is NaN, which a conforming Dgemm never reads.
func (c gemmCase) operands(rnd *rand.Rand) (a []float64, lda int, b []float64, ldb int, cm []float64, ldc int) {
	aRows, aCols := c.m, c.k
	if c.tA != blas.NoTrans {
		aRows, aCols = c.k, c.m
	}
	bRows, bCols := c.k, c.n
	if c.tB != blas.NoTrans {
		bRows, bCols = c.n, c.k
	}
	lda, ldb, ldc = max(1, aCols)+c.padA, max(1, bCols)+c.padB, max(1, c.n)+c.padC
	a = randSlice(rnd, aRows*lda)
	if c.sameAB {
		// A and B share storage; the case is built with op(B) = op(A)ᵀ.
		b, ldb = a, lda
	} else {
		b = randSlice(rnd, bRows*ldb)
	}
	cm = randSlice(rnd, c.m*ldc)
	for i := range c.m {
		for j := c.n; j < ldc; j++ {
			cm[i*ldc+j] = sentinel
		}
		if c.beta == 0 {
			for j := range c.n {
				cm[i*ldc+j] = math.NaN()
			}
		}
	}
	return a, lda, b, ldb, cm, ldc
}

const sentinel = -12345.678

func randSlice(rnd *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rnd.NormFloat64()
	}
	return x
}

// check runs dgemm on the operands of c and compares every element with
// gonum's reference Dgemm, and the padding with the sentinel.
func check(t *testing.T, c gemmCase, rnd *rand.Rand, dgemm func(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)) {
	t.Helper()
	a, lda, b, ldb, got, ldc := c.operands(rnd)
	want := append([]float64(nil), got...)
	if c.beta == 0 {
		for i := range want {
			if math.IsNaN(want[i]) {
				want[i] = 0 // gonum zeroes C first; the result is the same
			}
		}
	}
	orig := append([]float64(nil), want...)
	dgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, got, ldc)
	gonum.Implementation{}.Dgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, want, ldc)
	opA := func(i, p int) float64 {
		if c.tA == blas.NoTrans {
			return a[i*lda+p]
		}
		return a[p*lda+i]
	}
	opB := func(p, j int) float64 {
		if c.tB == blas.NoTrans {
			return b[p*ldb+j]
		}
		return b[j*ldb+p]
	}
	for i := range c.m {
		for j := range ldc {
			g, w := got[i*ldc+j], want[i*ldc+j]
			if j >= c.n {
				if g != sentinel {
					t.Fatalf("%v: padding C[%d][%d] = %v was written", c, i, j, g)
				}
				continue
			}
			var s float64
			for p := range c.k {
				s += math.Abs(opA(i, p) * opB(p, j))
			}
			scale := math.Abs(c.alpha)*s + math.Abs(c.beta)*math.Abs(orig[i*ldc+j])
			if !(math.Abs(g-w) <= tol*scale) {
				t.Fatalf("%v: C[%d][%d] = %v, gonum %v, |diff| = %g > %g·%g", c, i, j, g, w, math.Abs(g-w), tol, scale)
			}
		}
	}
}

var (
	transposes = []blas.Transpose{blas.NoTrans, blas.Trans}
	scalars    = [][2]float64{{1, 0}, {1, 1}, {-0.7, 0}, {0.3, 1}, {-1.5, 0.4}, {0, 0}, {0, 1}, {0, -2}}
)

func TestDgemmMatchesGonum(t *testing.T) {
	// Sizes around the micro-tile (MR = 6, NR = 8), the blocks (MC = 72,
	// KC = 256) and tiny ones.
	shapes := [][3]int{
		{0, 3, 2}, {3, 0, 2}, {3, 2, 0}, {1, 1, 1}, {2, 3, 1}, {5, 7, 3}, {6, 8, 4}, {7, 9, 5},
		{12, 16, 17}, {13, 17, 33}, {71, 9, 20}, {73, 31, 257}, {145, 40, 300}, {30, 512, 32},
		{40, 33, 513},
	}
	kernels(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(1, 2))
		var w Workspace
		for _, sh := range shapes {
			for _, tA := range transposes {
				for _, tB := range transposes {
					for si, ab := range scalars {
						c := gemmCase{tA: tA, tB: tB, m: sh[0], n: sh[1], k: sh[2], alpha: ab[0], beta: ab[1]}
						if si%2 == 1 {
							c.padA, c.padB, c.padC = 3, 1, 5
						}
						check(t, c, rnd, w.Dgemm)
					}
				}
			}
		}
	})
}

// TestDgemmWideN crosses the NC = 2048 column block.
func TestDgemmWideN(t *testing.T) {
	kernels(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(3, 4))
		var w Workspace
		for _, tB := range transposes {
			check(t, gemmCase{tA: blas.NoTrans, tB: tB, m: 7, n: NC + 13, k: 9, alpha: 0.5, beta: 0.25, padC: 2}, rnd, w.Dgemm)
		}
	})
}

// TestDgemmAliasedAB passes the same slice as A and B, as in C ← A·Aᵀ.
func TestDgemmAliasedAB(t *testing.T) {
	kernels(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(5, 6))
		var w Workspace
		for _, sh := range [][2]int{{1, 1}, {9, 13}, {75, 260}} {
			m, k := sh[0], sh[1]
			check(t, gemmCase{tA: blas.NoTrans, tB: blas.Trans, m: m, n: m, k: k, alpha: 1, beta: 0.5, sameAB: true}, rnd, w.Dgemm)
			check(t, gemmCase{tA: blas.Trans, tB: blas.NoTrans, m: k, n: k, k: m, alpha: -1, beta: 0, sameAB: true}, rnd, w.Dgemm)
		}
	})
}

// TestImplementationDeterministic checks the parallel Dgemm against gonum
// and that its bits do not depend on the number of goroutines.
func TestImplementationDeterministic(t *testing.T) {
	kernels(t, func(t *testing.T) {
		for _, sh := range [][3]int{{300, 170, 90}, {50, 401, 270}, {7, 5, 3}} {
			for _, tA := range transposes {
				for _, tB := range transposes {
					c := gemmCase{tA: tA, tB: tB, m: sh[0], n: sh[1], k: sh[2], alpha: 1.25, beta: -0.5, padA: 1, padC: 2}
					rnd := rand.New(rand.NewPCG(7, 8))
					check(t, c, rnd, Implementation{Threads: 2}.Dgemm)
					var first []float64
					for _, threads := range []int{1, 2, 3, 7} {
						rnd := rand.New(rand.NewPCG(9, 10))
						a, lda, b, ldb, cm, ldc := c.operands(rnd)
						Implementation{Threads: threads}.Dgemm(tA, tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
						if first == nil {
							first = cm
							continue
						}
						for i := range cm {
							if math.Float64bits(cm[i]) != math.Float64bits(first[i]) {
								t.Fatalf("%v: Threads=%d gives C[%d] = %v, Threads=1 %v", c, threads, i, cm[i], first[i])
							}
						}
					}
				}
			}
		}
	})
}

// TestDgemmConcurrent runs many Implementation.Dgemm calls at once; with
// -race it checks that the bands and pooled workspaces do not share memory.
func TestDgemmConcurrent(t *testing.T) {
	const calls = 4
	done := make(chan struct{})
	for g := range calls {
		go func() {
			defer func() { done <- struct{}{} }()
			rnd := rand.New(rand.NewPCG(uint64(g), 11))
			for range 3 {
				check(t, gemmCase{tA: blas.NoTrans, tB: blas.Trans, m: 97, n: 120, k: 70, alpha: 1, beta: 1}, rnd, Implementation{Threads: 3}.Dgemm)
			}
		}()
	}
	for range calls {
		<-done
	}
}

func TestDgemmPanicsLikeGonum(t *testing.T) {
	a := make([]float64, 12)
	cases := []struct {
		name                   string
		tA, tB                 blas.Transpose
		m, n, k, lda, ldb, ldc int
		la, lb, lc             int
	}{
		{"transpose", 'x', blas.NoTrans, 2, 2, 2, 2, 2, 2, 4, 4, 4},
		{"m<0", blas.NoTrans, blas.NoTrans, -1, 2, 2, 2, 2, 2, 4, 4, 4},
		{"n<0", blas.NoTrans, blas.NoTrans, 2, -1, 2, 2, 2, 2, 4, 4, 4},
		{"k<0", blas.NoTrans, blas.NoTrans, 2, 2, -1, 2, 2, 2, 4, 4, 4},
		{"lda", blas.NoTrans, blas.NoTrans, 2, 2, 3, 2, 2, 2, 6, 6, 4},
		{"ldaT", blas.Trans, blas.NoTrans, 3, 2, 2, 2, 2, 2, 6, 4, 6},
		{"ldb", blas.NoTrans, blas.NoTrans, 2, 3, 2, 2, 2, 3, 4, 6, 6},
		{"ldc", blas.NoTrans, blas.NoTrans, 2, 3, 2, 2, 3, 2, 4, 6, 6},
		{"shortA", blas.NoTrans, blas.NoTrans, 2, 2, 2, 2, 2, 2, 3, 4, 4},
		{"shortB", blas.NoTrans, blas.Trans, 2, 2, 2, 2, 2, 2, 4, 3, 4},
		{"shortC", blas.NoTrans, blas.NoTrans, 2, 2, 2, 2, 2, 2, 4, 4, 3},
	}
	catch := func(f func()) (msg any) {
		defer func() { msg = recover() }()
		f()
		return nil
	}
	for _, c := range cases {
		call := func(d func(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)) func() {
			return func() {
				d(c.tA, c.tB, c.m, c.n, c.k, 1, a[:c.la], c.lda, a[:c.lb], c.ldb, 0, make([]float64, c.lc), c.ldc)
			}
		}
		want := catch(call(gonum.Implementation{}.Dgemm))
		if want == nil {
			t.Fatalf("%s: gonum does not panic; the case is wrong", c.name)
		}
		var w Workspace
		for name, d := range map[string]func(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int){
			"Workspace": w.Dgemm, "Implementation": Implementation{}.Dgemm,
		} {
			if got := catch(call(d)); got != want {
				t.Errorf("%s %s: panic %v, gonum panics %v", name, c.name, got, want)
			}
		}
	}
}

func TestWorkspaceDgemmDoesNotAllocate(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 1))
	m, n, k := 100, 300, 40
	a, b, c := randSlice(rnd, m*k), randSlice(rnd, k*n), randSlice(rnd, m*n)
	var w Workspace
	w.Dgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
	if got := testing.AllocsPerRun(10, func() {
		w.Dgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
	}); got != 0 {
		t.Errorf("Workspace.Dgemm allocates %v times per call after the first, want 0", got)
	}
}

// FuzzDgemm compares both kernels with gonum on fuzzed shapes, transposes,
// strides and scalars.
func FuzzDgemm(f *testing.F) {
	f.Add(uint8(7), uint8(9), uint8(5), uint8(0), uint8(1), int8(3), int8(1), uint64(1))
	f.Add(uint8(73), uint8(17), uint8(255), uint8(3), uint8(0), int8(-2), int8(0), uint64(2))
	f.Add(uint8(1), uint8(1), uint8(1), uint8(1), uint8(2), int8(1), int8(-1), uint64(3))
	f.Fuzz(func(t *testing.T, m, n, k, flags, pad uint8, alpha, beta int8, seed uint64) {
		c := gemmCase{
			tA: transposes[flags&1], tB: transposes[flags>>1&1],
			m: int(m) % 150, n: int(n) % 150, k: int(k) + int(flags>>2&1)*200, // k up to 455 crosses KC
			alpha: float64(alpha) / 4, beta: float64(beta) / 4,
			padA: int(pad & 3), padB: int(pad >> 2 & 3), padC: int(pad >> 4 & 3),
		}
		saved := useAsm
		defer func() { useAsm = saved }()
		var w Workspace
		for _, asm := range []bool{saved, false} {
			useAsm = asm
			check(t, c, rand.New(rand.NewPCG(seed, 0)), w.Dgemm)
		}
	})
}

// TestDgemmInPlaceSameBits checks that reading A (narrow C, untransposed A)
// or B (short C, untransposed B) in place gives the bits of the packed path,
// and gonum's result, with both kernels.
func TestDgemmInPlaceSameBits(t *testing.T) {
	kernels(t, func(t *testing.T) {
		for _, sh := range [][3]int{{6, 8, 1}, {48, 32, 2900}, {50, 31, 300}, {77, 64, 257}, {5, 20, 9}, {48, 200, 32}, {72, 13, 40}, {30, 100, 300}} {
			for _, tA := range transposes {
				for _, tB := range transposes {
					for _, ab := range scalars[:5] {
						c := gemmCase{tA: tA, tB: tB, m: sh[0], n: sh[1], k: sh[2], alpha: ab[0], beta: ab[1], padA: 3, padB: 2, padC: 1}
						var w Workspace
						check(t, c, rand.New(rand.NewPCG(12, 13)), w.Dgemm)
						res := func(direct bool) []float64 {
							saved := inPlace
							inPlace = direct
							defer func() { inPlace = saved }()
							a, lda, b, ldb, cm, ldc := c.operands(rand.New(rand.NewPCG(14, 15)))
							w.Dgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
							return cm
						}
						packed, inPl := res(false), res(true)
						for i := range packed {
							if math.Float64bits(packed[i]) != math.Float64bits(inPl[i]) {
								t.Fatalf("%v: C[%d] = %v in place, %v packed", c, i, inPl[i], packed[i])
							}
						}
					}
				}
			}
		}
	})
}

// TestKernelsSameBits checks that the pure-Go kernel gives the bits of the
// assembly one: both fuse each multiply-add, so that a result (e.g. the
// oscillators' Gauss-Newton losses) does not depend on the build tag or the
// CPU's AVX2 support. Without the assembly kernel there is nothing to compare.
func TestKernelsSameBits(t *testing.T) {
	if !hasAsm {
		t.Skip("no assembly kernel on this CPU or build")
	}
	saved := useAsm
	defer func() { useAsm = saved }()
	for seed, c := range []gemmCase{
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 37, n: 53, k: 300, alpha: 1, beta: 0},
		{tA: blas.Trans, tB: blas.NoTrans, m: 72, n: 2100, k: 64, alpha: -1, beta: 1},
		{tA: blas.NoTrans, tB: blas.Trans, m: 13, n: 9, k: 513, alpha: 0.7, beta: -0.3, padA: 1, padC: 2},
	} {
		var res [2][]float64
		for i, asm := range []bool{true, false} {
			useAsm = asm
			seed := uint64(seed)
			a, lda, b, ldb, cc, ldc := c.operands(rand.New(rand.NewPCG(seed, 0))) // the same operands for both
			var w Workspace
			w.Dgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cc, ldc)
			res[i] = cc
		}
		for j := range res[0] {
			if math.Float64bits(res[0][j]) != math.Float64bits(res[1][j]) {
				t.Errorf("%+v: C[%d] = %v with the assembly kernel, %v with the pure-Go one", c, j, res[0][j], res[1][j])
				break
			}
		}
	}
}
