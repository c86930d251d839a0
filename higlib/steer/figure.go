package steer

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/train"
)

// Before is the colour of the untrained network's trajectory and controls.
var Before = color.NRGBA{R: 150, G: 150, B: 150, A: 255}

// Curve is a trajectory or control signal of one run, for drawing.
type Curve struct {
	Label string
	Color color.Color
	// Dashed draws the curve dashed (the untrained network).
	Dashed bool
	XY     plotter.XYer
}

// Paths holds, for one test sample, the curves of the figure's right and
// lower panels: the controls u(t) and the positions x₁(t) … x_N(t) under
// the untrained network and after each method's training.
type Paths struct {
	Sample   int       // row of the test set
	Start    []float64 // the initial state x₀, which is the target
	T        float64   // the final time
	Controls []Curve
	X        [][]Curve // X[k] holds the curves of oscillator k+1
}

// NewPaths returns the curves of test sample row under the network with
// the initial parameters (drawn dashed in the colour Before) and under
// each of after (one parameter vector per label, drawn in Palette order).
func (s *Setup) NewPaths(row int, labels []string, after [][]float64) (*Paths, error) {
	if row < 0 || row >= s.Test.Len() {
		return nil, fmt.Errorf("steer: test sample %d out of range 0…%d", row, s.Test.Len()-1)
	}
	if len(labels) != len(after) {
		return nil, fmt.Errorf("steer: %d labels for %d parameter vectors", len(labels), len(after))
	}
	x0 := s.Test.X.RawRowView(row)
	n := s.Chain.N()
	p := &Paths{Sample: row, Start: append([]float64(nil), x0...), T: float64(s.Chain.Steps()) * s.Chain.DT(), X: make([][]Curve, n)}
	add := func(label string, c color.Color, dashed bool, params []float64) {
		states, u := s.Trajectory(params, x0)
		dt := s.Chain.DT()
		uc := make(plotter.XYs, len(u))
		for k, v := range u {
			uc[k] = plotter.XY{X: (float64(k) + 0.5) * dt, Y: v}
		}
		p.Controls = append(p.Controls, Curve{Label: label, Color: c, Dashed: dashed, XY: uc})
		w := 2 * n
		for i := 0; i < n; i++ {
			xc := make(plotter.XYs, len(states)/w)
			for k := range xc {
				xc[k] = plotter.XY{X: float64(k) * dt, Y: states[k*w+i]}
			}
			p.X[i] = append(p.X[i], Curve{Label: label, Color: c, Dashed: dashed, XY: xc})
		}
	}
	add("before", Before, true, s.Params0)
	for i, params := range after {
		if len(params) != len(s.Params0) {
			return nil, fmt.Errorf("steer: %s has %d parameters, want %d", labels[i], len(params), len(s.Params0))
		}
		add(labels[i], figure.Palette[i%len(figure.Palette)], false, params)
	}
	return p, nil
}

// Plots returns one panel for the controls and one per oscillator's
// position, each ending at the target x_k(0) (a black dot at t = T).
func (p *Paths) Plots() []*plot.Plot {
	u := figure.NewPlot(fmt.Sprintf("Control u(t), test sample %d", p.Sample), "t", "u")
	drawCurves(u, p.Controls, false, true)
	plots := []*plot.Plot{u}
	for k, cs := range p.X {
		q := figure.NewPlot(fmt.Sprintf("Oscillator %d: x%s(t); target • x%s(0) = %.2f at t = %g", k+1, sub(k+1), sub(k+1), p.Start[k], p.T), "t", "x"+sub(k+1))
		drawCurves(q, cs, false, false)
		if sc, err := plotter.NewScatter(plotter.XYs{{X: p.T, Y: p.Start[k]}}); err == nil {
			sc.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
			q.Add(sc)
		}
		plots = append(plots, q)
	}
	return plots
}

func sub(k int) string {
	const digits = "₀₁₂₃₄₅₆₇₈₉"
	s := fmt.Sprint(k)
	var out []rune
	d := []rune(digits)
	for _, c := range s {
		out = append(out, d[c-'0'])
	}
	return string(out)
}

