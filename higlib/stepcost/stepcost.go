// Package stepcost builds problems of given shapes with random data and
// times the parts of one optimizer step on them: the stacked Jacobian
// (objective.Objective.Eval), the decomposition (halfinv.Solver.Solve) and
// the whole HIG step. The `hig scaling` command and the benchmarks of
// packages optim and halfinv share it.
package stepcost

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/oscillator"
	"github.com/higlab/hig/higlib/physics"
)

// Case is one shape of a step: a network, a physics map and a batch size.
type Case struct {
	Name  string
	Sizes []int
	Acts  []nn.Activation
	Phys  physics.Map
	Batch int
}

// Toy returns the chapter's toy shape (1 → 7 tanh → 2 with P(z) = (z₁,
// 0.01 z₂)) at batch size b: J is 2b × 30.
func Toy(b int) Case {
	return Case{Name: fmt.Sprintf("toy-b%d", b), Sizes: []int{1, 7, 2}, Acts: []nn.Activation{nn.Tanh, nn.Identity},
		Phys: physics.Scale{1, 0.01}, Batch: b}
}

// Wide returns a shape of the paper's oscillator experiment: a
// 4 → h → h → h → 96 ReLU network followed by a fixed random 96 → 4 linear
// map standing in for the simulator, at batch size b. With h = 20 and
// b = 128, J is 512 × 2956.
func Wide(h, b int) Case {
	rng := rand.New(rand.NewPCG(7, 7))
	a := make([]float64, 4*96)
	for i := range a {
		a[i] = rng.NormFloat64() / 10
	}
	return Case{Name: fmt.Sprintf("wide-h%d-b%d", h, b), Sizes: []int{4, h, h, h, 96},
		Acts: []nn.Activation{nn.ReLU, nn.ReLU, nn.ReLU, nn.Identity},
		Phys: &physics.Linear{Rows: 4, Cols: 96, Data: a}, Batch: b}
}

// Oscillator returns the shape of the paper's oscillator experiment with its
// real simulator: the 4 → 20 → 20 → 20 → 96 ReLU network followed by the
// chain of two coupled oscillators over 96 RK4 steps (package oscillator), at
// batch size b. With b = 128, J is 512 × 2956, the shape of Wide(20, 128).
func Oscillator(b int) Case {
	chain, err := oscillator.New(oscillator.Config{})
	if err != nil {
		panic(err) // the default configuration is valid
	}
	return Case{Name: fmt.Sprintf("oscillator-b%d", b), Sizes: []int{4, 20, 20, 20, 96},
		Acts: []nn.Activation{nn.ReLU, nn.ReLU, nn.ReLU, nn.Identity}, Phys: chain, Batch: b}
}

// Bench is a problem of one Case ready for repeated steps: random inputs
// and targets in [0, 1), Glorot-initialised parameters, and the first Batch
// samples as the mini-batch.
type Bench struct {
	Case
	Obj    *objective.Objective
	WS     *objective.Workspace
	Params []float64
	Data   objective.Data
	Idx    []int
	// Loc receives Eval's loss, gradient, output gradient and stacked
	// Jacobian.
	Loc   optim.Local
	Delta []float64
}

