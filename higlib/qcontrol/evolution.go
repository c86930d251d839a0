package qcontrol

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/higlab/hig/higlib/dipole"
	"github.com/higlab/hig/higlib/figure"
)

// Evolution is the density |ψ(x, t)|² of a simulated trajectory on the
// grid of space and time, for drawing as a heat map: column k is the time
// t_k = k·DT, row j the grid point x_j = j·Δx, j = 0 … N+1, with the walls
// j = 0 and N+1 (where ψ = 0) included. It implements plotter.GridXYZ.
type Evolution struct {
	dt, dx float64
	n      int       // interior points
	dens   []float64 // (steps+1) × N, time-major
}

// NewEvolution returns the density of the states ψ⁰ … ψ^K of
// dipole.Well.Trajectory (K+1 rows of 2N reals). It panics if the length
// of states is not a multiple of 2N.
func NewEvolution(w *dipole.Well, states []float64) *Evolution {
	n := w.N()
	if len(states) == 0 || len(states)%(2*n) != 0 {
		panic(fmt.Sprintf("qcontrol: %d state values are not whole states of %d reals", len(states), 2*n))
	}
	e := &Evolution{dt: w.DT(), dx: w.DX(), n: n, dens: make([]float64, len(states)/2)}
	for k := range len(states) / (2 * n) {
		Density(e.dens[k*n:(k+1)*n], states[k*2*n:(k+1)*2*n])
	}
	return e
}

// Dims returns the number of times (columns) and of grid points with the
// two walls (rows).
func (e *Evolution) Dims() (c, r int) { return len(e.dens) / e.n, e.n + 2 }

// Z returns |ψ(x_r, t_c)|², zero on the walls.
func (e *Evolution) Z(c, r int) float64 {
	if r == 0 || r == e.n+1 {
		return 0
	}
	return e.dens[c*e.n+r-1]
}

// X returns the time of column c.
func (e *Evolution) X(c int) float64 { return float64(c) * e.dt }

// Y returns the position of row r.
func (e *Evolution) Y(r int) float64 { return float64(r) * e.dx }

// Plot returns the heat map of the density against time (horizontal) and
// position (vertical) with the given title; brighter is denser.
func (e *Evolution) Plot(title string) *plot.Plot {
	p := figure.NewPlot(title, "t", "x")
	pal := moreland.Kindlmann()
	var hi float64
	for _, v := range e.dens {
		hi = max(hi, v)
	}
	pal.SetMin(0)
	pal.SetMax(max(hi, 1e-300))
	h := plotter.NewHeatMap(e, pal.Palette(64))
	h.Min, h.Max = 0, max(hi, 1e-300)
	p.Add(h)
	return p
}

// EigenstatesPlot returns the panel of the free well's first k eigenstates
// e₁ … e_k over the grid (walls included), each labelled with its energy
// E_n; the paper's data start in e₁ and aim at combinations of e₂ and e₃.
func EigenstatesPlot(w *dipole.Well, k int) *plot.Plot {
	p := figure.NewPlot(fmt.Sprintf("Eigenstates of the free well (N = %d points)", w.N()), "x", "e(x)")
	n := w.N()
	for lev := 1; lev <= k; lev++ {
		e := w.Eigenstate(nil, lev)
		pts := plotter.XYs{{X: 0, Y: 0}}
		for j := 1; j <= n; j++ {
			pts = append(pts, plotter.XY{X: w.X(j), Y: e[j-1]})
		}
		pts = append(pts, plotter.XY{X: dipole.Length, Y: 0})
		l, err := plotter.NewLine(pts)
		if err != nil {
			continue
		}
		l.LineStyle.Color = figure.Palette[(lev-1)%len(figure.Palette)]
		l.LineStyle.Width = vg.Points(1.6)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("e%s, E = %.3g", sub(lev), w.Energy(lev)), l)
	}
	return p
}

func sub(k int) string {
	d := []rune("₀₁₂₃₄₅₆₇₈₉")
	var out []rune
	for _, c := range fmt.Sprint(k) {
		out = append(out, d[c-'0'])
	}
	return string(out)
}
