package lesson_test

import (
	"fmt"
	"log"

	"github.com/higlab/hig/notebooks/lesson"
)

// The 2-D example's steps Δθ = (1, λ^(−κ)) at λ = 0.01: the gradient barely
// moves θ₂, Gauss-Newton goes all the way to θ* = (1, 100), HIG a tenth of
// that, removing a tenth of the error along the weak direction.
func ExampleNewTwoD() {
	ex, err := lesson.NewTwoD(0.01, 1e-6)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range ex.Steps {
		fmt.Printf("%-3s Δθ = (%.3g, %.3g)  ‖Δθ‖ = %.4g  rate along u₂ = %.3g\n", s.Name, s.DTheta[0], s.DTheta[1], s.Norm, s.RateU2)
	}
	// Output:
	// gd  Δθ = (1, 0.01)  ‖Δθ‖ = 1  rate along u₂ = 0.0001
	// hig Δθ = (1, 10)  ‖Δθ‖ = 10.05  rate along u₂ = 0.1
	// gn  Δθ = (1, 100)  ‖Δθ‖ = 100  rate along u₂ = 1
}
