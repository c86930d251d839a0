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
	s.ByParams = s.ByParams[:1]
	if err := s.Validate(); err == nil {
		t.Error("one-point sweep accepted")
	}
	s = syntheticScaling()
	s.ByBatch[2].Solve = math.NaN()
	if _, err := s.Render("png"); err == nil {
		t.Error("NaN time accepted")
	}
}
