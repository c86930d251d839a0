package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
	"github.com/higlab/hig/internal/outdir"
)

const scalingSynopsis = `Measures how the cost of one HIG step grows, as the median of -reps timed
repetitions after one warm-up, of three things: the stacked Jacobian
(objective.Eval), the decomposition alone (halfinv.Solver.Solve) and the whole
step (Eval plus the HIG update):
  (a) against the batch size b ∈ {32, …, 1024} on the toy network 1→7 tanh→2
      (P = 30, J is 2b × 30);
  (b) against the parameter count on 4→H→H→H→96 ReLU networks followed by a
      96→4 linear map at b = 128 (J is 512 × P, P = 540 … 2956 for the
      default H).
Writes <out>/scaling.png, <out>/scaling.svg and <out>/scaling.json, together
and only at the end (see "hig toy -help"); Ctrl-C or SIGTERM stops the
measurements within one measurement and leaves the old files as they were.`

// scalingOutput is the JSON written by "hig scaling".
type scalingOutput struct {
	Reps       int                   `json:"reps"`
	GOMAXPROCS int                   `json:"gomaxprocs"`
	ByBatch    []figure.ScalingPoint `json:"by_batch"`
	ByParams   []figure.ScalingPoint `json:"by_params"`
}

func scalingCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scaling", scalingSynopsis, stdout)
	out := fs.String("out", "figures", "output `directory`")
	reps := fs.Int("reps", 5, "timed repetitions per measurement (the median is kept)")
	hiddenList := fs.String("hidden", "4,8,12,16,20", "comma-separated hidden `widths` H of sweep (b)")
	batchList := fs.String("batches", "32,64,128,256,512,1024", "comma-separated batch `sizes` of sweep (a)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *reps < 1 || *reps > 100 {
		return usagef("-reps %d must lie in 1…100", *reps)
	}
	batches, err := parseInts("-batches", *batchList, 1, 1<<16)
	if err != nil {
		return err
	}
	hidden, err := parseInts("-hidden", *hiddenList, 1, 200)
	if err != nil {
		return err
	}
	if len(batches) < 2 || len(hidden) < 2 {
		return usagef("-batches and -hidden need at least two values each")
	}
	if err := outdir.Check(*out); err != nil {
		return err
	}
	res := scalingOutput{Reps: *reps, GOMAXPROCS: maxProcs()}
	for _, b := range batches {
		c := scalingCase{sizes: []int{1, 7, 2}, acts: []nn.Activation{nn.Tanh, nn.Identity}, phys: physics.Scale{1, 0.01}, batch: b}
		p, err := c.measure(*reps)
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		fmt.Fprintf(stderr, "toy  b=%4d  J %4d×%4d  jacobian %8.3g s  solve %8.3g s  step %8.3g s\n", b, p.Rows(), p.Params, p.Jacobian, p.Solve, p.Step)
		res.ByBatch = append(res.ByBatch, p)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	a := make([]float64, 4*96)
	for i := range a {
		a[i] = rng.NormFloat64() / 10
	}
	for _, h := range hidden {
		c := scalingCase{sizes: []int{4, h, h, h, 96}, acts: []nn.Activation{nn.ReLU, nn.ReLU, nn.ReLU, nn.Identity},
			phys: &physics.Linear{Rows: 4, Cols: 96, Data: a}, batch: 128}
		p, err := c.measure(*reps)
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		p.Hidden = h
		fmt.Fprintf(stderr, "H=%3d b=128  J %4d×%4d  jacobian %8.3g s  solve %8.3g s  step %8.3g s\n", h, p.Rows(), p.Params, p.Jacobian, p.Solve, p.Step)
		res.ByParams = append(res.ByParams, p)
	}
	fig := figure.Scaling{ByBatch: res.ByBatch, ByParams: res.ByParams}
	var files []outdir.File
	for _, format := range []string{"png", "svg"} {
		b, err := fig.Render(format)
		if err != nil {
			return err
		}
		files = append(files, outdir.File{Name: "scaling." + format, Data: b})
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	files = append(files, outdir.File{Name: "scaling.json", Data: append(b, '\n')})
	if err := outdir.Write(ctx, *out, files); err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, "wrote", filepath.Join(*out, f.Name))
	}
	return nil
}

// scalingCase is one network, physics map and batch size to time.
type scalingCase struct {
	sizes []int
	acts  []nn.Activation
	phys  physics.Map
	batch int
}

// measure builds the problem with random inputs, targets and initial
// parameters and returns the median times of its Jacobian, decomposition
// and whole step.
func (c scalingCase) measure(reps int) (figure.ScalingPoint, error) {
	net, err := nn.New(c.sizes, c.acts)
	if err != nil {
		return figure.ScalingPoint{}, err
	}
	obj, err := objective.New(net, c.phys)
	if err != nil {
		return figure.ScalingPoint{}, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	P, d := net.NumParams(), obj.Dim()
	params := make([]float64, P)
	net.Init(params, rng)
	x, y := mat.NewDense(c.batch, net.In(), nil), mat.NewDense(c.batch, d, nil)
	for i := 0; i < c.batch; i++ {
		for j := 0; j < net.In(); j++ {
			x.Set(i, j, rng.Float64())
		}
		for j := 0; j < d; j++ {
			y.Set(i, j, rng.Float64())
		}
	}
	data := objective.Data{X: x, Y: y}
	idx := make([]int, c.batch)
	for i := range idx {
		idx[i] = i
	}
	ws := obj.NewWorkspace()
	batch := objective.Batch{Grad: make([]float64, P), GradY: make([]float64, c.batch*d), Jac: mat.NewDense(c.batch*d, P, nil)}
	hig := optim.HIG(1)
	if err := hig.Init(P); err != nil {
		return figure.ScalingPoint{}, err
	}
	loc := &optim.Local{Grad: batch.Grad, GradY: batch.GradY, Jac: batch.Jac}
	delta := make([]float64, P)
	var solver halfinv.Solver
	dir := make([]float64, P)
	hp := halfinv.Params{Kappa: 0.5, Tau: 1e-6}

	var stepErr error
	eval := func() { obj.Eval(&batch, ws, params, data, idx) }
	step := func() {
		eval()
		loc.Loss = batch.Loss
		if err := hig.Step(delta, loc); err != nil {
			stepErr = err
		}
	}
	solve := func() {
		if _, err := solver.Solve(dir, batch.Jac, batch.GradY, hp); err != nil {
			stepErr = err
		}
	}
	p := figure.ScalingPoint{Batch: c.batch, Dim: d, Params: P}
	p.Step = median(reps, step)
	p.Jacobian = median(reps, eval)
	p.Solve = median(reps, solve)
	if stepErr != nil {
		return p, fmt.Errorf("step of %v at b = %d: %w", c.sizes, c.batch, stepErr)
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

// parseInts parses a comma-separated list of integers in [lo, hi].
func parseInts(flagName, s string, lo, hi int) ([]int, error) {
	var xs []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, usagef("%s: %q is not an integer", flagName, f)
		}
		if v < lo || v > hi {
			return nil, usagef("%s: %d must lie in %d…%d", flagName, v, lo, hi)
		}
		xs = append(xs, v)
	}
	return xs, nil
}

func maxProcs() int { return runtime.GOMAXPROCS(0) }
