package experiment_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
	"github.com/higlab/hig/higlib/physics/physicstest"
	"github.com/higlab/hig/higlib/toy"
	"github.com/higlab/hig/higlib/train"
)

func TestPendulumPassesConformance(t *testing.T) {
	physicstest.Check(t, pendulum, nil)
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		v    []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5}, // even count: mean of the middle two
		{[]float64{1, math.Inf(1)}, math.Inf(1)},
		{[]float64{2, 1, math.Inf(1), math.Inf(1)}, math.Inf(1)},
		{[]float64{0.1, 0.3, math.Inf(1), 0.2}, 0.25},
	} {
		if got := experiment.Median(tc.v); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.v, got, tc.want)
		}
	}
	if !math.IsNaN(experiment.Median(nil)) {
		t.Error("Median(nil) is not NaN")
	}
}

func adam(lr float64) (optim.Method, error) { return &optim.Adam{LearnRate: lr}, nil }

// toyStudy is a small study of the chapter's toy built only from its
// problem definition.
func toyStudy() experiment.Study {
	c := toy.Config{Lambda: 0.01, TrainSize: 64, ValidSize: 16, BatchSize: 16, Steps: 20}
	return experiment.Study{
		Build: func(seed uint64) (*experiment.Problem, error) {
			c := c
			c.Seed = seed
			s, err := toy.NewSetup(c)
			if err != nil {
				return nil, err
			}
			return s.Problem(), nil
		},
		Methods: []experiment.Candidate{
			{Name: "Adam", Grid: []float64{1e-3, 1e-2}, New: adam},
			{Name: "HIG", Grid: []float64{1}, Steps: 10, New: func(lr float64) (optim.Method, error) { return optim.HIG(lr), nil }},
		},
		Seeds: []uint64{1, 2}, TuneSeeds: []uint64{7},
		Settings: train.Settings{Steps: 20, BatchSize: 16},
	}
}

func TestStudyRunsEveryMethodFairly(t *testing.T) {
	st := toyStudy()
	var lines []string
	st.Progress = func(l string) {
		if !strings.HasPrefix(l, "note: ") {
			lines = append(lines, l)
		}
	}
	if n := st.Runs(); n != 2*1+2+2 {
		t.Errorf("Runs() = %d, want 6", n)
	}
	out, err := st.Run()
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != st.Runs() {
		t.Errorf("%d progress lines for %d runs", len(lines), st.Runs())
	}
	if len(out.Tuning[0]) != 2 || len(out.Tuning[1]) != 0 || out.Best[1] != 1 {
		t.Errorf("tuning runs %d and %d, HIG rate %v: a single rate must skip tuning", len(out.Tuning[0]), len(out.Tuning[1]), out.Best[1])
	}
	// The chosen rate is the one with the lower median tuning loss.
	l0, l1 := out.Tuning[0][0].FinalLoss(), out.Tuning[0][1].FinalLoss()
	if want := map[bool]float64{true: 1e-3, false: 1e-2}[l0 < l1]; out.Best[0] != want {
		t.Errorf("chose %v with tuning losses %v (1e-3) and %v (1e-2)", out.Best[0], l0, l1)
	}
	for i, runs := range out.Runs {
		for k, r := range runs {
			if r.Seed != st.Seeds[k] || r.Tuning || r.LearnRate != out.Best[i] {
				t.Errorf("run %d/%d: seed %d, tuning %v, rate %v", i, k, r.Seed, r.Tuning, r.LearnRate)
			}
			want := []int{20, 10}[i]
			if r.Result.Stats.Steps != want {
				t.Errorf("%s ran %d steps, want %d", r.Method, r.Result.Stats.Steps, want)
			}
		}
	}
	rows := out.Rows()
	if rows[0].Median != out.Median(0) || rows[1].Runs != 2 {
		t.Errorf("rows %+v disagree with Median", rows)
	}
	if tab := out.Table(); !strings.Contains(tab, "| HIG | 1 |") {
		t.Errorf("table lacks HIG's row:\n%s", tab)
	}
	if f := out.Figure(0); len(f.Series) != 2 || f.Series[1].Label != "HIG" || f.Target == nil {
		t.Errorf("figure series %d, target %v", len(f.Series), f.Target)
	}
	// Same seeds, same bits.
	st2 := toyStudy()
	again, err := st2.Run()
	if err != nil {
		t.Fatal(err)
	}
	for i := range out.Runs {
		for k := range out.Runs[i] {
			a, b := out.Runs[i][k].Result.Params, again.Runs[i][k].Result.Params
			for j := range a {
				if math.Float64bits(a[j]) != math.Float64bits(b[j]) {
					t.Fatalf("run %d/%d differs between two identical studies", i, k)
				}
			}
		}
	}
}

func TestStudyValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(*experiment.Study)
		msg    string
	}{
		{"no builder", func(s *experiment.Study) { s.Build = nil }, "builder"},
		{"no methods", func(s *experiment.Study) { s.Methods = nil }, "no methods"},
		{"nil constructor", func(s *experiment.Study) { s.Methods[0].New = nil }, "constructor"},
		{"duplicate name", func(s *experiment.Study) { s.Methods[1].Name = "Adam" }, "twice"},
		{"empty grid", func(s *experiment.Study) { s.Methods[0].Grid = nil }, "no learning rates"},
		{"zero rate", func(s *experiment.Study) { s.Methods[0].Grid = []float64{0} }, "> 0"},
		{"NaN rate", func(s *experiment.Study) { s.Methods[0].Grid = []float64{math.NaN()} }, "> 0"},
		{"repeated rate", func(s *experiment.Study) { s.Methods[0].Grid = []float64{1, 1} }, "given twice"},
		{"bad optimizer", func(s *experiment.Study) {
			s.Methods[0].New = func(float64) (optim.Method, error) { return nil, errors.New("nope") }
		}, "nope"},
		{"tuning seed is an evaluation seed", func(s *experiment.Study) { s.TuneSeeds = []uint64{2} }, "both a tuning and an evaluation seed"},
		{"repeated seed", func(s *experiment.Study) { s.Seeds = []uint64{1, 1} }, "repeats"},
		{"negative steps", func(s *experiment.Study) { s.Methods[0].Steps = -1 }, "step budget"},
		{"steps with duration", func(s *experiment.Study) { s.Settings.Duration = 1 }, "wall-clock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := toyStudy()
			tc.modify(&st)
			_, err := st.Run()
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want one mentioning %q", err, tc.msg)
			}
		})
	}
}

func TestBuildErrorsReachTheCaller(t *testing.T) {
	st := toyStudy()
	st.Build = func(uint64) (*experiment.Problem, error) { return &experiment.Problem{}, nil }
	if _, err := st.Run(); err == nil || !strings.Contains(err.Error(), "without an objective") {
		t.Errorf("error %v, want one about the empty problem", err)
	}
}

