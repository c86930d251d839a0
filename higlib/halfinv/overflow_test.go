package halfinv_test

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/halfinv"
)

// TestOverflow: a product that cannot be represented must be an error with
// dst untouched, never Inf or NaN handed back as a result. Two ways to get
// there: clamping an exact zero singular value to a threshold that
// underflows, and inverting a subnormal singular value.
func TestOverflow(t *testing.T) {
	cases := []struct {
		name string
		j    *mat.Dense
		p    halfinv.Params
	}{
		{"clamp to an underflowing threshold", mat.NewDense(2, 2, []float64{2, 0, 0, 0}),
			halfinv.Params{Kappa: 1, Tau: math.SmallestNonzeroFloat64, Mode: halfinv.Clamp}},
		{"invert a subnormal singular value", mat.NewDense(2, 2, []float64{1e-310, 0, 0, 1e-310}),
			halfinv.Params{Kappa: 1, Tau: 1e-6}},
	}
	for _, c := range cases {
		g := []float64{1, 1}
		for name, solve := range map[string]func(dst []float64) error{
			"Solve": func(dst []float64) error {
				var s halfinv.Solver
				_, err := s.Solve(dst, c.j, g, c.p)
				return err
			},
			"Reference": func(dst []float64) error {
				_, err := halfinv.Reference(dst, c.j, g, c.p)
				return err
			},
		} {
			dst := []float64{7, 7}
			err := solve(dst)
			if !errors.Is(err, halfinv.ErrOverflow) {
				t.Errorf("%s, %s: error %v, want ErrOverflow", c.name, name, err)
			}
			if dst[0] != 7 || dst[1] != 7 {
				t.Errorf("%s, %s: dst changed to %v on error", c.name, name, dst)
			}
		}
	}
}
