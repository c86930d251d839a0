package qcontrol

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/higlab/hig/higlib/dipole"
	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/train"
)

// Before is the colour of the untrained network's controls and state.
var Before = color.NRGBA{R: 150, G: 150, B: 150, A: 255}

// Curve is a control signal or a density of one run, for drawing.
type Curve struct {
	Label string
	Color color.Color
	// Dashed draws the curve dashed (the untrained network).
	Dashed bool
	XY     plotter.XYer
}

// Paths holds, for one test sample, the curves of the figure's control and
// state panels: the controls u(t) and the final density |ψ_j(T)|² over the
// grid under the untrained network and after each method's training, and
// the target's density |ŷ_j|².
type Paths struct {
	Sample   int     // row of the test set
	T        float64 // the final time
	Controls []Curve
	Density  []Curve
	Target   plotter.XYs // |ŷ_j|² at x_j
	// Infidelity holds 1 − |⟨ŷ, ψ(T)⟩|² of each curve, in the order of
	// Controls.
	Infidelity []float64
}

// NewPaths returns the curves of test sample row under the network with
// the initial parameters (drawn dashed in the colour Before) and under
// each of after (one parameter vector per label, drawn in Palette order).
func (s *Setup) NewPaths(row int, labels []string, after [][]float64) (*Paths, error) {
	if row < 0 || row >= s.Test.Len() {
		return nil, fmt.Errorf("qcontrol: test sample %d out of range 0…%d", row, s.Test.Len()-1)
	}
	if len(labels) != len(after) {
		return nil, fmt.Errorf("qcontrol: %d labels for %d parameter vectors", len(labels), len(after))
	}
	target := s.Test.Y.RawRowView(row)
	w := s.Well
	dt, n := w.DT(), w.N()
	p := &Paths{Sample: row, T: float64(w.Steps()) * dt}
	for j, d := range Density(nil, target) {
		p.Target = append(p.Target, plotter.XY{X: w.X(j + 1), Y: d})
	}
	add := func(label string, c color.Color, dashed bool, params []float64) {
		states, u := s.Trajectory(params, s.Test.X.RawRowView(row))
		uc := make(plotter.XYs, len(u))
		for k, v := range u {
			uc[k] = plotter.XY{X: (float64(k) + 0.5) * dt, Y: v}
		}
		p.Controls = append(p.Controls, Curve{Label: label, Color: c, Dashed: dashed, XY: uc})
		final := states[len(states)-2*n:]
		dc := plotter.XYs{{X: 0, Y: 0}}
		for j, d := range Density(nil, final) {
			dc = append(dc, plotter.XY{X: w.X(j + 1), Y: d})
		}
		dc = append(dc, plotter.XY{X: 2, Y: 0})
		p.Density = append(p.Density, Curve{Label: label, Color: c, Dashed: dashed, XY: dc})
		p.Infidelity = append(p.Infidelity, dipole.Infidelity(target, final))
	}
	add("before", Before, true, s.Params0)
	for i, params := range after {
		if len(params) != len(s.Params0) {
			return nil, fmt.Errorf("qcontrol: %s has %d parameters, want %d", labels[i], len(params), len(s.Params0))
		}
		add(labels[i], figure.Palette[i%len(figure.Palette)], false, params)
	}
	return p, nil
}

