package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/higlab/hig/higlib/steer"
	"github.com/higlab/hig/higlib/train"
	"github.com/higlab/hig/internal/outdir"
)

var oscillatorsSynopsis = `The paper's main experiment (package steer): a 4→20→20→20→96 ReLU network
predicts 96 controls that steer two coupled nonlinear oscillators, through
96 RK4 steps, back to their initial state x₀ ∈ [0, 1)⁴ (targets ŷ = x₀,
loss ½‖x(T) − x₀‖²). Each method's learning rate is chosen from a small grid
around the paper's setting by short tuning runs, then every method trains on
every evaluation seed, one run at a time.

Budgets: by default every run gets a step budget: -steps for Gauss-Newton and
HIG, R = ` + strconv.Itoa(steer.FirstOrderRatio) + ` times as many for Adam and GD (R is at least the
largest ratio of a HIG step's cost at b = 128 to an Adam step's at b = 512
measured on any host, so the budgets err in Adam's favour; see the README),
and a quarter of them in tuning runs. The results are then the same bits on
every machine under any load; only the seconds differ. -budget gives every
run the same wall-clock time instead, as the paper does; its results depend
on the host and on whatever else runs on it.

-preset book runs the set-up of the book's companion notebook instead
(physgrad-hig-code.ipynb): linear coupling 0.2, gain 1, 24 RK4 steps of 0.5,
a 4→20→20→20→24 tanh network, and Adam (b = 256), SIP (scale-invariant
physics: each sample's ∂P/∂z pseudo-inverted, Adam on the proxy loss; b = 256)
and HIG (b = 32, η = 2 here = the book's η = 1 on its loss without the ½,
τ = 1e-10). Its step budgets give Adam ` + strconv.Itoa(steer.BookAdamRatio) + ` and SIP ` + strconv.Itoa(steer.BookSIPRatio) + ` step(s) per HIG step
(their measured step-cost ratios, rounded up); its files are named
book-chain* instead of oscillators*, and -steps defaults to ` + strconv.Itoa(bookDefaultSteps) + `.

Writes to the output folder:
  oscillators.png, .svg           test loss against the budget (steps, Adam's
                                  divided by R; or seconds); the first test
                                  sample's controls and trajectories
  oscillators_summary.json        one record per (method, seed)
  oscillators_tuning.json         the learning-rate search runs
  oscillators_results.md          the table of median final test losses`

// Bounds of "hig oscillators", checked before any work (see validate.go
// for the toy's). A training sample is X and Y (4 + 4 values) and its
// place in the batch permutation, 72 B; a test sample is X and Y, 64 B,
// and every run keeps its own test set in its recorders (and the figure
// builds one more). Both are doubled for the collector's headroom. Each run
// also keeps its network, recorders and records (bytesPerRun), and one
// study holds at most about 64 MiB of fixed workspaces at a time: the
// 512 × 2956 stacked Jacobian and the solver's copies of it, and the
// chunk workspaces of the parallel gradient.
const (
	bytesPerOscTrainSample = 144
	bytesPerOscTestSample  = 128
	oscFixedBytes          = 64 << 20
	maxOscTrain            = memoryBound / bytesPerOscTrainSample
	maxOscTest             = memoryBound / bytesPerOscTestSample
	// maxOscSteps keeps the default first-order budget R × -steps within
	// train.MaxSteps.
	maxOscSteps = train.MaxSteps / steer.FirstOrderRatio
)

// bookDefaultSteps is the HIG step budget of -preset book without -steps:
// a few minutes for the whole study on two shared cores.
const bookDefaultSteps = 600

// oscFlags are the values of the flags of "hig oscillators".
type oscFlags struct {
	preset                              string
	methods, seeds, tuneSeeds, lrs, out string
	steps, foSteps, tuneSteps           int
	ntrain, ntest, records              int
	budget, tuneBudget                  time.Duration
	tau                                 float64
}

func oscillatorsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("oscillators", oscillatorsSynopsis, stdout)
	var f oscFlags
	fs.IntVar(&f.steps, "steps", steer.DefaultSteps, "step `count` of every Gauss-Newton and HIG evaluation run, 1 … "+strconv.Itoa(maxOscSteps))
	fs.IntVar(&f.foSteps, "first-order-steps", 0, "step `count` of every Adam and GD evaluation run; 0 means R × -steps (R = "+strconv.Itoa(steer.FirstOrderRatio)+")")
	fs.IntVar(&f.tuneSteps, "tune-steps", 0, "step `count` of Gauss-Newton and HIG tuning runs, at most -steps; 0 means -steps/4; Adam's and GD's tuning runs get the same share of theirs")
	fs.DurationVar(&f.budget, "budget", 0, "wall-clock training `time` of every evaluation run, instead of the step budgets (the paper's protocol; the results depend on the machine and its load)")
	fs.DurationVar(&f.tuneBudget, "tune-budget", 0, "wall-clock training `time` of every tuning run, with -budget only; 0 means -budget/4")
	fs.StringVar(&f.preset, "preset", "paper", "set-up: `paper` (the paper's experiment) or book (the book notebook's linear chain with SIP)")
	fs.StringVar(&f.methods, "methods", "adam,gn,hig", "comma-separated `methods`: adam, gn, hig, gd; with -preset book adam, sip, hig (the default there)")
	fs.StringVar(&f.seeds, "seeds", "1,2,3", "comma-separated evaluation `seeds`")
	fs.StringVar(&f.tuneSeeds, "tune-seeds", "1001", "comma-separated `seeds` of the learning-rate search runs")
	fs.StringVar(&f.lrs, "lr", "", "fixed learning `rates` that skip tuning, one per method, e.g. adam=3e-4,hig=1")
	fs.IntVar(&f.ntrain, "train", 4096, "training set `size`, at most "+strconv.Itoa(maxOscTrain)+" (memory bound)")
	fs.IntVar(&f.ntest, "test", 4096, "test set `size`, at most "+strconv.Itoa(maxOscTest)+" (memory bound; every run keeps one)")
	fs.IntVar(&f.records, "records", 50, "`number` of test-loss records per run")
	fs.Float64Var(&f.tau, "tau", 1e-6, "truncation `threshold` τ of GN and HIG, relative to the largest singular value")
	fs.StringVar(&f.out, "out", "figures", "output `folder`")
	quiet := fs.Bool("quiet", false, "do not print progress")
	if err := parse(fs, args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	st, err := f.study(given)
	if err != nil {
		return err
	}
	if err := outdir.Check(f.out); err != nil {
		return err
	}

	total := st.Runs()
	start, done := time.Now(), 0
	if !*quiet {
		what := fmt.Sprintf("%s per evaluation run, %s per tuning run (wall-clock: results depend on the machine and its load)", st.Duration, st.TuneDuration)
		if st.Duration == 0 {
			what = fmt.Sprintf("step budgets: %d steps per GN and HIG run, %d per Adam and GD run; tuning runs %d and %d",
				st.StepsFor("hig", false), st.StepsFor("adam", false), st.StepsFor("hig", true), st.StepsFor("adam", true))
			if st.Preset == steer.PresetBook {
				what = fmt.Sprintf("book set-up, step budgets: %d HIG, %d Adam, %d SIP steps per run; tuning runs %d, %d, %d",
					st.StepsFor("hig", false), st.StepsFor("adam", false), st.StepsFor("sip", false),
					st.StepsFor("hig", true), st.StepsFor("adam", true), st.StepsFor("sip", true))
			}
		}
		fmt.Fprintf(stderr, "hig oscillators: %d runs, one at a time; %s\n", total, what)
		st.Progress = func(line string) {
			if !strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "note:") {
				done++
			}
			fmt.Fprintf(stderr, "[%3d/%d %6s] %s\n", done, total, time.Since(start).Round(time.Second), line)
		}
	}
	res, err := interruptible(ctx, st.Run)
	if err != nil {
		return err
	}
	return writeOscillators(ctx, f.out, res, stdout)
}

