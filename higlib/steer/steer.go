// Package steer is the main experiment of Schnell, Holl & Thuerey,
// "Half-Inverse Gradients for Physical Deep Learning" (ICLR 2022): a network
// reads the initial state x₀ of a chain of two coupled nonlinear oscillators
// (package oscillator) and predicts the 96 controls u that steer the chain,
// through 96 RK4 steps, back to where it started:
//
//	u = f(x₀; θ),   x(T) = P(x₀, u),   loss ½‖x(T) − x₀‖².
//
// The network is 4 → 20 → 20 → 20 → 96 with ReLU hidden layers and a linear
// output (P = 2956 parameters), initial states are drawn uniformly from
// [0, 1)⁴, and the targets of package objective's batch-mean loss
// (1/b) Σ ½‖y − ŷ‖² are ŷ = x₀. The paper writes the loss as ‖x(T) − x₀‖²; the
// factor ½ only rescales gradients, which the learning-rate search absorbs.
//
// Study compares Adam, Gauss-Newton and HIG (and optionally gradient
// descent) under the same wall-clock budget per run, one run at a time, with
// the paper's settings as the centre of a small learning-rate grid.
package steer

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/oscillator"
	"github.com/higlab/hig/higlib/train"
)

// Hidden is the width of the network's three hidden layers in the paper.
const Hidden = 20

// Network returns the paper's controller: 2N → 20 → 20 → 20 → steps, ReLU
// hidden layers and a linear output; with N = 2 and 96 steps it has
// 4·20+20 + 2·(20·20+20) + 20·96+96 = 2956 parameters.
func Network(c *oscillator.Chain) (*nn.MLP, error) {
	nx, nz, _ := c.Dims()
	return nn.New([]int{nx, Hidden, Hidden, Hidden, nz}, []nn.Activation{nn.ReLU, nn.ReLU, nn.ReLU, nn.Identity})
}

// Objective returns the experiment's objective: the network of Network
// followed by the paper's chain (oscillator.Config's defaults: N = 2,
// 96 steps of 0.125).
func Objective() (*objective.Objective, error) {
	chain, err := oscillator.New(oscillator.Config{})
	if err != nil {
		return nil, err
	}
	net, err := Network(chain)
	if err != nil {
		return nil, err
	}
	return objective.New(net, chain)
}

// Dataset returns n initial states drawn uniformly from [0, 1)^dim with rng;
// the target of each sample is its own input, so that the loss measures how
// far the controlled chain ends from its start.
func Dataset(n, dim int, rng *rand.Rand) objective.Data {
	x := mat.NewDense(n, dim, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < dim; j++ {
			x.Set(i, j, rng.Float64())
		}
	}
	return objective.Data{X: x, Y: mat.DenseCopyOf(x)}
}

// MethodSpec describes one compared method (see experiment.Spec): BatchSize
// is the paper's b (512 for Adam, 128 for GN and HIG), LearnRate the paper's
// η (3e-4 for Adam, 1 for GN and HIG), Grid a factor of about 3 either side.
type MethodSpec = experiment.Spec

// Specs lists the methods of the experiment, the paper's three first in
// plotting order (the colours of the chapter's figures). Gradient descent
// has no setting in the paper; its grid is a guess over two decades.
var Specs = []MethodSpec{
	{Key: "adam", Label: "Adam", Kind: experiment.Adam, BatchSize: 512, LearnRate: 3e-4, Grid: []float64{1e-4, 3e-4, 1e-3}},
	{Key: "gn", Label: "Gauss-Newton", Kappa: 1, BatchSize: 128, LearnRate: 1, Grid: []float64{0.3, 1, 3}},
	{Key: "hig", Label: "HIG", Kappa: 0.5, BatchSize: 128, LearnRate: 1, Grid: []float64{0.3, 1, 3}},
	{Key: "gd", Label: "GD", Kind: experiment.GradientDescent, BatchSize: 512, LearnRate: 1e-2, Grid: []float64{1e-3, 1e-2, 1e-1}},
}

// Methods lists the keys of the paper's methods, in plotting order.
var Methods = []string{"adam", "gn", "hig"}

// Spec returns the spec of the method with the given key.
func Spec(key string) (MethodSpec, error) {
	sp, err := experiment.Lookup(Specs, key)
	if err != nil {
		return sp, fmt.Errorf("steer: %w", err)
	}
	return sp, nil
}

