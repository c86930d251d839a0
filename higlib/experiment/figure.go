package experiment

import "github.com/higlab/hig/higlib/figure"

// Series returns the run's records as a series of the three-panel figure:
// validation loss and hidden-activation statistics against training time,
// and the tracked sample's path in the plane of its first two outputs (nil
// for a one-dimensional output).
func (r *Run) Series() figure.Series {
	s := figure.Series{
		Label:     r.Method,
		Loss:      r.Validation.Loss.BySeconds(),
		Mean:      r.Saturation.Mean.BySeconds(),
		Std:       r.Saturation.Std.BySeconds(),
		Saturated: r.Saturation.Saturated.BySeconds(),
	}
	if len(r.Track.Y) > 0 && len(r.Track.Y[0]) >= 2 {
		s.Path = r.Track.Path(0, 1)
	}
	return s
}

// Figure returns the three-panel figure of the evaluation runs on the seed
// at position i of Seeds, one series per method in the study's order (which
// gives the colours), with the tracked sample's target; the caller sets the
// title.
func (o *Outcome) Figure(i int) figure.Figure {
	var f figure.Figure
	for _, runs := range o.Runs {
		f.Series = append(f.Series, runs[i].Series())
	}
	if len(o.Runs) > 0 {
		f.Target = o.Runs[0][i].Track.Target()
	}
	return f
}
