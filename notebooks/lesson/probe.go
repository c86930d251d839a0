package lesson

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/toy"
	"github.com/higlab/hig/higlib/train"
)

// ProbePoint is the state of a run after Step updates, as notebook 3's
// mechanism cell records it.
type ProbePoint struct {
	Step       int
	UpdateNorm float64 // ‖Δθ‖ of the last update (0 at step 0)
	MaxPre     float64 // largest |w·x + c| of a hidden unit over the validation inputs
	Saturated  float64 // share of hidden activations with tanh' < train.SaturationSlope
	Loss       float64 // validation loss
}

// Probe trains method key at rate lr on setup for steps steps (whatever
// setup's own budget) and records a ProbePoint after every step, from step
// 0 on. A run that diverges returns its points up to there.
func Probe(setup *toy.Setup, key string, lr float64, steps int) ([]ProbePoint, error) {
	if steps < 1 {
		return nil, fmt.Errorf("lesson: Probe needs steps ≥ 1, got %d", steps)
	}
	s := *setup
	s.Config.Steps, s.Config.FirstOrderSteps, s.Config.Duration = steps, steps, 0
	s.Config.RecordEvery, s.Config.RecordInterval = 1, 0
	ws := s.Obj.NewWorkspace()
	y := make([]float64, s.Obj.Dim())
	val := &train.Validation{Obj: s.Obj, Data: s.Valid}
	var pts []ProbePoint
	rec := train.Recorders{val, train.Func(func(loc *train.Location, op train.Operation, _ *train.Stats) error {
		if op == train.PostIteration {
			return nil
		}
		p := ProbePoint{Step: loc.Step, UpdateNorm: loc.UpdateNorm, Loss: val.Loss.Last()}
		count, sat := 0, 0
		for i := 0; i < s.Valid.Len(); i++ {
			s.Obj.Predict(y, ws, loc.Params, s.Valid.X.RawRowView(i))
			net, ok := ws.Net().(*nn.Workspace)
			if !ok {
				return fmt.Errorf("lesson: Probe needs an MLP, got %T", ws.Net())
			}
			for l := 1; l <= net.HiddenLayers(); l++ {
				_, slope := net.HiddenLayer(l)
				for k, z := range net.PreActivation(l) {
					p.MaxPre = max(p.MaxPre, math.Abs(z))
					count++
					if slope[k] < train.SaturationSlope {
						sat++
					}
				}
			}
		}
		if count > 0 {
			p.Saturated = float64(sat) / float64(count)
		}
		pts = append(pts, p)
		return nil
	})}
	run, err := s.Run(key, lr, rec)
	if err != nil {
		return nil, err
	}
	_ = run // a diverged run (run.Err) keeps the points recorded so far
	return pts, nil
}

// ProbeSeries is one method's probe, for ProbePNG.
type ProbeSeries struct {
	Label  string
	Key    string // method key, for its colour
	Points []ProbePoint
}

// ProbePNG draws ‖Δθ‖, the largest |pre-activation| and the saturated share
// against the step, one line per series, in three panels.
func ProbePNG(title string, series []ProbeSeries) ([]byte, error) {
	pu := figure.NewPlot("update length ‖Δθ‖", "step", "‖Δθ‖")
	pz := figure.NewPlot("largest |pre-activation| |wx + c|", "step", "max |z|")
	ps := figure.NewPlot("saturated share (tanh' < 0.02)", "step", "share")
	figure.LogAxis(&pu.Y)
	figure.LogAxis(&pz.Y)
	ps.Y.Min, ps.Y.Max = 0, 1.45 // room above 1 for the legend
	ps.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 0.5, Label: "0.5"}, {Value: 1, Label: "1"}})
	for _, p := range []*plot.Plot{pu, pz, ps} {
		p.Add(plotter.NewGrid())
	}
	for _, s := range series {
		var u, z, sat plotter.XYs
		for _, p := range s.Points {
			if p.Step > 0 {
				u = append(u, plotter.XY{X: float64(p.Step), Y: p.UpdateNorm})
			}
			z = append(z, plotter.XY{X: float64(p.Step), Y: p.MaxPre})
			sat = append(sat, plotter.XY{X: float64(p.Step), Y: p.Saturated})
		}
		for _, d := range []struct {
			p   *plot.Plot
			xys plotter.XYs
		}{{pu, u}, {pz, z}, {ps, sat}} {
			for _, seg := range figure.Segments(d.xys, false, d.p != ps) {
				if err := addLine(d.p, seg, methodColour(s.Key), vg.Points(1.8), ""); err != nil {
					return nil, err
				}
			}
		}
		if l, err := plotter.NewLine(plotter.XYs{{}, {}}); err == nil {
			l.Color, l.Width = methodColour(s.Key), vg.Points(3)
			ps.Legend.Add(s.Label, l)
		}
	}
	ps.Legend.Top, ps.Legend.Left = true, true
	return figure.Grid{Title: title, Width: 10 * vg.Inch, Height: 4 * vg.Inch}.Render("png", []*plot.Plot{pu, pz, ps})
}

// ProbeSummary condenses a probe: its first and last points and the largest
// update with its step.
type ProbeSummary struct {
	First, Last   ProbePoint
	MaxUpdate     float64
	MaxUpdateStep int
}

// Summarize returns the summary of pts (the zero summary for none).
func Summarize(pts []ProbePoint) ProbeSummary {
	var s ProbeSummary
	if len(pts) == 0 {
		return s
	}
	s.First, s.Last = pts[0], pts[len(pts)-1]
	for _, p := range pts {
		if p.UpdateNorm > s.MaxUpdate {
			s.MaxUpdate, s.MaxUpdateStep = p.UpdateNorm, p.Step
		}
	}
	return s
}
