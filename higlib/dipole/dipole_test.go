package dipole_test

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/higlab/hig/higlib/dipole"
	"github.com/higlab/hig/higlib/physics"
	"github.com/higlab/hig/higlib/physics/physicstest"
)

func mustNew(t testing.TB, c dipole.Config) *dipole.Well {
	t.Helper()
	w, err := dipole.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestNewDefaults(t *testing.T) {
	w := mustNew(t, dipole.Config{})
	if w.N() != 14 || w.Steps() != 384 || w.DT() != 0.05 {
		t.Errorf("zero Config gives N = %d, Steps = %d, DT = %v; want 14, 384, 0.05", w.N(), w.Steps(), w.DT())
	}
	if w.DX() != 2.0/15 || w.X(1) != 2.0/15 || math.Abs(w.X(14)-28.0/15) > 1e-15 {
		t.Errorf("Δx = %v, x₁ = %v, x₁₄ = %v; want 2/15, 2/15, 28/15", w.DX(), w.X(1), w.X(14))
	}
	if x, z, y := w.Dims(); x != 0 || z != 384 || y != 28 {
		t.Errorf("Dims = %d, %d, %d; want 0, 384, 28", x, z, y)
	}
	w = mustNew(t, dipole.Config{N: 5, Steps: 7, DT: 0.3})
	if x, z, y := w.Dims(); x != 0 || z != 7 || y != 10 || w.DT() != 0.3 || w.DX() != 2.0/6 {
		t.Errorf("Config{5, 7, 0.3} gives Dims = %d, %d, %d, DT = %v, Δx = %v", x, z, y, w.DT(), w.DX())
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  dipole.Config
		want string
	}{
		{dipole.Config{N: 2}, "N = 2"},
		{dipole.Config{N: -14}, "N = -14"},
		{dipole.Config{Steps: -1}, "Steps = -1"},
		{dipole.Config{DT: -0.05}, "DT = -0.05"},
		{dipole.Config{DT: math.NaN()}, "DT = NaN"},
		{dipole.Config{DT: math.Inf(1)}, "DT = +Inf"},
	} {
		w, err := dipole.New(tc.cfg)
		if err == nil || w != nil {
			t.Errorf("New(%+v) = %v, %v; want an error", tc.cfg, w, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v): error %q does not mention %q", tc.cfg, err, tc.want)
		}
	}
}

// conformanceTol is the tolerance of physicstest's finite-difference check
// of the Jacobian, relative to 1 + max|J|. fd.Central's default step is
// h ≈ 6e-6; its rounding error is about ε·|y|/h ≈ 4e-11 (|y| ≤ 1, the state
// is a unit vector), and its truncation error h²/6·|∂³y/∂u³| is smaller
// still, since each control acts for DT with a coupling x_j ≤ 2. The
// difference measured at most 3e-10 at points like those below (controls
// in [−1, 1) and in [−10, 10), max|J| ≈ 0.02–0.3). 1e-8 leaves a margin of
// 30 and is still 100 times stricter than physicstest's default; a wrong
// factor in q_n (e.g. ψⁿ alone instead of ψⁿ + ψⁿ⁺¹) changes entries of
// size 0.02 by half their size and cannot pass.
const conformanceTol = 1e-8

func TestConformance(t *testing.T) {
	scaled := func(s float64) func(x, z []float64, rng *rand.Rand) {
		return func(_, z []float64, rng *rand.Rand) {
			for i := range z {
				z[i] = s * rng.NormFloat64()
			}
		}
	}
	for _, tc := range []struct {
		cfg    dipole.Config
		points int
		sample func(x, z []float64, rng *rand.Rand)
	}{
		{dipole.Config{}, 3, nil},        // the paper's setting, controls in [−1, 1)
		{dipole.Config{}, 2, scaled(10)}, // strong fields
		{dipole.Config{N: 5, Steps: 30, DT: 0.1}, 6, nil},
		{dipole.Config{N: 3, Steps: 4, DT: 0.5}, 6, scaled(3)},
	} {
		w := mustNew(t, tc.cfg)
		physicstest.Check(t, w, &physicstest.Config{Points: tc.points, Tol: conformanceTol, Sample: tc.sample, Seed: uint64(w.N() + w.Steps())})
	}
}

// applyH0 writes H₀ψ = tridiag(−1, 2, −1)ψ/Δx² (Dirichlet ends) into dst,
// for a real vector.
func applyH0(dst, psi []float64, dx float64) {
	n := len(psi)
	for j := range n {
		s := 2 * psi[j]
		if j > 0 {
			s -= psi[j-1]
		}
		if j+1 < n {
			s -= psi[j+1]
		}
		dst[j] = s / (dx * dx)
	}
}

// TestEigenstates checks that Eigenstate(k) is a unit eigenvector of the
// free Hamiltonian H₀ with eigenvalue Energy(k), that distinct levels are
// orthogonal, and that the lowest levels approach the continuous well's
// (kπ/2)².
func TestEigenstates(t *testing.T) {
	w := mustNew(t, dipole.Config{})
	n := w.N()
	hv := make([]float64, n)
	for k := 1; k <= n; k++ {
		e := w.Eigenstate(nil, k)
		if !slices.Equal(e[n:], make([]float64, n)) {
			t.Errorf("e_%d has a non-zero imaginary part %v", k, e[n:])
		}
		applyH0(hv, e[:n], w.DX())
		ek := w.Energy(k)
		var res, norm float64
		for j := range n {
			res = max(res, math.Abs(hv[j]-ek*e[j]))
			norm += e[j] * e[j]
		}
		if res > 1e-12*ek {
			t.Errorf("|H₀e_%d − E_%d e_%d| = %.3g (E = %v)", k, k, k, res, ek)
		}
		if math.Abs(norm-1) > 1e-14 {
			t.Errorf("‖e_%d‖² = %v", k, norm)
		}
		for l := 1; l < k; l++ {
			if f := dipole.Fidelity(w.Eigenstate(nil, l), e); f > 1e-28 {
				t.Errorf("|⟨e_%d, e_%d⟩|² = %.3g, want 0", l, k, f)
			}
		}
	}
	for k := 1; k <= 3; k++ {
		cont := math.Pow(float64(k)*math.Pi/dipole.Length, 2)
		// The second-order stencil underestimates by (kπΔx)²/12 relatively.
		if rel := (cont - w.Energy(k)) / cont; rel < 0 || rel > math.Pow(float64(k)*math.Pi*w.DX()/dipole.Length, 2)/12*1.01 {
			t.Errorf("E_%d = %v against the continuous %v: relative gap %.3g", k, w.Energy(k), cont, rel)
		}
	}
}

// TestFreeEigenstateEvolution checks the uncontrolled evolution of an
// eigenstate against the closed form of the discrete scheme. With u = 0,
// e_k is an eigenvector of H₀ and of both Crank–Nicolson matrices, so one
// step multiplies it by
//
//	(1 − iaE_k)/(1 + iaE_k) = e^(−iθ_k),    θ_k = 2·atan(a·E_k),  a = DT/2,
//
// and after n steps ψⁿ = e^(−inθ_k) e_k. This is the scheme's exact
// discrete phase, not the continuous e^(−iE_k·n·DT), from which it differs
// by about n(E_k·DT)³/12 (0.2 rad for the ground state over the paper's
// 384 steps); the test compares with the discrete phase at a tolerance
// near rounding.
func TestFreeEigenstateEvolution(t *testing.T) {
	for _, cfg := range []dipole.Config{{}, {N: 5, Steps: 40, DT: 0.3}} {
		w := mustNew(t, cfg)
		n, m := w.N(), 2*w.N()
		for _, k := range []int{1, 2, 3, n} {
			e := w.Eigenstate(nil, k)
			traj := w.Trajectory(nil, e, make([]float64, w.Steps()))
			theta := 2 * math.Atan(w.DT()/2*w.Energy(k))
			var worst float64
			for s := 0; s <= w.Steps(); s++ {
				ph := cmplx.Exp(complex(0, -float64(s)*theta))
				st := traj[s*m : (s+1)*m]
				for j := range n {
					want := ph * complex(e[j], 0)
					worst = max(worst, cmplx.Abs(complex(st[j], st[n+j])-want))
				}
			}
			t.Logf("N = %d, level %d: largest deviation from e^(−isθ)e_k over %d steps: %.2g", n, k, w.Steps(), worst)
			if worst > 1e-12 {
				t.Errorf("N = %d, level %d: state deviates from e^(−isθ)e_k by %.3g", n, k, worst)
			}
		}
		// Eval starts from the ground state.
		y := make([]float64, m)
		w.NewEvaluator().Eval(y, nil, nil, make([]float64, w.Steps()))
		e1 := w.Eigenstate(nil, 1)
		ph := cmplx.Exp(complex(0, -float64(w.Steps())*2*math.Atan(w.DT()/2*w.Energy(1))))
		for j := range n {
			if d := cmplx.Abs(complex(y[j], y[n+j]) - ph*complex(e1[j], 0)); d > 1e-12 {
				t.Errorf("N = %d: uncontrolled Eval: ψ_%d(T) deviates from e^(−iKθ₁)e₁ by %.3g", n, j+1, d)
			}
		}
	}
}

// TestUnitarity checks that Crank–Nicolson conserves ‖ψ‖ for any control:
// every step is unitary because H_n is Hermitian, so the norm changes only
// by rounding, whatever the size of the field. Random unit initial states
// (complex) and Gaussian controls from 0 to 1000 in scale; the drift
// measured up to a few 1e-15 over 384 steps. A scheme that is not unitary
// (e.g. a wrong sign in B, or an explicit Euler step) changes the norm by
// O(DT·‖H‖) per step.
func TestUnitarity(t *testing.T) {
	w := mustNew(t, dipole.Config{})
	m := 2 * w.N()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, scale := range []float64{0, 1, 10, 100, 1000} {
		psi0 := make([]float64, m)
		var s float64
		for i := range psi0 {
			psi0[i] = rng.NormFloat64()
			s += psi0[i] * psi0[i]
		}
		for i := range psi0 {
			psi0[i] /= math.Sqrt(s)
		}
		u := make([]float64, w.Steps())
		for i := range u {
			u[i] = scale * rng.NormFloat64()
		}
		traj := w.Trajectory(nil, psi0, u)
		var worst float64
		for k := 0; k <= w.Steps(); k++ {
			var nn float64
			for _, v := range traj[k*m : (k+1)*m] {
				nn += v * v
			}
			worst = max(worst, math.Abs(math.Sqrt(nn)-1))
		}
		t.Logf("controls of scale %g: largest |‖ψⁿ‖ − 1| = %.2g", scale, worst)
		if worst > 1e-12 {
			t.Errorf("controls of scale %g: ‖ψ‖ drifts by %.3g", scale, worst)
		}
		// And the controls did something.
		if scale > 0 && dipole.Fidelity(psi0, traj[w.Steps()*m:]) > 0.999 {
			t.Errorf("controls of scale %g left the state unchanged", scale)
		}
	}
}

// TestControlledConvergesAtSecondOrder checks the time discretisation of
// the controlled equation: controls held over the same intervals of 0.05
// (a slow sine, u_n = 2 sin(0.1n)) while each interval is split into 1, 2,
// 4 or 512 steps, the last run being the reference (its own error is
// 512² ≈ 3e5 times smaller than the first's). Crank–Nicolson is of second
// order, so halving the step divides the error of ψ(T) by about 4: the
// orders measured 1.965 and 1.992. A control applied in the wrong step
// would add an error of first order. (Controls that jump a lot from one
// interval to the next excite the highest levels of H₀, up to
// E = 4/Δx² = 225, which are in the asymptotic range only once E·DT ≪ 1;
// with 20% random jitter on the sine the orders measured 1.7 to 1.9 over
// splits 1 … 64.)
func TestControlledConvergesAtSecondOrder(t *testing.T) {
	const steps = 96
	u := make([]float64, steps)
	for i := range u {
		u[i] = 2 * math.Sin(0.1*float64(i))
	}
	final := func(split int) []float64 {
		w := mustNew(t, dipole.Config{Steps: steps * split, DT: 0.05 / float64(split)})
		us := make([]float64, 0, w.Steps())
		for _, ui := range u {
			for range split {
				us = append(us, ui)
			}
		}
		y := make([]float64, 2*w.N())
		w.NewEvaluator().Eval(y, nil, nil, us)
		return y
	}
	ref := final(512)
	dist := func(a []float64) float64 {
		var s float64
		for i := range a {
			s += (a[i] - ref[i]) * (a[i] - ref[i])
		}
		return math.Sqrt(s)
	}
	e1, e2, e4 := dist(final(1)), dist(final(2)), dist(final(4))
	o1, o2 := math.Log2(e1/e2), math.Log2(e2/e4)
	t.Logf("error of ψ(T): %.3g, %.3g, %.3g (DT = 0.05, 0.025, 0.0125), observed orders %.3f, %.3f", e1, e2, e4, o1, o2)
	if math.Abs(o1-2) > 0.1 || math.Abs(o2-2) > 0.1 {
		t.Errorf("observed orders %.2f, %.2f, want 2", o1, o2)
	}
}

func TestTrajectoryEndsAtEval(t *testing.T) {
	for _, cfg := range []dipole.Config{{}, {N: 3, Steps: 5}} {
		w := mustNew(t, cfg)
		m := 2 * w.N()
		rng := rand.New(rand.NewPCG(11, uint64(m)))
		u := make([]float64, w.Steps())
		for i := range u {
			u[i] = rng.NormFloat64()
		}
		g := w.Eigenstate(nil, 1)
		traj := w.Trajectory(make([]float64, (w.Steps()+1)*m), g, u)
		if !slices.Equal(traj[:m], g) {
			t.Errorf("%+v: first state %v, want the ground state %v", cfg, traj[:m], g)
		}
		y := make([]float64, m)
		w.NewEvaluator().Eval(y, nil, []float64{3, 4, 5}, u) // x is ignored
		if last := traj[w.Steps()*m:]; !slices.Equal(last, y) {
			t.Errorf("%+v: last state %v, Eval gives %v", cfg, last, y)
		}
	}
}

// TestVJPOfUnitVectorIsJacobianRow checks that the Jacobian's sweeps and the
// VJP's do the same arithmetic: the VJP of e_r is row r of the Jacobian,
// bit for bit, for the real parts (r < N, cotangent ν = e_r) and the
// imaginary parts (r ≥ N, ν = −i·e_r, whose products differ from e_r's only
// by exact swaps and signs).
func TestVJPOfUnitVectorIsJacobianRow(t *testing.T) {
	for _, cfg := range []dipole.Config{{}, {N: 4, Steps: 9}} {
		w := mustNew(t, cfg)
		_, nz, ny := w.Dims()
		rng := rand.New(rand.NewPCG(4, uint64(ny)))
		z := make([]float64, nz)
		for i := range z {
			z[i] = rng.NormFloat64()
		}
		ev := w.NewEvaluator().(*dipole.Evaluator)
		y, jac := make([]float64, ny), make([]float64, ny*nz)
		ev.Eval(y, jac, nil, z)
		g := make([]float64, nz)
		for r := range ny {
			e := make([]float64, ny)
			e[r] = 1
			ev.VJP(g, e)
			if !slices.Equal(g, jac[r*nz:(r+1)*nz]) {
				t.Errorf("%+v: VJP(e_%d) differs from row %d of the Jacobian", cfg, r, r)
			}
		}
	}
}

func TestSteadyStateDoesNotAllocate(t *testing.T) {
	w := mustNew(t, dipole.Config{})
	_, nz, ny := w.Dims()
	ev := w.NewEvaluator().(physics.VJPEvaluator)
	z := make([]float64, nz)
	for i := range z {
		z[i] = math.Sin(float64(i))
	}
	y, jac, v, g := make([]float64, ny), make([]float64, ny*nz), make([]float64, ny), make([]float64, nz)
	v[3], v[ny-1] = 1, -2
	// In this order: VJP needs a previous Eval.
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"value", func() { ev.Eval(y, nil, nil, z) }},
		{"value+jacobian", func() { ev.Eval(y, jac, nil, z) }},
		{"vjp", func() { ev.VJP(g, v) }},
	} {
		if a := testing.AllocsPerRun(5, tc.f); a != 0 {
			t.Errorf("%s: %v allocations per call, want 0", tc.name, a)
		}
	}
}

