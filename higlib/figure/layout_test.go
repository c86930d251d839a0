package figure

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// notebookWidth is the width in pixels at which a notebook shows a figure.
const notebookWidth = 1000

// minTextPx returns the height in pixels of the smallest text of the plots
// when a picture w wide is shown notebookWidth pixels wide.
func minTextPx(w vg.Length, plots ...*plot.Plot) float64 {
	px := math.Inf(1)
	scale := notebookWidth / w.Points() // pixels per point
	for _, p := range plots {
		for _, s := range []vg.Length{p.Title.TextStyle.Font.Size, p.X.Label.TextStyle.Font.Size, p.Y.Label.TextStyle.Font.Size,
			p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size, p.Legend.TextStyle.Font.Size} {
			px = math.Min(px, s.Points()*scale)
		}
	}
	return px
}

// The three-panel and the scaling figure, at their default widths shown at
// notebook width, have no text under 11 pixels (issue 11). The notes of
// clipped losses use the legend's style, so they are covered too.
func TestLegibleAtNotebookWidth(t *testing.T) {
	f := Figure{Series: []Series{{Label: "a", Loss: plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 0.1}}}}}
	ps, err := f.Plots()
	if err != nil {
		t.Fatal(err)
	}
	if got := minTextPx(10*vg.Inch, ps[:]...); got < 11 {
		t.Errorf("three-panel figure: smallest text %.1f px at %d px width, want ≥ 11", got, notebookWidth)
	}
	sp, err := syntheticScaling().Plots()
	if err != nil {
		t.Fatal(err)
	}
	if got := minTextPx(10*vg.Inch, sp[:]...); got < 11 {
		t.Errorf("scaling figure: smallest text %.1f px at %d px width, want ≥ 11", got, notebookWidth)
	}
	// The PNG is exactly notebook width by default.
	b, err := f.Render("png")
	if err != nil {
		t.Fatal(err)
	}
	if w := int(b[16])<<24 | int(b[17])<<16 | int(b[18])<<8 | int(b[19]); w != notebookWidth {
		t.Errorf("default PNG is %d px wide, want %d", w, notebookWidth)
	}
}

func TestLogRange(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		min, max, lo, hi float64
	}{
		{0.1, 10, 0.1, 10},
		{10, 0.1, 0.1, 10},
		{0.5, 0.5, 0.5 / math.Sqrt(10), 0.5 * math.Sqrt(10)},
		{0, 5, 5e-3, 5},
		{-3, 5, 5e-3, 5},
		{2, -1, 2, 2000},
		{nan, 5, 5e-3, 5},
		{0, 0, 1, 10},
		{inf, -inf, 1, 10}, // an empty plot's range
		{nan, nan, 1, 10},
		{5e-324, 5e-324, 0, 0},
		{math.MaxFloat64, math.MaxFloat64, 0, 0},
	} {
		lo, hi := LogRange(c.min, c.max)
		if !(lo > 0 && hi > lo && !math.IsInf(hi, 0)) {
			t.Errorf("LogRange(%v, %v) = %v, %v: not 0 < lo < hi < ∞", c.min, c.max, lo, hi)
			continue
		}
		if c.lo == 0 {
			continue // at the ends of the float64 range only validity matters
		}
		if math.Abs(lo-c.lo) > 1e-12*c.lo || math.Abs(hi-c.hi) > 1e-12*c.hi {
			t.Errorf("LogRange(%v, %v) = %v, %v, want %v, %v", c.min, c.max, lo, hi, c.lo, c.hi)
		}
	}
}

