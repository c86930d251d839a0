package steer

import (
	"bytes"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
	"github.com/higlab/hig/higlib/train"
)

func TestPaperShapes(t *testing.T) {
	obj, err := Objective()
	if err != nil {
		t.Fatal(err)
	}
	if p := obj.Net.NumParams(); p != 2956 {
		t.Errorf("P = %d, the paper's network has 2956 parameters", p)
	}
	if in, out := obj.Net.Dims(); in != 4 || out != 96 {
		t.Errorf("network %d → %d, want 4 → 96", in, out)
	}
	if d := obj.Dim(); d != 4 {
		t.Errorf("output dimension %d, want 4 (x(T) of two oscillators)", d)
	}
}

func TestSetup(t *testing.T) {
	c := Config{TrainSize: 50, TestSize: 20}
	a, err := NewSetup(c, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSetup(c, 7)
	other, _ := NewSetup(c, 8)
	if !mat.Equal(a.Train.X, b.Train.X) || !mat.Equal(a.Test.X, b.Test.X) || !floats.Equal(a.Params0, b.Params0) {
		t.Error("the same seed gave different setups")
	}
	if mat.Equal(a.Train.X, other.Train.X) || floats.Equal(a.Params0, other.Params0) {
		t.Error("different seeds gave the same setup")
	}
	if mat.Equal(a.Train.X, a.Test.X.Slice(0, 20, 0, 4)) {
		t.Error("training and test sets start alike")
	}
	for _, d := range []objective.Data{a.Train, a.Test} {
		if !mat.Equal(d.X, d.Y) {
			t.Error("targets are not the initial states")
		}
		if mat.Min(d.X) < 0 || mat.Max(d.X) >= 1 {
			t.Errorf("initial states outside [0, 1): %v … %v", mat.Min(d.X), mat.Max(d.X))
		}
	}
	if err := a.Problem().Validate(); err != nil {
		t.Error(err)
	}
}

// countingMap wraps a map and counts the evaluations that ask for the
// Jacobian and the vector–Jacobian products.
type countingMap struct {
	physics.Map
	jac, vjp atomic.Int64
}

func (m *countingMap) NewEvaluator() physics.Evaluator {
	return &countingEval{m: m, ev: m.Map.NewEvaluator().(physics.VJPEvaluator)}
}

type countingEval struct {
	m  *countingMap
	ev physics.VJPEvaluator
}

func (e *countingEval) Eval(y, jac, x, z []float64) {
	if jac != nil {
		e.m.jac.Add(1)
	}
	e.ev.Eval(y, jac, x, z)
}

func (e *countingEval) VJP(dst, v []float64) {
	e.m.vjp.Add(1)
	e.ev.VJP(dst, v)
}

// TestFirstOrderNeverFormsJacobian checks that a gradient without Local.Jac
// comes from the simulator's VJP (never an Eval with a Jacobian), that it
// equals the gradient of the Jacobian path, and that Adam and GD train
// through it while HIG asks for Jacobians.
func TestFirstOrderNeverFormsJacobian(t *testing.T) {
	s, err := NewSetup(Config{TrainSize: 64, TestSize: 4}, 1)
	if err != nil {
		t.Fatal(err)
	}
	cm := &countingMap{Map: s.Chain}
	obj, err := objective.New(s.Net, cm)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, 32)
	for i := range idx {
		idx[i] = 2 * i
	}
	P := len(s.Params0)
	ws := obj.NewWorkspace()
	first := optim.Local{Grad: make([]float64, P)}
	obj.Eval(&first, ws, s.Params0, s.Train, idx)
	if j, v := cm.jac.Load(), cm.vjp.Load(); j != 0 || v != int64(len(idx)) {
		t.Fatalf("gradient only: %d Jacobian evaluations and %d VJPs, want 0 and %d", j, v, len(idx))
	}
	full := optim.Local{Grad: make([]float64, P), GradY: make([]float64, 4*len(idx)), Jac: &mat.Dense{}}
	obj.Eval(&full, obj.NewWorkspace(), s.Params0, s.Train, idx)
	if cm.jac.Load() != int64(len(idx)) {
		t.Fatalf("with Jac: %d Jacobian evaluations, want %d", cm.jac.Load(), len(idx))
	}
	// Both paths sum the same products in different orders.
	if d := floats.Distance(first.Grad, full.Grad, math.Inf(1)); d > 1e-12*floats.Norm(full.Grad, math.Inf(1)) {
		t.Errorf("VJP gradient differs from the Jacobian path's by %g", d)
	}
	if math.Abs(first.Loss-full.Loss) > 1e-14 {
		t.Errorf("losses differ: %v and %v", first.Loss, full.Loss)
	}

	for _, m := range []optim.Method{&optim.Adam{}, &optim.GradientDescent{}, optim.HIG(1)} {
		cm.jac.Store(0)
		cm.vjp.Store(0)
		if _, err := train.Train(obj, s.Train, s.Params0, m, &train.Settings{Steps: 3, BatchSize: 16, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		j, v := cm.jac.Load(), cm.vjp.Load()
		if m.NeedsJacobian() {
			if j != 3*16 {
				t.Errorf("%T: %d Jacobian evaluations in 3 steps of 16, want 48", m, j)
			}
			continue
		}
		if j != 0 || v != 3*16 {
			t.Errorf("%T: %d Jacobian evaluations and %d VJPs in 3 steps of 16, want 0 and 48", m, j, v)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		s    Study
		want string
	}{
		{Study{Config: Config{TrainSize: -1}}, "must be positive"},
		{Study{Config: Config{Duration: time.Second, Steps: 3}}, "not both"},
		{Study{Config: Config{Duration: -time.Second}}, "negative"},
		{Study{Config: Config{Tau: -1}}, "τ"},
		{Study{Methods: []string{"adam", "lbfgs"}}, "unknown method"},
		{Study{Methods: []string{"hig", "hig"}}, "given twice"},
		{Study{Methods: []string{"hig"}, Grid: map[string][]float64{"adam": {1}}}, "not among the methods"},
		{Study{Config: Config{TrainSize: 200}}, "exceeds the training set"},
		{Study{Seeds: []uint64{1}, TuneSeeds: []uint64{1}}, "both a tuning and an evaluation seed"},
		{Study{Methods: []string{"hig"}, Grid: map[string][]float64{"hig": {-1}}}, "must be a finite number > 0"},
	}
	for _, c := range cases {
		err := c.s.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.s, err, c.want)
		}
	}
	ok := Study{}
	if err := ok.Validate(); err != nil {
		t.Errorf("the default study: %v", err)
	}
	if n := ok.Runs(); n != 3*3+3*3 {
		t.Errorf("default study makes %d runs, want 18", n)
	}
}

// TestStudy runs a tiny study with a step budget (deterministic) and checks
// the summaries, the choice of the learning rate, the figure's data and
// the rendering.
func TestStudy(t *testing.T) {
	var lines []string
	st := Study{
		Config:    Config{TrainSize: 600, TestSize: 8, Steps: 2, Records: 2},
		Methods:   []string{"adam", "hig"},
		Seeds:     []uint64{1, 2},
		TuneSeeds: []uint64{1001},
		Grid:      map[string][]float64{"adam": {1e-3}, "hig": {0.3, 1}},
		Progress:  func(l string) { lines = append(lines, l) },
	}
	res, err := st.Run()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Summaries) != 4 || len(res.Tuning) != 2 {
		t.Fatalf("%d evaluation and %d tuning summaries, want 4 and 2", len(res.Summaries), len(res.Tuning))
	}
	// One line per run (no live lines under a step budget) and one note:
	// HIG's rate is at an edge of its two-point grid, whichever it is.
	if len(lines) != 7 || !strings.HasPrefix(lines[4], "note: HIG") {
		t.Errorf("%d progress lines for 6 runs and a note: %q", len(lines), lines)
	}
	hig := res.Index("hig")
	tl := []float64{res.Tuning[0].FinalTestLoss, res.Tuning[1].FinalTestLoss}
	want := 0.3
	if tl[1] < tl[0] {
		want = 1
	}
	if res.Exp.Best[hig] != want {
		t.Errorf("HIG's tuning losses %v chose %g, want %g", tl, res.Exp.Best[hig], want)
	}
	for _, s := range res.Summaries {
		spec, _ := Spec(s.Method)
		if s.Steps != 2 || s.BatchSize != spec.BatchSize || s.TrainSize != 600 || s.TestSize != 8 || s.Tuning {
			t.Errorf("summary %+v", s)
		}
		if (s.Kappa != 0) != !spec.FirstOrder() || (s.Tau != 0) != !spec.FirstOrder() {
			t.Errorf("%s: κ = %g, τ = %g", s.Method, s.Kappa, s.Tau)
		}
		if !(s.FinalTestLoss > 0) || math.IsInf(s.FinalTestLoss, 0) {
			t.Errorf("%s seed %d: final test loss %v", s.Method, s.Seed, s.FinalTestLoss)
		}
		if !(s.SigmaMax >= s.SigmaMin && s.SigmaMin > 0) {
			t.Errorf("%s seed %d: singular values %g … %g", s.Method, s.Seed, s.SigmaMax, s.SigmaMin)
		}
		if s.Saturated < 0 || s.Saturated > 1 {
			t.Errorf("saturated share %v", s.Saturated)
		}
	}
	// The summary's loss is the test loss of the trained parameters.
	setup, _ := NewSetup(st.Config, 2)
	r := res.Exp.Runs[hig][1]
	if got, want := res.Summaries[3].FinalTestLoss, setup.Obj.Loss(setup.Obj.NewWorkspace(), r.Result.Params, setup.Test); got != want {
		t.Errorf("HIG seed 2: summary loss %v, loss of its parameters %v", got, want)
	}

	paths, err := res.Paths(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths.Controls) != 3 || len(paths.X) != 2 || len(paths.X[0]) != 3 {
		t.Fatalf("paths: %d control curves, %d oscillators", len(paths.Controls), len(paths.X))
	}
	// The last point of each trajectory is the simulator's x(T) under the
	// network's controls: check the untrained one against Eval.
	s1, _ := NewSetup(st.Config, 1)
	x0 := s1.Test.X.RawRowView(0)
	y := make([]float64, 4)
	s1.Chain.NewEvaluator().Eval(y, nil, x0, s1.Controls(s1.Params0, x0))
	for k := 0; k < 2; k++ {
		c := paths.X[k][0].XY
		tl, xl := c.XY(c.Len() - 1)
		if tl != paths.T || xl != y[k] {
			t.Errorf("oscillator %d ends at (%v, %v), want (%v, %v)", k+1, tl, xl, paths.T, y[k])
		}
	}
	for _, f := range []string{"png", "svg"} {
		b, err := res.Render(0, f)
		if err != nil || len(b) < 1000 {
			t.Fatalf("render %s: %d bytes, %v", f, len(b), err)
		}
	}
	if tab := res.Table(); !strings.Contains(tab, "| Adam | 0.001 |") || !strings.Contains(tab, "| HIG |") {
		t.Errorf("table:\n%s", tab)
	}
	if _, err := res.Paths(2); err == nil {
		t.Error("Paths accepted a seed position out of range")
	}
	if b, _ := res.Render(0, "png"); !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Error("not a PNG")
	}
}

func TestNewPathsErrors(t *testing.T) {
	s, err := NewSetup(Config{TrainSize: 4, TestSize: 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.NewPaths(2, nil, nil); err == nil {
		t.Error("row out of range accepted")
	}
	if _, err := s.NewPaths(0, []string{"a"}, nil); err == nil {
		t.Error("labels without parameters accepted")
	}
	if _, err := s.NewPaths(0, []string{"a"}, [][]float64{{1, 2}}); err == nil {
		t.Error("short parameter vector accepted")
	}
}
