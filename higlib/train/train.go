// Package train runs an optimizer on an objective with mini-batches and
// records what happens: validation loss against steps and wall-clock time,
// the statistics of the hidden activations over the validation set (the
// chapter's "neuron saturation" panel), the path of one validation sample in
// the physics output space, and the size of each update.
//
// Notebooks, the command line and the tests all train through Train, and
// observe it through a Recorder, in the manner of gonum's optimize package.
package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/higlab/hig/internal/num"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
)

// Settings say how long to train and how often to record. A zero field takes
// the default its comment gives.
type Settings struct {
	// Steps is the number of updates; zero means no limit on steps, in which
	// case Duration must be set. If both are zero, 1000 steps are taken.
	Steps int
	// Duration is a wall-clock budget for the updates (recording time is
	// not counted); zero means no time limit.
	Duration time.Duration
	// BatchSize is the mini-batch size b; zero means the whole training set.
	// Batches are drawn without replacement from a reshuffled permutation
	// each epoch.
	BatchSize int
	// RecordEvery records every RecordEvery steps; zero means Steps/200
	// (at least 1) for a step budget.
	RecordEvery int
	// RecordInterval records each time this much training time has passed;
	// zero means Duration/200 for a time budget.
	RecordInterval time.Duration
	// Track is the index of the validation sample whose output is recorded
	// in Record.Y; zero means the first.
	Track int
	// Seed seeds the mini-batch shuffling.
	Seed uint64
}

// Record is one observation of a run.
type Record struct {
	Step      int     `json:"step"`
	Seconds   float64 `json:"seconds"`    // training wall-clock time so far
	Loss      float64 `json:"loss"`       // validation loss
	BatchLoss float64 `json:"batch_loss"` // loss of the last mini-batch before its update
	ActMean   float64 `json:"act_mean"`   // mean of all hidden activations over the validation set
	ActStd    float64 `json:"act_std"`    // their standard deviation
	// Saturated is the fraction of hidden activations, over all hidden
	// neurons and validation samples, whose slope σ'(z) is below
	// SaturationSlope: tanh units with |a| > 0.99, inactive ReLU units.
	// Mean ± std can hide saturation at both +1 and −1 (mean 0, std 1);
	// this number does not.
	Saturated  float64   `json:"saturated"`
	Y          []float64 `json:"y"`           // physics output of the tracked validation sample
	UpdateNorm float64   `json:"update_norm"` // ‖Δθ‖ of the last update
}

// SaturationSlope is the slope below which a hidden activation counts as
// saturated in Record.Saturated: tanh'(z) < 0.02 means |tanh z| > 0.99,
// where a unit passes on less than 2 % of the gradient reaching it.
const SaturationSlope = 0.02

// Recorder receives records as training goes. Returning an error stops
// training with that error.
type Recorder interface {
	Record(Record) error
}

// History is a Recorder that keeps every record.
type History struct {
	Records []Record
}

// Record implements Recorder.
func (h *History) Record(r Record) error {
	h.Records = append(h.Records, r)
	return nil
}

// RecorderFunc adapts a function to a Recorder.
type RecorderFunc func(Record) error

// Record implements Recorder.
func (f RecorderFunc) Record(r Record) error { return f(r) }

// Recorders sends each record to every recorder in turn.
type Recorders []Recorder

// Record implements Recorder.
func (rs Recorders) Record(r Record) error {
	for _, x := range rs {
		if x == nil {
			continue
		}
		if err := x.Record(r); err != nil {
			return err
		}
	}
	return nil
}

// Result is the outcome of a run: the final parameters and the last record.
type Result struct {
	Params []float64
	Final  Record
	Steps  int
	// Seconds is the training wall-clock time, recording excluded.
	Seconds float64
}

// ErrDiverged is returned when an update would make a parameter NaN or Inf,
// or when the mini-batch loss or gradient or the validation loss overflows
// at finite parameters (the data and initial parameters having been checked,
// that can only come from the iterates growing without bound). The result
// then holds the last parameters and the last record that were finite.
var ErrDiverged = errors.New("train: update is not finite; parameters kept at their last finite values")