// LogTicks gives, for any range, at least two labelled ticks inside the
// repaired range, and all ticks positive and inside it.
func TestLogTicks(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, r := range [][2]float64{{1e-5, 10}, {0.2, 0.5}, {540, 2956}, {1, 1}, {0, 0}, {-1, 1}, {inf, -inf}, {nan, 1}, {1e-300, 1e300}, {0.5, 5}} {
		ts := LogTicks{}.Ticks(r[0], r[1])
		lo, hi := LogRange(r[0], r[1])
		labelled := 0
		for _, tk := range ts {
			if !(tk.Value > 0) || tk.Value < lo*(1-1e-9) || tk.Value > hi*(1+1e-9) {
				t.Errorf("range %v: tick %v outside [%v, %v]", r, tk.Value, lo, hi)
			}
			if tk.Label != "" {
				labelled++
				if strings.Contains(tk.Label, ".") && strings.HasSuffix(tk.Label, "0") {
					t.Errorf("range %v: label %q has trailing zeros", r, tk.Label)
				}
			}
		}
		if labelled < 2 {
			t.Errorf("range %v: %d labelled ticks, want ≥ 2", r, labelled)
		}
		if labelled > 8 {
			t.Errorf("range %v: %d labelled ticks, want ≤ 8", r, labelled)
		}
	}
}

func TestSegments(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	xy := plotter.XYs{{X: 1, Y: 1}, {X: 2, Y: nan}, {X: 3, Y: 3}, {X: 4, Y: 0}, {X: 5, Y: 5}, {X: inf, Y: 6}, {X: 7, Y: -7}}
	for _, c := range []struct {
		log  bool
		want []int // lengths of the segments
	}{{false, []int{1, 3, 1}}, {true, []int{1, 1, 1}}} {
		segs := Segments(xy, false, c.log)
		var got []int
		for _, s := range segs {
			got = append(got, len(s))
		}
		if len(got) != len(c.want) {
			t.Errorf("log %v: segment lengths %v, want %v", c.log, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("log %v: segment lengths %v, want %v", c.log, got, c.want)
				break
			}
		}
	}
	if Segments(nil, false, false) != nil || Segments(plotter.XYs{}, true, true) != nil {
		t.Error("no points gave segments")
	}
}

// Grid draws gonum plots that would panic on their own: a log axis with no
// data, one with a single value below 1, and gonum's own plot.LogScale
// over a range reaching 0.
func TestGridNeverPanics(t *testing.T) {
	empty := NewPlot("empty", "x", "y")
	LogAxis(&empty.Y)
	single := NewPlot("single", "x", "y")
	single.Y.Scale, single.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{}
	l, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0.5}, {X: 1, Y: 0.5}})
	single.Add(l)
	zero := NewPlot("zero", "x", "y")
	zero.Y.Scale = plot.LogScale{}
	zero.Y.Min, zero.Y.Max = 0, 1
	for _, rows := range [][][]*plot.Plot{{{empty, single, zero}}, {{empty}, {nil, single}}} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("panic: %v", r)
				}
			}()
			b, err := Grid{Title: "degenerate"}.Render("png", rows...)
			if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
				t.Errorf("Render: %v", err)
			}
		}()
	}
	if _, err := (Grid{}).Render("png"); err == nil {
		t.Error("Render of no plots succeeded")
	}
	if _, err := (Grid{}).Render("png", []*plot.Plot{nil}); err == nil {
		t.Error("Render of only nil plots succeeded")
	}
	if _, err := Row("jpeg", 0, 0, empty); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("Row(jpeg): %v", err)
	}
}

// Row lays plots side by side at the requested size and resolution.
func TestRowSize(t *testing.T) {
	p := NewPlot("p", "x", "y")
	b, err := Row("png", 4*vg.Inch, 2*vg.Inch, p, p)
	if err != nil {
		t.Fatal(err)
	}
	w := int(b[16])<<24 | int(b[17])<<16 | int(b[18])<<8 | int(b[19])
	h := int(b[20])<<24 | int(b[21])<<16 | int(b[22])<<8 | int(b[23])
	if w != 400 || h != 200 {
		t.Errorf("4 × 2 in at %d dpi gave %d × %d px, want 400 × 200", DefaultDPI, w, h)
	}
}
