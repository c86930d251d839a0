package nn_test

import (
	"fmt"

	"github.com/higlab/hig/higlib/nn"
)

// A 1 → 2 → 1 network with a ReLU hidden layer and fixed parameters:
// W₁ = (1, −1)ᵀ, b₁ = 0, W₂ = (2, 3), b₂ = 1.
func ExampleMLP_Forward() {
	net, err := nn.New([]int{1, 2, 1}, []nn.Activation{nn.ReLU, nn.Identity})
	if err != nil {
		panic(err)
	}
	params := []float64{1, -1, 0, 0, 2, 3, 1}
	ws := net.NewWorkspace()
	for _, x := range []float64{0.5, -0.5} {
		y := net.Forward(ws, params, []float64{x})
		fmt.Printf("f(%v) = %v, hidden %v\n", x, y[0], ws.Activation(1))
	}
	// Output:
	// f(0.5) = 2, hidden [0.5 0]
	// f(-0.5) = 2.5, hidden [0 0.5]
}
