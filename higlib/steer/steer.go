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
// descent) one run at a time, with the paper's settings as the centre of a
// small learning-rate grid, under step budgets that give every method about
// the same computing time (Adam and GD FirstOrderRatio times the steps of
// Gauss-Newton and HIG; the same bits on every machine) or, as the paper
// does, under the same wall-clock budget per run.
package steer

import (
	"fmt"
	"math/bits"
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
func Objective() (*objective.Objective, error) { return PresetPaper.Objective() }

// Preset chooses the set-up of the experiment.
type Preset int

const (
	// PresetPaper is the paper's experiment (the zero value): cubic
	// coupling, gain 3, 96 steps of 0.125, ReLU network, Specs.
	PresetPaper Preset = iota
	// PresetBook is the companion notebook of the Physics-based Deep
	// Learning book's HIG chapter (physgrad-hig-code.ipynb):
	// oscillator.Book() (linear coupling 0.2, gain 1, 24 steps of 0.5), a
	// 4 → 20 → 20 → 20 → 24 tanh network, and BookSpecs (Adam, SIP and
	// HIG with the notebook's batch sizes and rates, τ = 10⁻¹⁰).
	PresetBook
)

// String returns "paper" or "book".
func (p Preset) String() string {
	switch p {
	case PresetPaper:
		return "paper"
	case PresetBook:
		return "book"
	}
	return fmt.Sprintf("Preset(%d)", int(p))
}

// ParsePreset returns the preset named s ("paper" or "book").
func ParsePreset(s string) (Preset, error) {
	for _, p := range []Preset{PresetPaper, PresetBook} {
		if s == p.String() {
			return p, nil
		}
	}
	return 0, fmt.Errorf("steer: unknown preset %q: use paper or book", s)
}

// Chain returns the preset's simulator.
func (p Preset) Chain() (*oscillator.Chain, error) {
	if p == PresetBook {
		return oscillator.New(oscillator.Book())
	}
	return oscillator.New(oscillator.Config{})
}

// Objective returns the preset's objective: its network followed by its
// chain; the paper's network has ReLU hidden layers (Network), the book's
// tanh ones.
func (p Preset) Objective() (*objective.Objective, error) {
	chain, err := p.Chain()
	if err != nil {
		return nil, err
	}
	var net *nn.MLP
	if p == PresetBook {
		nx, nz, _ := chain.Dims()
		net, err = nn.New([]int{nx, Hidden, Hidden, Hidden, nz}, []nn.Activation{nn.Tanh, nn.Tanh, nn.Tanh, nn.Identity})
	} else {
		net, err = Network(chain)
	}
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
// η (3e-4 for Adam, 1 for GN and HIG), Grid three rates a factor of about 3
// apart, placed so that the tuning runs' best rate lies inside the grid, not
// on its edge: with the paper's rate in the middle, every method chose an edge
// at the step budgets of make figures (Adam and HIG the largest rate, GN the
// smallest; tuning seed 1001, a quarter of the budget: Adam 1e-3 5.3e-4 and
// 3e-3 6.2e-4; HIG 3 1.8e-3, 10 1.8e-4, 30 diverged; GN 0.1 0.37, 0.3 0.30,
// 1 16.5), which leaves open whether a wider grid would have done better.
type MethodSpec = experiment.Spec

// Specs lists the methods of the experiment, the paper's three first in
// plotting order (the colours of the chapter's figures). Gradient descent
// has no setting in the paper; its grid is a guess over two decades.
var Specs = []MethodSpec{
	{Key: "adam", Label: "Adam", Kind: experiment.Adam, BatchSize: 512, LearnRate: 3e-4, Grid: []float64{3e-4, 1e-3, 3e-3}},
	{Key: "gn", Label: "Gauss-Newton", Kappa: 1, BatchSize: 128, LearnRate: 1, Grid: []float64{0.1, 0.3, 1}},
	{Key: "hig", Label: "HIG", Kappa: 0.5, BatchSize: 128, LearnRate: 1, Grid: []float64{1, 3, 10}},
	{Key: "gd", Label: "GD", Kind: experiment.GradientDescent, BatchSize: 512, LearnRate: 1e-2, Grid: []float64{1e-3, 1e-2, 1e-1}},
}

// Methods lists the keys of the paper's methods, in plotting order.
var Methods = []string{"adam", "gn", "hig"}

// BookSpecs lists the methods of the book notebook's comparison with its
// settings as the centres of the grids: Adam and SIP (whose rate is that
// of the Adam on its proxy loss) with b = 256 and η = 10⁻³, HIG with
// b = 32 and the notebook's η = 1 on its loss Σ‖x(T) − x₀‖², which is
// η = 2 on package objective's ½‖x(T) − x₀‖² (both batch means; the
// gradient of the book's loss is twice ours). Grids: factors of about 3
// (Adam, SIP) or 2 (HIG). They lie above the book's rates: with grids
// centred on them (3e-4 … 3e-3 and 1 … 4) our first run chose the largest
// rate of every method, and with 3e-4 … 1e-2 Adam and SIP chose 1e-2 again,
// while 3e-2 did better on the tuning seed and 1e-1 much worse (Adam 0.78,
// SIP 0.016 against 2e-4 and 3e-4), so the grids now bracket the best rate.
var BookSpecs = []MethodSpec{
	{Key: "adam", Label: "Adam", Kind: experiment.Adam, BatchSize: 256, LearnRate: 1e-3, Grid: []float64{3e-3, 1e-2, 3e-2, 1e-1}},
	{Key: "sip", Label: "SIP", Kind: experiment.SIP, BatchSize: 256, LearnRate: 1e-3, Grid: []float64{3e-3, 1e-2, 3e-2, 1e-1}},
	{Key: "hig", Label: "HIG", Kappa: 0.5, BatchSize: 32, LearnRate: 2, Grid: []float64{1, 2, 4, 8}},
}

// BookMethods lists the keys of the book preset's methods, in plotting
// order.
var BookMethods = []string{"adam", "sip", "hig"}

// BookRatios holds, for the book preset, how many steps of each
// first-order method (at b = 256) the step budgets give per HIG step (at
// b = 32): the step-cost ratio measured with BenchmarkBook (hig-step-b32
// over adam-step-b256 and over sip-step-b256), rounded up, so the budgets
// err in the first-order methods' favour. Measured on an AMD EPYC host
// (2 cores, load ≈ 3.8 from other work): HIG 11.8 ms, Adam 4.5 ms
// (ratio 2.6, so 3), SIP 15.6 ms (ratio 0.75: SIP's per-sample SVDs cost
// more than HIG's one, so 1, which gives SIP a third more time than HIG).
var BookRatios = map[string]int{"adam": BookAdamRatio, "sip": BookSIPRatio}

// The book preset's step ratios; see BookRatios.
const (
	BookAdamRatio = 3
	BookSIPRatio  = 1
)

// BookTau is the book notebook's truncation threshold of HIG, τ = 10⁻¹⁰.
const BookTau = 1e-10

// Specs returns the method table of c's preset.
func (c Config) Specs() []MethodSpec {
	if c.Preset == PresetBook {
		return BookSpecs
	}
	return Specs
}

// Methods returns the default method keys of c's preset.
func (c Config) Methods() []string {
	if c.Preset == PresetBook {
		return BookMethods
	}
	return Methods
}

// Lookup returns the spec of the method with key in c's preset.
func (c Config) Lookup(key string) (MethodSpec, error) {
	sp, err := experiment.Lookup(c.Specs(), key)
	if err != nil {
		return sp, fmt.Errorf("steer: %s preset: %w", c.Preset, err)
	}
	return sp, nil
}

// RatioFor returns how many steps the method with key gets per HIG step
// under c's step budgets: 1 for GN and HIG, FirstOrderSteps/Steps for a
// first-order method when that is whole (the paper preset:
// FirstOrderRatio by default), BookRatios[key] for the book preset without
// FirstOrderSteps; zero under a wall-clock budget or when not whole.
func (c Config) RatioFor(key string) int {
	c.defaults()
	sp, err := c.Lookup(key)
	switch {
	case c.Duration > 0 || err != nil:
		return 0
	case !sp.FirstOrder():
		return 1
	case c.Preset == PresetBook && c.FirstOrderSteps == 0:
		return BookRatios[key]
	}
	return c.ratio()
}

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
	// Steps is the step budget of every Gauss-Newton and HIG evaluation
	// run, FirstOrderSteps that of every Adam and gradient-descent run;
	// zero FirstOrderSteps means FirstOrderRatio × Steps, so that every
	// method gets about the same computing time (in Adam's favour, see
	// FirstOrderRatio) while the results stay the same bits on every
	// machine and under any load. Zero Steps means DefaultSteps unless
	// Duration is set.
	Steps, FirstOrderSteps int
	// TuneSteps is the step budget of Gauss-Newton and HIG runs in the
	// learning-rate search; zero means Steps/4 (at least 1). First-order
	// tuning runs get FirstOrderSteps/Steps times as many, rounded down
	// (at least 1).
	TuneSteps int
	// Duration, if set instead of the step budgets, gives every
	// evaluation run the same wall-clock training time (recording
	// excluded; see train.Settings), as the paper does; its results then
	// depend on the machine and on whatever else runs on it.
	Duration time.Duration
	// TuneDuration is the wall-clock budget of every learning-rate search
	// run under Duration; zero means Duration/4.
	TuneDuration time.Duration
	// Records is about how many times a run records the test loss; zero
	// means 50.
	Records int
	// Tau is the truncation threshold of GN and HIG relative to the
	// largest singular value; zero means 1e-6, the paper's (BookTau for
	// the book preset).
	Tau float64
	// Preset is the set-up: the paper's (the zero value) or the book
	// notebook's. Under PresetBook a zero FirstOrderSteps gives each
	// first-order method BookRatios[key] × Steps.
	Preset Preset
}

// FirstOrderRatio is R, how many Adam (or gradient-descent) steps at
// b = 512 the step budgets give for one Gauss-Newton or HIG step at
// b = 128. It is meant to err in Adam's favour: at least the largest ratio
// of their step costs measured with BenchmarkOscillator (hig-step-b128 over
// adam-step-b512, both in the same run) on any host:
//
//	Intel host, idle, Adam on one core              40 / 5.7 ms    ≈ 7
//	AMD EPYC Zen 3 (family 25), idle, Adam on one    127 / 16 ms    ≈ 8
//	AMD EPYC (family 26), quiet moment, one core     40.5 / 3.5 ms  ≈ 12
//	AMD EPYC (family 26), load 8–9, GOMAXPROCS=1     210–266 / 15–33 ms: 6–16
//
// Under contention at GOMAXPROCS=2 the ratio reached 12–44, because the
// solver's helper goroutine then spins for a core it does not get; that is
// waiting, not work, and R does not cover it (see the README's oscillator
// section).
const FirstOrderRatio = 16

// DefaultSteps is the Gauss-Newton and HIG step budget of an evaluation
// run when neither Steps nor Duration is set; Adam and GD then get
// FirstOrderRatio × DefaultSteps.
const DefaultSteps = 300

func (c *Config) defaults() {
	if c.TrainSize == 0 {
		c.TrainSize = 4096
	}
	if c.TestSize == 0 {
		c.TestSize = 4096
	}
	if c.Duration == 0 {
		if c.Steps == 0 {
			c.Steps = DefaultSteps
		}
		if c.FirstOrderSteps == 0 && c.Preset == PresetPaper && c.Steps <= train.MaxSteps/FirstOrderRatio {
			c.FirstOrderSteps = FirstOrderRatio * c.Steps
		}
		if c.TuneSteps == 0 {
			c.TuneSteps = max(1, c.Steps/4)
		}
	} else if c.TuneDuration == 0 {
		c.TuneDuration = c.Duration / 4
	}
	if c.Records == 0 {
		c.Records = 50
	}
	if c.Tau == 0 {
		c.Tau = 1e-6
		if c.Preset == PresetBook {
			c.Tau = BookTau
		}
	}
}

// Validate returns an error that says what is wrong with c.
func (c Config) Validate() error {
	stepsGiven := c.Steps != 0 || c.FirstOrderSteps != 0 || c.TuneSteps != 0
	c.defaults()
	switch {
	case c.TrainSize < 1 || c.TestSize < 1:
		return fmt.Errorf("steer: data set sizes %d and %d must be positive", c.TrainSize, c.TestSize)
	case c.Duration < 0 || c.TuneDuration < 0 || c.Steps < 0 || c.FirstOrderSteps < 0 || c.TuneSteps < 0:
		return fmt.Errorf("steer: the budget must not be negative")
	case c.Duration > 0 && stepsGiven:
		return fmt.Errorf("steer: give a wall-clock budget or step budgets, not both")
	case c.Duration == 0 && c.TuneDuration > 0:
		return fmt.Errorf("steer: a tuning wall-clock budget needs the wall-clock budget Duration")
	case c.Preset != PresetPaper && c.Preset != PresetBook:
		return fmt.Errorf("steer: unknown preset %v", c.Preset)
	case c.Steps > train.MaxSteps/FirstOrderRatio && c.FirstOrderSteps == 0:
		return fmt.Errorf("steer: %d steps exceed %d, the most for which the first-order budget %d × Steps stays within train.MaxSteps", c.Steps, train.MaxSteps/FirstOrderRatio, FirstOrderRatio)
	case c.Steps > train.MaxSteps || c.FirstOrderSteps > train.MaxSteps:
		return fmt.Errorf("steer: step budgets %d and %d must not exceed %d", c.Steps, c.FirstOrderSteps, train.MaxSteps)
	case c.TuneSteps > c.Steps:
		return fmt.Errorf("steer: the tuning budget of %d steps exceeds the evaluation budget of %d", c.TuneSteps, c.Steps)
	case c.Records < 1:
		return fmt.Errorf("steer: %d records per run must be positive", c.Records)
	case !(c.Tau > 0):
		return fmt.Errorf("steer: τ = %v must be positive", c.Tau)
	}
	return nil
}

// StepsFor returns the step budget of an evaluation run (tuning false) or
// of a learning-rate search run (tuning true) of the method with key under
// c, or zero under a wall-clock budget.
func (c Config) StepsFor(key string, tuning bool) int {
	c.defaults()
	if c.Duration > 0 {
		return 0
	}
	sp, err := c.Lookup(key)
	switch {
	case c.Steps < 1 || c.TuneSteps < 0 || c.TuneSteps > c.Steps:
		return 0 // not valid; see Validate
	case err == nil && sp.FirstOrder() && c.Preset == PresetBook && c.FirstOrderSteps == 0:
		if tuning {
			return BookRatios[key] * c.TuneSteps
		}
		return BookRatios[key] * c.Steps
	case err == nil && sp.FirstOrder() && tuning:
		// FirstOrderSteps·TuneSteps/Steps, exactly: the 128-bit product
		// cannot overflow, and the quotient is at most FirstOrderSteps
		// since TuneSteps ≤ Steps (Validate).
		hi, lo := bits.Mul64(uint64(c.FirstOrderSteps), uint64(c.TuneSteps))
		q, _ := bits.Div64(hi, lo, uint64(c.Steps))
		return max(1, int(q))
	case err == nil && sp.FirstOrder():
		return c.FirstOrderSteps
	case tuning:
		return c.TuneSteps
	}
	return c.Steps
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
	obj, err := c.Preset.Objective()
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
