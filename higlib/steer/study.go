package steer

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/train"
)

// Study is the paper's comparison: for every method, pick the learning rate
// from its grid by the median final test loss over the tuning seeds (each
// run with the tuning budget), then train with that rate on every
// evaluation seed with the evaluation budget. By default the budgets are
// step counts (Config.Steps and its relatives; Adam and GD get
// FirstOrderRatio times the steps of Gauss-Newton and HIG), so a study
// gives the same bits on every machine under any load; Config.Duration
// gives every run the same wall-clock time instead, as the paper does.
// Runs execute one at a time, so that under wall-clock budgets no run
// shares the machine with another. The tuning seeds differ from the
// evaluation seeds.
type Study struct {
	Config
	// Methods are method keys (see Specs); zero length means Methods.
	Methods []string
	// Seeds are the evaluation seeds; zero length means 1, 2, 3.
	Seeds []uint64
	// TuneSeeds are the seeds of the learning-rate search; zero length
	// means 1001.
	TuneSeeds []uint64
	// Grid holds the learning rates tried per method key; a method missing
	// from it uses its spec's Grid. A single rate skips tuning.
	Grid map[string][]float64
	// Progress, if not nil, receives one line per finished run and, while
	// a run trains, a line after about every tenth of its budget.
	Progress func(line string)
}

// Summary is one run of the study, as written to
// figures/oscillators_summary.json.
type Summary struct {
	Method        string  `json:"method"`
	Seed          uint64  `json:"seed"`
	FinalTestLoss float64 `json:"final_test_loss"` // batch-mean ½‖x(T) − x₀‖² over the test set; last finite value if diverged
	Diverged      bool    `json:"diverged"`
	Steps         int     `json:"steps"`
	WallSeconds   float64 `json:"wall_seconds"` // training time, recording excluded
	LearnRate     float64 `json:"learning_rate"`
	BatchSize     int     `json:"batch_size"`
	Tau           float64 `json:"tau,omitempty"`   // GN and HIG only
	Kappa         float64 `json:"kappa,omitempty"` // GN and HIG only
	Budget        string  `json:"budget"`          // e.g. "200 steps" or "wall-clock 1m0s"
	// FirstOrderRatio is R: Adam and GD got R times the steps of GN and
	// HIG; zero (and left out) under a wall-clock budget.
	FirstOrderRatio int     `json:"first_order_ratio,omitempty"`
	Saturated       float64 `json:"saturated"` // share of inactive ReLU units over the test set at the end
	// SigmaMax and SigmaMin are the largest and smallest singular values
	// of the stacked Jacobian J (512 × 2956) of the first 128 training
	// samples at the final parameters: the matrix a HIG step would
	// decompose there.
	// Both are zero (and left out of JSON) if J could not be formed.
	SigmaMax  float64 `json:"sigma_max,omitempty"`
	SigmaMin  float64 `json:"sigma_min,omitempty"`
	TrainSize int     `json:"train_size"`
	TestSize  int     `json:"test_size"`
	Tuning    bool    `json:"tuning"`
}

// Outcome holds what a study produced.
type Outcome struct {
	Config
	Methods []string // keys, in the study's order
	Seeds   []uint64
	// Exp is the comparison in the form of package experiment: chosen
	// rates, evaluation and tuning runs (with their recorders), notes.
	Exp *experiment.Outcome
	// Summaries holds the evaluation runs, method-major; Tuning the
	// learning-rate search runs.
	Summaries, Tuning []Summary
}

func (s *Study) defaults() {
	s.Config.defaults()
	if len(s.Methods) == 0 {
		s.Methods = slices.Clone(s.Config.Methods())
	}
	if len(s.Seeds) == 0 {
		s.Seeds = []uint64{1, 2, 3}
	}
	if len(s.TuneSeeds) == 0 {
		s.TuneSeeds = []uint64{1001}
	}
}

// Validate checks the study's settings before anything runs.
func (s *Study) Validate() error {
	if err := s.Config.Validate(); err != nil {
		return err
	}
	s.defaults()
	seen := map[string]bool{}
	for _, k := range s.Methods {
		if _, err := s.Lookup(k); err != nil {
			return err
		}
		if seen[k] {
			return fmt.Errorf("steer: method %s given twice", k)
		}
		seen[k] = true
	}
	for k := range s.Grid {
		if !seen[k] {
			return fmt.Errorf("steer: learning rates given for %s, which is not among the methods %v", k, s.Methods)
		}
	}
	st, err := s.experiment()
	if err != nil {
		return err
	}
	return st.Validate()
}

// Runs returns how many training runs Run makes.
func (s *Study) Runs() int {
	if err := s.Validate(); err != nil {
		return 0
	}
	st, _ := s.experiment()
	return st.Runs()
}

// budget returns the wall-clock budget of tuning or evaluation runs.
func (s *Study) budget(tuning bool) time.Duration {
	if tuning {
		return s.TuneDuration
	}
	return s.Duration
}

