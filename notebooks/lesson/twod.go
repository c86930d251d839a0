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
)

// TwoD is notebook 1's linear example with two parameters and two outputs,
// y = Jθ with J = R(30°)·diag(1, λ): its SVD is U = R(30°), Σ = diag(1, λ),
// V = I, so θ₁ is the strong and θ₂ the weak right singular direction. It
// starts at θ = 0 with target ŷ = R(30°)·(1, 1), minimiser θ* = (1, 1/λ), and
// loss ½‖Jθ − ŷ‖² (one sample).
type TwoD struct {
	Lambda, Tau float64
	J           *mat.Dense
	Target      []float64 // ŷ
	Steps       []TwoDStep
}

// TwoDStep is one update of the example from θ = 0, with η = 1.
type TwoDStep struct {
	Name   string    // "gd", "hig" or "gn"
	Label  string    // for legends
	Kappa  float64   // −1 (GD), ½ (HIG), 1 (GN)
	DTheta []float64 // Δθ = −J^(−κ)·g, g = y − ŷ = −ŷ
	DY     []float64 // JΔθ, the change of y (exact: the model is linear)
	Norm   float64   // ‖Δθ‖
	Loss   float64   // loss after the step (1 before it)
	// RateU2 is the share of the error along the weak output direction u₂
	// that the step removes: u₂ᵀJΔθ / u₂ᵀŷ.
	RateU2 float64
}

// NewTwoD computes the gradient step −Jᵀg and the HIG and Gauss-Newton steps
// (halfinv.Reference with κ = ½ and 1, threshold tau) of the example.
func NewTwoD(lambda, tau float64) (*TwoD, error) {
	if !(lambda > 0) || math.IsInf(lambda, 0) {
		return nil, fmt.Errorf("lesson: λ = %v: the example needs a finite λ > 0", lambda)
	}
	c30, s30 := math.Cos(math.Pi/6), math.Sin(math.Pi/6)
	j := mat.NewDense(2, 2, []float64{c30, -s30 * lambda, s30, c30 * lambda})
	yhat := []float64{c30 - s30, s30 + c30}
	g := []float64{-yhat[0], -yhat[1]}
	t := &TwoD{Lambda: lambda, Tau: tau, J: j, Target: yhat}
	u2 := []float64{-s30, c30}
	for _, m := range []struct {
		name, label string
		kappa       float64
	}{{"gd", "gradient −Jᵀg", -1}, {"hig", "HIG −J^(−1/2)·g", 0.5}, {"gn", "Gauss-Newton −J^+·g", 1}} {
		d := make([]float64, 2)
		if m.kappa < 0 {
			mat.NewVecDense(2, d).MulVec(j.T(), mat.NewVecDense(2, g))
		} else if _, err := halfinv.Reference(d, j, g, halfinv.Params{Kappa: m.kappa, Tau: tau}); err != nil {
			return nil, err
		}
		floats.Scale(-1, d)
		dy := make([]float64, 2)
		mat.NewVecDense(2, dy).MulVec(j, mat.NewVecDense(2, d))
		loss := 0.5 * (math.Pow(dy[0]-yhat[0], 2) + math.Pow(dy[1]-yhat[1], 2))
		t.Steps = append(t.Steps, TwoDStep{Name: m.name, Label: m.label, Kappa: m.kappa, DTheta: d, DY: dy,
			Norm: floats.Norm(d, 2), Loss: loss, RateU2: floats.Dot(u2, dy) / floats.Dot(u2, yhat)})
	}
	return t, nil
}

// Formula returns the closed forms of the step's length and rate along u₂
// when λ lies above the threshold: the error ŷ has component 1 along both
// u₁ and u₂, so Δθ = (1, λ^(−κ)), ‖Δθ‖ = √(1 + λ^(−2κ)) and the rate is
// σ₂·σ₂^(−κ) = λ^(1−κ). For the gradient (κ = −1) that is √(1 + λ²) and λ²;
// for HIG √(1 + 1/λ) and √λ; for Gauss-Newton √(1 + 1/λ²) and 1.
func (s TwoDStep) Formula(lambda float64) (norm, rateU2 float64) {
	w := math.Pow(lambda, -s.Kappa) // weight of the weak direction, σ₂^(−κ)
	return math.Hypot(1, w), lambda * w
}

