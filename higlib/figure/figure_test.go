package figure_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/cmpimg"

	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/train"
)

// regen is cmpimg's -regen flag: go test -regen rewrites the golden images.
var regen = cmpimg.GenerateTestData

// synthetic returns a deterministic figure: three runs whose loss decays at
// different rates, whose activations drift, and whose outputs spiral in to
// the target (0.8, −1).
func synthetic() *figure.Figure {
	f := &figure.Figure{Title: "synthetic", Target: []float64{0.8, -1}}
	for k, name := range []string{"Adam", "Gauss-Newton", "HIG"} {
		var recs []train.Record
		rate := float64(k + 1)
		for i := 0; i <= 50; i++ {
			t := float64(i) / 10
			decay := math.Exp(-rate * t / 2)
			recs = append(recs, train.Record{
				Step: i, Seconds: t,
				Loss:    0.5 * decay,
				ActMean: 0.3 * float64(k-1) * (1 - decay), ActStd: 0.2 + 0.1*decay, Saturated: 0.5 * (1 - decay) * float64(k) / 2,
				Y: []float64{0.8 - 0.8*decay*math.Cos(rate*t), -1 + decay*math.Sin(rate*t) + decay},
			})
		}
		f.Series = append(f.Series, figure.Series{Label: name, Records: recs})
	}
	return f
}

func TestRenderGolden(t *testing.T) {
	for _, format := range []string{"png", "svg"} {
		got, err := synthetic().Render(format)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		golden := filepath.Join("testdata", "synthetic_golden."+format)
		if *regen {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
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
			_ = os.WriteFile(filepath.Join("testdata", "synthetic_got."+format), got, 0o644)
			t.Errorf("%s differs from %s (wrote testdata/synthetic_got.%s; run go test -regen if the change is intended)", format, golden, format)
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

func TestRenderErrors(t *testing.T) {
	cases := []struct {
		name string
		f    figure.Figure
		fmt  string
		want string
	}{
		{"no series", figure.Figure{}, "png", "no runs"},
		{"empty run", figure.Figure{Series: []figure.Series{{Label: "x"}}}, "png", "no records"},
		{"1-d output", figure.Figure{Series: []figure.Series{{Label: "x", Records: []train.Record{{Loss: 1, Y: []float64{1}}}}}}, "png", "2"},
		{"bad format", *synthetic(), "gif", "unknown format"},
	}
	for _, c := range cases {
		_, err := c.f.Render(c.fmt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

// A diverged run records NaN and Inf losses; the figure must still draw the
// finite part rather than fail or draw garbage.
func TestRenderNonFiniteLoss(t *testing.T) {
	f := synthetic()
	f.Series[1].Records[10].Loss = math.NaN()
	f.Series[1].Records[11].Loss = math.Inf(1)
	if _, err := f.Render("png"); err != nil {
		t.Fatal(err)
	}
}
