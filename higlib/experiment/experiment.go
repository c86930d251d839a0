// Package experiment compares optimizers on a training problem fairly, as
// the Half-Inverse Gradients chapter of the Physics-based Deep Learning book
// and Schnell, Holl & Thuerey (ICLR 2022) compare HIG with Adam and
// Gauss-Newton: each method's learning rate is chosen from a small grid by
// the median final validation loss over tuning seeds, then every method is
// trained with its chosen rate on evaluation seeds that differ from the
// tuning seeds, under the same budget, and the medians are compared.
//
// A Study takes the problem as a function from a seed to a Problem, and the
// methods as values (Candidates: a name, a constructor from a learning rate
// and a grid), so that a new problem or optimizer plugs in without touching this
// package.
package experiment

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/higlab/hig/internal/num"

	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/train"
)

// Problem is one instance of a training problem, fixed by a seed: the
// objective, the data and the initial parameters.
type Problem struct {
	Obj          *objective.Objective
	Train, Valid objective.Data
	Params0      []float64
}

// Validate returns an error that says what is wrong with p.
func (p *Problem) Validate() error {
	if p == nil || p.Obj == nil {
		return errors.New("experiment: problem without an objective")
	}
	if err := p.Obj.Check(p.Train); err != nil {
		return fmt.Errorf("experiment: training set: %w", err)
	}
	if err := p.Obj.Check(p.Valid); err != nil {
		return fmt.Errorf("experiment: validation set: %w", err)
	}
	if n := p.Obj.Net.NumParams(); len(p.Params0) != n {
		return fmt.Errorf("experiment: %d initial parameters, the network has %d", len(p.Params0), n)
	}
	if !num.Finite(p.Params0) {
		return errors.New("experiment: initial parameters hold NaN or Inf")
	}
	return nil
}

// Candidate is an optimizer under study: a name, a constructor of the
// update rule (an optim.Method) from a learning rate, the rates to try and
// its budget.
type Candidate struct {
	// Name labels the method in tables, figures and progress lines.
	Name string
	// Key is a short identifier for files and flags (e.g. "hig"); empty
	// means Name.
	Key string
	// New returns a fresh optimizer with learning rate lr.
	New func(lr float64) (optim.Method, error)
	// Grid lists the learning rates tried; a single rate skips tuning.
	Grid []float64
	// Steps is the method's step budget; zero means Study.Settings.Steps.
	// Under a wall-clock budget (Settings.Duration) it must be zero. A
	// method whose step costs less may get more steps for the same time.
	Steps int
	// TuneSteps is the method's step budget in learning-rate search runs;
	// zero means Steps (or Study.Settings.Steps). Under a wall-clock
	// budget it must be zero.
	TuneSteps int
	// BatchSize is the method's mini-batch size; zero means
	// Study.Settings.BatchSize (e.g. the paper gives Adam b = 512 and HIG
	// b = 128 in its oscillator experiment).
	BatchSize int
}

// Study is a fair comparison of Methods on the problem that Build returns
// for a seed.
type Study struct {
	// Build returns the problem instance of a seed; the same seed must give
	// the same problem, so that every method starts from the same network
	// and sees the same samples.
	Build   func(seed uint64) (*Problem, error)
	Methods []Candidate
	// Seeds are the evaluation seeds; zero length means 1 … 5.
	Seeds []uint64
	// TuneSeeds are the seeds of the learning-rate search; zero length
	// means 1001 … 1003. They must differ from Seeds, so that the reported
	// losses are not those the rates were selected on.
	TuneSeeds []uint64
	// Settings are the training settings of every run; Seed is replaced by
	// the run's seed and Recorder is added to the study's own recorders.
	Settings train.Settings
	// Tune, if not nil, adjusts the settings of a tuning run (e.g. a
	// shorter wall-clock budget); nil gives tuning runs the settings of the
	// evaluation runs.
	Tune func(*train.Settings)
	// Observe, if not nil, returns an extra recorder for one run (e.g. live
	// progress while it trains), or nil.
	Observe func(m Candidate, lr float64, seed uint64, tuning bool) train.Recorder
	// Track is the validation sample whose output path is recorded.
	Track int
	// Below, if > 0, is a stopping rule: a run ends at its first record
	// whose validation loss is at or below it, with status
	// train.LossThreshold (see train.Validation.Below); zero means every
	// run spends its whole budget.
	Below float64
	// Records, if positive, makes every run with a step budget record
	// about Records times (RecordEvery = max(1, steps/Records) for its
	// own budget), so that methods with different step budgets record
	// alike; zero leaves Settings.RecordEvery as it is.
	Records int
	// Progress, if not nil, receives one line per finished run.
	Progress func(line string)
}

