// Package physicstest checks that a physics.Map keeps the contract package
// physics documents, in the manner of gonum's graph/testgraph: one call that
// a user runs in their own test on their own simulator.
//
//	func TestMySimulator(t *testing.T) {
//		physicstest.Check(t, mySimulator, nil)
//	}
//
// Run it under the race detector (go test -race) so that Evaluators which
// share scratch space are caught.
package physicstest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/internal/num"

	"github.com/higlab/hig/higlib/physics"
)

// Config says where and how strictly to check a map. The zero value of each
// field takes the default its comment gives; a nil *Config means all
// defaults.
type Config struct {
	// Points is the number of random points (x, z) checked; zero means 6.
	Points int
	// Seed seeds the points and the vectors of the product checks.
	Seed uint64
	// Sample writes one point into x and z; nil draws every entry
	// uniformly from [−1, 1).
	Sample func(x, z []float64, rng *rand.Rand)
	// Tol bounds the difference between the Jacobian from Eval and central
	// finite differences, relative to the largest entry:
	// |J − J_fd| ≤ Tol·(1 + max|J_fd|) entrywise. Zero means 1e-6, which
	// allows the O(h²) truncation error of fd.Central's step (≈ 6e-6) for
	// third derivatives up to ~1e4 and its rounding error of ≈ ε·|P|/h.
	Tol float64
	// Step is the finite-difference step; zero means fd's default for
	// central differences.
	Step float64
	// Goroutines is the number of goroutines of the concurrency check, each
	// with its own Evaluator; zero means 4.
	Goroutines int
}

// productTol bounds |VJP − Jᵀv| relative to Σ|J||v|: the two differ only by
// the order of floating-point operations.
const productTol = 1e-10

