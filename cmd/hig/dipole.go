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

	"github.com/higlab/hig/higlib/qcontrol"
	"github.com/higlab/hig/higlib/train"
	"github.com/higlab/hig/internal/outdir"
)

var dipoleSynopsis = `The paper's quantum dipole experiment (package qcontrol): a 28→20→20→20→384
tanh network reads a target state ŷ = cos φ·e₂ + sin φ·e₃ of a particle in
the infinite well [0, 2] (14 grid points) and predicts the 384 values of the
field u(t) that drive it, through 384 Crank–Nicolson steps of 0.05, from its
ground state into ŷ (loss: the infidelity 1 − |⟨ŷ, ψ(T)⟩|²). Each method's
learning rate is chosen from a small grid by short tuning runs, then every
method trains on every evaluation seed, one run at a time.

Budgets: by default every run gets a step budget: -steps for HIG (and
Gauss-Newton), R = ` + strconv.Itoa(qcontrol.FirstOrderRatio) + ` times as many for Adam (and GD) (R is at least
the largest ratio of a HIG step's cost at b = 16 to an Adam step's at
b = 256 measured here, so the budgets err in Adam's favour; see the README),
and a quarter of them in tuning runs. The results are then the same bits on
every machine under any load; only the seconds differ. -budget gives every
run the same wall-clock time instead, as the paper does; its results depend
on the host and on whatever else runs on it.

Writes to the output folder:
  dipole.png, .svg           test loss against the budget (steps, Adam's
                             divided by R; or seconds); the first test
                             sample's controls u(t) and |ψ(x, T)|² beside
                             the target's |ŷ(x)|²
  dipole_summary.json        one record per (method, seed)
  dipole_tuning.json         the learning-rate search runs
  dipole_results.md          the table of median final test losses`

// Bounds of "hig dipole", checked before any work. A training sample is X
// and Y (28 + 28 values) and its place in the batch permutation, 456 B; a
// test sample is X and Y, 448 B, and every run keeps its own test set in
// its recorders (and the figure builds one more). Both are doubled for the
// collector's headroom. One study holds at most about 128 MiB of fixed
// workspaces at a time: the 448 × 9484 stacked Jacobian and the solver's
// copies of it, and the chunk workspaces of the parallel gradient.
const (
	bytesPerDipTrainSample = 912
	bytesPerDipTestSample  = 896
	dipFixedBytes          = 128 << 20
	maxDipTrain            = memoryBound / bytesPerDipTrainSample
	maxDipTest             = memoryBound / bytesPerDipTestSample
	// maxDipSteps keeps the default first-order budget R × -steps within
	// train.MaxSteps.
	maxDipSteps = train.MaxSteps / qcontrol.FirstOrderRatio
)

// dipFlags are the values of the flags of "hig dipole".
type dipFlags struct {
	methods, seeds, tuneSeeds, lrs, out string
	steps, foSteps, tuneSteps           int
	ntrain, ntest, records              int
	budget, tuneBudget                  time.Duration
	tau                                 float64
}

func dipoleCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dipole", dipoleSynopsis, stdout)
	var f dipFlags
	fs.IntVar(&f.steps, "steps", qcontrol.DefaultSteps, "step `count` of every HIG and Gauss-Newton evaluation run, 1 … "+strconv.Itoa(maxDipSteps))
	fs.IntVar(&f.foSteps, "first-order-steps", 0, "step `count` of every Adam and GD evaluation run; 0 means R × -steps (R = "+strconv.Itoa(qcontrol.FirstOrderRatio)+")")
	fs.IntVar(&f.tuneSteps, "tune-steps", 0, "step `count` of HIG and Gauss-Newton tuning runs, at most -steps; 0 means -steps/4; Adam's and GD's tuning runs get the same share of theirs")
	fs.DurationVar(&f.budget, "budget", 0, "wall-clock training `time` of every evaluation run, instead of the step budgets (the paper's protocol; the results depend on the machine and its load)")
	fs.DurationVar(&f.tuneBudget, "tune-budget", 0, "wall-clock training `time` of every tuning run, with -budget only; 0 means -budget/4")
	fs.StringVar(&f.methods, "methods", "adam,hig", "comma-separated `methods`: adam, gn, hig, gd")
	fs.StringVar(&f.seeds, "seeds", "1,2,3", "comma-separated evaluation `seeds`")
	fs.StringVar(&f.tuneSeeds, "tune-seeds", "1001", "comma-separated `seeds` of the learning-rate search runs")
	fs.StringVar(&f.lrs, "lr", "", "fixed learning `rates` that skip tuning, one per method, e.g. adam=1.5e-2,hig=8")
	fs.IntVar(&f.ntrain, "train", 1024, "training set `size`, at most "+strconv.Itoa(maxDipTrain)+" (memory bound)")
	fs.IntVar(&f.ntest, "test", 1024, "test set `size`, at most "+strconv.Itoa(maxDipTest)+" (memory bound; every run keeps one)")
	fs.IntVar(&f.records, "records", 25, "`number` of test-loss records per run (each simulates the whole test set)")
	fs.Float64Var(&f.tau, "tau", 1e-5, "truncation `threshold` τ of HIG and GN, relative to the largest singular value")
	fs.StringVar(&f.out, "out", "figures/dipole", "output `folder`")
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
			what = fmt.Sprintf("step budgets: %d steps per HIG and GN run, %d per Adam and GD run; tuning runs %d and %d",
				st.StepsFor("hig", false), st.StepsFor("adam", false), st.StepsFor("hig", true), st.StepsFor("adam", true))
		}
		fmt.Fprintf(stderr, "hig dipole: %d runs, one at a time; %s\n", total, what)
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
	return writeDipole(ctx, f.out, res, stdout)
}

