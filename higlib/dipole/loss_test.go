package dipole_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/higlab/hig/higlib/dipole"
)

// randomState returns a complex unit state of n points as 2n reals.
func randomState(n int, rng *rand.Rand) []float64 {
	s := make([]float64, 2*n)
	var nn float64
	for i := range s {
		s[i] = rng.NormFloat64()
		nn += s[i] * s[i]
	}
	for i := range s {
		s[i] /= math.Sqrt(nn)
	}
	return s
}

func TestFidelityValues(t *testing.T) {
	w := mustNew(t, dipole.Config{})
	n := w.N()
	rng := rand.New(rand.NewPCG(1, 1))
	psi := randomState(n, rng)
	// A global phase: e^(iα)ψ has fidelity 1 with ψ.
	alpha := 0.7
	rot := make([]float64, 2*n)
	for j := range n {
		c := complex(math.Cos(alpha), math.Sin(alpha)) * complex(psi[j], psi[n+j])
		rot[j], rot[n+j] = real(c), imag(c)
	}
	if f := dipole.Fidelity(psi, rot); math.Abs(f-1) > 1e-14 {
		t.Errorf("fidelity of ψ with e^(iα)ψ = %v, want 1", f)
	}
	if l := dipole.Infidelity(psi, rot); math.Abs(l) > 1e-14 {
		t.Errorf("infidelity of ψ with e^(iα)ψ = %v, want 0", l)
	}
	// Orthogonal eigenstates; and i·e₁ against e₁ (the imaginary parts
	// count: ⟨e₁, i·e₁⟩ = i).
	e1, e2 := w.Eigenstate(nil, 1), w.Eigenstate(nil, 2)
	if l := dipole.Infidelity(e1, e2); math.Abs(l-1) > 1e-14 {
		t.Errorf("infidelity of e₁ with e₂ = %v, want 1", l)
	}
	ie1 := make([]float64, 2*n)
	copy(ie1[n:], e1[:n])
	if f := dipole.Fidelity(e1, ie1); math.Abs(f-1) > 1e-14 {
		t.Errorf("fidelity of e₁ with i·e₁ = %v, want 1", f)
	}
	// An equal superposition of e₁ and e₂ (with a relative phase i).
	sup := make([]float64, 2*n)
	for j := range n {
		sup[j] = e1[j] / math.Sqrt2
		sup[n+j] = e2[j] / math.Sqrt2
	}
	if f := dipole.Fidelity(e2, sup); math.Abs(f-0.5) > 1e-14 {
		t.Errorf("fidelity of e₂ with (e₁ + i·e₂)/√2 = %v, want 1/2", f)
	}
	// Bounded by 1 for unit states (Cauchy–Schwarz).
	for range 20 {
		if f := dipole.Fidelity(randomState(n, rng), randomState(n, rng)); !(f >= 0 && f <= 1) {
			t.Errorf("fidelity %v of two unit states outside [0, 1]", f)
		}
	}
}

// gradTol bounds the difference between the analytic gradient and central
// differences. The infidelity is a quadratic form in ψ, so the central
// difference has no truncation error; what remains is rounding, about
// ε·|L|/h ≈ 4e-11 for fd's default step.
const gradTol = 1e-9

// TestInfidelityGradAgainstFD checks InfidelityGrad against fd.Gradient at
// random (not normalised) complex states and targets, and that it returns
// the loss.
func TestInfidelityGradAgainstFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for _, n := range []int{3, 14} {
		for range 5 {
			target := randomState(n, rng)
			psi := randomState(n, rng)
			for i := range psi {
				psi[i] *= 1.5
			}
			got := make([]float64, 2*n)
			l := dipole.InfidelityGrad(got, target, psi)
			if l != dipole.Infidelity(target, psi) {
				t.Errorf("InfidelityGrad returns %v, Infidelity %v", l, dipole.Infidelity(target, psi))
			}
			want := fd.Gradient(nil, func(p []float64) float64 { return dipole.Infidelity(target, p) }, psi,
				&fd.Settings{Formula: fd.Central})
			for i := range got {
				if math.Abs(got[i]-want[i]) > gradTol*(1+math.Abs(want[i])) {
					t.Errorf("n = %d: ∂L/∂ψ[%d] = %v, central difference %v", n, i, got[i], want[i])
				}
			}
		}
	}
}