// New builds the problem of c. The data and parameters come from a fixed
// seed, so every Bench of the same Case is the same.
func New(c Case) (*Bench, error) {
	net, err := nn.New(c.Sizes, c.Acts)
	if err != nil {
		return nil, err
	}
	obj, err := objective.New(net, c.Phys)
	if err != nil {
		return nil, err
	}
	if c.Batch < 1 {
		return nil, fmt.Errorf("stepcost: batch size %d must be positive", c.Batch)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	P, d, in := net.NumParams(), obj.Dim(), net.In()
	s := &Bench{Case: c, Obj: obj, WS: obj.NewWorkspace(), Params: make([]float64, P), Delta: make([]float64, P)}
	net.Init(s.Params, rng)
	x, y := mat.NewDense(c.Batch, in, nil), mat.NewDense(c.Batch, d, nil)
	for i := 0; i < c.Batch; i++ {
		for j := 0; j < in; j++ {
			x.Set(i, j, rng.Float64())
		}
		for j := 0; j < d; j++ {
			y.Set(i, j, rng.Float64())
		}
	}
	s.Data = objective.Data{X: x, Y: y}
	s.Idx = make([]int, c.Batch)
	for i := range s.Idx {
		s.Idx[i] = i
	}
	s.Loc = optim.Local{Grad: make([]float64, P), GradY: make([]float64, c.Batch*d), Jac: mat.NewDense(c.Batch*d, P, nil)}
	return s, nil
}

// Eval fills Loc at Params.
func (s *Bench) Eval() { s.Obj.Eval(&s.Loc, s.WS, s.Params, s.Data, s.Idx) }

// Step evaluates Loc and takes one step of m (initialised by the caller)
// into Delta.
func (s *Bench) Step(m optim.Method) error {
	s.Eval()
	return m.Step(s.Delta, &s.Loc)
}

// Measure returns the median wall-clock seconds, over reps timed
// repetitions after one warm-up, of the stacked Jacobian, the
// decomposition and the whole HIG step (η = 1, τ = 1e-6).
func (s *Bench) Measure(reps int) (figure.ScalingPoint, error) {
	if reps < 1 {
		return figure.ScalingPoint{}, fmt.Errorf("stepcost: %d repetitions", reps)
	}
	P := len(s.Params)
	hig := optim.HIG(1)
	if err := hig.Init(P); err != nil {
		return figure.ScalingPoint{}, err
	}
	var solver halfinv.Solver
	dir := make([]float64, P)
	hp := halfinv.Params{Kappa: 0.5, Tau: 1e-6}
	var stepErr error
	step := func() {
		if err := s.Step(hig); err != nil {
			stepErr = err
		}
	}
	solve := func() {
		if _, err := solver.Solve(dir, s.Loc.Jac, s.Loc.GradY, hp); err != nil {
			stepErr = err
		}
	}
	p := figure.ScalingPoint{Batch: s.Batch, Dim: s.Obj.Dim(), Params: P}
	p.Step = median(reps, step)
	p.Jacobian = median(reps, s.Eval)
	p.Solve = median(reps, solve)
	if stepErr != nil {
		return p, fmt.Errorf("stepcost: step of %s: %w", s.Name, stepErr)
	}
	return p, nil
}

// median runs f once to warm up, then reps times, and returns the median
// wall-clock seconds of the timed runs.
func median(reps int, f func()) float64 {
	f()
	t := make([]float64, reps)
	for i := range t {
		start := time.Now()
		f()
		t[i] = time.Since(start).Seconds()
	}
	slices.Sort(t)
	if reps%2 == 1 {
		return t[reps/2]
	}
	return (t[reps/2-1] + t[reps/2]) / 2
}

// Sweep measures the toy shape at every batch size in batches and the wide
// shape at b = 128 for every hidden width in hidden, calling progress (if
// not nil) after each point with a line that describes it. It stops between
// points when ctx is done and returns context.Cause(ctx).
func Sweep(ctx context.Context, batches, hidden []int, reps int, progress func(string)) (byBatch, byParams []figure.ScalingPoint, err error) {
	for _, b := range batches {
		p, err := measure(Toy(b), reps)
		if err != nil {
			return nil, nil, err
		}
		if ctx.Err() != nil {
			return nil, nil, context.Cause(ctx)
		}
		if progress != nil {
			progress(fmt.Sprintf("toy  b=%4d  J %4d×%4d  jacobian %8.3g s  solve %8.3g s  step %8.3g s", b, p.Rows(), p.Params, p.Jacobian, p.Solve, p.Step))
		}
		byBatch = append(byBatch, p)
	}
	for _, h := range hidden {
		p, err := measure(Wide(h, 128), reps)
		if err != nil {
			return nil, nil, err
		}
		if ctx.Err() != nil {
			return nil, nil, context.Cause(ctx)
		}
		p.Hidden = h
		if progress != nil {
			progress(fmt.Sprintf("H=%3d b=128  J %4d×%4d  jacobian %8.3g s  solve %8.3g s  step %8.3g s", h, p.Rows(), p.Params, p.Jacobian, p.Solve, p.Step))
		}
		byParams = append(byParams, p)
	}
	return byBatch, byParams, nil
}

func measure(c Case, reps int) (figure.ScalingPoint, error) {
	s, err := New(c)
	if err != nil {
		return figure.ScalingPoint{}, err
	}
	return s.Measure(reps)
}