// PNG draws the steps in parameter space over the loss contours, and their
// output changes JΔθ with the target ŷ.
func (t *TwoD) PNG() ([]byte, error) {
	cols := map[string]color.Color{"gd": figure.Palette[0], "hig": figure.Palette[2], "gn": figure.Palette[1]}
	l := t.Lambda
	pp := figure.NewPlot("parameter space θ (axes = v₁, v₂; not to scale)", "θ₁  (σ₁ = 1)", fmt.Sprintf("θ₂  (σ₂ = %g)", l))
	// The contours L = ρ²/2 are the ellipses (θ₁−1)² + λ²(θ₂−1/λ)² = ρ².
	for _, rho := range []float64{0.25, 0.5} {
		e := make(plotter.XYs, 241)
		for i := range e {
			a := 2 * math.Pi * float64(i) / 240
			e[i] = plotter.XY{X: 1 + rho*math.Cos(a), Y: 1/l + rho/l*math.Sin(a)}
		}
		if err := addLine(pp, e, color.Gray{Y: 170}, vg.Points(1), ""); err != nil {
			return nil, err
		}
	}
	py := figure.NewPlot("output space y", "y₁", "y₂")
	for _, s := range t.Steps {
		if err := addArrow(pp, plotter.XY{X: s.DTheta[0], Y: s.DTheta[1]}, cols[s.Name], s.Label); err != nil {
			return nil, err
		}
		if err := addArrow(py, plotter.XY{X: s.DY[0], Y: s.DY[1]}, cols[s.Name], ""); err != nil {
			return nil, err
		}
	}
	if err := addMark(pp, plotter.XY{X: 1, Y: 1 / l}, draw.CrossGlyph{}, "minimiser θ*"); err != nil {
		return nil, err
	}
	if err := addMark(py, plotter.XY{X: t.Target[0], Y: t.Target[1]}, draw.CrossGlyph{}, "target ŷ"); err != nil {
		return nil, err
	}
	// Unequal scales, so that steps of lengths 1 and 1/λ both show; the
	// legend sits bottom right, below the contours and right of the steps.
	top := max(1, 1/l)
	pp.X.Min, pp.X.Max = -0.2, 3.2
	pp.Y.Min, pp.Y.Max = -0.08*top, 1.25*top
	pp.Legend.Top, pp.Legend.Left = false, false
	// Output space to scale: a circle stays a circle.
	py.X.Min, py.X.Max, py.Y.Min, py.Y.Max = -0.6, 1.6, -0.4, 1.8
	py.Legend.Top, py.Legend.Left = false, false
	for _, p := range []*plot.Plot{pp, py} {
		p.Add(plotter.NewGrid())
	}
	return figure.Grid{Width: 10 * vg.Inch, Height: 5 * vg.Inch}.Render("png", []*plot.Plot{pp, py})
}

// addArrow draws a step from the origin to `to` as a thick line ending in a
// dot; its legend entry shows the line only, so it does not look like a
// data point.
func addArrow(p *plot.Plot, to plotter.XY, c color.Color, label string) error {
	if err := addLine(p, plotter.XYs{{}, to}, c, vg.Points(2.5), label); err != nil {
		return err
	}
	s, err := plotter.NewScatter(plotter.XYs{to})
	if err != nil {
		return err
	}
	s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
	p.Add(s)
	return nil
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

// addMark draws a black marker at pt, labelled in the legend with the same
// marker (it is the only point drawn so).
func addMark(p *plot.Plot, pt plotter.XY, shape draw.GlyphDrawer, label string) error {
	s, err := plotter.NewScatter(plotter.XYs{pt})
	if err != nil {
		return err
	}
	s.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(6), Shape: shape}
	p.Add(s)
	if label != "" {
		p.Legend.Add(label, s)
	}
	return nil
}
