package oscillator_test

import (
	"fmt"

	"github.com/higlab/hig/higlib/oscillator"
)

// The book notebook's linear chain: its final state is affine in the
// controls, so doubling a control's effect doubles the change of x(T).
func ExampleBook() {
	c, err := oscillator.New(oscillator.Book())
	if err != nil {
		panic(err)
	}
	x0 := []float64{0.5, 0.2, 0, 0}
	u := make([]float64, c.Steps())
	free := c.Trajectory(nil, x0, u)
	u[0] = 1
	one := c.Trajectory(nil, x0, u)
	u[0] = 2
	two := c.Trajectory(nil, x0, u)
	last := 4 * c.Steps()
	d1, d2 := one[last]-free[last], two[last]-free[last]
	fmt.Printf("T = %g, coupling %+v, gain %g\n", float64(c.Steps())*c.DT(), c.Coupling(), c.Gain())
	fmt.Printf("Δx₁(T) for u₀ = 1 and 2: %.6f %.6f\n", d1, d2)
	// Output:
	// T = 12, coupling {Linear:0.2 Cubic:0}, gain 1
	// Δx₁(T) for u₀ = 1 and 2: -0.381064 -0.762127
}
