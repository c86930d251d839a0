package objective_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
)

// The network f(x) = w·x + b with w = 1, b = 0 followed by P(z) = 2z, on the
// samples (x, ŷ) = (1, 3) and (2, 3): y = (2, 4), residuals (−1, 1), so
// L = (½ + ½)/2 = 0.5, ∂L/∂y = (−0.5, 0.5), ∂L/∂w = (−1·2·1 + 1·2·2)/2 = 1
// and ∂L/∂b = (−1·2 + 1·2)/2 = 0; row i of the Jacobian is ∂y_i/∂(w, b) =
// 2·(x_i, 1).
func ExampleObjective_Eval() {
	net, err := nn.New([]int{1, 1}, []nn.Activation{nn.Identity})
	if err != nil {
		panic(err)
	}
	phys, err := physics.NewScale(2)
	if err != nil {
		panic(err)
	}
	obj, err := objective.New(net, phys)
	if err != nil {
		panic(err)
	}
	data := objective.Data{
		X: mat.NewDense(2, 1, []float64{1, 2}),
		Y: mat.NewDense(2, 1, []float64{3, 3}),
	}
	if err := obj.Check(data); err != nil {
		panic(err)
	}
	out := optim.Local{Grad: make([]float64, 2), GradY: make([]float64, 2), Jac: &mat.Dense{}}
	obj.Eval(&out, obj.NewWorkspace(), []float64{1, 0}, data, []int{0, 1})
	fmt.Println("loss", out.Loss)
	fmt.Println("grad", out.Grad)
	fmt.Println("gradY", out.GradY)
	fmt.Println("jac", mat.Formatted(out.Jac, mat.FormatPython()))
	// Output:
	// loss 0.5
	// grad [1 0]
	// gradY [-0.5 0.5]
	// jac [[2, 2], [4, 2]]
}

// The chapter's toy loss ½(z₁ − ŷ₁)² + ½(λz₂ − ŷ₂)² with λ = 0.01 is badly
// scaled in z₂; a weighted loss ½ Σ w_k (y_k − ŷ_k)² can change that. At
// y = (1, 2), ŷ = (0, 0) and w = (1, 100): L = ½(1 + 100·4) = 200.5 and
// ∂L/∂y = (w₁(y₁ − ŷ₁), w₂(y₂ − ŷ₂)) = (1, 200).
func ExampleWeightedSquared() {
	l, err := objective.NewWeightedSquared(1, 100)
	if err != nil {
		panic(err)
	}
	grad := make([]float64, 2)
	fmt.Println("L =", l.Eval(grad, []float64{1, 2}, []float64{0, 0}))
	fmt.Println("∂L/∂y =", grad)
	// Output:
	// L = 200.5
	// ∂L/∂y = [1 200]
}
