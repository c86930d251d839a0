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

func settings(s *toy.Setup) train.Settings {
	return train.Settings{Steps: s.Steps, BatchSize: s.BatchSize, Seed: s.Seed}
}

func run(t *testing.T, s *toy.Setup, m optim.Method, st train.Settings) (*train.Result, *train.History) {
	t.Helper()
	var h train.History
	res, err := train.Train(s.Obj, m, s.Params0, s.Train, s.Valid, st, &h)
	if err != nil {
		t.Fatal(err)
	}
	return res, &h
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func TestSameSeedSameBits(t *testing.T) {
	for _, method := range []string{toy.Adam, toy.GaussNewton, toy.HIG} {
		t.Run(method, func(t *testing.T) {
			lr := map[string]float64{toy.Adam: 0.01, toy.GaussNewton: 1, toy.HIG: 1}[method]
			var runs [2]*toy.Run
			for i := range runs {
				r, err := small(t, 7, 60).Run(method, lr, nil)
				if err != nil {
					t.Fatal(err)
				}
				if r.Err != nil {
					t.Fatal(r.Err)
				}
				runs[i] = r
			}
			a, b := runs[0], runs[1]
			if !sameBits(a.Result.Params, b.Result.Params) {
				t.Error("same seed, different final parameters")
			}
			if len(a.History.Records) != len(b.History.Records) {
				t.Fatalf("same seed, %d and %d records", len(a.History.Records), len(b.History.Records))
			}
			for i, ra := range a.History.Records {
				rb := b.History.Records[i]
				if ra.Step != rb.Step || !sameBits([]float64{ra.Loss, ra.BatchLoss, ra.UpdateNorm, ra.ActMean, ra.ActStd}, []float64{rb.Loss, rb.BatchLoss, rb.UpdateNorm, rb.ActMean, rb.ActStd}) || !sameBits(ra.Y, rb.Y) {
					t.Errorf("record %d differs: %+v vs %+v", i, ra, rb)
				}
			}
		})
	}
}

func TestDifferentSeedsDiffer(t *testing.T) {
	// Another batch order alone (same data and start) changes the result.
	s := small(t, 7, 30)
	st := settings(s)
	r1, _ := run(t, s, &optim.Adam{LearnRate: 0.01}, st)
	st.Seed++
	r2, _ := run(t, s, &optim.Adam{LearnRate: 0.01}, st)
	if sameBits(r1.Params, r2.Params) {
		t.Error("different batch seeds give identical parameters")
	}
	// Another set-up seed changes data and initial parameters.
	s3 := small(t, 8, 30)
	r3, _ := run(t, s3, &optim.Adam{LearnRate: 0.01}, settings(s3))
	if sameBits(r1.Params, r3.Params) {
		t.Error("different set-up seeds give identical parameters")
	}
}

func TestSettingsErrors(t *testing.T) {
	s := small(t, 1, 10) // 64 training, 16 validation samples
	for _, tc := range []struct {
		name string
		st   train.Settings
		msg  string
	}{
		{"negative steps", train.Settings{Steps: -1}, "Steps = -1"},
		{"negative duration", train.Settings{Duration: -time.Second}, "Duration"},
		{"batch larger than data", train.Settings{Steps: 5, BatchSize: 65}, "batch size 65"},
		{"negative batch", train.Settings{Steps: 5, BatchSize: -2}, "batch size -2"},
		{"track negative", train.Settings{Steps: 5, Track: -1}, "tracked sample -1"},
		{"track past validation set", train.Settings{Steps: 5, Track: 16}, "tracked sample 16"},
		{"negative RecordEvery", train.Settings{Steps: 5, RecordEvery: -1}, "recording"},
		{"negative RecordInterval", train.Settings{Steps: 5, RecordInterval: -time.Millisecond}, "recording"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			rec := train.RecorderFunc(func(train.Record) error { called = true; return nil })
			res, err := train.Train(s.Obj, &optim.Adam{}, s.Params0, s.Train, s.Valid, tc.st, rec)
			if err == nil {
				t.Fatalf("no error, result %+v", res)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			if called {
				t.Error("recorder called before the settings were checked")
			}
		})
	}
}

func TestBadInputsRejectedBeforeTraining(t *testing.T) {
	s := small(t, 1, 10)
	nanTrain := s.Train
	nanTrain.Y = mat.DenseCopyOf(s.Train.Y)
	nanTrain.Y.Set(5, 1, math.NaN())
	infValid := s.Valid
	infValid.X = mat.DenseCopyOf(s.Valid.X)
	infValid.X.Set(3, 0, math.Inf(1))
	nanParams := append([]float64(nil), s.Params0...)
	nanParams[2] = math.NaN()
	type input struct {
		name string
		call func(train.Recorder) (*train.Result, error)
		msg  string
	}
	st := settings(s)
	for _, in := range []input{
		{"NaN in training targets", func(r train.Recorder) (*train.Result, error) {
			return train.Train(s.Obj, &optim.Adam{}, s.Params0, nanTrain, s.Valid, st, r)
		}, "training set: objective: target 5 holds NaN"},
		{"Inf in validation inputs", func(r train.Recorder) (*train.Result, error) {
			return train.Train(s.Obj, &optim.Adam{}, s.Params0, s.Train, infValid, st, r)
		}, "validation set: objective: input 3 holds NaN or Inf"},
		{"NaN in initial parameters", func(r train.Recorder) (*train.Result, error) {
			return train.Train(s.Obj, &optim.Adam{}, nanParams, s.Train, s.Valid, st, r)
		}, "initial parameters"},
		{"wrong parameter count", func(r train.Recorder) (*train.Result, error) {
			return train.Train(s.Obj, &optim.Adam{}, s.Params0[1:], s.Train, s.Valid, st, r)
		}, "29 parameters given, the network has 30"},
		{"bad optimizer settings", func(r train.Recorder) (*train.Result, error) {
			return train.Train(s.Obj, &optim.Adam{Beta1: 2}, s.Params0, s.Train, s.Valid, st, r)
		}, "β₁"},
	} {
		called := false
		res, err := in.call(train.RecorderFunc(func(train.Record) error { called = true; return nil }))
		if err == nil || res != nil {
			t.Errorf("%s: result %v, error %v; want only an error", in.name, res, err)
			continue
		}
		if !strings.Contains(err.Error(), in.msg) {
			t.Errorf("%s: error %q does not mention %q", in.name, err, in.msg)
		}
		if called {
			t.Errorf("%s: training started", in.name)
		}
	}
}

func TestHistoryRecords(t *testing.T) {
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
			st := settings(s)
			st.RecordEvery = tc.every
			res, h := run(t, s, &optim.Adam{LearnRate: 0.01}, st)
			if res.Steps != tc.steps {
				t.Errorf("Result.Steps = %d, want %d", res.Steps, tc.steps)
			}
			if len(h.Records) != len(tc.wantSteps) {
				t.Fatalf("%d records, want steps %v", len(h.Records), tc.wantSteps)
			}
			for i, r := range h.Records {
				if r.Step != tc.wantSteps[i] {
					t.Errorf("record %d at step %d, want %d", i, r.Step, tc.wantSteps[i])
				}
				if i == 0 {
					if !math.IsNaN(r.BatchLoss) || r.UpdateNorm != 0 || r.Seconds != 0 {
						t.Errorf("first record has batch loss %v, update norm %v, seconds %v; want NaN, 0, 0", r.BatchLoss, r.UpdateNorm, r.Seconds)
					}
				} else {
					if !(r.UpdateNorm > 0) || math.IsNaN(r.BatchLoss) || r.Seconds < h.Records[i-1].Seconds {
						t.Errorf("record %d: update norm %v, batch loss %v, seconds %v after %v", i, r.UpdateNorm, r.BatchLoss, r.Seconds, h.Records[i-1].Seconds)
					}
				}
				if len(r.Y) != s.Obj.Dim() || !(r.Loss >= 0) || !(r.ActStd > 0) || math.Abs(r.ActMean) > 1 {
					t.Errorf("record %d: Y %v, loss %v, activation mean %v, std %v", i, r.Y, r.Loss, r.ActMean, r.ActStd)
				}
			}
			last := h.Records[len(h.Records)-1]
			if res.Final.Step != last.Step || res.Final.Loss != last.Loss {
				t.Errorf("Result.Final = step %d loss %v, last record step %d loss %v", res.Final.Step, res.Final.Loss, last.Step, last.Loss)
			}
		})
	}
}

