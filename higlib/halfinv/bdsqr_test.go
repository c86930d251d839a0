package halfinv

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// TestBdsqrLogMatchesDbdsqr checks the fork against gonum's Dbdsqr: the
// singular values and Qᵀ·c must agree bit for bit, and P·x formed from the
// rotation log must equal (Pᵀ)ᵀ·x with Pᵀ accumulated by Dbdsqr.
func TestBdsqrLogMatchesDbdsqr(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 5, 17, 64, 200} {
		for _, graded := range []bool{false, true} {
			d := make([]float64, n)
			e := make([]float64, max(n-1, 0))
			for i := range d {
				d[i] = rnd.NormFloat64()
				if graded {
					d[i] *= math.Pow(10, -float64(i%12))
				}
			}
			for i := range e {
				e[i] = rnd.NormFloat64()
			}
			c := make([]float64, n)
			x := make([]float64, n)
			for i := range c {
				c[i], x[i] = rnd.NormFloat64(), rnd.NormFloat64()
			}
			d1, e1, c1 := append([]float64(nil), d...), append([]float64(nil), e...), append([]float64(nil), c...)
			vt := make([]float64, n*n)
			for i := range n {
				vt[i*n+i] = 1
			}
			work := make([]float64, max(1, 4*(n-1)))
			if !impl.Dbdsqr(blas.Upper, n, n, 0, 1, d1, e1, vt, n, nil, 1, c1, 1, work) {
				t.Fatalf("n=%d: Dbdsqr failed", n)
			}
			var lg rotLog
			if !bdsqrLog(n, d, e, c, &lg) {
				t.Fatalf("n=%d: bdsqrLog failed", n)
			}
			for i := range n {
				if d[i] != d1[i] || c[i] != c1[i] {
					t.Fatalf("n=%d graded=%v: entry %d: σ %v vs %v, c %v vs %v", n, graded, i, d[i], d1[i], c[i], c1[i])
				}
			}
			want := make([]float64, n)
			var norm float64
			for i := range n {
				for j := range n {
					want[i] += vt[j*n+i] * x[j]
				}
				norm += x[i] * x[i]
			}
			lg.applyP(x)
			for i := range n {
				if math.Abs(x[i]-want[i]) > 1e-13*math.Sqrt(norm)*float64(n) {
					t.Fatalf("n=%d graded=%v: (P·x)[%d] = %v, want %v", n, graded, i, x[i], want[i])
				}
			}
		}
	}
}