// Run is one training run of a study.
type Run struct {
	Method    string // the method's Name
	Key       string // the method's Key (its Name if that is empty)
	Seed      uint64
	LearnRate float64
	Tuning    bool // a learning-rate search run
	Result    *train.Result
	Err       error // why training stopped early (e.g. divergence), or nil

	Validation train.Validation
	Saturation train.Saturation
	Track      train.Track
}

// FinalLoss returns the validation loss at the end of the run, or +Inf if
// the run did not finish (it diverged).
func (r *Run) FinalLoss() float64 {
	if r.Err != nil {
		return math.Inf(1)
	}
	return r.Validation.Loss.Last()
}

// Outcome is what a study produced.
type Outcome struct {
	Methods []string // names, in the order of Study.Methods
	Seeds   []uint64
	// Best is the chosen learning rate per method.
	Best []float64
	// Runs holds the evaluation runs per method, in Seeds order.
	Runs [][]*Run
	// Tuning holds the learning-rate search runs per method, grid-major.
	Tuning [][]*Run
	// Notes lists what a reader should know about the tuning, e.g. rates
	// chosen at the edge of their grid.
	Notes []string
}

func (s *Study) defaults() {
	if len(s.Seeds) == 0 {
		s.Seeds = []uint64{1, 2, 3, 4, 5}
	}
	if len(s.TuneSeeds) == 0 {
		s.TuneSeeds = []uint64{1001, 1002, 1003}
	}
}

// Validate checks the study's settings before anything runs.
func (s *Study) Validate() error {
	s.defaults()
	if s.Build == nil {
		return errors.New("experiment: no problem builder (Study.Build)")
	}
	if len(s.Methods) == 0 {
		return errors.New("experiment: no methods")
	}
	names := map[string]bool{}
	for _, m := range s.Methods {
		if m.Name == "" || m.New == nil {
			return fmt.Errorf("experiment: method %q needs a name and a constructor", m.Name)
		}
		if names[m.Name] {
			return fmt.Errorf("experiment: method %q given twice", m.Name)
		}
		names[m.Name] = true
		if len(m.Grid) == 0 {
			return fmt.Errorf("experiment: no learning rates for %s", m.Name)
		}
		seen := map[float64]bool{}
		for _, lr := range m.Grid {
			if !(lr > 0) || math.IsInf(lr, 0) {
				return fmt.Errorf("experiment: learning rate %v for %s must be a finite number > 0", lr, m.Name)
			}
			if seen[lr] {
				return fmt.Errorf("experiment: learning rate %v for %s given twice", lr, m.Name)
			}
			seen[lr] = true
			if _, err := m.New(lr); err != nil {
				return fmt.Errorf("experiment: %s: %w", m.Name, err)
			}
		}
		if m.Steps < 0 || m.Steps > train.MaxSteps {
			return fmt.Errorf("experiment: %s: step budget %d must lie in 0…%d", m.Name, m.Steps, train.MaxSteps)
		}
		if m.BatchSize < 0 {
			return fmt.Errorf("experiment: %s: batch size %d must not be negative", m.Name, m.BatchSize)
		}
		if m.TuneSteps < 0 || m.TuneSteps > train.MaxSteps {
			return fmt.Errorf("experiment: %s: tuning step budget %d must lie in 0…%d", m.Name, m.TuneSteps, train.MaxSteps)
		}
		if (m.Steps > 0 || m.TuneSteps > 0) && s.Settings.Duration > 0 {
			return fmt.Errorf("experiment: %s has a step budget under a wall-clock budget; give one kind", m.Name)
		}
	}
	for _, l := range [][]uint64{s.Seeds, s.TuneSeeds} {
		if len(l) != len(unique(l)) {
			return fmt.Errorf("experiment: seed list %v repeats a seed", l)
		}
	}
	for _, seed := range s.TuneSeeds {
		if slices.Contains(s.Seeds, seed) {
			return fmt.Errorf("experiment: seed %d is both a tuning and an evaluation seed; they must differ", seed)
		}
	}
	if s.Settings.Steps < 0 || s.Settings.Duration < 0 || s.Records < 0 {
		return errors.New("experiment: the budget must not be negative")
	}
	if !(s.Below >= 0) || math.IsInf(s.Below, 0) {
		return fmt.Errorf("experiment: loss threshold %v must be a finite number ≥ 0", s.Below)
	}
	return nil
}

