// Package explore computes and draws what notebook 05-explore.ipynb shows
// for one setting of its controls: the singular values of the toy's stacked
// Jacobian with the cut τ·σ₁, and one gradient-descent, Gauss-Newton and HIG
// step from the same parameters, compared in output space. It also runs the
// notebook's short training. The notebook keeps only the widgets.
//
// # Comparing steps in output space
//
// With J the stacked Jacobian ∂y/∂θ of a mini-batch and g = ∂L/∂y the
// gradient of its batch-mean loss with respect to all outputs, each method
// proposes Δθ = −η·d with
//
//	GD:  d = Jᵀ g
//	GN:  d = J⁺ g        (the pseudo-inverse, κ = 1)
//	HIG: d = J^(−κ) g
//
// (J^(−κ) as in package halfinv, truncated or clamped at τ·σ₁; Schnell, Holl
// & Thuerey, ICLR 2022, eq. 5). To compare directions rather than learning
// rates, Steps picks for each method the η for which the linearised loss
// falls by ‖g‖²,
//
//	η·⟨g, J d⟩ = ‖g‖²,
//
// which Gauss-Newton at η = 1 achieves when g lies in the range of J. With
// the batch-mean loss, g = (y − ŷ)/b, so that is 1/b of the full
// Gauss-Newton step −J⁺(y − ŷ); View.PNG therefore draws output changes
// multiplied by b, on the scale of the error ŷ − y. It reports the output change JΔθ, its cosine with −g (1 means
// every output moves straight towards its target) and ‖Δθ‖, how far the
// parameters move for that progress.
package explore

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/toy"
	"github.com/higlab/hig/higlib/train"
)

// Settings are the controls of the explorer. The zero value of a field
// means its default.
type Settings struct {
	// Lambda is λ of the toy's physics y = (z₁, λz₂); zero means 1.
	Lambda float64
	// Tau is the cut relative to the largest singular value; zero means 1e-6.
	Tau float64
	// Kappa is HIG's exponent κ in (0, 1]; zero means ½.
	Kappa float64
	// Batch is the mini-batch size b; zero means 256.
	Batch int
	// Mode discards (Truncate) or clamps the singular values at or below τ·σ₁.
	Mode halfinv.Mode
	// Seed selects the toy's data and initial network (toy.Config.Seed).
	Seed uint64
}

// withDefaults returns s with its zero fields replaced by their defaults.
func (s Settings) withDefaults() Settings {
	if s.Lambda == 0 {
		s.Lambda = 1
	}
	if s.Tau == 0 {
		s.Tau = 1e-6
	}
	if s.Kappa == 0 {
		s.Kappa = 0.5
	}
	if s.Batch == 0 {
		s.Batch = 256
	}
	return s
}

func (s Settings) String() string {
	s = s.withDefaults()
	return fmt.Sprintf("λ = %g, τ = %.0e, κ = %.2f, b = %d, %v", s.Lambda, s.Tau, s.Kappa, s.Batch, s.Mode)
}

// Step is one method's update, scaled as described in the package comment.
type Step struct {
	Method string    // "GD", "GN" or "HIG"
	Eta    float64   // η with η·⟨g, J d⟩ = ‖g‖²; 0 when ⟨g, J d⟩ ≤ 0 (no descent)
	DTheta []float64 // Δθ = −η·d
	DY     []float64 // J·Δθ
	Cosine float64   // cos ∠(J·Δθ, −g)
	Norm   float64   // ‖Δθ‖
}