// Plots returns the panel of the controls and the panel of the final
// densities with the target's (black dots).
func (p *Paths) Plots() []*plot.Plot {
	u := figure.NewPlot(fmt.Sprintf("Control u(t), test sample %d", p.Sample), "t", "u")
	drawCurves(u, p.Controls, false, true)
	d := figure.NewPlot(fmt.Sprintf("|ψ(x, T)|² at T = %.3g; target • |ŷ(x)|²", p.T), "x", "|ψ|²")
	cs := make([]Curve, len(p.Density))
	for i, c := range p.Density {
		cs[i] = c
		cs[i].Label = fmt.Sprintf("%s (1 − F = %.2g)", c.Label, p.Infidelity[i])
	}
	drawCurves(d, cs, false, true)
	if sc, err := plotter.NewScatter(p.Target); err == nil {
		sc.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
		d.Add(sc)
		d.Legend.Add("target", sc)
	}
	return []*plot.Plot{u, d}
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
// the computing work in units of one HIG step: a HIG or Gauss-Newton run's
// step count, and a first-order run's step count divided by the ratio R of
// the budgets (FirstOrderRatio), so that curves of equal budget end at the
// same place and the figure is the same on every machine.
func (o *Outcome) LossPlot() *plot.Plot { return o.lossPlot(o.Duration == 0) }

// SecondsPlot returns the panel of test loss against the training time
// each run took on the machine that ran it (recording excluded): under
// step budgets this is the measured cost of the budgets, which depends on
// the host and its load, unlike LossPlot's axis.
func (o *Outcome) SecondsPlot() *plot.Plot {
	p := o.lossPlot(false)
	if o.Duration == 0 {
		p.Title.Text = "Test loss against measured training time (this machine)"
	}
	return p
}

func (o *Outcome) lossPlot(bySteps bool) *plot.Plot {
	xlabel := "wall-clock training time [s]"
	r := o.Config.ratio()
	if bySteps {
		xlabel = "steps of HIG"
		if r > 0 {
			xlabel = fmt.Sprintf("work in HIG steps (HIG: steps; Adam: steps ÷ %d)", r)
		}
	}
	p := figure.NewPlot("Test loss: mean of 1 − |<ŷ, ψ(T)>|² (all seeds)", xlabel, "test loss")
	figure.LogAxis(&p.Y)
	var cs []Curve
	for i, runs := range o.Exp.Runs {
		for _, run := range runs {
			c := lossCurve(run.Validation.Loss, bySteps)
			if sp, err := Spec(run.Key); bySteps && r > 0 && err == nil && sp.FirstOrder() {
				for k := range c.X {
					c.X[k] /= float64(r)
				}
			}
			cs = append(cs, Curve{Label: o.Exp.Methods[i], Color: figure.Palette[paletteIndex(run.Key)], XY: c})
		}
	}
	drawCurves(p, cs, true, true)
	return p
}

// paletteIndex gives each method the colour of its position in Specs, so
// that Adam is blue and HIG purple whichever methods run.
func paletteIndex(key string) int {
	for i, s := range Specs {
		if s.Key == key {
			return i % len(figure.Palette)
		}
	}
	return len(Specs) % len(figure.Palette)
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
		return nil, fmt.Errorf("qcontrol: seed position %d out of range", i)
	}
	s, err := NewSetup(o.Config, o.Seeds[i])
	if err != nil {
		return nil, err
	}
	var after [][]float64
	for _, runs := range o.Exp.Runs {
		after = append(after, runs[i].Result.Params)
	}
	p, err := s.NewPaths(0, o.Exp.Methods, after)
	if err != nil {
		return nil, err
	}
	for k := range o.Methods {
		c := figure.Palette[paletteIndex(o.Methods[k])]
		p.Controls[k+1].Color, p.Density[k+1].Color = c, c
	}
	return p, nil
}

// Render draws the experiment's figure for the evaluation seed at position
// i of Seeds and returns it encoded as "png" or "svg": the test loss of
// every run against the budget, test sample 0's controls and final density
// before and after training beside the target's, and (under step budgets)
// the test loss against the measured training time.
func (o *Outcome) Render(i int, format string) ([]byte, error) {
	paths, err := o.Paths(i)
	if err != nil {
		return nil, err
	}
	pp := paths.Plots()
	rows := [][]*plot.Plot{{o.LossPlot(), pp[0]}, {pp[1], o.SecondsPlot()}}
	if o.Duration > 0 { // LossPlot is already against seconds
		rows[1] = rows[1][:1]
	}
	g := figure.Grid{Title: fmt.Sprintf("Quantum dipole: %s (controls and state: seed %d)", o.budgetText(), o.Seeds[i]),
		Height: 8 * vg.Inch}
	return g.Render(format, rows...)
}

func (o *Outcome) budgetText() string {
	if o.Duration == 0 {
		c := o.Config
		c.defaults()
		return fmt.Sprintf("%d steps per HIG run, %d per Adam run", c.Steps, c.FirstOrderSteps)
	}
	return fmt.Sprintf("%s of training per run", o.Duration)
}
