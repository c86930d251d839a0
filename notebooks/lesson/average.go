package lesson

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/toy"
)

// AveragedHIG is the update the chapter argues against: a half-inverse step
// for each sample of the mini-batch on its own, from its d × P block J_i of
// the stacked Jacobian and its own output error r_i = b·g_i, averaged over
// the b samples,
//
//	Δθ = −η · (1/b) Σᵢ J_i^(−κ) r_i = −η Σᵢ J_i^(−κ) g_i,
//
// where the stacked update (optim.HalfInverse) inverts all rows together,
// Δθ = −η J^(−κ) g. J_i^(−κ) is truncated at τ times J_i's own largest
// singular value (halfinv.Reference).
type AveragedHIG struct {
	LearnRate float64 // η; zero means 1
	Kappa     float64 // κ in (0, 1]; zero means ½
	Tau       float64 // relative threshold; zero means 1e-6
	Dim       int     // d, the outputs per sample; zero means 2 (the toy)
	n         int
}

// Init implements optim.Method.
func (a *AveragedHIG) Init(n int) error {
	if a.LearnRate < 0 || a.Kappa < 0 || a.Kappa > 1 || a.Tau < 0 || a.Dim < 0 {
		return fmt.Errorf("lesson: AveragedHIG needs η, τ ≥ 0, κ ∈ [0, 1] and d ≥ 0, got %+v", *a)
	}
	a.n = n
	return nil
}

// NeedsJacobian implements optim.Method.
func (a *AveragedHIG) NeedsJacobian() bool { return true }

func (a *AveragedHIG) params() (eta float64, p halfinv.Params, d int) {
	eta, p, d = a.LearnRate, halfinv.Params{Kappa: a.Kappa, Tau: a.Tau}, a.Dim
	if eta == 0 {
		eta = 1
	}
	if p.Kappa == 0 {
		p.Kappa = 0.5
	}
	if p.Tau == 0 {
		p.Tau = 1e-6
	}
	if d == 0 {
		d = 2
	}
	return eta, p, d
}

// Step implements optim.Method.
func (a *AveragedHIG) Step(delta []float64, loc *optim.Local) error {
	eta, p, d := a.params()
	dir, err := AveragedDirection(loc.Jac, loc.GradY, d, p)
	if err != nil {
		return err
	}
	for _, v := range dir {
		if math.IsNaN(v) || math.IsInf(eta*v, 0) {
			return optim.ErrOverflow
		}
	}
	floats.ScaleTo(delta, -eta, dir)
	return nil
}

// AveragedDirection returns Σᵢ J_i^(−κ) g_i over the blocks of d rows of the
// stacked Jacobian j and the matching entries of g (see AveragedHIG).
func AveragedDirection(j *mat.Dense, g []float64, d int, p halfinv.Params) ([]float64, error) {
	m, n := j.Dims()
	if d < 1 || m%d != 0 || len(g) != m {
		return nil, fmt.Errorf("lesson: a %d × %d Jacobian and %d outputs do not split into samples of %d", m, n, len(g), d)
	}
	for _, v := range g {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, optim.ErrNotFinite
		}
	}
	sum, di := make([]float64, n), make([]float64, n)
	for i := 0; i < m; i += d {
		if floats.Norm(g[i:i+d], 2) == 0 {
			continue // a sample already at its target adds nothing
		}
		if _, err := halfinv.Reference(di, j.Slice(i, i+d, 0, n), g[i:i+d], p); err != nil {
			if errors.Is(err, halfinv.ErrNotFinite) {
				return nil, optim.ErrNotFinite
			}
			return nil, err
		}
		floats.Add(sum, di)
	}
	return sum, nil
}

// Direction is one step direction d (the step is −η·d) measured as in
// StepQuality: its length, the cosine between J·Δθ and −g, and the lowest
// batch loss along it with the η that reaches it.
type Direction struct {
	Name              string
	D                 []float64
	Norm, OutCos      float64
	BestLoss, BestEta float64
}

