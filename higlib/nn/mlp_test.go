package nn_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/nn"
)

const (
	// fdTol bounds |analytic − finite difference| / (1 + |finite difference|).
	// fd.Central uses the step h = 6e-6: its truncation error is about
	// h²/6·|f'''| ≈ 6e-12·|f'''| and its rounding error about
	// ε·|f|/h ≈ 2e-16/6e-6 ≈ 4e-11, so 1e-7 leaves a wide margin for the
	// O(1) to O(10) third derivatives of these small networks.
	fdTol = 1e-7
	// exactTol bounds the relative disagreement of two computations of the
	// same quantity in floating point that differ only in the order of the
	// sums (a few dozen terms, each rounding by ε ≈ 1.1e-16).
	exactTol = 1e-12
	// kinkMargin is the smallest |pre-activation| allowed at a ReLU unit in
	// the finite-difference tests. A central difference with step h = 6e-6
	// moves a pre-activation by at most h·(1 + Σ|a_j|), far below 1e-3, so
	// no stencil point crosses the kink.
	kinkMargin = 1e-3
)

type arch struct {
	name  string
	sizes []int
	acts  []nn.Activation
}

var archs = []arch{
	{"toy 1→7 tanh→2", []int{1, 7, 2}, []nn.Activation{nn.Tanh, nn.Identity}},
	{"3→5 relu→4 tanh→2", []int{3, 5, 4, 2}, []nn.Activation{nn.ReLU, nn.Tanh, nn.Identity}},
	{"identity only 2→3→2", []int{2, 3, 2}, []nn.Activation{nn.Identity, nn.Identity}},
	{"single layer 4→3 tanh", []int{4, 3}, []nn.Activation{nn.Tanh}},
	{"tanh output 2→3 relu→3 tanh", []int{2, 3, 3}, []nn.Activation{nn.ReLU, nn.Tanh}},
}

func mustNew(t testing.TB, sizes []int, acts []nn.Activation) *nn.MLP {
	t.Helper()
	m, err := nn.New(sizes, acts)
	if err != nil {
		t.Fatalf("nn.New(%v, %v): %v", sizes, acts, err)
	}
	return m
}

func randVec(rng *rand.Rand, n int, scale float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = scale * rng.NormFloat64()
	}
	return x
}

// minReLUMargin returns the smallest |pre-activation| over the ReLU units of
// m at x, computed from the layer views (independently of Forward's own
// bookkeeping), or +Inf if m has no ReLU layer.
func minReLUMargin(m *nn.MLP, params, x []float64) float64 {
	a := append([]float64(nil), x...)
	margin := math.Inf(1)
	for l := 1; l <= m.Layers(); l++ {
		w, b := m.Layer(params, l)
		out, _ := w.Dims()
		next := make([]float64, out)
		for i := range out {
			z := b[i] + mat.Dot(w.RowView(i), mat.NewVecDense(len(a), a))
			switch m.Acts[l-1] {
			case nn.ReLU:
				margin = min(margin, math.Abs(z))
				next[i] = max(z, 0)
			case nn.Tanh:
				next[i] = math.Tanh(z)
			default:
				next[i] = z
			}
		}
		a = next
	}
	return margin
}

// randPoint draws parameters and an input for m whose ReLU units all sit at
// least kinkMargin away from the kink.
func randPoint(t *testing.T, rng *rand.Rand, m *nn.MLP) (params, x []float64) {
	t.Helper()
	for range 1000 {
		params = randVec(rng, m.NumParams(), 0.8)
		x = randVec(rng, m.In(), 1)
		if minReLUMargin(m, params, x) > kinkMargin {
			return params, x
		}
	}
	t.Fatal("could not draw a point away from the ReLU kinks")
	return nil, nil
}

func closeTo(a, b, tol float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(b)) }

func TestJacobianMatchesFiniteDifferences(t *testing.T) {
	for ai, ar := range archs {
		t.Run(ar.name, func(t *testing.T) {
			m := mustNew(t, ar.sizes, ar.acts)
			rng := rand.New(rand.NewPCG(11, uint64(ai)))
			d, P := m.Out(), m.NumParams()
			ws := m.NewWorkspace()
			fws := m.NewWorkspace()
			for trial := range 4 {
				params, x := randPoint(t, rng, m)
				got := make([]float64, d*P)
				m.Jacobian(got, ws, params, x)

				want := mat.NewDense(d, P, nil)
				fd.Jacobian(want, func(y, th []float64) {
					copy(y, m.Forward(fws, th, x))
				}, params, &fd.JacobianSettings{Formula: fd.Central})
				for k := range d {
					for c := range P {
						if g, w := got[k*P+c], want.At(k, c); !closeTo(g, w, fdTol) {
							t.Errorf("trial %d: ∂f_%d/∂θ_%d = %v, finite difference %v", trial, k, c, g, w)
						}
					}
				}
				// Jacobian runs Forward: ws holds the output at x.
				out := m.Forward(fws, params, x)
				for k, v := range ws.Activation(m.Layers()) {
					if v != out[k] {
						t.Errorf("trial %d: after Jacobian, output activation %d = %v, Forward gives %v", trial, k, v, out[k])
					}
				}
			}
		})
	}
}

