package toy_test

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/toy"
)

func TestStackedJacobian(t *testing.T) {
	s, err := toy.NewSetup(toy.Config{Lambda: 0.01, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	const b = 16
	j, g, err := s.StackedJacobian(b)
	if err != nil {
		t.Fatal(err)
	}
	p := s.Obj.Net.NumParams()
	if r, c := j.Dims(); r != 2*b || c != p {
		t.Fatalf("J is %d×%d, want %d×%d", r, c, 2*b, p)
	}
	if len(g) != 2*b {
		t.Fatalf("len(g) = %d, want %d", len(g), 2*b)
	}
	// Chain rule: Jᵀ g is the parameter gradient of the same batch.
	idx := make([]int, b)
	for i := range idx {
		idx[i] = i
	}
	want := optim.Local{Grad: make([]float64, p)}
	s.Obj.Eval(&want, s.Obj.NewWorkspace(), s.Params0, s.Train, idx)
	got := mat.NewVecDense(p, nil)
	got.MulVec(j.T(), mat.NewVecDense(len(g), g))
	if !floats.EqualApprox(got.RawVector().Data, want.Grad, 1e-12) {
		t.Errorf("Jᵀg = %v, gradient = %v", got.RawVector().Data, want.Grad)
	}
	// Rows of the second output carry the factor λ.
	if n0, n1 := mat.Norm(j.RowView(0), 2), mat.Norm(j.RowView(1), 2); !(n1 < 0.05*n0) {
		t.Errorf("row norms %g (y₁) and %g (λ·y₂): expected the second ≪ the first", n0, n1)
	}
	for _, bad := range []int{0, s.TrainSize + 1} {
		if _, _, err := s.StackedJacobian(bad); err == nil {
			t.Errorf("StackedJacobian(%d): no error", bad)
		}
	}
}

func TestSingularValues(t *testing.T) {
	s, err := toy.NewSetup(toy.Config{Lambda: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := s.Obj.Net.NumParams()
	for _, b := range []int{1, 4, 64} {
		sv, err := s.SingularValues(b)
		if err != nil {
			t.Fatal(err)
		}
		if want := min(2*b, p); len(sv) != want {
			t.Errorf("b=%d: %d singular values, want %d", b, len(sv), want)
		}
		for i := 1; i < len(sv); i++ {
			if sv[i] > sv[i-1] || sv[i] < 0 {
				t.Errorf("b=%d: singular values not decreasing and non-negative: %v", b, sv)
				break
			}
		}
	}
}

func TestTauSweep(t *testing.T) {
	// J = diag(1, 1e-2, 1e-4) with g = (1, 1, 1): with κ = 1 the update is
	// (1, 1e2, 1e4) when everything is kept.
	j := mat.NewDiagDense(3, []float64{1, 1e-2, 1e-4})
	g := []float64{1, 1, 1}
	taus := []float64{1e-6, 1e-3, 1e-1}
	pts, err := toy.TauSweep(j, g, 1, taus, []halfinv.Mode{halfinv.Truncate, halfinv.Clamp}, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 6 {
		t.Fatalf("%d points, want 6", len(pts))
	}
	want := []struct {
		mode   halfinv.Mode
		update []float64
		kept   int
	}{
		{halfinv.Truncate, []float64{1, 1e2, 1e4}, 3},
		{halfinv.Truncate, []float64{1, 1e2, 0}, 2},
		{halfinv.Truncate, []float64{1, 0, 0}, 1},
		{halfinv.Clamp, []float64{1, 1e2, 1e4}, 3},
		{halfinv.Clamp, []float64{1, 1e2, 1e3}, 2},
		{halfinv.Clamp, []float64{1, 10, 10}, 1},
	}
	ref := []float64{1, 1e2, 1e4}
	for i, w := range want {
		pt := pts[i]
		if pt.Mode != w.mode || pt.Tau != taus[i%3] || pt.Kept != w.kept {
			t.Errorf("point %d = %+v, want mode %v τ %g kept %d", i, pt, w.mode, taus[i%3], w.kept)
		}
		norm := floats.Norm(w.update, 2)
		cos := floats.Dot(w.update, ref) / (norm * floats.Norm(ref, 2))
		if math.Abs(pt.Norm-norm) > 1e-9*norm || math.Abs(pt.Cosine-cos) > 1e-12 {
			t.Errorf("point %d: norm %g cos %g, want %g and %g", i, pt.Norm, pt.Cosine, norm, cos)
		}
	}
	if _, err := toy.TauSweep(j, g, 1, []float64{-1}, []halfinv.Mode{halfinv.Truncate}, 1e-6); err == nil {
		t.Error("negative τ: no error")
	}
}

func TestRunMethodMatchesRun(t *testing.T) {
	s, err := toy.NewSetup(toy.Config{Lambda: 0.01, Seed: 2, Steps: 30, BatchSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Run(toy.HIG, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	hig := experiment.Candidate{Name: "HIG", New: func(lr float64) (optim.Method, error) { return optim.HIG(lr), nil }}
	b, err := s.RunMethod(hig, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Result.Stats.Steps != b.Result.Stats.Steps || a.FinalLoss() != b.FinalLoss() {
		t.Errorf("Run: %d steps, loss %v; RunMethod: %d steps, loss %v",
			a.Result.Stats.Steps, a.FinalLoss(), b.Result.Stats.Steps, b.FinalLoss())
	}
	spec, err := toy.Spec(toy.Adam)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.RunMethod(s.Method(spec, nil), 1e-3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Result.Stats.Steps != s.FirstOrderSteps {
		t.Errorf("Adam ran %d steps, want FirstOrderSteps = %d", c.Result.Stats.Steps, s.FirstOrderSteps)
	}
}
