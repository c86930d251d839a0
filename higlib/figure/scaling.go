package figure

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ScalingPoint is the measured cost of one HIG step shape: a mini-batch of
// Batch samples with Dim physics outputs each (so the stacked Jacobian is
// m×n with m = Batch·Dim, n = Params), and the median wall-clock seconds of
// the stacked Jacobian (objective.Eval), the decomposition alone
// (halfinv.Solver.Solve) and the whole step (Eval plus the HIG update).
type ScalingPoint struct {
	Batch    int     `json:"batch"`
	Dim      int     `json:"dim"`
	Params   int     `json:"params"`
	Hidden   int     `json:"hidden,omitempty"`
	Jacobian float64 `json:"jacobian_seconds"`
	Solve    float64 `json:"solve_seconds"`
	Step     float64 `json:"step_seconds"`
}

// Rows returns m = Batch·Dim, the number of rows of the stacked Jacobian.
func (p ScalingPoint) Rows() int { return p.Batch * p.Dim }

// Scaling is the two-panel figure of how a HIG step's cost grows: against
// the batch size at a fixed network (ByBatch) and against the parameter
// count at a fixed batch (ByParams). Beside the measurements it draws the
// expected growth as dashed curves through the largest measured point:
// m·n·min(m, n) for the decomposition, the flop count of Householder
// bidiagonalisation of an m×n matrix (Golub & Van Loan, Matrix
// Computations, 4th ed., Sec. 5.4.8 and 8.6.3), and m·n = b·d·P for the
// Jacobian, which one backward pass per output row fills (Griewank &
// Walther, Evaluating Derivatives, 2nd ed., Sec. 3.2).
type Scaling struct {
	ByBatch, ByParams []ScalingPoint
	// ByBatchTitle and ByParamsTitle head the two panels; empty means
	// "(a) toy network, P = …" and "(b) 4→H→H→H→96, b = …" with the
	// parameter count and batch of the sweep's first point.
	ByBatchTitle, ByParamsTitle string
	// Width and Height of the whole figure; zero means 10 × 4.2 inches.
	Width, Height vg.Length
}

// decompCost is the expected growth m·n·min(m, n) of the decomposition.
func decompCost(p ScalingPoint) float64 {
	m, n := float64(p.Rows()), float64(p.Params)
	return m * n * math.Min(m, n)
}

// jacCost is the expected growth b·d·P of the stacked Jacobian.
func jacCost(p ScalingPoint) float64 { return float64(p.Rows()) * float64(p.Params) }