func TestFirstStep(t *testing.T) {
	s, err := toy.NewSetup(toy.Config{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	st, err := experiment.FirstStep(s.Problem(), optim.HIG(1), 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.SingularValues) != 8 || len(st.Update) != 30 || len(st.Batch) != 4 {
		t.Errorf("σ %d, update %d, batch %d; want 8, 30, 4", len(st.SingularValues), len(st.Update), len(st.Batch))
	}
	for _, b := range []int{0, 1025} {
		if _, err := experiment.FirstStep(s.Problem(), optim.HIG(1), b); err == nil {
			t.Errorf("batch %d: no error", b)
		}
	}
	if _, err := experiment.FirstStep(s.Problem(), optim.GaussNewton(1e308), 4); !errors.Is(err, optim.ErrOverflow) {
		t.Errorf("Gauss-Newton, η = 1e308: error %v, want ErrOverflow", err)
	}
}

func TestTuneAndObserve(t *testing.T) {
	st := toyStudy()
	st.Methods[1].Steps = 0 // HIG takes the study's 20 steps
	st.Tune = func(s *train.Settings) { s.Steps = 5 }
	calls := map[bool]int{}
	st.Observe = func(m experiment.Candidate, lr float64, seed uint64, tuning bool) train.Recorder {
		calls[tuning]++
		return nil
	}
	out, err := st.Run()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Tuning[0] {
		if r.Result.Stats.Steps != 5 {
			t.Errorf("tuning run took %d steps, want Tune's 5", r.Result.Stats.Steps)
		}
	}
	if r := out.Runs[0][0]; r.Result.Stats.Steps != 20 {
		t.Errorf("evaluation run took %d steps, want 20", r.Result.Stats.Steps)
	}
	if calls[true] != 2 || calls[false] != 4 {
		t.Errorf("Observe called %d times for tuning and %d for evaluation runs, want 2 and 4", calls[true], calls[false])
	}
}

// panicky is a map that panics: a user's simulator with a bug.
type panicky struct{ physics.Scale }

func (p panicky) NewEvaluator() physics.Evaluator { return p }
func (p panicky) Eval(y, jac, x, z []float64) {
	if x[0] > 0.9 {
		panic("index out of range in the user's simulator")
	}
	p.Scale.Eval(y, jac, x, z)
}

// A panic in a user's map for one seed is that run's error: the study
// records it (status Panicked, +Inf loss) and goes on with the other runs.
func TestStudySurvivesAPanickingMap(t *testing.T) {
	st := toyStudy()
	build := st.Build
	st.Build = func(seed uint64) (*experiment.Problem, error) {
		p, err := build(seed)
		if err == nil && seed == 2 {
			p.Obj.Phys = panicky{p.Obj.Phys.(physics.Scale)}
		}
		return p, err
	}
	out, err := st.Run()
	if err != nil {
		t.Fatal(err)
	}
	for i, runs := range out.Runs {
		if len(runs) != 2 {
			t.Fatalf("%s: %d runs, want 2", out.Methods[i], len(runs))
		}
		good, bad := runs[0], runs[1]
		if good.Err != nil || good.Result.Status != train.StepLimit {
			t.Errorf("%s seed 1: %v, %v", out.Methods[i], good.Result.Status, good.Err)
		}
		if bad.Result.Status != train.Panicked || !errors.Is(bad.Err, objective.ErrPanic) || !math.IsInf(bad.FinalLoss(), 1) {
			t.Errorf("%s seed 2: status %v, error %v, loss %v; want Panicked, +Inf", out.Methods[i], bad.Result.Status, bad.Err, bad.FinalLoss())
		}
	}
	if r := out.Rows()[0]; r.Diverged != 1 || r.Runs != 2 {
		t.Errorf("row %+v: want 1 of 2 runs stopped early", r)
	}
}

// A set-up error ends the study, but the runs finished before it are
// returned with the error.
func TestStudyKeepsFinishedRunsOnSetupError(t *testing.T) {
	st := toyStudy()
	build := st.Build
	st.Build = func(seed uint64) (*experiment.Problem, error) {
		if seed == 2 {
			return nil, errors.New("no problem for seed 2")
		}
		return build(seed)
	}
	out, err := st.Run()
	if err == nil || out == nil || len(out.Tuning[0]) != 2 || len(out.Runs[0]) != 1 {
		t.Fatalf("outcome %+v, error %v: want the 2 tuning runs and seed 1's run kept", out, err)
	}
	_ = out.Rows() // must not panic on methods that never ran
}

// Spec picks the optimizer by its Kind, not its key's text: the key "Adam"
// (capitalised, as Lookup accepts) used to build gradient descent.
func TestSpecNewByKind(t *testing.T) {
	for _, c := range []struct {
		spec experiment.Spec
		want string
	}{
		{experiment.Spec{Key: "Adam", Kind: experiment.Adam}, "*optim.Adam"},
		{experiment.Spec{Key: "anything", Kind: experiment.GradientDescent}, "*optim.GradientDescent"},
		{experiment.Spec{Key: "hig", Kappa: 0.5}, "*optim.HalfInverse"},
		{experiment.Spec{Key: "gn", Kind: experiment.HalfInverse, Kappa: 1}, "*optim.HalfInverse"},
	} {
		if got := fmt.Sprintf("%T", c.spec.New(1e-3, 0)); got != c.want {
			t.Errorf("%+v: New builds %s, want %s", c.spec, got, c.want)
		}
	}
	for _, spec := range []experiment.Spec{{Key: "adam"}, {Key: "x", Kind: experiment.HalfInverse}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v: New did not panic on a spec without a usable Kind", spec)
				}
			}()
			spec.New(1, 0)
		}()
	}
	// The tables of the toy say what each key is, and Lookup ignores case.
	for _, key := range []string{"adam", "ADAM", "Adam"} {
		s, err := experiment.Lookup(toy.Specs, key)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.New(1e-3, 0).(*optim.Adam); !ok {
			t.Errorf("Lookup(%q).New is not Adam", key)
		}
	}
}

// The stopping rule ends each run at its first validation loss at or below
// the threshold, with status LossThreshold and its loss counted as final.
func TestStudyStoppingRule(t *testing.T) {
	full := toyStudy()
	full.Methods = full.Methods[1:] // HIG, 10 steps
	ref, err := full.Run()
	if err != nil {
		t.Fatal(err)
	}
	loss := ref.Runs[0][0].Validation.Loss
	below := loss[len(loss)/2].Value
	st := toyStudy()
	st.Methods = st.Methods[1:]
	st.Below = below
	out, err := st.Run()
	if err != nil {
		t.Fatal(err)
	}
	r := out.Runs[0][0]
	if r.Result.Status != train.LossThreshold || r.Err != nil || r.FinalLoss() > below || r.Result.Stats.Steps >= 10 {
		t.Errorf("status %v, error %v, final loss %v after %d steps; want LossThreshold at ≤ %v before 10 steps",
			r.Result.Status, r.Err, r.FinalLoss(), r.Result.Stats.Steps, below)
	}
	st.Below = math.NaN()
	if err := st.Validate(); err == nil {
		t.Error("a NaN threshold was accepted")
	}
}
