// Package toy is the toy experiment of the Half-Inverse Gradients chapter of
// the Physics-based Deep Learning book: learn
//
//	ŷ(x) = (sin 6x, cos 9x),   x ∈ [−1, 1],
//
// with a 1 → 7 → 2 network (tanh hidden layer, linear output) through the
// "physics" P(z) = (z₁, λ z₂), so that the loss ½(z₁ − ŷ₁)² + ½(λz₂ − ŷ₂)²
// becomes ill-conditioned as λ shrinks. The chapter leaves data set sizes,
// batch size, initialisation and learning rates open; this package fixes
// them in Config and documents each choice.
package toy

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
	"github.com/higlab/hig/higlib/train"
)

// Target returns ŷ(x) = (sin 6x, cos 9x).
func Target(x float64) (float64, float64) { return math.Sin(6 * x), math.Cos(9 * x) }

// Dataset returns n inputs drawn uniformly from [−1, 1) with rng, and their
// targets.
func Dataset(n int, rng *rand.Rand) objective.Data {
	x := mat.NewDense(n, 1, nil)
	y := mat.NewDense(n, 2, nil)
	for i := 0; i < n; i++ {
		v := 2*rng.Float64() - 1
		x.Set(i, 0, v)
		a, b := Target(v)
		y.Set(i, 0, a)
		y.Set(i, 1, b)
	}
	return objective.Data{X: x, Y: y}
}

// Hidden is the width of the hidden layer used by the chapter.
const Hidden = 7

// Objective returns the toy objective for a given λ.
func Objective(lambda float64) (*objective.Objective, error) {
	if math.IsNaN(lambda) || math.IsInf(lambda, 0) || lambda == 0 {
		return nil, fmt.Errorf("toy: λ = %v must be a finite non-zero number", lambda)
	}
	net, err := nn.New([]int{1, Hidden, 2}, []nn.Activation{nn.Tanh, nn.Identity})
	if err != nil {
		return nil, err
	}
	phys, err := physics.NewScale(1, lambda)
	if err != nil {
		return nil, err
	}
	return objective.New(net, phys)
}

// MethodSpec describes one of the chapter's methods (see experiment.Spec).
// Its Grid is searched before the comparison: half-decades around the
// method's usual value, wide enough that the chosen rate should not sit on
// the grid's edge (the study notes it when it does). The half-inverse
// methods use a batch-mean loss, so their output-space gradient carries a
// factor 1/b: η = 1 is not a full Gauss-Newton step (η = b would be). The
// chapter gives no rate for the toy; the grid decides.
type MethodSpec = experiment.Spec

// Specs lists the methods this package knows, the chapter's three in
// plotting order first. Adding a method means adding a line here and a case
// in experiment.Spec.New.
var Specs = []MethodSpec{
	{Key: "adam", Label: "Adam", Kind: experiment.Adam, Grid: []float64{1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1}},
	{Key: "gn", Label: "Gauss-Newton", Kappa: 1, Grid: []float64{0.1, 0.3, 1, 3, 10, 30}},
	{Key: "hig", Label: "HIG", Kappa: 0.5, Grid: []float64{0.1, 0.3, 1, 3, 10, 30}},
	{Key: "gd", Label: "GD", Kind: experiment.GradientDescent, Grid: []float64{1e-2, 3e-2, 1e-1, 3e-1, 1}},
}

// Keys of the chapter's methods, for callers that name one.
const (
	Adam        = "adam"
	GaussNewton = "gn"
	HIG         = "hig"
	GD          = "gd"
)

// Methods lists the keys of the methods of the chapter's figures, in
// plotting order.
var Methods = []string{Adam, GaussNewton, HIG}

// Spec returns the spec of the method with the given key.
func Spec(key string) (MethodSpec, error) {
	sp, err := experiment.Lookup(Specs, key)
	if err != nil {
		return sp, fmt.Errorf("toy: %w", err)
	}
	return sp, nil
}

// Label returns the label of the method with the given key, or the key.
func Label(key string) string {
	if s, err := Spec(key); err == nil {
		return s.Label
	}
	return key
}

