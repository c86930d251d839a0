package lesson

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/toy"
)

// RuleRuns is notebook 2's training comparison: HIG with exponent Kappa and
// rate Eta, truncating and clamping, at every threshold in Taus, on every
// seed, with the toy's other settings from Config (λ, batch size, steps).
type RuleRuns struct {
	Config toy.Config
	Kappa  float64
	Eta    float64
	Taus   []float64
	Seeds  []uint64
}

// RuleResult is one (τ, rule) of RuleRuns.
type RuleResult struct {
	Tau     float64
	Mode    halfinv.Mode
	Runs    []*experiment.Run // per seed
	Finals  []float64         // final validation loss per seed (+Inf if diverged)
	Median  float64
	Peak    float64 // highest validation loss recorded over all seeds
	Seconds float64 // mean seconds per run
}

// Run trains every (τ, rule, seed); progress, if not nil, receives two
// lines per (τ, rule).
func (r RuleRuns) Run(progress func(string)) ([]RuleResult, error) {
	var out []RuleResult
	for _, tau := range r.Taus {
		for _, mode := range []halfinv.Mode{halfinv.Truncate, halfinv.Clamp} {
			res := RuleResult{Tau: tau, Mode: mode}
			m := experiment.Candidate{Name: "HIG " + mode.String(), New: func(lr float64) (optim.Method, error) {
				return &optim.HalfInverse{LearnRate: lr, Kappa: r.Kappa, Tau: tau, Mode: mode}, nil
			}}
			for _, s := range r.Seeds {
				c := r.Config
				c.Seed = s
				setup, err := toy.NewSetup(c)
				if err != nil {
					return nil, err
				}
				run, err := setup.RunMethod(m, r.Eta, nil)
				if err != nil {
					return nil, err
				}
				res.Runs = append(res.Runs, run)
				res.Finals = append(res.Finals, run.FinalLoss())
				res.Seconds += run.Result.Stats.Runtime.Seconds() / float64(len(r.Seeds))
				for _, p := range run.Validation.Loss {
					res.Peak = max(res.Peak, p.Value)
				}
			}
			res.Median = experiment.Median(res.Finals)
			if progress != nil {
				progress(fmt.Sprintf("τ = %-6g %-8v final losses per seed %.3g, median %.3g, peak %.3g (%.1f s per run)",
					tau, mode, res.Finals, res.Median, res.Peak, res.Seconds))
			}
			out = append(out, res)
		}
	}
	return out, nil
}

// RuleRunsPNG draws one panel per τ with every run's validation loss
// against the step (truncate purple, clamp red), all on one loss axis cut
// at lossCap, under the title.
func RuleRunsPNG(title string, results []RuleResult, lossCap float64) ([]byte, error) {
	cols := map[halfinv.Mode]color.Color{halfinv.Truncate: figure.Palette[2], halfinv.Clamp: figure.Palette[1]}
	var panels []*plot.Plot
	byTau := map[float64]*plot.Plot{}
	for _, res := range results {
		p := byTau[res.Tau]
		if p == nil {
			p = figure.NewPlot(fmt.Sprintf("τ = %g", res.Tau), "step", "validation loss")
			figure.LogAxis(&p.Y)
			p.Y.Min, p.Y.Max = 1e-5, lossCap
			p.Add(plotter.NewGrid())
			byTau[res.Tau] = p
			panels = append(panels, p)
		}
		for k, run := range res.Runs {
			for i, seg := range figure.Segments(run.Validation.Loss.BySteps(), false, true) {
				for j := range seg {
					seg[j].Y = min(seg[j].Y, lossCap) // a run above the cut runs along the top edge
				}
				l, err := plotter.NewLine(seg)
				if err != nil {
					return nil, err
				}
				l.Color, l.Width = cols[res.Mode], vg.Points(1.5)
				p.Add(l)
				if k == 0 && i == 0 && len(panels) == 1 {
					p.Legend.Add(res.Mode.String(), l)
				}
			}
		}
	}
	if len(panels) > 0 {
		panels[0].Legend.Top, panels[0].Legend.Left = false, true
	}
	return figure.Grid{Title: title, Width: 10 * vg.Inch, Height: 4.4 * vg.Inch}.Render("png", panels)
}
