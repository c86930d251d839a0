// Package nntest checks that an nn.Network keeps the contract package nn
// documents: one call that a user runs in their own test on their own
// architecture, as gonum's graph/testgraph does for graphs.
//
//	func TestMyNetwork(t *testing.T) {
//		nntest.Check(t, myNet, nil)
//	}
//
// Run it under the race detector (go test -race) so that Evaluators which
// share scratch space are caught.
package nntest

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

	"github.com/higlab/hig/higlib/nn"
)

// Config says where and how strictly to check a network. The zero value of
// each field takes the default its comment gives; a nil *Config means all
// defaults.
type Config struct {
	// Points is the number of random (θ, x) checked; zero means 4.
	Points int
	// Seed seeds the parameters, inputs and product vectors.
	Seed uint64
	// Input writes one input into x; nil draws every entry uniformly from
	// [−1, 1). Parameters come from the network's Init.
	Input func(x []float64, rng *rand.Rand)
	// Tol bounds |J − J_fd| ≤ Tol·(1 + max|J_fd|) entrywise for the
	// Jacobian against central finite differences in θ; zero means 1e-6
	// (fd.Central's step ≈ 6e-6 gives truncation errors ≈ 6e-12·|f'''|
	// and rounding errors ≈ 4e-11·|f|). A network with kinks (ReLU) can
	// fail where a stencil point crosses one; choose Input and Seed so
	// that none does, or raise Tol.
	Tol float64
	// Goroutines is the number of goroutines of the concurrency check;
	// zero means 4.
	Goroutines int
}

// productTol bounds the relative disagreement of two computations of the
// same product that differ only in the order of the sums.
const productTol = 1e-10

