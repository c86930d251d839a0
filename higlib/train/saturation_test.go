package train_test

import (
	"testing"

	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/toy"
	"github.com/higlab/hig/higlib/train"
)

// TestSaturated checks Record.Saturated at the two extremes: hidden weights
// scaled up 1000× put every tanh unit deep in its flat part for all but a
// sliver of inputs near x = 0, while weights scaled down 1000× keep every
// unit in its linear part (|a| ≤ 0.001·|w|max ≪ 0.99).
func TestSaturated(t *testing.T) {
	s, err := toy.NewSetup(toy.Config{Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		scale  float64
		lo, hi float64
	}{{1000, 0.95, 1}, {1e-3, 0, 0}} {
		p := append([]float64(nil), s.Params0...)
		for i := range p {
			p[i] *= c.scale
		}
		var h train.History
		_, err := train.Train(s.Obj, &optim.GradientDescent{LearnRate: 1e-12}, p, s.Train, s.Valid, train.Settings{Steps: 1, BatchSize: 16}, &h)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.Records[0].Saturated; got < c.lo || got > c.hi {
			t.Errorf("weights ×%g: saturated fraction %v, want in [%v, %v]", c.scale, got, c.lo, c.hi)
		}
	}
}