func TestVJPIsJacobianTransposeTimesV(t *testing.T) {
	for ai, ar := range archs {
		t.Run(ar.name, func(t *testing.T) {
			m := mustNew(t, ar.sizes, ar.acts)
			rng := rand.New(rand.NewPCG(12, uint64(ai)))
			d, P := m.Out(), m.NumParams()
			ws := m.NewWorkspace()
			jac := make([]float64, d*P)
			for trial := range 4 {
				params, x := randPoint(t, rng, m)
				v := randVec(rng, d, 1)
				m.Jacobian(jac, ws, params, x)
				want := make([]float64, P)
				g0 := randVec(rng, P, 1) // VJP adds to what is there
				for c := range P {
					want[c] = g0[c]
					for k := range d {
						want[c] += jac[k*P+c] * v[k]
					}
				}
				got := append([]float64(nil), g0...)
				m.VJP(got, ws, params, x, v)
				// Backprop after an explicit Forward is the same computation.
				got2 := append([]float64(nil), g0...)
				m.Forward(ws, params, x)
				m.Backprop(got2, ws, params, v)
				for c := range P {
					if !closeTo(got[c], want[c], exactTol) {
						t.Errorf("trial %d: VJP[%d] = %v, (Jᵀv)[%d] + g0 = %v", trial, c, got[c], c, want[c])
					}
					if got2[c] != got[c] {
						t.Errorf("trial %d: Backprop[%d] = %v, VJP gives %v", trial, c, got2[c], got[c])
					}
				}
			}
		})
	}
}

func TestForwardHandComputed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sizes  []int
		acts   []nn.Activation
		params []float64
		x      []float64
		want   []float64
	}{
		// 1→1 identity: f = w·x + b = 2·3 − 0.5.
		{"affine", []int{1, 1}, []nn.Activation{nn.Identity}, []float64{2, -0.5}, []float64{3}, []float64{5.5}},
		// 2→1 tanh: f = tanh(0.125 + 0.5·1 − 0.25·2) = tanh(0.125), exact in binary.
		{"tanh", []int{2, 1}, []nn.Activation{nn.Tanh}, []float64{0.5, -0.25, 0.125}, []float64{1, 2}, []float64{math.Tanh(0.125)}},
		// 1→2 relu→1: W1 = (1, −1)ᵀ, b1 = 0, W2 = (2, 3), b2 = 1.
		// x = 0.5: hidden (0.5, 0), f = 2·0.5 + 1 = 2.
		{"relu positive", []int{1, 2, 1}, []nn.Activation{nn.ReLU, nn.Identity}, []float64{1, -1, 0, 0, 2, 3, 1}, []float64{0.5}, []float64{2}},
		// x = −0.5: hidden (0, 0.5), f = 3·0.5 + 1 = 2.5.
		{"relu negative", []int{1, 2, 1}, []nn.Activation{nn.ReLU, nn.Identity}, []float64{1, -1, 0, 0, 2, 3, 1}, []float64{-0.5}, []float64{2.5}},
		// 2→2 identity with W = [[1, 2], [3, 4]], b = (10, 20), x = (1, −1):
		// f = (1 − 2 + 10, 3 − 4 + 20) = (9, 19).
		{"matrix", []int{2, 2}, []nn.Activation{nn.Identity}, []float64{1, 2, 3, 4, 10, 20}, []float64{1, -1}, []float64{9, 19}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mustNew(t, tc.sizes, tc.acts)
			got := m.Forward(m.NewWorkspace(), tc.params, tc.x)
			if len(got) != len(tc.want) {
				t.Fatalf("len(Forward) = %d, want %d", len(got), len(tc.want))
			}
			for k := range got {
				if got[k] != tc.want[k] {
					t.Errorf("f_%d = %v, want %v", k, got[k], tc.want[k])
				}
			}
		})
	}
}

