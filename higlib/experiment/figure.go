package experiment

import (
	"fmt"

	"github.com/higlab/hig/higlib/figure"
)

// Series returns the run's records as a series of the three-panel figure:
// validation loss and hidden-activation statistics against training time,
// and the tracked sample's path in the plane of its first two outputs (nil
// for a one-dimensional output). SeriesIn chooses the plane.
func (r *Run) Series() figure.Series {
	if r.outputs() < 2 {
		return r.SeriesIn(-1, -1)
	}
	return r.SeriesIn(0, 1)
}

// SeriesIn is Series with the tracked sample's path drawn in the plane of
// outputs a (horizontal) and b (vertical), e.g. two of the 16 cells of a
// reaction–diffusion state; a = b = −1 draws no path. It panics if a or b
// is not an output of the problem.
func (r *Run) SeriesIn(a, b int) figure.Series {
	s := figure.Series{
		Label:     r.Method,
		Loss:      r.Validation.Loss.BySeconds(),
		Mean:      r.Saturation.Mean.BySeconds(),
		Std:       r.Saturation.Std.BySeconds(),
		Saturated: r.Saturation.Saturated.BySeconds(),
	}
	if a == -1 && b == -1 {
		return s
	}
	r.checkPair(a, b)
	if len(r.Track.Y) > 0 {
		s.Path = r.Track.Path(a, b)
	}
	return s
}

// outputs returns the dimension of the tracked sample's output, or 0 if
// nothing was tracked.
func (r *Run) outputs() int {
	if r.Track.Data.Y != nil {
		_, n := r.Track.Data.Y.Dims()
		return n
	}
	if len(r.Track.Y) > 0 {
		return len(r.Track.Y[0])
	}
	return 0
}

func (r *Run) checkPair(a, b int) {
	if n := r.outputs(); a < 0 || b < 0 || (n > 0 && (a >= n || b >= n)) {
		panic(fmt.Sprintf("experiment: outputs (%d, %d) to draw, but the problem has %d outputs", a, b, n))
	}
}

// Figure returns the three-panel figure of the evaluation runs on the seed
// at position i of Seeds, one series per method in the study's order (which
// gives the colours), with the tracked sample's path and target in the
// plane of its first two outputs (no path for one output); the caller sets
// the title. FigureIn chooses the plane.
func (o *Outcome) Figure(i int) figure.Figure {
	if len(o.Runs) == 0 || len(o.Runs[0]) <= i || o.Runs[0][i].outputs() < 2 {
		return o.FigureIn(i, -1, -1)
	}
	return o.FigureIn(i, 0, 1)
}

// FigureIn is Figure with the path and target drawn in the plane of
// outputs a (horizontal) and b (vertical), for outputs of any dimension;
// a = b = −1 draws neither. It panics if a or b is not an output.
func (o *Outcome) FigureIn(i, a, b int) figure.Figure {
	var f figure.Figure
	for _, runs := range o.Runs {
		f.Series = append(f.Series, runs[i].SeriesIn(a, b))
	}
	if len(o.Runs) > 0 && a >= 0 && o.Runs[0][i].Track.Data.Y != nil {
		t := o.Runs[0][i].Track.Target()
		f.Target = []float64{t[a], t[b]}
	}
	return f
}
