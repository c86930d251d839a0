package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemvRef is y ← α·op(A)·x + β·y by gonum's Dgemv, with a per-element bound
// on the rounding error of both computations: tol·(|α|·Σ|a||x| + |β|·|y|).
func gemvRef(tA blas.Transpose, m, n int, alpha float64, a []float64, lda int, x []float64, beta float64, y []float64) (want, bound []float64) {
	rows := m
	cols := n
	if tA == blas.Trans {
		rows, cols = n, m
	}
	want = append([]float64(nil), y...)
	if cols == 0 {
		// gonum, as the reference BLAS, returns at once; the product is
		// then β·y, which is what GemvN and GemvT compute.
		for i := range want {
			want[i] *= beta
		}
	} else {
		gonum.Implementation{}.Dgemv(tA, m, n, alpha, a, lda, x, 1, beta, want, 1)
	}
	bound = make([]float64, rows)
	for i := range rows {
		var s float64
		for j := range cols {
			var aij float64
			if tA == blas.Trans {
				aij = a[j*lda+i]
			} else {
				aij = a[i*lda+j]
			}
			s += math.Abs(aij * x[j])
		}
		bound[i] = tol * (math.Abs(alpha)*s + math.Abs(beta)*math.Abs(y[i]))
	}
	return want, bound
}

// TestGemv checks GemvN and GemvT against gonum's Dgemv on tiny, odd and
// padded shapes, for α and β of several kinds, with both kernels; that the
// two kernels agree bit for bit; that elements outside the result and the
// matrix padding are untouched; and that y is not read when β = 0.
func TestGemv(t *testing.T) {
	var bits = map[string][]float64{}
	for _, asm := range []bool{true, false} {
		if asm && !hasAsm {
			continue
		}
		was := UseAssembly(asm)
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, m := range []int{0, 1, 3, 4, 5, 8, 13, 37} {
				for _, n := range []int{0, 1, 2, 4, 7, 9, 16, 61} {
					for _, ab := range [][2]float64{{1, 0}, {-1, 1}, {0.7, -2.5}, {0, 0.5}} {
						for _, pad := range []int{0, 3} {
							alpha, beta := ab[0], ab[1]
							lda := max(1, n) + pad
							a := randSlice(rand.New(rand.NewPCG(uint64(m), uint64(n))), max(0, (m-1)*lda+n))
							lx, ly := n, m
							if tA == blas.Trans {
								lx, ly = m, n
							}
							rv := rand.New(rand.NewPCG(uint64(lx), uint64(ly+pad)))
							x := randSlice(rv, lx)
							y := randSlice(rv, ly+2)
							y[ly], y[ly+1] = 123, 456
							want, bound := gemvRef(tA, m, n, alpha, a, lda, x, beta, y[:ly])
							if beta == 0 {
								for i := range ly {
									y[i] = math.NaN()
								}
							}
							if tA == blas.NoTrans {
								GemvN(m, n, alpha, a, lda, x, beta, y)
							} else {
								GemvT(m, n, alpha, a, lda, x, beta, y)
							}
							name := fmt.Sprintf("%c/%dx%d/α=%g/β=%g/pad=%d", tA, m, n, alpha, beta, pad)
							for i := range ly {
								if d := math.Abs(y[i] - want[i]); !(d <= bound[i]) {
									t.Errorf("asm=%v %s: y[%d] = %v, gonum %v (bound %g)", asm, name, i, y[i], want[i], bound[i])
								}
							}
							if y[ly] != 123 || y[ly+1] != 456 {
								t.Errorf("asm=%v %s: wrote past y", asm, name)
							}
							if prev, ok := bits[name]; ok {
								for i := range ly {
									if math.Float64bits(prev[i]) != math.Float64bits(y[i]) {
										t.Errorf("%s: y[%d] differs between kernels: %v and %v", name, i, prev[i], y[i])
									}
								}
							} else {
								bits[name] = append([]float64(nil), y[:ly]...)
							}
						}
					}
				}
			}
		}
		UseAssembly(was)
	}
}

