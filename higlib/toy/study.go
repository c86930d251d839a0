package toy

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/train"
)

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
	Methods []string  // method keys (see Specs); zero length means Methods (Adam, Gauss-Newton, HIG)
	Seeds   []uint64  // evaluation seeds; zero length means 1 … 5
	// TuneSeeds are the seeds of the tuning runs; zero length means
	// 1001 … 1003, apart from the evaluation seeds.
	TuneSeeds []uint64
	// Grid holds the learning rates tried per method key; a method missing
	// from it uses its spec's Grid. A single rate skips tuning.
	Grid map[string][]float64
	// Progress, if not nil, receives one line per finished run.
	Progress func(line string)
}

// Summary is one row of the study's results: one (λ, method, seed) run.
type Summary struct {
	Lambda    float64 `json:"lambda"`
	Method    string  `json:"method"`
	Seed      uint64  `json:"seed"`
	FinalLoss float64 `json:"final_loss"` // validation loss at the end (last finite value if diverged)
	Diverged  bool    `json:"diverged"`   // the run stopped early with an error (see Status)
	// Status and Error say why a run stopped before its budget (e.g.
	// "Diverged", "MapNotFinite", "Panicked"); both are empty, and left
	// out of the JSON, for a run that used its whole budget.
	Status      string  `json:"status,omitempty"`
	Error       string  `json:"error,omitempty"`
	Steps       int     `json:"steps"`        // the step of FinalLoss and the final parameters: the last record
	WallSeconds float64 `json:"wall_seconds"` // training time at that step
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
	Methods []string // keys
	Seeds   []uint64

	Summaries []Summary
	// Best is the chosen learning rate per λ and method key.
	Best map[float64]map[string]float64
	// Runs holds the evaluation runs per λ and method key, in Seeds order.
	Runs map[float64]map[string][]*experiment.Run
	// Outcomes holds the experiment outcome of each λ.
	Outcomes map[float64]*experiment.Outcome
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

// experiment returns the study of one λ.
func (s *Study) experiment(lambda float64) (*experiment.Study, error) {
	c := s.Config
	c.Lambda = lambda
	st := &experiment.Study{
		Build: func(seed uint64) (*experiment.Problem, error) {
			c := c
			c.Seed = seed
			setup, err := NewSetup(c)
			if err != nil {
				return nil, err
			}
			return setup.Problem(), nil
		},
		Seeds: s.Seeds, TuneSeeds: s.TuneSeeds, Settings: c.Settings(),
	}
	for _, key := range s.Methods {
		spec, err := Spec(key)
		if err != nil {
			return nil, err
		}
		st.Methods = append(st.Methods, c.Method(spec, s.Grid[spec.Key]))
	}
	if s.Progress != nil {
		st.Progress = func(line string) { s.Progress(fmt.Sprintf("λ=%-5g %s", lambda, line)) }
	}
	return st, nil
}

// Validate checks the study's settings before anything runs.
func (s *Study) Validate() error {
	s.defaults()
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
	for k := range s.Grid {
		if !slices.Contains(s.Methods, k) {
			return fmt.Errorf("toy: learning rates given for %s, which is not among the methods %v", k, s.Methods)
		}
	}
	st, err := s.experiment(s.Lambdas[0])
	if err != nil {
		return err
	}
	if err := st.Validate(); err != nil {
		return err
	}
	return s.checkStart()
}

// checkStart builds the problem of every λ and seed and returns an error
// naming λ if the validation loss at the initial parameters is not finite,
// e.g. for λ = 1e200, where ½(λz₂ − ŷ₂)² overflows: every run would stop
// at its first record, so the study is refused before any training.
func (s *Study) checkStart() error {
	for _, lambda := range s.Lambdas {
		for _, seed := range append(slices.Clone(s.TuneSeeds), s.Seeds...) {
			c := s.Config
			c.Lambda, c.Seed = lambda, seed
			setup, err := NewSetup(c)
			if err != nil {
				return err
			}
			if l := setup.Obj.Loss(setup.Obj.NewWorkspace(), setup.Params0, setup.Valid); math.IsNaN(l) || math.IsInf(l, 0) {
				return fmt.Errorf("toy: λ = %g: the loss at the initial parameters of seed %d is %v: ½(λz₂ − ŷ₂)² overflows float64 once |λz₂| exceeds about 1e154; use a smaller |λ|", lambda, seed, l)
			}
		}
	}
	return nil
}

// Runs returns how many training runs Run makes.
func (s *Study) Runs() int {
	if err := s.Validate(); err != nil {
		return 0
	}
	st, _ := s.experiment(s.Lambdas[0])
	return st.Runs() * len(s.Lambdas)
}

// Run tunes and runs the study.
func (s *Study) Run() (*Outcome, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	out := &Outcome{
		Lambdas: s.Lambdas, Methods: s.Methods, Seeds: s.Seeds,
		Best:     map[float64]map[string]float64{},
		Runs:     map[float64]map[string][]*experiment.Run{},
		Outcomes: map[float64]*experiment.Outcome{},
		Targets:  map[float64]map[uint64][]float64{},
	}
	for _, lambda := range s.Lambdas {
		st, err := s.experiment(lambda)
		if err != nil {
			return nil, err
		}
		res, err := st.Run()
		if err != nil {
			return nil, err
		}
		out.Outcomes[lambda] = res
		out.Best[lambda] = map[string]float64{}
		out.Runs[lambda] = map[string][]*experiment.Run{}
		out.Targets[lambda] = map[uint64][]float64{}
		for i, m := range st.Methods {
			out.Best[lambda][m.Key] = res.Best[i]
			out.Runs[lambda][m.Key] = res.Runs[i]
			for _, r := range res.Tuning[i] {
				out.Summaries = append(out.Summaries, s.summary(lambda, st, m, r))
			}
			for _, r := range res.Runs[i] {
				out.Summaries = append(out.Summaries, s.summary(lambda, st, m, r))
			}
		}
		for _, n := range res.Notes {
			out.Notes = append(out.Notes, fmt.Sprintf("λ = %g, %s", lambda, n))
		}
		for i, seed := range s.Seeds {
			out.Targets[lambda][seed] = res.Runs[0][i].Track.Target()
		}
	}
	return out, nil
}

func (s *Study) summary(lambda float64, st *experiment.Study, m experiment.Candidate, r *experiment.Run) Summary {
	spec, _ := Spec(m.Key)
	sum := Summary{
		Lambda: lambda, Method: m.Key, Seed: r.Seed, FinalLoss: r.Validation.Loss.Last(), Diverged: r.Err != nil,
		Steps: r.Result.Step, WallSeconds: r.Result.Seconds,
		ActMean: r.Saturation.Mean.Last(), ActStd: r.Saturation.Std.Last(), Saturated: r.Saturation.Saturated.Last(),
		LearnRate: r.LearnRate, BatchSize: s.BatchSize, TrainSize: s.TrainSize, ValidSize: s.ValidSize,
		Budget: st.Budget(m), Tuning: r.Tuning, Round32: s.Round32 && !spec.FirstOrder(),
	}
	if !spec.FirstOrder() {
		sum.Tau, sum.Kappa = s.Tau, spec.Kappa
	}
	if st := r.Result.Status; st != train.StepLimit && st != train.TimeLimit {
		sum.Status = st.String()
	}
	if r.Err != nil {
		sum.Error = r.Err.Error()
	}
	return sum
}

// Median returns the median final loss of the evaluation runs of one λ and
// method key, or NaN if there are none. Diverged runs count as +Inf.
func (o *Outcome) Median(lambda float64, key string) float64 {
	runs := o.Runs[lambda][key]
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = r.FinalLoss()
	}
	return experiment.Median(v)
}

// Table returns a Markdown table of the evaluation runs: per λ and method
// the chosen learning rate, the median, smallest and largest final
// validation loss over the seeds, and the median steps and seconds.
func (o *Outcome) Table() string {
	var b strings.Builder
	b.WriteString(experiment.TableHeader("λ"))
	for _, l := range o.Lambdas {
		b.WriteString(o.Outcomes[l].TableRows(fmt.Sprintf("%g", l)))
	}
	for _, n := range o.Notes {
		fmt.Fprintf(&b, "\nNote: %s.\n", n)
	}
	fmt.Fprintf(&b, "\nSeeds: %v. Diverged runs count as +Inf. Saturated: share of hidden activations on the validation set with tanh' < %g (|a| > 0.99) at the end.\n", o.Seeds, train.SaturationSlope)
	return b.String()
}

// Figure returns the chapter's three-panel figure for one λ, drawing the
// evaluation runs of the seed at position i of Seeds, in the order of
// Methods (which gives their colours).
func (o *Outcome) Figure(lambda float64, i int) figure.Figure {
	f := o.Outcomes[lambda].Figure(i)
	f.Title = fmt.Sprintf("Toy example, λ = %g (seed %d)", lambda, o.Seeds[i])
	return f
}