// StackedVsAveraged returns, at the initial network of setup and for its
// first batch training samples, the stacked HIG direction J^(−κ) g and the
// averaged one Σᵢ J_i^(−κ) g_i, each measured, the cosine between them, and
// the batch loss before the step.
func StackedVsAveraged(setup *toy.Setup, batch int, kappa, tau float64) (dirs []Direction, cos, loss0 float64, err error) {
	j, g, err := setup.StackedJacobian(batch)
	if err != nil {
		return nil, 0, 0, err
	}
	_, n := j.Dims()
	p := halfinv.Params{Kappa: kappa, Tau: tau}
	stacked := make([]float64, n)
	if _, err := halfinv.Reference(stacked, j, g, p); err != nil {
		return nil, 0, 0, err
	}
	avg, err := AveragedDirection(j, g, setup.Obj.Dim(), p)
	if err != nil {
		return nil, 0, 0, err
	}
	data := firstSamples(setup, batch)
	ws := setup.Obj.NewWorkspace()
	loss0 = setup.Obj.Loss(ws, setup.Params0, data)
	for _, c := range []struct {
		name string
		d    []float64
	}{{"stacked", stacked}, {"averaged", avg}} {
		dir := Direction{Name: c.name, D: c.d, Norm: floats.Norm(c.d, 2)}
		dir.OutCos, dir.BestLoss, dir.BestEta = measure(setup, ws, data, j, g, c.d, loss0)
		dirs = append(dirs, dir)
	}
	if den := dirs[0].Norm * dirs[1].Norm; den > 0 {
		cos = floats.Dot(stacked, avg) / den
	}
	return dirs, cos, loss0, nil
}

// firstSamples returns the first b training samples of setup.
func firstSamples(setup *toy.Setup, b int) objective.Data {
	return objective.Data{X: setup.Train.X.Slice(0, b, 0, setup.Train.X.RawMatrix().Cols).(*mat.Dense),
		Y: setup.Train.Y.Slice(0, b, 0, setup.Train.Y.RawMatrix().Cols).(*mat.Dense)}
}

// measure returns cos∠(J·(−d), −g) and the lowest loss on data along
// θ₀ − η·d over Etas with its η (loss0 and 0 if no η improves on loss0).
func measure(setup *toy.Setup, ws *objective.Workspace, data objective.Data, j *mat.Dense, g, d []float64, loss0 float64) (outCos, best, bestEta float64) {
	m, n := j.Dims()
	jd := make([]float64, m)
	mat.NewVecDense(m, jd).MulVec(j, mat.NewVecDense(n, d))
	if den := floats.Norm(jd, 2) * floats.Norm(g, 2); den > 0 {
		outCos = floats.Dot(jd, g) / den
	}
	best = loss0
	theta := make([]float64, n)
	for _, eta := range Etas {
		floats.AddScaledTo(theta, setup.Params0, -eta, d)
		if l := setup.Obj.Loss(ws, theta, data); l < best {
			best, bestEta = l, eta
		}
	}
	return outCos, best, bestEta
}

// Trained is one method at one learning rate, trained on several seeds.
type Trained struct {
	Name    string
	Rate    float64
	Finals  []float64 // final validation loss per seed (+Inf if diverged)
	Median  float64
	Seconds float64 // mean seconds per run
}

// TrainMethods trains every method at every rate on every seed with the
// toy settings cfg (its Seed is replaced); progress, if not nil, receives
// one line per (method, rate).
func TrainMethods(cfg toy.Config, methods []experiment.Candidate, rates []float64, seeds []uint64, progress func(string)) ([]Trained, error) {
	var out []Trained
	for _, m := range methods {
		for _, lr := range rates {
			t := Trained{Name: m.Name, Rate: lr}
			for _, s := range seeds {
				c := cfg
				c.Seed = s
				setup, err := toy.NewSetup(c)
				if err != nil {
					return nil, err
				}
				run, err := setup.RunMethod(m, lr, nil)
				if err != nil {
					return nil, err
				}
				t.Finals = append(t.Finals, run.FinalLoss())
				t.Seconds += run.Result.Stats.Runtime.Seconds() / float64(len(seeds))
			}
			t.Median = experiment.Median(t.Finals)
			if progress != nil {
				progress(fmt.Sprintf("%-12s η = %-4g final losses %.3g, median %.3g (%.2f s per run)", m.Name, lr, t.Finals, t.Median, t.Seconds))
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// BestTrained returns the entry of the named method with the lowest median
// (the first on ties; Median +Inf if there is none).
func BestTrained(ts []Trained, name string) Trained {
	best := Trained{Name: name, Median: math.Inf(1)}
	for _, t := range ts {
		if t.Name == name && t.Median < best.Median {
			best = t
		}
	}
	return best
}
