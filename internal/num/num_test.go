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
