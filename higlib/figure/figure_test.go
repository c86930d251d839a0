package figure_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/cmpimg"
	"gonum.org/v1/plot/plotter"

	"github.com/higlab/hig/higlib/figure"
)

// regen is cmpimg's -regen flag: go test -regen rewrites the golden images.
var regen = cmpimg.GenerateTestData

// run is one synthetic run: n+1 records at t = 0, 0.1, …, of a loss that
// decays at the given rate, drifting activations and an output spiralling
// in to the target (0.8, −1).
func run(label string, k int, n int) figure.Series {
	var loss, mean, std, sat, path plotter.XYs
	rate := float64(k + 1)
	for i := 0; i <= n; i++ {
		t := float64(i) / 10
		decay := math.Exp(-rate * t / 2)
		loss = append(loss, plotter.XY{X: t, Y: 0.5 * decay})
		mean = append(mean, plotter.XY{X: t, Y: 0.3 * float64(k-1) * (1 - decay)})
		std = append(std, plotter.XY{X: t, Y: 0.2 + 0.1*decay})
		sat = append(sat, plotter.XY{X: t, Y: 0.5 * (1 - decay) * float64(k) / 2})
		path = append(path, plotter.XY{X: 0.8 - 0.8*decay*math.Cos(rate*t), Y: -1 + decay*math.Sin(rate*t) + decay})
	}
	return figure.Series{Label: label, Loss: loss, Mean: mean, Std: std, Saturated: sat, Path: path}
}

// synthetic returns a deterministic figure of three well-behaved runs.
func synthetic() *figure.Figure {
	f := &figure.Figure{Title: "synthetic", Target: []float64{0.8, -1}}
	for k, name := range []string{"Adam", "Gauss-Newton", "HIG"} {
		f.Series = append(f.Series, run(name, k, 50))
	}
	return f
}

// exploding is synthetic with the second run's loss jumping to 2·10⁴ early
// on and its path jumping far outside the region of interest, as
// Gauss-Newton does at λ = 1: the loss axis must stay capped at 10× the
// initial loss with a note, and the path must be clipped to its panel.
func exploding() *figure.Figure {
	f := synthetic()
	f.Title = "exploding"
	loss := f.Series[1].Loss.(plotter.XYs)
	path := f.Series[1].Path.(plotter.XYs)
	for i := 1; i < 8; i++ {
		loss[i].Y = 2e4 / float64(i*i)
		path[i] = plotter.XY{X: 40 * math.Cos(float64(i)), Y: 60 * math.Sin(float64(3*i))}
	}
	return f
}

func checkGolden(t *testing.T, name string, got []byte, format string) {
	t.Helper()
	golden := filepath.Join("testdata", name+"_golden."+format)
	if *regen {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -regen to create it)", err)
	}
	ok, err := cmpimg.Equal(format, got, want)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		_ = os.WriteFile(filepath.Join("testdata", name+"_got."+format), got, 0o644)
		t.Errorf("%s differs from %s (wrote testdata/%s_got.%s; run go test -regen if the change is intended)", format, golden, name, format)
	}
}

func TestRenderGolden(t *testing.T) {
	for name, f := range map[string]func() *figure.Figure{"synthetic": synthetic, "exploding": exploding} {
		for _, format := range []string{"png", "svg"} {
			got, err := f().Render(format)
			if err != nil {
				t.Fatalf("%s %s: %v", name, format, err)
			}
			checkGolden(t, name, got, format)
		}
	}
}

func TestRenderDeterministic(t *testing.T) {
	a, err := synthetic().Render("png")
	if err != nil {
		t.Fatal(err)
	}
	b, err := synthetic().Render("png")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two renderings of the same figure differ")
	}
	if !bytes.HasPrefix(a, []byte("\x89PNG")) {
		t.Error("png output does not start with the PNG signature")
	}
}

