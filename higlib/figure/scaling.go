package figure

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
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
	// Width and Height of the whole figure; zero means 24 cm × 10 cm.
	Width, Height vg.Length
}

// decompCost is the expected growth m·n·min(m, n) of the decomposition.
func decompCost(p ScalingPoint) float64 {
	m, n := float64(p.Rows()), float64(p.Params)
	return m * n * math.Min(m, n)
}

// jacCost is the expected growth b·d·P of the stacked Jacobian.
func jacCost(p ScalingPoint) float64 { return float64(p.Rows()) * float64(p.Params) }

// Validate reports an error unless both panels have at least two points
// with positive coordinates and times.
func (s *Scaling) Validate() error {
	for name, pts := range map[string][]ScalingPoint{"batch": s.ByBatch, "parameter": s.ByParams} {
		if len(pts) < 2 {
			return fmt.Errorf("figure: the %s sweep needs at least 2 points, has %d", name, len(pts))
		}
		for i, p := range pts {
			if p.Batch <= 0 || p.Dim <= 0 || p.Params <= 0 {
				return fmt.Errorf("figure: %s sweep point %d has non-positive shape %d×%d×%d", name, i, p.Batch, p.Dim, p.Params)
			}
			for _, t := range []float64{p.Jacobian, p.Solve, p.Step} {
				if !(t > 0) || math.IsInf(t, 0) {
					return fmt.Errorf("figure: %s sweep point %d has time %v, want a finite time > 0", name, i, t)
				}
			}
		}
	}
	return nil
}

// Slope returns the least-squares slope of log y against log x over pts,
// the measured exponent of a power law y ∝ x^k.
func Slope(pts []ScalingPoint, x, y func(ScalingPoint) float64) float64 {
	var sx, sy, sxx, sxy float64
	n := float64(len(pts))
	for _, p := range pts {
		lx, ly := math.Log(x(p)), math.Log(y(p))
		sx += lx
		sy += ly
		sxx += lx * lx
		sxy += lx * ly
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// Plots returns the two panels without drawing them.
func (s *Scaling) Plots() ([2]*plot.Plot, error) {
	if err := s.Validate(); err != nil {
		return [2]*plot.Plot{}, err
	}
	batch := func(p ScalingPoint) float64 { return float64(p.Batch) }
	params := func(p ScalingPoint) float64 { return float64(p.Params) }
	a, err := scalingPanel(s.ByBatch, batch, "batch size b", "(a) toy network, P = "+fmt.Sprint(s.ByBatch[0].Params))
	if err != nil {
		return [2]*plot.Plot{}, err
	}
	b, err := scalingPanel(s.ByParams, params, "parameters P", "(b) 4→H→H→H→96, b = "+fmt.Sprint(s.ByParams[0].Batch))
	if err != nil {
		return [2]*plot.Plot{}, err
	}
	return [2]*plot.Plot{a, b}, nil
}

func scalingPanel(pts []ScalingPoint, x func(ScalingPoint) float64, xlabel, title string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = "seconds (median)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = vg.Points(8)
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
		xy := make(plotter.XYs, len(pts))
		for i, q := range pts {
			xy[i] = plotter.XY{X: x(q), Y: sr.y(q)}
		}
		l, sc, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, err
		}
		l.Color, sc.Color = sr.col, sr.col
		p.Add(l, sc)
		p.Legend.Add(fmt.Sprintf("%s (slope %.2f)", sr.label, Slope(pts, x, sr.y)), l, sc)
		if sr.cost == nil {
			continue
		}
		// Expected growth through the largest measured point.
		last := pts[len(pts)-1]
		k := sr.y(last) / sr.cost(last)
		ref := make(plotter.XYs, len(pts))
		for i, q := range pts {
			ref[i] = plotter.XY{X: x(q), Y: k * sr.cost(q)}
		}
		rl, err := plotter.NewLine(ref)
		if err != nil {
			return nil, err
		}
		rl.Color = sr.col
		rl.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(rl)
		name := "∝ b·d·P"
		if sr.label == "decomposition" {
			name = "∝ m·n·min(m, n)"
		}
		p.Legend.Add(fmt.Sprintf("%s (slope %.2f)", name, Slope(pts, x, sr.cost)), rl)
	}
	return p, nil
}

// Render draws the figure and returns it encoded as "png" or "svg".
func (s *Scaling) Render(format string) ([]byte, error) {
	plots, err := s.Plots()
	if err != nil {
		return nil, err
	}
	return render(format, s.Width, s.Height, 24*vg.Centimeter, 10*vg.Centimeter, "", plots[:])
}