// study checks every flag and returns the study they describe; given holds
// the names of the flags on the command line. It does no work.
func (f oscFlags) study(given map[string]bool) (steer.Study, error) {
	st := steer.Study{Grid: map[string][]float64{}}
	if f.out == "" {
		return st, usagef("-out is empty: give the output folder, e.g. -out figures")
	}
	preset, err := steer.ParsePreset(strings.ToLower(strings.TrimSpace(f.preset)))
	if err != nil {
		return st, usagef("-preset %q: use paper or book", f.preset)
	}
	st.Preset = preset
	keys := "adam, gn, hig or gd"
	if preset == steer.PresetBook {
		keys = "adam, sip or hig"
		if !given["methods"] {
			f.methods = strings.Join(steer.BookMethods, ",")
		}
		if !given["steps"] {
			f.steps = bookDefaultSteps
		}
		if !given["tau"] {
			f.tau = steer.BookTau
		}
	}
	for _, m := range strings.Split(f.methods, ",") {
		m = strings.TrimSpace(strings.ToLower(m))
		if _, err := st.Lookup(m); err != nil {
			return st, usagef("-methods: unknown method %q for -preset %s: use %s", m, preset, keys)
		}
		st.Methods = append(st.Methods, m)
	}
	if st.Seeds, err = seedList("seeds", f.seeds); err != nil {
		return st, err
	}
	if st.TuneSeeds, err = seedList("tune-seeds", f.tuneSeeds); err != nil {
		return st, err
	}
	for _, err := range []error{unique("methods", st.Methods), unique("seeds", st.Seeds), unique("tune-seeds", st.TuneSeeds)} {
		if err != nil {
			return st, err
		}
	}
	for _, s := range st.TuneSeeds {
		if slices.Contains(st.Seeds, s) {
			return st, usagef("-tune-seeds: %d is also among -seeds; the tuning seeds must differ from the evaluation seeds", s)
		}
	}

	// The budget: step counts (the default) or wall-clock times.
	stepFlags := given["steps"] || given["first-order-steps"] || given["tune-steps"]
	switch {
	case given["budget"] && f.budget <= 0:
		return st, usagef("-budget %v: give a positive duration such as 60s, or leave -budget out to budget by -steps", f.budget)
	case given["budget"] && stepFlags:
		return st, usagef("-budget replaces -steps, -first-order-steps and -tune-steps; give one kind of budget")
	case given["tune-budget"] && !given["budget"]:
		return st, usagef("-tune-budget needs -budget (the wall-clock protocol); with step budgets use -tune-steps")
	case given["budget"] && f.tuneBudget < 0:
		return st, usagef("-tune-budget %v must not be negative (0 means -budget/4)", f.tuneBudget)
	case given["budget"]:
		st.Duration, st.TuneDuration = f.budget, f.tuneBudget
	case f.steps < 1:
		return st, usagef("-steps %d: give a budget: a positive step count (at most %d) or -budget with a positive duration", f.steps, maxOscSteps)
	case f.steps > maxOscSteps:
		return st, usagef("-steps %d exceeds %d, the most for which the first-order budget %d × -steps stays within train.MaxSteps = %d", f.steps, maxOscSteps, steer.FirstOrderRatio, train.MaxSteps)
	case f.foSteps < 0 || f.foSteps > train.MaxSteps:
		return st, usagef("-first-order-steps %d must lie in 0 … %d (0 means %d × -steps)", f.foSteps, train.MaxSteps, steer.FirstOrderRatio)
	case f.tuneSteps < 0 || f.tuneSteps > f.steps:
		return st, usagef("-tune-steps %d must lie in 0 … -steps = %d (0 means -steps/4)", f.tuneSteps, f.steps)
	case given["first-order-steps"] && !slices.ContainsFunc(st.Methods, func(k string) bool { return oscFirstOrder(st.Config, k) }):
		return st, usagef("-first-order-steps applies to the first-order methods (adam, gd, sip) only, and -methods %s has none", f.methods)
	default:
		st.Steps, st.FirstOrderSteps, st.TuneSteps = f.steps, f.foSteps, f.tuneSteps
	}

	if err := checkSize("train", f.ntrain, maxOscTrain, bytesPerOscTrainSample); err != nil {
		return st, err
	}
	if err := checkSize("test", f.ntest, maxOscTest, bytesPerOscTestSample); err != nil {
		return st, err
	}
	switch {
	case f.records < 1:
		return st, usagef("-records %d must be positive", f.records)
	case !(f.tau > 0 && f.tau < 1):
		return st, usagef("-tau %v must be a number with 0 < τ < 1 (τ ≥ 1 truncates every singular value; default 1e-6)", f.tau)
	}
	if f.lrs != "" {
		for _, kv := range strings.Split(f.lrs, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return st, usagef("-lr: %q is not METHOD=RATE", kv)
			}
			k = strings.TrimSpace(strings.ToLower(k))
			if _, err := st.Lookup(k); err != nil {
				return st, usagef("-lr: unknown method %q: use %s", k, keys)
			}
			r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || !(r > 0) || math.IsInf(r, 0) {
				return st, usagef("-lr: rate %q for %s must be a number > 0 (finite)", v, k)
			}
			if !slices.Contains(st.Methods, k) {
				return st, usagef("-lr: %s is not among -methods %s", k, f.methods)
			}
			if _, dup := st.Grid[k]; dup {
				return st, usagef("-lr: %s is given twice; give one rate per method (a list of rates to choose from is the method's grid, steer.Specs)", k)
			}
			st.Grid[k] = []float64{r}
		}
	}
	st.TrainSize, st.TestSize, st.Records, st.Tau = f.ntrain, f.ntest, f.records, f.tau
	if err := st.Validate(); err != nil {
		return st, usagef("%v", err)
	}
	runs := st.Runs()
	need := bytesPerOscTrainSample*float64(f.ntrain) + float64(runs+1)*bytesPerOscTestSample*float64(f.ntest) +
		float64(runs)*bytesPerRun + oscFixedBytes
	if need > memoryBound {
		return st, usagef("the study would need about %s (%d runs keeping %d test samples each, %d training samples), more than the %s memory bound; use fewer -seeds, -tune-seeds or -methods, one -lr per method, or a smaller -test or -train",
			bytesString(need), runs, f.ntest, f.ntrain, bytesString(memoryBound))
	}
	return st, nil
}

