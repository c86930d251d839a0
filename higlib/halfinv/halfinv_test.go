package halfinv_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/halfinv"
)

// Tolerances. All matrices below have condition numbers of at most ~1e4 on
// the singular values that survive the filter, and both paths are backward
// stable SVDs (relative backward error a small multiple of ε ≈ 1.1e-16), so
// the forward error of V·diag(φ)·Uᵀ·g is a few hundred ε times the condition
// number of the kept part; the constants leave a margin of ~100 over what
// was observed (≤ 1e-14 for well-conditioned J).
const (
	// solveTol is the relative agreement of Solve with Reference asked for
	// in the specification.
	solveTol = 1e-10
	// lsTol is the agreement of Reference (κ = 1) with a QR least-squares
	// solve on well-conditioned Gaussian J (κ(J) < 100).
	lsTol = 1e-12
	// svTol bounds |σ_solve − σ_mat.SVD| relative to σ_max; Weyl's theorem
	// makes the singular values perfectly conditioned, so this is a few
	// hundred ε.
	svTol = 1e-13
	// tiny keeps relative errors defined for zero reference vectors.
	tiny = 1e-300
)

var modes = []halfinv.Mode{halfinv.Truncate, halfinv.Clamp}
var kappas = []float64{0, 0.5, 1}

func newRand() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

// relDiff returns ‖a−b‖ / max(‖b‖, tiny).
func relDiff(a, b []float64) float64 {
	d := make([]float64, len(a))
	floats.SubTo(d, a, b)
	return floats.Norm(d, 2) / math.Max(floats.Norm(b, 2), tiny)
}

// randomOrthogonal returns the n×n Q factor of a Gaussian matrix.
func randomOrthogonal(rnd *rand.Rand, n int) *mat.Dense {
	var qr mat.QR
	qr.Factorize(randomDense(rnd, n, n))
	var q mat.Dense
	qr.QTo(&q)
	return &q
}

// withSingularValues returns U·diag(s)·Vᵀ for random orthogonal U (m×m) and V
// (n×n), with len(s) = min(m, n).
func withSingularValues(rnd *rand.Rand, m, n int, s []float64) *mat.Dense {
	u := randomOrthogonal(rnd, m)
	v := randomOrthogonal(rnd, n)
	k := min(m, n)
	us := mat.DenseCopyOf(u.Slice(0, m, 0, k))
	for j := range k {
		for i := range m {
			us.Set(i, j, us.At(i, j)*s[j])
		}
	}
	var j mat.Dense
	j.Mul(us, v.Slice(0, n, 0, k).T())
	return &j
}

// compare runs Solve (on the shared solver) and Reference and checks the
// products and the singular values agree.
func compare(t *testing.T, s *halfinv.Solver, j *mat.Dense, g []float64, p halfinv.Params) {
	t.Helper()
	_, n := j.Dims()
	want := make([]float64, n)
	got := make([]float64, n)
	wsv, err := halfinv.Reference(want, j, g, p)
	if err != nil {
		t.Fatalf("Reference: %v", err)
	}
	gsv, err := s.Solve(got, j, g, p)
	if err != nil {
		t.Fatalf("Solve: %v", err)
	}
	if d := relDiff(got, want); d > solveTol {
		t.Errorf("%+v: Solve differs from Reference by %.3g (relative)", p, d)
	}
	if len(gsv) != len(wsv) {
		t.Fatalf("got %d singular values, want %d", len(gsv), len(wsv))
	}
	for i := range gsv {
		if math.Abs(gsv[i]-wsv[i]) > svTol*wsv[0] {
			t.Errorf("σ[%d] = %v, want %v", i, gsv[i], wsv[i])
		}
		if i > 0 && gsv[i] > gsv[i-1] {
			t.Errorf("singular values not decreasing at %d: %v", i, gsv)
		}
	}
}

func TestSolveMatchesReferenceRandom(t *testing.T) {
	rnd := newRand()
	var s halfinv.Solver
	// 200×150 and 150×320 have k ≥ 128, which exercises the parallel
	// bidiagonal QR.
	shapes := [][2]int{{1, 1}, {1, 5}, {5, 1}, {7, 3}, {3, 7}, {6, 6}, {40, 40}, {64, 9}, {9, 64}, {200, 150}, {150, 320}, {512, 30}}
	for _, sh := range shapes {
		j := randomDense(rnd, sh[0], sh[1])
		g := randomVec(rnd, sh[0])
		for _, mode := range modes {
			for _, kappa := range kappas {
				for _, tau := range []float64{0, 1e-6, 0.3} {
					t.Run(fmt.Sprintf("%dx%d/%v/κ=%v/τ=%v", sh[0], sh[1], mode, kappa, tau), func(t *testing.T) {
						compare(t, &s, j, g, halfinv.Params{Kappa: kappa, Tau: tau, Mode: mode})
					})
				}
			}
		}
	}
}

