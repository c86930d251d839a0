package train

import (
	"errors"
	"fmt"
	"math"
	"runtime/debug"

	"github.com/higlab/hig/internal/num"

	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/objective"
)

// Recorders sends every call to each recorder in turn, stopping at the
// first error. Nil entries are skipped.
type Recorders []Recorder

// Init implements Recorder.
func (rs Recorders) Init() error {
	for _, r := range rs {
		if r == nil {
			continue
		}
		if err := r.Init(); err != nil {
			return err
		}
	}
	return nil
}

// Record implements Recorder.
func (rs Recorders) Record(loc *Location, op Operation, stats *Stats) error {
	for _, r := range rs {
		if r == nil {
			continue
		}
		if err := r.Record(loc, op, stats); err != nil {
			return err
		}
	}
	return nil
}

// Stop implements Stopper: it reports whether any member that is a Stopper
// says stop.
func (rs Recorders) Stop() bool {
	for _, r := range rs {
		if st, ok := r.(Stopper); ok && st.Stop() {
			return true
		}
	}
	return false
}

// Func adapts a function to a Recorder whose Init does nothing, e.g. to
// print progress.
type Func func(loc *Location, op Operation, stats *Stats) error

// Init implements Recorder.
func (f Func) Init() error { return nil }

// Record implements Recorder.
func (f Func) Record(loc *Location, op Operation, stats *Stats) error { return f(loc, op, stats) }

// Curve is a series of points (X[i], Y[i]). It has the method set of
// gonum/plot's plotter.XYer, so that figures take it directly.
type Curve struct {
	X, Y []float64
}

// Len returns the number of points.
func (c Curve) Len() int { return len(c.X) }

// XY returns point i.
func (c Curve) XY(i int) (x, y float64) { return c.X[i], c.Y[i] }

// Point is one recorded value at a step and training time.
type Point struct {
	Step    int     `json:"step"`
	Seconds float64 `json:"seconds"`
	Value   float64 `json:"value"`
}

// Series is a recorded scalar, one Point per InitIteration and
// MajorIteration call.
type Series []Point

// BySeconds returns the values against training time.
func (s Series) BySeconds() Curve {
	c := Curve{X: make([]float64, len(s)), Y: make([]float64, len(s))}
	for i, p := range s {
		c.X[i], c.Y[i] = p.Seconds, p.Value
	}
	return c
}

// BySteps returns the values against the step count.
func (s Series) BySteps() Curve {
	c := Curve{X: make([]float64, len(s)), Y: make([]float64, len(s))}
	for i, p := range s {
		c.X[i], c.Y[i] = float64(p.Step), p.Value
	}
	return c
}

// Last returns the last value, or NaN if there is none.
func (s Series) Last() float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	return s[len(s)-1].Value
}

// History records the mini-batch loss and the update norm of every
// recorded step (NaN and 0 at the initial point).
type History struct {
	BatchLoss, UpdateNorm Series
}

// Init implements Recorder; it clears earlier records.
func (h *History) Init() error {
	h.BatchLoss, h.UpdateNorm = h.BatchLoss[:0], h.UpdateNorm[:0]
	return nil
}

// Record implements Recorder.
func (h *History) Record(loc *Location, op Operation, _ *Stats) error {
	if op == PostIteration {
		return nil
	}
	h.BatchLoss = append(h.BatchLoss, Point{loc.Step, loc.Seconds, loc.BatchLoss})
	h.UpdateNorm = append(h.UpdateNorm, Point{loc.Step, loc.Seconds, loc.UpdateNorm})
	return nil
}

// Validation records the loss of Obj on Data (the batch mean of the
// objective's sample loss over all samples) at every recorded step. A loss
// that is not finite stops training and is not recorded: with an
// *objective.SampleError when a sample's physics map returned NaN or Inf
// for finite arguments or the network, map or loss panicked (see
// objective.Objective.Diagnose), otherwise with an error wrapping
// ErrDiverged.
//
// Validation is a Stopper: with Below > 0, training stops (status
// LossThreshold) at the first recorded step whose validation loss is at or
// below Below.
type Validation struct {
	Obj  *objective.Objective
	Data objective.Data
	// Below is the loss threshold of the stopping rule; zero means none.
	Below float64

	// Loss holds the recorded validation losses.
	Loss Series

	ws *objective.Workspace
}

// Init implements Recorder: it checks the data and clears earlier records.
func (v *Validation) Init() error {
	if v.Obj == nil {
		return errors.New("train: Validation needs an objective")
	}
	if err := v.Obj.Check(v.Data); err != nil {
		return fmt.Errorf("train: validation set: %w", err)
	}
	if v.Below < 0 || math.IsNaN(v.Below) || math.IsInf(v.Below, 0) {
		return fmt.Errorf("train: validation loss threshold %v must be a finite number ≥ 0", v.Below)
	}
	v.Loss = v.Loss[:0]
	v.ws = v.Obj.NewWorkspace()
	return nil
}

// Record implements Recorder.
func (v *Validation) Record(loc *Location, op Operation, _ *Stats) error {
	if op == PostIteration {
		return nil
	}
	l, perr := v.loss(loc)
	if perr != nil || !num.IsFinite(l) {
		if err := v.Obj.Diagnose(v.ws, loc.Params, v.Data); err != nil {
			return fmt.Errorf("validation %w", err)
		}
		if perr != nil { // a panic that Diagnose did not repeat
			return perr
		}
		return fmt.Errorf("the validation loss is not finite (%v) although every physics output is: %w", l, ErrDiverged)
	}
	v.Loss = append(v.Loss, Point{loc.Step, loc.Seconds, l})
	return nil
}

