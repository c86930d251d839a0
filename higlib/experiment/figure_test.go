package experiment_test

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
	"github.com/higlab/hig/higlib/train"
)

// outputsStudy is a small study of a problem with d outputs: a 1 → 4 → 2
// network followed by a fixed d × 2 linear map.
func outputsStudy(t *testing.T, d int) experiment.Study {
	return experiment.Study{
		Build: func(seed uint64) (*experiment.Problem, error) {
			rng := rand.New(rand.NewPCG(seed, 1))
			a := make([]float64, 2*d)
			for k := range a {
				a[k] = rng.NormFloat64()
			}
			lin, err := physics.NewLinear(d, 2, a)
			if err != nil {
				return nil, err
			}
			net, err := nn.New([]int{1, 4, 2}, []nn.Activation{nn.Tanh, nn.Identity})
			if err != nil {
				return nil, err
			}
			obj, err := objective.New(net, lin)
			if err != nil {
				return nil, err
			}
			data := func(n int) objective.Data {
				x, y := mat.NewDense(n, 1, nil), mat.NewDense(n, d, nil)
				for i := range n {
					x.Set(i, 0, 2*rng.Float64()-1)
					for k := range d {
						y.Set(i, k, rng.NormFloat64())
					}
				}
				return objective.Data{X: x, Y: y}
			}
			p := &experiment.Problem{Obj: obj, Train: data(16), Valid: data(4), Params0: make([]float64, net.NumParams())}
			net.Init(p.Params0, rng)
			return p, nil
		},
		Methods:  []experiment.Candidate{{Name: "HIG", Grid: []float64{1}, New: func(lr float64) (optim.Method, error) { return optim.HIG(lr), nil }}},
		Seeds:    []uint64{1},
		Settings: train.Settings{Steps: 10, BatchSize: 8},
	}
}

// Figures for outputs of any dimension: one output draws no path, more than
// two draw the pair the caller picks (the first two by default).
func TestFigureForAnyOutputDimension(t *testing.T) {
	for _, d := range []int{1, 2, 16} {
		st := outputsStudy(t, d)
		out, err := st.Run()
		if err != nil {
			t.Fatal(err)
		}
		f := out.Figure(0)
		if _, err := f.Render("png"); err != nil {
			t.Errorf("d = %d: Figure(0): %v", d, err)
		}
		if d == 1 {
			if f.Series[0].Path != nil || f.Target != nil {
				t.Errorf("d = 1: a path or target drawn for a single output")
			}
			continue
		}
		r := out.Runs[0][0]
		a, b := d-1, 0
		g := out.FigureIn(0, a, b)
		if _, err := g.Render("svg"); err != nil {
			t.Errorf("d = %d: FigureIn(0, %d, %d): %v", d, a, b, err)
		}
		tgt := r.Track.Target()
		if len(g.Target) != 2 || g.Target[0] != tgt[a] || g.Target[1] != tgt[b] {
			t.Errorf("d = %d: target %v, want (ŷ_%d, ŷ_%d) = (%v, %v)", d, g.Target, a, b, tgt[a], tgt[b])
		}
		p, ok := g.Series[0].Path.(train.Curve)
		if !ok || p.Len() != len(r.Track.Y) || p.X[3] != r.Track.Y[3][a] || p.Y[3] != r.Track.Y[3][b] {
			t.Errorf("d = %d: path does not follow outputs %d and %d", d, a, b)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("d = %d: FigureIn with output %d did not panic", d, d)
				}
			}()
			out.FigureIn(0, 0, d)
		}()
	}
}