// TestSolveMatchesReferenceRankDeficient uses J = A·B with A m×r and B r×n.
// Its k−r trailing singular values are rounding noise (~1e-15·σ_max), so only
// Truncate with τ well above the noise gives a well-defined product: with
// Clamp, or with τ = 0, the noise singular pairs enter with a nonzero factor,
// and their pairing of left and right vectors is arbitrary.
func TestSolveMatchesReferenceRankDeficient(t *testing.T) {
	rnd := newRand()
	var s halfinv.Solver
	for _, sh := range [][3]int{{30, 10, 3}, {10, 30, 4}, {20, 20, 19}, {300, 200, 50}} {
		m, n, r := sh[0], sh[1], sh[2]
		var j mat.Dense
		j.Mul(randomDense(rnd, m, r), randomDense(rnd, r, n))
		g := randomVec(rnd, m)
		for _, kappa := range kappas {
			for _, tau := range []float64{1e-8, 1e-3} {
				t.Run(fmt.Sprintf("%dx%d/rank%d/κ=%v/τ=%v", m, n, r, kappa, tau), func(t *testing.T) {
					compare(t, &s, &j, g, halfinv.Params{Kappa: kappa, Tau: tau, Mode: halfinv.Truncate})
				})
			}
		}
	}
}

// TestSolveMatchesReferenceStraddle builds J with singular values just above
// and just below τ·σ_max. The closest ones sit 1 % from the threshold, far
// outside the ~1e-14 relative error of computed singular values, so both
// paths must take the same decisions; the 2 % gap between them keeps the
// singular vectors well conditioned (error ≈ ε·σ_max/gap).
func TestSolveMatchesReferenceStraddle(t *testing.T) {
	rnd := newRand()
	var s halfinv.Solver
	const tau = 1e-3
	for _, sh := range [][2]int{{12, 8}, {8, 12}, {10, 10}, {300, 140}} {
		m, n := sh[0], sh[1]
		k := min(m, n)
		sv := make([]float64, k)
		above := 0
		for i := range sv {
			switch {
			case i == 0:
				sv[i] = 1
			case i < k/3:
				sv[i] = 1 - float64(i)/float64(k) // comfortably kept
			case i%2 == 1:
				sv[i] = tau * (1.01 + 0.1*float64(i)/float64(k)) // just above
			default:
				sv[i] = tau * (0.99 - 0.5*float64(i)/float64(k)) // just below
			}
			if sv[i] > tau {
				above++
			}
		}
		j := withSingularValues(rnd, m, n, sv)
		g := randomVec(rnd, m)
		for _, mode := range modes {
			for _, kappa := range kappas {
				p := halfinv.Params{Kappa: kappa, Tau: tau, Mode: mode}
				t.Run(fmt.Sprintf("%dx%d/%v/κ=%v", m, n, mode, kappa), func(t *testing.T) {
					compare(t, &s, j, g, p)
					got, _ := s.Solve(make([]float64, n), j, g, p)
					kept := 0
					for _, x := range got {
						if x > tau*got[0] {
							kept++
						}
					}
					if kept != above {
						t.Errorf("%d singular values above the threshold, want %d", kept, above)
					}
				})
			}
		}
	}
}

// TestReferenceLeastSquares checks Reference against an independent
// computation: with κ = 1, Truncate and a tiny τ it is the pseudo-inverse,
// whose product with g is the least-squares solution of J·x ≈ g.
func TestReferenceLeastSquares(t *testing.T) {
	rnd := newRand()
	var s halfinv.Solver
	for _, sh := range [][2]int{{40, 7}, {9, 9}, {100, 30}} {
		j := randomDense(rnd, sh[0], sh[1])
		g := randomVec(rnd, sh[0])
		var x mat.VecDense
		if err := x.SolveVec(j, mat.NewVecDense(sh[0], g)); err != nil {
			t.Fatal(err)
		}
		p := halfinv.Params{Kappa: 1, Tau: 1e-12, Mode: halfinv.Truncate}
		ref := make([]float64, sh[1])
		if _, err := halfinv.Reference(ref, j, g, p); err != nil {
			t.Fatal(err)
		}
		if d := relDiff(ref, x.RawVector().Data); d > lsTol {
			t.Errorf("%v: Reference differs from the least-squares solution by %.3g", sh, d)
		}
		got := make([]float64, sh[1])
		if _, err := s.Solve(got, j, g, p); err != nil {
			t.Fatal(err)
		}
		if d := relDiff(got, x.RawVector().Data); d > lsTol {
			t.Errorf("%v: Solve differs from the least-squares solution by %.3g", sh, d)
		}
	}
}

