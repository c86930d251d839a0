package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/stepcost"
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
	if *out == "" {
		return usagef("-out is empty: give the output folder (default figures)")
	}
	if *reps < 1 || *reps > 100 {
		return usagef("-reps %d must lie in 1…100", *reps)
	}
	batches, err := parseInts("-batches", *batchList, 1, maxScalingBatch, scalingBound(stepcost.Toy(maxScalingBatch)))
	if err != nil {
		return err
	}
	hidden, err := parseInts("-hidden", *hiddenList, 1, maxScalingHidden, scalingBound(stepcost.Wide(maxScalingHidden, 128)))
	if err != nil {
		return err
	}
	if len(batches) < 2 || len(hidden) < 2 {
		return usagef("-batches and -hidden need at least two values each")
	}
	if err := outdir.Check(*out, "scaling.png", "scaling.svg", "scaling.json"); err != nil {
		return err
	}
	res := scalingOutput{Reps: *reps, GOMAXPROCS: maxProcs()}
	res.ByBatch, res.ByParams, err = stepcost.Sweep(ctx, batches, hidden, *reps, func(line string) { fmt.Fprintln(stderr, line) })
	if err != nil {
		return err
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

// Bounds of the sweeps of "hig scaling". At the largest width, H = 200, the
// stacked Jacobian is 512 × 100696 (393 MiB); one measurement there
// (stepcost.Bench.Measure(1): a warm-up and one timed repetition) took 54 s,
// 12 s per decomposition, and peaked at 1.3 GB resident on two cores.
const (
	maxScalingBatch  = 1 << 16
	maxScalingHidden = 200
)

// scalingBound says what the largest shape of a sweep costs: the size of
// its stacked Jacobian, which the step holds twice (Eval's output and the
// decomposition's copy).
func scalingBound(c stepcost.Case) string {
	net, err := nn.New(c.Sizes, c.Acts)
	if err != nil {
		return err.Error()
	}
	_, _, out := c.Phys.Dims()
	rows, p := c.Batch*out, net.NumParams()
	return fmt.Sprintf("time and memory bound: the Jacobian of %s is %d × %d, %s", c.Name, rows, p, bytesString(8*rows*p))
}

// parseInts parses a comma-separated list of distinct integers in [lo, hi];
// why says where hi comes from.
func parseInts(flagName, s string, lo, hi int, why string) ([]int, error) {
	var xs []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, usagef("%s: %q is not an integer", flagName, f)
		}
		if v < lo || v > hi {
			return nil, usagef("%s: %d must lie in %d…%d (%s)", flagName, v, lo, hi, why)
		}
		xs = append(xs, v)
	}
	return xs, unique(strings.TrimPrefix(flagName, "-"), xs)
}

func maxProcs() int { return runtime.GOMAXPROCS(0) }
