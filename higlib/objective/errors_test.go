package objective_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
)

// faulty is mix with a fault at inputs x₁ > 10: NaN in y, in the Jacobian
// only, in the VJP only, or a panic.
type faulty struct {
	mix
	fault string
}

type faultyEval struct {
	mixVJPEval
	fault string
	bad   bool
}

func (f faulty) NewEvaluator() physics.Evaluator {
	return &faultyEval{mixVJPEval: mixVJPEval{mix: f.mix}, fault: f.fault}
}

func (e *faultyEval) Eval(y, jac, x, z []float64) {
	e.mixVJPEval.Eval(y, jac, x, z)
	e.bad = x[0] > 10
	if !e.bad {
		return
	}
	switch e.fault {
	case "value":
		y[1] = math.NaN()
	case "jacobian":
		if jac != nil {
			jac[3] = math.Inf(-1)
		}
	case "panic":
		panic("out of range")
	}
}

func (e *faultyEval) VJP(dst, v []float64) {
	e.mixVJPEval.VJP(dst, v)
	if e.bad && e.fault == "vjp" {
		dst[1] = math.NaN()
	}
}

func TestEvalNamesTheFailingSample(t *testing.T) {
	for _, c := range []struct {
		fault          string
		withJac        bool
		jacobian, prod bool
		entry          int
		is             error
		say            string
	}{
		{"value", false, false, false, 1, objective.ErrNotFinite, "y[1] = NaN"},
		{"value", true, false, false, 1, objective.ErrNotFinite, "y[1] = NaN"},
		{"jacobian", true, true, false, 3, objective.ErrNotFinite, "Jacobian ∂P/∂z whose entry 3 is -Inf"},
		{"vjp", false, false, true, 1, objective.ErrNotFinite, "VJP (∂P/∂z)ᵀ v whose entry 1 is NaN"},
		{"panic", true, false, false, -1, objective.ErrPanic, "the physics map objective_test.faulty panicked: out of range"},
		{"panic", false, false, false, -1, objective.ErrPanic, "panicked: out of range"},
	} {
		o, params, data, idx := build(t, setup{"", []int{2, 4, 2}, setups(t)[2].acts, faulty{mix{2}, c.fault}}, 1)
		data.X.Set(idx[1], 0, 11)
		data.X.Set(idx[2], 0, 12)
		out := optim.Local{Grad: make([]float64, len(params))}
		if c.withJac {
			out.Jac = &mat.Dense{}
		}
		err := o.Eval(&out, o.NewWorkspace(), params, data, idx)
		var se *objective.SampleError
		if !errors.As(err, &se) || !errors.Is(err, c.is) {
			t.Errorf("%s (Jac %v): error %v, want a SampleError wrapping %v", c.fault, c.withJac, err, c.is)
			continue
		}
		if se.Sample != idx[1] || se.Jacobian != c.jacobian || se.Product != c.prod || se.Entry != c.entry {
			t.Errorf("%s (Jac %v): %+v, want sample %d, entry %d, Jacobian %v, VJP %v", c.fault, c.withJac, se, idx[1], c.entry, c.jacobian, c.prod)
		}
		if msg := err.Error(); !strings.Contains(msg, c.say) || !strings.Contains(msg, "sample 1") {
			t.Errorf("%s (Jac %v): message %q does not say %q and the sample", c.fault, c.withJac, msg, c.say)
		}

		// Diagnose finds the same sample on the whole set (in row order,
		// which here is the lower of the two), for faults in y and panics.
		if c.fault == "value" || c.fault == "panic" {
			lo := min(idx[1], idx[2])
			err := o.Diagnose(o.NewWorkspace(), params, data)
			if !errors.As(err, &se) || se.Sample != lo || !errors.Is(err, c.is) {
				t.Errorf("%s: Diagnose gives %v, want sample %d", c.fault, err, lo)
			}
		}
	}
}

// Parameters grown without bound make the network's output overflow; that
// is divergence, not a fault of the map: no SampleError. Controls that are
// finite but so large that the map overflows are the map's output: the
// SampleError gives max |z|, so that the reader sees the controls' size.
func TestEvalOverflow(t *testing.T) {
	o, params, data, idx := build(t, setups(t)[2], 2)
	for i := range params {
		params[i] = math.MaxFloat64
	}
	out := optim.Local{Grad: make([]float64, len(params))}
	if err := o.Eval(&out, o.NewWorkspace(), params, data, idx); err != nil {
		t.Errorf("network overflow: Eval: %v", err)
	}
	if !math.IsInf(out.Loss, 0) && !math.IsNaN(out.Loss) {
		t.Errorf("network overflow: loss %v, want overflow", out.Loss)
	}
	if err := o.Diagnose(o.NewWorkspace(), params, data); err != nil {
		t.Errorf("network overflow: Diagnose: %v", err)
	}

	for i := range params {
		params[i] = 1e300
	}
	err := o.Eval(&out, o.NewWorkspace(), params, data, idx)
	var se *objective.SampleError
	if !errors.As(err, &se) || !(se.MaxControl > 1e300) || !strings.Contains(err.Error(), "max |z| = ") {
		t.Errorf("map overflow: error %v, want a SampleError with max |z| > 1e300", err)
	}
}