// TestHalfInverseTwice checks on a symmetric positive definite J, whose left
// and right singular vectors coincide, that the κ = ½ product applied twice is
// J⁻¹·g and that κ = 0 gives g back.
func TestHalfInverseTwice(t *testing.T) {
	rnd := newRand()
	const n = 12
	a := randomDense(rnd, n, n)
	var j mat.Dense
	j.Mul(a, a.T())
	for i := range n {
		j.Set(i, i, j.At(i, i)+n) // κ(J) ≈ 10
	}
	g := randomVec(rnd, n)
	var want mat.VecDense
	if err := want.SolveVec(&j, mat.NewVecDense(n, g)); err != nil {
		t.Fatal(err)
	}
	var s halfinv.Solver
	half := halfinv.Params{Kappa: 0.5}
	h1 := make([]float64, n)
	h2 := make([]float64, n)
	if _, err := s.Solve(h1, &j, g, half); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Solve(h2, &j, h1, half); err != nil {
		t.Fatal(err)
	}
	if d := relDiff(h2, want.RawVector().Data); d > lsTol {
		t.Errorf("J^(−½)·J^(−½)·g differs from J⁻¹·g by %.3g", d)
	}
	if _, err := s.Solve(h1, &j, g, halfinv.Params{}); err != nil {
		t.Fatal(err)
	}
	if d := relDiff(h1, g); d > lsTol {
		t.Errorf("J⁰·g differs from g by %.3g", d)
	}
}

func TestSingularValuesMatchSVD(t *testing.T) {
	rnd := newRand()
	var s halfinv.Solver
	for _, sh := range [][2]int{{13, 4}, {4, 13}, {17, 17}, {200, 150}, {150, 320}} {
		j := randomDense(rnd, sh[0], sh[1])
		var svd mat.SVD
		if !svd.Factorize(j, mat.SVDNone) {
			t.Fatal("SVD failed")
		}
		want := svd.Values(nil)
		got, err := s.Solve(make([]float64, sh[1]), j, randomVec(rnd, sh[0]), halfinv.Params{Kappa: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Abs(got[i]-want[i]) > svTol*want[0] {
				t.Errorf("%v: σ[%d] = %v, want %v", sh, i, got[i], want[i])
			}
		}
	}
}

func TestZeroMatrix(t *testing.T) {
	var s halfinv.Solver
	for _, sh := range [][2]int{{5, 3}, {3, 5}, {1, 1}} {
		j := mat.NewDense(sh[0], sh[1], nil)
		g := randomVec(newRand(), sh[0])
		for _, mode := range modes {
			p := halfinv.Params{Kappa: 0.5, Tau: 0.1, Mode: mode}
			for name, solve := range solvers(&s) {
				dst := filled(sh[1], 7)
				sv, err := solve(dst, j, g, p)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				for i := range dst {
					if dst[i] != 0 {
						t.Errorf("%s %v: dst = %v, want zeros", name, sh, dst)
						break
					}
				}
				for _, x := range sv {
					if x != 0 {
						t.Errorf("%s: singular values %v, want zeros", name, sv)
						break
					}
				}
			}
		}
	}
}

func TestNotFinite(t *testing.T) {
	var s halfinv.Solver
	rnd := newRand()
	p := halfinv.Params{Kappa: 0.5, Tau: 1e-6}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		for _, inG := range []bool{false, true} {
			j := randomDense(rnd, 4, 3)
			g := randomVec(rnd, 4)
			if inG {
				g[2] = bad
			} else {
				j.Set(1, 2, bad)
			}
			for name, solve := range solvers(&s) {
				dst := filled(3, 7)
				if _, err := solve(dst, j, g, p); !errors.Is(err, halfinv.ErrNotFinite) {
					t.Errorf("%s with %v (in g: %v): error %v, want ErrNotFinite", name, bad, inG, err)
				}
				for _, x := range dst {
					if x != 7 {
						t.Errorf("%s: dst modified to %v", name, dst)
						break
					}
				}
			}
		}
	}
}

func TestValidate(t *testing.T) {
	bad := []halfinv.Params{
		{Kappa: -0.1}, {Kappa: 1.1}, {Kappa: math.NaN()},
		{Tau: -1e-9}, {Tau: math.NaN()}, {Tau: math.Inf(1)},
		{Mode: halfinv.Mode(7)},
	}
	var s halfinv.Solver
	j := randomDense(newRand(), 3, 2)
	for _, p := range bad {
		if p.Validate() == nil {
			t.Errorf("Validate(%+v) = nil, want an error", p)
		}
		for name, solve := range solvers(&s) {
			dst := filled(2, 7)
			if _, err := solve(dst, j, []float64{1, 2, 3}, p); err == nil {
				t.Errorf("%s accepted %+v", name, p)
			}
			if dst[0] != 7 || dst[1] != 7 {
				t.Errorf("%s modified dst for %+v", name, p)
			}
		}
	}
	for _, p := range []halfinv.Params{{}, {Kappa: 1, Tau: 0.5, Mode: halfinv.Clamp}} {
		if err := p.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", p, err)
		}
	}
}