// TestLossGradientThroughSimulator composes the two pieces a trainer puts
// together, InfidelityGrad and the map's VJP, into ∂L/∂u for the loss
// L(u) = 1 − |⟨ŷ, ψ(T; u)⟩|², and checks the result against central
// differences of L over all 384 controls. The loss is smooth in u (ψ(T)
// is a product of bounded rational functions of the controls); the
// differences measured 3e-11 and 2e-10 (controls of scale 1 and 10),
// against a tolerance of 1e-8·(1 + max|∂L/∂u|).
func TestLossGradientThroughSimulator(t *testing.T) {
	w := mustNew(t, dipole.Config{})
	_, nz, ny := w.Dims()
	rng := rand.New(rand.NewPCG(9, 9))
	data := w.Dataset(1, rng)
	target := data.Y.RawRowView(0)
	ev := w.NewEvaluator().(*dipole.Evaluator)
	fev := w.NewEvaluator()
	y, gy, got := make([]float64, ny), make([]float64, ny), make([]float64, nz)
	for _, scale := range []float64{1, 10} {
		u := make([]float64, nz)
		for i := range u {
			u[i] = scale * rng.NormFloat64()
		}
		ev.Eval(y, nil, nil, u)
		l := dipole.InfidelityGrad(gy, target, y)
		ev.VJP(got, gy)
		want := fd.Gradient(nil, func(u []float64) float64 {
			fev.Eval(y, nil, nil, u)
			return dipole.Infidelity(target, y)
		}, u, &fd.Settings{Formula: fd.Central})
		var worst, big float64
		for i := range got {
			worst = max(worst, math.Abs(got[i]-want[i]))
			big = max(big, math.Abs(want[i]))
		}
		t.Logf("controls of scale %g: loss %.4f, max|∂L/∂u| = %.3g, |VJP − fd| ≤ %.2g", scale, l, big, worst)
		if worst > 1e-8*(1+big) {
			t.Errorf("controls of scale %g: ∂L/∂u differs from central differences by %.3g", scale, worst)
		}
		if big < 1e-4 {
			t.Errorf("controls of scale %g: max|∂L/∂u| = %.3g, the check compares next to nothing", scale, big)
		}
	}
}

// TestDataset checks the paper's targets: real unit superpositions of e₂
// and e₃ with a uniformly distributed angle (c ~ N(0, 1) in two dimensions
// has a uniform direction), inputs equal to targets, and the same bits
// from the same seed.
func TestDataset(t *testing.T) {
	w := mustNew(t, dipole.Config{})
	n := w.N()
	const count = 4000
	d := w.Dataset(count, rand.New(rand.NewPCG(3, 4)))
	if r, c := d.X.Dims(); r != count || c != 2*n {
		t.Fatalf("X is %d × %d, want %d × %d", r, c, count, 2*n)
	}
	e1, e2, e3 := w.Eigenstate(nil, 1), w.Eigenstate(nil, 2), w.Eigenstate(nil, 3)
	var quadrant [4]int
	for i := range count {
		x, y := d.X.RawRowView(i), d.Y.RawRowView(i)
		if !slices.Equal(x, y) {
			t.Fatalf("sample %d: input %v differs from target %v", i, x, y)
		}
		if !slices.Equal(y[n:], make([]float64, n)) {
			t.Fatalf("sample %d: target has imaginary parts %v", i, y[n:])
		}
		f1, f2, f3 := dipole.Fidelity(e1, y), dipole.Fidelity(e2, y), dipole.Fidelity(e3, y)
		if f1 > 1e-28 || math.Abs(f2+f3-1) > 1e-14 {
			t.Fatalf("sample %d: weights on e₁, e₂, e₃ are %v, %v, %v; want 0 and a sum of 1", i, f1, f2, f3)
		}
		// The signs of the coefficients tell the quadrant of φ.
		c2, c3 := 0.0, 0.0
		for j := range n {
			c2 += e2[j] * y[j]
			c3 += e3[j] * y[j]
		}
		q := 0
		if c2 < 0 {
			q++
		}
		if c3 < 0 {
			q += 2
		}
		quadrant[q]++
	}
	// Each quadrant holds count/4 = 1000 samples in expectation, with a
	// standard deviation of √(count·3/16) ≈ 27.
	for q, k := range quadrant {
		if math.Abs(float64(k)-count/4) > 5*27 {
			t.Errorf("quadrant %d of φ holds %d of %d targets", q, k, count)
		}
	}
	again := w.Dataset(count, rand.New(rand.NewPCG(3, 4)))
	if !slices.Equal(again.Y.RawMatrix().Data, d.Y.RawMatrix().Data) {
		t.Error("the same seed gives other targets")
	}
	other := w.Dataset(count, rand.New(rand.NewPCG(3, 5)))
	if slices.Equal(other.Y.RawMatrix().Data, d.Y.RawMatrix().Data) {
		t.Error("another seed gives the same targets")
	}
}