// Check runs every check on net and reports failures through t:
//   - Dims and NumParams are positive, Init is deterministic and finite;
//   - SeededJacobian with S = I agrees with central finite differences of
//     θ ↦ f(x; θ);
//   - SeededJacobian with a random S equals S·J, and Backprop adds Jᵀv to
//     its argument, both at the last Forward;
//   - Forward leaves θ and x unchanged; a fresh Evaluator gives the same
//     bits; Evaluators used concurrently give the same bits as one used
//     serially.
func Check(t testing.TB, net nn.Network, c *Config) {
	t.Helper()
	if err := nn.Check(net); err != nil {
		t.Fatal(err)
	}
	cfg := Config{}
	if c != nil {
		cfg = *c
	}
	if cfg.Points == 0 {
		cfg.Points = 4
	}
	if cfg.Tol == 0 {
		cfg.Tol = 1e-6
	}
	if cfg.Goroutines == 0 {
		cfg.Goroutines = 4
	}
	if cfg.Points < 1 || cfg.Tol < 0 || cfg.Goroutines < 1 {
		t.Fatalf("nntest: bad Config %+v", cfg)
	}
	in, out := net.Dims()
	P := net.NumParams()

	a, b := make([]float64, P), make([]float64, P)
	net.Init(a, rand.New(rand.NewPCG(cfg.Seed, 1)))
	net.Init(b, rand.New(rand.NewPCG(cfg.Seed, 1)))
	if !num.SameBits(a, b) {
		t.Error("Init with the same rng state gives other bits")
	}
	if k := num.FirstNotFinite(a); k >= 0 {
		t.Errorf("Init wrote %v into parameter %d", a[k], k)
	}

	rng := rand.New(rand.NewPCG(cfg.Seed, 2))
	type point struct{ params, x, z, jac []float64 }
	pts := make([]point, cfg.Points)
	ev := net.NewEvaluator()
	if ev == nil {
		t.Fatal("nntest: NewEvaluator returned nil")
	}
	eye := make([]float64, out*out)
	for k := 0; k < out; k++ {
		eye[k*out+k] = 1
	}
	for i := range pts {
		p := &pts[i]
		p.params = make([]float64, P)
		net.Init(p.params, rand.New(rand.NewPCG(cfg.Seed, uint64(10+i))))
		for k := range p.params {
			p.params[k] += 0.1 * rng.NormFloat64() // non-zero biases too
		}
		p.x = make([]float64, in)
		if cfg.Input != nil {
			cfg.Input(p.x, rng)
		} else {
			for k := range p.x {
				p.x[k] = 2*rng.Float64() - 1
			}
		}
		th0, x0 := slices.Clone(p.params), slices.Clone(p.x)
		z := ev.Forward(p.params, p.x)
		if len(z) != out {
			t.Fatalf("point %d: Forward returned %d outputs, Dims says %d", i, len(z), out)
		}
		p.z = slices.Clone(z)
		if !num.SameBits(p.params, th0) || !num.SameBits(p.x, x0) {
			t.Errorf("point %d: Forward modified θ or x", i)
		}
		p.jac = num.Filled(out*P, math.NaN())
		ev.SeededJacobian(p.jac, eye, out)
		if k := num.FirstNotFinite(p.jac); k >= 0 {
			t.Errorf("point %d: Jacobian entry (%d, %d) = %v (not written, or not finite)", i, k/P, k%P, p.jac[k])
		}
		fdEv := net.NewEvaluator()
		want := mat.NewDense(out, P, nil)
		fd.Jacobian(want, func(z, th []float64) { copy(z, fdEv.Forward(th, p.x)) }, p.params,
			&fd.JacobianSettings{Formula: fd.Central})
		scale := 1 + num.MaxAbs(want.RawMatrix().Data)
		bad := 0
		for r := 0; r < out; r++ {
			for k := 0; k < P; k++ {
				if g, w := p.jac[r*P+k], want.At(r, k); !(math.Abs(g-w) <= cfg.Tol*scale) && bad < 5 {
					bad++
					t.Errorf("point %d: ∂z_%d/∂θ_%d = %v, central difference %v", i, r, k, g, w)
				}
			}
		}

		// Products at the last Forward: evaluate elsewhere, then here again.
		other := &pts[max(i-1, 0)]
		if other.params != nil {
			ev.Forward(other.params, other.x)
		}
		ev.Forward(p.params, p.x)
		r := 1 + rng.IntN(out)
		seed := make([]float64, r*out)
		for k := range seed {
			seed[k] = rng.NormFloat64()
		}
		got := num.Filled(r*P, math.NaN())
		ev.SeededJacobian(got, seed, r)
		v := make([]float64, out)
		for k := range v {
			v[k] = rng.NormFloat64()
		}
		grad := make([]float64, P)
		for k := range grad {
			grad[k] = float64(k % 3)
		}
		ev.Backprop(grad, v)
		for k := 0; k < P; k++ {
			for row := 0; row < r; row++ {
				var s, abs float64
				for j := 0; j < out; j++ {
					s += seed[row*out+j] * p.jac[j*P+k]
					abs += math.Abs(seed[row*out+j] * p.jac[j*P+k])
				}
				if g := got[row*P+k]; !(math.Abs(g-s) <= productTol*abs) && g != s {
					t.Errorf("point %d: SeededJacobian(%d rows)[%d, %d] = %v, (S·J) = %v", i, r, row, k, g, s)
				}
			}
			var s, abs float64
			for j := 0; j < out; j++ {
				s += p.jac[j*P+k] * v[j]
				abs += math.Abs(p.jac[j*P+k] * v[j])
			}
			if g := grad[k] - float64(k%3); !(math.Abs(g-s) <= productTol*abs+1e-15) {
				t.Errorf("point %d: Backprop added %v to grad[%d], (Jᵀv) = %v", i, g, k, s)
			}
		}
	}
	if t.Failed() {
		return
	}

	fresh := net.NewEvaluator()
	for i, p := range pts {
		z := fresh.Forward(p.params, p.x)
		jac := make([]float64, out*P)
		fresh.SeededJacobian(jac, eye, out)
		if !num.SameBits(z, p.z) || !num.SameBits(jac, p.jac) {
			t.Errorf("point %d: a fresh Evaluator gives other bits: not deterministic", i)
		}
	}

	evs := make([]nn.Evaluator, cfg.Goroutines)
	for g := range evs {
		evs[g] = net.NewEvaluator()
	}
	var wg sync.WaitGroup
	errs := make([]string, cfg.Goroutines)
	for g := range evs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jac := make([]float64, out*P)
			for rep := range 3 {
				for j := range pts {
					i := (j + g + rep) % len(pts)
					p := &pts[i]
					z := evs[g].Forward(p.params, p.x)
					evs[g].SeededJacobian(jac, eye, out)
					if !num.SameBits(z, p.z) || !num.SameBits(jac, p.jac) {
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