func TestLengthMismatchPanics(t *testing.T) {
	var s halfinv.Solver
	j := randomDense(newRand(), 3, 2)
	cases := []struct{ dst, g int }{{2, 2}, {3, 3}, {1, 3}}
	for _, c := range cases {
		for name, solve := range solvers(&s) {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: no panic for len(dst) = %d, len(g) = %d", name, c.dst, c.g)
					}
				}()
				solve(make([]float64, c.dst), j, make([]float64, c.g), halfinv.Params{})
			}()
		}
	}
}

// TestSolverReuse alternates shapes on one Solver, so that workspaces grown
// for a large shape are reused for a small one and vice versa.
func TestSolverReuse(t *testing.T) {
	rnd := newRand()
	var s halfinv.Solver
	p := halfinv.Params{Kappa: 0.5, Tau: 1e-6, Mode: halfinv.Clamp}
	for _, sh := range [][2]int{{300, 140}, {4, 3}, {300, 140}, {20, 90}, {3, 4}, {140, 300}, {5, 5}, {300, 140}} {
		j := randomDense(rnd, sh[0], sh[1])
		g := randomVec(rnd, sh[0])
		compare(t, &s, j, g, p)
	}
}

// TestSolveDoesNotModifyInputs also covers a J that is a view with a stride
// larger than its number of columns.
func TestSolveDoesNotModifyInputs(t *testing.T) {
	rnd := newRand()
	big := randomDense(rnd, 12, 10)
	j := big.Slice(1, 9, 2, 7).(*mat.Dense)
	jc := mat.DenseCopyOf(j)
	bigc := mat.DenseCopyOf(big)
	g := randomVec(rnd, 8)
	gc := append([]float64(nil), g...)
	var s halfinv.Solver
	compare(t, &s, j, g, halfinv.Params{Kappa: 0.5, Tau: 1e-3})
	if !mat.Equal(j, jc) || !mat.Equal(big, bigc) || !floats.Equal(g, gc) {
		t.Error("Solve modified its inputs")
	}
}

// steadyAllocs returns the fewest allocations per call of f seen in three
// measurements of testing.AllocsPerRun(2, f). An allocation that f makes
// shows in every measurement; the Go runtime's own now and then (a worker
// goroutine's stack growing, a timer of the pool's sleeping helper) do not,
// and were seen to fail a single measurement about once in seven runs.
func steadyAllocs(f func()) float64 {
	least := testing.AllocsPerRun(2, f)
	for range 2 {
		least = min(least, testing.AllocsPerRun(2, f))
	}
	return least
}

func TestSolveAllocs(t *testing.T) {
	rnd := newRand()
	shapes := [][2]int{{512, 30}, {2048, 30}, {30, 200}, {100, 100}, {150, 1000}}
	if !testing.Short() {
		// The wide Jacobian of the oscillator-sized benchmark, whose blocked
		// LQ and bidiagonal updates run on the worker pool.
		shapes = append(shapes, [2]int{512, 2956})
	}
	for _, sh := range shapes {
		j := randomDense(rnd, sh[0], sh[1])
		g := randomVec(rnd, sh[0])
		dst := make([]float64, sh[1])
		for _, serial := range []bool{false, true} {
			s := halfinv.Solver{Serial: serial}
			p := halfinv.Params{Kappa: 0.5, Tau: 1e-6}
			if _, err := s.Solve(dst, j, g, p); err != nil {
				t.Fatal(err)
			}
			if a := steadyAllocs(func() { s.Solve(dst, j, g, p) }); a != 0 {
				t.Errorf("%v, Serial %v: %v allocations per Solve, want 0", sh, serial, a)
			}
		}
	}
}

type solveFunc func(dst []float64, j *mat.Dense, g []float64, p halfinv.Params) ([]float64, error)

func solvers(s *halfinv.Solver) map[string]solveFunc {
	return map[string]solveFunc{
		"Reference": func(dst []float64, j *mat.Dense, g []float64, p halfinv.Params) ([]float64, error) {
			return halfinv.Reference(dst, j, g, p)
		},
		"Solve": s.Solve,
	}
}

func filled(n int, v float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = v
	}
	return x
}