// Config fixes everything about the experiment except the method.
type Config struct {
	// TrainSize and TestSize are the data set sizes; zero means 4096
	// each, the paper's.
	TrainSize, TestSize int
	// Duration is the wall-clock budget of every evaluation run (training
	// time, recording excluded; see train.Settings); zero means one
	// minute unless Steps is set.
	Duration time.Duration
	// TuneDuration is the budget of every learning-rate search run; zero
	// means Duration/4.
	TuneDuration time.Duration
	// Steps, if set instead of Duration, gives every method the same
	// number of steps: a deterministic budget for tests, not a fair
	// comparison, since a HIG step costs far more than an Adam step.
	Steps int
	// Records is about how many times a run records the test loss; zero
	// means 50.
	Records int
	// Tau is the truncation threshold of GN and HIG relative to the
	// largest singular value; zero means 1e-6, the paper's.
	Tau float64
}

func (c *Config) defaults() {
	if c.TrainSize == 0 {
		c.TrainSize = 4096
	}
	if c.TestSize == 0 {
		c.TestSize = 4096
	}
	if c.Duration == 0 && c.Steps == 0 {
		c.Duration = time.Minute
	}
	if c.TuneDuration == 0 {
		c.TuneDuration = c.Duration / 4
	}
	if c.Records == 0 {
		c.Records = 50
	}
	if c.Tau == 0 {
		c.Tau = 1e-6
	}
}

// Validate returns an error that says what is wrong with c.
func (c Config) Validate() error {
	c.defaults()
	switch {
	case c.TrainSize < 1 || c.TestSize < 1:
		return fmt.Errorf("steer: data set sizes %d and %d must be positive", c.TrainSize, c.TestSize)
	case c.Duration < 0 || c.TuneDuration < 0 || c.Steps < 0:
		return fmt.Errorf("steer: the budget must not be negative")
	case c.Duration > 0 && c.Steps > 0:
		return fmt.Errorf("steer: give a wall-clock budget or a step budget, not both")
	case c.Steps > train.MaxSteps:
		return fmt.Errorf("steer: %d steps exceed %d", c.Steps, train.MaxSteps)
	case c.Records < 1:
		return fmt.Errorf("steer: %d records per run must be positive", c.Records)
	case !(c.Tau > 0):
		return fmt.Errorf("steer: τ = %v must be positive", c.Tau)
	}
	return nil
}

// Setup is one instance of the experiment: objective, data and initial
// parameters, fixed by a seed.
type Setup struct {
	Obj         *objective.Objective
	Chain       *oscillator.Chain
	Net         *nn.MLP
	Train, Test objective.Data
	Params0     []float64
	Seed        uint64
}

// NewSetup builds the instance of seed: the training set, the test set and
// the initial parameters come from three independent PCG streams seeded by
// seed, so that every method starts from the same network and sees the
// same samples. Initialisation is Glorot uniform with zero biases
// (nn.MLP.Init).
func NewSetup(c Config, seed uint64) (*Setup, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.defaults()
	obj, err := Objective()
	if err != nil {
		return nil, err
	}
	chain := obj.Phys.(*oscillator.Chain)
	net := obj.Net.(*nn.MLP)
	nx, _, _ := chain.Dims()
	s := &Setup{Obj: obj, Chain: chain, Net: net, Seed: seed}
	s.Train = Dataset(c.TrainSize, nx, rand.New(rand.NewPCG(seed, 1)))
	s.Test = Dataset(c.TestSize, nx, rand.New(rand.NewPCG(seed, 2)))
	s.Params0 = make([]float64, net.NumParams())
	net.Init(s.Params0, rand.New(rand.NewPCG(seed, 3)))
	return s, nil
}

// Problem returns s as an experiment problem; the test set is its
// validation set.
func (s *Setup) Problem() *experiment.Problem {
	return &experiment.Problem{Obj: s.Obj, Train: s.Train, Valid: s.Test, Params0: s.Params0}
}

// Controls returns u = f(x; θ) for the initial state x.
func (s *Setup) Controls(params, x []float64) []float64 {
	ev := s.Net.NewEvaluator()
	return slices.Clone(ev.Forward(params, x))
}

// Trajectory returns the states s(0), s(DT), …, s(T) of the chain started
// at x under the controls the network with params predicts, row-major with
// 2N values per state (see oscillator.Chain.Trajectory), and the controls.
func (s *Setup) Trajectory(params, x []float64) (states, u []float64) {
	u = s.Controls(params, x)
	return s.Chain.Trajectory(nil, x, u), u
}