func TestLayerViewsAliasParams(t *testing.T) {
	m := mustNew(t, []int{3, 5, 4, 2}, []nn.Activation{nn.ReLU, nn.Tanh, nn.Identity})
	params := make([]float64, m.NumParams())
	if want := 5*(3+1) + 4*(5+1) + 2*(4+1); m.NumParams() != want {
		t.Fatalf("NumParams = %d, want %d", m.NumParams(), want)
	}
	// Layer l starts after all earlier layers; W_l is row-major out × in,
	// followed by b_l.
	off := 0
	for l := 1; l <= m.Layers(); l++ {
		out, in := m.Sizes[l], m.Sizes[l-1]
		w, b := m.Layer(params, l)
		if r, c := w.Dims(); r != out || c != in {
			t.Fatalf("layer %d: W is %d×%d, want %d×%d", l, r, c, out, in)
		}
		if len(b) != out || cap(b) != out {
			t.Fatalf("layer %d: len, cap(b) = %d, %d, want %d", l, len(b), cap(b), out)
		}
		for i := range out {
			for j := range in {
				w.Set(i, j, float64(1000*l+10*i+j))
				if got := params[off+i*in+j]; got != float64(1000*l+10*i+j) {
					t.Errorf("layer %d: W(%d,%d) written, params[%d] = %v", l, i, j, off+i*in+j, got)
				}
				params[off+i*in+j] = -1
				if w.At(i, j) != -1 {
					t.Errorf("layer %d: params[%d] written, W(%d,%d) = %v", l, off+i*in+j, i, j, w.At(i, j))
				}
			}
			b[i] = float64(-l - i)
			if params[off+out*in+i] != float64(-l-i) {
				t.Errorf("layer %d: b[%d] written, params[%d] = %v", l, i, off+out*in+i, params[off+out*in+i])
			}
		}
		off += out * (in + 1)
	}
}

func TestInit(t *testing.T) {
	for ai, ar := range archs {
		t.Run(ar.name, func(t *testing.T) {
			m := mustNew(t, ar.sizes, ar.acts)
			p1 := make([]float64, m.NumParams())
			p2 := make([]float64, m.NumParams())
			for i := range p1 {
				p1[i], p2[i] = math.NaN(), 7 // Init must overwrite everything
			}
			m.Init(p1, rand.New(rand.NewPCG(5, uint64(ai))))
			m.Init(p2, rand.New(rand.NewPCG(5, uint64(ai))))
			for i := range p1 {
				if math.Float64bits(p1[i]) != math.Float64bits(p2[i]) {
					t.Fatalf("same seed: params[%d] = %v and %v", i, p1[i], p2[i])
				}
			}
			p3 := make([]float64, m.NumParams())
			m.Init(p3, rand.New(rand.NewPCG(6, uint64(ai))))
			same := true
			for i := range p1 {
				same = same && p1[i] == p3[i]
			}
			if same {
				t.Error("different seeds give identical parameters")
			}
			for l := 1; l <= m.Layers(); l++ {
				// Glorot & Bengio (2010) uniform bound.
				bound := math.Sqrt(6 / float64(m.Sizes[l]+m.Sizes[l-1]))
				w, b := m.Layer(p1, l)
				raw := w.RawMatrix().Data
				for _, v := range raw {
					if !(math.Abs(v) <= bound) {
						t.Errorf("layer %d: weight %v outside ±%v", l, v, bound)
					}
				}
				for i, v := range b {
					if v != 0 {
						t.Errorf("layer %d: bias %d = %v, want 0", l, i, v)
					}
				}
			}
		})
	}
}

func TestInitUsesTheRange(t *testing.T) {
	// 1→7→2 has 21 weights. Init draws a·(2u − 1) with u uniform, so
	// P(all |w| < a/2) = 2^−21: the draw must reach beyond half the bound and
	// take both signs (P(all one sign) = 2^−20).
	m := mustNew(t, []int{1, 7, 2}, []nn.Activation{nn.Tanh, nn.Identity})
	p := make([]float64, m.NumParams())
	m.Init(p, rand.New(rand.NewPCG(1, 2)))
	var far, pos, neg int
	for l := 1; l <= m.Layers(); l++ {
		bound := math.Sqrt(6 / float64(m.Sizes[l]+m.Sizes[l-1]))
		w, _ := m.Layer(p, l)
		for _, v := range w.RawMatrix().Data {
			if math.Abs(v) > bound/2 {
				far++
			}
			if v > 0 {
				pos++
			} else if v < 0 {
				neg++
			}
		}
	}
	if far == 0 || pos == 0 || neg == 0 {
		t.Errorf("weights do not spread over ±bound: %d beyond half the bound, %d positive, %d negative", far, pos, neg)
	}
}