// Check runs every check on m and reports failures through t:
//   - Dims are usable and Eval writes finite values into every entry of y
//     and jac, leaving x and z unchanged;
//   - Eval without jac gives the same y, bit for bit, as with it;
//   - the Jacobian agrees with central finite differences of z ↦ P(x, z);
//   - for a physics.VJPEvaluator, VJP at the last Eval equals Jᵀv;
//   - a fresh Evaluator gives the same bits (determinism);
//   - Evaluators used concurrently give the same bits as one used serially.
func Check(t testing.TB, m physics.Map, c *Config) {
	t.Helper()
	if err := physics.Check(m); err != nil {
		t.Fatal(err)
	}
	cfg := Config{}
	if c != nil {
		cfg = *c
	}
	if cfg.Points == 0 {
		cfg.Points = 6
	}
	if cfg.Tol == 0 {
		cfg.Tol = 1e-6
	}
	if cfg.Goroutines == 0 {
		cfg.Goroutines = 4
	}
	if cfg.Points < 1 || cfg.Tol < 0 || cfg.Goroutines < 1 || cfg.Step < 0 {
		t.Fatalf("physicstest: bad Config %+v", cfg)
	}
	nx, nz, ny := m.Dims()
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	pts := make([]point, cfg.Points)
	for i := range pts {
		p := point{x: make([]float64, nx), z: make([]float64, nz)}
		if cfg.Sample != nil {
			cfg.Sample(p.x, p.z, rng)
		} else {
			for k := range p.x {
				p.x[k] = 2*rng.Float64() - 1
			}
			for k := range p.z {
				p.z[k] = 2*rng.Float64() - 1
			}
		}
		pts[i] = p
	}

	ev := m.NewEvaluator()
	if ev == nil {
		t.Fatal("physicstest: NewEvaluator returned nil")
	}
	vjp, hasVJP := ev.(physics.VJPEvaluator)
	for i := range pts {
		p := &pts[i]
		x0, z0 := slices.Clone(p.x), slices.Clone(p.z)
		p.y = num.Filled(ny, math.NaN())
		p.jac = num.Filled(ny*nz, math.NaN())
		ev.Eval(p.y, p.jac, p.x, p.z)
		if !slices.Equal(p.x, x0) || !slices.Equal(p.z, z0) {
			t.Errorf("point %d: Eval modified its input x or z", i)
			copy(p.x, x0)
			copy(p.z, z0)
		}
		if k := num.FirstNotFinite(p.y); k >= 0 {
			t.Errorf("point %d: y[%d] = %v after Eval (not written, or not finite)", i, k, p.y[k])
		}
		if k := num.FirstNotFinite(p.jac); k >= 0 {
			t.Errorf("point %d: jac[%d] (row %d, column %d) = %v after Eval (not written, or not finite)", i, k, k/nz, k%nz, p.jac[k])
		}
		y2 := num.Filled(ny, math.NaN())
		ev.Eval(y2, nil, p.x, p.z)
		if !num.SameBits(y2, p.y) {
			t.Errorf("point %d: Eval without jac gives y = %v, with jac %v", i, y2, p.y)
		}

		// Finite differences of z ↦ P(x, z), on an Evaluator of its own.
		fdEv := m.NewEvaluator()
		want := mat.NewDense(ny, nz, nil)
		fd.Jacobian(want, func(y, z []float64) { fdEv.Eval(y, nil, p.x, z) }, p.z,
			&fd.JacobianSettings{Formula: fd.Central, Step: cfg.Step})
		scale := 1 + num.MaxAbs(want.RawMatrix().Data)
		for r := 0; r < ny; r++ {
			for k := 0; k < nz; k++ {
				g, w := p.jac[r*nz+k], want.At(r, k)
				if !(math.Abs(g-w) <= cfg.Tol*scale) {
					t.Errorf("point %d: ∂y_%d/∂z_%d = %v, central difference %v (tolerance %.2g)", i, r, k, g, w, cfg.Tol*scale)
				}
			}
		}

		if hasVJP {
			v := make([]float64, ny)
			for k := range v {
				v[k] = rng.NormFloat64()
			}
			// Evaluate elsewhere first: VJP must use the last Eval's point.
			other := &pts[(i+1)%len(pts)]
			vjp.Eval(make([]float64, ny), nil, other.x, other.z)
			vjp.Eval(make([]float64, ny), nil, p.x, p.z)
			got := num.Filled(nz, math.NaN())
			vjp.VJP(got, v)
			for k := 0; k < nz; k++ {
				var s, abs float64
				for r := 0; r < ny; r++ {
					s += p.jac[r*nz+k] * v[r]
					abs += math.Abs(p.jac[r*nz+k] * v[r])
				}
				if !(math.Abs(got[k]-s) <= productTol*(abs+math.SmallestNonzeroFloat64)) && got[k] != s {
					t.Errorf("point %d: VJP[%d] = %v, (Jᵀv)[%d] = %v", i, k, got[k], k, s)
				}
			}
		}
	}
	if t.Failed() {
		return
	}

	// Determinism: a fresh Evaluator gives the same bits.
	fresh := m.NewEvaluator()
	for i, p := range pts {
		y, jac := make([]float64, ny), make([]float64, ny*nz)
		fresh.Eval(y, jac, p.x, p.z)
		if !num.SameBits(y, p.y) || !num.SameBits(jac, p.jac) {
			t.Errorf("point %d: a fresh Evaluator gives other bits than the first: Eval is not deterministic", i)
		}
	}

	// Concurrency: every goroutine has its own Evaluator (created here, one
	// at a time) and evaluates every point, in its own order, several times.
	evs := make([]physics.Evaluator, cfg.Goroutines)
	for g := range evs {
		evs[g] = m.NewEvaluator()
	}
	var wg sync.WaitGroup
	errs := make([]string, cfg.Goroutines)
	for g := range evs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := evs[g]
			y, jac := make([]float64, ny), make([]float64, ny*nz)
			for rep := range 3 {
				for j := range pts {
					i := (j + g + rep) % len(pts)
					p := &pts[i]
					ev.Eval(y, jac, p.x, p.z)
					if !num.SameBits(y, p.y) || !num.SameBits(jac, p.jac) {
						errs[g] = fmt.Sprintf("goroutine %d, point %d: concurrent Evaluators give other bits than serial use: do Evaluators share scratch space?", g, i)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
}

type point struct {
	x, z, y, jac []float64
}