// The recorded loss is the validation loss at the recorded parameters, and
// Y the physics output of the tracked validation sample.
func TestRecordMatchesObjective(t *testing.T) {
	s := small(t, 4, 12)
	st := settings(s)
	st.Track = 5
	res, h := run(t, s, optim.HIG(1), st)
	ws := s.Obj.NewWorkspace()
	if got := s.Obj.Loss(ws, res.Params, s.Valid); got != res.Final.Loss {
		t.Errorf("final record loss %v, objective loss at final parameters %v", res.Final.Loss, got)
	}
	if got := s.Obj.Loss(ws, s.Params0, s.Valid); got != h.Records[0].Loss {
		t.Errorf("first record loss %v, objective loss at initial parameters %v", h.Records[0].Loss, got)
	}
	y := make([]float64, s.Obj.Dim())
	s.Obj.Predict(y, ws, res.Params, s.Valid.X.RawRowView(5))
	if !sameBits(y, res.Final.Y) {
		t.Errorf("tracked output %v, prediction for validation sample 5 %v", res.Final.Y, y)
	}
}

func TestRecorderErrorStops(t *testing.T) {
	stop := errors.New("stop here")
	s := small(t, 2, 50)
	for _, at := range []int{1, 3} { // stop at the at-th record
		n := 0
		rec := train.Recorders{nil, train.RecorderFunc(func(r train.Record) error {
			n++
			if n == at {
				return stop
			}
			return nil
		})}
		st := settings(s)
		st.RecordEvery = 5
		res, err := train.Train(s.Obj, &optim.Adam{}, s.Params0, s.Train, s.Valid, st, rec)
		if !errors.Is(err, stop) {
			t.Fatalf("stop at record %d: error %v, want the recorder's", at, err)
		}
		if n != at {
			t.Errorf("recorder called %d times after asking to stop at call %d", n, at)
		}
		if at == 1 {
			continue // stopped before training: no result is promised
		}
		if res == nil || res.Steps != 5*(at-1) {
			t.Errorf("stop at record %d: result %+v, want %d steps", at, res, 5*(at-1))
		}
	}
}