// NewMethod returns a fresh optimizer by key with learning rate lr; tau is
// the relative truncation threshold of GN and HIG (zero for the default).
func NewMethod(key string, lr, tau float64) (optim.Method, error) {
	s, err := Spec(key)
	if err != nil {
		return nil, err
	}
	return s.New(lr, tau), nil
}

// Method returns the experiment method of spec s under c: its optimizer
// with c's τ (wrapped by Float32Inputs when c.Round32 asks for it), the grid
// (or the given one when not empty) and its step budget.
func (c Config) Method(s MethodSpec, grid []float64) experiment.Candidate {
	c.defaults()
	if len(grid) == 0 {
		grid = s.Grid
	}
	tau, round := c.Tau, c.Round32 && !s.FirstOrder()
	return experiment.Candidate{
		Name: s.Label, Key: s.Key, Grid: slices.Clone(grid), Steps: c.stepsFor(s),
		New: func(lr float64) (optim.Method, error) {
			m := s.New(lr, tau)
			if round {
				m = Float32Inputs{m}
			}
			return m, nil
		},
	}
}

// Config fixes everything about one toy run except the method.
type Config struct {
	// Lambda scales the second output; zero means 1.
	Lambda float64
	// TrainSize and ValidSize are the data set sizes; zero means 1024 and 256.
	TrainSize, ValidSize int
	// BatchSize is b; zero means 256, so the stacked Jacobian is 512 × 30.
	BatchSize int
	// Steps is the step budget of the methods that use the stacked
	// Jacobian (Gauss-Newton and HIG). FirstOrderSteps is the step budget of
	// Adam and gradient descent; zero means FirstOrderRatio × Steps, so that
	// every method gets about the same computing time while the results stay
	// deterministic. Duration, if set, replaces both by a wall-clock budget
	// (see train.Settings). All zero means Steps = 2000.
	Steps           int
	FirstOrderSteps int
	Duration        time.Duration
	// RecordEvery and RecordInterval as in train.Settings.
	RecordEvery    int
	RecordInterval time.Duration
	// Tau is the truncation threshold for GN and HIG; zero means 1e-6.
	Tau float64
	// Round32 rounds the stacked Jacobian and ∂L/∂y to float32 before each
	// Gauss-Newton or HIG step (see Float32Inputs), to probe how much the
	// precision of a float32 pipeline, as the authors used, matters.
	Round32 bool
	// Seed selects the data, the initial parameters and the batch order.
	// The data seed is shared by all methods with the same Seed, so that
	// they start from the same network and see the same samples.
	Seed uint64
}

func (c *Config) defaults() {
	if c.Lambda == 0 {
		c.Lambda = 1
	}
	if c.TrainSize == 0 {
		c.TrainSize = 1024
	}
	if c.ValidSize == 0 {
		c.ValidSize = 256
	}
	if c.BatchSize == 0 {
		c.BatchSize = 256
	}
	if c.Steps == 0 && c.Duration == 0 {
		c.Steps = 2000
	}
	if c.FirstOrderSteps == 0 && c.Duration == 0 {
		c.FirstOrderSteps = FirstOrderRatio * c.Steps
	}
}

// FirstOrderRatio is how many Adam steps cost as much time as one HIG step
// on the toy at the default batch size (256). BenchmarkToyStep in package
// optim measured 0.07–0.12 ms per Adam step (gradient by backpropagation)
// against 0.35–0.6 ms per Gauss-Newton or HIG step (stacked Jacobian and
// decomposition) over several runs on 2 cores: ratios between 4 and 7.
const FirstOrderRatio = 6

// StepsFor returns the step budget of a method key under c (zero under a
// wall-clock budget).
func (c Config) StepsFor(key string) int {
	c.defaults()
	s, err := Spec(key)
	if err != nil {
		return c.Steps
	}
	return c.stepsFor(s)
}

// stepsFor is StepsFor for a spec; c must have its defaults.
func (c Config) stepsFor(s MethodSpec) int {
	switch {
	case c.Duration > 0:
		return 0
	case s.FirstOrder():
		return c.FirstOrderSteps
	}
	return c.Steps
}

