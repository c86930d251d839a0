package toy_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/toy"
)

func TestTarget(t *testing.T) {
	for _, tc := range []struct {
		x, y1, y2 float64
	}{
		// ŷ(x) = (sin 6x, cos 9x) at points where both are known exactly.
		{0, 0, 1},
		{math.Pi / 12, 1, math.Cos(3 * math.Pi / 4)}, // 6x = π/2
		{math.Pi / 9, math.Sin(2 * math.Pi / 3), -1}, // 9x = π
		{-math.Pi / 18, math.Sin(-math.Pi / 3), 0},   // 9x = −π/2
	} {
		y1, y2 := toy.Target(tc.x)
		const tol = 1e-15 // a few ulps of the sine and cosine of O(1) arguments
		if math.Abs(y1-tc.y1) > tol || math.Abs(y2-tc.y2) > tol {
			t.Errorf("Target(%v) = (%v, %v), want (%v, %v)", tc.x, y1, y2, tc.y1, tc.y2)
		}
	}
}

func TestDataset(t *testing.T) {
	d := toy.Dataset(500, rand.New(rand.NewPCG(1, 2)))
	if r, c := d.X.Dims(); r != 500 || c != 1 {
		t.Fatalf("X is %d×%d, want 500×1", r, c)
	}
	if r, c := d.Y.Dims(); r != 500 || c != 2 {
		t.Fatalf("Y is %d×%d, want 500×2", r, c)
	}
	var neg, pos int
	for i := range 500 {
		x := d.X.At(i, 0)
		if !(x >= -1 && x < 1) {
			t.Errorf("x_%d = %v outside [−1, 1)", i, x)
		}
		if x < 0 {
			neg++
		} else {
			pos++
		}
		y1, y2 := toy.Target(x)
		if d.Y.At(i, 0) != y1 || d.Y.At(i, 1) != y2 {
			t.Errorf("target %d = (%v, %v), Target(x) = (%v, %v)", i, d.Y.At(i, 0), d.Y.At(i, 1), y1, y2)
		}
	}
	// 500 fair coin flips: P(fewer than 150 on one side) < 1e-18.
	if neg < 150 || pos < 150 {
		t.Errorf("inputs not spread over [−1, 1): %d negative, %d non-negative", neg, pos)
	}
	again := toy.Dataset(500, rand.New(rand.NewPCG(1, 2)))
	if !mat.Equal(d.X, again.X) || !mat.Equal(d.Y, again.Y) {
		t.Error("same rng state, different data")
	}
}

