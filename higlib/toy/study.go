package toy

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/train"
)

// DefaultGrid is the learning-rate grid searched for each method before the
// comparison: half-decades around each method's usual value, wide enough
// that the chosen rate should not sit on the grid's edge (Study.Run adds a
// note to Outcome.Notes when it does). The half-inverse methods use a
// batch-mean loss, so their output-space gradient carries a factor 1/b and
// η = 1 is the authors' setting, not a full Gauss-Newton step.
var DefaultGrid = map[string][]float64{
	Adam:        {1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1},
	GaussNewton: {0.1, 0.3, 1, 3, 10, 30},
	HIG:         {0.1, 0.3, 1, 3, 10, 30},
	GD:          {1e-2, 3e-2, 1e-1, 3e-1, 1},
}

// Study is the chapter's comparison: for every λ and method, pick the
// learning rate from a grid by the median final validation loss over the
// tuning seeds, then train with that rate on each evaluation seed. The
// tuning seeds differ from the evaluation seeds, so the reported losses are
// not the ones the rates were selected on. Every method gets the same
// budget in computing time (see Config.Steps and Config.FirstOrderSteps) or
// in wall-clock time (Config.Duration).
type Study struct {
	Config            // everything but λ and the seed; see Config
	Lambdas []float64 // zero length means {1, 0.01}
	Methods []string  // zero length means Methods (Adam, Gauss-Newton, HIG)
	Seeds   []uint64  // evaluation seeds; zero length means 1 … 5
	// TuneSeeds are the seeds of the tuning runs; zero length means
	// 1001 … 1003, apart from the evaluation seeds.
	TuneSeeds []uint64
	// Grid holds the learning rates tried per method; a method missing
	// from it uses DefaultGrid. A single rate skips tuning.
	Grid map[string][]float64
	// Progress, if not nil, receives one line per finished run.
	Progress func(line string)
}

// Summary is one row of the study's results: one (λ, method, seed) run.
type Summary struct {
	Lambda      float64 `json:"lambda"`
	Method      string  `json:"method"`
	Seed        uint64  `json:"seed"`
	FinalLoss   float64 `json:"final_loss"` // validation loss at the end (last finite value if diverged)
	Diverged    bool    `json:"diverged"`
	Steps       int     `json:"steps"`
	WallSeconds float64 `json:"wall_seconds"`
	ActMean     float64 `json:"act_mean"`
	ActStd      float64 `json:"act_std"`
	Saturated   float64 `json:"saturated"` // fraction of saturated hidden activations (train.Record.Saturated)
	LearnRate   float64 `json:"learning_rate"`
	Tau         float64 `json:"tau,omitempty"`   // GN and HIG only
	Kappa       float64 `json:"kappa,omitempty"` // GN and HIG only
	BatchSize   int     `json:"batch_size"`
	TrainSize   int     `json:"train_size"`
	ValidSize   int     `json:"valid_size"`
	Budget      string  `json:"budget"`
	Round32     bool    `json:"round32,omitempty"` // Jacobian and ∂L/∂y rounded to float32 before each step
	Tuning      bool    `json:"tuning"`            // a learning-rate search run (on TuneSeed)
}

// Outcome holds everything a study produced.
type Outcome struct {
	Lambdas []float64
	Methods []string
	Seeds   []uint64

	Summaries []Summary
	// Best is the chosen learning rate per λ and method.
	Best map[float64]map[string]float64
	// Runs holds the evaluation runs per λ and method, in Seeds order.
	Runs map[float64]map[string][]*Run
	// Targets holds ŷ of the tracked sample per λ and seed.
	Targets map[float64]map[uint64][]float64
	// Notes lists the tuning results a reader should know about: rates
	// chosen at the edge of their grid.
	Notes []string
}

func (s *Study) defaults() {
	s.Config.defaults()
	if len(s.Lambdas) == 0 {
		s.Lambdas = []float64{1, 0.01}
	}
	if len(s.Methods) == 0 {
		s.Methods = slices.Clone(Methods)
	}
	if len(s.Seeds) == 0 {
		s.Seeds = []uint64{1, 2, 3, 4, 5}
	}
	if len(s.TuneSeeds) == 0 {
		s.TuneSeeds = []uint64{1001, 1002, 1003}
	}
	if s.Tau == 0 {
		s.Tau = 1e-6
	}
}

func (s *Study) grid(method string) []float64 {
	if g, ok := s.Grid[method]; ok && len(g) > 0 {
		return g
	}
	return DefaultGrid[method]
}

