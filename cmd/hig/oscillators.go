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
	"github.com/higlab/hig/internal/outdir"
)

const oscillatorsSynopsis = `The paper's main experiment (package steer): a 4→20→20→20→96 ReLU network
predicts 96 controls that steer two coupled nonlinear oscillators, through
96 RK4 steps, back to their initial state x₀ ∈ [0, 1)⁴ (targets ŷ = x₀,
loss ½‖x(T) − x₀‖²). Each method's learning rate is chosen from a small grid
around the paper's setting by short tuning runs (-tune-budget), then every
method trains on every evaluation seed with the same wall-clock budget
(-budget), one run at a time. Writes to the output folder:
  oscillators.png, .svg           test loss against time; the first test
                                  sample's controls and trajectories
  oscillators_summary.json        one record per (method, seed)
  oscillators_tuning.json         the learning-rate search runs
  oscillators_results.md          the table of median final test losses`

func oscillatorsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("oscillators", oscillatorsSynopsis, stdout)
	budget := fs.Duration("budget", time.Minute, "wall-clock training `time` of every evaluation run")
	tuneBudget := fs.Duration("tune-budget", 0, "wall-clock training `time` of every tuning run; 0 means -budget/4")
	steps := fs.Int("steps", 0, "a step `count` for every method instead of -budget (deterministic, but not a fair comparison)")
	methods := fs.String("methods", "adam,gn,hig", "comma-separated `methods`: adam, gn, hig, gd")
	seeds := fs.String("seeds", "1,2,3", "comma-separated evaluation `seeds`")
	tuneSeeds := fs.String("tune-seeds", "1001", "comma-separated `seeds` of the learning-rate search runs")
	lrs := fs.String("lr", "", "fixed learning `rates` that skip tuning, e.g. adam=3e-4,hig=1")
	ntrain := fs.Int("train", 4096, "training set `size`")
	ntest := fs.Int("test", 4096, "test set `size`")
	records := fs.Int("records", 50, "`number` of test-loss records per run")
	tau := fs.Float64("tau", 1e-6, "truncation `threshold` τ of GN and HIG, relative to the largest singular value")
	out := fs.String("out", "figures", "output `folder`")
	quiet := fs.Bool("quiet", false, "do not print progress")
	if err := parse(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	st := steer.Study{Grid: map[string][]float64{}}
	for _, m := range strings.Split(*methods, ",") {
		m = strings.TrimSpace(strings.ToLower(m))
		if _, err := steer.Spec(m); err != nil {
			return usagef("-methods: unknown method %q: use adam, gn, hig or gd", m)
		}
		st.Methods = append(st.Methods, m)
	}
	var err error
	if st.Seeds, err = seedList("seeds", *seeds); err != nil {
		return err
	}
	if st.TuneSeeds, err = seedList("tune-seeds", *tuneSeeds); err != nil {
		return err
	}
	if err := unique("methods", st.Methods); err != nil {
		return err
	}
	if err := unique("seeds", st.Seeds); err != nil {
		return err
	}
	if err := unique("tune-seeds", st.TuneSeeds); err != nil {
		return err
	}
	switch {
	case *budget <= 0 || *tuneBudget < 0 || *steps < 0:
		return usagef("-budget must be positive, -tune-budget and -steps must not be negative")
	case set["steps"] && (set["budget"] || set["tune-budget"]):
		return usagef("-steps replaces -budget and -tune-budget; give one kind of budget")
	case *ntrain < 1 || *ntest < 1 || *records < 1:
		return usagef("-train, -test and -records must be positive")
	case !(*tau > 0 && *tau < 1):
		return usagef("-tau %v must be a number with 0 < τ < 1 (τ ≥ 1 truncates every singular value; default 1e-6)", *tau)
	case *out == "":
		return usagef("-out is empty: give the output folder, e.g. -out figures")
	}
	for _, s := range st.TuneSeeds {
		if slices.Contains(st.Seeds, s) {
			return usagef("-tune-seeds: %d is also among -seeds; the tuning seeds must differ from the evaluation seeds", s)
		}
	}
	if *steps > 0 {
		st.Steps = *steps
	} else {
		st.Duration, st.TuneDuration = *budget, *tuneBudget
	}
	if *lrs != "" {
		for _, kv := range strings.Split(*lrs, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return usagef("-lr: %q is not METHOD=RATE", kv)
			}
			k = strings.TrimSpace(strings.ToLower(k))
			if _, err := steer.Spec(k); err != nil {
				return usagef("-lr: unknown method %q", k)
			}
			r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || !(r > 0) || math.IsInf(r, 0) {
				return usagef("-lr: rate %q for %s must be a number > 0", v, k)
			}
			if !slices.Contains(st.Methods, k) {
				return usagef("-lr: %s is not among -methods %s", k, *methods)
			}
			st.Grid[k] = []float64{r}
		}
	}
	st.TrainSize, st.TestSize, st.Records, st.Tau = *ntrain, *ntest, *records, *tau
	if err := st.Validate(); err != nil {
		return usagef("%v", err)
	}
	if err := outdir.Check(*out); err != nil {
		return err
	}

	total := st.Runs()
	start, done := time.Now(), 0
	if !*quiet {
		what := fmt.Sprintf("%s per evaluation run, %s per tuning run", st.Duration, st.TuneDuration)
		if st.Steps > 0 {
			what = fmt.Sprintf("%d steps per run", st.Steps)
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
	return writeOscillators(ctx, *out, res, stdout)
}

// writeOscillators renders the figure, the summaries and the results table
// in memory and writes them together (see internal/outdir).
func writeOscillators(ctx context.Context, dir string, res *steer.Outcome, stdout io.Writer) error {
	var files []outdir.File
	for _, w := range []struct {
		name string
		v    any
	}{{"oscillators_summary.json", res.Summaries}, {"oscillators_tuning.json", res.Tuning}} {
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
		files = append(files, outdir.File{Name: "oscillators." + format, Data: b})
	}
	table := res.Table()
	files = append(files, outdir.File{Name: "oscillators_results.md", Data: []byte(table)})
	if err := outdir.Write(ctx, dir, files); err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, "wrote", filepath.Join(dir, f.Name))
	}
	fmt.Fprintf(stdout, "\n%s", table)
	return nil
}