// The loss axis is capped at LossTop times the largest initial loss when
// a run explodes, with a note naming the run; without an explosion, or
// with LossTop = +Inf, the axis spans the data.
func TestLossCap(t *testing.T) {
	for _, c := range []struct {
		name    string
		f       *figure.Figure
		top     float64
		wantMax float64 // 0: not capped
	}{
		{"calm", synthetic(), 0, 0},
		{"exploding", exploding(), 0, 10 * 0.5},
		{"exploding, top 100", exploding(), 100, 100 * 0.5},
		{"exploding, no cap", exploding(), math.Inf(1), 0},
	} {
		c.f.LossTop = c.top
		ps, err := c.f.Plots()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := ps[0].Y.Max
		if c.wantMax != 0 && math.Abs(got-c.wantMax) > 1e-12 {
			t.Errorf("%s: loss axis top %v, want %v", c.name, got, c.wantMax)
		}
		if c.wantMax == 0 && !(got >= 0.5) {
			t.Errorf("%s: loss axis top %v, want the data's maximum (≥ 0.5)", c.name, got)
		}
		svg, err := c.f.Render("svg")
		if err != nil {
			t.Fatal(err)
		}
		noted := bytes.Contains(svg, []byte("off scale"))
		if noted != (c.wantMax != 0) {
			t.Errorf("%s: note of clipped values present = %v, want %v", c.name, noted, c.wantMax != 0)
		}
	}
}

// Series are coloured by position, not by name: a single run labelled
// "HIG" is drawn in Palette[0], and the i-th of several in Palette[i].
func TestColourByPosition(t *testing.T) {
	hex := func(i int) string {
		r, g, b, _ := figure.Palette[i].RGBA()
		return fmt.Sprintf("stroke:#%02X%02X%02X", r>>8, g>>8, b>>8)
	}
	one := figure.Figure{Series: []figure.Series{run("HIG", 2, 10)}}
	svg, err := one.Render("svg")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte(hex(0))) || bytes.Contains(svg, []byte(hex(2))) {
		t.Errorf("a single series is not drawn in Palette[0] (%s) only", hex(0))
	}
	many := figure.Figure{}
	for i := range len(figure.Palette) + 1 {
		many.Series = append(many.Series, run(fmt.Sprint("run ", i), i%3, 10))
	}
	svg, err = many.Render("svg")
	if err != nil {
		t.Fatal(err)
	}
	for i := range figure.Palette {
		if !bytes.Contains(svg, []byte(hex(i))) {
			t.Errorf("colour %d (%s) not used with %d series", i, hex(i), len(many.Series))
		}
	}
}

