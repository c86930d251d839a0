// Package figure draws training runs as the three-panel figure of the
// Half-Inverse Gradients chapter of the Physics-based Deep Learning book:
// validation loss on a log scale, the mean and standard deviation of the
// hidden activations ("neuron saturation"), to which we add the share of
// saturated activations as a dashed line (or, with Figure.ShareOwnPanel, in
// a fourth panel on its own axis), and the path of one validation sample in
// the two-dimensional output space with its start and target, with a ring
// where it leaves the panel.
// Scaling draws how a HIG step's cost grows with the batch and the network.
//
// Data comes in through plotter.XYer, so any recorder whose series has
// Len and XY methods can be drawn without this package knowing it; the
// caller names and orders the series, and the i-th is drawn in
// Palette[i % len(Palette)].
//
// Figures never panic: empty series, single points, all-equal values,
// values ≤ 0 on a log axis and NaN or infinite points are drawn as far as
// they can be (bad points are left out and split a line); Render fails
// only when nothing at all can be drawn or the format is unknown.
//
// The pieces are exported for notebooks: Grid and Row lay out and encode
// any gonum plots, NewPlot gives a plot in this package's text sizes,
// LogAxis and Tidy make log axes that cannot panic, and Segments cleans a
// series for drawing.
package figure

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one run to draw. Each field is a series of points; a nil field
// leaves that part out.
type Series struct {
	Label string // legend entry of the loss panel; empty means none

	// Loss holds (x, validation loss) pairs for the loss panel.
	Loss plotter.XYer

	// Mean holds (x, mean hidden activation) pairs. Std holds, at the same
	// indices, (x, standard deviation of the hidden activations); the band
	// mean ± std is drawn where both are present. Saturated holds (x, share
	// of saturated activations), drawn dashed on the same axis.
	Mean, Std, Saturated plotter.XYer

	// Path holds the tracked sample's output (y₁, y₂) over training.
	Path plotter.XYer
}