// drawCurves adds the curves to p, leaving out points that cannot be
// drawn (figure.Segments), and, if legend is set, labels each curve once in
// the legend.
func drawCurves(p *plot.Plot, cs []Curve, logY, legend bool) {
	labelled := map[string]bool{}
	for _, c := range cs {
		for _, seg := range figure.Segments(c.XY, false, logY) {
			l, err := plotter.NewLine(seg)
			if err != nil {
				continue
			}
			l.LineStyle.Color = c.Color
			l.LineStyle.Width = vg.Points(1.4)
			if c.Dashed {
				l.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			}
			p.Add(l)
			if legend && c.Label != "" && !labelled[c.Label] {
				p.Legend.Add(c.Label, l)
				labelled[c.Label] = true
			}
		}
	}
}

// LossPlot returns the panel of test loss against the budget: every
// evaluation run of every method, in the method's colour. Under a
// wall-clock budget the axis is training time; under step budgets it is
// the computing work in units of one Gauss-Newton or HIG step, which is a
// GN or HIG run's step count and a first-order run's step count divided
// by the ratio R of the budgets (FirstOrderRatio), so that curves of equal
// budget end at the same place and the figure is the same on every machine.
func (o *Outcome) LossPlot() *plot.Plot {
	xlabel := "wall-clock training time [s]"
	r := o.Config.ratio()
	if o.Duration == 0 && o.Preset == PresetBook {
		xlabel = "work in HIG steps (first-order steps ÷ their ratio)"
	} else if o.Duration == 0 {
		xlabel = "steps of Gauss-Newton and HIG"
		if r > 0 {
			xlabel = fmt.Sprintf("work in HIG steps (Gauss-Newton, HIG: steps; Adam, GD: steps ÷ %d)", r)
		}
	}
	p := figure.NewPlot("Test loss: mean of ½|x(T) − x₀|² (all seeds)", xlabel, "test loss")
	figure.LogAxis(&p.Y)
	var cs []Curve
	for i, runs := range o.Exp.Runs {
		for _, run := range runs {
			c := lossCurve(run.Validation.Loss, o.Duration == 0)
			if sp, err := o.Lookup(run.Key); o.Duration == 0 && err == nil && sp.FirstOrder() {
				if rk := o.RatioFor(run.Key); rk > 0 {
					for k := range c.X {
						c.X[k] /= float64(rk)
					}
				}
			}
			cs = append(cs, Curve{Label: o.Exp.Methods[i], Color: figure.Palette[i%len(figure.Palette)], XY: c})
		}
	}
	drawCurves(p, cs, true, true)
	return p
}

func lossCurve(s train.Series, bySteps bool) train.Curve {
	if bySteps {
		return s.BySteps()
	}
	return s.BySeconds()
}

// Paths returns the curves of test sample 0 under the network of the
// evaluation seed at position i of Seeds, before and after each method's
// training on that seed.
func (o *Outcome) Paths(i int) (*Paths, error) {
	if i < 0 || i >= len(o.Seeds) {
		return nil, fmt.Errorf("steer: seed position %d out of range", i)
	}
	s, err := NewSetup(o.Config, o.Seeds[i])
	if err != nil {
		return nil, err
	}
	var after [][]float64
	for _, runs := range o.Exp.Runs {
		after = append(after, runs[i].Result.Params)
	}
	return s.NewPaths(0, o.Exp.Methods, after)
}

// Render draws the experiment's figure for the evaluation seed at position
// i of Seeds and returns it encoded as "png" or "svg": the test loss of
// every run against training time, and test sample 0's controls and
// oscillator positions before and after training.
func (o *Outcome) Render(i int, format string) ([]byte, error) {
	paths, err := o.Paths(i)
	if err != nil {
		return nil, err
	}
	plots := append([]*plot.Plot{o.LossPlot()}, paths.Plots()...)
	var rows [][]*plot.Plot
	for k := 0; k < len(plots); k += 2 {
		rows = append(rows, plots[k:min(k+2, len(plots))])
	}
	g := figure.Grid{Title: fmt.Sprintf("Coupled oscillators: %s (trajectories: seed %d)", o.budgetText(), o.Seeds[i]),
		Height: vg.Length(len(rows)) * 4 * vg.Inch}
	return g.Render(format, rows...)
}

func (o *Outcome) budgetText() string {
	if o.Duration == 0 {
		c := o.Config
		c.defaults()
		if c.Preset == PresetBook && c.FirstOrderSteps == 0 {
			return fmt.Sprintf("book set-up, %d HIG, %d Adam, %d SIP steps", c.Steps, c.StepsFor("adam", false), c.StepsFor("sip", false))
		}
		return fmt.Sprintf("%d steps for GN and HIG, %d for Adam and GD", c.Steps, c.FirstOrderSteps)
	}
	return fmt.Sprintf("%s of training per run", o.Duration)
}
