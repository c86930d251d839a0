package explore_test

import (
	"fmt"
	"log"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/notebooks/explore"
)

// With J = diag(1, 0.01) and g = (−1, −1), gradient descent moves almost only
// the first output, Gauss-Newton moves both straight towards the target, and
// HIG lies in between, at a hundredth of Gauss-Newton's parameter step.
func ExampleSteps() {
	j := mat.NewDense(2, 2, []float64{1, 0, 0, 0.01})
	g := []float64{-1, -1}
	steps, err := explore.Steps(j, g, explore.Settings{Kappa: 0.5})
	if err != nil {
		log.Fatal(err)
	}
	for _, st := range steps {
		fmt.Printf("%-3s cos %.3f  ‖Δθ‖ %.4g  JΔθ = (%.3f, %.3f)\n", st.Method, st.Cosine, st.Norm, st.DY[0], st.DY[1])
	}
	// Output:
	// GD  cos 0.707  ‖Δθ‖ 2  JΔθ = (2.000, 0.000)
	// GN  cos 1.000  ‖Δθ‖ 100  JΔθ = (1.000, 1.000)
	// HIG cos 0.774  ‖Δθ‖ 18.27  JΔθ = (1.818, 0.182)
}
