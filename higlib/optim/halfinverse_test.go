package optim_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/higlib/optim"
)

// hiTol is the tolerance, relative to the largest component of the expected
// step, between HalfInverse and the test's direct mat.SVD evaluation. Both
// go through an SVD of the same matrix; for the random Gaussian matrices
// here (condition numbers ≲ 100) the backward-stable SVD and the products
// with σ^(−κ) agree to about cond·ε·min(m, n) ≈ 1e-13.
const hiTol = 1e-10

func randDense(rng *rand.Rand, r, c int) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			m.Set(i, j, rng.NormFloat64())
		}
	}
	return m
}

func randVec(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

// directStep computes −η V diag(σ^(−κ)) Uᵀ g with its own thin SVD, keeping
// every singular value (none of the matrices here has σ ≤ 1e-6 σ_max).
func directStep(t *testing.T, j *mat.Dense, g []float64, eta, kappa float64) []float64 {
	t.Helper()
	var svd mat.SVD
	if !svd.Factorize(j, mat.SVDThin) {
		t.Fatal("SVD failed")
	}
	s := svd.Values(nil)
	if s[len(s)-1] <= 1e-6*s[0] {
		t.Fatalf("test matrix too ill-conditioned: σ = %v", s)
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	var utg mat.VecDense
	utg.MulVec(u.T(), mat.NewVecDense(len(g), g))
	for i := range s {
		utg.SetVec(i, utg.AtVec(i)*math.Pow(s[i], -kappa))
	}
	var dir mat.VecDense
	dir.MulVec(&v, &utg)
	_, n := j.Dims()
	out := make([]float64, n)
	for i := range out {
		out[i] = -eta * dir.AtVec(i)
	}
	return out
}

func maxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

func compareSteps(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	scale := max(maxAbs(want), 1e-300)
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol*scale {
			t.Errorf("%s: Δθ_%d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestHalfInverseStepMatchesDirectSVD(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 1))
	for _, shape := range []struct {
		name string
		m, n int
	}{{"tall", 9, 5}, {"wide", 4, 7}, {"square", 6, 6}} {
		for _, tc := range []struct {
			lr, kappa float64
		}{{1, 0.5}, {0.1, 0.5}, {1, 1}, {0.3, 0.25}} {
			j := randDense(rng, shape.m, shape.n)
			g := randVec(rng, shape.m)
			h := &optim.HalfInverse{LearnRate: tc.lr, Kappa: tc.kappa}
			if err := h.Init(shape.n); err != nil {
				t.Fatal(err)
			}
			if !h.NeedsJacobian() {
				t.Fatal("half-inverse step needs the Jacobian")
			}
			delta := make([]float64, shape.n)
			if err := h.Step(delta, &optim.Local{Jac: j, GradY: g}); err != nil {
				t.Fatal(err)
			}
			want := directStep(t, j, g, tc.lr, tc.kappa)
			compareSteps(t, shape.name, delta, want, hiTol)

			// Singular values: those of J, in decreasing order.
			sv := h.SingularValues()
			var svd mat.SVD
			svd.Factorize(j, mat.SVDNone)
			ref := svd.Values(nil)
			if len(sv) != min(shape.m, shape.n) {
				t.Fatalf("%s: %d singular values, want %d", shape.name, len(sv), min(shape.m, shape.n))
			}
			for i := range sv {
				if i > 0 && sv[i] > sv[i-1] {
					t.Errorf("%s: singular values not decreasing: %v", shape.name, sv)
				}
				if math.Abs(sv[i]-ref[i]) > 1e-12*ref[0] {
					t.Errorf("%s: σ_%d = %v, mat.SVD gives %v", shape.name, i, sv[i], ref[i])
				}
			}
		}
	}
}

// For a tall J of full column rank, J^(−1) g with κ = 1 is the least-squares
// solution argmin ‖J x − g‖, so the Gauss-Newton step is −η times it.
func TestGaussNewtonIsLeastSquares(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 1))
	for _, lr := range []float64{1, 0.5} {
		j := randDense(rng, 12, 4)
		g := randVec(rng, 12)
		var x mat.VecDense
		if err := x.SolveVec(j, mat.NewVecDense(12, g)); err != nil { // QR least squares
			t.Fatal(err)
		}
		want := make([]float64, 4)
		for i := range want {
			want[i] = -lr * x.AtVec(i)
		}
		h := optim.GaussNewton(lr)
		if err := h.Init(4); err != nil {
			t.Fatal(err)
		}
		delta := make([]float64, 4)
		if err := h.Step(delta, &optim.Local{Jac: j, GradY: g}); err != nil {
			t.Fatal(err)
		}
		compareSteps(t, "Gauss-Newton vs least squares", delta, want, hiTol)
	}
}

// Truncation and clamping of a singular value below τ·σ_max, on a J built
// from chosen singular values: J = Q₁ diag(σ) Q₂ᵀ with σ = (4, 1, 1e-9).
func TestHalfInverseSmallSingularValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 1))
	orth := func(n int) *mat.Dense {
		var qr mat.QR
		qr.Factorize(randDense(rng, n, n))
		var q mat.Dense
		qr.QTo(&q)
		return &q
	}
	u, v := orth(5), orth(3)
	sigma := []float64{4, 1, 1e-9}
	s := mat.NewDense(5, 3, nil)
	for i, x := range sigma {
		s.Set(i, i, x)
	}
	var j mat.Dense
	j.Product(u, s, v.T())
	g := randVec(rng, 5)
	const tau, kappa = 1e-6, 0.5
	// Expected directions from the constructed factors: components along
	// the first two singular pairs scaled by σ^(−κ); the third either
	// dropped (Truncate) or scaled by (τ σ_max)^(−κ) (Clamp).
	expect := func(third float64) []float64 {
		out := make([]float64, 3)
		for k, x := range sigma {
			f := math.Pow(x, -kappa)
			if k == 2 {
				f = third
			}
			c := mat.Dot(u.ColView(k), mat.NewVecDense(5, g)) * f
			for i := range out {
				out[i] -= c * v.At(i, k)
			}
		}
		return out
	}
	for _, tc := range []struct {
		mode  halfinv.Mode
		third float64
	}{
		{halfinv.Truncate, 0},
		{halfinv.Clamp, math.Pow(tau*sigma[0], -kappa)},
	} {
		h := &optim.HalfInverse{LearnRate: 1, Kappa: kappa, Tau: tau, Mode: tc.mode}
		if err := h.Init(3); err != nil {
			t.Fatal(err)
		}
		delta := make([]float64, 3)
		if err := h.Step(delta, &optim.Local{Jac: &j, GradY: g}); err != nil {
			t.Fatal(err)
		}
		// The smallest singular value of the product is only known to about
		// ε·σ_max ≈ 1e-15, i.e. relative 1e-6 of σ₃; with Truncate it is
		// dropped, with Clamp it is replaced, so 1e-8 relative suffices.
		compareSteps(t, tc.mode.String(), delta, expect(tc.third), 1e-8)
	}
}

