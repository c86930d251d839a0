package optim_test

import (
	"fmt"

	"github.com/higlab/hig/higlib/optim"
)

// Adam's first step with bias correction is −η g/(|g| + ε): about −η sign(g)
// whatever the size of g.
func ExampleAdam() {
	a := &optim.Adam{} // η = 0.001, β₁ = 0.9, β₂ = 0.999, ε = 1e-8
	if err := a.Init(3); err != nil {
		panic(err)
	}
	delta := make([]float64, 3)
	if err := a.Step(delta, &optim.Local{Grad: []float64{0.5, -2, 1e-3}}); err != nil {
		panic(err)
	}
	fmt.Printf("%.6f\n", delta)
	// Output:
	// [-0.001000 0.001000 -0.001000]
}
