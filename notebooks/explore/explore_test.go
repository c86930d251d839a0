package explore

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/halfinv"
)

// tol is the relative tolerance for identities that hold up to rounding in
// products of a few small, well-conditioned matrices.
const tol = 1e-10

func randomProblem(m, n int, seed uint64) (*mat.Dense, []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	j := mat.NewDense(m, n, nil)
	for i := range m {
		for k := range n {
			j.Set(i, k, rng.NormFloat64())
		}
	}
	g := make([]float64, m)
	for i := range g {
		g[i] = rng.NormFloat64()
	}
	return j, g
}

func near(a, b float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// Every step is scaled so that the linearised loss falls by ‖g‖², and its
// reported output change, cosine and length agree with its Δθ.
func TestStepsScaling(t *testing.T) {
	j, g := randomProblem(12, 5, 1)
	steps, err := Steps(j, g, Settings{Tau: 1e-12, Kappa: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 3 {
		t.Fatalf("%d steps, want 3", len(steps))
	}
	gg := floats.Dot(g, g)
	for _, st := range steps {
		if !(st.Eta > 0) {
			t.Fatalf("%s: η = %v, want positive", st.Method, st.Eta)
		}
		if down := -floats.Dot(g, st.DY); !near(down, gg) {
			t.Errorf("%s: −⟨g, JΔθ⟩ = %v, want ‖g‖² = %v", st.Method, down, gg)
		}
		jd := mat.NewVecDense(len(g), nil)
		jd.MulVec(j, mat.NewVecDense(len(st.DTheta), st.DTheta))
		for i := range g {
			if !near(jd.AtVec(i), st.DY[i]) {
				t.Fatalf("%s: DY[%d] = %v, J·DTheta = %v", st.Method, i, st.DY[i], jd.AtVec(i))
			}
		}
		if want := floats.Norm(st.DTheta, 2); !near(st.Norm, want) {
			t.Errorf("%s: Norm = %v, want ‖DTheta‖ = %v", st.Method, st.Norm, want)
		}
		if want := gg / math.Sqrt(gg*floats.Dot(st.DY, st.DY)); !near(st.Cosine, want) {
			t.Errorf("%s: Cosine = %v, want %v", st.Method, st.Cosine, want)
		}
	}
}

// With J of full column rank and nothing truncated, the Gauss-Newton output
// change is the least-squares projection of −g onto the range of J.
func TestStepsGaussNewtonProjects(t *testing.T) {
	j, g := randomProblem(12, 5, 2)
	steps, err := Steps(j, g, Settings{Tau: 1e-14})
	if err != nil {
		t.Fatal(err)
	}
	var x mat.VecDense
	if err := x.SolveVec(j, mat.NewVecDense(len(g), g)); err != nil { // least squares
		t.Fatal(err)
	}
	var pg mat.VecDense
	pg.MulVec(j, &x)
	gn := steps[1]
	eta := floats.Dot(g, g) / mat.Dot(&pg, &pg)
	for i := range g {
		if !near(gn.DY[i], -eta*pg.AtVec(i)) {
			t.Fatalf("GN: DY[%d] = %v, want −η·(Pg)[%d] = %v", i, gn.DY[i], i, -eta*pg.AtVec(i))
		}
	}
	if want := math.Sqrt(mat.Dot(&pg, &pg) / floats.Dot(g, g)); !near(gn.Cosine, want) {
		t.Errorf("GN: cosine %v, want ‖Pg‖/‖g‖ = %v", gn.Cosine, want)
	}
}

// GD's step points along −Jᵀg, and HIG with κ = 1 is Gauss-Newton.
func TestStepsGradientAndKappaOne(t *testing.T) {
	j, g := randomProblem(8, 6, 3)
	steps, err := Steps(j, g, Settings{Kappa: 1, Tau: 1e-10, Mode: halfinv.Clamp})
	if err != nil {
		t.Fatal(err)
	}
	grad := mat.NewVecDense(6, nil)
	grad.MulVec(j.T(), mat.NewVecDense(8, g))
	gd := steps[0]
	for i := range gd.DTheta {
		if !near(gd.DTheta[i], -gd.Eta*grad.AtVec(i)) {
			t.Fatalf("GD: Δθ[%d] = %v, want −η·(Jᵀg)[%d] = %v", i, gd.DTheta[i], i, -gd.Eta*grad.AtVec(i))
		}
	}
	for i := range steps[1].DTheta {
		if steps[1].DTheta[i] != steps[2].DTheta[i] {
			t.Fatalf("κ = 1: HIG Δθ[%d] = %v differs from GN's %v", i, steps[2].DTheta[i], steps[1].DTheta[i])
		}
	}
}

// When g is orthogonal to the range of J no step descends: they come back
// as zeros, not NaN.
func TestStepsNoDescent(t *testing.T) {
	j := mat.NewDense(3, 2, []float64{1, 0, 0, 1, 0, 0})
	steps, err := Steps(j, []float64{0, 0, 1}, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		if st.Eta != 0 || st.Norm != 0 || st.Cosine != 0 || floats.Norm(st.DY, 2) != 0 {
			t.Errorf("%s: %+v, want a zero step", st.Method, st)
		}
	}
}

func TestStepsErrors(t *testing.T) {
	j, g := randomProblem(4, 3, 4)
	for name, f := range map[string]func() error{
		"short g": func() error { _, err := Steps(j, g[:3], Settings{}); return err },
		"κ > 1":   func() error { _, err := Steps(j, g, Settings{Kappa: 1.5}); return err },
		"κ < 0":   func() error { _, err := Steps(j, g, Settings{Kappa: -0.5}); return err },
		"τ < 0":   func() error { _, err := Steps(j, g, Settings{Tau: -1}); return err },
		"NaN in g": func() error {
			bad := append([]float64(nil), g...)
			bad[0] = math.NaN()
			_, err := Steps(j, bad, Settings{})
			return err
		},
	} {
		if f() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestComputeAndPNG(t *testing.T) {
	for _, s := range []Settings{
		{Lambda: 0.01, Batch: 16, Seed: 1},
		{Lambda: 0.01, Batch: 16, Seed: 1, Tau: 1e-14, Mode: halfinv.Clamp},
	} {
		v, err := Compute(s)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Sigma) != 30 || len(v.Target) != 32 || len(v.Steps) != 3 {
			t.Fatalf("%v: %d singular values, target of %d, %d steps; want 30, 32, 3", s, len(v.Sigma), len(v.Target), len(v.Steps))
		}
		if k := v.Kept(); k < 1 || k > 30 {
			t.Errorf("%v: Kept() = %d", s, k)
		}
		png, err := v.PNG()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%v: PNG() does not return a PNG", s)
		}
	}
	// Lowering τ keeps more singular values.
	hi, err1 := Compute(Settings{Lambda: 0.01, Batch: 16, Seed: 1, Tau: 1e-3})
	lo, err2 := Compute(Settings{Lambda: 0.01, Batch: 16, Seed: 1, Tau: 1e-14})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !(lo.Kept() > hi.Kept()) {
		t.Errorf("kept %d at τ = 1e-14, %d at τ = 1e-3: want more at the lower τ", lo.Kept(), hi.Kept())
	}
	if _, err := Compute(Settings{Batch: 5000}); err == nil {
		t.Error("b = 5000 > the training set: no error")
	}
}

func TestTrain(t *testing.T) {
	var recs []Record
	run, err := Train(Settings{Lambda: 0.01, Batch: 16, Seed: 1}, 40, 1, func(r Record) { recs = append(recs, r) })
	if err != nil {
		t.Fatal(err)
	}
	if run.Err != nil {
		t.Fatalf("run stopped: %v", run.Err)
	}
	if len(recs) < 2 {
		t.Fatalf("%d records, want one every 20 steps", len(recs))
	}
	if l := run.FinalLoss(); math.IsNaN(l) || math.IsInf(l, 0) || l <= 0 {
		t.Errorf("final loss %v", l)
	}
	png, err := LossPNG("test", recs, 40)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("LossPNG: %v", err)
	}
	if png, err := LossPNG("no records yet", nil, 40); err != nil || len(png) == 0 {
		t.Errorf("LossPNG without records: %v", err)
	}
	if _, err := Train(Settings{}, 0, 1, nil); err == nil {
		t.Error("0 steps: no error")
	}
}

// BenchmarkRedraw measures one redraw of the explorer (toy set-up, Jacobian,
// singular values, three steps, PNG) at the batch sizes it offers.
func BenchmarkRedraw(b *testing.B) {
	for _, batch := range []int{16, 256, 1024} {
		b.Run("b="+strconv.Itoa(batch), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, err := Compute(Settings{Lambda: 0.01, Batch: batch, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := v.PNG(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