// experiment returns the study in package experiment's terms: under step
// budgets every method its own (StepsFor), under a wall-clock budget
// evaluation runs Duration and tuning runs TuneDuration; every run records
// about Records times and, with Progress, reports every tenth of its
// budget. s must have its defaults.
func (s *Study) experiment() (*experiment.Study, error) {
	c := s.Config
	st := &experiment.Study{
		Build: func(seed uint64) (*experiment.Problem, error) {
			setup, err := NewSetup(c, seed)
			if err != nil {
				return nil, err
			}
			return setup.Problem(), nil
		},
		Seeds: s.Seeds, TuneSeeds: s.TuneSeeds,
		Progress: s.Progress,
	}
	if c.Duration == 0 {
		st.Records = c.Records
	} else {
		st.Settings.Duration = c.Duration
		st.Settings.RecordInterval = c.Duration / time.Duration(c.Records)
		st.Tune = func(set *train.Settings) {
			set.Duration = c.TuneDuration
			set.RecordInterval = set.Duration / time.Duration(c.Records)
		}
	}
	if s.Progress != nil {
		st.Observe = s.observe
	}
	for _, key := range s.Methods {
		spec, err := c.Lookup(key)
		if err != nil {
			return nil, err
		}
		grid := s.Grid[key]
		if len(grid) == 0 {
			grid = spec.Grid
		}
		tau := c.Tau
		st.Methods = append(st.Methods, experiment.Candidate{
			Name: spec.Label, Key: spec.Key, Grid: slices.Clone(grid), BatchSize: spec.BatchSize,
			Steps: c.StepsFor(key, false), TuneSteps: c.StepsFor(key, true),
			New: func(lr float64) (optim.Method, error) { return spec.New(lr, tau), nil },
		})
	}
	for _, m := range st.Methods {
		if m.BatchSize > c.TrainSize {
			return nil, fmt.Errorf("steer: %s's batch size %d exceeds the training set (%d samples)", m.Name, m.BatchSize, c.TrainSize)
		}
	}
	return st, nil
}

// Run tunes and runs the study, one run at a time: for each method, its
// tuning runs (grid-major, then by tuning seed), then its evaluation runs.
func (s *Study) Run() (*Outcome, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	st, err := s.experiment()
	if err != nil {
		return nil, err
	}
	exp, err := st.Run()
	if err != nil {
		return nil, err
	}
	out := &Outcome{Config: s.Config, Methods: s.Methods, Seeds: s.Seeds, Exp: exp}
	for i, m := range st.Methods {
		for _, r := range exp.Tuning[i] {
			out.Tuning = append(out.Tuning, s.summary(m, r))
		}
		for _, r := range exp.Runs[i] {
			out.Summaries = append(out.Summaries, s.summary(m, r))
		}
	}
	return out, nil
}

// observe returns a recorder that reports a run's progress about every
// tenth of its budget: of its steps, or of its wall-clock time.
func (s *Study) observe(m experiment.Candidate, lr float64, seed uint64, tuning bool) train.Recorder {
	kind := "seed"
	if tuning {
		kind = "tuning seed"
	}
	every, steps := s.budget(tuning).Seconds()/10, 0
	if s.Duration == 0 {
		steps = s.StepsFor(m.Key, tuning)
		every = float64(steps) / 10
	}
	next := every
	return train.Func(func(loc *train.Location, op train.Operation, _ *train.Stats) error {
		at := loc.Seconds
		if steps > 0 {
			at = float64(loc.Step)
		}
		if op == train.MajorIteration && every > 0 && at >= next && loc.Step != steps {
			for next <= at {
				next += every
			}
			s.Progress(fmt.Sprintf("  %-12s lr=%-6g %s %d: %5.1f s, %d steps, batch loss %.3g",
				m.Name, lr, kind, seed, loc.Seconds, loc.Step, loc.BatchLoss))
		}
		return nil
	})
}

func (s *Study) summary(m experiment.Candidate, r *experiment.Run) Summary {
	spec, _ := s.Lookup(m.Key)
	budget, ratio := fmt.Sprintf("%d steps", s.StepsFor(m.Key, r.Tuning)), s.ratio()
	if s.Preset == PresetBook && spec.FirstOrder() {
		ratio = s.RatioFor(m.Key)
	}
	if s.Duration > 0 {
		budget = "wall-clock " + s.budget(r.Tuning).String()
	}
	sum := Summary{
		Method: m.Key, Seed: r.Seed, FinalTestLoss: r.Validation.Loss.Last(), Diverged: r.Err != nil,
		Steps: r.Result.Step, WallSeconds: r.Result.Seconds,
		LearnRate: r.LearnRate, BatchSize: m.BatchSize, Budget: budget, FirstOrderRatio: ratio,
		Saturated: r.Saturation.Saturated.Last(), TrainSize: s.TrainSize, TestSize: s.TestSize, Tuning: r.Tuning,
	}
	if !spec.FirstOrder() {
		sum.Tau, sum.Kappa = s.Tau, spec.Kappa
	}
	sum.SigmaMax, sum.SigmaMin = s.spectrum(r)
	return sum
}