func TestRenderErrors(t *testing.T) {
	cases := []struct {
		name string
		f    figure.Figure
		fmt  string
		want string
	}{
		{"no series", figure.Figure{}, "png", "no runs"},
		{"all series empty", figure.Figure{Series: []figure.Series{{Label: "a"}, {Label: "b", Loss: plotter.XYs{}}}}, "png", "no drawable"},
		{"all points NaN", figure.Figure{Series: []figure.Series{{Loss: plotter.XYs{{X: math.NaN(), Y: 1}}, Path: plotter.XYs{{X: 0, Y: math.Inf(1)}}}}}, "png", "no drawable"},
		{"1-d target", figure.Figure{Series: synthetic().Series, Target: []float64{1}}, "png", "target"},
		{"bad format", *synthetic(), "gif", "unknown format"},
	}
	for _, c := range cases {
		_, err := c.f.Render(c.fmt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

// ys returns (i, v[i]) points.
func ys(v ...float64) plotter.XYs {
	xy := make(plotter.XYs, len(v))
	for i, y := range v {
		xy[i] = plotter.XY{X: float64(i), Y: y}
	}
	return xy
}

// TestNeverPanics draws figures from degenerate data on every axis. Each
// must render without panicking; only "nothing drawable" may be an error.
// Before this test existed, the single point, the all-equal losses below 1
// and the zero losses panicked in gonum/plot ("Values must be greater than
// 0 for a log scale"), and NaN or Inf activations failed the whole figure.
func TestNeverPanics(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	series := func(v ...float64) figure.Series {
		return figure.Series{Label: "s", Loss: ys(v...), Mean: ys(v...), Std: ys(v...), Saturated: ys(v...), Path: plotter.XYs{{X: 0, Y: 0}}}
	}
	path := func(xy ...float64) figure.Series {
		var p plotter.XYs
		for i := 0; i+1 < len(xy); i += 2 {
			p = append(p, plotter.XY{X: xy[i], Y: xy[i+1]})
		}
		return figure.Series{Label: "p", Path: p}
	}
	cases := []struct {
		name    string
		series  []figure.Series
		target  []float64
		wantErr bool
	}{
		{"single point", []figure.Series{series(0.5)}, nil, false},
		{"all equal below 1", []figure.Series{series(0.5, 0.5, 0.5)}, nil, false},
		{"all equal above 1", []figure.Series{series(2, 2, 2)}, nil, false},
		{"all zero", []figure.Series{series(0, 0, 0)}, nil, false},
		{"negative", []figure.Series{series(-1, -2, 0.5)}, nil, false},
		{"all negative", []figure.Series{series(-1, -2, -3)}, nil, false},
		{"NaN points", []figure.Series{series(nan, 0.5, nan, 0.1)}, nil, false},
		{"±Inf points", []figure.Series{series(inf, 0.5, -inf, 0.1)}, nil, false},
		{"all NaN but a path", []figure.Series{series(nan, nan)}, nil, false},
		{"tiny and huge", []figure.Series{series(1e-320, 1e300, 5e-324)}, nil, false},
		{"empty series beside a full one", []figure.Series{{Label: "empty"}, run("full", 1, 20)}, nil, false},
		{"empty XYs", []figure.Series{{Label: "e", Loss: plotter.XYs{}, Mean: plotter.XYs{}, Path: plotter.XYs{}}}, []float64{1, 2}, false},
		{"std shorter than mean", []figure.Series{{Mean: ys(1, 2, 3), Std: ys(0.1)}}, nil, false},
		{"single path point", []figure.Series{path(1, 1)}, nil, false},
		{"path all equal", []figure.Series{path(1, 1, 1, 1, 1, 1)}, []float64{1, 1}, false},
		{"path with NaN and Inf", []figure.Series{path(nan, 1, 0, inf, 2, 2, -inf, nan, 3, 3)}, []float64{nan, 0}, false},
		{"path huge", []figure.Series{path(0, 0, 1e300, -1e300, 1, 1)}, []float64{0.5, 0.5}, false},
		{"target only", []figure.Series{{Label: "e"}}, []float64{0.8, -1}, false},
		{"all series empty", []figure.Series{{}, {}}, nil, true},
		{"no series", nil, nil, true},
		{"only NaN", []figure.Series{{Loss: ys(nan), Mean: ys(inf), Path: plotter.XYs{{X: nan, Y: nan}}}}, nil, true},
	}
	for _, c := range cases {
		for _, format := range []string{"png", "svg"} {
			f := figure.Figure{Series: c.series, Target: c.target}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s (%s): panic: %v", c.name, format, r)
					}
				}()
				b, err := f.Render(format)
				if (err != nil) != c.wantErr {
					t.Errorf("%s (%s): error %v, want error %v", c.name, format, err, c.wantErr)
				}
				if err == nil && len(b) == 0 {
					t.Errorf("%s (%s): empty image", c.name, format)
				}
			}()
		}
	}
}

// Exits finds where a path steps out of the box, on the box's edge, and
// nothing for steps that stay inside or come back in.
func TestExits(t *testing.T) {
	path := plotter.XYs{{X: 0, Y: 0}, {X: 0.5, Y: 0.5}, {X: 2, Y: 0.5}, {X: 3, Y: 3}, {X: 0, Y: -0.5}, {X: 0, Y: -3}}
	got := figure.Exits(path, -1, 1, -1, 1)
	want := plotter.XYs{{X: 1, Y: 0.5}, {X: 0, Y: -1}}
	if len(got) != len(want) {
		t.Fatalf("Exits = %v, want %v", got, want)
	}
	for i := range want {
		if math.Abs(got[i].X-want[i].X) > 1e-15 || math.Abs(got[i].Y-want[i].Y) > 1e-15 {
			t.Errorf("exit %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// With ShareOwnPanel the share gets a fourth panel on [0, 1], and Plots
// keeps the three-panel layout.
func TestShareOwnPanel(t *testing.T) {
	s := figure.Series{Label: "a", Loss: plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 0.5}},
		Mean: plotter.XYs{{X: 0, Y: 0.1}, {X: 1, Y: 0.2}}, Std: plotter.XYs{{X: 0, Y: 0.5}, {X: 1, Y: 0.5}},
		Saturated: plotter.XYs{{X: 0, Y: 0.1}, {X: 1, Y: 0.6}}, Path: plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}}
	f := figure.Figure{Series: []figure.Series{s}, ShareOwnPanel: true}
	ps, err := f.Panels()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 4 || ps[2].Y.Min != 0 || ps[2].Y.Max != 1 {
		t.Fatalf("%d panels, share axis [%v, %v]", len(ps), ps[2].Y.Min, ps[2].Y.Max)
	}
	if _, err := f.Plots(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Render("png"); err != nil {
		t.Fatal(err)
	}
}
