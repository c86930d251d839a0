// Package train runs an optimizer on an objective with mini-batches, in the
// manner of gonum's optimize package: Settings whose zero values are
// defaults, a Recorder that observes the run at its initial point, at every
// recorded step and at its end, and a Result holding the final Location, the
// Stats and the Status.
//
// What a run measures beyond the mini-batch loss is a recorder: Validation
// (the validation loss), Saturation (the statistics of the hidden
// activations, the Half-Inverse Gradients chapter's "neuron saturation"
// panel), Track (one sample's path in the physics output space) and History
// (batch loss and update size). Notebooks, the command line and the tests
// all train through Train and observe it through recorders.
package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
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
	// Seed seeds the mini-batch shuffling.
	Seed uint64
	// Recorder observes the run; nil records nothing.
	Recorder Recorder
}

// MaxSteps bounds Settings.Steps, so that step counts and the products of
// callers that scale them (e.g. a first-order method's larger budget) stay
// far from integer overflow.
const MaxSteps = 1 << 40

// Location is the state of a run after Step updates.
type Location struct {
	Step int
	// Seconds is the training wall-clock time so far, recording excluded.
	Seconds float64
	// Params is θ. Recorders may read it during Record but not keep or
	// modify it; Result.Params is the caller's own copy.
	Params []float64
	// BatchLoss is the loss of the last update's mini-batch, evaluated
	// before the update; NaN before the first update.
	BatchLoss float64
	// UpdateNorm is ‖Δθ‖ of the last update; zero before the first.
	UpdateNorm float64
}

// Operation says why a Recorder is called.
type Operation int

const (
	// InitIteration is the initial point, before any update.
	InitIteration Operation = iota
	// MajorIteration is a recorded step (see Settings.RecordEvery); the
	// last step is always recorded.
	MajorIteration
	// PostIteration is the end of the run: the Location is the Result's.
	PostIteration
)

// String returns the operation's name.
func (op Operation) String() string {
	switch op {
	case InitIteration:
		return "InitIteration"
	case MajorIteration:
		return "MajorIteration"
	case PostIteration:
		return "PostIteration"
	}
	return fmt.Sprintf("Operation(%d)", int(op))
}

// Stats are the counts of a run so far.
type Stats struct {
	// Steps is the number of updates applied.
	Steps int
	// Runtime is the training wall-clock time, recording excluded.
	Runtime time.Duration
	// Records is the number of MajorIteration records.
	Records int
}

// Status says why a run ended.
type Status int

const (
	NotTerminated Status = iota
	StepLimit            // Settings.Steps updates were applied
	TimeLimit            // Settings.Duration was used up
	Diverged             // see ErrDiverged
	Failure              // a recorder or the method returned another error
	// MapNotFinite: the physics map returned NaN or Inf for finite input
	// and controls, on a training or validation sample (the error is an
	// *objective.SampleError wrapping objective.ErrNotFinite).
	MapNotFinite
	// Panicked: the network, the physics map, the loss, the method or a
	// recorder panicked; the panic was recovered and the error holds its
	// value (an *objective.SampleError naming the sample where it can, or
	// a *PanicError).
	Panicked
	// LossThreshold: a Stopper recorder (e.g. Validation with Below set)
	// reached its goal; the run ended early, without an error.
	LossThreshold
)