func TestHalfInverseDefaultsAndConstructors(t *testing.T) {
	h := &optim.HalfInverse{}
	if err := h.Init(2); err != nil {
		t.Fatal(err)
	}
	// The defaults documented on the fields.
	if h.LearnRate != 1 || h.Kappa != 0.5 || h.Tau != 1e-6 || h.Mode != halfinv.Truncate {
		t.Errorf("defaults η, κ, τ, mode = %v, %v, %v, %v, want 1, 0.5, 1e-6, truncate", h.LearnRate, h.Kappa, h.Tau, h.Mode)
	}
	if g := optim.GaussNewton(0.3); g.Kappa != 1 || g.LearnRate != 0.3 {
		t.Errorf("GaussNewton(0.3) = %+v", g)
	}
	if g := optim.HIG(0.7); g.Kappa != 0.5 || g.LearnRate != 0.7 {
		t.Errorf("HIG(0.7) = %+v", g)
	}
}

func TestHalfInverseInitRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    optim.HalfInverse
		msg  string
	}{
		{"τ < 0", optim.HalfInverse{Tau: -1e-6}, "τ"},
		{"τ NaN", optim.HalfInverse{Tau: math.NaN()}, "τ"},
		{"τ Inf", optim.HalfInverse{Tau: math.Inf(1)}, "τ"},
		{"κ > 1", optim.HalfInverse{Kappa: 1.5}, "κ"},
		{"κ < 0", optim.HalfInverse{Kappa: -0.5}, "κ"},
		{"κ NaN", optim.HalfInverse{Kappa: math.NaN()}, "κ"},
		{"lr < 0", optim.HalfInverse{LearnRate: -1}, "learning rate"},
		{"lr NaN", optim.HalfInverse{LearnRate: math.NaN()}, "learning rate"},
		{"lr Inf", optim.HalfInverse{LearnRate: math.Inf(1)}, "learning rate"},
		{"unknown mode", optim.HalfInverse{Mode: halfinv.Mode(5)}, "mode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.h.Init(3)
			if err == nil {
				t.Fatal("Init gives no error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestHalfInverseZeroJacobian(t *testing.T) {
	h := optim.HIG(1)
	if err := h.Init(4); err != nil {
		t.Fatal(err)
	}
	delta := fill(4, math.NaN())
	g := []float64{1, -2, 3}
	if err := h.Step(delta, &optim.Local{Jac: mat.NewDense(3, 4, nil), GradY: g}); err != nil {
		t.Fatal(err)
	}
	for i, v := range delta {
		if v != 0 {
			t.Errorf("zero Jacobian: Δθ_%d = %v, want 0", i, v)
		}
	}
	for i, s := range h.SingularValues() {
		if s != 0 {
			t.Errorf("zero Jacobian: σ_%d = %v", i, s)
		}
	}
}

func TestHalfInverseNonFinite(t *testing.T) {
	rng := rand.New(rand.NewPCG(44, 1))
	j := randDense(rng, 5, 3)
	g := randVec(rng, 5)
	h := optim.HIG(1)
	if err := h.Init(3); err != nil {
		t.Fatal(err)
	}
	first := make([]float64, 3)
	if err := h.Step(first, &optim.Local{Jac: j, GradY: g}); err != nil {
		t.Fatal(err)
	}
	sv := append([]float64(nil), h.SingularValues()...)

	badJ := mat.DenseCopyOf(j)
	badJ.Set(2, 1, math.Inf(1))
	badG := append([]float64(nil), g...)
	badG[3] = math.NaN()
	for name, loc := range map[string]*optim.Local{
		"NaN in GradY": {Jac: j, GradY: badG},
		"Inf in Jac":   {Jac: badJ, GradY: g},
	} {
		delta := []float64{7, 8, 9}
		err := h.Step(delta, loc)
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		if delta[0] != 7 || delta[1] != 8 || delta[2] != 9 {
			t.Errorf("%s: delta changed to %v", name, delta)
		}
		got := h.SingularValues()
		for i := range sv {
			if got[i] != sv[i] {
				t.Errorf("%s: singular values changed from %v to %v", name, sv, got)
				break
			}
		}
	}
	again := make([]float64, 3)
	if err := h.Step(again, &optim.Local{Jac: j, GradY: g}); err != nil {
		t.Fatal(err)
	}
	for i := range again {
		if again[i] != first[i] {
			t.Errorf("step after failures = %v, before %v", again, first)
			break
		}
	}
}

// TestHalfInverseSerialSameBits checks that Serial changes nothing but the
// goroutines: on Jacobians large enough for the blocked, parallel solver
// (wide and tall), a Serial step equals the default one bit for bit.
func TestHalfInverseSerialSameBits(t *testing.T) {
	for _, sh := range [][2]int{{160, 700}, {600, 130}} {
		m, n := sh[0], sh[1]
		rng := rand.New(rand.NewPCG(uint64(m), uint64(n)))
		data := make([]float64, m*n)
		for i := range data {
			data[i] = rng.NormFloat64()
		}
		gy := make([]float64, m)
		for i := range gy {
			gy[i] = rng.NormFloat64()
		}
		loc := &optim.Local{Jac: mat.NewDense(m, n, data), GradY: gy}
		step := func(serial bool) []float64 {
			h := optim.HIG(0.5)
			h.Serial = serial
			if err := h.Init(n); err != nil {
				t.Fatal(err)
			}
			delta := make([]float64, n)
			for range 2 {
				if err := h.Step(delta, loc); err != nil {
					t.Fatal(err)
				}
			}
			return delta
		}
		def, ser := step(false), step(true)
		for i := range def {
			if math.Float64bits(def[i]) != math.Float64bits(ser[i]) {
				t.Fatalf("%d×%d: component %d: Serial %v, default %v", m, n, i, ser[i], def[i])
			}
		}
	}
}