// Figure is the chapter's three-panel figure. The zero value of each field
// takes the default its comment gives.
type Figure struct {
	Title  string   // drawn above the panels; empty means none
	Series []Series // the runs, coloured by position in Palette

	// XLabel names the x values of Loss, Mean, Std and Saturated; empty
	// means "wall-clock time [s]".
	XLabel string
	// LossTitle, SaturationTitle and PathTitle head the three panels;
	// empty means "Loss curve", "Neuron saturation" and
	// "Physical trajectory".
	LossTitle, SaturationTitle, PathTitle string

	// LossTop caps the loss axis at LossTop times the largest initial
	// (first drawable) loss of the series, so that one run's explosion
	// does not flatten the range where the runs differ; curves above the
	// cap are clipped and a note gives their peak. Zero means 10; +Inf
	// means no cap.
	LossTop float64

	// Target is the tracked sample's target ŷ = (ŷ₁, ŷ₂), drawn as a black
	// dot; nil means no target.
	Target []float64

	// ShareOwnPanel draws the saturated share in a panel of its own, on an
	// axis from 0 to 1, between the activations and the trajectory, instead
	// of dashed on the activation axis (whose scale it does not share).
	ShareOwnPanel bool

	// Width and Height of the whole figure; zero means 10 × 3.8 inches,
	// 1000 × 380 pixels in PNG.
	Width, Height vg.Length
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Plots returns the three panels as gonum plots, for callers that want to
// lay them out themselves (with Grid, for instance), with the saturated
// share in the activation panel whatever ShareOwnPanel says. It fails if
// there is nothing to draw: no series, or no drawable point in any of them
// and no target.
func (f *Figure) Plots() ([3]*plot.Plot, error) {
	var out [3]*plot.Plot
	ps, err := f.panels(false)
	if err != nil {
		return out, err
	}
	copy(out[:], ps)
	return out, nil
}

// Panels returns the figure's panels as Render draws them: three, or four
// with ShareOwnPanel.
func (f *Figure) Panels() ([]*plot.Plot, error) { return f.panels(f.ShareOwnPanel) }

func (f *Figure) panels(ownShare bool) ([]*plot.Plot, error) {
	if len(f.Target) != 0 && len(f.Target) != 2 {
		return nil, fmt.Errorf("figure: target has %d coordinates, want 2", len(f.Target))
	}
	xlabel := orDefault(f.XLabel, "wall-clock time [s]")
	loss := NewPlot(orDefault(f.LossTitle, "Loss curve"), xlabel, "validation loss")
	sat := NewPlot(orDefault(f.SaturationTitle, "Neuron saturation"), xlabel, "hidden activation")
	traj := NewPlot(orDefault(f.PathTitle, "Physical trajectory"), "y₁", "y₂")
	LogAxis(&loss.Y)

	var share *plot.Plot
	if ownShare {
		share = NewPlot("Saturated share", xlabel, "share with tanh' < 0.02")
	}
	drawn := 0
	if err := f.lossPanel(loss, &drawn); err != nil {
		return nil, err
	}
	if err := f.saturationPanel(sat, share, &drawn); err != nil {
		return nil, err
	}
	if err := f.pathPanel(traj, &drawn); err != nil {
		return nil, err
	}
	if drawn == 0 {
		if len(f.Series) == 0 {
			return nil, errors.New("figure: no runs to draw")
		}
		return nil, errors.New("figure: the runs have no drawable points (all empty, NaN or infinite)")
	}
	if share != nil {
		return []*plot.Plot{loss, sat, share, traj}, nil
	}
	return []*plot.Plot{loss, sat, traj}, nil
}

// Render draws the figure and returns it encoded as "png" or "svg".
func (f *Figure) Render(format string) ([]byte, error) {
	plots, err := f.Panels()
	if err != nil {
		return nil, err
	}
	return Grid{Title: f.Title, Width: f.Width, Height: f.Height}.Render(format, plots)
}

// addLines draws the segments as lines, or as a dot where a segment is a
// single point (a line through one point shows nothing), and returns the
// first plotter drawn, for a legend thumbnail.
func addLines(p *plot.Plot, segs []plotter.XYs, sty draw.LineStyle) (plot.Thumbnailer, error) {
	var first plot.Thumbnailer
	for _, s := range segs {
		if len(s) == 1 {
			sc, err := plotter.NewScatter(s)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: sty.Color, Radius: max(sty.Width, vg.Points(1.5)), Shape: draw.CircleGlyph{}}
			p.Add(sc)
			continue
		}
		l, err := plotter.NewLine(s)
		if err != nil {
			return nil, err
		}
		l.LineStyle = sty
		p.Add(l)
		if first == nil {
			first = l
		}
	}
	return first, nil
}

// lossPanel draws the validation losses on a log axis capped at LossTop
// times the largest initial loss.
func (f *Figure) lossPanel(p *plot.Plot, drawn *int) error {
	top := f.LossTop
	if top == 0 {
		top = 10
	}
	var l0 float64 // largest initial loss
	ymin, ymax := math.Inf(1), math.Inf(-1)
	segs := make([][]plotter.XYs, len(f.Series))
	for i, s := range f.Series {
		segs[i] = Segments(s.Loss, false, true)
		for k, sg := range segs[i] {
			if k == 0 {
				l0 = math.Max(l0, sg[0].Y)
			}
			for _, q := range sg {
				ymin, ymax = math.Min(ymin, q.Y), math.Max(ymax, q.Y)
				*drawn++
			}
		}
	}
	for i, s := range f.Series {
		sty := draw.LineStyle{Color: Palette[i%len(Palette)], Width: vg.Points(1.5)}
		if _, err := addLines(p, segs[i], sty); err != nil {
			return fmt.Errorf("figure: loss of %q: %w", s.Label, err)
		}
		if s.Label != "" {
			p.Legend.Add(s.Label, legendLine(sty))
		}
	}
	cap := top * l0
	if l0 == 0 || !(cap < ymax) || math.IsInf(cap, 0) {
		return nil
	}
	p.Y.Min, p.Y.Max = ymin, cap
	// The notes go under the panel title, above the data, so that they
	// never cover a curve.
	for i, s := range f.Series {
		peak := math.Inf(-1)
		for _, sg := range segs[i] {
			for _, q := range sg {
				peak = math.Max(peak, q.Y)
			}
		}
		if peak <= cap {
			continue
		}
		name := s.Label
		if name == "" {
			name = "run " + strconv.Itoa(i+1)
		}
		p.Title.Text += fmt.Sprintf("\n%s off scale: %.2g", name, peak)
	}
	return nil
}