// Steps returns the GD, GN and HIG steps for the stacked Jacobian j (m × n)
// and the output gradient g (length m), with HIG's κ, τ and mode from s. A
// method whose step does not descend (⟨g, J d⟩ ≤ 0, as when g is orthogonal
// to the range of J) is returned with Eta 0 and zero vectors.
func Steps(j *mat.Dense, g []float64, s Settings) ([]Step, error) {
	s = s.withDefaults()
	m, n := j.Dims()
	if len(g) != m {
		return nil, fmt.Errorf("explore: len(g) = %d, want %d (rows of J)", len(g), m)
	}
	if !(s.Kappa > 0 && s.Kappa <= 1) {
		return nil, fmt.Errorf("explore: κ = %v outside (0, 1]", s.Kappa)
	}
	gd, gn, hig := make([]float64, n), make([]float64, n), make([]float64, n)
	mat.NewVecDense(n, gd).MulVec(j.T(), mat.NewVecDense(m, g))
	if _, err := halfinv.Reference(gn, j, g, halfinv.Params{Kappa: 1, Tau: s.Tau, Mode: s.Mode}); err != nil {
		return nil, err
	}
	if _, err := halfinv.Reference(hig, j, g, halfinv.Params{Kappa: s.Kappa, Tau: s.Tau, Mode: s.Mode}); err != nil {
		return nil, err
	}
	gg := floats.Dot(g, g)
	var steps []Step
	for _, c := range []struct {
		name string
		d    []float64
	}{{"GD", gd}, {"GN", gn}, {"HIG", hig}} {
		st := Step{Method: c.name, DTheta: make([]float64, n), DY: make([]float64, m)}
		jd := make([]float64, m)
		mat.NewVecDense(m, jd).MulVec(j, mat.NewVecDense(n, c.d))
		if down := floats.Dot(g, jd); down > 0 {
			st.Eta = gg / down
			floats.ScaleTo(st.DTheta, -st.Eta, c.d)
			floats.ScaleTo(st.DY, -st.Eta, jd)
			st.Cosine = down / math.Sqrt(gg*floats.Dot(jd, jd))
			st.Norm = floats.Norm(st.DTheta, 2)
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// View is everything the explorer draws for one setting.
type View struct {
	Settings Settings  // with defaults filled in
	Sigma    []float64 // singular values of the stacked Jacobian, decreasing
	Steps    []Step    // GD, GN, HIG
	Target   []float64 // ŷ − y = −b·g for all b samples (length 2b)
}

// Compute builds the toy at the initial parameters for s and returns the
// singular values of the stacked Jacobian of its first s.Batch training
// samples and the three steps (see Steps).
func Compute(s Settings) (*View, error) {
	s = s.withDefaults()
	setup, err := toy.NewSetup(toy.Config{Lambda: s.Lambda, Seed: s.Seed})
	if err != nil {
		return nil, err
	}
	sigma, err := setup.SingularValues(s.Batch)
	if err != nil {
		return nil, err
	}
	j, g, err := setup.StackedJacobian(s.Batch)
	if err != nil {
		return nil, err
	}
	steps, err := Steps(j, g, s)
	if err != nil {
		return nil, err
	}
	// g is the gradient of the batch-mean loss ½‖y − ŷ‖²/b, so ŷ − y = −b·g.
	target := make([]float64, len(g))
	floats.ScaleTo(target, -float64(s.Batch), g)
	return &View{Settings: s, Sigma: sigma, Steps: steps, Target: target}, nil
}

// Kept returns how many singular values lie above τ·σ₁.
func (v *View) Kept() int {
	k := 0
	for _, s := range v.Sigma {
		if s > v.Settings.Tau*v.Sigma[0] {
			k++
		}
	}
	return k
}

// Record is one point of a training run: the validation loss after Step
// steps.
type Record struct {
	Step int
	Loss float64
}

// Train trains HIG with the settings s for steps steps at learning rate lr
// on the toy with batch size s.Batch, recording every 20 steps; record, if
// not nil, sees each record as it is made (for live progress). A run that
// diverges is returned with Err set, as by toy.Setup.RunMethod.
func Train(s Settings, steps int, lr float64, record func(Record)) (*experiment.Run, error) {
	s = s.withDefaults()
	if steps < 1 {
		return nil, errors.New("explore: steps must be positive")
	}
	setup, err := toy.NewSetup(toy.Config{Lambda: s.Lambda, Seed: s.Seed, BatchSize: s.Batch, Steps: steps, RecordEvery: 20})
	if err != nil {
		return nil, err
	}
	var rec train.Recorder
	if record != nil {
		v := &train.Validation{Obj: setup.Obj, Data: setup.Valid}
		rec = train.Recorders{v, train.Func(func(loc *train.Location, op train.Operation, _ *train.Stats) error {
			if op != train.PostIteration {
				record(Record{Step: loc.Step, Loss: v.Loss.Last()})
			}
			return nil
		})}
	}
	m := experiment.Candidate{Name: "HIG", New: func(lr float64) (optim.Method, error) {
		return &optim.HalfInverse{LearnRate: lr, Kappa: s.Kappa, Tau: s.Tau, Mode: s.Mode}, nil
	}}
	return setup.RunMethod(m, lr, rec)
}