func TestDurationBudget(t *testing.T) {
	s := small(t, 5, 0)
	st := train.Settings{Duration: 50 * time.Millisecond, BatchSize: s.BatchSize, Seed: 1}
	res, h := run(t, s, &optim.Adam{}, st)
	if res.Steps <= 0 {
		t.Fatalf("no steps within the time budget: %+v", res)
	}
	last := h.Records[len(h.Records)-1]
	if last.Step != res.Steps || h.Records[0].Step != 0 {
		t.Errorf("records from step %d to %d, run of %d steps", h.Records[0].Step, last.Step, res.Steps)
	}
	if res.Seconds < st.Duration.Seconds() {
		t.Errorf("stopped after %vs of training, before the %v budget", res.Seconds, st.Duration)
	}
}

func TestDivergence(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    optim.Method
	}{
		{"gradient descent lr 1e6", &optim.GradientDescent{LearnRate: 1e6}},
		{"HIG lr 1e6", optim.HIG(1e6)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := toy.NewSetup(toy.Config{Lambda: 0.01, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			st := train.Settings{Steps: 2000, BatchSize: s.BatchSize, Seed: 1}
			res, err := train.Train(s.Obj, tc.m, s.Params0, s.Train, s.Valid, st, nil)
			if !errors.Is(err, train.ErrDiverged) {
				t.Fatalf("error %v, want one wrapping ErrDiverged", err)
			}
			if res == nil || res.Steps >= st.Steps {
				t.Fatalf("result %+v, want a run stopped early", res)
			}
			for i, v := range res.Params {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("Params[%d] = %v after divergence", i, v)
				}
			}
		})
	}
}
