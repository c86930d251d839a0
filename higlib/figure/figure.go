// Package figure draws recorded training runs as the three-panel figure of
// the Half-Inverse Gradients chapter of the Physics-based Deep Learning
// book: validation loss against wall-clock time on a log scale, the mean
// and standard deviation of the hidden activations ("neuron saturation"),
// to which we add the share of saturated activations as a dashed line, and
// the path of one validation sample in the physics output space with its
// start and target marked.
//
// Figures are rendered to PNG or SVG bytes in memory, so that notebooks
// (gonbui.DisplayPng) and files (figures/*.png) share one code path.
package figure

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/higlab/hig/higlib/train"
)

// Series is one run to draw.
type Series struct {
	Label   string
	Color   color.Color // nil picks from Palette by position
	Records []train.Record
}

// Palette gives the colours of the chapter's figure: Adam blue, Gauss-Newton
// red, HIG purple, then a fourth for anything else.
var Palette = []color.Color{
	color.NRGBA{R: 30, G: 136, B: 229, A: 255},
	color.NRGBA{R: 200, G: 20, B: 60, A: 255},
	color.NRGBA{R: 142, G: 68, B: 173, A: 255},
	color.NRGBA{R: 40, G: 160, B: 90, A: 255},
}

// Axis chooses the horizontal axis of the loss and saturation panels.
type Axis int

const (
	WallClock Axis = iota // seconds of training, recording excluded
	Steps                 // update count
)

// Figure is the chapter's three-panel figure. The zero value of each field
// takes the default its comment gives.
type Figure struct {
	Title  string   // drawn above the panels; empty means none
	Series []Series // the runs
	// Target is ŷ of the tracked sample, drawn as a black dot; nil means
	// no target.
	Target []float64
	// X is the horizontal axis of the first two panels; zero is WallClock.
	X Axis
	// Width and Height of the whole figure; zero means 30 cm × 9 cm.
	Width, Height vg.Length
}

// Validate reports an error if there is nothing sensible to draw.
func (f *Figure) Validate() error {
	if len(f.Series) == 0 {
		return errors.New("figure: no runs to draw")
	}
	for _, s := range f.Series {
		if len(s.Records) == 0 {
			return fmt.Errorf("figure: run %q has no records", s.Label)
		}
		for _, r := range s.Records {
			if len(r.Y) < 2 {
				return fmt.Errorf("figure: run %q records a %d-dimensional output; the trajectory panel needs 2", s.Label, len(r.Y))
			}
		}
	}
	return nil
}

// Plots returns the three panels as gonum/plot plots, for callers that want
// to lay them out themselves.
func (f *Figure) Plots() ([3]*plot.Plot, error) {
	var out [3]*plot.Plot
	if err := f.Validate(); err != nil {
		return out, err
	}
	xlabel := "wall-clock time [s]"
	if f.X == Steps {
		xlabel = "step"
	}
	loss, sat, traj := plot.New(), plot.New(), plot.New()
	loss.Title.Text, sat.Title.Text, traj.Title.Text = "Loss curve", "Neuron saturation (dashed: share saturated)", "Physical trajectory"
	loss.X.Label.Text, sat.X.Label.Text = xlabel, xlabel
	loss.Y.Label.Text, sat.Y.Label.Text = "validation loss", "hidden activation"
	traj.X.Label.Text, traj.Y.Label.Text = "y₁", "y₂"
	loss.Y.Scale = plot.LogScale{}
	loss.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	loss.Legend.Top = true
	loss.Legend.TextStyle.Font.Size = vg.Points(9)
	traj.Legend.TextStyle.Font.Size = vg.Points(9)

	for i, s := range f.Series {
		col := s.Color
		if col == nil {
			col = Palette[i%len(Palette)]
		}
		n := len(s.Records)
		lxy, mxy, band, path := make(plotter.XYs, 0, n), make(plotter.XYs, n), make(plotter.XYs, 2*n), make(plotter.XYs, n)
		sxy := make(plotter.XYs, n)
		for k, r := range s.Records {
			x := r.Seconds
			if f.X == Steps {
				x = float64(r.Step)
			}
			if !math.IsNaN(r.Loss) && !math.IsInf(r.Loss, 0) {
				lxy = append(lxy, plotter.XY{X: x, Y: max(r.Loss, 1e-12)})
			}
			mxy[k] = plotter.XY{X: x, Y: r.ActMean}
			sxy[k] = plotter.XY{X: x, Y: r.Saturated}
			band[k] = plotter.XY{X: x, Y: r.ActMean + r.ActStd}
			band[2*n-1-k] = plotter.XY{X: x, Y: r.ActMean - r.ActStd}
			path[k] = plotter.XY{X: r.Y[0], Y: r.Y[1]}
		}
		if len(lxy) > 0 {
			l, err := plotter.NewLine(lxy)
			if err != nil {
				return out, fmt.Errorf("figure: loss of %q: %w", s.Label, err)
			}
			l.Color, l.Width = col, vg.Points(1.5)
			loss.Add(l)
			loss.Legend.Add(s.Label, l)
		}
		poly, err := plotter.NewPolygon(band)
		if err != nil {
			return out, fmt.Errorf("figure: activation band of %q: %w", s.Label, err)
		}
		r, g, b, _ := col.RGBA()
		poly.Color = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 50}
		poly.LineStyle.Width = 0
		ml, err := plotter.NewLine(mxy)
		if err != nil {
			return out, fmt.Errorf("figure: activation mean of %q: %w", s.Label, err)
		}
		ml.Color, ml.Width = col, vg.Points(1.5)
		sl, err := plotter.NewLine(sxy)
		if err != nil {
			return out, fmt.Errorf("figure: saturated share of %q: %w", s.Label, err)
		}
		sl.Color, sl.Width, sl.Dashes = col, vg.Points(1), []vg.Length{vg.Points(4), vg.Points(3)}
		sat.Add(poly, ml, sl)
		pl, err := plotter.NewLine(path)
		if err != nil {
			return out, fmt.Errorf("figure: trajectory of %q: %w", s.Label, err)
		}
		pl.Color, pl.Width = col, vg.Points(1)
		traj.Add(pl)
	}
	start := f.Series[0].Records[0].Y
	if err := addDot(traj, "start", start, color.Gray{Y: 128}); err != nil {
		return out, err
	}
	if f.Target != nil {
		if err := addDot(traj, "target", f.Target, color.Black); err != nil {
			return out, err
		}
	}
	traj.Legend.Top = true
	f.zoom(traj, start)
	out[0], out[1], out[2] = loss, sat, traj
	return out, nil
}