// Validate checks the study's settings before anything runs.
func (s *Study) Validate() error {
	s.defaults()
	for _, m := range s.Methods {
		if _, err := NewMethod(m, 1, s.Tau); err != nil {
			return err
		}
		if len(s.grid(m)) == 0 {
			return fmt.Errorf("toy: no learning rates for method %q", m)
		}
		for _, lr := range s.grid(m) {
			if !(lr > 0) || math.IsInf(lr, 0) {
				return fmt.Errorf("toy: learning rate %v for %s must be a finite number > 0", lr, m)
			}
		}
	}
	for _, l := range s.Lambdas {
		if _, err := Objective(l); err != nil {
			return err
		}
	}
	if s.Steps < 0 || s.FirstOrderSteps < 0 || s.Duration < 0 {
		return fmt.Errorf("toy: the budget must not be negative")
	}
	if s.Tau < 0 {
		return fmt.Errorf("toy: τ = %v must not be negative", s.Tau)
	}
	if s.BatchSize > s.TrainSize {
		return fmt.Errorf("toy: batch size %d exceeds the training set (%d samples)", s.BatchSize, s.TrainSize)
	}
	return nil
}

func (s *Study) budget(method string) string {
	if s.Duration > 0 {
		return "wall-clock " + s.Duration.String()
	}
	return fmt.Sprintf("%d steps", s.StepsFor(method))
}

// Run tunes and runs the study.
func (s *Study) Run() (*Outcome, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	out := &Outcome{
		Lambdas: s.Lambdas, Methods: s.Methods, Seeds: s.Seeds,
		Best:    map[float64]map[string]float64{},
		Runs:    map[float64]map[string][]*Run{},
		Targets: map[float64]map[uint64][]float64{},
	}
	for _, lambda := range s.Lambdas {
		out.Best[lambda] = map[string]float64{}
		out.Runs[lambda] = map[string][]*Run{}
		out.Targets[lambda] = map[uint64][]float64{}
		for _, m := range s.Methods {
			best, bestLoss := 0.0, math.Inf(1)
			if g := s.grid(m); len(g) == 1 {
				best = g[0]
			} else {
				for _, lr := range g {
					losses := make([]float64, 0, len(s.TuneSeeds))
					for _, seed := range s.TuneSeeds {
						run, sum, err := s.one(lambda, m, lr, seed, true)
						if err != nil {
							return nil, err
						}
						out.Summaries = append(out.Summaries, sum)
						losses = append(losses, run.FinalLoss())
					}
					if l := median(losses); l < bestLoss || best == 0 {
						best, bestLoss = lr, l
					}
				}
				if lo, hi := slices.Min(g), slices.Max(g); best == lo || best == hi {
					edge := "largest"
					if best == lo {
						edge = "smallest"
					}
					note := fmt.Sprintf("λ = %g, %s: the chosen learning rate %g is the %s of the grid %v; a wider grid might do better", lambda, Label(m), best, edge, g)
					out.Notes = append(out.Notes, note)
					if s.Progress != nil {
						s.Progress("note: " + note)
					}
				}
			}
			out.Best[lambda][m] = best
			for _, seed := range s.Seeds {
				run, sum, err := s.one(lambda, m, best, seed, false)
				if err != nil {
					return nil, err
				}
				out.Summaries = append(out.Summaries, sum)
				out.Runs[lambda][m] = append(out.Runs[lambda][m], run)
			}
		}
		for _, seed := range s.Seeds {
			c := s.Config
			c.Lambda, c.Seed = lambda, seed
			setup, err := NewSetup(c)
			if err != nil {
				return nil, err
			}
			out.Targets[lambda][seed] = setup.TrackedTarget()
		}
	}
	return out, nil
}

