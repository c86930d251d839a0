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
	tuneSeeds := fs.String("tune-seeds", "1001,1002,1003", "comma-separated `seeds` of the learning-rate search runs, none of them among -seeds")
	steps := fs.Int("steps", 2000, "step `count` of Gauss-Newton and HIG runs, at most "+strconv.Itoa(maxSteps))
	foSteps := fs.Int("first-order-steps", 0, "step `count` of Adam and GD runs; 0 means "+strconv.Itoa(toy.FirstOrderRatio)+" × -steps (equal time per step cost); at most "+strconv.Itoa(maxFirstOrderSteps))
	budget := fs.Duration("budget", 0, "wall-clock `time` > 0 per run for every method instead of step counts (results then depend on the machine and its load)")
	batch := fs.Int("batch", 256, "mini-batch `size` b, at most -train and "+strconv.Itoa(maxBatch)+" (memory bound)")
	ntrain := fs.Int("train", 1024, "training set `size`, at most "+strconv.Itoa(maxTrain)+" (memory bound)")
	nvalid := fs.Int("valid", 256, "validation set `size`, at most "+strconv.Itoa(maxValid)+" (memory bound; every run keeps its own)")
	tau := fs.Float64("tau", 1e-6, "truncation `threshold` 0 < τ < 1 for GN and HIG, relative to the largest singular value")
	round32 := fs.Bool("round32", false, "round the stacked Jacobian and ∂L/∂y to float32 before each GN and HIG step (a precision probe)")
	lrs := fs.String("lr", "", "fixed learning `rates` that skip tuning, e.g. adam=0.01,hig=1")
	out := fs.String("out", "figures", "output `folder`")
	quiet := fs.Bool("quiet", false, "do not print progress")
	if err := parse(fs, args); err != nil {
		return err
	}

	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	st, err := toyFlags{lambdas: *lambdas, methods: *methods, seeds: *seeds, tuneSeeds: *tuneSeeds,
		steps: *steps, foSteps: *foSteps, budget: *budget, batch: *batch, ntrain: *ntrain, nvalid: *nvalid,
		tau: *tau, round32: *round32, lrs: *lrs, out: *out}.study(given)
	if err != nil {
		return err
	}
	if err := outdir.Check(*out, toyNames(st.Lambdas)...); err != nil {
		return err
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
	// Empty lists are written as [], not null (all rates given by -lr: no
	// tuning runs), as the oscillators' files do.
	eval, tune := []toy.Summary{}, []toy.Summary{}
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
			files = append(files, outdir.File{Name: toyFigure(lambda, format), Data: b})
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

// toyFigure returns the file name of the figure of λ in format.
func toyFigure(lambda float64, format string) string {
	return fmt.Sprintf("toy_lambda%s.%s", strconv.FormatFloat(lambda, 'g', -1, 64), format)
}

// toyNames returns the names of the files "hig toy" writes for lambdas.
func toyNames(lambdas []float64) []string {
	names := []string{"toy_summary.json", "toy_tuning.json", "toy_results.md"}
	for _, l := range lambdas {
		names = append(names, toyFigure(l, "png"), toyFigure(l, "svg"))
	}
	return names
}
