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
	"reflect"
	"slices"
	"strings"
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
	// RequireVJP makes a map whose Evaluator is not a physics.VJPEvaluator
	// fail the check; false accepts maps without a VJP (training then
	// forms ∂P/∂z for first-order methods too).
	RequireVJP bool
}

// maxDetail is the number of per-entry mismatches reported after the
// summary of the first point that fails; other points get the summary only.
const maxDetail = 4

// productTol bounds |VJP − Jᵀv| relative to Σ|J||v|: the two differ only by
// the order of floating-point operations.
const productTol = 1e-10

// Check runs every check on m and reports failures through t:
//   - Dims are usable and Eval writes finite values into every entry of y
//     and jac, leaving x and z unchanged;
//   - Eval without jac gives the same y, bit for bit, as with it;
//   - the Jacobian agrees with central finite differences of z ↦ P(x, z);
//   - for a physics.VJPEvaluator, VJP at the last Eval equals Jᵀv; an
//     Evaluator with a method called VJP of another signature fails (the
//     library would never call it), and so does one without a VJP when
//     Config.RequireVJP is set;
//   - a fresh Evaluator gives the same bits (determinism);
//   - Evaluators used concurrently give the same bits as one used serially.
//
// A Jacobian or VJP that disagrees is summarised first (the negative of
// the reference, its transpose, or a constant multiple of it, when it is
// one of those), then up to a few entries of the first failing point are
// listed; the VJP is compared only at points whose Jacobian passed. Check logs (t.Logf)
// which checks ran, so that a passing test says whether the VJP was tested.
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
	if !hasVJP {
		if sig, ok := nearVJP(ev); ok {
			t.Errorf("physicstest: %T has a method %s, but physics.VJPEvaluator needs VJP(dst, v []float64) with no result: the library never calls it, so first-order training forms ∂P/∂z instead", ev, sig)
		} else if cfg.RequireVJP {
			t.Errorf("physicstest: %T has no VJP(dst, v []float64) method (physics.VJPEvaluator), which Config.RequireVJP asks for", ev)
		}
	}
	detailed := false // per-entry detail was reported for a point
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
		wantJ := want.RawMatrix().Data
		jacBad := mismatches(p.jac, wantJ, cfg.Tol*scale)
		if len(jacBad) > 0 {
			t.Errorf("point %d: the Jacobian from Eval differs from central differences in %d of %d entries (tolerance %.2g): %s",
				i, len(jacBad), len(wantJ), cfg.Tol*scale, pattern(p.jac, wantJ, ny, nz, cfg.Tol*scale, "the differences"))
			for n, k := range jacBad {
				if detailed {
					break // the entries of the first failing point suffice
				}
				if n == maxDetail {
					t.Errorf("point %d: … and %d more entries", i, len(jacBad)-n)
					break
				}
				t.Errorf("point %d: ∂y_%d/∂z_%d = %v, central difference %v", i, k/nz, k%nz, p.jac[k], wantJ[k])
			}
			detailed = true
		}

		if hasVJP && len(jacBad) == 0 { // a VJP is compared with a Jacobian that passed
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
			jtv, jv := make([]float64, nz), make([]float64, ny)
			var bad []int
			var sumAbs float64
			for k := 0; k < nz; k++ {
				var s, abs float64
				for r := 0; r < ny; r++ {
					s += p.jac[r*nz+k] * v[r]
					abs += math.Abs(p.jac[r*nz+k] * v[r])
				}
				jtv[k] = s
				sumAbs += abs
				if !(math.Abs(got[k]-s) <= productTol*(abs+math.SmallestNonzeroFloat64)) && got[k] != s {
					bad = append(bad, k)
				}
			}
			if len(bad) > 0 {
				// J v, for a VJP that multiplies by J instead of Jᵀ.
				if ny == nz {
					for r := 0; r < ny; r++ {
						for k := 0; k < nz; k++ {
							jv[r] += p.jac[r*nz+k] * v[k]
						}
					}
				}
				tol := 1e-8 * (sumAbs + math.SmallestNonzeroFloat64)
				t.Errorf("point %d: VJP differs from Jᵀv (J from Eval) in %d of %d entries: %s",
					i, len(bad), nz, vjpPattern(got, jtv, jv, ny == nz, tol))
				for n, k := range bad {
					if detailed {
						break
					}
					if n == maxDetail {
						t.Errorf("point %d: … and %d more entries", i, len(bad)-n)
						break
					}
					t.Errorf("point %d: VJP[%d] = %v, (Jᵀv)[%d] = %v", i, k, got[k], k, jtv[k])
				}
				detailed = true
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
	if !t.Failed() {
		vjpNote := "no VJP (the library forms ∂P/∂z and multiplies)"
		if hasVJP {
			vjpNote = "VJP = Jᵀv"
		}
		t.Logf("physicstest: %T passed at %d points: finite values, Jacobian against central differences, %s, determinism, %d concurrent Evaluators",
			m, cfg.Points, vjpNote, cfg.Goroutines)
	}
}

// nearVJP reports a method of ev named VJP (in any case) that does not
// have physics.VJPEvaluator's signature, and that method's signature.
func nearVJP(ev physics.Evaluator) (string, bool) {
	typ := reflect.TypeOf(ev)
	for i := 0; i < typ.NumMethod(); i++ {
		meth := typ.Method(i)
		if strings.EqualFold(meth.Name, "VJP") {
			return meth.Name + "(" + strings.TrimPrefix(meth.Func.Type().String(), "func("+typ.String()+", "), true
		}
	}
	return "", false
}

// mismatches returns the indices where got and want differ by more than tol.
func mismatches(got, want []float64, tol float64) []int {
	var bad []int
	for k := range want {
		if !(math.Abs(got[k]-want[k]) <= tol) {
			bad = append(bad, k)
		}
	}
	return bad
}

// within reports whether every |a_k − f(k)| ≤ tol.
func within(a []float64, tol float64, f func(k int) float64) bool {
	for k := range a {
		if !(math.Abs(a[k]-f(k)) <= tol) {
			return false
		}
	}
	return true
}

// ratio returns the least-squares factor c of got ≈ c·want.
func ratio(got, want []float64) float64 {
	var gw, ww float64
	for k := range want {
		gw += got[k] * want[k]
		ww += want[k] * want[k]
	}
	return gw / ww
}

// pattern names the simple relation of got to the reference want (both
// rows × cols, row-major), if there is one.
func pattern(got, want []float64, rows, cols int, tol float64, ref string) string {
	if within(got, tol, func(k int) float64 { return -want[k] }) {
		return "it is the negative of " + ref + " (opposite sign)"
	}
	if rows == cols && rows > 1 && within(got, tol, func(k int) float64 { return want[(k%cols)*cols+k/cols] }) {
		return "it is the transpose of " + ref + " (rows and columns swapped)"
	}
	if c := ratio(got, want); !math.IsNaN(c) && !math.IsInf(c, 0) && within(got, tol*math.Max(1, math.Abs(c)), func(k int) float64 { return c * want[k] }) {
		return fmt.Sprintf("it is %.6g times %s (off by a constant factor)", c, ref)
	}
	return "not a sign flip, transpose or constant multiple of " + ref
}

// vjpPattern names the simple relation of a VJP result to Jᵀv: its
// negative, J v instead (square maps), or a constant multiple.
func vjpPattern(got, jtv, jv []float64, square bool, tol float64) string {
	if within(got, tol, func(k int) float64 { return -jtv[k] }) {
		return "it is −Jᵀv (opposite sign)"
	}
	if square && within(got, tol, func(k int) float64 { return jv[k] }) {
		return "it is J v, not Jᵀv (transposed)"
	}
	if c := ratio(got, jtv); !math.IsNaN(c) && !math.IsInf(c, 0) && within(got, tol*math.Max(1, math.Abs(c)), func(k int) float64 { return c * jtv[k] }) {
		return fmt.Sprintf("it is %.6g·Jᵀv (off by a constant factor)", c)
	}
	return "not a sign flip, transpose or constant multiple of Jᵀv"
}

type point struct {
	x, z, y, jac []float64
}
