package train_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/toy"
	"github.com/higlab/hig/higlib/train"
	"github.com/higlab/hig/internal/num"
)

// small returns a toy set-up small enough for fast tests: 64 training and
// 16 validation samples, mini-batches of 16.
func small(t *testing.T, seed uint64, steps int) *toy.Setup {
	t.Helper()
	s, err := toy.NewSetup(toy.Config{Lambda: 0.01, TrainSize: 64, ValidSize: 16, BatchSize: 16, Steps: steps, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// recs are the recorders of a test run.
type recs struct {
	h train.History
	v train.Validation
	s train.Saturation
	k train.Track
}

func newRecs(s *toy.Setup, track int) *recs {
	return &recs{v: train.Validation{Obj: s.Obj, Data: s.Valid}, s: train.Saturation{Obj: s.Obj, Data: s.Valid},
		k: train.Track{Obj: s.Obj, Data: s.Valid, Index: track}}
}

func (r *recs) all() train.Recorder { return train.Recorders{&r.h, &r.v, &r.s, &r.k} }

func settings(s *toy.Setup, r *recs) *train.Settings {
	st := &train.Settings{Steps: s.Steps, BatchSize: s.BatchSize, Seed: s.Seed}
	if r != nil {
		st.Recorder = r.all()
	}
	return st
}

func run(t *testing.T, s *toy.Setup, m optim.Method, st *train.Settings) *train.Result {
	t.Helper()
	res, err := train.Train(s.Obj, s.Train, s.Params0, m, st)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func values(s train.Series) []float64 {
	v := make([]float64, len(s))
	for i, p := range s {
		v[i] = p.Value
	}
	return v
}

func TestSameSeedSameBits(t *testing.T) {
	for _, method := range []string{toy.Adam, toy.GaussNewton, toy.HIG} {
		t.Run(method, func(t *testing.T) {
			lr := map[string]float64{toy.Adam: 0.01, toy.GaussNewton: 1, toy.HIG: 1}[method]
			var rs [2]*recs
			var res [2]*train.Result
			for i := range rs {
				s := small(t, 7, 60)
				rs[i] = newRecs(s, 0)
				m, err := toy.NewMethod(method, lr, 0)
				if err != nil {
					t.Fatal(err)
				}
				res[i] = run(t, s, m, settings(s, rs[i]))
			}
			a, b := rs[0], rs[1]
			if !num.SameBits(res[0].Params, res[1].Params) {
				t.Error("same seed, different final parameters")
			}
			for name, pair := range map[string][2]train.Series{
				"validation": {a.v.Loss, b.v.Loss}, "batch loss": {a.h.BatchLoss, b.h.BatchLoss},
				"update norm": {a.h.UpdateNorm, b.h.UpdateNorm}, "act mean": {a.s.Mean, b.s.Mean}, "act std": {a.s.Std, b.s.Std},
			} {
				if !num.SameBits(values(pair[0]), values(pair[1])) {
					t.Errorf("same seed, different %s records", name)
				}
			}
			for i := range a.k.Y {
				if !num.SameBits(a.k.Y[i], b.k.Y[i]) {
					t.Errorf("tracked output %d differs", i)
				}
			}
		})
	}
}

func TestDifferentSeedsDiffer(t *testing.T) {
	// Another batch order alone (same data and start) changes the result.
	s := small(t, 7, 30)
	st := settings(s, nil)
	r1 := run(t, s, &optim.Adam{LearnRate: 0.01}, st)
	st.Seed++
	r2 := run(t, s, &optim.Adam{LearnRate: 0.01}, st)
	if num.SameBits(r1.Params, r2.Params) {
		t.Error("different batch seeds give identical parameters")
	}
	// Another set-up seed changes data and initial parameters.
	s3 := small(t, 8, 30)
	r3 := run(t, s3, &optim.Adam{LearnRate: 0.01}, settings(s3, nil))
	if num.SameBits(r1.Params, r3.Params) {
		t.Error("different set-up seeds give identical parameters")
	}
}

// called is a recorder that notes whether it was used.
type called struct{ init, record bool }

func (c *called) Init() error { c.init = true; return nil }
func (c *called) Record(*train.Location, train.Operation, *train.Stats) error {
	c.record = true
	return nil
}

func TestSettingsErrors(t *testing.T) {
	s := small(t, 1, 10) // 64 training, 16 validation samples
	for _, tc := range []struct {
		name string
		st   train.Settings
		msg  string
	}{
		{"negative steps", train.Settings{Steps: -1}, "Steps = -1"},
		{"too many steps", train.Settings{Steps: train.MaxSteps + 1}, "must lie in"},
		{"negative duration", train.Settings{Duration: -time.Second}, "Duration"},
		{"batch larger than data", train.Settings{Steps: 5, BatchSize: 65}, "batch size 65"},
		{"negative batch", train.Settings{Steps: 5, BatchSize: -2}, "batch size -2"},
		{"negative RecordEvery", train.Settings{Steps: 5, RecordEvery: -1}, "recording"},
		{"negative RecordInterval", train.Settings{Steps: 5, RecordInterval: -time.Millisecond}, "recording"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &called{}
			tc.st.Recorder = c
			res, err := train.Train(s.Obj, s.Train, s.Params0, &optim.Adam{}, &tc.st)
			if err == nil {
				t.Fatalf("no error, result %+v", res)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			if c.init || c.record {
				t.Error("recorder called before the settings were checked")
			}
		})
	}
}

func TestRecorderInitErrors(t *testing.T) {
	s := small(t, 1, 10)
	infValid := s.Valid
	infValid.X = mat.DenseCopyOf(s.Valid.X)
	infValid.X.Set(3, 0, math.Inf(1))
	for _, tc := range []struct {
		name string
		rec  train.Recorder
		msg  string
	}{
		{"Inf in validation inputs", &train.Validation{Obj: s.Obj, Data: infValid}, "validation set: objective: input 3 holds NaN or Inf"},
		{"validation without objective", &train.Validation{Data: s.Valid}, "needs an objective"},
		{"track negative", &train.Track{Obj: s.Obj, Data: s.Valid, Index: -1}, "tracked sample -1"},
		{"track past the data", &train.Track{Obj: s.Obj, Data: s.Valid, Index: 16}, "tracked sample 16"},
		{"negative saturation slope", &train.Saturation{Obj: s.Obj, Data: s.Valid, Slope: -1}, "slope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := settings(s, nil)
			st.Recorder = tc.rec
			res, err := train.Train(s.Obj, s.Train, s.Params0, &optim.Adam{}, st)
			if err == nil || res != nil {
				t.Fatalf("result %v, error %v; want only an error", res, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestBadInputsRejectedBeforeTraining(t *testing.T) {
	s := small(t, 1, 10)
	nanTrain := s.Train
	nanTrain.Y = mat.DenseCopyOf(s.Train.Y)
	nanTrain.Y.Set(5, 1, math.NaN())
	nanParams := append([]float64(nil), s.Params0...)
	nanParams[2] = math.NaN()
	for _, in := range []struct {
		name   string
		data   func() (train.Settings, []float64)
		train  bool
		m      optim.Method
		msg    string
		noData bool
	}{
		{name: "NaN in training targets", msg: "training set: objective: target 5 holds NaN", noData: true},
		{name: "NaN in initial parameters", msg: "initial parameters"},
		{name: "wrong parameter count", msg: "29 parameters given, the network has 30"},
		{name: "bad optimizer settings", m: &optim.Adam{Beta1: 2}, msg: "β₁"},
		{name: "nil method", msg: "nil objective or method"},
	} {
		c := &called{}
		st := settings(s, nil)
		st.Recorder = c
		data, params := s.Train, s.Params0
		var m optim.Method = &optim.Adam{}
		switch in.name {
		case "NaN in training targets":
			data = nanTrain
		case "NaN in initial parameters":
			params = nanParams
		case "wrong parameter count":
			params = s.Params0[1:]
		case "bad optimizer settings":
			m = in.m
		case "nil method":
			m = nil
		}
		res, err := train.Train(s.Obj, data, params, m, st)
		if err == nil || res != nil {
			t.Errorf("%s: result %v, error %v; want only an error", in.name, res, err)
			continue
		}
		if !strings.Contains(err.Error(), in.msg) {
			t.Errorf("%s: error %q does not mention %q", in.name, err, in.msg)
		}
		if c.init || c.record {
			t.Errorf("%s: training started", in.name)
		}
	}
}

func TestRecords(t *testing.T) {
	for _, tc := range []struct {
		name      string
		steps     int
		every     int
		wantSteps []int
	}{
		// Records at step 0, every RecordEvery steps, and at the last step.
		{"every 7 of 30", 30, 7, []int{0, 7, 14, 21, 28, 30}},
		{"every 5 of 20", 20, 5, []int{0, 5, 10, 15, 20}},
		// RecordEvery 0 means Steps/200, at least 1: every step here.
		{"default for 6", 6, 0, []int{0, 1, 2, 3, 4, 5, 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := small(t, 3, tc.steps)
			r := newRecs(s, 0)
			st := settings(s, r)
			st.RecordEvery = tc.every
			res := run(t, s, &optim.Adam{LearnRate: 0.01}, st)
			if res.Stats.Steps != tc.steps || res.Step != tc.steps || res.Status != train.StepLimit {
				t.Errorf("Result: %d steps, at step %d, status %v; want %d, %d, StepLimit", res.Stats.Steps, res.Step, res.Status, tc.steps, tc.steps)
			}
			if res.Stats.Records != len(tc.wantSteps)-1 {
				t.Errorf("Stats.Records = %d, want %d", res.Stats.Records, len(tc.wantSteps)-1)
			}
			for _, ser := range []train.Series{r.h.BatchLoss, r.h.UpdateNorm, r.v.Loss, r.s.Mean, r.s.Std, r.s.Saturated} {
				if len(ser) != len(tc.wantSteps) {
					t.Fatalf("%d records, want steps %v", len(ser), tc.wantSteps)
				}
				for i, p := range ser {
					if p.Step != tc.wantSteps[i] {
						t.Errorf("record %d at step %d, want %d", i, p.Step, tc.wantSteps[i])
					}
				}
			}
			for i := range tc.wantSteps {
				bl, un := r.h.BatchLoss[i], r.h.UpdateNorm[i]
				if i == 0 {
					if !math.IsNaN(bl.Value) || un.Value != 0 || bl.Seconds != 0 {
						t.Errorf("first record has batch loss %v, update norm %v, seconds %v; want NaN, 0, 0", bl.Value, un.Value, bl.Seconds)
					}
				} else if !(un.Value > 0) || math.IsNaN(bl.Value) || bl.Seconds < r.h.BatchLoss[i-1].Seconds {
					t.Errorf("record %d: update norm %v, batch loss %v, seconds %v after %v", i, un.Value, bl.Value, bl.Seconds, r.h.BatchLoss[i-1].Seconds)
				}
				if len(r.k.Y[i]) != s.Obj.Dim() || !(r.v.Loss[i].Value >= 0) || !(r.s.Std[i].Value > 0) || math.Abs(r.s.Mean[i].Value) > 1 {
					t.Errorf("record %d: Y %v, loss %v, activation mean %v, std %v", i, r.k.Y[i], r.v.Loss[i].Value, r.s.Mean[i].Value, r.s.Std[i].Value)
				}
			}
		})
	}
}

// The recorded loss is the validation loss at the result's parameters, and
// Y the physics output of the tracked validation sample.
func TestRecordsMatchObjective(t *testing.T) {
	s := small(t, 4, 12)
	r := newRecs(s, 5)
	res := run(t, s, optim.HIG(1), settings(s, r))
	ws := s.Obj.NewWorkspace()
	if got := s.Obj.Loss(ws, res.Params, s.Valid); got != r.v.Loss.Last() {
		t.Errorf("final recorded loss %v, objective loss at final parameters %v", r.v.Loss.Last(), got)
	}
	if got := s.Obj.Loss(ws, s.Params0, s.Valid); got != r.v.Loss[0].Value {
		t.Errorf("first recorded loss %v, objective loss at initial parameters %v", r.v.Loss[0].Value, got)
	}
	y := make([]float64, s.Obj.Dim())
	s.Obj.Predict(y, ws, res.Params, s.Valid.X.RawRowView(5))
	if !num.SameBits(y, r.k.Y[len(r.k.Y)-1]) {
		t.Errorf("tracked output %v, prediction for validation sample 5 %v", r.k.Y[len(r.k.Y)-1], y)
	}
	if p := r.k.Path(0, 1); p.Len() != len(r.k.Y) {
		t.Errorf("path of %d points, %d records", p.Len(), len(r.k.Y))
	}
}

// stopAt is a recorder that returns err at its n-th MajorIteration call.
type stopAt struct {
	n, calls int
	err      error
	ops      []train.Operation
}

func (s *stopAt) Init() error { return nil }
func (s *stopAt) Record(_ *train.Location, op train.Operation, _ *train.Stats) error {
	s.ops = append(s.ops, op)
	if op == train.MajorIteration {
		s.calls++
		if s.calls == s.n {
			return s.err
		}
	}
	return nil
}

func TestRecorderErrorStops(t *testing.T) {
	stop := errors.New("stop here")
	s := small(t, 2, 50)
	for _, at := range []int{1, 3} { // stop at the at-th MajorIteration
		rec := &stopAt{n: at, err: stop}
		st := settings(s, nil)
		st.Recorder = train.Recorders{nil, rec}
		st.RecordEvery = 5
		res, err := train.Train(s.Obj, s.Train, s.Params0, &optim.Adam{}, st)
		if !errors.Is(err, stop) {
			t.Fatalf("stop at record %d: error %v, want the recorder's", at, err)
		}
		if res == nil || res.Status != train.Failure || res.Stats.Steps != 5*at || res.Step != 5*(at-1) {
			t.Errorf("stop at record %d: result %+v, want status Failure after %d steps at the location of step %d", at, res, 5*at, 5*(at-1))
		}
		if last := rec.ops[len(rec.ops)-1]; last != train.PostIteration || rec.ops[0] != train.InitIteration {
			t.Errorf("operations %v: want InitIteration first and PostIteration last", rec.ops)
		}
	}
}

func TestDurationBudget(t *testing.T) {
	s := small(t, 5, 0)
	r := newRecs(s, 0)
	st := &train.Settings{Duration: 50 * time.Millisecond, BatchSize: s.BatchSize, Seed: 1, Recorder: r.all()}
	res := run(t, s, &optim.Adam{}, st)
	if res.Stats.Steps <= 0 || res.Status != train.TimeLimit {
		t.Fatalf("no steps within the time budget, or wrong status: %+v", res)
	}
	last := r.v.Loss[len(r.v.Loss)-1]
	if last.Step != res.Stats.Steps || r.v.Loss[0].Step != 0 {
		t.Errorf("records from step %d to %d, run of %d steps", r.v.Loss[0].Step, last.Step, res.Stats.Steps)
	}
	if res.Stats.Runtime < st.Duration {
		t.Errorf("stopped after %v of training, before the %v budget", res.Stats.Runtime, st.Duration)
	}
}

// TestDivergence checks that a diverging run reports ErrDiverged and that
// its Result is the last state every recorder accepted: finite parameters
// whose validation loss is the last recorded one.
func TestDivergence(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    optim.Method
	}{
		{"gradient descent lr 1e6", &optim.GradientDescent{LearnRate: 1e6}},
		{"HIG lr 1e6", optim.HIG(1e6)},
		{"HIG lr 1e308", optim.HIG(1e308)},
		{"Adam lr 1e308", &optim.Adam{LearnRate: 1e308}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := toy.NewSetup(toy.Config{Lambda: 0.01, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			r := newRecs(s, 0)
			st := &train.Settings{Steps: 2000, BatchSize: s.BatchSize, Seed: 1, RecordEvery: 1, Recorder: r.all()}
			res, err := train.Train(s.Obj, s.Train, s.Params0, tc.m, st)
			if !errors.Is(err, train.ErrDiverged) {
				t.Fatalf("error %v, want one wrapping ErrDiverged", err)
			}
			if res == nil || res.Stats.Steps >= st.Steps || res.Status != train.Diverged {
				t.Fatalf("result %+v, want a run stopped early with status Diverged", res)
			}
			for i, v := range res.Params {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("Params[%d] = %v after divergence", i, v)
				}
			}
			loss := s.Obj.Loss(s.Obj.NewWorkspace(), res.Params, s.Valid)
			if math.IsInf(loss, 0) || math.IsNaN(loss) || loss != r.v.Loss.Last() || res.Step != r.v.Loss[len(r.v.Loss)-1].Step {
				t.Errorf("Result at step %d has validation loss %v; last record: step %d, loss %v", res.Step, loss, r.v.Loss[len(r.v.Loss)-1].Step, r.v.Loss.Last())
			}
		})
	}
}