// Validate reports an error if neither sweep has a point that can be
// drawn: one with a positive shape and at least one finite time > 0.
// Points that cannot be drawn, and single times that are NaN, infinite or
// not positive, are left out of the figure; a sweep with fewer than two
// distinct sizes has no slope.
func (s *Scaling) Validate() error {
	for _, pts := range [][]ScalingPoint{s.ByBatch, s.ByParams} {
		for _, p := range pts {
			if p.Batch <= 0 || p.Dim <= 0 || p.Params <= 0 {
				continue
			}
			for _, t := range []float64{p.Jacobian, p.Solve, p.Step} {
				if drawable(t, true) {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("figure: no drawable scaling point (%d batch and %d parameter points, none with a positive shape and a finite time > 0)", len(s.ByBatch), len(s.ByParams))
}

// Slope returns the least-squares slope of log y against log x over the
// points of pts where both are finite and positive, the measured exponent
// of a power law y ∝ x^k. It is NaN when those points have fewer than two
// distinct x.
func Slope(pts []ScalingPoint, x, y func(ScalingPoint) float64) float64 {
	var sx, sy, sxx, sxy, n float64
	for _, p := range pts {
		xv, yv := x(p), y(p)
		if !drawable(xv, true) || !drawable(yv, true) {
			continue
		}
		lx, ly := math.Log(xv), math.Log(yv)
		sx += lx
		sy += ly
		sxx += lx * lx
		sxy += lx * ly
		n++
	}
	d := n*sxx - sx*sx
	if n < 2 || !(d > 1e-12*n*sxx) {
		return math.NaN()
	}
	return (n*sxy - sx*sy) / d
}

// Plots returns the two panels without drawing them.
func (s *Scaling) Plots() ([2]*plot.Plot, error) {
	if err := s.Validate(); err != nil {
		return [2]*plot.Plot{}, err
	}
	batch := func(p ScalingPoint) float64 { return float64(p.Batch) }
	params := func(p ScalingPoint) float64 { return float64(p.Params) }
	ta, tb := s.ByBatchTitle, s.ByParamsTitle
	if ta == "" {
		ta = "(a) toy network"
		if len(s.ByBatch) > 0 {
			ta += ", P = " + fmt.Sprint(s.ByBatch[0].Params)
		}
	}
	if tb == "" {
		tb = "(b) 4→H→H→H→96"
		if len(s.ByParams) > 0 {
			tb += ", b = " + fmt.Sprint(s.ByParams[0].Batch)
		}
	}
	a, err := scalingPanel(s.ByBatch, batch, "batch size b", ta)
	if err != nil {
		return [2]*plot.Plot{}, err
	}
	b, err := scalingPanel(s.ByParams, params, "parameters P", tb)
	if err != nil {
		return [2]*plot.Plot{}, err
	}
	return [2]*plot.Plot{a, b}, nil
}

// slopeText writes a slope for a legend, or "n/a" where there is none.
func slopeText(k float64) string {
	if math.IsNaN(k) {
		return "slope n/a"
	}
	return fmt.Sprintf("slope %.2f", k)
}

func scalingPanel(pts []ScalingPoint, x func(ScalingPoint) float64, xlabel, title string) (*plot.Plot, error) {
	p := NewPlot(title, xlabel, "seconds (median)")
	LogAxis(&p.X)
	LogAxis(&p.Y)
	p.Legend.Left = true
	series := []struct {
		label string
		y     func(ScalingPoint) float64
		cost  func(ScalingPoint) float64
		col   color.Color
	}{
		{"whole step", func(q ScalingPoint) float64 { return q.Step }, nil, Palette[2]},
		{"Jacobian", func(q ScalingPoint) float64 { return q.Jacobian }, jacCost, Palette[0]},
		{"decomposition", func(q ScalingPoint) float64 { return q.Solve }, decompCost, Palette[1]},
	}
	for _, sr := range series {
		var xy, ref plotter.XYs
		var last ScalingPoint
		found := false
		for _, q := range pts {
			if q.Batch <= 0 || q.Dim <= 0 || q.Params <= 0 {
				continue
			}
			pt := plotter.XY{X: x(q), Y: sr.y(q)}
			if drawable(pt.X, true) && drawable(pt.Y, true) {
				xy = append(xy, pt)
				if !found || pt.X >= x(last) {
					last, found = q, true
				}
			}
		}
		sty := draw.LineStyle{Color: sr.col, Width: vg.Points(1)}
		if _, err := addLines(p, []plotter.XYs{xy}[:min(1, len(xy))], sty); err != nil {
			return nil, err
		}
		if len(xy) > 0 {
			sc, err := plotter.NewScatter(xy)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle.Color = sr.col
			p.Add(sc)
		}
		p.Legend.Add(fmt.Sprintf("%s (%s)", sr.label, slopeText(Slope(pts, x, sr.y))), legendLine(sty))
		if sr.cost == nil || !found {
			continue
		}
		// Expected growth through the largest measured point.
		k := sr.y(last) / sr.cost(last)
		for _, q := range pts {
			if q.Batch > 0 && q.Dim > 0 && q.Params > 0 {
				ref = append(ref, plotter.XY{X: x(q), Y: k * sr.cost(q)})
			}
		}
		rsty := draw.LineStyle{Color: sr.col, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
		if _, err := addLines(p, Segments(ref, true, true), rsty); err != nil {
			return nil, err
		}
		name := "∝ b·d·P"
		if sr.label == "decomposition" {
			name = "∝ m·n·min(m, n)"
		}
		p.Legend.Add(fmt.Sprintf("%s (%s)", name, slopeText(Slope(pts, x, sr.cost))), legendLine(rsty))
	}
	return p, nil
}

// Render draws the figure and returns it encoded as "png" or "svg".
func (s *Scaling) Render(format string) ([]byte, error) {
	plots, err := s.Plots()
	if err != nil {
		return nil, err
	}
	w, h := s.Width, s.Height
	if w <= 0 {
		w = 10 * vg.Inch
	}
	if h <= 0 {
		h = 4.2 * vg.Inch
	}
	return Grid{Width: w, Height: h}.Render(format, plots[:])
}
