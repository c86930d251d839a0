package oscillator_test

import (
	"fmt"
	"log"

	"github.com/higlab/hig/higlib/oscillator"
)

// The paper's setting: two oscillators, 96 RK4 steps of 0.125. Simulate
// one initial state under a constant push, take the final state and its
// Jacobian with respect to the 96 controls, and pull a cotangent back
// through the simulator without forming the Jacobian.
func ExampleChain() {
	c, err := oscillator.New(oscillator.Config{})
	if err != nil {
		log.Fatal(err)
	}
	nx, nz, ny := c.Dims()
	fmt.Printf("state %d, controls %d, output %d, T = %g\n", nx, nz, ny, float64(c.Steps())*c.DT())

	x0 := []float64{0.5, 0.2, 0, 0}
	u := make([]float64, c.Steps())
	for t := range u {
		u[t] = 0.1
	}
	ev := c.NewEvaluator().(*oscillator.Evaluator)
	y, jac := make([]float64, ny), make([]float64, ny*nz)
	ev.Eval(y, jac, x0, u)
	fmt.Printf("x(T) = %.4f\n", y)
	fmt.Printf("energy %.4f → %.4f\n", c.Energy(x0), c.Energy(y))
	// ∂x₂(T)/∂u_t for the first and the last control.
	fmt.Printf("∂x₂(T)/∂u₀ = %.4f, ∂x₂(T)/∂u₉₅ = %.4f\n", jac[1*nz+0], jac[1*nz+nz-1])

	// (∂x(T)/∂u)ᵀ e₂ is the second row of the Jacobian.
	g := make([]float64, nz)
	ev.VJP(g, []float64{0, 1, 0, 0})
	fmt.Printf("VJP: %.4f, %.4f\n", g[0], g[nz-1])
	// Output:
	// state 4, controls 96, output 4, T = 12
	// x(T) = [0.0627 0.5749 -0.1448 0.3594]
	// energy 0.1470 → 0.2595
	// ∂x₂(T)/∂u₀ = 0.0546, ∂x₂(T)/∂u₉₅ = 0.0234
	// VJP: 0.0546, 0.0234
}