// TestGemvSplit checks the property the solver's parallel products rely
// on: computing GemvN by blocks of rows and GemvT by blocks of columns
// gives the same bits as one call.
func TestGemvSplit(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	const m, n, lda = 45, 71, 75
	a := randSlice(rnd, m*lda)
	xn, xt := randSlice(rnd, n), randSlice(rnd, m)
	whole := make([]float64, m)
	GemvN(m, n, 0.5, a, lda, xn, 0, whole)
	wholeT := make([]float64, n)
	GemvT(m, n, 0.5, a, lda, xt, 0, wholeT)
	for _, cut := range []int{1, 3, 4, 9, 20, 44} {
		y := make([]float64, m)
		GemvN(cut, n, 0.5, a, lda, xn, 0, y)
		GemvN(m-cut, n, 0.5, a[cut*lda:], lda, xn, 0, y[cut:])
		yt := make([]float64, n)
		c := min(cut, n)
		GemvT(m, c, 0.5, a, lda, xt, 0, yt)
		GemvT(m, n-c, 0.5, a[c:], lda, xt, 0, yt[c:])
		for i := range m {
			if math.Float64bits(y[i]) != math.Float64bits(whole[i]) {
				t.Errorf("GemvN cut at row %d: y[%d] = %v, whole %v", cut, i, y[i], whole[i])
			}
		}
		for j := range n {
			if math.Float64bits(yt[j]) != math.Float64bits(wholeT[j]) {
				t.Errorf("GemvT cut at column %d: y[%d] = %v, whole %v", c, j, yt[j], wholeT[j])
			}
		}
	}
}

// BenchmarkGemv compares GemvN and GemvT with gonum's Dgemv on a 512×512
// matrix (the largest trailing matrix of the bidiagonalisation panels).
func BenchmarkGemv(b *testing.B) {
	const n = 512
	rnd := rand.New(rand.NewPCG(1, 1))
	a, x, y := randSlice(rnd, n*n), randSlice(rnd, n), make([]float64, n)
	flops := 2.0 * n * n
	report := func(b *testing.B) {
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
	for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
		b.Run(fmt.Sprintf("%c/gonum", tA), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				gonum.Implementation{}.Dgemv(tA, n, n, 1, a, n, x, 1, 0, y, 1)
			}
			report(b)
		})
		b.Run(fmt.Sprintf("%c/gemm", tA), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if tA == blas.NoTrans {
					GemvN(n, n, 1, a, n, x, 0, y)
				} else {
					GemvT(n, n, 1, a, n, x, 0, y)
				}
			}
			report(b)
		})
	}
}

// TestGer checks Ger against gonum's Dger on odd and padded shapes with
// both kernels, that the kernels agree bit for bit, that the padding is
// untouched, and that splitting by rows or columns does not change a bit.
func TestGer(t *testing.T) {
	bits := map[string][]float64{}
	for _, asm := range []bool{true, false} {
		if asm && !hasAsm {
			continue
		}
		was := UseAssembly(asm)
		for _, m := range []int{0, 1, 3, 4, 7, 9, 33} {
			for _, n := range []int{0, 1, 3, 4, 8, 13, 70} {
				for _, pad := range []int{0, 2} {
					lda := max(1, n) + pad
					rv := rand.New(rand.NewPCG(uint64(m), uint64(n+pad)))
					a := randSlice(rv, max(0, m*lda))
					x, y := randSlice(rv, m), randSlice(rv, n)
					const alpha = -0.75
					want := append([]float64(nil), a...)
					if m > 0 && n > 0 {
						gonum.Implementation{}.Dger(m, n, alpha, x, 1, y, 1, want, lda)
					}
					got := append([]float64(nil), a...)
					Ger(m, n, alpha, x, y, got, lda)
					name := fmt.Sprintf("%dx%d/pad=%d", m, n, pad)
					for i := range m {
						for j := range lda {
							w, g := want[i*lda+j], got[i*lda+j]
							if j >= n {
								if g != a[i*lda+j] {
									t.Errorf("asm=%v %s: padding (%d,%d) changed", asm, name, i, j)
								}
								continue
							}
							bound := tol * (math.Abs(a[i*lda+j]) + math.Abs(alpha*x[i]*y[j]))
							if d := math.Abs(g - w); !(d <= bound) {
								t.Errorf("asm=%v %s: (%d,%d) = %v, gonum %v", asm, name, i, j, g, w)
							}
						}
					}
					if prev, ok := bits[name]; ok {
						for i := range got {
							if math.Float64bits(prev[i]) != math.Float64bits(got[i]) {
								t.Errorf("%s: element %d differs between kernels", name, i)
								break
							}
						}
					} else {
						bits[name] = got
					}
					if m > 2 && n > 5 {
						split := append([]float64(nil), a...)
						Ger(2, n, alpha, x, y, split, lda)
						Ger(m-2, 5, alpha, x[2:], y, split[2*lda:], lda)
						Ger(m-2, n-5, alpha, x[2:], y[5:], split[2*lda+5:], lda)
						for i := range got {
							if math.Float64bits(split[i]) != math.Float64bits(got[i]) {
								t.Errorf("asm=%v %s: split product differs at %d", asm, name, i)
								break
							}
						}
					}
				}
			}
		}
		UseAssembly(was)
	}
}

