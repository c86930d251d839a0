package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/higlab/hig/higlib/toy"
	"github.com/higlab/hig/internal/outdir"
)

const toySynopsis = `Tunes each method's learning rate on a grid (median over the tuning seeds),
trains it on every evaluation seed with the same budget, and writes to the
output folder:
  toy_lambda<λ>.png, .svg   the chapter's three panels for the first seed
  toy_summary.json          one record per (λ, method, seed)
  toy_tuning.json           the learning-rate search runs
  toy_results.md            the table of median final losses
The output folder is checked for writing before the study starts. The files
are written only when the whole study has finished, each to a temporary
name first, and then renamed over the old ones together, so an interrupted
run (Ctrl-C, SIGTERM: exit code 130, 143) or a failed write leaves the
previous files as they were. Figures of λ values that are not in this run
are left alone; the new summary and table do not describe them, and the
command names them in a note.`

func toyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("toy", toySynopsis, stdout)
	lambdas := fs.String("lambda", "1,0.01", "comma-separated `values` of λ")
	methods := fs.String("methods", "adam,gn,hig", "comma-separated `methods`: adam, gn, hig, gd")
	seeds := fs.String("seeds", "1,2,3,4,5", "comma-separated evaluation `seeds`")
	tuneSeeds := fs.String("tune-seeds", "1001,1002,1003", "comma-separated `seeds` of the learning-rate search runs")
	steps := fs.Int("steps", 2000, "step `count` of Gauss-Newton and HIG runs")
	foSteps := fs.Int("first-order-steps", 0, "step `count` of Adam and GD runs; 0 means "+strconv.Itoa(toy.FirstOrderRatio)+" × -steps (equal time per step cost)")
	budget := fs.Duration("budget", 0, "wall-clock `time` per run for every method instead of step counts (results then depend on the machine and its load)")
	batch := fs.Int("batch", 256, "mini-batch `size` b")
	ntrain := fs.Int("train", 1024, "training set `size`")
	nvalid := fs.Int("valid", 256, "validation set `size`")
	tau := fs.Float64("tau", 1e-6, "truncation `threshold` τ for GN and HIG, relative to the largest singular value")
	round32 := fs.Bool("round32", false, "round the stacked Jacobian and ∂L/∂y to float32 before each GN and HIG step (a precision probe)")
	lrs := fs.String("lr", "", "fixed learning `rates` that skip tuning, e.g. adam=0.01,hig=1")
	out := fs.String("out", "figures", "output `folder`")
	quiet := fs.Bool("quiet", false, "do not print progress")
	if err := parse(fs, args); err != nil {
		return err
	}

	st := toy.Study{Grid: map[string][]float64{}}
	var err error
	if st.Lambdas, err = floats("lambda", *lambdas); err != nil {
		return err
	}
	for _, m := range strings.Split(*methods, ",") {
		m = strings.TrimSpace(strings.ToLower(m))
		if _, err := toy.NewMethod(m, 1, 0); err != nil {
			return usagef("-methods: unknown method %q: use adam, gn, hig or gd", m)
		}
		st.Methods = append(st.Methods, m)
	}
	if st.Seeds, err = seedList("seeds", *seeds); err != nil {
		return err
	}
	if st.TuneSeeds, err = seedList("tune-seeds", *tuneSeeds); err != nil {
		return err
	}
	if err := unique("lambda", st.Lambdas); err != nil {
		return err
	}
	if err := unique("methods", st.Methods); err != nil {
		return err
	}
	if err := unique("seeds", st.Seeds); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["budget"] && (set["steps"] || set["first-order-steps"]) {
		return usagef("-budget replaces -steps and -first-order-steps; give one kind of budget")
	}
	if *budget < 0 || *steps < 0 || *foSteps < 0 {
		return usagef("-budget, -steps and -first-order-steps must not be negative")
	}
	if *budget > 0 {
		st.Duration = *budget
	} else if *steps > 0 {
		st.Steps, st.FirstOrderSteps = *steps, *foSteps
	} else {
		return usagef("give a budget: -steps with a positive count or -budget with a positive duration")
	}
	if *batch < 1 || *ntrain < 1 || *nvalid < 1 {
		return usagef("-batch, -train and -valid must be positive")
	}
	if *batch > *ntrain {
		return usagef("-batch %d is larger than the training set (-train %d)", *batch, *ntrain)
	}
	if !(*tau >= 0) || math.IsInf(*tau, 0) {
		return usagef("-tau %v must be a finite number > 0", *tau)
	}
	if *tau == 0 {
		return usagef("-tau 0 would invert rounding noise; to keep almost every direction give a tiny positive τ such as 1e-15")
	}
	if *lrs != "" {
		for _, kv := range strings.Split(*lrs, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return usagef("-lr: %q is not METHOD=RATE", kv)
			}
			k = strings.TrimSpace(strings.ToLower(k))
			if _, err := toy.NewMethod(k, 1, 0); err != nil {
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
	st.BatchSize, st.TrainSize, st.ValidSize = *batch, *ntrain, *nvalid
	st.Tau, st.Round32 = *tau, *round32
	if err := outdir.Check(*out); err != nil {
		return err
	}

	if err := st.Validate(); err != nil {
		return usagef("%v", err)
	}
	total := st.Runs()
	start, done := time.Now(), 0
	if !*quiet {
		fmt.Fprintf(stderr, "hig toy: %d runs; budget per run: %s\n", total, budgetString(st.Config))
		st.Progress = func(line string) {
			if strings.Contains(line, "note: ") {
				fmt.Fprintf(stderr, "%s\n", line)
				return
			}
			done++
			fmt.Fprintf(stderr, "[%3d/%d %6s] %s\n", done, total, time.Since(start).Round(time.Second), line)
		}
	}
	res, err := interruptible(ctx, st.Run)
	if err != nil {
		return err
	}
	return writeToy(ctx, *out, &st, res, stdout)
}

func budgetString(c toy.Config) string {
	if c.Duration > 0 {
		return c.Duration.String() + " of training time"
	}
	return fmt.Sprintf("%d steps for Gauss-Newton and HIG, %d for Adam and GD", c.StepsFor(toy.HIG), c.StepsFor(toy.Adam))
}

// unique returns a usage error naming the first value that occurs twice.
func unique[T comparable](name string, v []T) error {
	seen := map[T]bool{}
	for _, x := range v {
		if seen[x] {
			return usagef("-%s: %v is given twice", name, x)
		}
		seen[x] = true
	}
	return nil
}

func seedList(name, s string) ([]uint64, error) {
	var v []uint64
	for _, f := range strings.Split(s, ",") {
		x, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			return nil, usagef("-%s: %q is not a non-negative whole number", name, f)
		}
		v = append(v, x)
	}
	return v, nil
}