// spectrumBatch is the batch of the spectrum in Summary: HIG's.
const spectrumBatch = 128

// spectrum returns the largest and smallest singular value of the stacked
// Jacobian of the first spectrumBatch training samples at the run's final
// parameters, or zeros if they cannot be computed.
func (s *Study) spectrum(r *experiment.Run) (hi, lo float64) {
	setup, err := NewSetup(s.Config, r.Seed)
	if err != nil || r.Result == nil {
		return 0, 0
	}
	p := setup.Problem()
	p.Params0 = r.Result.Params
	st, err := experiment.FirstStep(p, optim.HIG(1), min(spectrumBatch, setup.Train.Len()))
	if err != nil || len(st.SingularValues) == 0 {
		return 0, 0
	}
	sv := st.SingularValues
	return sv[0], sv[len(sv)-1]
}

// Index returns the position of the method with key, or −1.
func (o *Outcome) Index(key string) int { return slices.Index(o.Methods, key) }

// Median returns the median final test loss of the evaluation runs of the
// method with key; diverged runs count as +Inf. It is NaN for an unknown
// key.
func (o *Outcome) Median(key string) float64 {
	i := o.Index(key)
	if i < 0 {
		return math.NaN()
	}
	return o.Exp.Median(i)
}

// Table returns a Markdown table of the evaluation runs: per method the
// chosen learning rate, the median, smallest and largest final test loss
// over the seeds, the share of inactive ReLU units and the median steps
// and seconds.
func (o *Outcome) Table() string {
	var b strings.Builder
	b.WriteString(experiment.TableHeader(""))
	b.WriteString(o.Exp.TableRows(""))
	for _, n := range o.Exp.Notes {
		fmt.Fprintf(&b, "\nNote: %s.\n", n)
	}
	budget := o.stepBudgetText(len(o.Tuning) > 0)
	if o.Duration > 0 {
		budget = fmt.Sprintf("%s of training time per evaluation run", o.Duration)
		if len(o.Tuning) > 0 {
			budget += fmt.Sprintf(", %s per tuning run", o.TuneDuration)
		}
		budget += " (wall-clock budgets: the results depend on the machine and its load)"
	}
	sat := "share of hidden ReLU activations on the test set that are inactive (slope 0) at the end"
	if o.Preset == PresetBook {
		sat = fmt.Sprintf("share of hidden tanh activations on the test set with slope below %g at the end", train.SaturationSlope)
	}
	fmt.Fprintf(&b, "\nSeeds: %v; %s; %d training and %d test samples. Loss: test-set mean of ½|x(T) − x₀|² (the book notebook reports Σ|x(T) − x₀|², twice this). Diverged runs count as +Inf. Saturated: %s.\n",
		o.Seeds, budget, o.TrainSize, o.TestSize, sat)
	return b.String()
}

// ratio returns the ratio of first-order to GN/HIG steps of the step
// budgets (FirstOrderRatio by default), or zero under a wall-clock budget
// or when it is not a whole number.
func (c Config) ratio() int {
	c.defaults()
	if c.Duration > 0 || c.Steps < 1 || c.FirstOrderSteps%c.Steps != 0 {
		return 0
	}
	return c.FirstOrderSteps / c.Steps
}

// stepBudgetText describes the step budgets, with those of the tuning runs
// if tuning is set.
func (c Config) stepBudgetText(tuning bool) string {
	c.defaults()
	if c.Preset == PresetBook && c.FirstOrderSteps == 0 {
		t := fmt.Sprintf("step budgets of %d HIG steps per run, %d Adam and %d SIP steps (%d and %d per HIG step: at least their measured step-cost ratios, in the first-order methods' favour)",
			c.Steps, c.StepsFor("adam", false), c.StepsFor("sip", false), BookAdamRatio, BookSIPRatio)
		if tuning {
			t += fmt.Sprintf(", tuning runs %d, %d and %d", c.StepsFor("hig", true), c.StepsFor("adam", true), c.StepsFor("sip", true))
		}
		return t + "; the same bits on any machine (the seconds aside)"
	}
	t := fmt.Sprintf("step budgets of %d steps per run for Gauss-Newton and HIG, %d for Adam and GD", c.Steps, c.FirstOrderSteps)
	if r := c.ratio(); r > 0 {
		t += fmt.Sprintf(" (R = %d Adam steps per HIG step: at least the step-cost ratio measured on any host, in Adam's favour)", r)
	}
	if tuning {
		t += fmt.Sprintf(", tuning runs %d and %d", c.StepsFor("hig", true), c.StepsFor("adam", true))
	}
	return t + "; the same bits on any machine (the seconds aside)"
}