// loss returns the validation loss, or a *PanicError if evaluating it
// panicked (Diagnose then names the sample).
func (v *Validation) loss(loc *Location) (l float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Step: loc.Step, Value: r, Stack: debug.Stack()}
		}
	}()
	return v.Obj.Loss(v.ws, loc.Params, v.Data), nil
}

// Stop implements Stopper.
func (v *Validation) Stop() bool {
	return v.Below > 0 && len(v.Loss) > 0 && v.Loss.Last() <= v.Below
}

// SaturationSlope is the default slope below which a hidden activation
// counts as saturated: tanh'(z) < 0.02 means |tanh z| > 0.99, where a unit
// passes on less than 2 % of the gradient reaching it; an inactive ReLU
// unit has slope 0.
const SaturationSlope = 0.02

// Saturation records statistics of the network's hidden activations over
// Data at every recorded step: their mean and standard deviation over all
// hidden units and samples (the Half-Inverse Gradients chapter's "neuron
// saturation" panel) and the share of them whose slope σ'(z) is below
// Slope. Mean ± std can hide units saturated at both +1 and −1 (mean 0,
// std 1); the share does not. A network whose Evaluator does not implement
// nn.Hidden, or has no hidden layer, records nothing.
type Saturation struct {
	Obj  *objective.Objective
	Data objective.Data
	// Slope is the saturation threshold; zero means SaturationSlope.
	Slope float64

	Mean, Std, Saturated Series

	ws *objective.Workspace
	y  []float64
}

// Init implements Recorder.
func (s *Saturation) Init() error {
	if s.Obj == nil {
		return errors.New("train: Saturation needs an objective")
	}
	if err := s.Obj.Check(s.Data); err != nil {
		return fmt.Errorf("train: saturation data: %w", err)
	}
	if s.Slope < 0 || math.IsNaN(s.Slope) {
		return fmt.Errorf("train: saturation slope %v must not be negative", s.Slope)
	}
	s.Mean, s.Std, s.Saturated = s.Mean[:0], s.Std[:0], s.Saturated[:0]
	s.ws = s.Obj.NewWorkspace()
	s.y = make([]float64, s.Obj.Dim())
	return nil
}

// Record implements Recorder.
func (s *Saturation) Record(loc *Location, op Operation, _ *Stats) error {
	if op == PostIteration {
		return nil
	}
	h, ok := s.ws.Net().(nn.Hidden)
	if !ok || h.HiddenLayers() == 0 {
		return nil
	}
	slope := s.Slope
	if slope == 0 {
		slope = SaturationSlope
	}
	var sum, sumsq float64
	var count, saturated int
	for i := 0; i < s.Data.Len(); i++ {
		s.Obj.Predict(s.y, s.ws, loc.Params, s.Data.X.RawRowView(i))
		for l := 1; l <= h.HiddenLayers(); l++ {
			act, d := h.HiddenLayer(l)
			for k, a := range act {
				sum += a
				sumsq += a * a
				count++
				if d[k] < slope {
					saturated++
				}
			}
		}
	}
	if count == 0 {
		return nil
	}
	mean := sum / float64(count)
	s.Mean = append(s.Mean, Point{loc.Step, loc.Seconds, mean})
	s.Std = append(s.Std, Point{loc.Step, loc.Seconds, math.Sqrt(max(0, sumsq/float64(count)-mean*mean))})
	s.Saturated = append(s.Saturated, Point{loc.Step, loc.Seconds, float64(saturated) / float64(count)})
	return nil
}

// Track records the physics output y of one sample, row Index of Data, at
// every recorded step: its path through the output space. A y that is not
// finite stops training with an error wrapping ErrDiverged.
type Track struct {
	Obj   *objective.Objective
	Data  objective.Data
	Index int

	// Steps and Y hold the recorded steps and outputs.
	Steps []int
	Y     [][]float64

	ws *objective.Workspace
}

// Init implements Recorder.
func (t *Track) Init() error {
	if t.Obj == nil {
		return errors.New("train: Track needs an objective")
	}
	if err := t.Obj.Check(t.Data); err != nil {
		return fmt.Errorf("train: tracked data: %w", err)
	}
	if t.Index < 0 || t.Index >= t.Data.Len() {
		return fmt.Errorf("train: tracked sample %d is not in the data set of %d", t.Index, t.Data.Len())
	}
	t.Steps, t.Y = t.Steps[:0], t.Y[:0]
	t.ws = t.Obj.NewWorkspace()
	return nil
}

// Record implements Recorder.
func (t *Track) Record(loc *Location, op Operation, _ *Stats) error {
	if op == PostIteration {
		return nil
	}
	y := make([]float64, t.Obj.Dim())
	t.Obj.Predict(y, t.ws, loc.Params, t.Data.X.RawRowView(t.Index))
	if !num.Finite(y) {
		return fmt.Errorf("the tracked sample's output is not finite: %w", ErrDiverged)
	}
	t.Steps = append(t.Steps, loc.Step)
	t.Y = append(t.Y, y)
	return nil
}

// Target returns ŷ of the tracked sample.
func (t *Track) Target() []float64 {
	return append([]float64(nil), t.Data.Y.RawRowView(t.Index)...)
}

// Path returns components i and j of the recorded outputs as a curve in
// the (y_i, y_j) plane.
func (t *Track) Path(i, j int) Curve {
	c := Curve{X: make([]float64, len(t.Y)), Y: make([]float64, len(t.Y))}
	for k, y := range t.Y {
		c.X[k], c.Y[k] = y[i], y[j]
	}
	return c
}