func unique[T comparable](v []T) []T {
	seen := map[T]bool{}
	var out []T
	for _, x := range v {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// Runs returns how many training runs Run will make.
func (s *Study) Runs() int {
	s.defaults()
	n := 0
	for _, m := range s.Methods {
		if len(m.Grid) > 1 {
			n += len(m.Grid) * len(s.TuneSeeds)
		}
		n += len(s.Seeds)
	}
	return n
}

// Budget returns the budget of method m as text, e.g. "2000 steps".
func (s *Study) Budget(m Candidate) string {
	if s.Settings.Duration > 0 {
		return "wall-clock " + s.Settings.Duration.String()
	}
	return fmt.Sprintf("%d steps", s.steps(m))
}

func (s *Study) steps(m Candidate) int {
	if m.Steps > 0 {
		return m.Steps
	}
	if s.Settings.Steps == 0 && s.Settings.Duration == 0 {
		return 1000 // train's default
	}
	return s.Settings.Steps
}

// Run tunes and runs the study: for each method in turn, the tuning runs
// (grid-major, then by tuning seed) and then the evaluation runs. A run
// that stops early (divergence, a physics map's NaN, a panic in the user's
// map or network) is recorded with its Err and the study goes on. An error
// of set-up (Build, Problem.Validate, a method's constructor) ends the
// study: Run then returns it together with the Outcome of the runs
// finished so far.
func (s *Study) Run() (*Outcome, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	out := &Outcome{Seeds: slices.Clone(s.Seeds), Best: make([]float64, len(s.Methods)),
		Runs: make([][]*Run, len(s.Methods)), Tuning: make([][]*Run, len(s.Methods))}
	for i, m := range s.Methods {
		out.Methods = append(out.Methods, m.Name)
		best := m.Grid[0]
		if len(m.Grid) > 1 {
			bestLoss := math.Inf(1)
			for k, lr := range m.Grid {
				losses := make([]float64, 0, len(s.TuneSeeds))
				for _, seed := range s.TuneSeeds {
					r, err := s.One(m, lr, seed, true)
					if err != nil {
						return out, err
					}
					out.Tuning[i] = append(out.Tuning[i], r)
					losses = append(losses, r.FinalLoss())
				}
				if l := Median(losses); l < bestLoss || k == 0 {
					best, bestLoss = lr, l
				}
			}
			if lo, hi := slices.Min(m.Grid), slices.Max(m.Grid); best == lo || best == hi {
				edge := "largest"
				if best == lo {
					edge = "smallest"
				}
				note := fmt.Sprintf("%s: the chosen learning rate %g is the %s of the grid %v; a wider grid might do better", m.Name, best, edge, m.Grid)
				out.Notes = append(out.Notes, note)
				if s.Progress != nil {
					s.Progress("note: " + note)
				}
			}
		}
		out.Best[i] = best
		for _, seed := range s.Seeds {
			r, err := s.One(m, best, seed, false)
			if err != nil {
				return out, err
			}
			out.Runs[i] = append(out.Runs[i], r)
		}
	}
	return out, nil
}

// One trains method m with learning rate lr on the problem of seed. A run
// that stops early (divergence, a map's NaN, a panic: see train.Train) is
// returned with Err set and Result.Status saying why; errors of set-up (the
// problem, the method, the settings) are returned as error.
func (s *Study) One(m Candidate, lr float64, seed uint64, tuning bool) (*Run, error) {
	p, err := s.Build(seed)
	if err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	opt, err := m.New(lr)
	if err != nil {
		return nil, err
	}
	r := &Run{Method: m.Name, Key: m.Key, Seed: seed, LearnRate: lr, Tuning: tuning}
	if r.Key == "" {
		r.Key = m.Name
	}
	r.Validation = train.Validation{Obj: p.Obj, Data: p.Valid, Below: s.Below}
	r.Saturation = train.Saturation{Obj: p.Obj, Data: p.Valid}
	r.Track = train.Track{Obj: p.Obj, Data: p.Valid, Index: s.Track}
	set := s.Settings
	set.Seed = seed
	if s.Settings.Duration == 0 {
		set.Steps = s.steps(m)
		if tuning && m.TuneSteps > 0 {
			set.Steps = m.TuneSteps
		}
		if s.Records > 0 {
			set.RecordEvery = max(1, set.Steps/s.Records)
		}
	}
	if m.BatchSize > 0 {
		set.BatchSize = m.BatchSize
	}
	if tuning && s.Tune != nil {
		s.Tune(&set)
	}
	var observe train.Recorder
	if s.Observe != nil {
		observe = s.Observe(m, lr, seed, tuning)
	}
	set.Recorder = train.Recorders{&r.Validation, &r.Saturation, &r.Track, s.Settings.Recorder, observe}
	res, err := train.Train(p.Obj, p.Train, p.Params0, opt, &set)
	if res == nil {
		return nil, err
	}
	r.Result, r.Err = res, err
	if s.Progress != nil {
		kind := "seed"
		if tuning {
			kind = "tuning seed"
		}
		msg := fmt.Sprintf("%-12s lr=%-6g %s %d: validation loss %.3g after %d steps in %.1f s",
			m.Name, lr, kind, seed, r.Validation.Loss.Last(), res.Step, res.Seconds)
		if r.Err != nil {
			msg += " (stopped: " + r.Err.Error() + ")"
		} else if res.Status == train.LossThreshold {
			msg += fmt.Sprintf(" (reached the loss threshold %g)", s.Below)
		}
		s.Progress(msg)
	}
	return r, nil
}

// Median returns the median of v: the middle value of the sorted values,
// or the mean of the two middle values for an even count; NaN for none.
// +Inf values (diverged runs) sort last. (gonum's stat.Quantile returns one
// of the two middle values for even counts, not their mean.)
func Median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	v = slices.Clone(v)
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// Median returns the median final loss (see Run.FinalLoss) of method i's
// evaluation runs.
func (o *Outcome) Median(i int) float64 {
	v := make([]float64, len(o.Runs[i]))
	for k, r := range o.Runs[i] {
		v[k] = r.FinalLoss()
	}
	return Median(v)
}

// Index returns the position of the method called name, or −1.
func (o *Outcome) Index(name string) int { return slices.Index(o.Methods, name) }

// Row summarises the evaluation runs of one method.
type Row struct {
	Method           string
	LearnRate        float64
	Median, Min, Max float64 // final validation loss; diverged runs count as +Inf
	Diverged, Runs   int
	Saturated        float64 // median share of saturated hidden activations at the end
	// Steps and Seconds are the medians of the step and training time of
	// each run's final loss (its last record; for a run that stopped early,
	// not the updates it attempted after that).
	Steps, Seconds float64
}

// Rows returns one Row per method.
func (o *Outcome) Rows() []Row {
	rows := make([]Row, len(o.Methods))
	for i, name := range o.Methods {
		var losses, sat, steps, secs []float64
		div := 0
		for _, r := range o.Runs[i] {
			losses = append(losses, r.FinalLoss())
			sat = append(sat, r.Saturation.Saturated.Last())
			steps = append(steps, float64(r.Result.Step))
			secs = append(secs, r.Result.Seconds)
			if r.Err != nil {
				div++
			}
		}
		if len(losses) == 0 { // a study that ended before this method ran
			rows[i] = Row{Method: name, Median: math.NaN(), Min: math.NaN(), Max: math.NaN(), Saturated: math.NaN(), Steps: math.NaN(), Seconds: math.NaN()}
			continue
		}
		rows[i] = Row{Method: name, LearnRate: o.Best[i], Median: Median(losses), Min: slices.Min(losses), Max: slices.Max(losses),
			Diverged: div, Runs: len(o.Runs[i]), Saturated: Median(sat), Steps: Median(steps), Seconds: Median(secs)}
	}
	return rows
}

// TableHeader is the header of the Markdown table Table writes, with a
// first column named first (e.g. "λ") when first is not empty.
func TableHeader(first string) string {
	var b strings.Builder
	cols := []string{"method", "learning rate", "median final loss", "min", "max", "diverged", "saturated (median)", "median steps", "median seconds"}
	if first != "" {
		cols = append([]string{first}, cols...)
	}
	b.WriteString("| " + strings.Join(cols, " | ") + " |\n|")
	for range cols {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	return b.String()
}

// TableRows returns the rows of the Markdown table, each starting with the
// cell first when it is not empty.
func (o *Outcome) TableRows(first string) string {
	var b strings.Builder
	for _, r := range o.Rows() {
		if first != "" {
			fmt.Fprintf(&b, "| %s ", first)
		}
		fmt.Fprintf(&b, "| %s | %g | %.3g | %.3g | %.3g | %d/%d | %.0f %% | %.0f | %.1f |\n",
			r.Method, r.LearnRate, r.Median, r.Min, r.Max, r.Diverged, r.Runs, 100*r.Saturated, r.Steps, r.Seconds)
	}
	return b.String()
}

// Table returns a Markdown table of the evaluation runs, its notes and the
// seeds.
func (o *Outcome) Table() string {
	var b strings.Builder
	b.WriteString(TableHeader(""))
	b.WriteString(o.TableRows(""))
	for _, n := range o.Notes {
		fmt.Fprintf(&b, "\nNote: %s.\n", n)
	}
	fmt.Fprintf(&b, "\nSeeds: %v. Diverged runs count as +Inf.\n", o.Seeds)
	return b.String()
}
