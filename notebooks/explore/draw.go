package explore

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/halfinv"
)

// Colours of the methods, as in notebooks 1 and 2.
var (
	colGD   = color.NRGBA{R: 30, G: 136, B: 229, A: 255}
	colGN   = color.NRGBA{R: 200, G: 20, B: 60, A: 255}
	colHIG  = color.NRGBA{R: 142, G: 68, B: 173, A: 255}
	colGrey = color.NRGBA{R: 150, G: 150, B: 150, A: 255}
)

// PNG draws the view as one PNG: (a) the singular values with the cut τ·σ₁,
// those at or below it in grey (and, when clamping, where they are raised
// to); (b) the output change of the first sample of the batch for each step,
// with that sample's target ŷ − y, and in the legend each step's cosine and
// ‖Δθ‖ over the whole batch.
func (v *View) PNG() ([]byte, error) {
	a, err := v.spectrum()
	if err != nil {
		return nil, err
	}
	b, err := v.outputs()
	if err != nil {
		return nil, err
	}
	return figure.Grid{Width: 10 * vg.Inch, Height: 4.6 * vg.Inch}.Render("png", []*plot.Plot{a, b})
}

func (v *View) spectrum() (*plot.Plot, error) {
	s := v.Settings
	cut := s.Tau * v.Sigma[0]
	var kept, small, raised plotter.XYs
	for i, sv := range v.Sigma {
		pt := plotter.XY{X: float64(i + 1), Y: max(sv, 1e-20)}
		if sv > cut {
			kept = append(kept, pt)
		} else {
			small = append(small, pt)
			raised = append(raised, plotter.XY{X: pt.X, Y: cut})
		}
	}
	p := figure.NewPlot(fmt.Sprintf("(a) σᵢ of ∂y/∂θ (%d×%d): %d of %d above τ·σ₁",
		len(v.Target), len(v.Steps[0].DTheta), len(kept), len(v.Sigma)), "index i", "σᵢ")
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks
	p.Y.Min = 1e-20
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	if err := addPoints(p, kept, colHIG, draw.CircleGlyph{}, "kept"); err != nil {
		return nil, err
	}
	if len(small) > 0 {
		label := "discarded (truncate)"
		if s.Mode == halfinv.Clamp {
			label = "at or below τ·σ₁"
		}
		if err := addPoints(p, small, colGrey, draw.CircleGlyph{}, label); err != nil {
			return nil, err
		}
		if s.Mode == halfinv.Clamp {
			if err := addPoints(p, raised, colGN, draw.RingGlyph{}, "used as τ·σ₁ (clamp)"); err != nil {
				return nil, err
			}
		}
	}
	err := addLine(p, plotter.XYs{{X: 1, Y: cut}, {X: float64(len(v.Sigma)), Y: cut}}, colGrey, vg.Points(1),
		fmt.Sprintf("τ·σ₁ = %.1e", cut))
	return p, err
}

func (v *View) outputs() (*plot.Plot, error) {
	b := float64(v.Settings.Batch)
	p := figure.NewPlot(fmt.Sprintf("(b) one step, sample 1, output change × b = %d", v.Settings.Batch), "Δy₁", "Δy₂")
	p.Add(plotter.NewGrid())
	if err := addPoints(p, plotter.XYs{{}}, color.Black, draw.CircleGlyph{}, ""); err != nil {
		return nil, err
	}
	tgt := plotter.XY{X: v.Target[0], Y: v.Target[1]}
	if err := addPoints(p, plotter.XYs{tgt}, color.Black, draw.CrossGlyph{}, "target ŷ − y"); err != nil {
		return nil, err
	}
	p.Legend.Add("") // a gap between the target and the steps
	xlo, xhi, ylo, yhi := min(0, tgt.X), max(0, tgt.X), min(0, tgt.Y), max(0, tgt.Y)
	cols := map[string]color.Color{"GD": colGD, "GN": colGN, "HIG": colHIG}
	for _, st := range v.Steps {
		if st.Eta == 0 {
			continue // no descent: nothing to draw
		}
		name := st.Method
		if name == "HIG" {
			name = fmt.Sprintf("HIG κ=%.2f", v.Settings.Kappa)
		}
		// The same factor b as the target: a full GN step reaches ŷ − y.
		end := plotter.XY{X: b * st.DY[0], Y: b * st.DY[1]}
		xlo, xhi, ylo, yhi = min(xlo, end.X), max(xhi, end.X), min(ylo, end.Y), max(yhi, end.Y)
		label := fmt.Sprintf("%s: cos %.2f, ‖Δθ‖ %.2g", name, st.Cosine, st.Norm)
		if err := addLine(p, plotter.XYs{{}, end}, cols[st.Method], vg.Points(2.5), label); err != nil {
			return nil, err
		}
		if err := addPoints(p, plotter.XYs{end}, cols[st.Method], draw.CircleGlyph{}, ""); err != nil {
			return nil, err
		}
	}
	// Pad the data and leave the top 45 % of the panel to the legend, so
	// that it never covers an arrow or the target.
	padx, pady := max(0.08*(xhi-xlo), 0.05), max(0.08*(yhi-ylo), 0.05)
	p.X.Min, p.X.Max = xlo-padx, xhi+padx
	p.Y.Min, p.Y.Max = ylo-pady, yhi+pady
	p.Y.Max += 0.8 * (p.Y.Max - p.Y.Min)
	p.Legend.Top, p.Legend.Left = true, false
	return p, nil
}

// LossPNG draws the validation loss of recs against the step, on a log scale,
// with the step axis from 0 to steps.
func LossPNG(title string, recs []Record, steps int) ([]byte, error) {
	var pts plotter.XYs
	for _, r := range recs {
		if r.Loss > 0 && !math.IsInf(r.Loss, 0) {
			pts = append(pts, plotter.XY{X: float64(r.Step), Y: r.Loss})
		}
	}
	p := figure.NewPlot(title, "step", "validation loss")
	p.X.Min, p.X.Max = 0, float64(steps)
	p.Add(plotter.NewGrid())
	if len(pts) > 0 {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks
		if err := addLine(p, pts, colHIG, vg.Points(1.5), ""); err != nil {
			return nil, err
		}
	}
	return figure.Grid{Width: 7 * vg.Inch, Height: 4 * vg.Inch}.Render("png", []*plot.Plot{p})
}

func addLine(p *plot.Plot, pts plotter.XYs, c color.Color, width vg.Length, label string) error {
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Color, l.Width = c, width
	p.Add(l)
	if label != "" {
		p.Legend.Add(label, l)
	}
	return nil
}

func addPoints(p *plot.Plot, pts plotter.XYs, c color.Color, shape draw.GlyphDrawer, label string) error {
	s, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(4), Shape: shape}
	p.Add(s)
	if label != "" {
		p.Legend.Add(label, s)
	}
	return nil
}

// logTicks labels every second decade between min and max, or falls back to
// plot.DefaultTicks for ranges shorter than three decades.
var logTicks = plot.TickerFunc(func(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for e := int(math.Floor(math.Log10(min))); e <= int(math.Ceil(math.Log10(max))); e++ {
		if v := math.Pow(10, float64(e)); v >= min && v <= max {
			label := ""
			if e%2 == 0 {
				label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ts = append(ts, plot.Tick{Value: v, Label: label})
		}
	}
	if len(ts) < 3 {
		return plot.DefaultTicks{}.Ticks(min, max)
	}
	return ts
})