// study checks every flag and returns the study they describe; given holds
// the names of the flags on the command line. It does no work.
func (f dipFlags) study(given map[string]bool) (qcontrol.Study, error) {
	st := qcontrol.Study{Grid: map[string][]float64{}}
	if f.out == "" {
		return st, usagef("-out is empty: give the output folder, e.g. -out figures/dipole")
	}
	for _, m := range strings.Split(f.methods, ",") {
		m = strings.TrimSpace(strings.ToLower(m))
		if _, err := qcontrol.Spec(m); err != nil {
			return st, usagef("-methods: unknown method %q: use adam, gn, hig or gd", m)
		}
		st.Methods = append(st.Methods, m)
	}
	var err error
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
		return st, usagef("-budget %v: give a positive duration such as 5m, or leave -budget out to budget by -steps", f.budget)
	case given["budget"] && stepFlags:
		return st, usagef("-budget replaces -steps, -first-order-steps and -tune-steps; give one kind of budget")
	case given["tune-budget"] && !given["budget"]:
		return st, usagef("-tune-budget needs -budget (the wall-clock protocol); with step budgets use -tune-steps")
	case given["budget"] && f.tuneBudget < 0:
		return st, usagef("-tune-budget %v must not be negative (0 means -budget/4)", f.tuneBudget)
	case given["budget"]:
		st.Duration, st.TuneDuration = f.budget, f.tuneBudget
	case f.steps < 1:
		return st, usagef("-steps %d: give a budget: a positive step count (at most %d) or -budget with a positive duration", f.steps, maxDipSteps)
	case f.steps > maxDipSteps:
		return st, usagef("-steps %d exceeds %d, the most for which the first-order budget %d × -steps stays within train.MaxSteps = %d", f.steps, maxDipSteps, qcontrol.FirstOrderRatio, train.MaxSteps)
	case f.foSteps < 0 || f.foSteps > train.MaxSteps:
		return st, usagef("-first-order-steps %d must lie in 0 … %d (0 means %d × -steps)", f.foSteps, train.MaxSteps, qcontrol.FirstOrderRatio)
	case f.tuneSteps < 0 || f.tuneSteps > f.steps:
		return st, usagef("-tune-steps %d must lie in 0 … -steps = %d (0 means -steps/4)", f.tuneSteps, f.steps)
	case given["first-order-steps"] && !slices.ContainsFunc(st.Methods, dipFirstOrder):
		return st, usagef("-first-order-steps applies to adam and gd only, and -methods %s has neither", f.methods)
	default:
		st.Steps, st.FirstOrderSteps, st.TuneSteps = f.steps, f.foSteps, f.tuneSteps
	}

	if err := checkSize("train", f.ntrain, maxDipTrain, bytesPerDipTrainSample); err != nil {
		return st, err
	}
	if err := checkSize("test", f.ntest, maxDipTest, bytesPerDipTestSample); err != nil {
		return st, err
	}
	switch {
	case f.records < 1:
		return st, usagef("-records %d must be positive", f.records)
	case !(f.tau > 0 && f.tau < 1):
		return st, usagef("-tau %v must be a number with 0 < τ < 1 (τ ≥ 1 truncates every singular value; default 1e-5)", f.tau)
	}
	if f.lrs != "" {
		for _, kv := range strings.Split(f.lrs, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return st, usagef("-lr: %q is not METHOD=RATE", kv)
			}
			k = strings.TrimSpace(strings.ToLower(k))
			if _, err := qcontrol.Spec(k); err != nil {
				return st, usagef("-lr: unknown method %q: use adam, gn, hig or gd", k)
			}
			r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || !(r > 0) || math.IsInf(r, 0) {
				return st, usagef("-lr: rate %q for %s must be a number > 0 (finite)", v, k)
			}
			if !slices.Contains(st.Methods, k) {
				return st, usagef("-lr: %s is not among -methods %s", k, f.methods)
			}
			if _, dup := st.Grid[k]; dup {
				return st, usagef("-lr: %s is given twice; give one rate per method (a list of rates to choose from is the method's grid, qcontrol.Specs)", k)
			}
			st.Grid[k] = []float64{r}
		}
	}
	st.TrainSize, st.TestSize, st.Records, st.Tau = f.ntrain, f.ntest, f.records, f.tau
	if err := st.Validate(); err != nil {
		return st, usagef("%v", err)
	}
	runs := st.Runs()
	need := bytesPerDipTrainSample*float64(f.ntrain) + float64(runs+1)*bytesPerDipTestSample*float64(f.ntest) +
		float64(runs)*bytesPerRun + dipFixedBytes
	if need > memoryBound {
		return st, usagef("the study would need about %s (%d runs keeping %d test samples each, %d training samples), more than the %s memory bound; use fewer -seeds, -tune-seeds or -methods, one -lr per method, or a smaller -test or -train",
			bytesString(need), runs, f.ntest, f.ntrain, bytesString(memoryBound))
	}
	return st, nil
}

// dipFirstOrder reports whether the method key is Adam or gradient descent.
func dipFirstOrder(key string) bool {
	s, err := qcontrol.Spec(key)
	return err == nil && s.FirstOrder()
}

// writeDipole renders the figure, the summaries and the results table in
// memory and writes them together (see internal/outdir).
func writeDipole(ctx context.Context, dir string, res *qcontrol.Outcome, stdout io.Writer) error {
	var files []outdir.File
	for _, w := range []struct {
		name string
		v    []qcontrol.Summary
	}{{"dipole_summary.json", res.Summaries}, {"dipole_tuning.json", res.Tuning}} {
		v := w.v
		if v == nil {
			v = []qcontrol.Summary{}
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
		files = append(files, outdir.File{Name: "dipole." + format, Data: b})
	}
	table := res.Table()
	files = append(files, outdir.File{Name: "dipole_results.md", Data: []byte(table)})
	if err := outdir.Write(ctx, dir, files); err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, "wrote", filepath.Join(dir, f.Name))
	}
	fmt.Fprintf(stdout, "\n%s", table)
	return nil
}