// saturationPanel draws the activations' mean (solid), the band mean ± std
// (its edges, thin and dotted, so that overlapping bands of different runs
// do not mix into a third colour) and the saturated share (dashed), with a
// legend of the three line styles.
//
// With share not nil the saturated share goes there instead, solid, on an
// axis from 0 to 1.
func (f *Figure) saturationPanel(p, share *plot.Plot, drawn *int) error {
	var hasMean, hasBand, hasSat bool
	for i, s := range f.Series {
		col := Palette[i%len(Palette)]
		mean := Segments(s.Mean, false, false)
		if s.Std != nil && s.Mean != nil {
			n := min(s.Mean.Len(), s.Std.Len())
			lo, hi := make(plotter.XYs, n), make(plotter.XYs, n)
			for k := range n {
				x, m := s.Mean.XY(k)
				_, sd := s.Std.XY(k)
				lo[k], hi[k] = plotter.XY{X: x, Y: m - sd}, plotter.XY{X: x, Y: m + sd}
			}
			for _, band := range []plotter.XYs{lo, hi} {
				segs := Segments(band, false, false)
				if _, err := addLines(p, segs, bandStyle(col)); err != nil {
					return fmt.Errorf("figure: activation band of %q: %w", s.Label, err)
				}
				hasBand = hasBand || len(segs) > 0
			}
		}
		if _, err := addLines(p, mean, meanStyle(col)); err != nil {
			return fmt.Errorf("figure: activation mean of %q: %w", s.Label, err)
		}
		satSegs := Segments(s.Saturated, false, false)
		if share != nil {
			if _, err := addLines(share, satSegs, meanStyle(col)); err != nil {
				return fmt.Errorf("figure: saturated share of %q: %w", s.Label, err)
			}
		} else if _, err := addLines(p, satSegs, satStyle(col)); err != nil {
			return fmt.Errorf("figure: saturated share of %q: %w", s.Label, err)
		}
		hasMean, hasSat = hasMean || len(mean) > 0, hasSat || len(satSegs) > 0
		for _, sg := range append(mean, satSegs...) {
			*drawn += len(sg)
		}
	}
	grey := color.Gray{Y: 60}
	if hasMean {
		p.Legend.Add("mean", legendLine(meanStyle(grey)))
	}
	if hasBand {
		p.Legend.Add("mean ± std", legendLine(bandStyle(grey)))
	}
	if hasSat && share == nil {
		p.Legend.Add("share saturated", legendLine(satStyle(grey)))
	}
	if share != nil {
		share.Y.Min, share.Y.Max = 0, 1
	}
	if hasMean || hasBand || hasSat {
		// Leave the top quarter to the legend.
		p.Y.Min, p.Y.Max = linRange(p.Y.Min, p.Y.Max)
		p.Y.Max += (p.Y.Max - p.Y.Min) / 3
	}
	return nil
}

func meanStyle(c color.Color) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: vg.Points(1.5)}
}

func bandStyle(c color.Color) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: vg.Points(0.75), Dashes: []vg.Length{vg.Points(1), vg.Points(1.5)}}
}

func satStyle(c color.Color) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
}

// legendLine is a legend thumbnail drawn as a line in sty.
type legendLine draw.LineStyle

// Thumbnail implements plot.Thumbnailer.
func (l legendLine) Thumbnail(c *draw.Canvas) {
	y := (c.Min.Y + c.Max.Y) / 2
	c.StrokeLine2(draw.LineStyle(l), c.Min.X, y, c.Max.X, y)
}

