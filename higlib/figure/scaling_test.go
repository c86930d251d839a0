package figure

import (
	"bytes"
	"math"
	"testing"
)

// syntheticScaling follows the expected growth exactly, so the measured
// slopes must come out as the model's: 1 against b for the toy, and for
// m = 512 < n = P, 1 against P for both the Jacobian and the decomposition.
func syntheticScaling() *Scaling {
	var s Scaling
	for _, b := range []int{32, 64, 128, 256, 512, 1024} {
		p := ScalingPoint{Batch: b, Dim: 2, Params: 30}
		p.Jacobian, p.Solve = 1e-9*jacCost(p), 1e-10*decompCost(p)
		p.Step = p.Jacobian + p.Solve
		s.ByBatch = append(s.ByBatch, p)
	}
	for _, h := range []int{4, 8, 12, 16, 20} {
		p := ScalingPoint{Batch: 128, Dim: 4, Hidden: h, Params: 2*h*h + 103*h + 96}
		p.Jacobian, p.Solve = 1e-9*jacCost(p), 1e-10*decompCost(p)
		p.Step = p.Jacobian + p.Solve
		s.ByParams = append(s.ByParams, p)
	}
	return &s
}

func TestScalingRender(t *testing.T) {
	s := syntheticScaling()
	for _, format := range []string{"png", "svg"} {
		b, err := s.Render(format)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if len(b) < 1000 {
			t.Errorf("%s: only %d bytes", format, len(b))
		}
		if format == "svg" && !bytes.Contains(b, []byte("decomposition")) {
			t.Error("svg lacks the decomposition legend")
		}
	}
	if _, err := s.Render("gif"); err == nil {
		t.Error("Render(gif) succeeded")
	}
}

func TestScalingSlopes(t *testing.T) {
	s := syntheticScaling()
	b := func(p ScalingPoint) float64 { return float64(p.Batch) }
	P := func(p ScalingPoint) float64 { return float64(p.Params) }
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"jacobian vs b", Slope(s.ByBatch, b, func(p ScalingPoint) float64 { return p.Jacobian }), 1},
		{"solve vs b", Slope(s.ByBatch, b, func(p ScalingPoint) float64 { return p.Solve }), 1},
		{"jacobian vs P", Slope(s.ByParams, P, func(p ScalingPoint) float64 { return p.Jacobian }), 1},
		{"solve vs P", Slope(s.ByParams, P, func(p ScalingPoint) float64 { return p.Solve }), 1},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s: slope %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestScalingValidate(t *testing.T) {
	s := syntheticScaling()
	s.ByBatch[0] = ScalingPoint{Batch: 1, Dim: 2, Params: 30, Jacobian: math.NaN(), Solve: 0, Step: math.Inf(1)}
	if err := s.Validate(); err != nil {
		t.Errorf("a sweep with one bad point: %v", err)
	}
	bad := &Scaling{ByBatch: []ScalingPoint{{Batch: 0, Dim: 2, Params: 3, Step: 1}}, ByParams: []ScalingPoint{{Batch: 1, Dim: 1, Params: 1, Step: math.NaN()}}}
	if err := bad.Validate(); err == nil {
		t.Error("no drawable point accepted")
	}
	if _, err := (&Scaling{}).Render("png"); err == nil {
		t.Error("empty scaling figure rendered")
	}
}

// TestScalingNeverPanics draws sweeps with degenerate values on both log
// axes. Before, two equal batch sizes of 1 panicked in gonum/plot ("Values
// must be greater than 0 for a log scale"), as `hig scaling -batches 1,1`
// did, and one-point sweeps or one NaN time refused to draw at all.
func TestScalingNeverPanics(t *testing.T) {
	pt := func(b int, t float64) ScalingPoint {
		return ScalingPoint{Batch: b, Dim: 2, Params: 30, Jacobian: t, Solve: 2 * t, Step: 3 * t}
	}
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		name  string
		batch []ScalingPoint
	}{
		{"two equal batch sizes of 1", []ScalingPoint{pt(1, 1e-3), pt(1, 1.1e-3)}},
		{"two equal batch sizes of 32", []ScalingPoint{pt(32, 1e-3), pt(32, 1.1e-3)}},
		{"all equal", []ScalingPoint{pt(8, 1e-3), pt(8, 1e-3), pt(8, 1e-3)}},
		{"single point", []ScalingPoint{pt(8, 1e-3)}},
		{"empty sweep", nil},
		{"zero times", []ScalingPoint{pt(8, 0), pt(16, 1e-3)}},
		{"negative times", []ScalingPoint{pt(8, -1), pt(16, -2)}},
		{"NaN time", []ScalingPoint{pt(8, nan), pt(16, 1e-3), pt(32, 2e-3)}},
		{"±Inf times", []ScalingPoint{pt(8, inf), pt(16, -inf), pt(32, 2e-3)}},
		{"zero batch", []ScalingPoint{pt(0, 1e-3), pt(16, 1e-3)}},
		{"tiny and huge", []ScalingPoint{pt(1, 5e-324), pt(1<<40, 1e300)}},
	} {
		s := syntheticScaling()
		s.ByBatch = c.batch
		for _, format := range []string{"png", "svg"} {
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s (%s): panic: %v", c.name, format, r)
					}
				}()
				if _, err := s.Render(format); err != nil {
					t.Errorf("%s (%s): %v", c.name, format, err)
				}
			}()
		}
	}
}

func TestSlopeDegenerate(t *testing.T) {
	b := func(p ScalingPoint) float64 { return float64(p.Batch) }
	y := func(p ScalingPoint) float64 { return p.Step }
	for _, c := range []struct {
		name string
		pts  []ScalingPoint
	}{
		{"none", nil},
		{"one", []ScalingPoint{{Batch: 2, Step: 1}}},
		{"equal x", []ScalingPoint{{Batch: 2, Step: 1}, {Batch: 2, Step: 3}}},
		{"equal x = 1", []ScalingPoint{{Batch: 1, Step: 1}, {Batch: 1, Step: 3}}},
		{"one valid", []ScalingPoint{{Batch: 2, Step: 1}, {Batch: 4, Step: math.NaN()}, {Batch: 8, Step: 0}}},
	} {
		if got := Slope(c.pts, b, y); !math.IsNaN(got) {
			t.Errorf("%s: slope %v, want NaN", c.name, got)
		}
	}
	// Bad points are left out, not propagated.
	pts := []ScalingPoint{{Batch: 2, Step: 4}, {Batch: 3, Step: math.NaN()}, {Batch: 4, Step: 16}, {Batch: 0, Step: 1}}
	if got := Slope(pts, b, y); math.Abs(got-2) > 1e-12 {
		t.Errorf("slope over the valid points %v, want 2", got)
	}
}