// Settings returns the training settings of c (without a recorder).
func (c Config) Settings() train.Settings {
	c.defaults()
	return train.Settings{Steps: c.Steps, Duration: c.Duration, BatchSize: c.BatchSize,
		RecordEvery: c.RecordEvery, RecordInterval: c.RecordInterval, Seed: c.Seed}
}

// Setup is a toy problem ready to train: objective, data and initial
// parameters, all determined by the Config.
type Setup struct {
	Config
	Obj          *objective.Objective
	Train, Valid objective.Data
	Params0      []float64
}

// NewSetup builds the data and the initial network for c. The training set,
// validation set and initial parameters come from three independent PCG
// streams seeded by c.Seed. Initialisation is Glorot uniform with zero biases
// (nn.MLP.Init).
func NewSetup(c Config) (*Setup, error) {
	c.defaults()
	if c.TrainSize < 1 || c.ValidSize < 1 {
		return nil, fmt.Errorf("toy: data set sizes %d and %d must be positive", c.TrainSize, c.ValidSize)
	}
	obj, err := Objective(c.Lambda)
	if err != nil {
		return nil, err
	}
	s := &Setup{Config: c, Obj: obj}
	s.Train = Dataset(c.TrainSize, rand.New(rand.NewPCG(c.Seed, 1)))
	s.Valid = Dataset(c.ValidSize, rand.New(rand.NewPCG(c.Seed, 2)))
	s.Params0 = make([]float64, obj.Net.NumParams())
	obj.Net.Init(s.Params0, rand.New(rand.NewPCG(c.Seed, 3)))
	return s, nil
}

// Problem returns s as an experiment problem.
func (s *Setup) Problem() *experiment.Problem {
	return &experiment.Problem{Obj: s.Obj, Train: s.Train, Valid: s.Valid, Params0: s.Params0}
}

// Run trains the method with the given key and learning rate lr on s with
// its budget, recording into the returned Run (validation loss, saturation,
// the first validation sample's path) and also to rec when it is not nil. A
// run that diverges is returned with Err set and the records up to that
// point; other errors (bad settings) are returned as error.
func (s *Setup) Run(key string, lr float64, rec train.Recorder) (*experiment.Run, error) {
	spec, err := Spec(key)
	if err != nil {
		return nil, err
	}
	return s.RunMethod(s.Method(spec, nil), lr, rec)
}

// RunMethod is Run for a method value, e.g. a half-inverse step that clamps
// instead of truncating; m.Steps (or c.Steps if zero) is its budget.
func (s *Setup) RunMethod(m experiment.Candidate, lr float64, rec train.Recorder) (*experiment.Run, error) {
	st := experiment.Study{
		Build:    func(uint64) (*experiment.Problem, error) { return s.Problem(), nil },
		Settings: s.Settings(),
	}
	st.Settings.Recorder = rec
	return st.One(m, lr, s.Seed, false)
}

// TrackedTarget returns ŷ for the tracked validation sample (the first).
func (s *Setup) TrackedTarget() []float64 {
	return append([]float64(nil), s.Valid.Y.RawRowView(0)...)
}

// Float32Inputs wraps a method that uses the stacked Jacobian and rounds the
// Jacobian and ∂L/∂y to float32 precision (unit roundoff 2⁻²⁴ ≈ 6·10⁻⁸) in
// place before each step, the precision in which a float32 pipeline hands
// them to its SVD. Everything else stays float64, so it probes the
// sensitivity of the decomposition to input precision, not a full float32
// run.
type Float32Inputs struct {
	optim.Method
}

// Step implements optim.Method.
func (f Float32Inputs) Step(delta []float64, loc *optim.Local) error {
	if loc.Jac != nil {
		raw := loc.Jac.RawMatrix()
		r, c := loc.Jac.Dims()
		for i := 0; i < r; i++ {
			row := raw.Data[i*raw.Stride : i*raw.Stride+c]
			for k, v := range row {
				row[k] = float64(float32(v))
			}
		}
	}
	for i, v := range loc.GradY {
		loc.GradY[i] = float64(float32(v))
	}
	return f.Method.Step(delta, loc)
}
