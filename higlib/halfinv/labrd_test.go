package halfinv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/internal/gemm"
	"github.com/higlab/hig/higlib/internal/par"
	"github.com/higlab/hig/internal/num"
)

// TestLabrdMatchesGonum checks labrd against gonum's Dlabrd, which it
// adapts, on shapes whose trailing products run serially and split in
// two: every output (the reduced panel and reflectors in a, d, e, τ_Q, τ_P,
// X and Y) must agree to a few units of rounding relative to the largest
// element of its array. They do not agree bit for bit, because gemm's
// kernels fuse multiply and add.
func TestLabrdMatchesGonum(t *testing.T) {
	for _, asm := range []bool{true, false} {
		was := gemm.UseAssembly(asm)
		for _, sh := range [][3]int{{40, 40, 8}, {97, 96, 32}, {200, 150, 32}, {300, 300, 32}, {256, 17, 17}} {
			m, n, nb := sh[0], sh[1], sh[2]
			t.Run(fmt.Sprintf("asm=%v/%dx%d/nb=%d", asm, m, n, nb), func(t *testing.T) {
				rnd := rand.New(rand.NewPCG(uint64(m), uint64(n)))
				a0 := make([]float64, m*n)
				for i := range a0 {
					a0[i] = rnd.NormFloat64()
				}
				type out struct{ a, d, e, tq, tp, x, y []float64 }
				mk := func() out {
					return out{append([]float64(nil), a0...), make([]float64, nb), make([]float64, nb),
						make([]float64, nb), make([]float64, nb), make([]float64, m*nb), make([]float64, n*nb)}
				}
				want, got := mk(), mk()
				impl.Dlabrd(m, n, nb, want.a, n, want.d, want.e, want.tq, want.tp, want.x, nb, want.y, nb)
				var s Solver
				s.reserve(m, n)
				s.labrd(m, n, nb, got.a, n, got.d, got.e, got.tq, got.tp, got.x, nb, got.y, nb, nil)
				for _, c := range []struct {
					name string
					w, g []float64
				}{{"a", want.a, got.a}, {"d", want.d, got.d}, {"e", want.e, got.e}, {"tauQ", want.tq, got.tq},
					{"tauP", want.tp, got.tp}, {"x", want.x, got.x}, {"y", want.y, got.y}} {
					var scale, worst float64
					for _, v := range c.w {
						scale = math.Max(scale, math.Abs(v))
					}
					for i := range c.w {
						worst = math.Max(worst, math.Abs(c.w[i]-c.g[i]))
					}
					if !(worst <= 1e-12*math.Max(scale, 1)) {
						t.Errorf("%s: max difference %g (largest element %g)", c.name, worst, scale)
					}
				}
			})
		}
		gemm.UseAssembly(was)
	}
}

// TestLabrdSameBitsSerial checks that the two-part products give the same
// bits whether the helper goroutine takes a part or the caller runs both
// (here forced by holding the helper in another stretch).
func TestLabrdSameBitsSerial(t *testing.T) {
	const m, nb = 300, 32
	rnd := rand.New(rand.NewPCG(7, 8))
	a0 := make([]float64, m*m)
	for i := range a0 {
		a0[i] = rnd.NormFloat64()
	}
	run := func() []float64 {
		a := append([]float64(nil), a0...)
		d, e, tq, tp := make([]float64, nb), make([]float64, nb), make([]float64, nb), make([]float64, nb)
		x, y := make([]float64, m*nb), make([]float64, m*nb)
		var s Solver
		s.reserve(m, m)
		s.labrd(m, m, nb, a, m, d, e, tq, tp, x, nb, y, nb, nil)
		return append(append(append(a, d...), x...), y...)
	}
	parallel := run()
	var hold par.Stretch
	hold.Begin()
	serial := run()
	hold.End()
	if !num.SameBits(parallel, serial) {
		t.Error("labrd's results differ with and without the helper goroutine")
	}
}

