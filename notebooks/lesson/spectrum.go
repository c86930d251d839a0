package lesson

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/toy"
)

// Spectrum holds the singular values of the toy's stacked Jacobian of the
// first Batch training samples at the initial network (toy.Setup.SingularValues).
type Spectrum struct {
	Lambda float64
	Batch  int
	Params int       // P, the number of columns
	Sigma  []float64 // decreasing
}

// Kept returns how many singular values lie above tau·σ₁.
func (s Spectrum) Kept(tau float64) int {
	k := 0
	for _, v := range s.Sigma {
		if v > tau*s.Sigma[0] {
			k++
		}
	}
	return k
}

// Spectra returns the spectrum for every λ and b, λ by λ.
func Spectra(lambdas []float64, batches []int, seed uint64) ([]Spectrum, error) {
	var out []Spectrum
	for _, l := range lambdas {
		setup, err := toy.NewSetup(toy.Config{Lambda: l, Seed: seed})
		if err != nil {
			return nil, err
		}
		for _, b := range batches {
			sv, err := setup.SingularValues(b)
			if err != nil {
				return nil, err
			}
			out = append(out, Spectrum{Lambda: l, Batch: b, Params: len(setup.Params0), Sigma: sv})
		}
	}
	return out, nil
}

// SpectraPNG draws one panel per λ with a line per b, values below 10⁻²⁰
// drawn at 10⁻²⁰, and the threshold tau·σ₁ of each panel's largest b as a
// grey dashed line. The legend sits bottom left, under the steep part.
func SpectraPNG(spectra []Spectrum, tau float64) ([]byte, error) {
	var panels []*plot.Plot
	byLambda := map[float64]*plot.Plot{}
	largest := map[float64]Spectrum{}
	cols := []color.Color{figure.Palette[4], figure.Palette[3], figure.Palette[0], figure.Palette[2], figure.Palette[1]}
	k := map[float64]int{}
	for _, s := range spectra {
		p := byLambda[s.Lambda]
		if p == nil {
			p = figure.NewPlot(fmt.Sprintf("singular values of ∂y/∂θ, λ = %g", s.Lambda), "index i", "σᵢ")
			figure.LogAxis(&p.Y)
			p.Y.Min = 1e-20
			p.Add(plotter.NewGrid())
			p.Legend.Top, p.Legend.Left = false, true
			byLambda[s.Lambda] = p
			panels = append(panels, p)
		}
		pts := make(plotter.XYs, len(s.Sigma))
		for i, v := range s.Sigma {
			pts[i] = plotter.XY{X: float64(i + 1), Y: max(v, 1e-20)}
		}
		col := cols[k[s.Lambda]%len(cols)]
		k[s.Lambda]++
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = col, vg.Points(2)
		sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
		p.Add(l, sc)
		p.Legend.Add(fmt.Sprintf("b = %d (%d × %d)", s.Batch, 2*s.Batch, s.Params), l)
		if s.Batch >= largest[s.Lambda].Batch {
			largest[s.Lambda] = s
		}
	}
	for l, p := range byLambda {
		s := largest[l]
		cut := tau * s.Sigma[0]
		if err := addDashed(p, plotter.XYs{{X: 1, Y: cut}, {X: float64(s.Params), Y: cut}},
			fmt.Sprintf("τ·σ₁, τ = %g (b = %d)", tau, s.Batch)); err != nil {
			return nil, err
		}
	}
	return figure.Grid{Width: 10 * vg.Inch, Height: 5 * vg.Inch}.Render("png", panels)
}
