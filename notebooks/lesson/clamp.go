package lesson

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/higlib/toy"
)

// StepPoint measures one half-inverse direction d = V·diag(φ(σ))·Uᵀ·g of
// notebook 2 (one threshold, one rule) by two yardsticks that favour
// neither rule: what the linearisation promises (the cosine between the
// output change J·d and the direction −g towards the targets) and what the
// nonlinear network delivers (the lowest batch loss along −d over a grid of
// step sizes).
type StepPoint struct {
	Tau  float64
	Mode halfinv.Mode
	Norm float64 // ‖d‖
	Kept int     // singular values σ > τ·σ₁
	// OutCos is cos∠(J·Δθ, −g) for the step Δθ = −d: 1 when every output
	// moves straight towards its target.
	OutCos float64
	// BestLoss is min over η in Etas of the batch loss at θ₀ − η·d, and
	// BestEta the η that reaches it.
	BestLoss, BestEta float64
}

// Etas are the step sizes of the line search in StepQuality: 10⁻⁴ … 10⁴ in
// steps of a quarter decade.
var Etas = func() []float64 {
	var e []float64
	for k := -16; k <= 16; k++ {
		e = append(e, math.Pow(10, float64(k)/4))
	}
	return e
}()

// StepQuality computes, at the initial parameters of setup, the stacked
// Jacobian of its first batch training samples and, for every rule in modes
// and every threshold in taus (in that nesting order), the half-inverse
// direction with exponent kappa and its StepPoint. It also returns the
// batch loss at θ₀, the start of every line search.
func StepQuality(setup *toy.Setup, batch int, kappa float64, taus []float64, modes []halfinv.Mode) ([]StepPoint, float64, error) {
	j, g, err := setup.StackedJacobian(batch)
	if err != nil {
		return nil, 0, err
	}
	m, n := j.Dims()
	var svd mat.SVD
	if !svd.Factorize(j, mat.SVDNone) {
		return nil, 0, fmt.Errorf("lesson: SVD of the %d × %d Jacobian failed", m, n)
	}
	sigma := svd.Values(nil)
	data := firstSamples(setup, batch)
	ws := setup.Obj.NewWorkspace()
	loss0 := setup.Obj.Loss(ws, setup.Params0, data)
	var pts []StepPoint
	for _, mode := range modes {
		for _, tau := range taus {
			d := make([]float64, n)
			if _, err := halfinv.Reference(d, j, g, halfinv.Params{Kappa: kappa, Tau: tau, Mode: mode}); err != nil {
				return nil, 0, err
			}
			p := StepPoint{Tau: tau, Mode: mode, Norm: floats.Norm(d, 2)}
			for _, s := range sigma {
				if s > tau*sigma[0] {
					p.Kept++
				}
			}
			p.OutCos, p.BestLoss, p.BestEta = measure(setup, ws, data, j, g, d, loss0)
			pts = append(pts, p)
		}
	}
	return pts, loss0, nil
}

// StepQualityPNG draws the points against τ: the length ‖d‖, the output
// cosine and the best batch loss along the direction (with loss0, the loss
// before the step, as a dashed line), one line per rule.
func StepQualityPNG(title string, pts []StepPoint, loss0 float64) ([]byte, error) {
	pn := figure.NewPlot("length ‖d‖", "τ", "‖d‖")
	pc := figure.NewPlot("output cosine cos∠(JΔθ, −g)", "τ", "cosine")
	pl := figure.NewPlot("best loss along −d (dashed: start)", "τ", "loss")
	for _, p := range []*plot.Plot{pn, pc, pl} {
		figure.LogAxis(&p.X)
		p.Add(plotter.NewGrid())
	}
	figure.LogAxis(&pn.Y)
	figure.LogAxis(&pl.Y)
	pc.Y.Min, pc.Y.Max = 0, 1.02
	cols := map[halfinv.Mode]color.Color{halfinv.Truncate: figure.Palette[2], halfinv.Clamp: figure.Palette[1]}
	shapes := map[halfinv.Mode]draw.GlyphDrawer{halfinv.Truncate: draw.CircleGlyph{}, halfinv.Clamp: draw.SquareGlyph{}}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, mode := range []halfinv.Mode{halfinv.Truncate, halfinv.Clamp} {
		var xn, xc, xl plotter.XYs
		for _, p := range pts {
			if p.Mode == mode {
				xn = append(xn, plotter.XY{X: p.Tau, Y: p.Norm})
				xc = append(xc, plotter.XY{X: p.Tau, Y: p.OutCos})
				xl = append(xl, plotter.XY{X: p.Tau, Y: p.BestLoss})
				lo, hi = min(lo, p.Tau), max(hi, p.Tau)
			}
		}
		if len(xn) == 0 {
			continue
		}
		for _, d := range []struct {
			p   *plot.Plot
			xys plotter.XYs
		}{{pn, xn}, {pc, xc}, {pl, xl}} {
			l, s, err := plotter.NewLinePoints(d.xys)
			if err != nil {
				return nil, err
			}
			l.Color, l.Width = cols[mode], vg.Points(2)
			s.GlyphStyle = draw.GlyphStyle{Color: cols[mode], Radius: vg.Points(3.5), Shape: shapes[mode]}
			d.p.Add(l, s)
			if d.p == pn {
				d.p.Legend.Add(mode.String(), l, s)
			}
		}
	}
	if lo <= hi {
		if err := addDashed(pl, plotter.XYs{{X: lo, Y: loss0}, {X: hi, Y: loss0}}, ""); err != nil {
			return nil, err
		}
	}
	return figure.Grid{Title: title, Width: 10 * vg.Inch, Height: 4 * vg.Inch}.Render("png", []*plot.Plot{pn, pc, pl})
}

// addDashed adds a grey dashed line, with a legend entry unless label is
// empty.
func addDashed(p *plot.Plot, pts plotter.XYs, label string) error {
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Color, l.Width, l.Dashes = color.Gray{Y: 110}, vg.Points(1.5), []vg.Length{vg.Points(6), vg.Points(4)}
	p.Add(l)
	if label != "" {
		p.Legend.Add(label, l)
	}
	return nil
}