func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", name)
		}
	}()
	f()
}

func TestMisusePanics(t *testing.T) {
	w := mustNew(t, dipole.Config{N: 4, Steps: 3})
	ev := w.NewEvaluator().(physics.VJPEvaluator)
	mustPanic(t, "VJP before Eval", func() { ev.VJP(make([]float64, 3), make([]float64, 8)) })
	mustPanic(t, "Eval with short y", func() { ev.Eval(make([]float64, 4), nil, nil, make([]float64, 3)) })
	mustPanic(t, "Eval with long z", func() { ev.Eval(make([]float64, 8), nil, nil, make([]float64, 4)) })
	mustPanic(t, "Eval with a short jac", func() { ev.Eval(make([]float64, 8), make([]float64, 23), nil, make([]float64, 3)) })
	ev.Eval(make([]float64, 8), nil, nil, make([]float64, 3))
	mustPanic(t, "VJP with short v", func() { ev.VJP(make([]float64, 3), make([]float64, 4)) })
	mustPanic(t, "Trajectory with a wrong dst", func() { w.Trajectory(make([]float64, 5), make([]float64, 8), make([]float64, 3)) })
	mustPanic(t, "Trajectory from a short state", func() { w.Trajectory(nil, make([]float64, 4), make([]float64, 3)) })
	mustPanic(t, "Eigenstate 0", func() { w.Eigenstate(nil, 0) })
	mustPanic(t, "Eigenstate N+1", func() { w.Eigenstate(nil, 5) })
	mustPanic(t, "Energy N+1", func() { w.Energy(5) })
	mustPanic(t, "X(0)", func() { w.X(0) })
	mustPanic(t, "Target(0, 0)", func() { w.Target(nil, 0, 0) })
	mustPanic(t, "Target(NaN, 1)", func() { w.Target(nil, math.NaN(), 1) })
	mustPanic(t, "Fidelity of odd states", func() { dipole.Fidelity(make([]float64, 3), make([]float64, 3)) })
	mustPanic(t, "Fidelity of unequal states", func() { dipole.Fidelity(make([]float64, 4), make([]float64, 6)) })
	mustPanic(t, "InfidelityGrad with short dst", func() { dipole.InfidelityGrad(make([]float64, 2), make([]float64, 4), make([]float64, 4)) })
}
