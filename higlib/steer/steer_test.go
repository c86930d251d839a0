package steer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
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
		{Study{Config: Config{Duration: time.Second, FirstOrderSteps: 3}}, "not both"},
		{Study{Config: Config{Duration: time.Second, TuneSteps: 3}}, "not both"},
		{Study{Config: Config{TuneDuration: time.Second}}, "needs the wall-clock budget"},
		{Study{Config: Config{Steps: 10, TuneSteps: 11}}, "exceeds the evaluation budget"},
		{Study{Config: Config{Steps: 1 << 40}}, "stays within train.MaxSteps"},
		{Study{Config: Config{Steps: -1}}, "negative"},
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
	// One line per run and one note (HIG's rate is at an edge of its
	// two-point grid, whichever it is), and live lines (indented) at the
	// records before a run's last step: Adam records at 16 of 32 steps,
	// HIG at 1 of 2; HIG's tuning runs have one step.
	var final, live []string
	for _, l := range lines {
		if strings.HasPrefix(l, "  ") {
			live = append(live, l)
		} else {
			final = append(final, l)
		}
	}
	if len(final) != 7 || !strings.HasPrefix(final[4], "note: HIG") || len(live) != 4 ||
		!strings.Contains(live[0], " 16 steps") || !strings.Contains(live[2], " 1 steps") {
		t.Errorf("progress: %q", lines)
	}
	for _, s := range res.Tuning {
		if s.Steps != 1 || s.Budget != "1 steps" || !s.Tuning {
			t.Errorf("tuning summary %+v: want 1 step (Steps/4, at least 1)", s)
		}
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
		steps := 2
		if spec.FirstOrder() {
			steps = 2 * FirstOrderRatio
		}
		if s.Steps != steps || s.Budget != fmt.Sprint(steps, " steps") || s.FirstOrderRatio != FirstOrderRatio ||
			s.BatchSize != spec.BatchSize || s.TrainSize != 600 || s.TestSize != 8 || s.Tuning {
			t.Errorf("summary %+v: want %d steps", s, steps)
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

func TestStepsFor(t *testing.T) {
	cases := []struct {
		c                      Config
		hig, adam, higT, adamT int
	}{
		{Config{}, DefaultSteps, FirstOrderRatio * DefaultSteps, DefaultSteps / 4, FirstOrderRatio * DefaultSteps / 4},
		{Config{Steps: 10}, 10, 10 * FirstOrderRatio, 2, 2 * FirstOrderRatio},
		{Config{Steps: 10, FirstOrderSteps: 35, TuneSteps: 4}, 10, 35, 4, 14},
		{Config{Steps: 3, FirstOrderSteps: 1, TuneSteps: 1}, 3, 1, 1, 1},
		{Config{Steps: 1 << 36, FirstOrderSteps: 1 << 40, TuneSteps: 1 << 35}, 1 << 36, 1 << 40, 1 << 35, 1 << 39},
		{Config{Duration: time.Second}, 0, 0, 0, 0},
	}
	for _, c := range cases {
		if err := c.c.Validate(); err != nil {
			t.Errorf("%+v: %v", c.c, err)
			continue
		}
		got := [4]int{c.c.StepsFor("hig", false), c.c.StepsFor("adam", false), c.c.StepsFor("gn", true), c.c.StepsFor("gd", true)}
		if want := [4]int{c.hig, c.adam, c.higT, c.adamT}; got != want {
			t.Errorf("%+v: StepsFor hig, adam, gn tuning, gd tuning = %v, want %v", c.c, got, want)
		}
	}
}

// childEnv, set, makes TestProcsChild print a tiny study's results.
const childEnv = "HIG_STEER_PROCS_CHILD"

// TestProcsChild is the child process of TestSameBitsAnyProcs.
func TestProcsChild(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		t.Skip("run by TestSameBitsAnyProcs")
	}
	st := Study{
		Config:    Config{TrainSize: 600, TestSize: 16, Steps: 3, Records: 3},
		Seeds:     []uint64{1},
		TuneSeeds: []uint64{1001},
		Grid:      map[string][]float64{"adam": {1e-3}, "gn": {0.3}, "hig": {1, 3}},
	}
	res, err := st.Run()
	if err != nil {
		t.Fatal(err)
	}
	type run struct {
		Summary
		Params []uint64
	}
	var out []run
	for i, s := range append(res.Tuning, res.Summaries...) {
		s.WallSeconds = 0
		r := run{Summary: s}
		if i >= len(res.Tuning) {
			for _, p := range res.Exp.Runs[res.Index(s.Method)][0].Result.Params {
				r.Params = append(r.Params, math.Float64bits(p))
			}
		}
		out = append(out, r)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("RESULT %s\n", b)
}

// TestSameBitsAnyProcs checks "same seed ⇒ same bits" across processor
// counts: a tiny study (Adam's chunked gradient at b = 512, the chunked
// stacked Jacobian and the solver's helper at b = 128) run with
// GOMAXPROCS=1 and GOMAXPROCS=2 gives the same summaries, seconds aside,
// and the same final parameters, bit for bit.
func TestSameBitsAnyProcs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two child processes of about 3 s each")
	}
	var results []string
	for _, procs := range []string{"1", "2"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestProcsChild$", "-test.v")
		cmd.Env = append(os.Environ(), childEnv+"=1", "GOMAXPROCS="+procs)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("GOMAXPROCS=%s: %v\n%s", procs, err, b)
		}
		_, res, ok := strings.Cut(string(b), "RESULT ")
		if !ok {
			t.Fatalf("GOMAXPROCS=%s: no result in\n%s", procs, b)
		}
		res, _, _ = strings.Cut(res, "\n")
		results = append(results, res)
	}
	if results[0] != results[1] {
		t.Errorf("GOMAXPROCS=1 and 2 differ:\n%s\n%s", results[0], results[1])
	}
}

// TestDivergedSummaryMatchesLastRecord checks that a run that diverges
// reports the step and loss of its last finite record, as the toy's
// summaries do, not the number of updates attempted after it.
func TestDivergedSummaryMatchesLastRecord(t *testing.T) {
	st := Study{
		Config:  Config{TrainSize: 256, TestSize: 16, Steps: 40, Records: 40},
		Methods: []string{"hig"},
		Seeds:   []uint64{1},
		Grid:    map[string][]float64{"hig": {1e6}},
	}
	res, err := st.Run()
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summaries[0]
	if !s.Diverged {
		t.Fatalf("HIG at η = 1e6 did not diverge: %+v", s)
	}
	run := res.Exp.Runs[res.Index("hig")][0]
	v := run.Validation.Loss
	if len(v) == 0 {
		t.Fatal("no validation record")
	}
	last := v[len(v)-1]
	if s.Steps != last.Step || s.Steps != run.Result.Step {
		t.Errorf("summary steps %d, last record at step %d, result at step %d", s.Steps, last.Step, run.Result.Step)
	}
	if s.FinalTestLoss != last.Value {
		t.Errorf("summary loss %g, last record %g", s.FinalTestLoss, last.Value)
	}
}