func (s *Study) one(lambda float64, method string, lr float64, seed uint64, tuning bool) (*Run, Summary, error) {
	c := s.Config
	c.Lambda, c.Seed = lambda, seed
	setup, err := NewSetup(c)
	if err != nil {
		return nil, Summary{}, err
	}
	run, err := setup.Run(method, lr, nil)
	if err != nil {
		return nil, Summary{}, err
	}
	f := run.Result.Final
	sum := Summary{
		Lambda: lambda, Method: method, Seed: seed, FinalLoss: f.Loss, Diverged: run.Err != nil,
		Steps: run.Result.Steps, WallSeconds: run.Result.Seconds, ActMean: f.ActMean, ActStd: f.ActStd, Saturated: f.Saturated,
		LearnRate: lr, BatchSize: setup.BatchSize, TrainSize: setup.TrainSize, ValidSize: setup.ValidSize,
		Budget: s.budget(method), Tuning: tuning, Round32: s.Round32 && (method == GaussNewton || method == HIG),
	}
	if method == GaussNewton || method == HIG {
		sum.Tau = setup.Tau
		sum.Kappa = 0.5
		if method == GaussNewton {
			sum.Kappa = 1
		}
	}
	if s.Progress != nil {
		kind := "seed"
		if tuning {
			kind = "tuning seed"
		}
		msg := fmt.Sprintf("λ=%-5g %-12s lr=%-6g %s %d: validation loss %.3g after %d steps in %.1f s",
			lambda, Label(method), lr, kind, seed, f.Loss, run.Result.Steps, run.Result.Seconds)
		if run.Err != nil {
			msg += " (stopped: " + run.Err.Error() + ")"
		}
		s.Progress(msg)
	}
	return run, sum, nil
}

// Median returns the median final loss of the evaluation runs of one λ and
// method, or NaN if there are none. Diverged runs count as +Inf.
func (o *Outcome) Median(lambda float64, method string) float64 {
	runs := o.Runs[lambda][method]
	if len(runs) == 0 {
		return math.NaN()
	}
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = r.FinalLoss()
	}
	return median(v)
}

// Figure returns the chapter's three-panel figure for one λ, drawing the
// evaluation runs of the seed at position i of Seeds, in the order of
// Methods (which gives their colours).
func (o *Outcome) Figure(lambda float64, i int) figure.Figure {
	seed := o.Seeds[i]
	f := figure.Figure{
		Title:  fmt.Sprintf("Toy example, λ = %g (seed %d)", lambda, seed),
		Target: o.Targets[lambda][seed],
	}
	for _, m := range o.Methods {
		recs := o.Runs[lambda][m][i].History.Records
		field := func(y func(train.Record) float64) records {
			return records{recs, func(r train.Record) float64 { return r.Seconds }, y}
		}
		f.Series = append(f.Series, figure.Series{
			Label:     Label(m),
			Loss:      field(func(r train.Record) float64 { return r.Loss }),
			Mean:      field(func(r train.Record) float64 { return r.ActMean }),
			Std:       field(func(r train.Record) float64 { return r.ActStd }),
			Saturated: field(func(r train.Record) float64 { return r.Saturated }),
			Path:      records{recs, output(0), output(1)},
		})
	}
	return f
}

// output returns the k-th output of a record, NaN (not drawn) if it has
// fewer outputs.
func output(k int) func(train.Record) float64 {
	return func(r train.Record) float64 {
		if k >= len(r.Y) {
			return math.NaN()
		}
		return r.Y[k]
	}
}

// records presents one pair of fields of training records as the
// (x, y) series figure draws (plotter.XYer).
type records struct {
	recs []train.Record
	x, y func(train.Record) float64
}

func (r records) Len() int                { return len(r.recs) }
func (r records) XY(i int) (x, y float64) { return r.x(r.recs[i]), r.y(r.recs[i]) }

// Table returns a Markdown table of the evaluation runs: per λ and method
// the chosen learning rate, the median, smallest and largest final
// validation loss over the seeds, and the median steps and seconds.
func (o *Outcome) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| λ | method | learning rate | median final loss | min | max | diverged | saturated (median) | median steps | median seconds |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|\n")
	for _, l := range o.Lambdas {
		for _, m := range o.Methods {
			runs := o.Runs[l][m]
			var losses, sat, steps, secs []float64
			div := 0
			for _, r := range runs {
				losses = append(losses, r.FinalLoss())
				sat = append(sat, r.Result.Final.Saturated)
				steps = append(steps, float64(r.Result.Steps))
				secs = append(secs, r.Result.Seconds)
				if r.Err != nil {
					div++
				}
			}
			fmt.Fprintf(&b, "| %g | %s | %g | %.3g | %.3g | %.3g | %d/%d | %.0f %% | %.0f | %.1f |\n",
				l, Label(m), o.Best[l][m], median(losses), slices.Min(losses), slices.Max(losses), div, len(runs), 100*median(sat), median(steps), median(secs))
		}
	}
	for _, n := range o.Notes {
		fmt.Fprintf(&b, "\nNote: %s.\n", n)
	}
	fmt.Fprintf(&b, "\nSeeds: %v. Diverged runs count as +Inf. Saturated: share of hidden activations on the validation set with tanh' < %g (|a| > 0.99) at the end.\n", o.Seeds, train.SaturationSlope)
	return b.String()
}

func median(v []float64) float64 {
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
