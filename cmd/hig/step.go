package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/toy"
)

const stepSynopsis = `Builds the toy problem for a seed and λ, takes the first -batch training
samples as the mini-batch, and prints one update of the chosen method from the
initial parameters as JSON:
  params           initial parameters, flat: per layer W (rows = outputs) then b
  x, y_target      the mini-batch inputs and targets
  loss             the batch loss ½‖P(f(x)) − ŷ‖² averaged over the batch
  singular_values  of the stacked Jacobian ∂y/∂θ ((b·2) × 30), decreasing
  update           Δθ, so that the next parameters are params + update`

// stepOutput is the JSON printed by "hig step".
type stepOutput struct {
	Method         string      `json:"method"`
	Seed           uint64      `json:"seed"`
	Lambda         float64     `json:"lambda"`
	Batch          int         `json:"batch"`
	LearnRate      float64     `json:"lr"`
	Kappa          float64     `json:"kappa,omitempty"`
	Tau            float64     `json:"tau,omitempty"`
	Mode           string      `json:"mode,omitempty"`
	Params         []float64   `json:"params"`
	X              []float64   `json:"x"`
	YTarget        [][]float64 `json:"y_target"`
	Loss           float64     `json:"loss"`
	SingularValues []float64   `json:"singular_values"`
	Update         []float64   `json:"update"`
}

func stepCmd(args []string, stdout, _ io.Writer) error {
	fs := newFlags("step", stepSynopsis, stdout)
	method := fs.String("method", "hig", "`method`: adam, gd, gn, hig, or halfinv (the half-inverse step with the exponent -kappa)")
	seed := fs.Uint64("seed", 1, "`seed` of data and initial parameters")
	lambda := fs.Float64("lambda", 0.01, "scale `λ` of the second output")
	batch := fs.Int("batch", 4, "mini-batch `size` b (at most the 1024 training samples)")
	tau := fs.Float64("tau", 1e-6, "truncation `threshold` 0 < τ < 1 relative to the largest singular value (gn, hig, halfinv)")
	kappa := fs.Float64("kappa", 0, "exponent `κ` in (0, 1] of -method halfinv; gn and hig take only their own (1 and ½), which 0 also means")
	lr := fs.Float64("lr", 0, "learning `rate` > 0; 0 means the method's default (adam 0.001, gd 0.01, gn, hig and halfinv 1)")
	modeFlag := fs.String("mode", "truncate", "what becomes of small singular values (gn, hig, halfinv): truncate or clamp")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *batch < 1 || *batch > 1024 {
		return usagef("-batch %d must lie in 1…1024", *batch)
	}
	if err := checkTau(*tau); err != nil {
		return err
	}
	if *lambda == 0 || math.IsNaN(*lambda) || math.IsInf(*lambda, 0) {
		return usagef("-lambda %v: λ must be a finite non-zero number (λ = 0 removes the second output from the loss)", *lambda)
	}
	if !(*kappa >= 0 && *kappa <= 1) {
		return usagef("-kappa %v must lie in [0, 1] (0 picks the method's own)", *kappa)
	}
	if !(*lr >= 0) || math.IsInf(*lr, 0) {
		return usagef("-lr %v must be a finite number > 0 (or 0 for the default)", *lr)
	}
	mode, err := halfinv.ParseMode(*modeFlag)
	if err != nil {
		return usagef("-mode: %q is not truncate or clamp", *modeFlag)
	}
	tauGiven := false
	fs.Visit(func(f *flag.Flag) { tauGiven = tauGiven || f.Name == "tau" })
	m, err := stepMethod(*method, *lr, *tau, *kappa, mode, tauGiven)
	if err != nil {
		return err
	}
	setup, err := toy.NewSetup(toy.Config{Lambda: *lambda, Seed: *seed, Tau: *tau})
	if err != nil {
		return usagef("%v", err)
	}
	st, err := experiment.FirstStep(setup.Problem(), m, *batch)
	if errors.Is(err, optim.ErrOverflow) {
		if err != optim.ErrOverflow { // the method says why, e.g. Adam's g²
			return fmt.Errorf("-method %s, -lambda %g: %v", *method, *lambda, err)
		}
		return fmt.Errorf("the update overflows: the learning rate %g is too large", learnRate(m))
	}
	if err != nil {
		return err
	}
	res := stepOutput{
		Method: *method, Seed: *seed, Lambda: *lambda, Batch: *batch,
		Params: setup.Params0, Loss: st.Loss, SingularValues: st.SingularValues, Update: st.Update,
	}
	res.LearnRate = learnRate(m)
	if m, ok := m.(*optim.HalfInverse); ok {
		res.Kappa, res.Tau, res.Mode = m.Kappa, m.Tau, m.Mode.String()
	}
	for _, i := range st.Batch {
		res.X = append(res.X, setup.Train.X.At(i, 0))
		res.YTarget = append(res.YTarget, append([]float64(nil), setup.Train.Y.RawRowView(i)...))
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// stepMethod returns the optimizer of "hig step". The exponent κ names the
// method: gn is κ = 1 and hig κ = ½, so a -kappa that differs from the
// method's own is rejected rather than labelled with the wrong name; any
// other κ is -method halfinv.
func stepMethod(name string, lr, tau, kappa float64, mode halfinv.Mode, tauGiven bool) (optim.Method, error) {
	if strings.EqualFold(name, "halfinv") {
		if !(kappa > 0) {
			return nil, usagef("-method halfinv needs -kappa in (0, 1] (hig is κ = ½, gn κ = 1)")
		}
		return &optim.HalfInverse{LearnRate: lr, Kappa: kappa, Tau: tau, Mode: mode}, nil
	}
	spec, err := toy.Spec(name)
	if err != nil {
		return nil, usagef("-method: %q is not adam, gd, gn or hig (or halfinv with -kappa)", name)
	}
	if spec.FirstOrder() {
		if kappa != 0 || mode != halfinv.Truncate || tauGiven {
			return nil, usagef("-kappa, -mode and -tau do not apply to %s: they set the half-inverse step of gn and hig only (or halfinv)", name)
		}
		return spec.New(lr, tau), nil
	}
	switch other := map[float64]string{1: "gn", 0.5: "hig"}[kappa]; {
	case kappa == 0 || kappa == spec.Kappa:
	case other != "":
		return nil, usagef("-method %s -kappa %v is %s, not %s: use -method %s", name, kappa, toy.Label(other), spec.Label, other)
	default:
		return nil, usagef("-method %s is κ = %v; for κ = %v use -method halfinv -kappa %v", name, spec.Kappa, kappa, kappa)
	}
	m := spec.New(lr, tau).(*optim.HalfInverse)
	m.Mode = mode
	return m, nil
}

// learnRate returns the learning rate m uses (after Init, its default when
// none was given).
func learnRate(m optim.Method) float64 {
	switch m := m.(type) {
	case *optim.HalfInverse:
		return m.LearnRate
	case *optim.Adam:
		return m.LearnRate
	case *optim.GradientDescent:
		return m.LearnRate
	}
	return math.NaN()
}