func TestNewSetupDeterminism(t *testing.T) {
	c := toy.Config{Lambda: 0.01, TrainSize: 40, ValidSize: 10, Seed: 9}
	a, err := toy.NewSetup(c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := toy.NewSetup(c)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(a.Train.X, b.Train.X) || !mat.Equal(a.Valid.Y, b.Valid.Y) {
		t.Error("same seed, different data")
	}
	for i := range a.Params0 {
		if math.Float64bits(a.Params0[i]) != math.Float64bits(b.Params0[i]) {
			t.Fatalf("same seed, Params0[%d] = %v and %v", i, a.Params0[i], b.Params0[i])
		}
	}
	c.Seed = 10
	d, err := toy.NewSetup(c)
	if err != nil {
		t.Fatal(err)
	}
	if mat.Equal(a.Train.X, d.Train.X) || a.Params0[0] == d.Params0[0] {
		t.Error("different seeds, same data or parameters")
	}
	// Training and validation sets come from independent streams.
	if a.Train.X.At(0, 0) == a.Valid.X.At(0, 0) {
		t.Error("training and validation sets start with the same input")
	}
	// Defaults documented on Config.
	e, err := toy.NewSetup(toy.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if e.Lambda != 1 || e.TrainSize != 1024 || e.ValidSize != 256 || e.BatchSize != 256 || e.Steps != 2000 {
		t.Errorf("defaults λ, sizes, batch, steps = %v, %d, %d, %d, %d", e.Lambda, e.TrainSize, e.ValidSize, e.BatchSize, e.Steps)
	}
	if e.Obj.Net.NumParams() != 7*2+2*8 {
		t.Errorf("toy network has %d parameters, want 30", e.Obj.Net.NumParams())
	}
	if got := e.TrackedTarget(); got[0] != e.Valid.Y.At(0, 0) || got[1] != e.Valid.Y.At(0, 1) {
		t.Errorf("TrackedTarget = %v, first validation target %v", got, e.Valid.Y.RawRowView(0))
	}
	if _, err := toy.NewSetup(toy.Config{TrainSize: -1}); err == nil {
		t.Error("negative training set size accepted")
	}
}

func TestNewMethod(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check func(optim.Method) bool
	}{
		{"adam", func(m optim.Method) bool { a, ok := m.(*optim.Adam); return ok && a.LearnRate == 0.5 }},
		{"ADAM", func(m optim.Method) bool { _, ok := m.(*optim.Adam); return ok }},
		{"gd", func(m optim.Method) bool { g, ok := m.(*optim.GradientDescent); return ok && g.LearnRate == 0.5 }},
		{"gn", func(m optim.Method) bool { h, ok := m.(*optim.HalfInverse); return ok && h.Kappa == 1 && h.Tau == 1e-3 }},
		{"hig", func(m optim.Method) bool {
			h, ok := m.(*optim.HalfInverse)
			return ok && h.Kappa == 0.5 && h.LearnRate == 0.5
		}},
	} {
		m, err := toy.NewMethod(tc.name, 0.5, 1e-3)
		if err != nil || !tc.check(m) {
			t.Errorf("NewMethod(%q) = %#v, %v", tc.name, m, err)
		}
	}
	for _, name := range []string{"", "sgd", "newton"} {
		if _, err := toy.NewMethod(name, 1, 0); err == nil || !strings.Contains(err.Error(), "unknown method") {
			t.Errorf("NewMethod(%q) error = %v, want one about an unknown method", name, err)
		}
	}
	s, err := toy.NewSetup(toy.Config{TrainSize: 8, ValidSize: 4, BatchSize: 4, Steps: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run("bogus", 1, nil); err == nil {
		t.Error("Run with an unknown method gives no error")
	}
}

func TestObjectiveRejectsLambda(t *testing.T) {
	for _, l := range []float64{0, math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := toy.Objective(l); err == nil || !strings.Contains(err.Error(), "λ") {
			t.Errorf("Objective(%v) error = %v, want one about λ", l, err)
		}
	}
	o, err := toy.Objective(0.01)
	if err != nil {
		t.Fatal(err)
	}
	y := make([]float64, 2)
	z := []float64{3, 5}
	o.Phys.NewEvaluator().Eval(y, nil, nil, z)
	if y[0] != 3 || y[1] != 0.01*5 {
		t.Errorf("P(3, 5) = %v, want (3, 0.05)", y)
	}
}

func TestLabel(t *testing.T) {
	for m, want := range map[string]string{toy.Adam: "Adam", toy.GaussNewton: "Gauss-Newton", toy.HIG: "HIG", toy.GD: "GD", "x": "x"} {
		if got := toy.Label(m); got != want {
			t.Errorf("Label(%q) = %q, want %q", m, got, want)
		}
	}
}

// TestStudyEdgeNote: a rate chosen at the edge of its grid is reported in
// Outcome.Notes and in the table; an interior one is not.
func TestStudyEdgeNote(t *testing.T) {
	st := toy.Study{
		Config:    toy.Config{Steps: 5, TrainSize: 32, ValidSize: 8, BatchSize: 8},
		Lambdas:   []float64{1},
		Methods:   []string{toy.Adam},
		Seeds:     []uint64{1},
		TuneSeeds: []uint64{2},
		// In 30 Adam steps the largest rate learns most, so it is chosen.
		Grid: map[string][]float64{toy.Adam: {1e-6, 1e-5, 1e-2}},
	}
	out, err := st.Run()
	if err != nil {
		t.Fatal(err)
	}
	if out.Best[1][toy.Adam] != 1e-2 {
		t.Fatalf("chose %v, expected the grid's largest rate in this set-up", out.Best[1][toy.Adam])
	}
	if len(out.Notes) != 1 || !strings.Contains(out.Notes[0], "largest of the grid") || !strings.Contains(out.Table(), "Note: ") {
		t.Errorf("notes %q, table %q: want one note about the grid's largest rate", out.Notes, out.Table())
	}
}

// A run that diverges reports the step and time of its final loss and
// parameters (its last record), not the updates it attempted after that.
func TestDivergedSummaryMatchesLastRecord(t *testing.T) {
	st := toy.Study{
		Config:  toy.Config{Steps: 400, TrainSize: 32, ValidSize: 8, BatchSize: 8},
		Lambdas: []float64{1},
		Methods: []string{toy.GD},
		Seeds:   []uint64{1},
		// Gradient descent with η = 1e3 on this loss grows without bound.
		Grid: map[string][]float64{toy.GD: {1e3}},
	}
	out, err := st.Run()
	if err != nil {
		t.Fatal(err)
	}
	r := out.Runs[1][toy.GD][0]
	if r.Err == nil {
		t.Fatal("the run did not diverge")
	}
	var sum toy.Summary
	for _, s := range out.Summaries {
		if !s.Tuning {
			sum = s
		}
	}
	last := r.Validation.Loss[len(r.Validation.Loss)-1]
	if !sum.Diverged || sum.Steps != last.Step || sum.FinalLoss != last.Value || sum.WallSeconds != last.Seconds {
		t.Errorf("summary steps %d, loss %v at %v s; last record step %d, loss %v at %v s (updates attempted: %d)",
			sum.Steps, sum.FinalLoss, sum.WallSeconds, last.Step, last.Value, last.Seconds, r.Result.Stats.Steps)
	}
	if r.Result.Stats.Steps == last.Step {
		t.Errorf("the run diverged right after a record (step %d); choose a set-up where it does not, or the test shows nothing", last.Step)
	}
	t.Logf("diverged after %d updates, last record at step %d", r.Result.Stats.Steps, last.Step)
	if sum.Status != "Diverged" || !strings.Contains(sum.Error, "diverged") {
		t.Errorf("summary status %q, error %q; want Diverged and the error", sum.Status, sum.Error)
	}
	if row := out.Outcomes[1].Rows()[0]; row.Steps != float64(last.Step) {
		t.Errorf("row median steps %v, want %d", row.Steps, last.Step)
	}
}