// String returns the status's name.
func (s Status) String() string {
	switch s {
	case NotTerminated:
		return "NotTerminated"
	case StepLimit:
		return "StepLimit"
	case TimeLimit:
		return "TimeLimit"
	case Diverged:
		return "Diverged"
	case Failure:
		return "Failure"
	case MapNotFinite:
		return "MapNotFinite"
	case Panicked:
		return "Panicked"
	case LossThreshold:
		return "LossThreshold"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Recorder observes a run. Train calls Init once before the run, then
// Record with InitIteration, with MajorIteration at every recorded step and
// with PostIteration at the end. Returning an error stops training with
// that error (wrap ErrDiverged to say the run diverged).
type Recorder interface {
	Init() error
	Record(loc *Location, op Operation, stats *Stats) error
}

// Result is the outcome of a run. Its Location is the last one every
// recorder accepted with InitIteration or MajorIteration: on divergence that
// is the last finite state, so Params, Step and Seconds match the last
// records (e.g. Validation's last loss), while Stats counts every update
// applied before training stopped.
type Result struct {
	Location
	Stats
	Status Status
}

// ErrDiverged is returned when the mini-batch loss or gradient overflows,
// when a method reports a non-finite update, when an update would make a
// parameter NaN or Inf, or when a recorder finds a non-finite value (e.g.
// the validation loss) at finite parameters, in each case while the physics
// map's outputs are finite: the data and initial parameters having been
// checked, the usual cause is iterates growing without bound (too large a
// learning rate), though a loss that overflows or is NaN for finite outputs
// gives it too. A map that returns NaN or Inf for finite arguments is not
// divergence: Train returns its *objective.SampleError with status
// MapNotFinite; a panic gives status Panicked.
var ErrDiverged = errors.New("train: the run diverged; the result holds the last finite state")

// Stopper is a Recorder that can end a run early because it reached its
// goal, e.g. Validation with a loss threshold. After every recorded step
// that all recorders accepted, Train asks each Stopper among them (a
// Recorders list asks its members) and ends the run with status
// LossThreshold when one says so.
type Stopper interface {
	Stop() bool
}

// PanicError is a panic recovered by Train outside the objective's
// evaluation (there, an *objective.SampleError names the sample), e.g. in
// a method or a recorder.
type PanicError struct {
	Step  int // the updates applied before the panic
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("train: panic after %d steps: %v", e.Step, e.Value)
}

// statusOf returns the status of a run that stopped with err.
func statusOf(err error) Status {
	var pe *PanicError
	switch {
	case errors.Is(err, objective.ErrPanic) || errors.As(err, &pe):
		return Panicked
	case errors.Is(err, objective.ErrNotFinite):
		return MapNotFinite
	case errors.Is(err, ErrDiverged):
		return Diverged
	}
	return Failure
}

// Train minimises obj on the training data with m, starting from a copy of
// params0. It checks data and settings first and returns a nil Result and
// an error saying what is wrong; s may be nil for the defaults. A run that
// starts and then stops early returns its Result (the last state every
// recorder accepted, see Result) together with the error and a Status that
// says why: Diverged (ErrDiverged), MapNotFinite (an *objective.SampleError
// naming the map and the sample), Panicked (a panic in the network, the map,
// the loss, the method or a recorder, recovered), or Failure. A failure at
// the initial point, before any update, gives a Result at step 0 too.
func Train(obj *objective.Objective, data objective.Data, params0 []float64, m optim.Method, s *Settings) (result *Result, err error) {
	if obj == nil || m == nil {
		return nil, errors.New("train: nil objective or method")
	}
	P := obj.Net.NumParams()
	if len(params0) != P {
		return nil, fmt.Errorf("train: %d parameters given, the network has %d", len(params0), P)
	}
	if !num.Finite(params0) {
		return nil, errors.New("train: initial parameters hold NaN or Inf")
	}
	if err := obj.Check(data); err != nil {
		return nil, fmt.Errorf("train: training set: %w", err)
	}
	var set Settings
	if s != nil {
		set = *s
	}
	if err := set.normalise(data.Len()); err != nil {
		return nil, err
	}
	if err := m.Init(P); err != nil {
		return nil, err
	}
	rec := set.Recorder
	if rec == nil {
		rec = Recorders(nil)
	}
	if err := rec.Init(); err != nil {
		return nil, err
	}

	ws := obj.NewWorkspace()
	params := append([]float64(nil), params0...)
	delta := make([]float64, P)
	next := make([]float64, P)
	b := set.BatchSize
	loc := optim.Local{Grad: make([]float64, P)}
	if m.NeedsJacobian() {
		loc.GradY = make([]float64, b*obj.Dim())
		loc.Jac = mat.NewDense(b*obj.Dim(), P, nil)
	}
	if pi, ok := m.(optim.PhysicsInverter); ok {
		loc.SIPCut = pi.SIPCut()
	}
	rng := rand.New(rand.NewPCG(set.Seed, 0x9e3779b97f4a7c15))
	perm := make([]int, data.Len())
	for i := range perm {
		perm[i] = i
	}
	pos := len(perm) // forces a shuffle before the first batch

	res := &Result{Location: Location{Params: append([]float64(nil), params...), BatchLoss: math.NaN()}}
	var stats Stats
	cur := Location{Params: params, BatchLoss: math.NaN()}
	// accept makes cur the result's location: every recorder took it.
	accept := func() {
		res.Step, res.Seconds, res.BatchLoss, res.UpdateNorm = cur.Step, cur.Seconds, cur.BatchLoss, cur.UpdateNorm
		copy(res.Params, cur.Params)
	}
	finishing := false
	finish := func(status Status, err error) (*Result, error) {
		res.Stats, res.Status = stats, status
		final := res.Location
		finishing = true
		if perr := rec.Record(&final, PostIteration, &stats); perr != nil && err == nil {
			err, res.Status = perr, statusOf(perr)
		}
		return res, err
	}
	// A panic anywhere below (the objective turns its own into errors)
	// ends the run with status Panicked and keeps the last accepted state.
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		perr := &PanicError{Step: stats.Steps, Value: r, Stack: debug.Stack()}
		if finishing {
			res.Status, err = Panicked, perr
			return
		}
		result, err = finish(Panicked, perr)
	}()

	if err := rec.Record(&cur, InitIteration, &stats); err != nil {
		if errors.Is(err, ErrDiverged) {
			err = fmt.Errorf("train: at the initial parameters: %w; check the scale of the data and of the physics map", err)
		} else {
			err = fmt.Errorf("train: at the initial parameters: %w", err)
		}
		return finish(statusOf(err), err)
	}

	var elapsed time.Duration
	lastRecord := time.Duration(0)
	step := 0
	for {
		if set.Steps > 0 && step >= set.Steps {
			return finish(StepLimit, nil)
		}
		if set.Duration > 0 && elapsed >= set.Duration {
			return finish(TimeLimit, nil)
		}
		if pos+b > len(perm) {
			rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
			pos = 0
		}
		idx := perm[pos : pos+b]
		pos += b

		start := time.Now()
		if err := obj.Eval(&loc, ws, params, data, idx); err != nil {
			elapsed += time.Since(start)
			stats.Runtime = elapsed
			return finish(statusOf(err), fmt.Errorf("train: step %d: training %w", step+1, err))
		}
		if !num.Finite(loc.Grad) || !num.IsFinite(loc.Loss) {
			elapsed += time.Since(start)
			stats.Runtime = elapsed
			return finish(Diverged, fmt.Errorf("train: step %d: mini-batch loss or gradient overflowed: %w", step+1, ErrDiverged))
		}
		if err := m.Step(delta, &loc); err != nil {
			elapsed += time.Since(start)
			stats.Runtime = elapsed
			if errors.Is(err, optim.ErrOverflow) || errors.Is(err, optim.ErrNotFinite) {
				return finish(Diverged, fmt.Errorf("train: step %d: %w: %w", step+1, err, ErrDiverged))
			}
			return finish(Failure, fmt.Errorf("train: step %d: %w", step+1, err))
		}
		for i := range next {
			next[i] = params[i] + delta[i]
		}
		elapsed += time.Since(start)
		stats.Runtime = elapsed
		if !num.Finite(next) {
			return finish(Diverged, fmt.Errorf("train: step %d: the parameters overflow: %w", step+1, ErrDiverged))
		}
		params, next = next, params
		step++
		stats.Steps = step

		due := (set.RecordEvery > 0 && step%set.RecordEvery == 0) ||
			(set.RecordInterval > 0 && elapsed-lastRecord >= set.RecordInterval)
		last := (set.Steps > 0 && step >= set.Steps) || (set.Duration > 0 && elapsed >= set.Duration)
		if due || last {
			lastRecord = elapsed
			cur = Location{Step: step, Seconds: elapsed.Seconds(), Params: params, BatchLoss: loc.Loss, UpdateNorm: norm(delta)}
			stats.Records++
			if err := rec.Record(&cur, MajorIteration, &stats); err != nil {
				if st := statusOf(err); st != Failure {
					return finish(st, fmt.Errorf("train: step %d: %w", step, err))
				}
				return finish(Failure, err)
			}
			accept()
			if stop, ok := rec.(Stopper); ok && stop.Stop() {
				return finish(LossThreshold, nil)
			}
		}
	}
}

func (s *Settings) normalise(ntrain int) error {
	if s.Steps < 0 || s.Steps > MaxSteps {
		return fmt.Errorf("train: Steps = %d must lie in 0…%d", s.Steps, MaxSteps)
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

func norm(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s)
}
