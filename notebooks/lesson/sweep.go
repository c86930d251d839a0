package lesson

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/toy"
)

// BatchSweep is notebook 1's measurement of how the final loss depends on
// the mini-batch size b: every method trains for its step budget with
// mini-batches of b samples at every rate of its grid, on every seed. Two
// methods with the same budget see the same number of samples per run; the
// seconds are recorded so that the cost per run can be compared too.
type BatchSweep struct {
	Lambda, Tau float64
	Batches     []int
	Methods     []SweepMethod
	Seeds       []uint64
	// Progress, if not nil, receives one line per (method, b, η).
	Progress func(line string)
}

// SweepMethod is one method of a sweep: a toy method key, a label naming
// its budget (e.g. "Adam, equal time"), its step budget and its rates.
type SweepMethod struct {
	Key, Label string
	Steps      int
	Rates      []float64
}

// SweepPoint is one (method, b, η) of a sweep.
type SweepPoint struct {
	Method  string // the SweepMethod's Label
	Key     string // its toy key
	Batch   int
	Rate    float64
	Losses  []float64 // final validation loss per seed (+Inf if diverged)
	Median  float64
	Seconds float64 // mean seconds per run
}

// Run trains every run of the sweep and returns its points, method by
// method, rate by rate, batch size by batch size.
func (s BatchSweep) Run() ([]SweepPoint, error) {
	if len(s.Batches) == 0 || len(s.Seeds) == 0 || len(s.Methods) == 0 {
		return nil, fmt.Errorf("lesson: a batch sweep needs at least one batch size, seed and method")
	}
	var pts []SweepPoint
	for _, m := range s.Methods {
		if len(m.Rates) == 0 || m.Steps < 1 {
			return nil, fmt.Errorf("lesson: method %q needs rates and Steps ≥ 1", m.Label)
		}
		for _, lr := range m.Rates {
			for _, b := range s.Batches {
				p := SweepPoint{Method: m.Label, Key: m.Key, Batch: b, Rate: lr}
				for _, seed := range s.Seeds {
					setup, err := toy.NewSetup(toy.Config{Lambda: s.Lambda, Seed: seed, BatchSize: b,
						Steps: m.Steps, FirstOrderSteps: m.Steps, Tau: s.Tau})
					if err != nil {
						return nil, err
					}
					run, err := setup.Run(m.Key, lr, nil)
					if err != nil {
						return nil, err
					}
					p.Losses = append(p.Losses, run.FinalLoss())
					p.Seconds += run.Result.Stats.Runtime.Seconds() / float64(len(s.Seeds))
				}
				p.Median = experiment.Median(p.Losses)
				if s.Progress != nil {
					sorted := slices.Sorted(slices.Values(p.Losses))
					s.Progress(fmt.Sprintf("%-18s b=%-5d η=%-5g median %-9.3g (seeds %.3g)  %.2f s per run",
						m.Label, b, lr, p.Median, sorted, p.Seconds))
				}
				pts = append(pts, p)
			}
		}
	}
	return pts, nil
}

// Best returns, for one method (by label) and every batch size in order, the point
// whose median is lowest over the rates (the first on ties); a batch size
// at which every rate diverged gets the point with median +Inf.
func Best(pts []SweepPoint, method string, batches []int) []SweepPoint {
	best := make([]SweepPoint, len(batches))
	for i, b := range batches {
		best[i] = SweepPoint{Method: method, Batch: b, Median: math.Inf(1)}
		for _, p := range pts {
			if p.Method == method && p.Batch == b && p.Median < best[i].Median {
				best[i] = p
			}
		}
	}
	return best
}

// SweepPNG draws, per method, the best median final loss against b (left)
// and the seconds per run at that rate (right), on log axes.
func SweepPNG(title string, pts []SweepPoint, methods []SweepMethod, batches []int) ([]byte, error) {
	pl := figure.NewPlot("best median final loss (η re-chosen per b)", "mini-batch size b", "validation loss")
	pt := figure.NewPlot("seconds per run at that η", "mini-batch size b", "seconds")
	var ticks []plot.Tick
	for _, b := range batches {
		ticks = append(ticks, plot.Tick{Value: float64(b), Label: fmt.Sprint(b)})
	}
	for _, p := range []*plot.Plot{pl, pt} {
		figure.LogAxis(&p.Y)
		p.X.Scale, p.X.Tick.Marker = figure.LogScale{}, plot.ConstantTicks(ticks)
		p.X.Min, p.X.Max = float64(slices.Min(batches))/1.5, float64(slices.Max(batches))*1.5
		p.Add(plotter.NewGrid())
	}
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}}
	for k, m := range methods {
		col := methodColour(m.Key)
		var dashes []vg.Length
		for _, o := range methods[:k] {
			if o.Key == m.Key { // a second budget of the same method: dashed
				dashes = []vg.Length{vg.Points(6), vg.Points(3)}
			}
		}
		var loss, secs plotter.XYs
		for _, p := range Best(pts, m.Label, batches) {
			if !math.IsInf(p.Median, 0) && !math.IsNaN(p.Median) {
				loss = append(loss, plotter.XY{X: float64(p.Batch), Y: p.Median})
				secs = append(secs, plotter.XY{X: float64(p.Batch), Y: p.Seconds})
			}
		}
		for _, d := range []struct {
			p   *plot.Plot
			xys plotter.XYs
		}{{pl, loss}, {pt, secs}} {
			if len(d.xys) == 0 {
				continue
			}
			l, sc, err := plotter.NewLinePoints(d.xys)
			if err != nil {
				return nil, err
			}
			l.Color, l.Width, l.Dashes = col, vg.Points(2), dashes
			sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(4), Shape: shapes[k%len(shapes)]}
			d.p.Add(l, sc)
			if d.p == pt {
				d.p.Legend.Add(m.Label, l, sc)
			}
		}
	}
	// The legend goes on the seconds panel, top left: the cheap small
	// batches sit at the bottom left, the costly large ones at the right.
	pt.Legend.Top, pt.Legend.Left = true, true
	pt.Y.Max = 30 // room for the legend above the costliest runs
	return figure.Grid{Title: title, Width: 10 * vg.Inch, Height: 4.6 * vg.Inch}.Render("png", []*plot.Plot{pl, pt})
}

// methodColour gives the chapter's colours by method key: Adam blue,
// Gauss-Newton red, HIG purple; other keys green.
func methodColour(key string) color.Color {
	switch key {
	case toy.Adam:
		return figure.Palette[0]
	case toy.GaussNewton:
		return figure.Palette[1]
	case toy.HIG:
		return figure.Palette[2]
	}
	return figure.Palette[3]
}