func floats(name, s string) ([]float64, error) {
	var v []float64
	for _, f := range strings.Split(s, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, usagef("-%s: %q is not a finite number", name, f)
		}
		if x == 0 {
			return nil, usagef("-%s: λ = 0 removes the second output from the loss; use a non-zero value", name)
		}
		v = append(v, x)
	}
	return v, nil
}

// writeToy renders the figures, the summary and the results table in
// memory and replaces the files in dir together (see internal/outdir).
// Figures of other λ values that dir holds are left alone and named in a note.
func writeToy(ctx context.Context, dir string, st *toy.Study, res *toy.Outcome, stdout io.Writer) error {
	var eval, tune []toy.Summary
	for _, s := range res.Summaries {
		if s.Tuning {
			tune = append(tune, s)
		} else {
			eval = append(eval, s)
		}
	}
	var files []outdir.File
	for _, j := range []struct {
		name string
		v    any
	}{{"toy_summary.json", eval}, {"toy_tuning.json", tune}} {
		b, err := json.MarshalIndent(j.v, "", "  ")
		if err != nil {
			return err
		}
		files = append(files, outdir.File{Name: j.name, Data: append(b, '\n')})
	}
	for _, lambda := range st.Lambdas {
		f := res.Figure(lambda, 0)
		for _, format := range []string{"png", "svg"} {
			b, err := f.Render(format)
			if err != nil {
				return err
			}
			name := fmt.Sprintf("toy_lambda%s.%s", strconv.FormatFloat(lambda, 'g', -1, 64), format)
			files = append(files, outdir.File{Name: name, Data: b})
		}
	}
	table := res.Table()
	files = append(files, outdir.File{Name: "toy_results.md", Data: []byte(table)})
	if err := outdir.Write(ctx, dir, files); err != nil {
		return err
	}
	written := map[string]bool{}
	for _, f := range files {
		written[f.Name] = true
		fmt.Fprintln(stdout, "wrote", filepath.Join(dir, f.Name))
	}
	entries, _ := os.ReadDir(dir) // only for the note
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "toy_lambda") && (strings.HasSuffix(name, ".png") || strings.HasSuffix(name, ".svg")) && !written[name] {
			fmt.Fprintf(stdout, "note: %s is from an earlier run with another λ; the new summary and table do not describe it\n", filepath.Join(dir, name))
		}
	}
	fmt.Fprintf(stdout, "\n%s", table)
	return nil
}