// oscFirstOrder reports whether the method key is a first-order method
// (Adam, gradient descent, SIP) in c's preset.
func oscFirstOrder(c steer.Config, key string) bool {
	s, err := c.Lookup(key)
	return err == nil && s.FirstOrder()
}

// writeOscillators renders the figure, the summaries and the results table
// in memory and writes them together (see internal/outdir).
func writeOscillators(ctx context.Context, dir string, res *steer.Outcome, stdout io.Writer) error {
	var files []outdir.File
	base := "oscillators"
	if res.Preset == steer.PresetBook {
		base = "book-chain"
	}
	for _, w := range []struct {
		name string
		v    any
	}{{base + "_summary.json", res.Summaries}, {base + "_tuning.json", res.Tuning}} {
		v := w.v
		if s, ok := v.([]steer.Summary); ok && s == nil {
			v = []steer.Summary{}
		}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		files = append(files, outdir.File{Name: w.name, Data: append(b, '\n')})
	}
	for _, format := range []string{"png", "svg"} {
		b, err := res.Render(0, format)
		if err != nil {
			return err
		}
		files = append(files, outdir.File{Name: base + "." + format, Data: b})
	}
	table := res.Table()
	files = append(files, outdir.File{Name: base + "_results.md", Data: []byte(table)})
	if err := outdir.Write(ctx, dir, files); err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, "wrote", filepath.Join(dir, f.Name))
	}
	fmt.Fprintf(stdout, "\n%s", table)
	return nil
}