// Train minimises obj on the training data with m, starting from a copy of
// params0, and reports to rec (which may be nil). It checks data and
// settings first and returns an error saying what is wrong.
func Train(obj *objective.Objective, m optim.Method, params0 []float64, trainSet, valid objective.Data, s Settings, rec Recorder) (*Result, error) {
	P := obj.Net.NumParams()
	if len(params0) != P {
		return nil, fmt.Errorf("train: %d parameters given, the network has %d", len(params0), P)
	}
	if !num.Finite(params0) {
		return nil, errors.New("train: initial parameters hold NaN or Inf")
	}
	if err := obj.Check(trainSet); err != nil {
		return nil, fmt.Errorf("train: training set: %w", err)
	}
	if err := obj.Check(valid); err != nil {
		return nil, fmt.Errorf("train: validation set: %w", err)
	}
	if err := s.normalise(trainSet.Len(), valid.Len()); err != nil {
		return nil, err
	}
	if err := m.Init(P); err != nil {
		return nil, err
	}

	r := &run{obj: obj, valid: valid, ws: obj.NewWorkspace(), track: s.Track, rec: rec}
	params := append([]float64(nil), params0...)
	delta := make([]float64, P)
	next := make([]float64, P)
	b := s.BatchSize
	batch := objective.Batch{Grad: make([]float64, P)}
	if m.NeedsJacobian() {
		batch.GradY = make([]float64, b*obj.Dim())
		batch.Jac = mat.NewDense(b*obj.Dim(), P, nil)
	}
	loc := optim.Local{Grad: batch.Grad, GradY: batch.GradY, Jac: batch.Jac}
	rng := rand.New(rand.NewPCG(s.Seed, 0x9e3779b97f4a7c15))
	perm := make([]int, trainSet.Len())
	for i := range perm {
		perm[i] = i
	}
	pos := len(perm) // forces a shuffle before the first batch

	var elapsed time.Duration
	lastRecord := time.Duration(0)
	cur := Record{}
	if err := r.record(&cur, params, 0, 0, math.NaN(), 0); err != nil {
		if errors.Is(err, ErrDiverged) {
			return nil, errors.New("train: the validation loss at the initial parameters is not finite: the outputs overflow; check the scale of the data and of the physics map")
		}
		return nil, err
	}
	step := 0
	for {
		if s.Steps > 0 && step >= s.Steps {
			break
		}
		if s.Duration > 0 && elapsed >= s.Duration {
			break
		}
		if pos+b > len(perm) {
			rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
			pos = 0
		}
		idx := perm[pos : pos+b]
		pos += b

		start := time.Now()
		obj.Eval(&batch, r.ws, params, trainSet, idx)
		if !num.Finite(batch.Grad) || !num.IsFinite(batch.Loss) {
			elapsed += time.Since(start)
			return r.result(params, cur, step, elapsed), fmt.Errorf("train: step %d: mini-batch loss or gradient overflowed: %w", step+1, ErrDiverged)
		}
		loc.Loss = batch.Loss
		if err := m.Step(delta, &loc); err != nil {
			return r.result(params, cur, step, elapsed), fmt.Errorf("train: step %d: %w", step+1, err)
		}
		for i := range next {
			next[i] = params[i] + delta[i]
		}
		elapsed += time.Since(start)
		if !num.Finite(next) {
			return r.result(params, cur, step, elapsed), fmt.Errorf("train: step %d: %w", step+1, ErrDiverged)
		}
		params, next = next, params
		step++

		due := (s.RecordEvery > 0 && step%s.RecordEvery == 0) ||
			(s.RecordInterval > 0 && elapsed-lastRecord >= s.RecordInterval)
		last := (s.Steps > 0 && step >= s.Steps) || (s.Duration > 0 && elapsed >= s.Duration)
		if due || last {
			lastRecord = elapsed
			if err := r.record(&cur, params, step, elapsed, batch.Loss, norm(delta)); err != nil {
				return r.result(params, cur, step, elapsed), err
			}
		}
	}
	return r.result(params, cur, step, elapsed), nil
}

func (s *Settings) normalise(ntrain, nvalid int) error {
	if s.Steps < 0 {
		return fmt.Errorf("train: Steps = %d must not be negative", s.Steps)
	}
	if s.Duration < 0 {
		return fmt.Errorf("train: Duration = %v must not be negative", s.Duration)
	}
	if s.Steps == 0 && s.Duration == 0 {
		s.Steps = 1000
	}
	if s.BatchSize < 0 || s.BatchSize > ntrain {
		return fmt.Errorf("train: batch size %d must lie in 1…%d (the training set size)", s.BatchSize, ntrain)
	}
	if s.BatchSize == 0 {
		s.BatchSize = ntrain
	}
	if s.Track < 0 || s.Track >= nvalid {
		return fmt.Errorf("train: tracked sample %d is not in the validation set of %d", s.Track, nvalid)
	}
	if s.RecordEvery < 0 || s.RecordInterval < 0 {
		return errors.New("train: recording intervals must not be negative")
	}
	if s.RecordEvery == 0 && s.RecordInterval == 0 {
		if s.Steps > 0 {
			s.RecordEvery = max(1, s.Steps/200)
		} else {
			s.RecordInterval = s.Duration / 200
		}
	}
	return nil
}

type run struct {
	obj   *objective.Objective
	valid objective.Data
	ws    *objective.Workspace
	track int
	rec   Recorder
}

// record evaluates the validation set and hands a record to the recorder.
func (r *run) record(cur *Record, params []float64, step int, elapsed time.Duration, batchLoss, upd float64) error {
	obj, ws := r.obj, r.ws
	n := r.valid.Len()
	y := make([]float64, obj.Dim())
	var loss, sum, sumsq float64
	var count, saturated int
	L := obj.Net.Layers()
	for i := 0; i < n; i++ {
		obj.Predict(y, ws, params, r.valid.X.RawRowView(i))
		loss += objective.HalfSquaredError(y, r.valid.Y.RawRowView(i))
		for l := 1; l < L; l++ {
			act := obj.Net.Acts[l-1]
			z := ws.Net().PreActivation(l)
			for k, a := range ws.Net().Activation(l) {
				sum += a
				sumsq += a * a
				count++
				if act.Deriv(z[k], a) < SaturationSlope {
					saturated++
				}
			}
		}
	}
	rec := Record{Step: step, Seconds: elapsed.Seconds(), Loss: loss / float64(n), BatchLoss: batchLoss, UpdateNorm: upd}
	if count > 0 {
		mean := sum / float64(count)
		rec.ActMean = mean
		rec.ActStd = math.Sqrt(max(0, sumsq/float64(count)-mean*mean))
		rec.Saturated = float64(saturated) / float64(count)
	}
	obj.Predict(y, ws, params, r.valid.X.RawRowView(r.track))
	rec.Y = y
	if !num.IsFinite(rec.Loss) || !num.Finite(y) {
		return fmt.Errorf("train: step %d: the validation loss is not finite: %w", step, ErrDiverged)
	}
	*cur = rec
	if r.rec == nil {
		return nil
	}
	return r.rec.Record(rec)
}

func (r *run) result(params []float64, cur Record, step int, elapsed time.Duration) *Result {
	return &Result{Params: append([]float64(nil), params...), Final: cur, Steps: step, Seconds: elapsed.Seconds()}
}

func norm(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s)
}
