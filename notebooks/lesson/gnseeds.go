package lesson

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/toy"
)

// GNGroup is one (λ, τ) of notebook 3's Gauss-Newton section: one run per
// seed at the rate the study at that τ chose.
type GNGroup struct {
	Lambda, Tau float64
	Rate        float64
	Note        string    // where the rate comes from (Rates.For)
	Finals      []float64 // final validation loss per seed
	Saturated   []float64 // share of saturated hidden activations at the end, per seed
	// Study is the median final loss of the study's own Gauss-Newton runs at
	// this λ and τ (NaN if there is none), and StudySeeds their number.
	Study      float64
	StudySeeds int
}

// GNSeeds trains Gauss-Newton on every seed at every τ (the rates and the
// comparison with the study come from the summary file Studies[τ], falling
// back to Untuned) and every λ, with the batch size and steps of cfg.
// progress, if not nil, receives one line per finished group.
func GNSeeds(cfg toy.Config, lambdas, taus []float64, seeds []uint64, studies map[float64]string, progress func(string)) ([]GNGroup, error) {
	var out []GNGroup
	for _, tau := range taus {
		c := cfg
		c.Tau = tau
		r := Rates{Config: c}
		if f, ok := studies[tau]; ok {
			r.Summaries = []string{f}
		}
		rows, _ := ReadSummary(studies[tau])
		for _, l := range lambdas {
			g := GNGroup{Lambda: l, Tau: tau}
			g.Rate, g.Note = r.For(l, toy.GaussNewton)
			for _, s := range seeds {
				c.Lambda, c.Seed = l, s
				setup, err := toy.NewSetup(c)
				if err != nil {
					return nil, err
				}
				run, err := setup.Run(toy.GaussNewton, g.Rate, nil)
				if err != nil {
					return nil, err
				}
				g.Finals = append(g.Finals, run.FinalLoss())
				g.Saturated = append(g.Saturated, run.Saturation.Saturated.Last())
			}
			var st []float64
			for _, row := range rows {
				if !row.Tuning && row.Method == toy.GaussNewton && row.Lambda == l {
					st = append(st, row.FinalLoss)
				}
			}
			g.Study, g.StudySeeds = experiment.Median(st), len(st)
			if progress != nil {
				progress(fmt.Sprintf("λ = %g, τ = %g, η = %g (%s)\n  final loss per seed %.3g\n  saturated per seed  %.2f",
					l, tau, g.Rate, g.Note, g.Finals, g.Saturated))
			}
			out = append(out, g)
		}
	}
	return out, nil
}

// Split returns the largest final loss of the runs with at most half their
// activations saturated and the smallest of the runs with more (−Inf and
// +Inf when there are none).
func Split(groups []GNGroup) (worstUnsaturated, bestSaturated float64) {
	worstUnsaturated, bestSaturated = math.Inf(-1), math.Inf(1)
	for _, g := range groups {
		for i, f := range g.Finals {
			if g.Saturated[i] <= 0.5 {
				worstUnsaturated = max(worstUnsaturated, f)
			} else {
				bestSaturated = min(bestSaturated, f)
			}
		}
	}
	return worstUnsaturated, bestSaturated
}

// GNSeedsPNG draws every run's final loss against its saturated share, one
// marker and colour per group.
func GNSeedsPNG(groups []GNGroup) ([]byte, error) {
	p := figure.NewPlot("Gauss-Newton: final loss against saturation", "share of saturated hidden activations at the end", "final validation loss")
	figure.LogAxis(&p.Y)
	p.Add(plotter.NewGrid())
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.SquareGlyph{}, draw.PyramidGlyph{}}
	cols := []color.Color{figure.Palette[1], figure.Palette[4], figure.Palette[0], figure.Palette[3]}
	for k, g := range groups {
		var pts plotter.XYs
		for i, f := range g.Finals {
			pts = append(pts, plotter.XY{X: g.Saturated[i], Y: f})
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: cols[k%len(cols)], Radius: vg.Points(5), Shape: shapes[k%len(shapes)]}
		p.Add(sc)
		p.Legend.Add(fmt.Sprintf("λ = %g, τ = %g (η = %g)", g.Lambda, g.Tau, g.Rate), sc)
	}
	p.X.Min, p.X.Max = 0, 1.6 // the legend sits right of the data, which ends at 1
	p.X.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 0.25, Label: "0.25"},
		{Value: 0.5, Label: "0.5"}, {Value: 0.75, Label: "0.75"}, {Value: 1, Label: "1"}})
	p.Legend.Top, p.Legend.Left = true, false
	return figure.Row("png", 9*vg.Inch, 4.6*vg.Inch, p)
}
