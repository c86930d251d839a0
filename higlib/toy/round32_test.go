package toy_test

import (
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/toy"
)

// TestFloat32Inputs checks that the wrapper hands the inner method exactly
// the float32-rounded Jacobian and ∂L/∂y: its step must equal the inner
// method's step on inputs rounded here, bit for bit, and differ from the
// step on the unrounded inputs.
func TestFloat32Inputs(t *testing.T) {
	s, err := toy.NewSetup(toy.Config{Lambda: 0.01, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, 64)
	for i := range idx {
		idx[i] = i
	}
	eval := func() *optim.Local {
		b := optim.Local{GradY: make([]float64, 128), Jac: &mat.Dense{}}
		s.Obj.Eval(&b, s.Obj.NewWorkspace(), s.Params0, s.Train, idx)
		return &optim.Local{Loss: b.Loss, Jac: b.Jac, GradY: b.GradY}
	}
	step := func(m optim.Method, loc *optim.Local) []float64 {
		if err := m.Init(30); err != nil {
			t.Fatal(err)
		}
		d := make([]float64, 30)
		if err := m.Step(d, loc); err != nil {
			t.Fatal(err)
		}
		return d
	}
	wrapped := step(toy.Float32Inputs{optim.GaussNewton(1)}, eval())

	loc := eval()
	raw := loc.Jac.RawMatrix()
	for i := range raw.Data {
		raw.Data[i] = float64(float32(raw.Data[i]))
	}
	for i := range loc.GradY {
		loc.GradY[i] = float64(float32(loc.GradY[i]))
	}
	byHand := step(optim.GaussNewton(1), loc)
	plain := step(optim.GaussNewton(1), eval())
	same := true
	for i := range wrapped {
		if wrapped[i] != byHand[i] {
			t.Fatalf("update[%d] = %v, want %v (inner step on rounded inputs)", i, wrapped[i], byHand[i])
		}
		same = same && wrapped[i] == plain[i]
	}
	if same {
		t.Error("rounding to float32 did not change the Gauss-Newton step at all")
	}
}