func TestNewRejectsBadShapes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int
		acts  []nn.Activation
		msg   string
	}{
		{"no sizes", nil, nil, "at least"},
		{"one size", []int{3}, nil, "at least"},
		{"zero width", []int{2, 0, 1}, []nn.Activation{nn.Tanh, nn.Identity}, "positive"},
		{"negative width", []int{2, -3}, []nn.Activation{nn.Tanh}, "positive"},
		{"too few activations", []int{2, 3, 1}, []nn.Activation{nn.Tanh}, "activations"},
		{"too many activations", []int{2, 1}, []nn.Activation{nn.Tanh, nn.Tanh}, "activations"},
		{"unknown activation", []int{2, 1}, []nn.Activation{nn.Activation(7)}, "unknown activation"},
		{"negative activation", []int{2, 1}, []nn.Activation{nn.Activation(-1)}, "unknown activation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := nn.New(tc.sizes, tc.acts)
			if err == nil {
				t.Fatalf("New(%v, %v) = %v, want an error", tc.sizes, tc.acts, m)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestNewCopiesItsArguments(t *testing.T) {
	sizes := []int{2, 3, 1}
	acts := []nn.Activation{nn.Tanh, nn.Identity}
	m := mustNew(t, sizes, acts)
	sizes[1], acts[0] = 100, nn.ReLU
	if m.Sizes[1] != 3 || m.Acts[0] != nn.Tanh {
		t.Errorf("New aliases its arguments: Sizes %v, Acts %v", m.Sizes, m.Acts)
	}
	if m.In() != 2 || m.Out() != 1 || m.Layers() != 2 || m.NumParams() != 3*3+1*4 {
		t.Errorf("In, Out, Layers, NumParams = %d, %d, %d, %d, want 2, 1, 2, 13", m.In(), m.Out(), m.Layers(), m.NumParams())
	}
}

func TestParseActivation(t *testing.T) {
	for _, a := range []nn.Activation{nn.Identity, nn.Tanh, nn.ReLU} {
		for _, s := range []string{a.String(), strings.ToUpper(a.String())} {
			got, err := nn.ParseActivation(s)
			if err != nil || got != a {
				t.Errorf("ParseActivation(%q) = %v, %v, want %v", s, got, err, a)
			}
		}
	}
	for _, s := range []string{"", "sigmoid", "Activation(1)", "tanh "} {
		if _, err := nn.ParseActivation(s); err == nil {
			t.Errorf("ParseActivation(%q) gives no error", s)
		}
	}
	if s := nn.Activation(9).String(); s != "Activation(9)" {
		t.Errorf("Activation(9).String() = %q", s)
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

func TestPanicsOnMisuse(t *testing.T) {
	m := mustNew(t, []int{2, 3, 1}, []nn.Activation{nn.Tanh, nn.Identity})
	other := mustNew(t, []int{2, 3, 1}, []nn.Activation{nn.Tanh, nn.Identity})
	ws := m.NewWorkspace()
	p := make([]float64, m.NumParams())
	x := []float64{1, 2}
	mustPanic(t, "Forward with short params", func() { m.Forward(ws, p[1:], x) })
	mustPanic(t, "Forward with long input", func() { m.Forward(ws, p, []float64{1, 2, 3}) })
	mustPanic(t, "Forward with another net's workspace", func() { m.Forward(other.NewWorkspace(), p, x) })
	mustPanic(t, "Jacobian with short dst", func() { m.Jacobian(make([]float64, m.NumParams()-1), ws, p, x) })
	mustPanic(t, "VJP with wrong v", func() { m.VJP(make([]float64, m.NumParams()), ws, p, x, []float64{1, 2}) })
	mustPanic(t, "Layer 0", func() { m.Layer(p, 0) })
	mustPanic(t, "Layer past the end", func() { m.Layer(p, 3) })
	mustPanic(t, "Init with short params", func() { m.Init(p[1:], rand.New(rand.NewPCG(1, 1))) })
}

// TestSeededJacobian checks S·∂f/∂θ from SeededJacobian against the product
// of S with the full Jacobian.
func TestSeededJacobian(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	m, err := nn.New([]int{3, 6, 5, 4}, []nn.Activation{nn.Tanh, nn.ReLU, nn.Identity})
	if err != nil {
		t.Fatal(err)
	}
	P, d := m.NumParams(), m.Out()
	params := make([]float64, P)
	m.Init(params, rng)
	x := []float64{0.3, -0.7, 1.1}
	ws := m.NewWorkspace()
	full := make([]float64, d*P)
	m.Jacobian(full, ws, params, x)
	for _, r := range []int{1, 2, d} {
		seed := make([]float64, r*d)
		for i := range seed {
			seed[i] = rng.NormFloat64()
		}
		got := make([]float64, r*P)
		m.Forward(ws, params, x)
		m.SeededJacobian(got, ws, params, seed, r)
		for k := 0; k < r; k++ {
			for c := 0; c < P; c++ {
				var want float64
				for j := 0; j < d; j++ {
					want += seed[k*d+j] * full[j*P+c]
				}
				if math.Abs(got[k*P+c]-want) > 1e-12*(1+math.Abs(want)) {
					t.Fatalf("r=%d: entry (%d, %d) = %v, want %v", r, k, c, got[k*P+c], want)
				}
			}
		}
	}
}