// TestDot checks Dot against a row of GemvN (the same bits) and against a
// plain sum, for lengths around the vector width, with both kernels.
func TestDot(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 9))
	for _, asm := range []bool{true, false} {
		was := UseAssembly(asm)
		for n := range 23 {
			x, y := randSlice(rnd, n), randSlice(rnd, n)
			got := Dot(x, y)
			var row [1]float64
			GemvN(1, n, 1, x, max(1, n), y, 0, row[:])
			var plain, abs float64
			for i := range n {
				plain += x[i] * y[i]
				abs += math.Abs(x[i] * y[i])
			}
			if math.Float64bits(got) != math.Float64bits(row[0]) {
				t.Errorf("asm=%v n=%d: Dot %v, GemvN row %v", asm, n, got, row[0])
			}
			if math.Abs(got-plain) > tol*abs {
				t.Errorf("asm=%v n=%d: Dot %v, plain sum %v", asm, n, got, plain)
			}
		}
		UseAssembly(was)
	}
}

// FuzzGemv checks GemvN, GemvT and Ger on fuzzed shapes, strides and
// scalars against gonum, and that both kernels give the same bits.
func FuzzGemv(f *testing.F) {
	f.Add(uint8(7), uint8(9), uint8(0), int8(4), int8(0), uint64(1))
	f.Add(uint8(64), uint8(3), uint8(7), int8(-3), int8(2), uint64(2))
	f.Add(uint8(1), uint8(255), uint8(2), int8(1), int8(-1), uint64(3))
	f.Fuzz(func(t *testing.T, m8, n8, flags uint8, alpha8, beta8 int8, seed uint64) {
		m, n := int(m8)%130, int(n8)%300
		tA := []blas.Transpose{blas.NoTrans, blas.Trans}[flags&1]
		lda := max(1, n) + int(flags>>1&3)
		alpha, beta := float64(alpha8)/4, float64(beta8)/4
		rnd := rand.New(rand.NewPCG(seed, 7))
		a := randSlice(rnd, max(0, m*lda))
		lx, ly := n, m
		if tA == blas.Trans {
			lx, ly = m, n
		}
		x, y0 := randSlice(rnd, lx), randSlice(rnd, ly)
		want, bound := gemvRef(tA, m, n, alpha, a, lda, x, beta, y0)
		var got [2][]float64
		for k, asm := range []bool{true, false} {
			was := UseAssembly(asm)
			y := append([]float64(nil), y0...)
			if tA == blas.NoTrans {
				GemvN(m, n, alpha, a, lda, x, beta, y)
			} else {
				GemvT(m, n, alpha, a, lda, x, beta, y)
			}
			UseAssembly(was)
			got[k] = y
		}
		for i := range ly {
			if d := math.Abs(got[0][i] - want[i]); !(d <= bound[i]) {
				t.Fatalf("%c %dx%d lda=%d: y[%d] = %v, gonum %v", tA, m, n, lda, i, got[0][i], want[i])
			}
			if math.Float64bits(got[0][i]) != math.Float64bits(got[1][i]) {
				t.Fatalf("%c %dx%d: y[%d] differs between kernels", tA, m, n, i)
			}
		}
		if m > 0 && n > 0 {
			yy := randSlice(rnd, n)
			xx := randSlice(rnd, m)
			w := append([]float64(nil), a...)
			gonum.Implementation{}.Dger(m, n, alpha, xx, 1, yy, 1, w, lda)
			g := append([]float64(nil), a...)
			Ger(m, n, alpha, xx, yy, g, lda)
			for i := range g {
				r, c := i/lda, i%lda
				if c >= n {
					continue
				}
				if d := math.Abs(g[i] - w[i]); !(d <= tol*(math.Abs(a[i])+math.Abs(alpha*xx[r]*yy[c]))) {
					t.Fatalf("Ger %dx%d: (%d,%d) = %v, gonum %v", m, n, r, c, g[i], w[i])
				}
			}
		}
	})
}
