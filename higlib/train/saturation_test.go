package train_test

import (
	"testing"

	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/toy"
	"github.com/higlab/hig/higlib/train"
)

// TestSaturated checks the Saturation recorder's share at the two extremes:
// hidden weights scaled up 1000× put every tanh unit deep in its flat part
// for all but a sliver of inputs near x = 0, while weights scaled down 1000×
// keep every unit in its linear part (|a| ≤ 0.001·|w|max ≪ 0.99).
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
		sat := &train.Saturation{Obj: s.Obj, Data: s.Valid}
		_, err := train.Train(s.Obj, s.Train, p, &optim.GradientDescent{LearnRate: 1e-12}, &train.Settings{Steps: 1, BatchSize: 16, Recorder: sat})
		if err != nil {
			t.Fatal(err)
		}
		if got := sat.Saturated[0].Value; got < c.lo || got > c.hi {
			t.Errorf("weights ×%g: saturated fraction %v, want in [%v, %v]", c.scale, got, c.lo, c.hi)
		}
	}
}