// pathPanel draws each run's path in output space, the start (the first
// point of the first run that has one) and the target, zoomed as zoom says.
func (f *Figure) pathPanel(p *plot.Plot, drawn *int) error {
	var start []float64
	var ends [][]float64
	all := make([][]plotter.XYs, len(f.Series))
	for i, s := range f.Series {
		segs := Segments(s.Path, false, false)
		all[i] = segs
		if _, err := addLines(p, segs, draw.LineStyle{Color: Palette[i%len(Palette)], Width: vg.Points(1)}); err != nil {
			return fmt.Errorf("figure: trajectory of %q: %w", s.Label, err)
		}
		if len(segs) == 0 {
			continue
		}
		if start == nil {
			start = []float64{segs[0][0].X, segs[0][0].Y}
		}
		last := segs[len(segs)-1]
		ends = append(ends, []float64{last[len(last)-1].X, last[len(last)-1].Y})
		for _, sg := range segs {
			*drawn += len(sg)
		}
	}
	var target []float64
	if len(f.Target) == 2 && drawable(f.Target[0], false) && drawable(f.Target[1], false) {
		target = f.Target
		*drawn++
	}
	for _, d := range []struct {
		label string
		y     []float64
		c     color.Color
	}{{"start", start, color.Gray{Y: 128}}, {"target", target, color.Black}} {
		if d.y == nil {
			continue
		}
		s, err := plotter.NewScatter(plotter.XYs{{X: d.y[0], Y: d.y[1]}})
		if err != nil {
			return fmt.Errorf("figure: %s point: %w", d.label, err)
		}
		s.GlyphStyle = draw.GlyphStyle{Color: d.c, Shape: draw.CircleGlyph{}, Radius: vg.Points(4)}
		p.Add(s)
		p.Legend.Add(d.label, s)
	}
	zoom(p, append(ends, start, target))
	// Mark where a path leaves the zoomed panel (lines are clipped at its
	// edge, so a jump out of it would otherwise look like a corner).
	left := false
	for i, segs := range all {
		var out plotter.XYs
		for _, sg := range segs {
			out = append(out, Exits(sg, p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)...)
		}
		if len(out) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(out)
		if err != nil {
			return fmt.Errorf("figure: exits of %q: %w", f.Series[i].Label, err)
		}
		sc.GlyphStyle = exitStyle(Palette[i%len(Palette)])
		p.Add(sc)
		left = true
	}
	if left {
		sc, _ := plotter.NewScatter(plotter.XYs{{}})
		sc.GlyphStyle = exitStyle(color.Gray{Y: 60})
		p.Legend.Add("leaves the panel", sc)
	}
	return nil
}

func exitStyle(c color.Color) draw.GlyphStyle {
	return draw.GlyphStyle{Color: c, Shape: draw.RingGlyph{}, Radius: vg.Points(4)}
}

// Exits returns the points where the path leaves the box [x0, x1] × [y0, y1]:
// for every step from a point inside (or on the edge) to one outside, the
// point where the step crosses the box's edge.
func Exits(path plotter.XYs, x0, x1, y0, y1 float64) plotter.XYs {
	in := func(q plotter.XY) bool { return q.X >= x0 && q.X <= x1 && q.Y >= y0 && q.Y <= y1 }
	var out plotter.XYs
	for k := 1; k < len(path); k++ {
		a, b := path[k-1], path[k]
		if !in(a) || in(b) {
			continue
		}
		t := 1.0
		for _, e := range []struct{ from, to, edge float64 }{
			{a.X, b.X, x0}, {a.X, b.X, x1}, {a.Y, b.Y, y0}, {a.Y, b.Y, y1}} {
			if d := e.to - e.from; d != 0 {
				if u := (e.edge - e.from) / d; u > 0 && u < t {
					t = u
				}
			}
		}
		out = append(out, plotter.XY{X: a.X + t*(b.X-a.X), Y: a.Y + t*(b.Y-a.Y)})
	}
	return out
}

// zoom sets the trajectory panel's limits to the region that matters: the
// box around the given points (start, target and where each run ended),
// widened by half its size on every side, and by at least 0.1. Early wild
// jumps (Gauss-Newton's, typically) then leave the panel, since lines are
// clipped to it, instead of shrinking the rest to a dot.
func zoom(p *plot.Plot, pts [][]float64) {
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, y := range pts {
		if y == nil {
			continue
		}
		xlo, xhi = min(xlo, y[0]), max(xhi, y[0])
		ylo, yhi = min(ylo, y[1]), max(yhi, y[1])
	}
	if xlo > xhi {
		return // nothing drawn; Tidy gives the empty panel a range
	}
	padx, pady := max(0.5*(xhi-xlo), 0.1), max(0.5*(yhi-ylo), 0.1)
	p.X.Min, p.X.Max = xlo-padx, xhi+padx
	p.Y.Min, p.Y.Max = ylo-pady, yhi+pady
	// Leave room at the top for the legend.
	p.Y.Max += (p.Y.Max - p.Y.Min) / 4
}