// zoom sets the trajectory panel's limits to the region that matters: the
// box around the start, the target and where each run ended, widened by
// half its size on every side. Early wild jumps (Gauss-Newton's, typically)
// then leave the panel, since lines are clipped, instead of shrinking the
// rest to a dot.
func (f *Figure) zoom(p *plot.Plot, start []float64) {
	xlo, xhi, ylo, yhi := start[0], start[0], start[1], start[1]
	grow := func(y []float64) {
		if math.IsNaN(y[0]) || math.IsNaN(y[1]) || math.IsInf(y[0], 0) || math.IsInf(y[1], 0) {
			return
		}
		xlo, xhi = min(xlo, y[0]), max(xhi, y[0])
		ylo, yhi = min(ylo, y[1]), max(yhi, y[1])
	}
	if f.Target != nil {
		grow(f.Target)
	}
	for _, s := range f.Series {
		grow(s.Records[len(s.Records)-1].Y)
	}
	padx, pady := max(0.5*(xhi-xlo), 0.1), max(0.5*(yhi-ylo), 0.1)
	p.X.Min, p.X.Max = xlo-padx, xhi+padx
	p.Y.Min, p.Y.Max = ylo-pady, yhi+pady
}

func addDot(p *plot.Plot, label string, y []float64, c color.Color) error {
	s, err := plotter.NewScatter(plotter.XYs{{X: y[0], Y: y[1]}})
	if err != nil {
		return fmt.Errorf("figure: %s point: %w", label, err)
	}
	s.GlyphStyle.Color = c
	s.GlyphStyle.Shape = draw.CircleGlyph{}
	s.GlyphStyle.Radius = vg.Points(4)
	p.Add(s)
	p.Legend.Add(label, s)
	return nil
}

// Render draws the figure and returns it encoded as "png" or "svg".
func (f *Figure) Render(format string) ([]byte, error) {
	plots, err := f.Plots()
	if err != nil {
		return nil, err
	}
	return render(format, f.Width, f.Height, 30*vg.Centimeter, 9*vg.Centimeter, f.Title, plots[:])
}

// render lays plots out side by side under an optional title on a canvas
// of w × h (zero means the defaults dw × dh) and encodes it as "png" or "svg".
func render(format string, w, h, dw, dh vg.Length, title string, plots []*plot.Plot) ([]byte, error) {
	if w == 0 {
		w = dw
	}
	if h == 0 {
		h = dh
	}
	var canvas vg.CanvasWriterTo
	switch format {
	case "png":
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(120), vgimg.UseBackgroundColor(color.White))}
	case "svg":
		canvas = vgsvg.New(w, h)
	default:
		return nil, fmt.Errorf("figure: unknown format %q: use png or svg", format)
	}
	dc := draw.New(canvas)
	if title != "" {
		dc = drawTitle(dc, title)
	}
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Centimeter, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	cells := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(cells[0][i])
	}
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("figure: encoding %s: %w", format, err)
	}
	return buf.Bytes(), nil
}

// drawTitle writes the title at the top of dc and returns the area below it.
func drawTitle(dc draw.Canvas, title string) draw.Canvas {
	sty := plot.New().Title.TextStyle
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	h := sty.Height(title) + vg.Points(6)
	dc.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Points(3)}, title)
	dc.Max.Y -= h
	return dc
}
