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
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

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

// Method names accepted by NewMethod.
const (
	Adam        = "adam"
	GaussNewton = "gn"
	HIG         = "hig"
	GD          = "gd"
)

// Methods lists the methods of the chapter's figures, in plotting order.
var Methods = []string{Adam, GaussNewton, HIG}

// Label returns the name of a method as printed in figures and tables.
func Label(method string) string {
	switch method {
	case Adam:
		return "Adam"
	case GaussNewton:
		return "Gauss-Newton"
	case HIG:
		return "HIG"
	case GD:
		return "GD"
	}
	return method
}

// NewMethod returns a fresh optimizer by name with learning rate lr; tau is
// the relative truncation threshold of GN and HIG (zero for the default).
func NewMethod(name string, lr, tau float64) (optim.Method, error) {
	switch strings.ToLower(name) {
	case Adam:
		return &optim.Adam{LearnRate: lr}, nil
	case GaussNewton:
		return &optim.HalfInverse{LearnRate: lr, Kappa: 1, Tau: tau}, nil
	case HIG:
		return &optim.HalfInverse{LearnRate: lr, Kappa: 0.5, Tau: tau}, nil
	case GD:
		return &optim.GradientDescent{LearnRate: lr}, nil
	}
	return nil, fmt.Errorf("toy: unknown method %q: use adam, gn, hig or gd", name)
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

// StepsFor returns the step budget of a method under c (zero under a
// wall-clock budget).
func (c Config) StepsFor(method string) int {
	c.defaults()
	if c.Duration > 0 {
		return 0
	}
	m, err := NewMethod(method, 1, 0)
	if err != nil {
		return c.Steps
	}
	return c.stepsFor(m)
}

// stepsFor is StepsFor for a method value; c must have its defaults.
func (c Config) stepsFor(m optim.Method) int {
	switch {
	case c.Duration > 0:
		return 0
	case m.NeedsJacobian():
		return c.Steps
	}
	return c.FirstOrderSteps
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

// Run is the outcome of training one method on one Setup.
type Run struct {
	Method    string
	LearnRate float64
	History   train.History
	Result    *train.Result
	Err       error // non-nil when training stopped early (e.g. divergence)
}

// Run trains the named method with learning rate lr on s, recording into
// the returned Run and also to rec when it is not nil. A run that diverges
// is returned with Err set and the records up to that point; other errors
// (bad settings) are returned as error.
func (s *Setup) Run(method string, lr float64, rec train.Recorder) (*Run, error) {
	m, err := NewMethod(method, lr, s.Tau)
	if err != nil {
		return nil, err
	}
	if s.Round32 && m.NeedsJacobian() {
		m = Float32Inputs{m}
	}
	return s.RunMethod(method, lr, m, rec)
}

// FinalLoss returns the validation loss at the end of the run, or +Inf if
// the run diverged.
func (r *Run) FinalLoss() float64 {
	if r.Err != nil {
		return math.Inf(1)
	}
	return r.Result.Final.Loss
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