// TestSolversConcurrent runs two Solvers at once on the oscillator-like wide
// shape, where both want the LQ look-ahead, the pool and the spinning helper
// of labrd (only one gets the helper; the other runs its panels serially),
// and checks that each gives the bits of a lone run. Under -race it also
// checks the shared pool and helper for data races.
func TestSolversConcurrent(t *testing.T) {
	const m, n = 200, 900
	rnd := rand.New(rand.NewPCG(21, 22))
	var js [2]*mat.Dense
	var gs [2][]float64
	for k := range js {
		data := make([]float64, m*n)
		for i := range data {
			data[i] = rnd.NormFloat64()
		}
		js[k] = mat.NewDense(m, n, data)
		gs[k] = make([]float64, m)
		for i := range gs[k] {
			gs[k][i] = rnd.NormFloat64()
		}
	}
	p := Params{Kappa: 0.5, Tau: 1e-6}
	var want [2][]float64
	for k := range js {
		want[k] = make([]float64, n)
		var s Solver
		if _, err := s.Solve(want[k], js[k], gs[k], p); err != nil {
			t.Fatal(err)
		}
	}
	var got [2][]float64
	var wg sync.WaitGroup
	for k := range js {
		got[k] = make([]float64, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s Solver
			for range 3 {
				if _, err := s.Solve(got[k], js[k], gs[k], p); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	for k := range js {
		if !num.SameBits(want[k], got[k]) {
			t.Errorf("solver %d: concurrent result differs from a lone run", k)
		}
	}
}

// TestGebrdAppliesQBt checks that gebrd, which applies each left reflector
// to c as labrd forms it and those of its unblocked tail at the end, leaves
// Q_Bᵀ·c in c, as gonum's Dorm2r computes it from the stored reflectors
// afterwards; 40 takes only the unblocked path.
func TestGebrdAppliesQBt(t *testing.T) {
	for _, n := range []int{40, 97, 200} {
		rnd := rand.New(rand.NewPCG(uint64(n), 3))
		var s Solver
		s.reserve(n, n)
		a := s.k[:n*n]
		for i := range a {
			a[i] = rnd.NormFloat64()
		}
		c := make([]float64, n)
		for i := range c {
			c[i] = rnd.NormFloat64()
		}
		want := append([]float64(nil), c...)
		s.gebrd(n, a, s.d[:n], s.e[:n-1], s.tauQ, s.tauP, c)
		impl.Dorm2r(blas.Left, blas.Trans, n, 1, n, a, n, s.tauQ, want, 1, make([]float64, 1))
		if d, scale := maxDiff(want, c); !(d <= 1e-13*scale) {
			t.Errorf("n = %d: max difference %g (largest element %g)", n, d, scale)
		}
	}
}

// TestApplyRowsTMatchesDorml2 checks applyRowsT against gonum's
// Dorml2(Left, Trans), with one reflector the identity (τ = 0).
func TestApplyRowsTMatchesDorml2(t *testing.T) {
	for _, m := range []int{1, 2, 7, 100} {
		rnd := rand.New(rand.NewPCG(uint64(m), 4))
		lda := m + 3
		a := make([]float64, m*lda)
		for i := range a {
			a[i] = rnd.NormFloat64() / 4
		}
		tau := make([]float64, m)
		for i := range tau {
			tau[i] = 1 + rnd.Float64()
		}
		tau[m/2] = 0
		y := make([]float64, m)
		for i := range y {
			y[i] = rnd.NormFloat64()
		}
		want := append([]float64(nil), y...)
		impl.Dorml2(blas.Left, blas.Trans, m, 1, m, a, lda, tau, want, 1, make([]float64, 1))
		applyRowsT(m, a, lda, tau, y)
		if d, scale := maxDiff(want, y); !(d <= 1e-13*scale) {
			t.Errorf("m = %d: max difference %g (largest element %g)", m, d, scale)
		}
	}
}

// TestSolveSameBitsWithoutHelper solves wide and tall problems large
// enough to block, once as usual (on two processors with the stretch's
// helper from the LQ on) and once while another stretch holds the helper,
// so that the parallel parts go to the par pool and labrd runs serially:
// the bits must agree.
func TestSolveSameBitsWithoutHelper(t *testing.T) {
	for _, sh := range [][2]int{{200, 900}, {700, 150}} {
		m, n := sh[0], sh[1]
		rnd := rand.New(rand.NewPCG(uint64(m), 23))
		data := make([]float64, m*n)
		for i := range data {
			data[i] = rnd.NormFloat64()
		}
		j := mat.NewDense(m, n, data)
		g := make([]float64, m)
		for i := range g {
			g[i] = rnd.NormFloat64()
		}
		p := Params{Kappa: 0.5, Tau: 1e-6}
		solve := func(serial bool) []float64 {
			s := Solver{Serial: serial}
			dst := make([]float64, n)
			for range 2 { // the second call finds the helper spinning sooner
				if _, err := s.Solve(dst, j, g, p); err != nil {
					t.Fatal(err)
				}
			}
			return dst
		}
		with := solve(false)
		var other par.Stretch
		other.Begin()
		without := solve(false)
		other.End()
		if !num.SameBits(with, without) {
			t.Errorf("%dx%d: the helper changes the result", m, n)
		}
		if serial := solve(true); !num.SameBits(with, serial) {
			t.Errorf("%dx%d: Serial changes the result", m, n)
		}
	}
}

// overlapJob's part 0 waits up to a few milliseconds for part 1 to start
// and records whether the two ran at the same time.
type overlapJob struct{ started, overlapped atomic.Bool }

func (j *overlapJob) Run(p int) {
	if p == 1 {
		j.started.Store(true)
		return
	}
	for start := time.Now(); time.Since(start) < 2*time.Millisecond; {
		if j.started.Load() {
			j.overlapped.Store(true)
			return
		}
	}
}

// TestSerialSolverRunsOnCaller checks that a Serial Solver neither takes
// the stretch's helper nor runs parts on the pool: two parts never overlap.
func TestSerialSolverRunsOnCaller(t *testing.T) {
	s := Solver{Serial: true}
	s.reserve(4, 8)
	if s.hold() {
		t.Fatal("a Serial Solver took the helper")
	}
	for range 50 {
		var j overlapJob
		s.run(&j, 2)
		if j.overlapped.Load() {
			t.Fatal("a Serial Solver ran two parts at once")
		}
		if !j.started.Load() {
			t.Fatal("part 1 did not run")
		}
	}
}
