package train_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
	"github.com/higlab/hig/higlib/toy"
	"github.com/higlab/hig/higlib/train"
)

// fault is the toy's Scale(1, λ) map with a fault that a recorder arms at a
// chosen step: from then on Eval writes NaN into y, only into the Jacobian,
// or panics, for samples whose input x lies above above (all by default).
type fault struct {
	physics.Scale
	kind  string
	armed *bool
	above float64
}

func (f fault) NewEvaluator() physics.Evaluator { return f }

func (f fault) Eval(y, jac, x, z []float64) {
	f.Scale.Eval(y, jac, x, z)
	if !*f.armed || x[0] <= f.above {
		return
	}
	switch f.kind {
	case "value":
		y[1] = math.NaN()
	case "jacobian":
		if jac != nil {
			jac[0] = math.NaN()
		}
	case "panic":
		panic("simulator index out of range")
	}
}

// faulty returns a small toy set-up whose map is a fault of the given kind,
// and a recorder that arms it at step at (0: from the start).
func faulty(t *testing.T, kind string, at int, above float64) (*toy.Setup, train.Recorder) {
	s := small(t, 3, 40)
	armed := new(bool)
	s.Obj.Phys = fault{Scale: s.Obj.Phys.(physics.Scale), kind: kind, armed: armed, above: above}
	*armed = at == 0
	arm := train.Func(func(loc *train.Location, op train.Operation, _ *train.Stats) error {
		if loc.Step >= at {
			*armed = true
		}
		return nil
	})
	return s, arm
}

func TestMapFaultsHaveTheirOwnStatus(t *testing.T) {
	for _, c := range []struct {
		kind   string
		method optim.Method
		status train.Status
		is     error
		say    string
	}{
		{"value", &optim.Adam{LearnRate: 0.01}, train.MapNotFinite, objective.ErrNotFinite, "returned y[1] = NaN"},
		{"value", optim.HIG(1), train.MapNotFinite, objective.ErrNotFinite, "returned y[1] = NaN"},
		{"jacobian", optim.HIG(1), train.MapNotFinite, objective.ErrNotFinite, "Jacobian ∂P/∂z whose entry 0 is NaN"},
		{"panic", &optim.Adam{LearnRate: 0.01}, train.Panicked, objective.ErrPanic, "panicked: simulator index out of range"},
		{"panic", optim.HIG(1), train.Panicked, objective.ErrPanic, "panicked: simulator index out of range"},
	} {
		s, arm := faulty(t, c.kind, 10, -2)
		r := newRecs(s, 0)
		st := settings(s, nil)
		st.RecordEvery = 5
		st.Recorder = train.Recorders{r.all(), arm}
		res, err := train.Train(s.Obj, s.Train, s.Params0, c.method, st)
		if res == nil || res.Status != c.status || !errors.Is(err, c.is) || errors.Is(err, train.ErrDiverged) {
			t.Errorf("%s, %T: result %v, error %v; want status %v and %v, not divergence", c.kind, c.method, res, err, c.status, c.is)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, c.say) || !strings.Contains(msg, "step 11: training sample") || !strings.Contains(msg, "fault") {
			t.Errorf("%s, %T: message %q does not name step 11, the training sample, the map and %q", c.kind, c.method, msg, c.say)
		}
		// The result is the last accepted state, step 10, and its records end there.
		if res.Step != 10 || res.Stats.Steps != 10 || r.v.Loss[len(r.v.Loss)-1].Step != 10 {
			t.Errorf("%s, %T: result at step %d after %d steps, last record at step %d; want 10",
				c.kind, c.method, res.Step, res.Stats.Steps, r.v.Loss[len(r.v.Loss)-1].Step)
		}
	}
}

// A fault at the start shows first in the validation loss of the initial
// point: the error names the validation sample, and the run still returns
// a Result (step 0) so that a study can record it and go on.
func TestMapFaultAtTheStart(t *testing.T) {
	for _, kind := range []string{"value", "panic"} {
		s, arm := faulty(t, kind, 0, 0.5)
		r := newRecs(s, 0)
		st := settings(s, nil)
		st.Recorder = train.Recorders{r.all(), arm}
		res, err := train.Train(s.Obj, s.Train, s.Params0, optim.HIG(1), st)
		want := map[string]train.Status{"value": train.MapNotFinite, "panic": train.Panicked}[kind]
		if res == nil || res.Status != want || res.Step != 0 || res.Stats.Steps != 0 {
			t.Fatalf("%s: result %+v, error %v; want a Result at step 0 with status %v", kind, res, err, want)
		}
		var se *objective.SampleError
		if !errors.As(err, &se) || !(s.Valid.X.At(se.Sample, 0) > 0.5) {
			t.Fatalf("%s: error %v does not name a faulty validation sample", kind, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "at the initial parameters: validation sample ") {
			t.Errorf("%s: message %q does not say where", kind, msg)
		}
	}
}

// A panic outside the objective (here in a recorder) ends the run with
// status Panicked and a PanicError instead of unwinding the caller.
func TestRecorderPanicIsRecovered(t *testing.T) {
	s := small(t, 3, 40)
	r := newRecs(s, 0)
	st := settings(s, nil)
	st.RecordEvery = 5
	st.Recorder = train.Recorders{r.all(), train.Func(func(loc *train.Location, op train.Operation, _ *train.Stats) error {
		if loc.Step == 15 {
			var m map[string]int
			m["x"] = 1 // a nil-map write panics
		}
		return nil
	})}
	res, err := train.Train(s.Obj, s.Train, s.Params0, &optim.Adam{LearnRate: 0.01}, st)
	var pe *train.PanicError
	if res == nil || res.Status != train.Panicked || !errors.As(err, &pe) || pe.Step != 15 || len(pe.Stack) == 0 {
		t.Fatalf("result %v, error %v; want status Panicked and a PanicError after 15 steps", res, err)
	}
	if res.Step != 10 {
		t.Errorf("result at step %d, want the last accepted record, 10", res.Step)
	}
}

// The stopping rule: Validation.Below ends the run at the first record at
// or below the threshold, with status LossThreshold and no error.
func TestValidationThreshold(t *testing.T) {
	s := small(t, 3, 400)
	full := newRecs(s, 0)
	res := run(t, s, optim.HIG(1), settings(s, full))
	below := full.v.Loss[len(full.v.Loss)/2].Value
	var first int
	for _, p := range full.v.Loss {
		if p.Value <= below {
			first = p.Step
			break
		}
	}
	r := newRecs(s, 0)
	r.v.Below = below
	got, err := train.Train(s.Obj, s.Train, s.Params0, optim.HIG(1), settings(s, r))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != train.LossThreshold || got.Step != first || got.Stats.Steps != first || r.v.Loss.Last() > below {
		t.Errorf("status %v at step %d (%d updates), last loss %v; want LossThreshold at step %d ≤ %v (full run: %v)",
			got.Status, got.Step, got.Stats.Steps, r.v.Loss.Last(), first, below, res.Status)
	}
	r.v.Below = -1
	if _, err := train.Train(s.Obj, s.Train, s.Params0, optim.HIG(1), settings(s, r)); err == nil {
		t.Error("a negative threshold was accepted")
	}
}
