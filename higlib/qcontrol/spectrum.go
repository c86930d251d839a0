package qcontrol

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/higlab/hig/higlib/figure"
)

// NullTol is the relative size below which a singular value counts as
// zero to rounding in Spectrum: far below the truncation of any HIG step
// and far above float64 rounding of σ₁ (about 1e-16 σ₁).
const NullTol = 1e-13

// Spectrum summarises the singular values of a stacked Jacobian, in
// decreasing order as experiment.Step holds them.
type Spectrum struct {
	Sigma []float64
	// Null counts the values below NullTol·σ₁: for the dipole one per
	// sample, since the unitary steps cannot change ‖ψ(T)‖.
	Null int
	// Cond is σ₁ over the smallest value that is not null.
	Cond float64
}

// NewSpectrum returns the summary of sv (decreasing, not empty, σ₁ > 0).
func NewSpectrum(sv []float64) (Spectrum, error) {
	if len(sv) == 0 || !(sv[0] > 0) {
		return Spectrum{}, fmt.Errorf("qcontrol: a spectrum needs a positive largest singular value, got %v", sv)
	}
	s := Spectrum{Sigma: sv}
	low := sv[0]
	for i, v := range sv {
		if i > 0 && v > sv[i-1] {
			return Spectrum{}, fmt.Errorf("qcontrol: singular values not in decreasing order at %d", i)
		}
		if v < NullTol*sv[0] {
			s.Null++
		} else {
			low = v
		}
	}
	s.Cond = sv[0] / low
	return s, nil
}

// Kept returns how many singular values lie above tau·σ₁: the directions
// a HIG step with relative threshold tau uses.
func (s Spectrum) Kept(tau float64) int {
	k := 0
	for _, v := range s.Sigma {
		if v > tau*s.Sigma[0] {
			k++
		}
	}
	return k
}

// Plot returns the singular values against their index on a log scale.
func (s Spectrum) Plot(title string) *plot.Plot {
	pts := make(plotter.XYs, len(s.Sigma))
	for i, v := range s.Sigma {
		pts[i] = plotter.XY{X: float64(i + 1), Y: v}
	}
	p := figure.NewPlot(title, "index", "σ")
	figure.LogAxis(&p.Y)
	if sc, err := plotter.NewScatter(pts); err == nil {
		sc.GlyphStyle.Color = figure.Palette[2]
		p.Add(sc)
	}
	return p
}
