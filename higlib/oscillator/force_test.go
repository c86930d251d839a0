package oscillator

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

// TestForceIsMinusEnergyGradient settles the sign convention: the
// accelerations of the equations of motion, −xᵢ + (x_{i+1} − xᵢ)³ +
// (x_{i−1} − xᵢ)³ at u = 0, are −∂H/∂xᵢ of Chain.Energy (central finite
// differences; tolerance: truncation h²/6·|∂³H| ≈ 6e-12·10 plus rounding
// ε·|H|/h ≈ 4e-11·|H| for states of order 1), and ẋᵢ = pᵢ = ∂H/∂pᵢ.
func TestForceIsMinusEnergyGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 9))
	for _, n := range []int{1, 2, 3, 6} {
		c, err := New(Config{N: n})
		if err != nil {
			t.Fatal(err)
		}
		st := newStepper(n, c.dt)
		for range 4 {
			s := make([]float64, 2*n)
			for i := range s {
				s[i] = 4*rng.Float64() - 2
			}
			k := make([]float64, 2*n)
			st.rate(k, s, 0, nil)
			grad := fd.Gradient(nil, c.Energy, s, &fd.Settings{Formula: fd.Central})
			for i := range n {
				if math.Abs(k[i]-grad[n+i]) > 1e-8 {
					t.Errorf("N = %d: dx_%d/dt = %v, ∂H/∂p_%d = %v", n, i, k[i], i, grad[n+i])
				}
				if math.Abs(k[n+i]+grad[i]) > 1e-8*(1+math.Abs(grad[i])) {
					t.Errorf("N = %d: dp_%d/dt = %v, −∂H/∂x_%d = %v", n, i, k[n+i], i, -grad[i])
				}
			}
		}
	}
}
