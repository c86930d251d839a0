package num

import (
	"math"
	"testing"
)

func TestFinite(t *testing.T) {
	cases := []struct {
		x    []float64
		want bool
	}{
		{nil, true},
		{[]float64{0, -1, math.MaxFloat64, math.SmallestNonzeroFloat64}, true},
		{[]float64{1, math.NaN()}, false},
		{[]float64{math.Inf(1)}, false},
		{[]float64{2, math.Inf(-1), 3}, false},
	}
	for _, c := range cases {
		if got := Finite(c.x); got != c.want {
			t.Errorf("Finite(%v) = %v, want %v", c.x, got, c.want)
		}
		if len(c.x) == 1 && IsFinite(c.x[0]) != c.want {
			t.Errorf("IsFinite(%v) = %v, want %v", c.x[0], !c.want, c.want)
		}
	}
}

func TestHelpers(t *testing.T) {
	if i := FirstNotFinite([]float64{1, 2, math.Inf(-1), math.NaN()}); i != 2 {
		t.Errorf("FirstNotFinite = %d, want 2", i)
	}
	if i := FirstNotFinite([]float64{1}); i != -1 {
		t.Errorf("FirstNotFinite of finite values = %d", i)
	}
	if m := MaxAbs([]float64{1, -3, 2}); m != 3 {
		t.Errorf("MaxAbs = %v", m)
	}
	negZero := math.Copysign(0, -1)
	if SameBits([]float64{0}, []float64{negZero}) || !SameBits([]float64{math.NaN()}, []float64{math.NaN()}) || SameBits([]float64{1}, nil) {
		t.Error("SameBits does not compare bit patterns")
	}
	if f := Filled(3, 7); len(f) != 3 || f[2] != 7 {
		t.Errorf("Filled = %v", f)
	}
}
