package lesson

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"os"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/oscillator"
	"github.com/higlab/hig/higlib/steer"
)

// FreeOrbitsPNG draws notebook 4's phase planes: the free motion (zero
// controls, steps RK4 steps) of chain from each of starts, one panel
// (x_i, p_i) per oscillator, one colour per start. It also returns the
// largest relative change of the energy H between each start and its last
// state, RK4's drift.
func FreeOrbitsPNG(chain *oscillator.Chain, starts [][]float64, steps int) (png []byte, drift float64, err error) {
	n := chain.N()
	planes := make([]*plot.Plot, n)
	for i := range planes {
		planes[i] = figure.NewPlot(fmt.Sprintf("Oscillator %d", i+1), fmt.Sprintf("x%d", i+1), fmt.Sprintf("p%d", i+1))
	}
	free := make([]float64, steps)
	for k, s0 := range starts {
		if len(s0) != 2*n {
			return nil, 0, fmt.Errorf("lesson: start %d has %d values, the chain's state %d", k, len(s0), 2*n)
		}
		states := chain.Trajectory(nil, s0, free)
		for i, p := range planes {
			pts := make(plotter.XYs, len(states)/(2*n))
			for j := range pts {
				pts[j] = plotter.XY{X: states[2*n*j+i], Y: states[2*n*j+n+i]}
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				return nil, 0, err
			}
			l.LineStyle.Color = figure.Palette[k%len(figure.Palette)]
			p.Add(l)
		}
		e0, e1 := chain.Energy(s0), chain.Energy(states[len(states)-2*n:])
		drift = math.Max(drift, math.Abs(e1-e0)/e0)
	}
	png, err = figure.Row("png", 0, 0, planes...)
	return png, drift, err
}

// SpectrumPNG draws singular values sv (decreasing) against their index on
// a log axis.
func SpectrumPNG(title string, sv []float64) ([]byte, error) {
	if len(sv) == 0 {
		return nil, fmt.Errorf("lesson: no singular values to draw")
	}
	pts := make(plotter.XYs, len(sv))
	for i, s := range sv {
		pts[i] = plotter.XY{X: float64(i + 1), Y: s}
	}
	p := figure.NewPlot(title, "index", "σ")
	figure.LogAxis(&p.Y)
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, err
	}
	sc.GlyphStyle.Color = figure.Palette[2]
	p.Add(sc)
	return figure.Row("png", 0, 0, p)
}

// LiveLog returns a progress function that collects the lines it receives
// and passes all of them so far, as one HTML <pre> block, to show (e.g. a
// cell's gonbui.UpdateHTML with its own id).
func LiveLog(show func(html string)) func(line string) {
	var lines []string
	return func(line string) {
		lines = append(lines, line)
		show("<pre>" + html.EscapeString(strings.Join(lines, "\n")) + "</pre>")
	}
}

// MethodMedian is one method's median final test loss in a committed
// oscillator summary.
type MethodMedian struct {
	Method string
	Budget string
	Seeds  int
	Median float64
}

// CommittedMedians reads a summary JSON written by hig oscillators
// (figures/oscillators_summary.json, figures/book-chain/book-chain_summary.json)
// and returns each method's median final test loss (diverged runs as
// +Inf), in the order of first appearance.
func CommittedMedians(path string) ([]MethodMedian, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var runs []steer.Summary
	if err := json.Unmarshal(data, &runs); err != nil {
		return nil, fmt.Errorf("lesson: %s: %w", path, err)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("lesson: %s holds no runs", path)
	}
	var order []string
	losses, budget := map[string][]float64{}, map[string]string{}
	for _, r := range runs {
		if _, ok := losses[r.Method]; !ok {
			order = append(order, r.Method)
		}
		l := r.FinalTestLoss
		if r.Diverged {
			l = math.Inf(1)
		}
		losses[r.Method] = append(losses[r.Method], l)
		budget[r.Method] = r.Budget
	}
	out := make([]MethodMedian, len(order))
	for i, k := range order {
		out[i] = MethodMedian{Method: k, Budget: budget[k], Seeds: len(losses[k]), Median: experiment.Median(losses[k])}
	}
	return out, nil
}
