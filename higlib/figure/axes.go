package figure

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// LogScale is a logarithmic plot.Normalizer that, unlike plot.LogScale,
// never panics. An axis range that is not positive is first repaired as
// LogRange does; a value x ≤ 0 or NaN, whose logarithm is −∞ or undefined,
// is placed far below the axis, so that a line running to it leaves the
// panel at the bottom edge. Positions are limited to 100 axis lengths on
// either side, which keeps the clipped lines' coordinates finite:
//
//	t(x) = (log x − log min) / (log max − log min),  clamped to [−100, 101].
type LogScale struct{}

var _ plot.Normalizer = LogScale{}

// Normalize implements plot.Normalizer.
func (LogScale) Normalize(min, max, x float64) float64 {
	min, max = LogRange(min, max)
	if !(x > 0) {
		return -100
	}
	lo := math.Log(min)
	t := (math.Log(x) - lo) / (math.Log(max) - lo)
	return math.Max(-100, math.Min(101, t))
}

// LogRange returns a usable range 0 < lo < hi for a log axis from the
// proposed min and max, which may be empty (min > max, as on a plot
// without data), a single value, non-positive, infinite or NaN:
//
//   - no positive finite bound gives [1, 10];
//   - a missing lower bound gives hi/1000, a missing upper one lo·1000;
//   - a single value v gives [v/√10, v·√10], half a decade either side;
//   - bounds in the wrong order are swapped.
func LogRange(min, max float64) (lo, hi float64) {
	ok := func(v float64) bool { return v > 0 && !math.IsInf(v, 0) }
	switch {
	case !ok(min) && !ok(max):
		return 1, 10
	case !ok(min):
		min = max / 1000
	case !ok(max):
		max = min * 1000
	}
	if min > max {
		min, max = max, min
	}
	if min == max || !ok(min) || !ok(max) {
		// Equal, or one bound under- or overflowed in the repairs above.
		v := math.Max(min, max)
		if !ok(v) {
			v = math.Min(min, max)
		}
		if !ok(v) {
			return 1, 10
		}
		lo, hi := v/math.Sqrt(10), v*math.Sqrt(10)
		if !ok(lo) { // v is subnormal
			lo, hi = v, v*10
		}
		if !ok(hi) { // v is near the largest float64
			lo, hi = v/10, v
		}
		return lo, hi
	}
	return min, max
}

// linRange is LogRange's counterpart for a linear axis: an empty or
// non-finite range gives [0, 1], and a single value v is widened by a
// tenth of |v| (by 1 for v = 0) on either side.
func linRange(min, max float64) (lo, hi float64) {
	ok := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !ok(min) && !ok(max):
		return 0, 1
	case !ok(min):
		min = max
	case !ok(max):
		max = min
	}
	if min > max {
		min, max = max, min
	}
	if min == max {
		d := math.Abs(min) / 10
		if d == 0 {
			d = 1
		}
		return min - d, max + d
	}
	return min, max
}

// LogTicks marks and labels the powers of ten on a log axis. Unlike
// plot.LogTicks it never panics (the range is repaired as LogRange does),
// labels at most about six decades however wide the range (every k-th
// decade), and falls back to plot.DefaultTicks when fewer than two powers
// of ten lie in the range, where decade labels would leave the axis bare.
type LogTicks struct{}

var _ plot.Ticker = LogTicks{}

// Ticks implements plot.Ticker.
func (LogTicks) Ticks(min, max float64) []plot.Tick {
	min, max = LogRange(min, max)
	lo, hi := int(math.Ceil(math.Log10(min)-1e-9)), int(math.Floor(math.Log10(max)+1e-9))
	if hi-lo+1 < 2 {
		var ts []plot.Tick
		for _, t := range (plot.DefaultTicks{}).Ticks(min, max) {
			if t.Value > 0 {
				if t.Label != "" {
					t.Label = strconv.FormatFloat(t.Value, 'g', 6, 64)
				}
				ts = append(ts, t)
			}
		}
		return ts
	}
	every := (hi - lo + 6) / 6
	var ts []plot.Tick
	for e := lo - 1; e <= hi; e++ {
		v := math.Pow10(e)
		if v >= min*(1-1e-9) && v <= max*(1+1e-9) {
			t := plot.Tick{Value: v}
			if (e-lo)%every == 0 {
				t.Label = decade(e)
			}
			ts = append(ts, t)
		}
		if every > 1 {
			continue // minor ticks would crowd a wide range
		}
		for k := 2; k < 10; k++ {
			if w := float64(k) * v; w >= min && w <= max {
				ts = append(ts, plot.Tick{Value: w})
			}
		}
	}
	return ts
}

// decade writes 10^e as a plain number near 1 and as 1e±n otherwise.
func decade(e int) string {
	if e >= -3 && e <= 4 {
		return strconv.FormatFloat(math.Pow10(e), 'f', -1, 64)
	}
	return "1e" + strconv.Itoa(e)
}

// LogAxis makes a a logarithmic axis that cannot panic: LogScale and
// LogTicks. Points that are not positive should still be left out of the
// data (Segments does that); if some reach the axis they are drawn below it.
func LogAxis(a *plot.Axis) {
	a.Scale = LogScale{}
	a.Tick.Marker = LogTicks{}
}

// Segments returns the runs of consecutive drawable points of xy: points
// with a NaN or infinite coordinate, or a coordinate ≤ 0 on a log axis
// (logX, logY), are left out and split the series, so that a line drawn
// from the segments shows a gap where the data has none. A nil xy or one
// without points gives no segments.
func Segments(xy plotter.XYer, logX, logY bool) []plotter.XYs {
	if xy == nil {
		return nil
	}
	var out []plotter.XYs
	var cur plotter.XYs
	for i := range xy.Len() {
		x, y := xy.XY(i)
		if drawable(x, logX) && drawable(y, logY) {
			cur = append(cur, plotter.XY{X: x, Y: y})
			continue
		}
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func drawable(v float64, log bool) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0) && (!log || v > 0)
}

// isLog reports whether a is drawn on a logarithmic scale.
func isLog(a *plot.Axis) bool {
	switch a.Scale.(type) {
	case plot.LogScale, *plot.LogScale, LogScale, *LogScale:
		return true
	}
	return false
}

// Tidy repairs the ranges of p's axes so that drawing cannot panic: an
// empty range (a plot without data) or one with NaN or infinite bounds, a
// single value, and a log axis reaching zero or below are replaced as
// LogRange and its linear counterpart do, and a log axis with gonum's
// panicking plot.LogScale or plot.LogTicks gets LogScale and LogTicks
// instead. Grid.Render calls it on every plot.
func Tidy(p *plot.Plot) {
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		if !isLog(a) {
			a.Min, a.Max = linRange(a.Min, a.Max)
			continue
		}
		a.Min, a.Max = LogRange(a.Min, a.Max)
		switch a.Scale.(type) {
		case plot.LogScale, *plot.LogScale:
			a.Scale = LogScale{}
		}
		switch a.Tick.Marker.(type) {
		case plot.LogTicks, *plot.LogTicks:
			a.Tick.Marker = LogTicks{}
		}
	}
}
